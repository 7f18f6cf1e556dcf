// SPDX-License-Identifier: Apache-2.0
// Development (domain.md §5): the 25 steps as data, the talk deadline with end-of-month clamping,
// ≥ 1 year as activist, half-yearly assessments, admission prerequisites, the vote boundary
// (exactly half fails), approval within 3 months, probation and its single 6–12 month extension,
// 党龄 from 转正, roles, and the due-items engine.

#include "zb/domain/development.hpp"

#include <catch2/catch.hpp>

using namespace zb::domain;

namespace {

const DevelopmentPolicy kP{};

VoteTally passing(int entitled = 9) {
    return VoteTally{entitled, entitled, entitled / 2 + 1, 0, 0};
}

DevelopmentCase ready_candidate() {
    DevelopmentCase c;
    c.status = MemberStatus::Candidate;
    c.birth_date = Date::ymd(2003, 5, 1);
    c.applied_on = Date::ymd(2022, 10, 1);
    c.talked_on = Date::ymd(2022, 10, 20);
    c.activist_on = Date::ymd(2023, 3, 1);
    c.candidate_on = Date::ymd(2024, 3, 15);
    c.introducers = {{"m1", true, false}, {"m2", true, false}};
    c.political_review_on = Date::ymd(2024, 5, 1);
    c.political_review_passed = true;
    c.training = Training{3, 0};
    c.pre_review_on = Date::ymd(2025, 5, 20);
    return c;
}

DevelopmentCase probationary(Date since) {
    DevelopmentCase c = ready_candidate();
    c.status = MemberStatus::Probationary;
    c.probationary_on = since;
    c.admission_approved_on = since.plus_days(30);
    return c;
}

bool has_violation(const Verdict& v) {
    return !v.ok && !v.violations.empty();
}

}  // namespace

TEST_CASE("development: 25 steps in 5 stages", "[domain][development]") {
    const auto& steps = development_steps();
    REQUIRE(steps.size() == 25);
    int per_stage[6] = {};
    for (std::size_t i = 0; i < steps.size(); ++i) {
        CHECK(steps[i].no == static_cast<int>(i) + 1);
        CHECK_FALSE(steps[i].name.empty());
        ++per_stage[static_cast<int>(steps[i].stage)];
    }
    // Stages per [S40]: 2 + 4 + 5 + 7 + 7 = 25.
    CHECK(per_stage[1] == 2);
    CHECK(per_stage[2] == 4);
    CHECK(per_stage[3] == 5);
    CHECK(per_stage[4] == 7);
    CHECK(per_stage[5] == 7);
    CHECK(development_step(15)->actor == StepActor::BranchGeneral);
    CHECK(development_step(17)->actor == StepActor::CollegeCommittee);
    CHECK(development_step(2)->name == "党组织派人谈话");
    CHECK(development_step(0) == nullptr);
    CHECK(development_step(26) == nullptr);
}

TEST_CASE("development: vote passes only with more than half of entitled",
          "[domain][development]") {
    // Odd: 5 entitled → 2.5 is half → 3 needed.
    CHECK_FALSE(vote_passes({5, 5, 2, 3, 0}));
    CHECK(vote_passes({5, 5, 3, 2, 0}));
    // Even: 6 entitled → exactly 3 is half and fails; 4 passes.
    CHECK_FALSE(vote_passes({6, 6, 3, 3, 0}));
    CHECK(vote_passes({6, 6, 4, 2, 0}));
    // Of entitled, not of present: 10 entitled, 6 present, 5 yes (all present but one) → fails.
    CHECK_FALSE(vote_passes({10, 6, 5, 1, 0}));
    CHECK(vote_passes({10, 6, 6, 0, 0}));
    CHECK_FALSE(vote_passes({0, 0, 0, 0, 0}));
    CHECK(vote_consistent({6, 6, 4, 1, 1}));
    CHECK_FALSE(vote_consistent({6, 6, 4, 2, 1}));  // 7 ballots for 6 entitled
    CHECK_FALSE(vote_consistent({6, 7, 4, 0, 0}));  // more present than entitled
}

