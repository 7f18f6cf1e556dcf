// SPDX-License-Identifier: Apache-2.0
// UniversityPolicy: every number a university may set differently (domain.md §13 open questions and
// the (LOCAL) rules), with defaults taken from domain.md. Loadable from JSON; missing keys keep
// their defaults, unknown keys are ignored, and values of the wrong type or out of range throw
// std::invalid_argument so a bad configuration is refused at load time, not at enforcement time.
#pragma once

#include "zb/domain/date.hpp"
#include "zb/domain/types.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zb::domain {

enum class Rounding : std::uint8_t {
    HalfUp = 0,  ///< 四舍五入 (default)
    Down = 1,    ///< truncate toward zero
    Up = 2,      ///< any remainder rounds up
};

/// How 硕士/博士研究生 dues are computed: domain.md §4.1 and §13.4 (sources conflict).
enum class GraduateDues : std::uint8_t {
    FixedStudentRate = 0,  ///< 0.2 元/月 like other students [S22][S23] (default)
    StipendBracket = 1,    ///< 在职 brackets on the monthly stipend [S23] (third-party; confirm)
};

struct DuesPolicy {
    /// Rounding unit in fen: 1 = 0.01 元 (default), 10 = 0.1 元, 100 = 1 元. Rounding is not
    /// specified by any source (domain.md §4.1 "Rounding is not specified", §13.3).
    Fen rounding_unit_fen = 1;
    Rounding rounding = Rounding::HalfUp;
    GraduateDues graduate = GraduateDues::FixedStudentRate;
    Fen student_monthly_fen = 20;  ///< 学生 0.2 元/月 (§4.1 [S22][S23])
    Fen farmer_monthly_fen = 20;   ///< 农民 0.2–1 元/月, default low end (§4.1 [S22][S23])
    Fen low_income_monthly_fen = 20;  ///< 下岗失业/抚恤/低保 0.2 元/月 (§4.1 [S22])
    int arrears_warning_months = 3;   ///< yellow warning ("arrears ≥3", §10.2 use case)
    int arrears_case_months = 6;  ///< 6 consecutive months → 自行脱党 procedure (§4.3 [S24][S25])
    int max_back_pay_months = 6;  ///< back-payment generally ≤ 6 months (§4.2 [S24][S27])
    int max_prepay_months = 3;    ///< quarterly payment with consent (§4.2 [S24][S27])
    Fen central_remit_threshold_fen = 100000;  ///< single voluntary ≥ 1000 元 → Centre (§4.1 [S22])
};

/// One obligation: at least `min_count` meetings of `type` per `period`; applies to all branch
/// kinds unless `branch_kind` is set (a kind-specific rule replaces the general one for that type).
struct MeetingFrequency {
    MeetingType type = MeetingType::GeneralMeeting;
    PeriodKind period = PeriodKind::Quarter;
    int min_count = 1;
    std::optional<BranchKind> branch_kind;
};

struct OrgLifePolicy {
    /// Defaults (domain.md §3): 党员大会 1/quarter [S2][S4]; 支委会 1/month [S2]; 党小组会 1/month
    /// [S2][S4]; 党课 1/quarter (common practice [S4]; national text only ≥1/year [S3], §13.2);
    /// 主题党日 1/month [S3]; 组织生活会 1/year [S5]; 民主评议 1/year [S6]; 谈心谈话 1/year [S2].
    std::vector<MeetingFrequency> frequencies = default_frequencies();
    /// Thin-record review (inspection practice [S94], thresholds ANALYSIS): minimum minutes length
    /// in characters (code points) for a held meeting.
    int min_minutes_chars = 100;
    /// A device time more than this far after server receipt is implausible (clock skew allowance).
    std::int64_t device_time_skew_ms = 5LL * 60 * 1000;
    /// A device time more than this many days before server receipt is implausible even within a
    /// long offline gap (ANALYSIS, §12.1.2).
    int max_offline_days = 31;

    static std::vector<MeetingFrequency> default_frequencies();
};

struct DevelopmentPolicy {
    int talk_within_months = 1;       ///< 党组织派人谈话 within 1 month (§5.2 step 2 [S49])
    int activist_min_months = 12;     ///< ≥ 1 year as activist (§5.2 step 7 [S42][S43])
    int assessment_every_months = 6;  ///< half-yearly assessment (§5.2 step 6 [S41])
    int training_min_days = 3;        ///< ≥ 3 days … (§5.2 step 11 [S41][S42])
    int training_min_hours = 24;      ///< … or ≥ 24 学时
    int approval_within_months = 3;  ///< 党委 approval within 3 months (§5.2 steps 17, 24 [S51])
    int probation_months = 12;       ///< 预备期 1 year (§5.3 [S45][S44])
    int extension_min_months = 6;    ///< extension once, ≥ 6 months … (§5.3 [S44])
    int extension_max_months = 12;   ///< … ≤ 1 year
    int leaving_within_months = 3;   ///< leaving within 3 months → generally not admitted [S46]
    int min_age_years = 18;          ///< applicant ≥ 18 (§5.2 step 1 [S45])
    int introducers = 2;             ///< 2 正式党员 introducers (§5.2 step 9 [S43])
    int publicity_working_days = 5;  ///< 公示 5 working days (§5.3 (LOCAL) [S46c], §13.5)
    int conversion_application_lead_days = 30;  ///< 转正申请 1 month before expiry (LOCAL [G3])
    int due_soon_days = 14;                     ///< show "due soon" this many days ahead (ANALYSIS)
};

