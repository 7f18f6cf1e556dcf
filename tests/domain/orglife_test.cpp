// SPDX-License-Identifier: Apache-2.0
// Organisational life (domain.md §3): the compliance calendar per branch, quorum at exactly half
// and half + 1 with odd/even counts (预备党员 and 列席 excluded), period assignment from server
// receipt time with device time as evidence, and the thin-record review.

#include "zb/domain/orglife.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace zb::domain;

namespace {

std::vector<ComplianceItem> of_type(const std::vector<ComplianceItem>& items, MeetingType t) {
    std::vector<ComplianceItem> out;
    std::copy_if(items.begin(), items.end(), std::back_inserter(out),
                 [&](const ComplianceItem& i) { return i.type == t; });
    return out;
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
        out += s;
    return out;
}

std::int64_t cst_ms(int y, int m, int d, int hour, int minute = 0) {
    return Date::ymd(y, m, d).start_unix_ms_cst() + (hour * 60LL + minute) * 60 * 1000;
}

}  // namespace

TEST_CASE("orglife: compliance calendar of a branch", "[domain][orglife]") {
    UniversityPolicy p;
    BranchProfile b;
    const Date today = Date::ymd(2025, 5, 15);
    std::vector<HeldMeeting> held = {
        {MeetingType::GeneralMeeting, Date::ymd(2025, 3, 31), MeetingState::Approved},
        {MeetingType::CommitteeMeeting, Date::ymd(2025, 1, 10), MeetingState::Approved},
        {MeetingType::CommitteeMeeting, Date::ymd(2025, 2, 10), MeetingState::Rejected},
        {MeetingType::CommitteeMeeting, Date::ymd(2025, 5, 5), MeetingState::Draft},
        {MeetingType::CommitteeMeeting, Date::ymd(2024, 12, 20), MeetingState::Approved},
    };
    auto items = compliance_calendar(b, held, today, p);
    // Jan..May: 党员大会 Q1,Q2 (2) + 支委会 5 + 党小组会 5 + 党课 Q1,Q2 (2) + 主题党日 5 +
    // 组织生活会 1 + 民主评议 1 + 谈心谈话 1 = 22.
    CHECK(items.size() == 22);
    auto general = of_type(items, MeetingType::GeneralMeeting);
    REQUIRE(general.size() == 2);
    CHECK(general[0].period.key == "2025-Q1");
    CHECK(general[0].state == ComplianceState::Met);
    CHECK(general[1].period.key == "2025-Q2");
    CHECK(general[1].state == ComplianceState::Open);
    auto committee = of_type(items, MeetingType::CommitteeMeeting);
    REQUIRE(committee.size() == 5);
    CHECK(committee[0].state == ComplianceState::Met);      // Jan
    CHECK(committee[1].state == ComplianceState::Overdue);  // Feb: the record was rejected
    CHECK(committee[2].state == ComplianceState::Overdue);  // Mar
    CHECK(committee[3].state == ComplianceState::Overdue);  // Apr
    CHECK(committee[4].state == ComplianceState::Open);     // May: a draft does not count
    auto life = of_type(items, MeetingType::LifeMeeting);
    REQUIRE(life.size() == 1);
    CHECK(life[0].period.key == "2025");
    CHECK(life[0].state == ComplianceState::Open);
    // On the last day of a month the month is still open; the next day it is overdue.
    auto theme =
        of_type(compliance_calendar(b, {}, Date::ymd(2025, 1, 31), p), MeetingType::ThemeDay);
    REQUIRE(theme.size() == 1);
    CHECK(theme[0].state == ComplianceState::Open);
    theme = of_type(compliance_calendar(b, {}, Date::ymd(2025, 2, 1), p), MeetingType::ThemeDay);
    REQUIRE(theme.size() == 2);
    CHECK(theme[0].state == ComplianceState::Overdue);
}