TEST_CASE("development: talk within 1 month, clamped at month end", "[domain][development]") {
    DevelopmentCase c;
    c.status = MemberStatus::Applicant;
    c.applied_on = Date::ymd(2025, 1, 31);  // + 1 month = 2025-02-28
    auto items = due_items(c, Date::ymd(2025, 2, 28), kP);
    REQUIRE(items.size() == 1);
    CHECK(items[0].code == "talk");
    CHECK(items[0].due == Date::ymd(2025, 2, 28));
    CHECK(items[0].state == DueState::DueSoon);
    CHECK(due_items(c, Date::ymd(2025, 3, 1), kP)[0].state == DueState::Overdue);
    CHECK(due_items(c, Date::ymd(2025, 2, 1), kP)[0].state == DueState::Upcoming);  // 27 days left

    DevCommand talk{CommandKind::RecordTalk, Date::ymd(2025, 2, 28), std::nullopt, 0};
    auto v = validate_transition(c, talk, ActorRole::BranchSecretary, Date::ymd(2025, 3, 5), kP);
    CHECK(v.ok);
    CHECK(v.warnings.empty());
    talk.effective_on = Date::ymd(2025, 3, 1);  // one day late: recorded, flagged
    v = validate_transition(c, talk, ActorRole::BranchSecretary, Date::ymd(2025, 3, 5), kP);
    CHECK(v.ok);
    CHECK(v.warnings.size() == 1);
    // Leap year: applied 2024-01-31 → due 2024-02-29.
    c.applied_on = Date::ymd(2024, 1, 31);
    CHECK(due_items(c, Date::ymd(2024, 2, 1), kP)[0].due == Date::ymd(2024, 2, 29));
    // A member (not an officer) cannot record the talk; a future date is refused.
    talk.effective_on = Date::ymd(2024, 2, 10);
    CHECK(
        has_violation(validate_transition(c, talk, ActorRole::Member, Date::ymd(2024, 3, 1), kP)));
    CHECK(has_violation(
        validate_transition(c, talk, ActorRole::BranchSecretary, Date::ymd(2024, 2, 9), kP)));
    c.talked_on = Date::ymd(2024, 2, 10);
    CHECK(due_items(c, Date::ymd(2024, 3, 1), kP).empty());
}

TEST_CASE("development: activist needs the talk and age 18", "[domain][development]") {
    DevelopmentCase c;
    c.status = MemberStatus::Applicant;
    c.birth_date = Date::ymd(2007, 6, 2);
    c.applied_on = Date::ymd(2025, 6, 1);  // 17 years old that day
    DevCommand cmd{CommandKind::ConfirmActivist, Date::ymd(2025, 9, 1), std::nullopt, 0};
    auto v = validate_transition(c, cmd, ActorRole::BranchCommittee, Date::ymd(2025, 9, 1), kP);
    CHECK_FALSE(v.ok);
    CHECK(v.violations.size() == 2);  // no talk yet, and under 18
    c.talked_on = Date::ymd(2025, 6, 20);
    c.applied_on = Date::ymd(2025, 6, 2);  // 18th birthday
    CHECK(validate_transition(c, cmd, ActorRole::BranchCommittee, Date::ymd(2025, 9, 1), kP).ok);
    c.birth_date.reset();
    CHECK(has_violation(
        validate_transition(c, cmd, ActorRole::BranchCommittee, Date::ymd(2025, 9, 1), kP)));
}

TEST_CASE("development: at least 1 year as activist, assessed every half year",
          "[domain][development]") {
    DevelopmentCase c;
    c.status = MemberStatus::Activist;
    c.activist_on = Date::ymd(2024, 3, 15);
    c.assessments = {Date::ymd(2024, 9, 15), Date::ymd(2025, 3, 14)};
    DevCommand cmd{CommandKind::ConfirmCandidate, Date::ymd(2025, 3, 14), std::nullopt, 0};
    const Date today = Date::ymd(2025, 4, 1);
    // One day short of a year: refused.
    CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchCommittee, today, kP)));
    // Exactly one year (2025-03-15), two half-yearly assessments: allowed.
    cmd.effective_on = Date::ymd(2025, 3, 15);
    CHECK(validate_transition(c, cmd, ActorRole::BranchCommittee, today, kP).ok);
    // Only one assessment in a year (2 needed): refused.
    c.assessments = {Date::ymd(2024, 9, 15)};
    auto v = validate_transition(c, cmd, ActorRole::BranchCommittee, today, kP);
    CHECK_FALSE(v.ok);
    CHECK(v.violations.size() == 1);
    // Activist since 29 Feb 2024: one year later is 28 Feb 2025 (clamped).
    c.activist_on = Date::ymd(2024, 2, 29);
    c.assessments = {Date::ymd(2024, 8, 29), Date::ymd(2025, 2, 27)};
    cmd.effective_on = Date::ymd(2025, 2, 28);
    CHECK(validate_transition(c, cmd, ActorRole::BranchCommittee, today, kP).ok);
    cmd.effective_on = Date::ymd(2025, 2, 27);
    CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchCommittee, today, kP)));
}

