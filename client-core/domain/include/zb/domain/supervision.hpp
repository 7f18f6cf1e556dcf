// SPDX-License-Identifier: Apache-2.0
// Supervision (党建督导), domain.md §8.2/§9: a per-branch scorecard (meetings held vs due,
// attendance rate, study hours vs target, dues collection rate, development deadlines, inactivity)
// with red/yellow alerts by the thresholds of SupervisionPolicy, and roll-ups per college and for
// the university computed from branch scorecards (ratios of sums, never means of ratios).
#pragma once

#include "zb/domain/date.hpp"
#include "zb/domain/policy.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace zb::domain {

enum class Severity : std::uint8_t { Green = 0, Yellow = 1, Red = 2 };
std::string_view display_name(Severity s);

/// Raw figures for one branch over one period (computed by the server from the other rules).
struct BranchFigures {
    std::string org_id;
    std::string college_id;
    int meetings_due = 0;  ///< obligations due so far (compliance items ended or met)
    int meetings_met = 0;
    int attendance_expected = 0;  ///< sum over meetings of members who should attend
    int attendance_present = 0;
    std::int64_t study_seconds = 0;         ///< distinct-session study time of the branch's members
    std::int64_t study_target_seconds = 0;  ///< target prorated to the date
    Fen dues_expected_fen = 0;
    Fen dues_collected_fen = 0;
    int development_items = 0;  ///< deadlines that fell due
    int development_overdue = 0;
    int days_since_activity = 0;
};

enum class Indicator : std::uint8_t {
    Meetings = 0,
    Attendance = 1,
    Study = 2,
    Dues = 3,
    Development = 4,
    Inactivity = 5,
};
std::string_view code(Indicator i);

struct ScorecardAlert {
    Indicator indicator = Indicator::Meetings;
    Severity severity = Severity::Yellow;
};

struct Scorecard {
    BranchFigures figures;
    int meetings_permille = 1000;    ///< met / due
    int attendance_permille = 1000;  ///< present / expected
    int study_permille = 1000;       ///< study / target (capped at 1000)
    int dues_permille = 1000;        ///< collected / expected (capped at 1000)
    std::vector<ScorecardAlert> alerts;
    Severity overall = Severity::Green;  ///< worst alert
};

/// Permille of a / b, rounded down, 1000 when nothing was due (b == 0), capped at 1000.
int permille(std::int64_t a, std::int64_t b);

Scorecard branch_scorecard(const BranchFigures& f, const SupervisionPolicy& p);

struct Rollup {
    std::string key;  ///< college id, or "university"
    int branches = 0;
    int red_branches = 0;
    int yellow_branches = 0;
    /// Aggregated figures (sums) and their rates; alerts recomputed on the sums.
    Scorecard totals;
};

/// Per-college roll-ups (keyed by college_id) and the university roll-up, from branch scorecards.
std::map<std::string, Rollup> rollup_by_college(const std::vector<Scorecard>& branches,
                                                const SupervisionPolicy& p);
Rollup rollup_university(const std::vector<Scorecard>& branches, const SupervisionPolicy& p);

}  // namespace zb::domain
