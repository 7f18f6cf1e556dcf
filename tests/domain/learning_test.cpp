// SPDX-License-Identifier: Apache-2.0
// Learning and points (domain.md §3, §9, §12.1.6): distinct-session study time, 学时 per CST year
// against 32 (56 for leaders), and points with per-action daily caps, minimum dwell, time-based
// actions, the daily maximum, replay dedupe and server receipt days.

#include "zb/domain/learning.hpp"

#include <catch2/catch.hpp>

using namespace zb::domain;

namespace {

std::int64_t cst_ms(int y, int m, int d, int hour, int minute = 0) {
    return Date::ymd(y, m, d).start_unix_ms_cst() + (hour * 60LL + minute) * 60 * 1000;
}

int total_for(const std::vector<PointsEntry>& entries, const std::string& person, Date day) {
    int sum = 0;
    for (const auto& e : entries)
        if (e.person_id == person && e.day == day) sum += e.delta;
    return sum;
}

}  // namespace

TEST_CASE("learning: study time is the sum of distinct sessions", "[domain][learning]") {
    const std::int64_t t = cst_ms(2025, 3, 1, 9);
    std::vector<StudySession> s = {
        {"s1", "p", "c1", 600, t},
        {"s1", "p", "c1", 600, t + 1000},  // the same session synced again
        {"s2", "p", "c2", 300, t},
        {"s1", "p", "c1", 900, t + 2000},  // a longer copy of s1 wins (max)
    };
    CHECK(distinct_study_seconds(s) == 1200);  // 900 + 300
    CHECK(distinct_study_seconds({}) == 0);
    CHECK(merge_progress(400, 700) == 700);
    CHECK(merge_progress(700, 400) == 700);
}

TEST_CASE("learning: 学时 per year against the target", "[domain][learning]") {
    LearningPolicy p;  // 1 学时 = 45 min = 2700 s; 32 学时 = 86400 s
    const std::int64_t t = cst_ms(2025, 5, 1, 9);
    std::vector<StudySession> s = {{"a", "p", "c", 86399, t}};
    auto y = study_year(s, "p", 2025, false, p);
    CHECK(y.target_seconds == 86400);
    CHECK_FALSE(y.target_met);
    CHECK(y.hours_tenths == 319);  // 86399 × 10 / 2700 = 319.99 → 319
    s.push_back({"b", "p", "c", 1, t});
    y = study_year(s, "p", 2025, false, p);
    CHECK(y.target_met);
    CHECK(y.hours_tenths == 320);
    s.push_back({"b", "p", "c", 1, t});  // replayed: still met, not more
    CHECK(study_year(s, "p", 2025, false, p).seconds == 86400);
    // Leaders: 56 学时 = 151200 s.
    CHECK(study_year(s, "p", 2025, true, p).target_seconds == 151200);
    CHECK_FALSE(study_year(s, "p", 2025, true, p).target_met);
    // Other people's sessions do not count.
    CHECK(study_year(s, "q", 2025, false, p).seconds == 0);
    // The year is the CST year of server receipt: 2026-01-01 00:10 CST is still 2025 in UTC.
    std::vector<StudySession> edge = {{"x", "p", "c", 100, cst_ms(2025, 12, 31, 23, 30)},
                                      {"y", "p", "c", 200, cst_ms(2026, 1, 1, 0, 10)}};
    CHECK(study_year(edge, "p", 2025, false, p).seconds == 100);
    CHECK(study_year(edge, "p", 2026, false, p).seconds == 200);
}