TEST_CASE("development: activist due items", "[domain][development]") {
    DevelopmentCase c;
    c.status = MemberStatus::Activist;
    c.activist_on = Date::ymd(2024, 3, 15);
    c.assessments = {Date::ymd(2024, 9, 10)};
    auto items = due_items(c, Date::ymd(2025, 3, 11), kP);
    REQUIRE(items.size() == 2);
    CHECK(items[0].code == "assessment");
    CHECK(items[0].due == Date::ymd(2025, 3, 10));  // last assessment + 6 months
    CHECK(items[0].state == DueState::Overdue);
    CHECK(items[1].code == "candidate_earliest");
    CHECK(items[1].due == Date::ymd(2025, 3, 15));
    CHECK(items[1].state == DueState::NotBefore);
}

TEST_CASE("development: admission prerequisites", "[domain][development]") {
    const Date today = Date::ymd(2025, 7, 1);
    DevCommand cmd{CommandKind::AdmitProbationary, Date::ymd(2025, 7, 1), passing(), 0};
    DevelopmentCase c = ready_candidate();
    CHECK(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP).ok);
    // Only the secretary records the 支部大会 decision.
    CHECK(has_violation(validate_transition(c, cmd, ActorRole::CollegeCommittee, today, kP)));

    SECTION("two full-member introducers") {
        c.introducers.pop_back();
        CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP)));
        c.introducers.push_back({"m3", false, false});  // a 预备党员 cannot introduce
        CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP)));
        c.introducers.back() = {"m3", true, true};  // under 留党察看
        CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP)));
    }
    SECTION("political review") {
        c.political_review_passed = false;
        CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP)));
    }
    SECTION("training: 3 days or 24 学时") {
        c.training = Training{2, 23};
        CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP)));
        c.training = Training{0, 24};
        CHECK(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP).ok);
        c.training = Training{3, 0};
        CHECK(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP).ok);
        c.training.reset();
        CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP)));
    }
    SECTION("leaving within 3 months") {
        c.expected_leave_on = Date::ymd(2025, 9, 30);  // before 2025-10-01
        CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP)));
        c.expected_leave_on = Date::ymd(2025, 10, 1);  // exactly 3 months: allowed
        CHECK(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP).ok);
    }
    SECTION("the vote") {
        cmd.vote = VoteTally{8, 8, 4, 4, 0};  // exactly half of 8
        auto v = validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP);
        CHECK_FALSE(v.ok);
        CHECK(v.message().find("半数") != std::string::npos);
        cmd.vote = VoteTally{8, 6, 5, 1, 0};  // 5 of 8 entitled
        CHECK(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP).ok);
        cmd.vote.reset();
        CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP)));
    }
    SECTION("pre-review and status") {
        c.pre_review_on.reset();
        CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP)));
        c = ready_candidate();
        c.status = MemberStatus::Activist;
        CHECK(has_violation(validate_transition(c, cmd, ActorRole::BranchSecretary, today, kP)));
    }
}

TEST_CASE("development: committee approval within 3 months", "[domain][development]") {
    DevelopmentCase c = probationary(Date::ymd(2025, 1, 31));
    c.admission_approved_on.reset();
    // 2025-01-31 + 3 months = 2025-04-30.
    auto items = due_items(c, Date::ymd(2025, 4, 30), kP);
    REQUIRE(items.size() == 1);
    CHECK(items[0].code == "admission_approval");
    CHECK(items[0].due == Date::ymd(2025, 4, 30));
    CHECK(items[0].state == DueState::DueSoon);
    CHECK(due_items(c, Date::ymd(2025, 5, 1), kP)[0].state == DueState::Overdue);
    DevCommand ok{CommandKind::ApproveAdmission, Date::ymd(2025, 4, 30), std::nullopt, 0};
    auto v = validate_transition(c, ok, ActorRole::CollegeCommittee, Date::ymd(2025, 5, 2), kP);
    CHECK(v.ok);
    CHECK(v.warnings.empty());
    DevCommand late{CommandKind::ApproveAdmission, Date::ymd(2025, 5, 1), std::nullopt, 0};
    v = validate_transition(c, late, ActorRole::CollegeCommittee, Date::ymd(2025, 5, 2), kP);
    CHECK(v.ok);
    CHECK(v.warnings.size() == 1);
    CHECK(has_violation(
        validate_transition(c, ok, ActorRole::BranchSecretary, Date::ymd(2025, 5, 2), kP)));
}

