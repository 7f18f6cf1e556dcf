// SPDX-License-Identifier: Apache-2.0
#include "zb/domain/organization.hpp"

#include <array>
#include <utility>

namespace zb::domain {

namespace {

constexpr std::array<std::pair<MemberStatus, std::string_view>, 9> kStatusCodes{{
    {MemberStatus::Masses, "masses"},
    {MemberStatus::Applicant, "applicant"},
    {MemberStatus::Activist, "activist"},
    {MemberStatus::Candidate, "candidate"},
    {MemberStatus::Probationary, "probationary"},
    {MemberStatus::Full, "full"},
    {MemberStatus::Suspended, "suspended"},
    {MemberStatus::Left, "left"},
    {MemberStatus::Cancelled, "cancelled"},
}};

constexpr std::array<std::pair<DuesCategory, std::string_view>, 8> kCategoryCodes{{
    {DuesCategory::Employed, "employed"},
    {DuesCategory::AnnualSalary, "annual_salary"},
    {DuesCategory::SelfEmployed, "self_employed"},
    {DuesCategory::Retired, "retired"},
    {DuesCategory::Student, "student"},
    {DuesCategory::Graduate, "graduate"},
    {DuesCategory::Farmer, "farmer"},
    {DuesCategory::LowIncome, "low_income"},
}};

}  // namespace

std::string_view status_code(MemberStatus s) {
    for (const auto& [k, v] : kStatusCodes)
        if (k == s) return v;
    return "unknown";
}

std::optional<MemberStatus> status_from_code(std::string_view code) {
    for (const auto& [k, v] : kStatusCodes)
        if (v == code || display_name(k) == code) return k;  // imports often carry 正式党员 etc.
    return std::nullopt;
}

std::string_view dues_category_code(DuesCategory c) {
    for (const auto& [k, v] : kCategoryCodes)
        if (k == c) return v;
    return "unknown";
}

std::optional<DuesCategory> dues_category_from_code(std::string_view code) {
    for (const auto& [k, v] : kCategoryCodes)
        if (v == code) return k;
    // The Chinese terms of 《党费规定》 as an import or a form may carry them (§4.1).
    static constexpr std::array<std::pair<std::string_view, DuesCategory>, 8> kChinese{{
        {"在职", DuesCategory::Employed},
        {"年薪制", DuesCategory::AnnualSalary},
        {"个体", DuesCategory::SelfEmployed},
        {"离退休", DuesCategory::Retired},
        {"学生", DuesCategory::Student},
        {"研究生", DuesCategory::Graduate},
        {"农民", DuesCategory::Farmer},
        {"低保", DuesCategory::LowIncome},
    }};
    for (const auto& [name, k] : kChinese)
        if (name == code) return k;
    return std::nullopt;
}

bool is_party_member(MemberStatus s) {
    return s == MemberStatus::Probationary || s == MemberStatus::Full;
}

bool membership_change_allowed(MemberStatus from, MemberStatus to) {
    using S = MemberStatus;
    if (from == to) return false;
    switch (to) {
        case S::Suspended:  // 停止党籍: a full member out of contact or abroad too long [S68]
            return from == S::Full;
        case S::Full:  // 恢复党籍 after 停止党籍; every other way to 正式党员 is 转正
            return from == S::Suspended;
        case S::Left:  // 除名 / 自行脱党 / 开除: by a 支部大会 decision, approved upstream
                       // [S24][S25]
            return from == S::Full || from == S::Probationary || from == S::Suspended;
        case S::Masses:  // an applicant who withdraws, or a cancelled 预备党员 back on record
            return from == S::Applicant || from == S::Activist || from == S::Candidate ||
                   from == S::Cancelled;
        default:
            return false;  // the development path moves only through the development commands
    }
}

TermStatus committee_term_status(Date elected_on, int term_years, Date today,
                                 const CommitteeTermPolicy& p) {
    TermStatus t;
    t.ends_on = elected_on.plus_years(term_years);
    t.notice_on = t.ends_on.plus_months(-p.notice_months);
    t.request_on = t.ends_on.plus_months(-p.request_months);
    if (today >= t.ends_on)
        t.state = TermState::Expired;
    else if (today >= t.request_on)
        t.state = TermState::RequestDue;
    else if (today >= t.notice_on)
        t.state = TermState::NoticeDue;
    else
        t.state = TermState::Running;
    return t;
}

}  // namespace zb::domain
