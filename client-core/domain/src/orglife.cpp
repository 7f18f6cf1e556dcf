// SPDX-License-Identifier: Apache-2.0
// Compliance calendar, quorum, period assignment and thin-record review (domain.md §3, §12.1).

#include "zb/domain/orglife.hpp"

#include <algorithm>

namespace zb::domain {

std::vector<ComplianceItem> compliance_calendar(const BranchProfile& branch,
                                                const std::vector<HeldMeeting>& meetings,
                                                Date today, const UniversityPolicy& p) {
    std::vector<ComplianceItem> out;
    const Date jan1 = Date::ymd(today.year(), 1, 1);
    for (const auto& f : p.frequencies_for(branch.kind)) {
        if (f.min_count <= 0) continue;
        if (f.type == MeetingType::CommitteeMeeting && !branch.has_committee) continue;  // [S8]
        if (f.type == MeetingType::GroupMeeting && !branch.has_groups) continue;
        // Walk the periods of this year from January to the one containing today.
        Date cursor = jan1;
        while (cursor <= today) {
            Period per = period_containing(f.period, cursor);
            cursor = per.last.plus_days(1);
            // A branch founded mid-period owes nothing for periods that ended before it existed;
            // the period in which it was founded is owed (ANALYSIS).
            if (branch.established_on && per.last < *branch.established_on) continue;
            ComplianceItem it;
            it.type = f.type;
            it.required = f.min_count;
            it.held = static_cast<int>(
                std::count_if(meetings.begin(), meetings.end(), [&](const HeldMeeting& m) {
                    return m.type == f.type && m.held_on >= per.first && m.held_on <= per.last &&
                           m.state != MeetingState::Rejected && m.state != MeetingState::Draft;
                }));
            if (it.held >= it.required)
                it.state = ComplianceState::Met;
            else if (per.last < today)
                it.state = ComplianceState::Overdue;
            else
                it.state = ComplianceState::Open;
            it.period = std::move(per);
            out.push_back(std::move(it));
        }
    }
    return out;
}

bool quorum_reached(int entitled, int present) {
    return entitled > 0 && 2 * present > entitled;
}

bool committee_quorum_reached(int committee_size, int present) {
    return quorum_reached(committee_size, present);  // > half of the committee [S18]
}

Quorum general_meeting_quorum(const std::vector<AttendanceEntry>& attendance) {
    Quorum q;
    for (const auto& a : attendance) {
        if (a.status != MemberStatus::Full) continue;    // 预备党员 have no vote [S45]
        if (a.state == AttendState::Observer) continue;  // 列席 are not members who should attend
        ++q.entitled;
        if (a.state == AttendState::Present) ++q.present;
    }
    q.reached = quorum_reached(q.entitled, q.present);  // [S18]
    return q;
}

PeriodAssignment assign_period(std::int64_t device_time_ms, std::int64_t server_receipt_ms,
                               std::int64_t last_sync_ms, const OrgLifePolicy& p) {
    PeriodAssignment a;
    if (device_time_ms > server_receipt_ms + p.device_time_skew_ms)
        a.flags.push_back(TimeFlag::DeviceAfterReceipt);
    if (last_sync_ms > 0 && device_time_ms + p.device_time_skew_ms < last_sync_ms)
        a.flags.push_back(TimeFlag::BeforeLastSync);
    if (device_time_ms < server_receipt_ms - std::int64_t{p.max_offline_days} * kMsPerDay)
        a.flags.push_back(TimeFlag::TooOld);
    if (a.flags.empty()) {
        // Plausible: the meeting "held" offline on 30 June and synced on 2 July counts for June.
        a.date = Date::from_unix_ms_cst(std::min(device_time_ms, server_receipt_ms));
        a.device_time_used = true;
    } else {
        // Implausible: the server's receipt time decides; the reviewer sees the flags.
        a.date = Date::from_unix_ms_cst(server_receipt_ms);
    }
    return a;
}

std::size_t utf8_length(std::string_view text) {
    std::size_t n = 0;
    for (unsigned char ch : text)
        if ((ch & 0xC0) != 0x80) ++n;
    return n;
}

std::vector<ReviewFinding> review_meeting(const MeetingRecord& m, const OrgLifePolicy& p) {
    std::vector<ReviewFinding> f;
    auto blank = [](const std::string& s) {
        return std::all_of(s.begin(), s.end(),
                           [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; });
    };
    if (blank(m.topic)) f.push_back(ReviewFinding::NoTopic);
    if (utf8_length(m.minutes) < static_cast<std::size_t>(p.min_minutes_chars))
        f.push_back(ReviewFinding::MinutesTooShort);
    // 谈心谈话 is a two-person talk; every other type needs an attendance list.
    if (m.type != MeetingType::HeartToHeartTalk && m.attendance_records == 0)
        f.push_back(ReviewFinding::NoAttendance);
    if (m.type == MeetingType::GeneralMeeting &&
        !quorum_reached(m.entitled_voting, m.present_voting))
        f.push_back(ReviewFinding::QuorumNotReached);  // [S18]
    if (m.photos == 0) f.push_back(ReviewFinding::NoPhotos);
    return f;
}

bool should_reject(const std::vector<ReviewFinding>& findings) {
    return std::any_of(findings.begin(), findings.end(),
                       [](ReviewFinding x) { return x != ReviewFinding::NoPhotos; });
}

AbsenceStatus org_life_absence(Date last_attended, Date today, int months) {
    AbsenceStatus a;
    a.case_from = last_attended.plus_months(months);  // 6 consecutive months [S62]
    a.case_due = today >= a.case_from;
    return a;
}

bool excellent_within_limit(int excellent, int graded_members) {
    return excellent >= 0 && 3 * excellent <= graded_members;  // 优秀 ≤ 1/3 [S6]
}

std::vector<StructureFinding> branch_structure(BranchKind kind, int full_members, int all_members,
                                               bool has_committee, int committee_size) {
    std::vector<StructureFinding> f;
    if (full_members < 3) f.push_back(StructureFinding::TooFewFullMembers);  // ≥ 3 [S8]
    if (all_members > 50) f.push_back(StructureFinding::TooManyMembers);     // ≤ 50 [S8]
    if (kind == BranchKind::Teacher && all_members > 30)
        f.push_back(StructureFinding::TeacherBranchTooBig);  // ≤ 30 [S11]
    if (full_members >= 7 && !has_committee) f.push_back(StructureFinding::CommitteeRequired);
    if (has_committee && (committee_size < 3 || committee_size > 7))
        f.push_back(StructureFinding::CommitteeSize);  // 3–5, ≤ 7 [S8]
    return f;
}

}  // namespace zb::domain
