// SPDX-License-Identifier: Apache-2.0
// Transfers and mobility (domain.md §6): letter validity, 回执 at exactly 1 month, dues paid
// through the transfer month, the graduate batch plan, abroad contact every 6 months and the
// 5-year limit, 失联 at 6 months, 流动党员 yearly reports and the 6-month transfer threshold.

#include "zb/domain/mobility.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace zb::domain;

namespace {
const MobilityPolicy kP{};
bool has(const std::vector<TransferFlag>& f, TransferFlag x) {
    return std::find(f.begin(), f.end(), x) != f.end();
}
}  // namespace

TEST_CASE("mobility: letter validity", "[domain][mobility]") {
    // Issued 2025-06-01, 90 days: 29 (rest of June) + 31 (July) + 30 → 2025-08-30.
    CHECK(letter_expires_on(Date::ymd(2025, 6, 1), kP) == Date::ymd(2025, 8, 30));
    CHECK(letter_expires_on(Date::ymd(2025, 6, 1), 30) == Date::ymd(2025, 7, 1));
    TransferState t{Date::ymd(2025, 6, 1), 90, Date::ymd(2025, 8, 30), std::nullopt, {2025, 6}};
    CHECK_FALSE(has(transfer_flags(t, Date::ymd(2025, 8, 31), kP), TransferFlag::LetterExpired));
    t.reported_on = Date::ymd(2025, 8, 31);
    CHECK(has(transfer_flags(t, Date::ymd(2025, 8, 31), kP), TransferFlag::LetterExpired));
    t.reported_on.reset();
    CHECK_FALSE(has(transfer_flags(t, Date::ymd(2025, 8, 30), kP), TransferFlag::LetterExpired));
    CHECK(has(transfer_flags(t, Date::ymd(2025, 8, 31), kP), TransferFlag::LetterExpired));
}

TEST_CASE("mobility: 回执 within 1 month of reporting", "[domain][mobility]") {
    // Reported 2025-01-31 → 回执 due 2025-02-28 (clamped).
    CHECK(receipt_due(Date::ymd(2025, 1, 31), kP) == Date::ymd(2025, 2, 28));
    TransferState t{
        Date::ymd(2025, 1, 10), 90, Date::ymd(2025, 1, 31), Date::ymd(2025, 2, 28), {2025, 1}};
    CHECK(transfer_flags(t, Date::ymd(2025, 3, 10), kP).empty());
    t.receipt_returned_on = Date::ymd(2025, 3, 1);
    CHECK(has(transfer_flags(t, Date::ymd(2025, 3, 10), kP), TransferFlag::ReceiptOverdue));
    t.receipt_returned_on.reset();
    CHECK(transfer_flags(t, Date::ymd(2025, 2, 28), kP).empty());
    CHECK(has(transfer_flags(t, Date::ymd(2025, 3, 1), kP), TransferFlag::ReceiptOverdue));
}

TEST_CASE("mobility: dues paid up to the transfer month", "[domain][mobility]") {
    CHECK(months_missing_before_transfer({2025, 6}, Date::ymd(2025, 6, 15)) == 0);
    CHECK(months_missing_before_transfer({2025, 7}, Date::ymd(2025, 6, 15)) == 0);
    CHECK(months_missing_before_transfer({2025, 4}, Date::ymd(2025, 6, 15)) == 2);  // May, June
    TransferState t{Date::ymd(2025, 6, 15), 90, std::nullopt, std::nullopt, {2025, 5}};
    CHECK(has(transfer_flags(t, Date::ymd(2025, 6, 16), kP), TransferFlag::DuesNotPaidThrough));
}

