// SPDX-License-Identifier: Apache-2.0
// Dues (domain.md §4): bracket boundaries for 在职 and 离退休 (whole base × rate), fixed
// categories, rounding modes and units, months owed from the 预备 date, payment checks, arrears at
// exactly 3 and 6 months, back-pay and the publication list without bases.

#include "zb/domain/dues.hpp"

#include <catch2/catch.hpp>

using namespace zb::domain;

namespace {
DuesProfile employed(Fen base, YearMonth from = {2025, 1}) {
    return DuesProfile{DuesCategory::Employed, base, std::nullopt, from};
}
Fen dues(DuesCategory c, Fen base, const DuesPolicy& p = {}) {
    return monthly_dues(DuesProfile{c, base, std::nullopt, {}}, p);
}
}  // namespace

TEST_CASE("dues: 在职 brackets apply to the whole base", "[domain][dues]") {
    // 3000.00 × 0.5 % = 15.00; 3000.01 × 1 % = 30.0001 → 30.00 (the cliff) [S20][S21].
    CHECK(dues(DuesCategory::Employed, 300000) == 1500);
    CHECK(dues(DuesCategory::Employed, 300001) == 3000);
    // 5000.00 × 1 % = 50.00; 5000.01 × 1.5 % = 75.00015 → 75.00.
    CHECK(dues(DuesCategory::Employed, 500000) == 5000);
    CHECK(dues(DuesCategory::Employed, 500001) == 7500);
    // 10000.00 × 1.5 % = 150.00; 10000.01 × 2 % = 200.0002 → 200.00.
    CHECK(dues(DuesCategory::Employed, 1000000) == 15000);
    CHECK(dues(DuesCategory::Employed, 1000001) == 20000);
    // domain.md worked examples: 8000 → 120.00, 12000 → 240.00.
    CHECK(dues(DuesCategory::Employed, 800000) == 12000);
    CHECK(dues(DuesCategory::Employed, 1200000) == 24000);
    // 年薪制 and 个体 use the same brackets [S22].
    CHECK(dues(DuesCategory::AnnualSalary, 300001) == 3000);
    CHECK(dues(DuesCategory::SelfEmployed, 1000001) == 20000);
    CHECK(dues(DuesCategory::Employed, 0) == 0);
}

TEST_CASE("dues: 离退休 brackets", "[domain][dues]") {
    // 5000.00 × 0.5 % = 25.00; 5000.01 × 1 % = 50.0001 → 50.00; 5200 × 1 % = 52.00 [S21][S30].
    CHECK(dues(DuesCategory::Retired, 500000) == 2500);
    CHECK(dues(DuesCategory::Retired, 500001) == 5000);
    CHECK(dues(DuesCategory::Retired, 520000) == 5200);
    CHECK(dues(DuesCategory::Retired, 1500000) == 15000);  // no higher bracket for retirees
    CHECK(dues_rate_bp(DuesCategory::Retired, 500000, {}) == 50);
    CHECK(dues_rate_bp(DuesCategory::Retired, 500001, {}) == 100);
}

TEST_CASE("dues: students, graduates and other fixed categories", "[domain][dues]") {
    DuesPolicy p;
    CHECK(dues(DuesCategory::Student, 0, p) == 20);        // 0.2 元 [S22][S23]
    CHECK(dues(DuesCategory::Student, 900000, p) == 20);   // base ignored
    CHECK(dues(DuesCategory::Graduate, 350000, p) == 20);  // default: fixed like students
    CHECK(dues(DuesCategory::LowIncome, 0, p) == 20);
    CHECK(dues(DuesCategory::Farmer, 0, p) == 20);
    p.graduate = GraduateDues::StipendBracket;               // stipend × 在职 brackets [S23]
    CHECK(dues(DuesCategory::Graduate, 350000, p) == 3500);  // 3500 × 1 % = 35.00
    CHECK(dues(DuesCategory::Graduate, 300000, p) == 1500);  // 3000 × 0.5 % = 15.00
    p.farmer_monthly_fen = 100;
    CHECK(dues(DuesCategory::Farmer, 0, p) == 100);
    // Approved hardship reduction or exemption replaces the computed amount.
    DuesProfile exempt = employed(800000);
    exempt.reduced_monthly_fen = 0;
    CHECK(monthly_dues(exempt, {}) == 0);
}