struct MobilityPolicy {
    int letter_validity_days = 90;  ///< 介绍信 有效期: 90 national, 30 Beijing (§6.2 [S62][S63])
    int receipt_within_months = 1;  ///< 回执 within 1 month (§6.2 [S61])
    int abroad_contact_months = 6;  ///< contact abroad members every 6 months (§6.5 [S67])
    int abroad_limit_years = 5;     ///< retention ≤ 5 years (§6.5 [S67][S68])
    int lost_contact_months = 6;    ///< 失联 = no contact ≥ 6 months (§6.1 [S71])
    int flow_report_months = 12;    ///< 流动党员 report home ≥ 1/year (§6.1 [S70])
    int transfer_threshold_months =
        6;  ///< away ≥ 6 months → transfer, else 活动证 (§6.1 [S60][S69])
    bool undecided_graduates_to_origin = false;  ///< send undecided to 生源地 (LOCAL [S65])
};

/// One points action (学习强国 pattern [S90]/[S91], §9 learning row).
struct PointsRule {
    std::string action;  ///< "login", "article", "video", "comment", …
    int points = 1;      ///< per event, or per `per_seconds` of dwell when that is > 0
    int daily_cap = 0;   ///< max points per person per (server) day for this action; 0 = none
    int min_dwell_seconds = 0;  ///< events shorter than this earn nothing
    int per_seconds = 0;        ///< >0: points × floor(dwell / per_seconds) (time-based actions)
};

struct LearningPolicy {
    int annual_hours_target = 32;         ///< ≥ 32 学时/year per member (§3 [S102])
    int leader_annual_hours_target = 56;  ///< 书记/班子 ≥ 56 学时 (§3, GK)
    int minutes_per_study_hour = 45;      ///< one 学时 in minutes (not in sources; configurable)
    int points_daily_max = 52;            ///< 学习强国 daily max after 2019-03-28 [S91]
    std::vector<PointsRule> points_rules = default_points_rules();

    static std::vector<PointsRule> default_points_rules();
};

/// Scorecard thresholds (ANALYSIS unless noted; red/yellow practice [S88][S100]). Rates are in
/// permille (‰) of the target; an indicator is yellow below `*_yellow` and red below `*_red`.
struct SupervisionPolicy {
    int meetings_yellow_permille = 1000;  ///< any obligation missed → yellow
    int meetings_red_permille = 600;
    int attendance_yellow_permille = 800;
    int attendance_red_permille = 600;
    int study_yellow_permille = 800;  ///< of the target prorated to the date
    int study_red_permille = 500;
    int dues_yellow_permille = 950;
    int dues_red_permille = 800;
    int development_overdue_yellow = 1;  ///< overdue deadlines in open cases
    int development_overdue_red = 3;
    int inactivity_yellow_days = 30;  ///< 30 days without activity → yellow (彭山 [S88], LOCAL)
    int inactivity_red_days = 60;
};

/// 舆情 aggregation (§9 数据监测 row, [S106] workflow; numbers ANALYSIS).
struct OpinionPolicy {
    int spike_multiple_percent = 200;  ///< spike when count > 2.0 × trailing mean …
    int spike_window = 3;              ///< … of the previous 3 periods …
    int spike_min_count = 5;           ///< … and count ≥ 5 (avoid 1 → 2 "spikes")
    int min_group_size = 3;            ///< aggregates over fewer comments are suppressed
};

struct UniversityPolicy {
    std::string name;  ///< e.g. the university's name, for reports
    DuesPolicy dues;
    OrgLifePolicy org_life;
    DevelopmentPolicy development;
    MobilityPolicy mobility;
    LearningPolicy learning;
    SupervisionPolicy supervision;
    OpinionPolicy opinion;

    /// Frequencies that apply to a branch kind: kind-specific rules override the general rule of
    /// the same meeting type.
    std::vector<MeetingFrequency> frequencies_for(BranchKind kind) const;

    static UniversityPolicy defaults() { return UniversityPolicy{}; }
    /// Throws std::invalid_argument on wrong types or out-of-range values.
    static UniversityPolicy from_json(const nlohmann::json& j);
    nlohmann::json to_json() const;
};

}  // namespace zb::domain