TEST_CASE("orglife: branch shape and configured frequencies", "[domain][orglife]") {
    UniversityPolicy p;
    BranchProfile small;
    small.has_committee = false;  // < 7 正式党员: no 支委会 [S8]
    small.has_groups = false;
    const Date today = Date::ymd(2025, 5, 15);
    auto items = compliance_calendar(small, {}, today, p);
    CHECK(items.size() == 12);  // 22 − 5 支委会 − 5 党小组会
    // Founded 2025-04-10: Jan–Mar and Q1 are not owed; April and Q2 are.
    BranchProfile young;
    young.established_on = Date::ymd(2025, 4, 10);
    items = compliance_calendar(young, {}, today, p);
    CHECK(of_type(items, MeetingType::ThemeDay).size() == 2);
    CHECK(of_type(items, MeetingType::GeneralMeeting).size() == 1);
    // A university sets 党课 twice per half year for retired branches only.
    p.org_life.frequencies.push_back(
        {MeetingType::PartyLecture, PeriodKind::HalfYear, 2, BranchKind::Retired});
    BranchProfile retired;
    retired.kind = BranchKind::Retired;
    auto lectures = of_type(compliance_calendar(retired, {}, today, p), MeetingType::PartyLecture);
    REQUIRE(lectures.size() == 1);
    CHECK(lectures[0].period.key == "2025-H1");
    CHECK(lectures[0].required == 2);
    BranchProfile teacher;
    teacher.kind = BranchKind::Teacher;
    CHECK(of_type(compliance_calendar(teacher, {}, today, p), MeetingType::PartyLecture).size() ==
          2);
}

TEST_CASE("orglife: quorum is more than half of entitled voting members", "[domain][orglife]") {
    CHECK_FALSE(quorum_reached(5, 2));
    CHECK(quorum_reached(5, 3));
    CHECK_FALSE(quorum_reached(6, 3));  // exactly half
    CHECK(quorum_reached(6, 4));
    CHECK_FALSE(quorum_reached(0, 0));
    CHECK(committee_quorum_reached(5, 3));
    CHECK_FALSE(committee_quorum_reached(4, 2));
    CHECK(committee_quorum_reached(3, 2));

    // 4 full members (2 present, 1 on leave, 1 absent), a 预备党员 present, an observer.
    std::vector<AttendanceEntry> att = {
        {"a", MemberStatus::Full, AttendState::Present},
        {"b", MemberStatus::Full, AttendState::Present},
        {"c", MemberStatus::Full, AttendState::Leave},
        {"d", MemberStatus::Full, AttendState::Absent},
        {"e", MemberStatus::Probationary, AttendState::Present},
        {"f", MemberStatus::Full, AttendState::Observer},
    };
    auto q = general_meeting_quorum(att);
    CHECK(q.entitled == 4);
    CHECK(q.present == 2);
    CHECK_FALSE(q.reached);  // 2 of 4 is exactly half; the 预备党员 does not count
    att[2].state = AttendState::Present;
    q = general_meeting_quorum(att);
    CHECK(q.present == 3);
    CHECK(q.reached);
}

TEST_CASE("orglife: period from receipt time, device time as evidence", "[domain][orglife]") {
    OrgLifePolicy p;
    const std::int64_t receipt = cst_ms(2025, 7, 2, 10);
    const std::int64_t last_sync = cst_ms(2025, 6, 28, 9);
    // Held offline on 30 June 15:00, synced 2 July: plausible → counts for June (Q2).
    auto a = assign_period(cst_ms(2025, 6, 30, 15), receipt, last_sync, p);
    CHECK(a.plausible());
    CHECK(a.device_time_used);
    CHECK(a.date == Date::ymd(2025, 6, 30));
    CHECK(period_containing(PeriodKind::Quarter, a.date).key == "2025-Q2");
    // Device clock claims 2 July 10:06, after receipt + 5 min skew: flagged, receipt date used.
    a = assign_period(cst_ms(2025, 7, 2, 10, 6), receipt, last_sync, p);
    REQUIRE(a.flags.size() == 1);
    CHECK(a.flags[0] == TimeFlag::DeviceAfterReceipt);
    CHECK(a.date == Date::ymd(2025, 7, 2));
    // Exactly at the skew allowance: accepted.
    CHECK(assign_period(cst_ms(2025, 7, 2, 10, 5), receipt, last_sync, p).plausible());
    // Device time before the previous sync: it should have been uploaded then → flagged.
    a = assign_period(cst_ms(2025, 6, 27, 9), receipt, last_sync, p);
    REQUIRE(a.flags.size() == 1);
    CHECK(a.flags[0] == TimeFlag::BeforeLastSync);
    CHECK(a.date == Date::ymd(2025, 7, 2));
    // Never synced before, device time 32 days before receipt → TooOld; 31 days → fine.
    a = assign_period(receipt - 32 * kMsPerDay, receipt, 0, p);
    REQUIRE(a.flags.size() == 1);
    CHECK(a.flags[0] == TimeFlag::TooOld);
    CHECK(assign_period(receipt - 31 * kMsPerDay, receipt, 0, p).plausible());
}