TEST_CASE("dues: rounding modes and units", "[domain][dues]") {
    DuesPolicy p;
    // 4444.50 × 1 % = 44.445 元 = 4444.5 fen.
    CHECK(dues(DuesCategory::Employed, 444450, p) == 4445);  // half-up to 0.01 → 44.45
    p.rounding = Rounding::Down;
    CHECK(dues(DuesCategory::Employed, 444450, p) == 4444);  // 44.44
    p.rounding = Rounding::Up;
    CHECK(dues(DuesCategory::Employed, 444450, p) == 4445);
    // Unit 0.1 元 (10 fen): 4444.5 fen → 444.45 units.
    p.rounding_unit_fen = 10;
    p.rounding = Rounding::HalfUp;
    CHECK(dues(DuesCategory::Employed, 444450, p) == 4440);  // 44.40
    p.rounding = Rounding::Up;
    CHECK(dues(DuesCategory::Employed, 444450, p) == 4450);  // 44.50
    // 4445.00 × 1 % = 4445 fen = 444.5 units: exactly half.
    p.rounding = Rounding::HalfUp;
    CHECK(dues(DuesCategory::Employed, 444500, p) == 4450);
    p.rounding = Rounding::Down;
    CHECK(dues(DuesCategory::Employed, 444500, p) == 4440);
    // 3333.33 × 1 % = 3333.333 fen → 33.33 at 0.01, 33.30 at 0.1 half-up, 33.40 up.
    CHECK(round_to_unit(333333 * 100, 10000, 1, Rounding::HalfUp) == 3333);
    CHECK(round_to_unit(333333 * 100, 10000, 10, Rounding::HalfUp) == 3330);
    CHECK(round_to_unit(333333 * 100, 10000, 10, Rounding::Up) == 3340);
    CHECK(round_to_unit(333333 * 100, 10000, 100, Rounding::HalfUp) == 3300);  // 1 元 unit
    CHECK(format_yuan(1500) == "15.00");
    CHECK(format_yuan(-5) == "-0.05");
}

TEST_CASE("dues: owed from the month one becomes 预备党员", "[domain][dues]") {
    // Passed by the 支部大会 on 2024-06-15 → owed from June 2024 [S21].
    const YearMonth first = first_owed_month(Date::ymd(2024, 6, 15));
    CHECK(first == YearMonth{2024, 6});
    CHECK(owed_months(first, {2024, 12}).size() == 7);               // Jun..Dec
    CHECK(owed_months(first, {2024, 12}, {{2024, 8}}).size() == 6);  // August exempt (abroad)
    CHECK(owed_months(first, {2024, 5}).empty());
    CHECK(first_owed_month(Date::ymd(2024, 6, 30)) == YearMonth{2024, 6});
}

