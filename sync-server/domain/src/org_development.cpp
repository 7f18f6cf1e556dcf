// SPDX-License-Identifier: Apache-2.0
// 发展党员 on the server (domain.md §5): every status change of the development path is a command
// ("dev" family) checked by zb::domain::validate_transition against the case the server rebuilds
// from its own rows, plus what only the server knows: the branch's real number of 正式党员
// entitled to vote (a tally must be taken over exactly that many [S47]), whether each introducer
// is a 正式党员 today [S43], and the approving role from the authenticated principal. Late
// approvals are accepted with a warning and raise an alert for the officers.
//
// Also the "member" family: status changes outside the development path (停止党籍, 恢复, 出党),
// each with a history row.
#include "zb/domain/development.hpp"
#include "zb/domain/tables.hpp"
#include "zb/server/domain/org.hpp"

#include <algorithm>

namespace zb::server::domain {

namespace T = zb::domain::tables;
using protocol::Errc;
using protocol::make_error;
using protocol::Result;
using zb::domain::ActorRole;
using zb::domain::CommandKind;
using zb::domain::DevCommand;
using zb::domain::DevelopmentCase;
using zb::domain::MemberStatus;
using zb::domain::VoteTally;

namespace {

using Out = Result<std::vector<CommandWrite>>;

DevelopmentCase load_case(Rows& rows, const std::string& person) {
    const auto t = T::kDevelopmentCases;
    DevelopmentCase c;
    c.id = person;
    c.status = zb::domain::status_from_code(rows.text(T::kMemberships, person, "status"))
                   .value_or(MemberStatus::Masses);
    c.birth_date = rows.date(T::kPersons, person, "birth_date");
    c.applied_on = rows.date(t, person, "applied_on");
    c.talked_on = rows.date(t, person, "talked_on");
    c.activist_on = rows.date(t, person, "activist_on");
    for (const auto& d : rows.json(t, person, "assessments", nlohmann::json::array()))
        if (d.is_string())
            if (auto x = Date::parse(d.get<std::string>())) c.assessments.push_back(*x);
    c.candidate_on = rows.date(t, person, "candidate_on");
    for (const auto& i : rows.json(t, person, "introducers", nlohmann::json::array())) {
        if (!i.is_string()) continue;
        zb::domain::Introducer in;
        in.person_id = i.get<std::string>();
        // Checked today, not when named: an introducer who lost 正式 status no longer qualifies.
        in.full_member = rows.text(T::kMemberships, in.person_id, "status") == "full";
        c.introducers.push_back(in);
    }
    c.political_review_on = rows.date(t, person, "political_review_on");
    c.political_review_passed = rows.text(t, person, "political_review_result") == "passed";
    auto days = rows.integer(t, person, "training_days");
    auto hours = rows.integer(t, person, "training_hours");
    if (days || hours)
        c.training = zb::domain::Training{static_cast<int>(days.value_or(0)),
                                          static_cast<int>(hours.value_or(0))};
    c.pre_review_on = rows.date(t, person, "pre_review_on");
    c.expected_leave_on = rows.date(t, person, "expected_leave_on");
    c.probationary_on = rows.date(t, person, "probationary_on");
    c.admission_approved_on = rows.date(t, person, "admission_approved_on");
    c.extension_months = static_cast<int>(rows.integer(t, person, "extension_months").value_or(0));
    c.extension_count = static_cast<int>(rows.integer(t, person, "extension_count").value_or(0));
    c.conversion_meeting_on = rows.date(t, person, "conversion_meeting_on");
    c.full_member_on = rows.date(t, person, "full_member_on");
    return c;
}

Result<VoteTally> parse_vote(const Args& a) {
    auto it = a.raw().find("vote");
    if (it == a.raw().end() || !it->is_object())
        return make_error(Errc::BadValue,
                          "缺少表决结果 vote {entitled, present, yes, no, abstain}");
    VoteTally v;
    v.entitled = it->value("entitled", -1);
    v.present = it->value("present", -1);
    v.yes = it->value("yes", -1);
    v.no = it->value("no", 0);
    v.abstain = it->value("abstain", 0);
    return v;
}

/// A status change: membership row, history row (id = the command id), case, roster.
void change_status(Writes& w, Rows& rows, const std::string& person, const std::string& branch,
                   MemberStatus from, MemberStatus to, Date on, const protocol::Change& cmd,
                   const Principal& by, std::uint64_t now_ms) {
    // The officers-only roster goes first: a pull that ends on rows its reader cannot see does not
    // move that reader's cursor to the commit's head, and the member's phone would pull again.
    Roster r = load_roster(rows, branch);
    auto& e = r.members[person];
    e.status = to;
    if (e.category.empty()) e.category = rows.text(T::kPersons, person, "category");
    store_roster(w, r, now_ms);
    const std::string to_code(zb::domain::status_code(to));
    w.set(T::kMemberships, person, "status", to_code);
    w.set_date(T::kMemberships, person, "status_since", on);
    const std::string h = cmd.row;
    w.set(T::kMembershipStatusHistory, h, "org", branch);
    w.set(T::kMembershipStatusHistory, h, "person_id", person);
    w.set(T::kMembershipStatusHistory, h, "from_status",
          std::string(zb::domain::status_code(from)));
    w.set(T::kMembershipStatusHistory, h, "to_status", to_code);
    w.set_date(T::kMembershipStatusHistory, h, "effective_on", on);
    w.set(T::kMembershipStatusHistory, h, "command_id", cmd.row);
    w.set(T::kMembershipStatusHistory, h, "approved_by", by.person);
    if (rows.exists(T::kDevelopmentCases, person))
        w.set(T::kDevelopmentCases, person, "status", to_code);
}

void record_step(Writes& w, const std::string& person, const std::string& branch, int step_no,
                 Date on, const protocol::Change& cmd, const Principal& by,
                 const std::string& opinion) {
    const std::string id = person + ":" + std::to_string(step_no) + ":" + cmd.row;
    const auto t = T::kDevelopmentSteps;
    w.set(t, id, "org", branch);
    w.set(t, id, "case_id", person);
    w.set(t, id, "person_id", person);
    w.set(t, id, "step_no", std::int64_t{step_no});
    w.set_date(t, id, "done_at", on);
    w.set(t, id, "actor_id", by.person);
    if (!opinion.empty()) w.set(t, id, "opinion", opinion);
    w.set(t, id, "status", std::string("done"));
    w.set(T::kDevelopmentCases, person, "current_step", std::int64_t{step_no});
}

void record_vote(Writes& w, const std::string& branch, const std::string& person,
                 const VoteTally& v, const protocol::Change& cmd) {
    const std::string id = cmd.row;
    w.set(T::kVotes, id, "org", branch);
    w.set(T::kVotes, id, "subject_type", std::string("development"));
    w.set(T::kVotes, id, "subject_id", person);
    w.set(T::kVotes, id, "entitled_count", std::int64_t{v.entitled});
    w.set(T::kVotes, id, "present_count", std::int64_t{v.present});
    w.set(T::kVotes, id, "yes", std::int64_t{v.yes});
    w.set(T::kVotes, id, "no", std::int64_t{v.no});
    w.set(T::kVotes, id, "abstain", std::int64_t{v.abstain});
    w.set(T::kVotes, id, "passed", std::int64_t{zb::domain::vote_passes(v) ? 1 : 0});
}

struct Subject {
    std::string person;
    std::string branch;
    Date on;
    Date today;
    ActorRole actor = ActorRole::Member;
};

Result<Subject> subject(const CommandContext& ctx, const Args& a, bool self_allowed,
                        bool need_on = true) {
    Rows rows(ctx.txn);
    auto person = a.text("person");
    if (!person) return person.error();
    auto branch = check_subject(rows, ctx.principal, person.value(), self_allowed);
    if (!branch) return branch.error();
    Subject s;
    s.person = person.value();
    s.branch = branch.value();
    s.today = server_date(ctx.now_ms);
    s.on = s.today;
    if (need_on) {
        auto on = a.date("on");
        if (!on) return on.error();
        s.on = on.value();
        if (s.on > s.today) return make_error(Errc::RuleViolation, "生效日期晚于今天");
    }
    s.actor = actor_role(ctx.principal, s.person);
    return s;
}

/// A status-changing development command: validate, then write.
OrgFn transition(std::shared_ptr<const OrgRules> rules, CommandKind kind) {
    return [rules, kind](const CommandContext& ctx, const Args& a,
                         const protocol::Change& cmd) -> Out {
        auto s = subject(ctx, a, false);
        if (!s) return s.error();
        Rows rows(ctx.txn);
        const auto& p = rules->policy.development;
        DevelopmentCase c = load_case(rows, s.value().person);
        if (!rows.exists(T::kDevelopmentCases, s.value().person))
            return make_error(Errc::RuleViolation, "没有此人的发展档案（须先递交入党申请书）");
        DevCommand dc;
        dc.kind = kind;
        dc.effective_on = s.value().on;
        const bool voted =
            kind == CommandKind::AdmitProbationary || kind == CommandKind::ConvertToFull ||
            kind == CommandKind::ExtendProbation || kind == CommandKind::CancelProbation;
        if (voted) {
            auto v = parse_vote(a);
            if (!v) return v.error();
            dc.vote = v.value();
            // The tally must be over the branch's real 正式党员 (预备党员 have no vote [S45]):
            // "more than half of the full members entitled to vote" [S47][S48].
            Roster roster = load_roster(rows, s.value().branch);
            if (dc.vote->entitled != roster.full_count())
                return make_error(Errc::RuleViolation,
                                  "本支部有表决权的正式党员为" +
                                      std::to_string(roster.full_count()) + "人，表决记录为" +
                                      std::to_string(dc.vote->entitled) + "人 [S47]");
        }
        if (kind == CommandKind::ExtendProbation) {
            auto m = a.integer("months");
            if (!m) return m.error();
            dc.months = static_cast<int>(m.value());
        }
        auto verdict = zb::domain::validate_transition(c, dc, s.value().actor, s.value().today, p);
        if (!verdict.ok) return make_error(Errc::RuleViolation, verdict.message());

        Writes w;
        const auto& person = s.value().person;
        const auto& branch = s.value().branch;
        const Date on = s.value().on;
        const auto t = T::kDevelopmentCases;
        if (dc.vote) record_vote(w, branch, person, *dc.vote, cmd);
        switch (kind) {
            case CommandKind::RecordTalk:
                w.set_date(t, person, "talked_on", on);
                record_step(w, person, branch, 2, on, cmd, ctx.principal, a.text_or("note", ""));
                break;
            case CommandKind::ConfirmActivist:
                w.set_date(t, person, "activist_on", on);
                record_step(w, person, branch, 3, on, cmd, ctx.principal, {});
                change_status(w, rows, person, branch, c.status, MemberStatus::Activist, on, cmd,
                              ctx.principal, ctx.now_ms);
                break;
            case CommandKind::RecordAssessment: {
                auto list = rows.json(t, person, "assessments", nlohmann::json::array());
                list.push_back(on.to_string());
                w.set(t, person, "assessments", list.dump());
                record_step(w, person, branch, 6, on, cmd, ctx.principal, a.text_or("note", ""));
                break;
            }
            case CommandKind::ConfirmCandidate:
                w.set_date(t, person, "candidate_on", on);
                record_step(w, person, branch, 7, on, cmd, ctx.principal, {});
                change_status(w, rows, person, branch, c.status, MemberStatus::Candidate, on, cmd,
                              ctx.principal, ctx.now_ms);
                break;
            case CommandKind::AdmitProbationary:
                w.set_date(t, person, "probationary_on", on);
                w.set_date(T::kMemberships, person, "joined_at", on);
                record_step(w, person, branch, 15, on, cmd, ctx.principal, {});
                change_status(w, rows, person, branch, c.status, MemberStatus::Probationary, on,
                              cmd, ctx.principal, ctx.now_ms);
                break;
            case CommandKind::ApproveAdmission:
                w.set_date(t, person, "admission_approved_on", on);
                record_step(w, person, branch, 17, on, cmd, ctx.principal, {});
                break;
            case CommandKind::ConvertToFull:
                w.set_date(t, person, "conversion_meeting_on", on);
                record_step(w, person, branch, 23, on, cmd, ctx.principal, {});
                break;
            case CommandKind::ApproveConversion: {
                // 党龄 counts from the day the probation ends (§5.3 [S45]), not the approval day.
                Date full_on = zb::domain::probation_end(c, p).value_or(on);
                w.set_date(t, person, "full_member_on", full_on);
                w.set(t, person, "outcome", std::string("full"));
                w.set_date(T::kMemberships, person, "full_member_at", full_on);
                record_step(w, person, branch, 24, on, cmd, ctx.principal, {});
                change_status(w, rows, person, branch, c.status, MemberStatus::Full, on, cmd,
                              ctx.principal, ctx.now_ms);
                break;
            }
            case CommandKind::ExtendProbation:
                w.set(t, person, "extension_months", std::int64_t{dc.months});
                w.set(t, person, "extension_count", std::int64_t{c.extension_count + 1});
                record_step(w, person, branch, 23, on, cmd, ctx.principal, "延长预备期");
                break;
            case CommandKind::CancelProbation:
                w.set(t, person, "outcome", std::string("cancelled"));
                record_step(w, person, branch, 23, on, cmd, ctx.principal, "取消预备党员资格");
                change_status(w, rows, person, branch, c.status, MemberStatus::Cancelled, on, cmd,
                              ctx.principal, ctx.now_ms);
                break;
        }
        for (std::size_t i = 0; i < verdict.warnings.size(); ++i)
            raise_alert(w, "dev:" + person + ":" + cmd.row + ":" + std::to_string(i), branch,
                        person, "development_late", "yellow", on.to_string(), ctx.now_ms);
        return std::move(w.list());
    };
}

bool officer_of_branch(ActorRole r) {
    return r == ActorRole::BranchSecretary || r == ActorRole::BranchCommittee;
}

}  // namespace

void register_development_commands(ServerContext& ctx, std::shared_ptr<const OrgRules> rules) {
    // Step 1: 递交入党申请书, by the person or recorded by a branch officer. ≥ 18 [S45].
    add_org_command(
        ctx, "dev", "apply",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change& cmd) -> Out {
            auto s = subject(cc, a, true);
            if (!s) return s.error();
            Rows rows(cc.txn);
            const auto& person = s.value().person;
            DevelopmentCase c = load_case(rows, person);
            if (c.status != MemberStatus::Masses)
                return make_error(Errc::RuleViolation,
                                  "当前状态为" + std::string(zb::domain::display_name(c.status)) +
                                      "，只有群众可以递交入党申请书");
            const int age = rules->policy.development.min_age_years;
            if (!c.birth_date)
                return make_error(Errc::RuleViolation, "缺少出生日期，无法核对年满18岁 [S45]");
            if (zb::domain::whole_years_between(*c.birth_date, s.value().on) < age)
                return make_error(Errc::RuleViolation,
                                  "申请人未满" + std::to_string(age) + "岁 [S45]");
            Writes w;
            const auto t = T::kDevelopmentCases;
            w.set(t, person, "org", s.value().branch);
            w.set(t, person, "person_id", person);
            w.set(t, person, "branch_id", s.value().branch);
            w.set_date(t, person, "applied_on", s.value().on);
            if (auto leave = a.date_opt("expected_leave_on"))
                w.set_date(t, person, "expected_leave_on", *leave);
            record_step(w, person, s.value().branch, 1, s.value().on, cmd, cc.principal, {});
            change_status(w, rows, person, s.value().branch, c.status, MemberStatus::Applicant,
                          s.value().on, cmd, cc.principal, cc.now_ms);
            return std::move(w.list());
        });
    add_org_command(ctx, "dev", "talk", transition(rules, CommandKind::RecordTalk));
    add_org_command(ctx, "dev", "activist", transition(rules, CommandKind::ConfirmActivist));
    add_org_command(ctx, "dev", "assessment", transition(rules, CommandKind::RecordAssessment));
    add_org_command(ctx, "dev", "candidate", transition(rules, CommandKind::ConfirmCandidate));
    add_org_command(ctx, "dev", "admit", transition(rules, CommandKind::AdmitProbationary));
    add_org_command(ctx, "dev", "approve_admission",
                    transition(rules, CommandKind::ApproveAdmission));
    add_org_command(ctx, "dev", "convert", transition(rules, CommandKind::ConvertToFull));
    add_org_command(ctx, "dev", "approve_conversion",
                    transition(rules, CommandKind::ApproveConversion));
    add_org_command(ctx, "dev", "extend", transition(rules, CommandKind::ExtendProbation));
    add_org_command(ctx, "dev", "cancel", transition(rules, CommandKind::CancelProbation));

