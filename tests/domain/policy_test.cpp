// SPDX-License-Identifier: Apache-2.0
// UniversityPolicy: the defaults from domain.md, partial JSON overrides, frequency merging, range
// and type errors refused at load time, and a JSON round trip.

#include "zb/domain/policy.hpp"

#include "zb/domain/dues.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace zb::domain;
using nlohmann::json;

TEST_CASE("policy: defaults follow domain.md", "[domain][policy]") {
    const auto p = UniversityPolicy::defaults();
    CHECK(p.dues.rounding_unit_fen == 1);
    CHECK(p.dues.rounding == Rounding::HalfUp);
    CHECK(p.dues.student_monthly_fen == 20);
    CHECK(p.dues.arrears_warning_months == 3);
    CHECK(p.dues.arrears_case_months == 6);
    CHECK(p.dues.max_back_pay_months == 6);
    CHECK(p.development.publicity_working_days == 5);
    CHECK(p.development.probation_months == 12);
    CHECK(p.development.extension_min_months == 6);
    CHECK(p.development.extension_max_months == 12);
    CHECK(p.mobility.letter_validity_days == 90);
    CHECK(p.mobility.abroad_limit_years == 5);
    CHECK(p.learning.annual_hours_target == 32);
    CHECK(p.learning.points_daily_max == 52);
    CHECK(p.org_life.frequencies.size() == 8);
    CHECK(p.frequencies_for(BranchKind::Teacher).size() == 8);
}

TEST_CASE("policy: JSON overrides keep the other defaults", "[domain][policy]") {
    const json j = json::parse(R"({
        "name": "某大学",
        "dues": {"rounding_unit_fen": 10, "rounding": "down", "graduate": "stipend_bracket"},
        "development": {"publicity_working_days": 7},
        "mobility": {"letter_validity_days": 30, "undecided_graduates_to_origin": true},
        "org_life": {"frequencies": [
            {"type": "party_lecture", "period": "half_year", "min_count": 2},
            {"type": "theme_day", "period": "month", "min_count": 0, "branch_kind": "retired"}
        ]},
        "learning": {"points_rules": [{"action": "login", "points": 1, "daily_cap": 1}]},
        "unknown_key": 1
    })");
    const auto p = UniversityPolicy::from_json(j);
    CHECK(p.name == "某大学");
    CHECK(p.dues.rounding_unit_fen == 10);
    CHECK(p.dues.rounding == Rounding::Down);
    CHECK(p.dues.graduate == GraduateDues::StipendBracket);
    CHECK(p.dues.student_monthly_fen == 20);  // untouched default
    CHECK(p.development.publicity_working_days == 7);
    CHECK(p.development.talk_within_months == 1);
    CHECK(p.mobility.letter_validity_days == 30);
    CHECK(p.mobility.undecided_graduates_to_origin);
    // 党课 rule replaced in place; a retired-branch rule added → 9 rules.
    CHECK(p.org_life.frequencies.size() == 9);
    auto retired = p.frequencies_for(BranchKind::Retired);
    CHECK(retired.size() == 8);
    for (const auto& f : retired) {
        if (f.type == MeetingType::PartyLecture)
            CHECK((f.period == PeriodKind::HalfYear && f.min_count == 2));
        if (f.type == MeetingType::ThemeDay) CHECK(f.min_count == 0);
    }
    CHECK(p.learning.points_rules.size() == 1);
    // The configured rounding is what the dues rule uses: 3333.33 × 1 % = 33.3333 → 33.30.
    CHECK(monthly_dues(DuesProfile{DuesCategory::Employed, 333333, std::nullopt, {}}, p.dues) ==
          3330);
    // Graduate on a 3500 stipend: 35.00 under stipend brackets.
    CHECK(monthly_dues(DuesProfile{DuesCategory::Graduate, 350000, std::nullopt, {}}, p.dues) ==
          3500);
}

TEST_CASE("policy: bad configurations are refused", "[domain][policy]") {
    CHECK_THROWS_AS(UniversityPolicy::from_json(json::array()), std::invalid_argument);
    CHECK_THROWS_AS(UniversityPolicy::from_json(json{{"dues", {{"rounding", "bankers"}}}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(UniversityPolicy::from_json(json{{"dues", {{"rounding_unit_fen", 0}}}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(UniversityPolicy::from_json(json{{"dues", {{"rounding_unit_fen", "10"}}}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(
        UniversityPolicy::from_json(
            json{{"development", {{"extension_min_months", 12}, {"extension_max_months", 6}}}}),
        std::invalid_argument);
    CHECK_THROWS_AS(UniversityPolicy::from_json(json{{"dues", {{"arrears_warning_months", 7}}}}),
                    std::invalid_argument);  // warning after the 6-month case
    CHECK_THROWS_AS(UniversityPolicy::from_json(json{{"dues", {{"farmer_monthly_fen", 150}}}}),
                    std::invalid_argument);  // 农民 0.2–1 元 [S22]
    CHECK_THROWS_AS(
        UniversityPolicy::from_json(json::parse(
            R"({"org_life": {"frequencies": [{"type": "picnic", "period": "month"}]}})")),
        std::invalid_argument);
    CHECK_THROWS_AS(UniversityPolicy::from_json(json{{"learning", 5}}), std::invalid_argument);
    CHECK_NOTHROW(UniversityPolicy::from_json(json::object()));
}

TEST_CASE("policy: JSON round trip", "[domain][policy]") {
    auto p = UniversityPolicy::defaults();
    p.name = "测试大学";
    p.dues.rounding = Rounding::Up;
    p.org_life.frequencies.push_back(
        {MeetingType::PartyLecture, PeriodKind::HalfYear, 2, BranchKind::Teacher});
    const json once = p.to_json();
    const json twice = UniversityPolicy::from_json(once).to_json();
    CHECK(once == twice);
    CHECK(once["dues"]["rounding"] == "up");
}