TEST_CASE("dues: arrears at exactly 3 and 6 consecutive months", "[domain][dues]") {
    DuesPolicy p;
    const YearMonth first{2025, 1};
    const std::vector<YearMonth> q1 = {{2025, 1}, {2025, 2}, {2025, 3}};
    // On 2025-06-30 the last completed month is May: Apr, May unpaid → 2 → nothing.
    auto a = arrears(first, q1, Date::ymd(2025, 6, 30), p);
    CHECK(a.consecutive_unpaid == 2);
    CHECK(a.level == ArrearsLevel::None);
    // On 2025-07-01 June is over: Apr, May, Jun → exactly 3 → warning.
    a = arrears(first, q1, Date::ymd(2025, 7, 1), p);
    CHECK(a.consecutive_unpaid == 3);
    CHECK(a.level == ArrearsLevel::Warning);
    // Nothing paid: on 2025-06-30 Jan..May = 5 → warning; on 2025-07-01 Jan..Jun = 6 → case.
    a = arrears(first, {}, Date::ymd(2025, 6, 30), p);
    CHECK(a.consecutive_unpaid == 5);
    CHECK(a.level == ArrearsLevel::Warning);
    a = arrears(first, {}, Date::ymd(2025, 7, 1), p);
    CHECK(a.consecutive_unpaid == 6);
    CHECK(a.level == ArrearsLevel::Case);
    // The case is for the branch: arrears never change status by themselves (§4.3).
    STATIC_REQUIRE_FALSE(ArrearsStatus::changes_status);
    // A payment breaks the run: Feb, Mar unpaid, Apr paid, May, Jun unpaid → total 4, run 2.
    a = arrears(first, {{2025, 1}, {2025, 4}}, Date::ymd(2025, 7, 10), p);
    CHECK(a.unpaid_total == 4);
    CHECK(a.consecutive_unpaid == 2);
    CHECK(a.level == ArrearsLevel::None);
    // Exempt months (abroad) are skipped: Jan..Jun with Mar exempt → 5 unpaid → warning only.
    a = arrears(first, {}, Date::ymd(2025, 7, 1), p, {{2025, 3}});
    CHECK(a.consecutive_unpaid == 5);
    CHECK(a.level == ArrearsLevel::Warning);
}

TEST_CASE("dues: payment checked against the profile", "[domain][dues]") {
    DuesPolicy p;
    const std::vector<DuesProfile> profiles = {employed(300000)};  // 15.00 / month from 2025-01
    const YearMonth first{2025, 1};
    DuesPayment pay{"r1", {{2025, 1}, {2025, 2}, {2025, 3}}, 4500, Date::ymd(2025, 3, 10)};
    auto c = check_payment(pay, profiles, first, {}, p);
    CHECK(c.ok());
    CHECK(c.expected_fen == 4500);

    pay.amount_fen = 4000;  // 5.00 short
    c = check_payment(pay, profiles, first, {}, p);
    CHECK(c.has(PaymentIssue::Underpaid));
    CHECK(c.difference_fen == -500);

    pay.amount_fen = 4500;
    c = check_payment(pay, profiles, first, {{2025, 2}}, p);  // February already paid
    CHECK(c.has(PaymentIssue::AlreadyPaid));
    CHECK(c.flagged_months == std::vector<YearMonth>{{2025, 2}});

    DuesPayment early{"r2", {{2024, 12}}, 1500, Date::ymd(2025, 1, 5)};  // before 预备
    c = check_payment(early, profiles, first, {}, p);
    CHECK(c.has(PaymentIssue::MonthNotOwed));
    CHECK(c.has(PaymentIssue::Overpaid));  // nothing was owed, 15.00 paid

    DuesPayment dup{"r3", {{2025, 1}, {2025, 1}}, 1500, Date::ymd(2025, 1, 5)};
    CHECK(check_payment(dup, profiles, first, {}, p).has(PaymentIssue::DuplicateMonth));

    DuesPayment none{"r4", {}, 0, Date::ymd(2025, 1, 5)};
    CHECK(check_payment(none, profiles, first, {}, p).has(PaymentIssue::NoMonths));
}

TEST_CASE("dues: back-pay limit of 6 months and prepayment of a quarter", "[domain][dues]") {
    DuesPolicy p;
    const std::vector<DuesProfile> profiles = {employed(300000)};
    // Paid 2025-08-05: Feb is 6 months back (allowed), Jan is 7 (too old) [S24][S27].
    DuesPayment feb{"a", {{2025, 2}}, 1500, Date::ymd(2025, 8, 5)};
    CHECK(check_payment(feb, profiles, {2025, 1}, {}, p).ok());
    DuesPayment jan{"b", {{2025, 1}}, 1500, Date::ymd(2025, 8, 5)};
    CHECK(check_payment(jan, profiles, {2025, 1}, {}, p).has(PaymentIssue::BackPayTooOld));
    // Paid 2025-03-10: Mar, Apr, May is one quarter (ok); June is a 4th month ahead.
    DuesPayment q{"c", {{2025, 3}, {2025, 4}, {2025, 5}}, 4500, Date::ymd(2025, 3, 10)};
    CHECK(check_payment(q, profiles, {2025, 1}, {}, p).ok());
    DuesPayment far{"d", {{2025, 6}}, 1500, Date::ymd(2025, 3, 10)};
    CHECK(check_payment(far, profiles, {2025, 1}, {}, p).has(PaymentIssue::PrepayTooFar));
}

