// SPDX-License-Identifier: Apache-2.0
// Organisational life (三会一课 and the rest), domain.md §3: the compliance calendar of a branch
// (what is due this month/quarter/year, what is overdue), the quorum check (present voting members
// > half of entitled; 预备党员 do not vote), period assignment from server receipt time with device
// time as evidence (§12.1.2), and the thin-record review an upper level applies [S94].
#pragma once

#include "zb/domain/date.hpp"
#include "zb/domain/policy.hpp"
#include "zb/domain/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zb::domain {

/// Review state of a meeting record (§12 Meeting.state).
enum class MeetingState : std::uint8_t {
    Draft = 0,
    Held = 1,
    Submitted = 2,
    Approved = 3,
    Rejected = 4
};

struct HeldMeeting {
    MeetingType type = MeetingType::GeneralMeeting;
    Date held_on;  ///< the server-assigned date (see assign_period)
    MeetingState state = MeetingState::Held;
};

struct BranchProfile {
    BranchKind kind = BranchKind::Undergraduate;
    /// A 支部委员会 exists only with ≥ 7 正式党员 (§2.2 [S8]); without one, no 支委会 obligation.
    bool has_committee = true;
    /// Branches without 党小组 have no 党小组会 obligation.
    bool has_groups = true;
    std::optional<Date> established_on;  ///< no obligations for periods before this
};

enum class ComplianceState : std::uint8_t {
    Met = 0,      ///< enough meetings in the period
    Open = 1,     ///< current period, not yet met
    Overdue = 2,  ///< past period, not met
};

struct ComplianceItem {
    MeetingType type = MeetingType::GeneralMeeting;
    Period period;
    int required = 0;
    int held = 0;
    ComplianceState state = ComplianceState::Open;
};

/// The compliance calendar of the year containing `today`: every period of every obligation from
/// January (or the establishment date) up to the period containing today. Rejected and draft
/// records do not count.
std::vector<ComplianceItem> compliance_calendar(const BranchProfile& branch,
                                                const std::vector<HeldMeeting>& meetings,
                                                Date today, const UniversityPolicy& p);

/// Attendance states (§12 Attendance.state).
enum class AttendState : std::uint8_t { Present = 0, Leave = 1, Absent = 2, Observer = 3 };

struct AttendanceEntry {
    std::string person_id;
    MemberStatus status = MemberStatus::Full;  ///< only 正式党员 vote (预备 don't [S45])
    AttendState state = AttendState::Present;
};

struct Quorum {
    int entitled = 0;  ///< voting (正式) members who should attend
    int present = 0;   ///< of them, present
    bool reached = false;
};

/// 党员大会 quorum: voting members present > half of voting members who should attend [S18].
/// Observers (列席) and 预备党员/activists never count.
Quorum general_meeting_quorum(const std::vector<AttendanceEntry>& attendance);
/// Same rule from counts: 2·present > entitled.
bool quorum_reached(int entitled, int present);
/// 支委会 needs > half of the committee present [S18].
bool committee_quorum_reached(int committee_size, int present);

/// Where a record lands in time (§12.1.2 "device time is evidence, not truth").
enum class TimeFlag : std::uint8_t {
    DeviceAfterReceipt = 0,  ///< device clock claims a time after the server received it
    BeforeLastSync = 1,      ///< device time before the device's previous sync: it should have
                             ///< been uploaded then
    TooOld = 2,              ///< more than max_offline_days before receipt
};

struct PeriodAssignment {
    Date date;                      ///< the CST date the record counts for
    bool device_time_used = false;  ///< true if the (plausible) device time decided the date
    std::vector<TimeFlag> flags;    ///< non-empty → flag for the 院系 reviewer
    bool plausible() const { return flags.empty(); }
};

/// Assigns a record to a date. `last_sync_ms`: the device's previous successful sync (0 = never).
PeriodAssignment assign_period(std::int64_t device_time_ms, std::int64_t server_receipt_ms,
                               std::int64_t last_sync_ms, const OrgLifePolicy& p);

struct MeetingRecord {
    MeetingType type = MeetingType::GeneralMeeting;
    std::string topic;
    std::string minutes;
    int attendance_records = 0;
    int entitled_voting = 0;  ///< 党员大会: 正式党员 who should attend
    int present_voting = 0;
    int photos = 0;
};

enum class ReviewFinding : std::uint8_t {
    NoTopic = 0,
    MinutesTooShort = 1,
    NoAttendance = 2,
    QuorumNotReached = 3,
    NoPhotos = 4,  ///< advisory only
};

/// Thin-record checks an upper level applies before approving a record (平阴 practice rejects
/// superficial records [S94]; thresholds ANALYSIS, configurable).
std::vector<ReviewFinding> review_meeting(const MeetingRecord& m, const OrgLifePolicy& p);
/// True when the findings justify rejecting (everything except advisory NoPhotos).
bool should_reject(const std::vector<ReviewFinding>& findings);

/// 民主评议 (§3 [S6][S7]): 优秀 may be given to at most 1/3 of the graded members; 预备党员 take
/// part but are not graded, so `graded_members` counts 正式党员 only. 3·excellent ≤ graded.
bool excellent_within_limit(int excellent, int graded_members);

/// Branch structure findings (domain.md §2.1–§2.2 [S8][S11]).
enum class StructureFinding : std::uint8_t {
    TooFewFullMembers = 0,    ///< < 3 正式党员: form a 联合党支部 instead [S8]
    TooManyMembers = 1,       ///< > 50 members (generally) [S8]
    TeacherBranchTooBig = 2,  ///< 教工党支部 > 30 (教育部党组 opinion) [S11]
    CommitteeRequired = 3,    ///< ≥ 7 正式党员 but no 支部委员会 [S8]
    CommitteeSize = 4,        ///< committee outside 3–7 members (3–5, generally ≤ 7) [S8]
};
std::vector<StructureFinding> branch_structure(BranchKind kind, int full_members, int all_members,
                                               bool has_committee, int committee_size);

/// 6 consecutive months without good reason not attending organisational life → 自行脱党
/// procedure (《党章》 as quoted [S62]). Like dues arrears this only opens a case for the 支部大会;
/// it never changes status by itself. `last_attended`: last attended org-life meeting (or the day
/// the relationship arrived, for new members).
struct AbsenceStatus {
    Date case_from;         ///< last_attended + 6 months
    bool case_due = false;  ///< today ≥ case_from
    static constexpr bool changes_status = false;
};
AbsenceStatus org_life_absence(Date last_attended, Date today, int months = 6);

/// UTF-8 code points in `text` (a Chinese character counts as one).
std::size_t utf8_length(std::string_view text);

}  // namespace zb::domain