    // Step 9: 2 入党介绍人, each a 正式党员 today [S43]; named by the 支部.
    add_org_command(
        ctx, "dev", "introducers",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change& cmd) -> Out {
            auto s = subject(cc, a, false);
            if (!s) return s.error();
            if (!officer_of_branch(s.value().actor))
                return make_error(Errc::Forbidden, "入党介绍人由党支部指定");
            Rows rows(cc.txn);
            const auto& person = s.value().person;
            if (load_case(rows, person).status != MemberStatus::Candidate)
                return make_error(Errc::RuleViolation, "只有发展对象需要确定入党介绍人（第9步）");
            auto it = a.raw().find("introducers");
            if (it == a.raw().end() || !it->is_array())
                return make_error(Errc::BadValue, "参数缺失: introducers (人员编号数组)");
            const int need = rules->policy.development.introducers;
            nlohmann::json ids = nlohmann::json::array();
            for (const auto& i : *it) {
                if (!i.is_string()) return make_error(Errc::BadValue, "介绍人编号必须是文本");
                const auto id = i.get<std::string>();
                if (id == person) return make_error(Errc::RuleViolation, "本人不能担任介绍人");
                if (rows.text(T::kMemberships, id, "status") != "full")
                    return make_error(Errc::RuleViolation, "介绍人" + id + "不是正式党员 [S43]");
                ids.push_back(id);
            }
            std::vector<std::string> uniq(ids.begin(), ids.end());
            std::sort(uniq.begin(), uniq.end());
            uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
            if (static_cast<int>(uniq.size()) != need || static_cast<int>(ids.size()) != need)
                return make_error(Errc::RuleViolation, "入党介绍人须为" + std::to_string(need) +
                                                           "名不同的正式党员 [S43]");
            Writes w;
            w.set(T::kDevelopmentCases, person, "introducers", ids.dump());
            record_step(w, person, s.value().branch, 9, s.value().on, cmd, cc.principal, {});
            return std::move(w.list());
        });
    // Step 10: 政治审查. The conclusion is sensitive (§11.1 "Very high"): political_reviews is
    // officers-only and every content column is encrypted at rest.
    add_org_command(
        ctx, "dev", "political_review",
        [](const CommandContext& cc, const Args& a, const protocol::Change& cmd) -> Out {
            auto s = subject(cc, a, false);
            if (!s) return s.error();
            const auto r = s.value().actor;
            if (!officer_of_branch(r) && r != ActorRole::CollegeCommittee)
                return make_error(Errc::Forbidden, "政治审查由党支部或上级党委进行");
            Rows rows(cc.txn);
            const auto& person = s.value().person;
            if (load_case(rows, person).status != MemberStatus::Candidate)
                return make_error(Errc::RuleViolation, "只有发展对象进行政治审查（第10步）");
            auto it = a.raw().find("passed");
            if (it == a.raw().end() || !it->is_boolean())
                return make_error(Errc::BadValue, "参数缺失: passed (true/false)");
            const bool passed = it->get<bool>();
            Writes w;
            w.set_date(T::kDevelopmentCases, person, "political_review_on", s.value().on);
            w.set(T::kDevelopmentCases, person, "political_review_result",
                  std::string(passed ? "passed" : "failed"));
            const std::string pr = person + ":" + cmd.row;
            w.set(T::kPoliticalReviews, pr, "org", s.value().branch);
            w.set(T::kPoliticalReviews, pr, "case_id", person);
            w.set(T::kPoliticalReviews, pr, "person_id", person);
            w.set_date(T::kPoliticalReviews, pr, "reviewed_on", s.value().on);
            w.set(T::kPoliticalReviews, pr, "reviewer_org", cc.principal.org);
            w.set(T::kPoliticalReviews, pr, "conclusion", a.text_or("conclusion", ""));
            record_step(w, person, s.value().branch, 10, s.value().on, cmd, cc.principal, {});
            return std::move(w.list());
        });
    // Step 11: 集中培训 ≥ 3 days or ≥ 24 学时 (checked at admission [S41][S42]).
    add_org_command(
        ctx, "dev", "training",
        [](const CommandContext& cc, const Args& a, const protocol::Change& cmd) -> Out {
            auto s = subject(cc, a, false);
            if (!s) return s.error();
            const auto r = s.value().actor;
            if (!officer_of_branch(r) && r != ActorRole::CollegeCommittee)
                return make_error(Errc::Forbidden, "培训记录由党支部或院系党委登记");
            Rows rows(cc.txn);
            const auto st = load_case(rows, s.value().person).status;
            if (st != MemberStatus::Activist && st != MemberStatus::Candidate)
                return make_error(Errc::RuleViolation, "只有积极分子或发展对象参加集中培训");
            auto days = a.integer_opt("days").value_or(0);
            auto hours = a.integer_opt("hours").value_or(0);
            if (days < 0 || hours < 0 || days > 366 || hours > 10000)
                return make_error(Errc::BadValue, "培训天数或学时超出范围");
            Writes w;
            const auto& person = s.value().person;
            w.set(T::kDevelopmentCases, person, "training_days", days);
            w.set(T::kDevelopmentCases, person, "training_hours", hours);
            w.set(T::kDevelopmentCases, person, "training_cert_no", a.text_or("cert_no", ""));
            record_step(w, person, s.value().branch, 11, s.value().on, cmd, cc.principal, {});
            return std::move(w.list());
        });
    // Step 13: 上级党委预审 (the college committee).
    add_org_command(
        ctx, "dev", "pre_review",
        [](const CommandContext& cc, const Args& a, const protocol::Change& cmd) -> Out {
            auto s = subject(cc, a, false);
            if (!s) return s.error();
            if (s.value().actor != ActorRole::CollegeCommittee)
                return make_error(Errc::Forbidden, "预审由上级党委（院系党委）进行");
            Rows rows(cc.txn);
            if (load_case(rows, s.value().person).status != MemberStatus::Candidate)
                return make_error(Errc::RuleViolation, "只有发展对象需要预审（第13步）");
            Writes w;
            w.set_date(T::kDevelopmentCases, s.value().person, "pre_review_on", s.value().on);
            record_step(w, s.value().person, s.value().branch, 13, s.value().on, cmd, cc.principal,
                        {});
            return std::move(w.list());
        });
    // The steps that record a fact without changing status (备案, 培养联系人, 志愿书, 宣誓 …):
    // by the step's actor, in the step's stage.
    add_org_command(
        ctx, "dev", "step",
        [](const CommandContext& cc, const Args& a, const protocol::Change& cmd) -> Out {
            auto s = subject(cc, a, true);
            if (!s) return s.error();
            auto no = a.integer("step_no");
            if (!no) return no.error();
            static constexpr int kRecordOnly[] = {4, 5, 8, 12, 14, 16, 18, 19, 20, 21, 22, 25};
            const int n = static_cast<int>(no.value());
            if (std::find(std::begin(kRecordOnly), std::end(kRecordOnly), n) ==
                std::end(kRecordOnly))
                return make_error(Errc::RuleViolation,
                                  "第" + std::to_string(n) + "步须使用专门的命令");
            const auto* step = zb::domain::development_step(n);
            const auto r = s.value().actor;
            bool allowed = false;
            switch (step->actor) {
                case zb::domain::StepActor::Applicant:
                    allowed = r == ActorRole::Applicant || officer_of_branch(r);
                    break;
                case zb::domain::StepActor::BranchCommittee:
                case zb::domain::StepActor::BranchGeneral:
                    allowed = officer_of_branch(r);
                    break;
                case zb::domain::StepActor::CollegeCommittee:
                case zb::domain::StepActor::OrgDepartment:
                    allowed = r == ActorRole::CollegeCommittee || r == ActorRole::UniversityOrgDept;
                    break;
            }
            if (!allowed)
                return make_error(Errc::Forbidden, std::string(zb::domain::display_name(r)) +
                                                       "不能办理第" + std::to_string(n) + "步");
            Rows rows(cc.txn);
            const auto st = load_case(rows, s.value().person).status;
            using zb::domain::DevStage;
            bool in_stage = false;
            switch (step->stage) {
                case DevStage::Application:
                    in_stage = st == MemberStatus::Applicant;
                    break;
                case DevStage::Activist:
                    in_stage = st == MemberStatus::Activist;
                    break;
                case DevStage::Candidate:
                    in_stage = st == MemberStatus::Candidate;
                    break;
                case DevStage::Admission:
                    in_stage = st == MemberStatus::Candidate || st == MemberStatus::Probationary;
                    break;
                case DevStage::Probation:
                    in_stage = st == MemberStatus::Probationary || st == MemberStatus::Full;
                    break;
            }
            if (!in_stage)
                return make_error(Errc::RuleViolation,
                                  "第" + std::to_string(n) + "步不属于当前阶段（" +
                                      std::string(zb::domain::display_name(st)) + "）");
            Writes w;
            record_step(w, s.value().person, s.value().branch, n, s.value().on, cmd, cc.principal,
                        a.text_or("opinion", ""));
            return std::move(w.list());
        });
}

