// SPDX-License-Identifier: Apache-2.0
// Supervision and 舆情 computed from synced data (domain.md §8.2, §9 数据监测 and 有效性分析 rows):
//  * per branch and CST year to date: the compliance calendar (orglife.hpp) gives meetings due and
//    met; attendance, study time against the target prorated to the day, dues collected against
//    the profiles, development deadlines and days since the last meeting make the scorecard
//    (supervision.hpp); red/yellow alerts for its indicators and one yellow alert per overdue
//    obligation; roll-ups per college and for the university are ratios of sums;
//  * comments and 公示 feedback are aggregated per org unit (the branch and each ancestor) and
//    month of server receipt, without identities, with a spike alert per topic.
// Alerts this run no longer raises are resolved (resolved_at), and come back if raised again.
#include "life_support.hpp"

#include "zb/domain/opinion.hpp"
#include "zb/domain/organization.hpp"
#include "zb/domain/orglife.hpp"
#include "zb/domain/supervision.hpp"
#include "zb/domain/tables.hpp"
#include "zb/server/domain/life.hpp"
#include "zb/server/domain/register.hpp"
#include "zb/server/ingest.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <stdexcept>

namespace zb::server::domain {

namespace T = zb::domain::tables;
using protocol::Errc;
using protocol::make_error;
using protocol::Result;
using zb::domain::ComplianceState;
using zb::domain::MeetingState;
using zb::domain::Severity;

namespace life {

namespace {

std::string severity_code(Severity s) {
    switch (s) {
        case Severity::Green:
            return "green";
        case Severity::Yellow:
            return "yellow";
        case Severity::Red:
            return "red";
    }
    return "green";
}

MeetingState meeting_state(std::string_view s) {
    if (s == "held") return MeetingState::Held;
    if (s == "submitted") return MeetingState::Submitted;
    if (s == "approved") return MeetingState::Approved;
    if (s == "rejected") return MeetingState::Rejected;
    return MeetingState::Draft;
}

/// A date from "YYYY-MM-DD" text or a millisecond timestamp.
std::optional<Date> date_of(Rows& rows, std::string_view table, std::string_view row,
                            std::string_view column) {
    if (auto d = rows.date(table, row, column)) return d;
    if (auto ms = as_int(rows.get(table, row, column))) return Date::from_unix_ms_cst(*ms);
    return std::nullopt;
}

/// The alerts a run raises; everything else of ours still open gets resolved.
class AlertSet {
public:
    void raise(ChangedWrites& w, StoreTxn& txn, const std::string& id, const std::string& org,
               const std::string& rule, const std::string& severity, const std::string& period,
               std::uint64_t now) {
        raised_.insert(id);
        w.set(T::kAlerts, id, "org", org);
        w.set(T::kAlerts, id, "subject_org", org);
        w.set(T::kAlerts, id, "person_id", std::string());  // aggregates name nobody
        w.set(T::kAlerts, id, "rule_code", rule);
        w.set(T::kAlerts, id, "severity", severity);
        w.set(T::kAlerts, id, "period_key", period);
        auto raised_at = txn.state().cell(T::kAlerts, id, "raised_at");
        auto resolved = txn.state().cell(T::kAlerts, id, "resolved_at");
        if (!raised_at || raised_at->value.index() == 0 ||
            (resolved && resolved->value.index() != 0))
            w.set(T::kAlerts, id, "raised_at", static_cast<std::int64_t>(now));
        w.set(T::kAlerts, id, "resolved_at", protocol::Value{});
    }
    void resolve_rest(ChangedWrites& w, AnalyticsInput const& in, const std::string& prefix) {
        Rows rows(in.txn);
        for (const auto& id : live_row_ids(in.ctx, in.txn, T::kAlerts)) {
            if (id.rfind(prefix, 0) != 0 || raised_.count(id)) continue;
            if (!rows.get(T::kAlerts, id, "resolved_at"))
                w.set(T::kAlerts, id, "resolved_at", static_cast<std::int64_t>(in.now_ms));
        }
    }

private:
    std::set<std::string> raised_;
};

void write_scorecard(ChangedWrites& w, const std::string& org, const std::string& level,
                     const std::string& period, const zb::domain::Scorecard& s, int branches,
                     int red, int yellow) {
    const std::string rid = org + "|" + period;
    const auto& f = s.figures;
    nlohmann::json figures{{"meetings_due", f.meetings_due},
                           {"meetings_met", f.meetings_met},
                           {"attendance_expected", f.attendance_expected},
                           {"attendance_present", f.attendance_present},
                           {"study_seconds", f.study_seconds},
                           {"study_target_seconds", f.study_target_seconds},
                           {"dues_expected_fen", f.dues_expected_fen},
                           {"dues_collected_fen", f.dues_collected_fen},
                           {"development_items", f.development_items},
                           {"development_overdue", f.development_overdue},
                           {"days_since_activity", f.days_since_activity}};
    w.set(T::kScorecards, rid, "org", org);
    w.set(T::kScorecards, rid, "level", level);
    w.set(T::kScorecards, rid, "period_key", period);
    w.set(T::kScorecards, rid, "figures", figures.dump());
    w.set(T::kScorecards, rid, "meetings_permille", std::int64_t{s.meetings_permille});
    w.set(T::kScorecards, rid, "attendance_permille", std::int64_t{s.attendance_permille});
    w.set(T::kScorecards, rid, "study_permille", std::int64_t{s.study_permille});
    w.set(T::kScorecards, rid, "dues_permille", std::int64_t{s.dues_permille});
    w.set(T::kScorecards, rid, "overall", severity_code(s.overall));
    w.set(T::kScorecards, rid, "branches", std::int64_t{branches});
    w.set(T::kScorecards, rid, "red_branches", std::int64_t{red});
    w.set(T::kScorecards, rid, "yellow_branches", std::int64_t{yellow});
}

}  // namespace

void supervision_analytics(const AnalyticsInput& in, ChangedWrites& w) {
    Rows rows(in.txn);
    const Date today = server_date(in.now_ms);
    const int year = today.year();
    const std::string period = std::to_string(year);
    const Date jan1 = Date::ymd(year, 1, 1);

    // The tree: branches with their college; groups mark branches that have 党小组.
    std::string university;
    std::map<std::string, std::string> college_of;
    std::set<std::string> with_groups;
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kOrganizations)) {
        const auto level = rows.text(T::kOrganizations, id, "level");
        if (level == "branch") college_of[id] = rows.text(T::kOrganizations, id, "parent_id");
        if (level == "group") with_groups.insert(rows.text(T::kOrganizations, id, "parent_id"));
        if (level == "university" && university.empty()) university = id;
    }
    if (university.empty()) university = "/";

