// SPDX-License-Identifier: Apache-2.0
// Learning and points, domain.md §3 (≥ 32 学时/year [S102]), §9 and §12.1.6: study time is the sum
// of DISTINCT sessions (deduplicated by session id, so a replayed or restored device cannot count a
// session twice), progress merges by max, and points are computed on the server from events with
// per-action daily caps, a minimum dwell time and a daily maximum, using SERVER RECEIPT days.
#pragma once

#include "zb/domain/date.hpp"
#include "zb/domain/policy.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace zb::domain {

struct StudySession {
    std::string session_id;  ///< generated on the device; the dedupe key
    std::string person_id;
    std::string content_id;
    std::int64_t seconds = 0;
    std::int64_t server_receipt_ms = 0;  ///< decides the study year (CST)
};

/// Total seconds over distinct sessions (same id counted once; if replicas disagree about a
/// session's length, the larger value wins, matching the Max merge of a growing session).
std::int64_t distinct_study_seconds(const std::vector<StudySession>& sessions);

struct StudyYear {
    std::int64_t seconds = 0;
    std::int64_t target_seconds = 0;
    /// 学时 in tenths (e.g. 325 = 32.5 学时), rounded down.
    std::int64_t hours_tenths = 0;
    bool target_met = false;
};

/// 学时 of `person_id` in CST calendar year `year` against the annual target (32, or 56 for
/// secretaries and committee members when `leader` is true).
StudyYear study_year(const std::vector<StudySession>& sessions, const std::string& person_id,
                     int year, bool leader, const LearningPolicy& p);

/// Progress merges monotonically: the larger of two progress values (permille).
inline int merge_progress(int a, int b) {
    return a > b ? a : b;
}

struct PointsEvent {
    std::string event_id;  ///< dedupe key (replays carry the same id)
    std::string person_id;
    std::string action;  ///< matches PointsRule::action
    std::int64_t dwell_seconds = 0;
    std::int64_t server_receipt_ms = 0;  ///< the day is the server's, never the device's
};

struct PointsEntry {
    std::string person_id;
    std::string event_id;
    std::string action;
    Date day;
    int delta = 0;
};

/// Points entries for events (unknown actions, duplicates, too-short dwell and capped events earn
/// nothing and produce no entry). Deterministic: events are processed in (receipt time, id) order.
std::vector<PointsEntry> compute_points(const std::vector<PointsEvent>& events,
                                        const LearningPolicy& p);

/// Total per person per day from entries.
std::map<std::pair<std::string, std::int64_t>, int> points_by_person_day(
    const std::vector<PointsEntry>& entries);

}  // namespace zb::domain