TEST_CASE("development: probation of 1 year and conversion", "[domain][development]") {
    DevelopmentCase c = probationary(Date::ymd(2024, 7, 1));
    CHECK(probation_end(c, kP) == Date::ymd(2025, 7, 1));
    DevCommand conv{CommandKind::ConvertToFull, Date::ymd(2025, 6, 30), passing(), 0};
    CHECK(has_violation(
        validate_transition(c, conv, ActorRole::BranchSecretary, Date::ymd(2025, 7, 2), kP)));
    conv.effective_on = Date::ymd(2025, 7, 1);
    CHECK(validate_transition(c, conv, ActorRole::BranchSecretary, Date::ymd(2025, 7, 2), kP).ok);
    conv.vote = VoteTally{6, 6, 3, 3, 0};
    CHECK(has_violation(
        validate_transition(c, conv, ActorRole::BranchSecretary, Date::ymd(2025, 7, 2), kP)));

    auto items = due_items(c, Date::ymd(2025, 6, 1), kP);
    REQUIRE(items.size() == 2);
    CHECK(items[0].code == "conversion_application");
    CHECK(items[0].due == Date::ymd(2025, 6, 1));  // 30 days before 2025-07-01
    CHECK(items[1].code == "probation_end");
    CHECK(items[1].due == Date::ymd(2025, 7, 1));

    // After the 支部大会 on 2025-07-10 the 党委 has until 2025-10-10.
    c.conversion_meeting_on = Date::ymd(2025, 7, 10);
    items = due_items(c, Date::ymd(2025, 10, 11), kP);
    REQUIRE(items.size() == 1);
    CHECK(items[0].code == "conversion_approval");
    CHECK(items[0].state == DueState::Overdue);
    DevCommand appr{CommandKind::ApproveConversion, Date::ymd(2025, 10, 10), std::nullopt, 0};
    auto v = validate_transition(c, appr, ActorRole::CollegeCommittee, Date::ymd(2025, 10, 10), kP);
    CHECK(v.ok);
    CHECK(v.warnings.empty());
}

TEST_CASE("development: probation extension once, 6 to 12 months", "[domain][development]") {
    DevelopmentCase c = probationary(Date::ymd(2024, 7, 1));
    const Date today = Date::ymd(2025, 7, 5);
    auto ext = [&](int months) {
        return validate_transition(
            c, DevCommand{CommandKind::ExtendProbation, Date::ymd(2025, 7, 1), passing(), months},
            ActorRole::BranchSecretary, today, kP);
    };
    CHECK(ext(6).ok);
    CHECK(ext(12).ok);
    CHECK(has_violation(ext(5)));
    CHECK(has_violation(ext(13)));
    c.extension_count = 1;
    c.extension_months = 6;
    CHECK(has_violation(ext(6)));  // a second extension is refused
    // With the 6-month extension the probation ends 2026-01-01.
    CHECK(probation_end(c, kP) == Date::ymd(2026, 1, 1));
    // Cancelling needs a passing vote too.
    DevCommand cancel{CommandKind::CancelProbation, Date::ymd(2025, 7, 1), VoteTally{4, 4, 2, 2, 0},
                      0};
    CHECK(has_violation(validate_transition(c, cancel, ActorRole::BranchSecretary, today, kP)));
    cancel.vote = VoteTally{4, 4, 3, 1, 0};
    CHECK(validate_transition(c, cancel, ActorRole::BranchSecretary, today, kP).ok);
}

TEST_CASE("development: 党龄 counts from 转正", "[domain][development]") {
    DevelopmentCase c = probationary(Date::ymd(2024, 7, 1));
    CHECK_FALSE(party_age_years(c, Date::ymd(2030, 1, 1)).has_value());  // still 预备
    c.status = MemberStatus::Full;
    c.full_member_on = Date::ymd(2025, 7, 1);
    CHECK(party_age_years(c, Date::ymd(2026, 6, 30)) == 0);
    CHECK(party_age_years(c, Date::ymd(2026, 7, 1)) == 1);
    CHECK(party_age_years(c, Date::ymd(2035, 7, 1)) == 10);
}

TEST_CASE("development: 公示 of 5 working days", "[domain][development]") {
    // Starts Friday 2025-06-06 → ends Friday 2025-06-13.
    CHECK(publicity_end(Date::ymd(2025, 6, 6), kP) == Date::ymd(2025, 6, 13));
    DevelopmentPolicy p;
    p.publicity_working_days = 7;  // LOCAL
    CHECK(publicity_end(Date::ymd(2025, 6, 6), p) == Date::ymd(2025, 6, 17));
}