    // Meetings by branch, with the server-assigned date.
    struct M {
        std::string id;
        zb::domain::HeldMeeting held;
    };
    std::map<std::string, std::vector<M>> meetings;
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kMeetings)) {
        auto type = zb::domain::meeting_type_from_string(rows.text(T::kMeetings, id, "type"));
        auto on = Date::parse(rows.text(T::kMeetings, id, "period_key"));
        if (!type || !on) continue;  // not yet dated by the server
        meetings[rows.text(T::kMeetings, id, "org")].push_back(
            {id, {*type, *on, meeting_state(rows.text(T::kMeetings, id, "state"))}});
    }
    const auto study = study_seconds_by_person(in, year);
    std::map<std::string, zb::domain::Fen> dues_expected, dues_collected;
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kDuesProfiles)) {
        if (as_int(rows.get(T::kDuesProfiles, id, "year")).value_or(year) != year) continue;
        // Owed for every month of the year so far (§4.2: monthly dues).
        dues_expected[rows.text(T::kDuesProfiles, id, "person_id")] +=
            as_int(rows.get(T::kDuesProfiles, id, "monthly_amount_fen")).value_or(0) *
            today.month();
    }
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kDuesPayments)) {
        auto paid = date_of(rows, T::kDuesPayments, id, "paid_at");
        if (!paid || paid->year() != year) continue;
        dues_collected[rows.text(T::kDuesPayments, id, "person_id")] +=
            as_int(rows.get(T::kDuesPayments, id, "amount_fen")).value_or(0);
    }
    std::map<std::string, std::pair<int, int>> development;  // person → (items, overdue)
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kDevelopmentSteps)) {
        auto due = date_of(rows, T::kDevelopmentSteps, id, "due_at");
        if (!due || today < *due) continue;
        auto& d = development[rows.text(T::kDevelopmentSteps, id, "person_id")];
        ++d.first;
        const bool done = rows.get(T::kDevelopmentSteps, id, "done_at").has_value() ||
                          rows.text(T::kDevelopmentSteps, id, "status") == "done";
        if (!done && *due < today) ++d.second;
    }

    const auto& hour_seconds = in.policy.learning.minutes_per_study_hour;
    const std::int64_t elapsed = today.days() - jan1.days() + 1;
    const std::int64_t year_days = Date::ymd(year, 12, 31).days() - jan1.days() + 1;
    AlertSet alerts;
    std::vector<zb::domain::Scorecard> cards;
    for (const auto& [branch, college] : college_of) {
        Roster roster = load_roster(rows, branch);
        zb::domain::BranchProfile profile;
        profile.kind =
            zb::domain::branch_kind_from_string(rows.text(T::kOrganizations, branch, "kind"))
                .value_or(zb::domain::BranchKind::Undergraduate);
        profile.has_committee = roster.full_count() >= 7;  // a 支委会 from 7 正式党员 [S8]
        profile.has_groups = with_groups.count(branch) > 0;
        profile.established_on = rows.date(T::kOrganizations, branch, "established_at");
        std::vector<zb::domain::HeldMeeting> held;
        for (const auto& m : meetings[branch])
            held.push_back(m.held);
        const auto calendar = zb::domain::compliance_calendar(profile, held, today, in.policy);

        zb::domain::BranchFigures f;
        f.org_id = branch;
        f.college_id = college;
        for (const auto& item : calendar) {
            if (item.state == ComplianceState::Open) continue;
            ++f.meetings_due;
            if (item.state == ComplianceState::Met) {
                ++f.meetings_met;
            } else {
                const std::string code(zb::domain::code(item.type));
                alerts.raise(w, in.txn, "due|" + branch + "|" + code + "|" + item.period.key,
                             branch, "orglife.overdue." + code, "yellow", item.period.key,
                             in.now_ms);
            }
        }
        std::int64_t latest = profile.established_on ? profile.established_on->days() : jan1.days();
        for (const auto& m : meetings[branch]) {
            if (m.held.state == MeetingState::Rejected || m.held.state == MeetingState::Draft)
                continue;
            latest = std::max(latest, m.held.held_on.days());
            if (m.held.held_on.year() != year ||
                m.held.type == zb::domain::MeetingType::HeartToHeartTalk)
                continue;
            for (const auto& [person, e] : roster.members) {
                if (!zb::domain::is_party_member(e.status)) continue;
                const std::string aid = m.id + "/" + person;
                const auto state = rows.text(T::kAttendance, aid, "state");
                if (state == "observer") continue;  // 列席 are not expected
                ++f.attendance_expected;
                if (state == "present") ++f.attendance_present;
            }
        }
        f.days_since_activity = static_cast<int>(std::max<std::int64_t>(0, today.days() - latest));
        for (const auto& [person, e] : roster.members) {
            if (auto it = development.find(person); it != development.end()) {
                f.development_items += it->second.first;
                f.development_overdue += it->second.second;
            }
            if (!zb::domain::is_party_member(e.status)) continue;
            if (auto it = study.find(person); it != study.end()) f.study_seconds += it->second;
            // The yearly target (32 学时 [S102]) prorated to the day.
            f.study_target_seconds += std::int64_t{in.policy.learning.annual_hours_target} *
                                      hour_seconds * 60 * elapsed / year_days;
            f.dues_expected_fen += dues_expected[person];
            f.dues_collected_fen += dues_collected[person];
        }
        auto card = zb::domain::branch_scorecard(f, in.policy.supervision);
        for (const auto& a : card.alerts) {
            const std::string ind(zb::domain::code(a.indicator));
            alerts.raise(w, in.txn, "sc|" + branch + "|" + ind + "|" + period, branch,
                         "scorecard." + ind, severity_code(a.severity), period, in.now_ms);
        }
        write_scorecard(w, branch, "branch", period, card, 1, card.overall == Severity::Red,
                        card.overall == Severity::Yellow);
        cards.push_back(std::move(card));
    }
    for (const auto& [college, r] : zb::domain::rollup_by_college(cards, in.policy.supervision))
        write_scorecard(w, college, "college", period, r.totals, r.branches, r.red_branches,
                        r.yellow_branches);
    if (!cards.empty()) {
        auto u = zb::domain::rollup_university(cards, in.policy.supervision);
        write_scorecard(w, university, "university", period, u.totals, u.branches, u.red_branches,
                        u.yellow_branches);
    }
    alerts.resolve_rest(w, in, "due|");
    alerts.resolve_rest(w, in, "sc|");
}

