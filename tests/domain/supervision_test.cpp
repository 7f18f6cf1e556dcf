// SPDX-License-Identifier: Apache-2.0
// Supervision scorecards (domain.md §8.2/§9 督导): each indicator exactly at and just below its
// yellow and red thresholds, the overall severity, and college/university roll-ups computed as
// ratios of summed figures.

#include "zb/domain/supervision.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace zb::domain;

namespace {

const SupervisionPolicy kP{};

BranchFigures healthy(std::string org = "b1", std::string college = "c1") {
    BranchFigures f;
    f.org_id = std::move(org);
    f.college_id = std::move(college);
    f.meetings_due = 10;
    f.meetings_met = 10;
    f.attendance_expected = 100;
    f.attendance_present = 90;
    f.study_seconds = 1000;
    f.study_target_seconds = 1000;
    f.dues_expected_fen = 10000;
    f.dues_collected_fen = 10000;
    f.development_items = 4;
    f.development_overdue = 0;
    f.days_since_activity = 3;
    return f;
}

Severity severity_of(const Scorecard& s, Indicator i) {
    auto it = std::find_if(s.alerts.begin(), s.alerts.end(),
                           [&](const ScorecardAlert& a) { return a.indicator == i; });
    return it == s.alerts.end() ? Severity::Green : it->severity;
}

}  // namespace

TEST_CASE("supervision: permille", "[domain][supervision]") {
    CHECK(permille(0, 0) == 1000);  // nothing due → fully compliant
    CHECK(permille(5, 10) == 500);
    CHECK(permille(2, 3) == 666);     // rounded down
    CHECK(permille(12, 10) == 1000);  // capped
    CHECK(permille(0, 10) == 0);
}

TEST_CASE("supervision: a healthy branch is green", "[domain][supervision]") {
    auto s = branch_scorecard(healthy(), kP);
    CHECK(s.alerts.empty());
    CHECK(s.overall == Severity::Green);
    CHECK(s.attendance_permille == 900);
}

TEST_CASE("supervision: thresholds at their boundaries", "[domain][supervision]") {
    auto f = healthy();
    // Meetings: 1000‰ green; 9/10 = 900 yellow; 6/10 = 600 yellow; 5/10 = 500 red.
    f.meetings_met = 9;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Meetings) == Severity::Yellow);
    f.meetings_met = 6;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Meetings) == Severity::Yellow);
    f.meetings_met = 5;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Meetings) == Severity::Red);
    f = healthy();
    // Attendance: 80 % green, 79 % yellow, 60 % yellow, 59 % red.
    f.attendance_present = 80;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Attendance) == Severity::Green);
    f.attendance_present = 79;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Attendance) == Severity::Yellow);
    f.attendance_present = 60;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Attendance) == Severity::Yellow);
    f.attendance_present = 59;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Attendance) == Severity::Red);
    f = healthy();
    // Study vs prorated target: 800‰ green, 799 yellow, 500 yellow, 499 red.
    f.study_seconds = 800;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Study) == Severity::Green);
    f.study_seconds = 799;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Study) == Severity::Yellow);
    f.study_seconds = 500;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Study) == Severity::Yellow);
    f.study_seconds = 499;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Study) == Severity::Red);
    f = healthy();
    // Dues: 95 % green, 94.99 % yellow, 80 % yellow, 79.99 % red.
    f.dues_collected_fen = 9500;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Dues) == Severity::Green);
    f.dues_collected_fen = 9499;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Dues) == Severity::Yellow);
    f.dues_collected_fen = 8000;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Dues) == Severity::Yellow);
    f.dues_collected_fen = 7999;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Dues) == Severity::Red);
    f = healthy();
    // Development: 0 overdue green, 1 and 2 yellow, 3 red.
    f.development_overdue = 1;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Development) == Severity::Yellow);
    f.development_overdue = 2;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Development) == Severity::Yellow);
    f.development_overdue = 3;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Development) == Severity::Red);
    f = healthy();
    // Inactivity: 29 days green, 30 yellow [S88], 59 yellow, 60 red.
    f.days_since_activity = 29;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Inactivity) == Severity::Green);
    f.days_since_activity = 30;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Inactivity) == Severity::Yellow);
    f.days_since_activity = 59;
    CHECK(severity_of(branch_scorecard(f, kP), Indicator::Inactivity) == Severity::Yellow);
    f.days_since_activity = 60;
    auto s = branch_scorecard(f, kP);
    CHECK(severity_of(s, Indicator::Inactivity) == Severity::Red);
    CHECK(s.overall == Severity::Red);
}

TEST_CASE("supervision: roll-ups per college and university", "[domain][supervision]") {
    auto a1 = healthy("a1", "A");
    auto a2 = healthy("a2", "A");
    a2.meetings_due = 2;
    a2.meetings_met = 0;         // 0‰ → red branch
    a2.attendance_present = 10;  // 10 %
    a2.days_since_activity = 40;
    auto b1 = healthy("b1", "B");
    b1.dues_collected_fen = 9000;  // 90 % → yellow branch
    std::vector<Scorecard> cards = {branch_scorecard(a1, kP), branch_scorecard(a2, kP),
                                    branch_scorecard(b1, kP)};
    auto colleges = rollup_by_college(cards, kP);
    REQUIRE(colleges.size() == 2);
    const Rollup& A = colleges.at("A");
    CHECK(A.branches == 2);
    CHECK(A.red_branches == 1);
    CHECK(A.yellow_branches == 0);
    // Ratio of sums: meetings 10/12 = 833‰ (yellow), attendance 100/200 = 500‰ (red) — not the
    // mean of 1000 and 0 (= 500) for meetings.
    CHECK(A.totals.meetings_permille == 833);
    CHECK(A.totals.attendance_permille == 500);
    CHECK(severity_of(A.totals, Indicator::Meetings) == Severity::Yellow);
    CHECK(severity_of(A.totals, Indicator::Attendance) == Severity::Red);
    CHECK(A.totals.figures.days_since_activity == 3);  // the most recently active branch
    const Rollup& B = colleges.at("B");
    CHECK(B.yellow_branches == 1);
    CHECK(B.totals.dues_permille == 900);
    auto u = rollup_university(cards, kP);
    CHECK(u.key == "university");
    CHECK(u.branches == 3);
    CHECK(u.red_branches == 1);
    CHECK(u.yellow_branches == 1);
    // Dues: (10000 + 10000 + 9000) / 30000 = 966‰ → green.
    CHECK(u.totals.dues_permille == 966);
    CHECK(severity_of(u.totals, Indicator::Dues) == Severity::Green);
    CHECK(u.totals.figures.meetings_due == 22);
    CHECK(u.totals.figures.meetings_met == 20);
}