TEST_CASE("learning: points with caps, dwell and replay", "[domain][learning]") {
    LearningPolicy p;
    const Date day = Date::ymd(2025, 6, 3);
    const std::int64_t t = cst_ms(2025, 6, 3, 8);
    std::vector<PointsEvent> ev;
    ev.push_back({"l1", "p", "login", 0, t});
    ev.push_back({"l2", "p", "login", 0, t + 1});  // second login: cap 1
    for (int i = 0; i < 8; ++i)                    // 8 articles, cap 6
        ev.push_back({"a" + std::to_string(i), "p", "article", 60, t + 10 + i});
    auto entries = compute_points(ev, p);
    CHECK(total_for(entries, "p", day) == 7);  // 1 login + 6 articles

    // Minimum dwell of 30 s: 29 s earns nothing, 30 s earns 1.
    std::vector<PointsEvent> dwell = {{"d1", "q", "article", 29, t},
                                      {"d2", "q", "article", 30, t + 1}};
    entries = compute_points(dwell, p);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].event_id == "d2");

    // Time-based: 1 point per 240 s, cap 8. 1000 s → 4; again → 8; a third → 0.
    std::vector<PointsEvent> timed = {{"t1", "r", "article_time", 1000, t},
                                      {"t2", "r", "article_time", 1000, t + 1},
                                      {"t3", "r", "article_time", 1000, t + 2}};
    entries = compute_points(timed, p);
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].delta == 4);
    CHECK(entries[1].delta == 4);
    CHECK(total_for(entries, "r", day) == 8);

    // Replaying the same events (same ids) adds nothing.
    auto doubled = ev;
    doubled.insert(doubled.end(), ev.begin(), ev.end());
    CHECK(total_for(compute_points(doubled, p), "p", day) == 7);
    // Unknown actions earn nothing.
    CHECK(compute_points({{"u", "p", "teleport", 999, t}}, p).empty());
}

TEST_CASE("learning: daily maximum and server receipt days", "[domain][learning]") {
    LearningPolicy p;
    p.points_daily_max = 5;
    const std::int64_t t = cst_ms(2025, 6, 3, 8);
    std::vector<PointsEvent> ev = {{"l", "p", "login", 0, t}};
    for (int i = 0; i < 5; ++i)
        ev.push_back({"c" + std::to_string(i), "p", "comment", 0, t + 1 + i});
    auto entries = compute_points(ev, p);
    CHECK(total_for(entries, "p", Date::ymd(2025, 6, 3)) == 5);  // 1 + 4 comments, then the max
    CHECK(entries.size() == 5);

    // Caps are per SERVER day: comments received on two CST days get two caps of 5; the day
    // boundary is CST midnight (16:00 UTC).
    LearningPolicy q;
    std::vector<PointsEvent> two_days;
    for (int i = 0; i < 6; ++i)
        two_days.push_back(
            {"x" + std::to_string(i), "p", "comment", 0, cst_ms(2025, 6, 3, 23, 50) + i});
    for (int i = 0; i < 6; ++i)
        two_days.push_back(
            {"y" + std::to_string(i), "p", "comment", 0, cst_ms(2025, 6, 4, 0, 5) + i});
    entries = compute_points(two_days, q);
    CHECK(total_for(entries, "p", Date::ymd(2025, 6, 3)) == 5);
    CHECK(total_for(entries, "p", Date::ymd(2025, 6, 4)) == 5);
    auto by_day = points_by_person_day(entries);
    CHECK(by_day.size() == 2);
    // A different person has their own caps.
    two_days.push_back({"z", "other", "comment", 0, cst_ms(2025, 6, 3, 23, 55)});
    CHECK(total_for(compute_points(two_days, q), "other", Date::ymd(2025, 6, 3)) == 1);
}

TEST_CASE("learning: absurd dwell times stay within the caps", "[domain][learning]") {
    LearningPolicy p;
    const std::int64_t t = cst_ms(2025, 6, 3, 8);
    // 10^15 s of "video time" (a forged event) still earns at most the cap of 10.
    auto entries = compute_points({{"v", "p", "video_time", 1'000'000'000'000'000LL, t}}, p);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].delta == 10);
    // Negative dwell earns nothing for a dwell-gated action.
    CHECK(compute_points({{"n", "p", "article", -5, t}}, p).empty());
}