void opinion_analytics(const AnalyticsInput& in, ChangedWrites& w) {
    Rows rows(in.txn);
    std::vector<zb::domain::OpinionComment> texts;  // no author, no id: nothing to re-identify
    auto add = [&](std::string_view table, const std::string& id) {
        auto receipt = as_int(rows.get(table, id, "receipt_at"));
        const auto text = rows.text(table, id, "text");
        if (!receipt || text.empty()) return;
        const auto org = rows.text(table, id, "org");
        const auto period = month_key(static_cast<std::uint64_t>(*receipt));
        texts.push_back({org, period, text});
        for (auto& a : ancestors(org))
            texts.push_back({std::move(a), period, text});
    };
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kComments))
        add(T::kComments, id);
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kDisclosureFeedback))
        add(T::kDisclosureFeedback, id);
    const auto aggregates = zb::domain::aggregate_opinions(texts, in.policy.opinion);
    std::set<std::string> orgs;
    for (const auto& a : aggregates) {
        orgs.insert(a.org_id);
        const std::string rid = a.org_id + "|" + a.period_key;
        w.set(T::kOpinionAggregates, rid, "org", a.org_id);
        w.set(T::kOpinionAggregates, rid, "period_key", a.period_key);
        w.set(T::kOpinionAggregates, rid, "comments", std::int64_t{a.comments});
        w.set(T::kOpinionAggregates, rid, "suppressed", std::int64_t{a.suppressed ? 1 : 0});
        w.set(T::kOpinionAggregates, rid, "positive", std::int64_t{a.positive});
        w.set(T::kOpinionAggregates, rid, "negative", std::int64_t{a.negative});
        w.set(T::kOpinionAggregates, rid, "neutral", std::int64_t{a.neutral});
        w.set(T::kOpinionAggregates, rid, "net_permille", std::int64_t{a.net_permille});
        w.set(T::kOpinionAggregates, rid, "topic_counts", nlohmann::json(a.topic_counts).dump());
    }
    AlertSet alerts;
    for (const auto& org : orgs)
        for (const auto& t : zb::domain::builtin_topics())
            for (const auto& s :
                 zb::domain::topic_spikes(aggregates, org, t.code, in.policy.opinion))
                alerts.raise(w, in.txn, "op|" + org + "|" + t.code + "|" + s.period_key, org,
                             "opinion.spike." + t.code, "yellow", s.period_key, in.now_ms);
    alerts.resolve_rest(w, in, "op|");
}

}  // namespace life