void register_member_commands(ServerContext& ctx, std::shared_ptr<const OrgRules> /*rules*/) {
    // 停止党籍 / 恢复党籍 / 出党: decided by the 支部大会, approved by the upper 党委 [S24][S68];
    // so the approving principal is the college committee (or the organisation department).
    add_org_command(
        ctx, "member", "set_status",
        [](const CommandContext& cc, const Args& a, const protocol::Change& cmd) -> Out {
            auto s = subject(cc, a, false);
            if (!s) return s.error();
            const auto r = s.value().actor;
            if (r != ActorRole::CollegeCommittee && r != ActorRole::UniversityOrgDept)
                return make_error(Errc::Forbidden, "组织关系状态变更须经上级党委批准");
            auto to_text = a.text("to");
            if (!to_text) return to_text.error();
            auto to = zb::domain::status_from_code(to_text.value());
            if (!to) return make_error(Errc::BadValue, "未知状态: " + to_text.value());
            auto reason = a.text("reason");
            if (!reason) return make_error(Errc::BadValue, "状态变更须写明原因 (reason)");
            Rows rows(cc.txn);
            const auto from = load_case(rows, s.value().person).status;
            if (!zb::domain::membership_change_allowed(from, *to))
                return make_error(Errc::RuleViolation,
                                  "不能由" + std::string(zb::domain::display_name(from)) +
                                      "变更为" + std::string(zb::domain::display_name(*to)) +
                                      "（发展党员各环节须走发展程序）");
            Writes w;
            change_status(w, rows, s.value().person, s.value().branch, from, *to, s.value().on, cmd,
                          cc.principal, cc.now_ms);
            return std::move(w.list());
        });
}

}  // namespace zb::server::domain
