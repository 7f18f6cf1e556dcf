// SPDX-License-Identifier: Apache-2.0
// organization.hpp at its boundaries: status and category codes round-trip, which membership
// changes are allowed outside the development path, and committee terms with the re-election
// notice (6 months before) and request (4 months before) [S8][S11].
#include "zb/domain/organization.hpp"

#include <catch2/catch.hpp>

using namespace zb::domain;

TEST_CASE("organization: status and dues category codes round-trip", "[domain][org]") {
    for (int i = 0; i <= 8; ++i) {
        auto s = static_cast<MemberStatus>(i);
        auto back = status_from_code(status_code(s));
        REQUIRE(back);
        CHECK(*back == s);
    }
    CHECK_FALSE(status_from_code("Full").has_value());
    CHECK_FALSE(status_from_code("").has_value());
    for (int i = 0; i <= 7; ++i) {
        auto c = static_cast<DuesCategory>(i);
        auto back = dues_category_from_code(dues_category_code(c));
        REQUIRE(back);
        CHECK(*back == c);
    }
    CHECK_FALSE(dues_category_from_code("salary").has_value());
    CHECK(status_from_code("正式党员") == MemberStatus::Full);
    CHECK(status_from_code("入党积极分子") == MemberStatus::Activist);
    CHECK(dues_category_from_code("在职") == DuesCategory::Employed);
    CHECK(dues_category_from_code("学生") == DuesCategory::Student);
    CHECK(is_party_member(MemberStatus::Probationary));
    CHECK(is_party_member(MemberStatus::Full));
    CHECK_FALSE(is_party_member(MemberStatus::Candidate));
    CHECK_FALSE(is_party_member(MemberStatus::Suspended));
}

TEST_CASE("organization: membership changes outside the development path", "[domain][org]") {
    using S = MemberStatus;
    CHECK(membership_change_allowed(S::Full, S::Suspended));
    CHECK_FALSE(membership_change_allowed(S::Probationary, S::Suspended));
    CHECK(membership_change_allowed(S::Suspended, S::Full));
    CHECK(membership_change_allowed(S::Full, S::Left));
    CHECK(membership_change_allowed(S::Probationary, S::Left));
    CHECK_FALSE(membership_change_allowed(S::Applicant, S::Left));
    CHECK(membership_change_allowed(S::Activist, S::Masses));
    // The development path only moves by development commands.
    CHECK_FALSE(membership_change_allowed(S::Masses, S::Applicant));
    CHECK_FALSE(membership_change_allowed(S::Candidate, S::Probationary));
    CHECK_FALSE(membership_change_allowed(S::Probationary, S::Full));
    CHECK_FALSE(membership_change_allowed(S::Full, S::Full));
}

TEST_CASE("organization: committee term, notice at 6 months, request at 4", "[domain][org]") {
    const Date elected = Date::ymd(2022, 7, 1);
    auto at = [&](int y, int m, int d) {
        return committee_term_status(elected, 3, Date::ymd(y, m, d)).state;
    };
    auto st = committee_term_status(elected, 3, Date::ymd(2024, 1, 1));
    CHECK(st.ends_on == Date::ymd(2025, 7, 1));
    CHECK(st.notice_on == Date::ymd(2025, 1, 1));
    CHECK(st.request_on == Date::ymd(2025, 3, 1));
    CHECK(at(2024, 12, 31) == TermState::Running);
    CHECK(at(2025, 1, 1) == TermState::NoticeDue);
    CHECK(at(2025, 2, 28) == TermState::NoticeDue);
    CHECK(at(2025, 3, 1) == TermState::RequestDue);
    CHECK(at(2025, 6, 30) == TermState::RequestDue);
    CHECK(at(2025, 7, 1) == TermState::Expired);
    // A teachers' branch with a 2-year term; a 29 February election clamps.
    CHECK(committee_term_status(Date::ymd(2024, 2, 29), 2, Date::ymd(2024, 3, 1)).ends_on ==
          Date::ymd(2026, 2, 28));
}