std::vector<CommandWrite> analytics_writes(ServerContext& ctx, StoreTxn& txn,
                                           const zb::domain::UniversityPolicy& policy,
                                           std::uint64_t now_ms) {
    life::ChangedWrites w(txn);
    const life::AnalyticsInput in{ctx, txn, policy, now_ms};
    life::learning_analytics(in, w);
    life::supervision_analytics(in, w);
    life::opinion_analytics(in, w);
    life::disclosure_analytics(in, w);
    return std::move(w.list());
}

void recompute_analytics(ServerContext& ctx, std::uint64_t now_ms) {
    const auto policy = policy_from_config(ctx.config);
    auto txn = ctx.store->begin();
    write_server_changes(ctx, *txn, analytics_writes(ctx, *txn, policy, now_ms), now_ms);
    if (auto ok = txn->commit(); !ok)
        throw std::runtime_error("recompute_analytics: " + ok.error().message);
}

void register_analytics_life(ServerContext& ctx, const zb::domain::UniversityPolicy& policy) {
    // scorecards/recompute {} — run the analytics now, for the 组织部 or a college committee
    // that wants today's picture before the nightly job.
    auto pol = std::make_shared<const zb::domain::UniversityPolicy>(policy);
    ServerContext* c = &ctx;
    add_org_command(ctx, std::string(T::kScorecards), "recompute",
                    [pol, c](const CommandContext& cc, const Args&,
                             const protocol::Change&) -> Result<std::vector<CommandWrite>> {
                        if (cc.principal.role != Role::OrgDepartment &&
                            cc.principal.role != Role::CollegeCommittee)
                            return make_error(Errc::Forbidden, "只有组织部或院系党委可以重新计算");
                        return analytics_writes(*c, cc.txn, *pol, cc.now_ms);
                    });
}

}  // namespace zb::server::domain