TEST_CASE("orglife: thin meeting records", "[domain][orglife]") {
    OrgLifePolicy p;
    MeetingRecord m;
    m.type = MeetingType::GeneralMeeting;
    m.topic = "学习党章";
    m.minutes = repeat("议", 100);  // 100 characters (300 bytes)
    m.attendance_records = 10;
    m.entitled_voting = 9;
    m.present_voting = 5;
    m.photos = 2;
    CHECK(utf8_length(m.minutes) == 100);
    CHECK(review_meeting(m, p).empty());
    m.minutes = repeat("议", 99);
    auto f = review_meeting(m, p);
    REQUIRE(f.size() == 1);
    CHECK(f[0] == ReviewFinding::MinutesTooShort);
    CHECK(should_reject(f));
    m.minutes = repeat("议", 100);
    m.present_voting = 4;  // 4 of 9 is not more than half
    f = review_meeting(m, p);
    REQUIRE(f.size() == 1);
    CHECK(f[0] == ReviewFinding::QuorumNotReached);
    m.present_voting = 5;
    m.attendance_records = 0;
    m.photos = 0;
    m.topic = "  ";
    f = review_meeting(m, p);
    CHECK(f.size() == 3);  // no topic, no attendance, no photos
    // Photos alone are advisory.
    m.attendance_records = 10;
    m.topic = "学习党章";
    f = review_meeting(m, p);
    REQUIRE(f.size() == 1);
    CHECK(f[0] == ReviewFinding::NoPhotos);
    CHECK_FALSE(should_reject(f));
    // A 支委会 has no 党员大会 quorum rule here.
    m.type = MeetingType::CommitteeMeeting;
    m.present_voting = 0;
    m.photos = 1;
    CHECK(review_meeting(m, p).empty());
}

TEST_CASE("orglife: 民主评议 优秀 at most one third", "[domain][orglife]") {
    // 9 graded: 3 is exactly 1/3 (allowed), 4 is not. 10 graded: 3 ≤ 3.33, 4 > 3.33.
    CHECK(excellent_within_limit(3, 9));
    CHECK_FALSE(excellent_within_limit(4, 9));
    CHECK(excellent_within_limit(3, 10));
    CHECK_FALSE(excellent_within_limit(4, 10));
    CHECK(excellent_within_limit(0, 0));
    CHECK_FALSE(excellent_within_limit(1, 2));
}

TEST_CASE("orglife: branch structure rules", "[domain][orglife]") {
    using F = StructureFinding;
    CHECK(branch_structure(BranchKind::Undergraduate, 3, 20, false, 0).empty());
    CHECK(branch_structure(BranchKind::Undergraduate, 2, 20, false, 0) ==
          std::vector<F>{F::TooFewFullMembers});
    CHECK(branch_structure(BranchKind::Undergraduate, 6, 50, false, 0).empty());
    CHECK(branch_structure(BranchKind::Undergraduate, 6, 51, false, 0) ==
          std::vector<F>{F::TooManyMembers});
    CHECK(branch_structure(BranchKind::Teacher, 10, 30, true, 3).empty());
    CHECK(branch_structure(BranchKind::Teacher, 10, 31, true, 3) ==
          std::vector<F>{F::TeacherBranchTooBig});
    // 7 正式党员 require a committee; 6 do not.
    CHECK(branch_structure(BranchKind::Graduate, 7, 12, false, 0) ==
          std::vector<F>{F::CommitteeRequired});
    CHECK(branch_structure(BranchKind::Graduate, 6, 12, false, 0).empty());
    CHECK(branch_structure(BranchKind::Graduate, 9, 12, true, 2) ==
          std::vector<F>{F::CommitteeSize});
    CHECK(branch_structure(BranchKind::Graduate, 9, 12, true, 7).empty());
    CHECK(branch_structure(BranchKind::Graduate, 9, 12, true, 8) ==
          std::vector<F>{F::CommitteeSize});
}

TEST_CASE("orglife: 6 months without org life opens a case", "[domain][orglife]") {
    // Last attended 2025-03-31 → case from 2025-09-30 (clamped); the day before, nothing.
    auto a = org_life_absence(Date::ymd(2025, 3, 31), Date::ymd(2025, 9, 29));
    CHECK(a.case_from == Date::ymd(2025, 9, 30));
    CHECK_FALSE(a.case_due);
    CHECK(org_life_absence(Date::ymd(2025, 3, 31), Date::ymd(2025, 9, 30)).case_due);
    STATIC_REQUIRE_FALSE(AbsenceStatus::changes_status);
}
