// SPDX-License-Identifier: Apache-2.0
// Branch scorecards and roll-ups. Thresholds come from SupervisionPolicy (red/yellow practice
// [S88][S100]; numbers ANALYSIS and configurable).

#include "zb/domain/supervision.hpp"

#include <algorithm>

namespace zb::domain {

std::string_view display_name(Severity s) {
    switch (s) {
        case Severity::Green:
            return "绿";
        case Severity::Yellow:
            return "黄色预警";
        case Severity::Red:
            return "红色预警";
    }
    return "?";
}

std::string_view code(Indicator i) {
    switch (i) {
        case Indicator::Meetings:
            return "meetings";
        case Indicator::Attendance:
            return "attendance";
        case Indicator::Study:
            return "study";
        case Indicator::Dues:
            return "dues";
        case Indicator::Development:
            return "development";
        case Indicator::Inactivity:
            return "inactivity";
    }
    return "?";
}

int permille(std::int64_t a, std::int64_t b) {
    if (b <= 0) return 1000;
    if (a <= 0) return 0;
    return static_cast<int>(std::min<std::int64_t>(1000, a * 1000 / b));
}

namespace {

void rate_alert(Scorecard& s, Indicator i, int value, int yellow_below, int red_below) {
    if (value < red_below)
        s.alerts.push_back({i, Severity::Red});
    else if (value < yellow_below)
        s.alerts.push_back({i, Severity::Yellow});
}

void count_alert(Scorecard& s, Indicator i, std::int64_t value, std::int64_t yellow_at,
                 std::int64_t red_at) {
    if (value >= red_at)
        s.alerts.push_back({i, Severity::Red});
    else if (value >= yellow_at)
        s.alerts.push_back({i, Severity::Yellow});
}

void add(BranchFigures& t, const BranchFigures& f) {
    t.meetings_due += f.meetings_due;
    t.meetings_met += f.meetings_met;
    t.attendance_expected += f.attendance_expected;
    t.attendance_present += f.attendance_present;
    t.study_seconds += f.study_seconds;
    t.study_target_seconds += f.study_target_seconds;
    t.dues_expected_fen += f.dues_expected_fen;
    t.dues_collected_fen += f.dues_collected_fen;
    t.development_items += f.development_items;
    t.development_overdue += f.development_overdue;
    // A unit is as active as its most recently active branch; the stale branches show up in the
    // red/yellow branch counts instead.
    t.days_since_activity = std::min(t.days_since_activity, f.days_since_activity);
}

Rollup make_rollup(std::string key, const std::vector<const Scorecard*>& cards,
                   const SupervisionPolicy& p) {
    Rollup r;
    r.key = std::move(key);
    BranchFigures sum;
    bool first = true;
    for (const Scorecard* c : cards) {
        ++r.branches;
        if (c->overall == Severity::Red)
            ++r.red_branches;
        else if (c->overall == Severity::Yellow)
            ++r.yellow_branches;
        if (first) {
            sum = c->figures;
            first = false;
        } else {
            add(sum, c->figures);
        }
    }
    sum.org_id = r.key;
    r.totals = branch_scorecard(sum, p);
    return r;
}

}  // namespace

Scorecard branch_scorecard(const BranchFigures& f, const SupervisionPolicy& p) {
    Scorecard s;
    s.figures = f;
    s.meetings_permille = permille(f.meetings_met, f.meetings_due);
    s.attendance_permille = permille(f.attendance_present, f.attendance_expected);
    s.study_permille = permille(f.study_seconds, f.study_target_seconds);
    s.dues_permille = permille(f.dues_collected_fen, f.dues_expected_fen);
    rate_alert(s, Indicator::Meetings, s.meetings_permille, p.meetings_yellow_permille,
               p.meetings_red_permille);
    rate_alert(s, Indicator::Attendance, s.attendance_permille, p.attendance_yellow_permille,
               p.attendance_red_permille);
    rate_alert(s, Indicator::Study, s.study_permille, p.study_yellow_permille,
               p.study_red_permille);
    rate_alert(s, Indicator::Dues, s.dues_permille, p.dues_yellow_permille, p.dues_red_permille);
    count_alert(s, Indicator::Development, f.development_overdue, p.development_overdue_yellow,
                p.development_overdue_red);
    // 30 days without activity → yellow (彭山 e支部 [S88]).
    count_alert(s, Indicator::Inactivity, f.days_since_activity, p.inactivity_yellow_days,
                p.inactivity_red_days);
    for (const auto& a : s.alerts)
        s.overall = std::max(s.overall, a.severity);
    return s;
}

std::map<std::string, Rollup> rollup_by_college(const std::vector<Scorecard>& branches,
                                                const SupervisionPolicy& p) {
    std::map<std::string, std::vector<const Scorecard*>> groups;
    for (const auto& b : branches)
        groups[b.figures.college_id].push_back(&b);
    std::map<std::string, Rollup> out;
    for (const auto& [college, cards] : groups)
        out.emplace(college, make_rollup(college, cards, p));
    return out;
}

Rollup rollup_university(const std::vector<Scorecard>& branches, const SupervisionPolicy& p) {
    std::vector<const Scorecard*> cards;
    for (const auto& b : branches)
        cards.push_back(&b);
    return make_rollup("university", cards, p);
}

}  // namespace zb::domain