TEST_CASE("mobility: graduate batch plan", "[domain][mobility]") {
    std::vector<GraduateInput> in = {
        {"a", GraduateDestination::EmployerWithPartyOrg, "中国某某集团有限公司委员会", {2025, 6}},
        {"b", GraduateDestination::EmployerWithout, "", {2025, 6}},
        {"c", GraduateDestination::FurtherStudyDomestic, "某大学研究生院党委", {2025, 4}},
        {"d", GraduateDestination::StudyAbroad, "", {2025, 6}},
        {"e", GraduateDestination::Undecided, "", {2025, 6}},
    };
    auto rows = plan_graduate_batch(in, Date::ymd(2025, 6, 20), kP);
    REQUIRE(rows.size() == 5);
    CHECK(rows[0].action == GraduateAction::TransferToEmployerOrg);
    CHECK_FALSE(rows[0].needs_receiving_org_name);
    CHECK(rows[1].action == GraduateAction::TransferToLocalOrAgency);
    CHECK(rows[1].needs_receiving_org_name);  // a transfer needs the exact receiving name [S64]
    CHECK(rows[2].action == GraduateAction::TransferToNewUniversity);
    CHECK(rows[2].dues_months_missing == 2);  // May and June unpaid
    CHECK(rows[3].action == GraduateAction::RetainAbroad);
    CHECK_FALSE(rows[3].needs_receiving_org_name);
    CHECK(rows[4].action == GraduateAction::FollowUp);
    MobilityPolicy local;
    local.undecided_graduates_to_origin = true;  // LOCAL [S65]
    CHECK(plan_graduate_batch(in, Date::ymd(2025, 6, 20), local)[4].action ==
          GraduateAction::TransferToOrigin);
}

TEST_CASE("mobility: abroad contact every 6 months, 5-year limit", "[domain][mobility]") {
    AbroadRecord r{Date::ymd(2024, 1, 15), std::nullopt};
    auto s = abroad_status(r, Date::ymd(2024, 7, 15), kP);
    CHECK(s.next_contact_due == Date::ymd(2024, 7, 15));
    CHECK_FALSE(s.contact_overdue);
    CHECK(abroad_status(r, Date::ymd(2024, 7, 16), kP).contact_overdue);
    r.last_contact_on = Date::ymd(2024, 7, 10);
    CHECK(abroad_status(r, Date::ymd(2024, 12, 1), kP).next_contact_due == Date::ymd(2025, 1, 10));
    // Five years after 2024-01-15 is 2029-01-15: flagged from that day (never automatic).
    s = abroad_status(r, Date::ymd(2029, 1, 14), kP);
    CHECK(s.retention_limit == Date::ymd(2029, 1, 15));
    CHECK_FALSE(s.limit_reached);
    CHECK(abroad_status(r, Date::ymd(2029, 1, 15), kP).limit_reached);
}

TEST_CASE("mobility: 失联 at 6 months without contact", "[domain][mobility]") {
    // Last contact 2025-01-31 → lost from 2025-07-31 ("6个月以上", clamped month end).
    auto s = contact_status(Date::ymd(2025, 1, 31), Date::ymd(2025, 7, 30), kP);
    CHECK(s.lost_on == Date::ymd(2025, 7, 31));
    CHECK_FALSE(s.lost);
    CHECK(contact_status(Date::ymd(2025, 1, 31), Date::ymd(2025, 7, 31), kP).lost);
    // 31 August + 6 months = 28 February.
    CHECK(contact_status(Date::ymd(2024, 8, 31), Date::ymd(2025, 2, 28), kP).lost);
    CHECK_FALSE(contact_status(Date::ymd(2024, 8, 31), Date::ymd(2025, 2, 27), kP).lost);
}

TEST_CASE("mobility: 流动党员 reports and the transfer threshold", "[domain][mobility]") {
    auto f = flow_report_status(Date::ymd(2024, 3, 1), Date::ymd(2025, 3, 1), kP);
    CHECK(f.next_report_due == Date::ymd(2025, 3, 1));
    CHECK_FALSE(f.overdue);
    CHECK(flow_report_status(Date::ymd(2024, 3, 1), Date::ymd(2025, 3, 2), kP).overdue);
    // Away exactly 6 months → formal transfer; one day less → 活动证 [S60][S69].
    CHECK(requires_formal_transfer(Date::ymd(2025, 9, 1), Date::ymd(2026, 3, 1), kP));
    CHECK_FALSE(requires_formal_transfer(Date::ymd(2025, 9, 1), Date::ymd(2026, 2, 28), kP));
}
