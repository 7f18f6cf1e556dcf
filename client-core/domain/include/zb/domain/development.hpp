// SPDX-License-Identifier: Apache-2.0
// Member development (发展党员), domain.md §5: the 5 stages and 25 steps as data, the status-change
// commands the server validates (validate_transition), the vote rule (yes > half of the full
// members entitled to vote, exact integer boundary), probation and its one extension, 党龄, and a
// deadline engine (due_items) listing what is upcoming or overdue for a case.
#pragma once

#include "zb/domain/date.hpp"
#include "zb/domain/policy.hpp"
#include "zb/domain/types.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zb::domain {

enum class DevStage : std::uint8_t {
    Application = 1,  ///< 申请入党
    Activist = 2,     ///< 入党积极分子的确定和培养教育
    Candidate = 3,    ///< 发展对象的确定和考察
    Admission = 4,    ///< 预备党员的接收
    Probation = 5,    ///< 预备党员的教育考察和转正
};
std::string_view display_name(DevStage s);

/// Who carries out or approves a step (domain.md §5.2, §2.2).
enum class StepActor : std::uint8_t {
    Applicant = 0,         ///< 申请人
    BranchCommittee = 1,   ///< 党支部 / 支委会
    BranchGeneral = 2,     ///< 支部党员大会
    CollegeCommittee = 3,  ///< 基层党委 (院系党委)
    OrgDepartment = 4,     ///< 上级 组织部门 (备案)
};

struct DevStep {
    int no;  ///< 1..25
    DevStage stage;
    std::string_view name;  ///< Chinese step name as in [S40]
    StepActor actor;        ///< who does / approves it
    std::string_view rule;  ///< timing rule with its source
};

/// The 25 steps of [S40] (confirmed by 灯塔 [S55]).
const std::array<DevStep, 25>& development_steps();
const DevStep* development_step(int no);

/// A vote at a 支部大会 or 党委 meeting (domain.md §12 Vote). Written opinions of absent members
/// count in `yes`/`no` [S48].
struct VoteTally {
    int entitled = 0;  ///< full members entitled to vote (预备党员 excluded [S45])
    int present = 0;   ///< voting members present
    int yes = 0;
    int no = 0;
    int abstain = 0;
};
/// yes > entitled / 2, exactly: 2·yes > entitled [S47]. 5 entitled → 3 needed; 6 → 4.
bool vote_passes(const VoteTally& v);
/// Tally consistency: counts non-negative, yes+no+abstain ≤ entitled, present ≤ entitled.
bool vote_consistent(const VoteTally& v);

struct Training {
    int days = 0;
    int hours = 0;  ///< 学时
};

struct Introducer {
    std::string person_id;
    bool full_member = false;                 ///< must be 正式党员 [S43]
    bool under_probation_discipline = false;  ///< 留党察看 → cannot introduce [S43]
};

/// The state of a development case as the server holds it (domain.md §12 DevelopmentCase).
struct DevelopmentCase {
    std::string id;
    MemberStatus status = MemberStatus::Applicant;
    std::optional<Date> birth_date;
    std::optional<Date> applied_on;       ///< step 1
    std::optional<Date> talked_on;        ///< step 2
    std::optional<Date> activist_on;      ///< step 3
    std::vector<Date> assessments;        ///< step 6, half-yearly
    std::optional<Date> candidate_on;     ///< step 7
    std::vector<Introducer> introducers;  ///< step 9
    std::optional<Date>
        political_review_on;  ///< step 10 (conclusion itself is sensitive, elsewhere)
    bool political_review_passed = false;
    std::optional<Training> training;       ///< step 11
    std::optional<Date> pre_review_on;      ///< step 13 上级党委预审
    std::optional<Date> expected_leave_on;  ///< leaving the unit (graduation, transfer)
    std::optional<Date> probationary_on;    ///< step 15: 支部大会 passed → 预备期 starts
    std::optional<Date> admission_approved_on;  ///< step 17
    int extension_months = 0;                   ///< 0 = not extended
    int extension_count = 0;
    std::optional<Date> conversion_meeting_on;  ///< step 23 支部大会 on 转正
    std::optional<Date> full_member_on;         ///< 党龄 starts (step 24 approval of 转正)
};

enum class CommandKind : std::uint8_t {
    RecordTalk = 0,         ///< step 2
    ConfirmActivist = 1,    ///< step 3
    RecordAssessment = 2,   ///< step 6
    ConfirmCandidate = 3,   ///< step 7
    AdmitProbationary = 4,  ///< step 15 (支部大会 vote)
    ApproveAdmission = 5,   ///< step 17 (上级党委)
    ConvertToFull = 6,      ///< steps 23–24 (支部大会 vote, 党委 approval)
    ExtendProbation = 7,    ///< 延长预备期 (once, 6–12 months)
    CancelProbation = 8,    ///< 取消预备党员资格
    ApproveConversion = 9,  ///< step 24 (上级党委 approves 转正; 党龄 starts at probation end)
};

struct DevCommand {
    CommandKind kind = CommandKind::RecordTalk;
    Date effective_on;              ///< the day of the talk / meeting / decision
    std::optional<VoteTally> vote;  ///< for decisions of the 支部大会
    int months = 0;                 ///< ExtendProbation
};

struct Verdict {
    bool ok = true;
    std::vector<std::string> violations;  ///< reasons for refusal (Chinese + rule source)
    std::vector<std::string> warnings;    ///< accepted but flagged (e.g. late approval)
    std::string message() const;          ///< violations joined by "；"
};

/// Validates a status-change command on the server (and on the device, to warn at once).
/// Pure: never mutates the case. `today` is the server's CST date.
Verdict validate_transition(const DevelopmentCase& c, const DevCommand& cmd, ActorRole actor,
                            Date today, const DevelopmentPolicy& p);

/// 预备期 end date: probationary_on + 12 months + extension (§5.3 [S45][S44]).
std::optional<Date> probation_end(const DevelopmentCase& c, const DevelopmentPolicy& p);

/// 党龄 in whole years from the 转正 date (§5.3 [S45]); nullopt if not a full member yet.
std::optional<std::int64_t> party_age_years(const DevelopmentCase& c, Date today);

enum class DueState : std::uint8_t { Upcoming = 0, DueSoon = 1, Overdue = 2, NotBefore = 3 };

struct DueItem {
    std::string code;  ///< "talk", "assessment", "candidate_earliest", "approval", …
    int step_no = 0;
    Date due;  ///< deadline (or earliest date for NotBefore)
    DueState state = DueState::Upcoming;
    std::string description;
};

/// Upcoming and overdue deadlines of a case on `today`.
std::vector<DueItem> due_items(const DevelopmentCase& c, Date today, const DevelopmentPolicy& p);

/// End of a 公示 window: `publicity_working_days` working days after the start day (LOCAL [S46c]).
Date publicity_end(Date start, const DevelopmentPolicy& p);

}  // namespace zb::domain
