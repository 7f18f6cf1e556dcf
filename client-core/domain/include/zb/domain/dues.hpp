// SPDX-License-Identifier: Apache-2.0
// Party dues (党费), domain.md §4: the 2008 brackets applied to the WHOLE base (not marginal),
// fixed amounts for students and others, the months owed from the 预备 date, checking a recorded
// payment against the profile, arrears at 3 and 6 consecutive months, and the yearly publication
// list that never carries a base. All money is integer fen.
#pragma once

#include "zb/domain/date.hpp"
#include "zb/domain/policy.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zb::domain {

/// domain.md §4.1 and §12 DuesProfile.category.
enum class DuesCategory : std::uint8_t {
    Employed = 0,      ///< 在职 (monthly salary after tax)
    AnnualSalary = 1,  ///< 年薪制 (salary received that month), 在职 brackets [S22]
    SelfEmployed = 2,  ///< 个体经营者 etc. (previous quarter's average), 在职 brackets [S22]
    Retired = 3,       ///< 离退休 (pension)
    Student = 4,       ///< 学生 (高中/中专/大专/本科)
    Graduate = 5,      ///< 硕士/博士研究生 (policy: fixed or stipend brackets)
    Farmer = 6,        ///< 农民
    LowIncome = 7,     ///< 下岗失业 / 抚恤救济 / 低保
};

/// Rate in basis points (1 bp = 0.01 %) for a bracketed category, or nullopt for fixed-amount
/// categories. 在职 ≤3000.00 → 50, ≤5000.00 → 100, ≤10000.00 → 150, above → 200; 离退休
/// ≤5000.00 → 50, above → 100. Upper bounds inclusive (含) [S20][S21].
std::optional<int> dues_rate_bp(DuesCategory c, Fen base_fen, const DuesPolicy& p);

/// Rounds numerator/denominator (both ≥ 0) to a multiple of `unit` fen.
Fen round_to_unit(std::int64_t numerator, std::int64_t denominator, Fen unit, Rounding mode);

struct DuesProfile {
    DuesCategory category = DuesCategory::Employed;
    Fen base_fen = 0;  ///< 计算基数 (sensitive); ignored by fixed-amount categories
    /// Approved hardship reduction (§4.1 "reduce or exempt" [S21][S24]): the monthly amount after
    /// reduction; 0 = exempt. Approved by the upper 党委; recorded by the server only.
    std::optional<Fen> reduced_monthly_fen;
    YearMonth effective_from{};  ///< first month this profile applies to
};

/// Monthly dues for a profile (reduction applied).
Fen monthly_dues(const DuesProfile& profile, const DuesPolicy& p);

/// The first month dues are owed: the month the 支部大会 passed the person as 预备党员 [S21].
inline YearMonth first_owed_month(Date probationary_since) {
    return probationary_since.year_month();
}

/// The profile in force for a month: the one with the latest effective_from ≤ month.
const DuesProfile* profile_for(const std::vector<DuesProfile>& profiles, YearMonth month);

/// Months owed from `first` through `through` (inclusive), excluding `exempt` months (abroad with
/// retained relationship (LOCAL [S68]); 停止党籍 [S68b]).
std::vector<YearMonth> owed_months(YearMonth first, YearMonth through,
                                   const std::vector<YearMonth>& exempt = {});

enum class PaymentIssue : std::uint8_t {
    Underpaid = 0,       ///< amount < expected
    Overpaid = 1,        ///< amount > expected (voluntary extra? needs confirmation)
    MonthNotOwed = 2,    ///< a month before the 预备 date or an exempt month
    AlreadyPaid = 3,     ///< the month is already covered by an earlier payment
    DuplicateMonth = 4,  ///< the same month twice in one payment
    BackPayTooOld = 5,   ///< month more than max_back_pay_months before the payment month
    PrepayTooFar = 6,    ///< month more than max_prepay_months after the payment month
    NoProfile = 7,       ///< no profile in force for a month
    RemitToCentre = 8,   ///< voluntary extra ≥ 1000 元 → remitted in full to the Centre [S22]
    NoMonths = 9,        ///< a payment that covers no month
};

struct PaymentCheck {
    Fen expected_fen = 0;
    Fen difference_fen = 0;  ///< paid − expected
    std::vector<PaymentIssue> issues;
    std::vector<YearMonth> flagged_months;  ///< months behind MonthNotOwed/AlreadyPaid/…
    bool ok() const { return issues.empty(); }
    bool has(PaymentIssue i) const;
};

/// A payment as recorded (offline cash receipt or online), domain.md §12 DuesPayment.
struct DuesPayment {
    std::string id;
    std::vector<YearMonth> months;
    Fen amount_fen = 0;
    Date paid_on;  ///< server receipt date for offline receipts
};

/// Checks a payment against the profiles (server-authoritative money, §12.1.5).
PaymentCheck check_payment(const DuesPayment& payment, const std::vector<DuesProfile>& profiles,
                           YearMonth first_owed, const std::vector<YearMonth>& already_paid,
                           const DuesPolicy& p, const std::vector<YearMonth>& exempt = {});

enum class ArrearsLevel : std::uint8_t {
    None = 0,
    Warning = 1,  ///< ≥ 3 consecutive unpaid months: branch criticises, sets a deadline [S24]
    Case = 2,     ///< ≥ 6 consecutive: open a 自行脱党 case for the 支部大会 [S24][S25]
};

struct ArrearsStatus {
    int unpaid_total = 0;        ///< unpaid owed months up to the last completed month
    int consecutive_unpaid = 0;  ///< unpaid run ending at the last completed month
    ArrearsLevel level = ArrearsLevel::None;
    std::vector<YearMonth> unpaid;
    /// Always false: arrears NEVER change membership status by themselves; removal needs a
    /// 支部大会 decision and upper approval (§4.3 [S24][S25][S27]).
    static constexpr bool changes_status = false;
};

/// Arrears as of `today`: a month's dues are in arrears once the month is over (the current month
/// is not yet late).
ArrearsStatus arrears(YearMonth first_owed, const std::vector<YearMonth>& paid, Date today,
                      const DuesPolicy& p, const std::vector<YearMonth>& exempt = {});

/// Back-pay: the unpaid months that may still be collected as back-pay on `today` (within
/// max_back_pay_months before the current month), and those beyond it (need a branch decision).
struct BackPay {
    std::vector<YearMonth> collectible;
    std::vector<YearMonth> beyond_limit;
    Fen collectible_fen = 0;
};
BackPay back_pay(YearMonth first_owed, const std::vector<YearMonth>& paid,
                 const std::vector<DuesProfile>& profiles, Date today, const DuesPolicy& p,
                 const std::vector<YearMonth>& exempt = {});

/// Input for the yearly publication (§4.4 [S26]): carries no base by construction.
struct PublicationInput {
    std::string person_id;
    std::string name;
    std::vector<DuesPayment> payments;
};

/// One published row: name, months paid in the year, amount. There is deliberately NO base field
/// (§11.2 "published collection lists amounts/paid-through, never base").
struct PublicationRow {
    std::string name;
    std::vector<YearMonth> months_paid;
    Fen amount_fen = 0;
};
std::vector<PublicationRow> publication_list(const std::vector<PublicationInput>& members,
                                             int year);

/// "15.00" style rendering of fen.
std::string format_yuan(Fen fen);

}  // namespace zb::domain
