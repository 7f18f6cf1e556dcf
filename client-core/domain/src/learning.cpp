// SPDX-License-Identifier: Apache-2.0
// Study time and points (domain.md §3, §9, §12.1.6). Everything keys on ids and server receipt
// days, never device clocks.

#include "zb/domain/learning.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace zb::domain {

namespace {

std::map<std::string, const StudySession*> distinct(const std::vector<StudySession>& sessions) {
    std::map<std::string, const StudySession*> by_id;
    for (const auto& s : sessions) {
        auto [it, inserted] = by_id.emplace(s.session_id, &s);
        if (!inserted && s.seconds > it->second->seconds) it->second = &s;
    }
    return by_id;
}

}  // namespace

std::int64_t distinct_study_seconds(const std::vector<StudySession>& sessions) {
    std::int64_t total = 0;
    for (const auto& [id, s] : distinct(sessions))
        total += std::max<std::int64_t>(0, s->seconds);
    return total;
}

StudyYear study_year(const std::vector<StudySession>& sessions, const std::string& person_id,
                     int year, bool leader, const LearningPolicy& p) {
    StudyYear y;
    for (const auto& [id, s] : distinct(sessions)) {
        if (s->person_id != person_id) continue;
        if (Date::from_unix_ms_cst(s->server_receipt_ms).year() != year) continue;
        y.seconds += std::max<std::int64_t>(0, s->seconds);
    }
    const std::int64_t hour_seconds = std::int64_t{p.minutes_per_study_hour} * 60;
    // ≥ 32 学时/year [S102]; 书记/班子 ≥ 56 (GK).
    const int target = leader ? p.leader_annual_hours_target : p.annual_hours_target;
    y.target_seconds = std::int64_t{target} * hour_seconds;
    y.hours_tenths = y.seconds * 10 / hour_seconds;
    y.target_met = y.seconds >= y.target_seconds;
    return y;
}

std::vector<PointsEntry> compute_points(const std::vector<PointsEvent>& events,
                                        const LearningPolicy& p) {
    std::vector<const PointsEvent*> order;
    order.reserve(events.size());
    for (const auto& e : events)
        order.push_back(&e);
    std::sort(order.begin(), order.end(), [](const PointsEvent* a, const PointsEvent* b) {
        if (a->server_receipt_ms != b->server_receipt_ms)
            return a->server_receipt_ms < b->server_receipt_ms;
        return a->event_id < b->event_id;
    });
    std::set<std::string> seen;
    // (person, day, action) → points so far; (person, day) → total so far.
    std::map<std::tuple<std::string, std::int64_t, std::string>, int> per_action;
    std::map<std::pair<std::string, std::int64_t>, int> per_day;
    std::vector<PointsEntry> out;
    for (const PointsEvent* e : order) {
        if (!seen.insert(e->event_id).second) continue;  // replay: same id
        auto rule = std::find_if(p.points_rules.begin(), p.points_rules.end(),
                                 [&](const PointsRule& r) { return r.action == e->action; });
        if (rule == p.points_rules.end()) continue;
        if (e->dwell_seconds < rule->min_dwell_seconds) continue;  // minimum dwell [S90] pattern
        std::int64_t earned64 = rule->points;
        if (rule->per_seconds > 0)
            earned64 = std::int64_t{rule->points} *
                       (std::max<std::int64_t>(0, e->dwell_seconds) / rule->per_seconds);
        int earned = static_cast<int>(std::min<std::int64_t>(earned64, 1'000'000));
        const Date day = Date::from_unix_ms_cst(e->server_receipt_ms);
        int& action_sum = per_action[{e->person_id, day.days(), e->action}];
        int& day_sum = per_day[{e->person_id, day.days()}];
        if (rule->daily_cap > 0) earned = std::min(earned, rule->daily_cap - action_sum);
        if (p.points_daily_max > 0) earned = std::min(earned, p.points_daily_max - day_sum);
        if (earned <= 0) continue;
        action_sum += earned;
        day_sum += earned;
        out.push_back(PointsEntry{e->person_id, e->event_id, e->action, day, earned});
    }
    return out;
}

std::map<std::pair<std::string, std::int64_t>, int> points_by_person_day(
    const std::vector<PointsEntry>& entries) {
    std::map<std::pair<std::string, std::int64_t>, int> m;
    for (const auto& e : entries)
        m[{e.person_id, e.day.days()}] += e.delta;
    return m;
}

}  // namespace zb::domain