TEST_CASE("dues: profile changes and voluntary extra", "[domain][dues]") {
    DuesPolicy p;
    // 3000.00 (15.00) until June, 6000.00 × 1.5 % = 90.00 from July.
    const std::vector<DuesProfile> profiles = {employed(300000, {2025, 1}),
                                               employed(600000, {2025, 7})};
    DuesPayment pay{"x", {{2025, 6}, {2025, 7}}, 10500, Date::ymd(2025, 7, 20)};
    auto c = check_payment(pay, profiles, {2025, 1}, {}, p);
    CHECK(c.ok());
    CHECK(c.expected_fen == 10500);
    CHECK(profile_for(profiles, {2024, 12}) == nullptr);
    // 15.00 owed, 1015.00 paid: 1000.00 extra ≥ 1000 元 → remitted in full to the Centre [S22].
    DuesPayment big{"y", {{2025, 1}}, 101500, Date::ymd(2025, 1, 20)};
    c = check_payment(big, profiles, {2025, 1}, {}, p);
    CHECK(c.has(PaymentIssue::Overpaid));
    CHECK(c.has(PaymentIssue::RemitToCentre));
    big.amount_fen = 101499;  // 999.99 extra
    c = check_payment(big, profiles, {2025, 1}, {}, p);
    CHECK(c.has(PaymentIssue::Overpaid));
    CHECK_FALSE(c.has(PaymentIssue::RemitToCentre));
    DuesPayment nop{"z", {{2025, 1}}, 1500, Date::ymd(2025, 1, 20)};
    CHECK(check_payment(nop, {}, {2025, 1}, {}, p).has(PaymentIssue::NoProfile));
}

TEST_CASE("dues: back-pay split at the 6-month limit", "[domain][dues]") {
    DuesPolicy p;
    const std::vector<DuesProfile> profiles = {employed(300000)};
    // On 2025-09-10 nothing paid since Jan: Jan (8 months back) and Feb (7) are beyond the limit;
    // Mar..Aug (6..1 back) are collectible: 6 × 15.00 = 90.00.
    auto b = back_pay({2025, 1}, {}, profiles, Date::ymd(2025, 9, 10), p);
    CHECK(b.beyond_limit == std::vector<YearMonth>{{2025, 1}, {2025, 2}});
    CHECK(b.collectible.size() == 6);
    CHECK(b.collectible_fen == 9000);
}

namespace {
template <class T>
constexpr bool has_base_field = requires(T r) {
    r.base_fen;
};
}  // namespace

TEST_CASE("dues: publication shows names, months and amounts, never bases", "[domain][dues]") {
    STATIC_REQUIRE_FALSE(has_base_field<PublicationRow>);
    STATIC_REQUIRE(has_base_field<DuesProfile>);  // the detector itself works
    std::vector<PublicationInput> in = {
        {"p1",
         "张三",
         {{"r1", {{2025, 1}, {2025, 2}}, 3000, Date::ymd(2025, 2, 1)},
          {"r2", {{2025, 3}}, 1500, Date::ymd(2025, 3, 1)},
          {"r0", {{2024, 12}}, 1500, Date::ymd(2024, 12, 5)}}},
        {"p2", "李四", {}},
    };
    auto rows = publication_list(in, 2025);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].name == "张三");
    CHECK(rows[0].amount_fen == 4500);  // 2024 payment excluded
    CHECK(rows[0].months_paid == std::vector<YearMonth>{{2025, 1}, {2025, 2}, {2025, 3}});
    CHECK(rows[1].amount_fen == 0);
    CHECK(rows[1].months_paid.empty());
}

TEST_CASE("dues: a negative base is treated as zero", "[domain][dues]") {
    CHECK(monthly_dues(DuesProfile{DuesCategory::Employed, -300000, std::nullopt, {}}, {}) == 0);
}
