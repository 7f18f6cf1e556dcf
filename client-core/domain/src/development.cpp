// SPDX-License-Identifier: Apache-2.0
// The development workflow rules (domain.md §5). Every number comes from DevelopmentPolicy, whose
// defaults cite their sources; this file cites the rule each check implements.

#include "zb/domain/development.hpp"

#include <algorithm>

namespace zb::domain {

namespace {

using S = DevStage;
using A = StepActor;

// domain.md §5.2, the 25 steps [S40][S55].
const std::array<DevStep, 25> kSteps = {{
    {1, S::Application, "递交入党申请书", A::Applicant, "年满18岁 [S45]"},
    {2, S::Application, "党组织派人谈话", A::BranchCommittee, "收到申请书后1个月内 [S49]"},
    {3, S::Activist, "推荐和确定入党积极分子", A::BranchCommittee, "支委会研究决定 [S53]"},
    {4, S::Activist, "上级党委备案", A::CollegeCommittee, "—"},
    {5, S::Activist, "指定培养联系人", A::BranchCommittee, "1–2名正式党员 [S41]"},
    {6, S::Activist, "培养教育考察", A::BranchCommittee, "每半年考察一次 (细则第十一条) [S41]"},
    {7, S::Candidate, "确定发展对象", A::BranchCommittee,
     "培养教育1年以上 (细则第十三条) [S42][S43]"},
    {8, S::Candidate, "报上级党委备案", A::CollegeCommittee, "—"},
    {9, S::Candidate, "确定入党介绍人", A::BranchCommittee, "2名正式党员 (细则第十四条) [S43]"},
    {10, S::Candidate, "进行政治审查", A::BranchCommittee, "未经政审不得发展 [S43]"},
    {11, S::Candidate, "开展集中培训", A::CollegeCommittee,
     "不少于3天或24学时 (细则第十七条) [S41][S42]"},
    {12, S::Admission, "支部委员会审查", A::BranchCommittee, "集体审查 (细则第十九条) [S42]"},
    {13, S::Admission, "上级党委预审", A::CollegeCommittee, "3个月内离开单位的一般不发展 [S46]"},
    {14, S::Admission, "填写入党志愿书", A::Applicant, "—"},
    {15, S::Admission, "支部大会讨论", A::BranchGeneral,
     "赞成票超过应到会有表决权党员半数 [S47][S48]"},
    {16, S::Admission, "上级党委派人谈话", A::CollegeCommittee, "党委委员或组织员 [G3][S48b]"},
    {17, S::Admission, "上级党委审批", A::CollegeCommittee, "3个月内集体讨论审批 [S51]"},
    {18, S::Admission, "再上一级党委组织部门备案", A::OrgDepartment, "—"},
    {19, S::Probation, "编入党支部和党小组", A::BranchCommittee, "—"},
    {20, S::Probation, "入党宣誓", A::BranchCommittee, "面向党旗 [S45]"},
    {21, S::Probation, "继续教育考察", A::BranchCommittee, "—"},
    {22, S::Probation, "提出转正申请", A::Applicant, "预备期满前提出 (LOCAL: 满前1个月) [G3]"},
    {23, S::Probation, "支部大会讨论", A::BranchGeneral,
     "预备期1年; 延长一次, 6个月至1年 [S44][S45]"},
    {24, S::Probation, "上级党委审批", A::CollegeCommittee, "3个月内审批 [S51]"},
    {25, S::Probation, "材料归档", A::CollegeCommittee, "细则第三十七条 [S50]"},
}};

bool any_of_roles(ActorRole r, std::initializer_list<ActorRole> allowed) {
    return std::find(allowed.begin(), allowed.end(), r) != allowed.end();
}

std::string role_list(std::initializer_list<ActorRole> allowed) {
    std::string s;
    for (auto r : allowed) {
        if (!s.empty()) s += "/";
        s += display_name(r);
    }
    return s;
}

}  // namespace

std::string_view display_name(DevStage s) {
    switch (s) {
        case DevStage::Application:
            return "申请入党";
        case DevStage::Activist:
            return "入党积极分子的确定和培养教育";
        case DevStage::Candidate:
            return "发展对象的确定和考察";
        case DevStage::Admission:
            return "预备党员的接收";
        case DevStage::Probation:
            return "预备党员的教育考察和转正";
    }
    return "?";
}

const std::array<DevStep, 25>& development_steps() {
    return kSteps;
}

const DevStep* development_step(int no) {
    if (no < 1 || no > 25) return nullptr;
    return &kSteps[static_cast<std::size_t>(no - 1)];
}

bool vote_passes(const VoteTally& v) {
    // "赞成票超过应到会有表决权的正式党员的半数" [S47][S48]: strictly more than half of ENTITLED
    // (not of present) full members. Integer form avoids rounding: 2·yes > entitled.
    return v.entitled > 0 && 2 * v.yes > v.entitled;
}

bool vote_consistent(const VoteTally& v) {
    return v.entitled >= 0 && v.present >= 0 && v.yes >= 0 && v.no >= 0 && v.abstain >= 0 &&
           v.present <= v.entitled && v.yes + v.no + v.abstain <= v.entitled;
}

std::string Verdict::message() const {
    std::string s;
    for (const auto& v : violations) {
        if (!s.empty()) s += "；";
        s += v;
    }
    return s;
}

std::optional<Date> probation_end(const DevelopmentCase& c, const DevelopmentPolicy& p) {
    if (!c.probationary_on) return std::nullopt;
    // 预备期 1 year from the 支部大会 day, plus the extension if any (§5.3 [S45][S44]).
    return c.probationary_on->plus_months(p.probation_months + c.extension_months);
}

std::optional<std::int64_t> party_age_years(const DevelopmentCase& c, Date today) {
    if (c.status != MemberStatus::Full || !c.full_member_on) return std::nullopt;
    // 党龄 counts from the day the probation ends with 转正 (§5.3 [S45]).
    return std::max<std::int64_t>(0, whole_years_between(*c.full_member_on, today));
}

Date publicity_end(Date start, const DevelopmentPolicy& p) {
    return plus_working_days(start, p.publicity_working_days);
}

Verdict validate_transition(const DevelopmentCase& c, const DevCommand& cmd, ActorRole actor,
                            Date today, const DevelopmentPolicy& p) {
    Verdict v;
    auto fail = [&](std::string msg) {
        v.ok = false;
        v.violations.push_back(std::move(msg));
    };
    auto need_status = [&](MemberStatus s) {
        if (c.status != s)
            fail("当前状态为" + std::string(display_name(c.status)) + "，此操作要求" +
                 std::string(display_name(s)));
    };
    auto need_role = [&](std::initializer_list<ActorRole> allowed) {
        if (!any_of_roles(actor, allowed))
            fail(std::string(display_name(actor)) + "无权执行此操作（需" + role_list(allowed) +
                 "）");
    };
    auto need_vote = [&]() {
        if (!cmd.vote) {
            fail("缺少支部大会表决结果");
        } else if (!vote_consistent(*cmd.vote)) {
            fail("表决票数不一致（赞成+反对+弃权不得超过应到会有表决权党员数）");
        } else if (!vote_passes(*cmd.vote)) {
            fail("赞成票未超过应到会有表决权正式党员的半数 [S47]");
        }
    };
    auto need_age = [&](Date on) {
        if (!c.birth_date)
            fail("缺少出生日期，无法核对年满18岁 [S45]");
        else if (whole_years_between(*c.birth_date, on) < p.min_age_years)
            fail("申请人未满" + std::to_string(p.min_age_years) + "岁 [S45]");
    };
    if (cmd.effective_on > today) fail("生效日期晚于今天");

    switch (cmd.kind) {
        case CommandKind::RecordTalk:
            need_status(MemberStatus::Applicant);
            need_role({ActorRole::BranchSecretary, ActorRole::BranchCommittee,
                       ActorRole::CollegeOrganizer});
            if (!c.applied_on) {
                fail("缺少递交入党申请书日期");
            } else if (cmd.effective_on < *c.applied_on) {
                fail("谈话日期早于申请日期");
            } else if (cmd.effective_on > c.applied_on->plus_months(p.talk_within_months)) {
                // Late talk is recorded (the fact matters) but flagged: 1 month [S49].
                v.warnings.push_back("谈话超过收到申请书后1个月的期限 [S49]");
            }
            break;
        case CommandKind::ConfirmActivist:
            need_status(MemberStatus::Applicant);
            need_role({ActorRole::BranchSecretary, ActorRole::BranchCommittee});
            if (!c.talked_on) fail("尚未完成党组织派人谈话（第2步）");
            if (c.applied_on) need_age(*c.applied_on);
            break;
        case CommandKind::RecordAssessment:
            if (c.status != MemberStatus::Activist && c.status != MemberStatus::Candidate)
                fail("只有入党积极分子或发展对象需要培养教育考察");
            need_role({ActorRole::BranchSecretary, ActorRole::BranchCommittee});
            if (c.activist_on && cmd.effective_on < *c.activist_on)
                fail("考察日期早于确定积极分子日期");
            break;
        case CommandKind::ConfirmCandidate: {
            need_status(MemberStatus::Activist);
            need_role({ActorRole::BranchSecretary, ActorRole::BranchCommittee});
            if (!c.activist_on) {
                fail("缺少确定入党积极分子日期");
                break;
            }
            // ≥ 1 year as activist (细则第十三条) [S42][S43]: earliest = activist_on + 12 months.
            if (cmd.effective_on < c.activist_on->plus_months(p.activist_min_months))
                fail("培养教育考察不满1年（细则第十三条）[S42]");
            // Half-yearly assessments (细则第十一条) [S41]: one per completed half year.
            const auto months = whole_months_between(*c.activist_on, cmd.effective_on);
            const auto needed = months / p.assessment_every_months;
            const auto have =
                std::count_if(c.assessments.begin(), c.assessments.end(),
                              [&](Date d) { return d >= *c.activist_on && d <= cmd.effective_on; });
            if (have < needed)
                fail("半年一次的培养考察记录不足：需" + std::to_string(needed) + "次，有" +
                     std::to_string(have) + "次 [S41]");
            break;
        }
        case CommandKind::AdmitProbationary: {
            need_status(MemberStatus::Candidate);
            need_role({ActorRole::BranchSecretary});
            int valid = 0;
            for (const auto& i : c.introducers)
                if (i.full_member && !i.under_probation_discipline) ++valid;
            if (static_cast<int>(c.introducers.size()) != p.introducers || valid != p.introducers)
                fail("入党介绍人须为" + std::to_string(p.introducers) +
                     "名正式党员（留党察看者不得担任）[S43]");
            if (!c.political_review_on || !c.political_review_passed)
                fail("未经政治审查或政审未通过，不能发展 [S43]");
            if (!c.training || (c.training->days < p.training_min_days &&
                                c.training->hours < p.training_min_hours))
                fail("集中培训不足3天或24学时（细则第十七条）[S41]");
            if (!c.pre_review_on) fail("尚未经上级党委预审（第13步）");
            if (c.expected_leave_on &&
                *c.expected_leave_on < cmd.effective_on.plus_months(p.leaving_within_months))
                fail("3个月内将离开工作学习单位的发展对象一般不发展 [S46]");
            need_age(cmd.effective_on);
            need_vote();
            break;
        }
        case CommandKind::ApproveAdmission:
            need_status(MemberStatus::Probationary);
            need_role({ActorRole::CollegeCommittee});
            if (c.admission_approved_on) fail("已审批");
            if (c.probationary_on &&
                cmd.effective_on > c.probationary_on->plus_months(p.approval_within_months))
                v.warnings.push_back("上级党委审批超过3个月期限 [S51]");
            break;
        case CommandKind::ConvertToFull: {
            need_status(MemberStatus::Probationary);
            need_role({ActorRole::BranchSecretary});
            if (!c.admission_approved_on) fail("接收预备党员尚未经上级党委审批");
            auto end = probation_end(c, p);
            if (end && cmd.effective_on < *end) fail("预备期未满，不能讨论转正 [S44]");
            need_vote();
            break;
        }
        case CommandKind::ApproveConversion:
            need_status(MemberStatus::Probationary);
            need_role({ActorRole::CollegeCommittee});
            if (!c.conversion_meeting_on) {
                fail("支部大会尚未讨论转正");
            } else if (cmd.effective_on >
                       c.conversion_meeting_on->plus_months(p.approval_within_months)) {
                v.warnings.push_back("转正审批超过3个月期限 [S51]");
            }
            break;
        case CommandKind::ExtendProbation:
            need_status(MemberStatus::Probationary);
            need_role({ActorRole::BranchSecretary});
            if (c.extension_count > 0) fail("预备期只能延长一次（细则第三十二条）[S44]");
            if (cmd.months < p.extension_min_months || cmd.months > p.extension_max_months)
                fail("延长预备期须不少于" + std::to_string(p.extension_min_months) +
                     "个月、不超过" + std::to_string(p.extension_max_months) + "个月 [S44]");
            need_vote();
            break;
        case CommandKind::CancelProbation:
            need_status(MemberStatus::Probationary);
            need_role({ActorRole::BranchSecretary});
            need_vote();
            break;
    }
    return v;
}

std::vector<DueItem> due_items(const DevelopmentCase& c, Date today, const DevelopmentPolicy& p) {
    std::vector<DueItem> out;
    auto add = [&](std::string code, int step, Date due, std::string desc,
                   bool not_before = false) {
        DueItem it;
        it.code = std::move(code);
        it.step_no = step;
        it.due = due;
        it.description = std::move(desc);
        if (not_before)
            it.state = DueState::NotBefore;
        else if (today > due)
            it.state = DueState::Overdue;
        else if (due.days() - today.days() <= p.due_soon_days)
            it.state = DueState::DueSoon;
        else
            it.state = DueState::Upcoming;
        out.push_back(std::move(it));
    };
    switch (c.status) {
        case MemberStatus::Applicant:
            if (c.applied_on && !c.talked_on)
                add("talk", 2, c.applied_on->plus_months(p.talk_within_months),
                    "收到入党申请书后1个月内派人谈话 [S49]");
            break;
        case MemberStatus::Activist:
            if (c.activist_on) {
                Date last = *c.activist_on;
                for (Date d : c.assessments)
                    last = std::max(last, d);
                add("assessment", 6, last.plus_months(p.assessment_every_months),
                    "每半年进行一次培养教育考察 [S41]");
                add("candidate_earliest", 7, c.activist_on->plus_months(p.activist_min_months),
                    "培养教育满1年后方可确定为发展对象 [S42]", true);
            }
            break;
        case MemberStatus::Probationary:
            if (!c.probationary_on) break;
            if (!c.admission_approved_on) {
                add("admission_approval", 17,
                    c.probationary_on->plus_months(p.approval_within_months),
                    "上级党委3个月内审批 [S51]");
            } else if (c.conversion_meeting_on) {
                add("conversion_approval", 24,
                    c.conversion_meeting_on->plus_months(p.approval_within_months),
                    "上级党委3个月内审批转正 [S51]");
            } else if (auto end = probation_end(c, p)) {
                add("conversion_application", 22,
                    end->plus_days(-p.conversion_application_lead_days),
                    "预备期满前提出转正申请 (LOCAL) [G3]");
                add("probation_end", 23, *end, "预备期满，支部大会讨论转正/延长/取消 [S44]");
            }
            break;
        default:
            break;
    }
    return out;
}

}  // namespace zb::domain
