// SPDX-License-Identifier: Apache-2.0
// Dues computations (domain.md §4). The bracket applies to the whole base: base × rate, then
// rounded once to the configured unit, all in integer arithmetic on fen and basis points.

#include "zb/domain/dues.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace zb::domain {

namespace {

// Bracket bounds in fen, inclusive upper bounds (含) [S20][S21].
constexpr Fen k3000 = 300000;
constexpr Fen k5000 = 500000;
constexpr Fen k10000 = 1000000;

int employed_bp(Fen base) {
    if (base <= k3000) return 50;    // ≤3000 → 0.5 % [S20][S21]
    if (base <= k5000) return 100;   // ≤5000 → 1 %
    if (base <= k10000) return 150;  // ≤10000 → 1.5 %
    return 200;                      // >10000 → 2 %
}

int retired_bp(Fen base) {
    return base <= k5000 ? 50 : 100;  // 离退休 ≤5000 → 0.5 %, >5000 → 1 % [S21][S30]
}

bool contains(const std::vector<YearMonth>& v, YearMonth m) {
    return std::find(v.begin(), v.end(), m) != v.end();
}

}  // namespace

std::optional<int> dues_rate_bp(DuesCategory c, Fen base_fen, const DuesPolicy& p) {
    switch (c) {
        case DuesCategory::Employed:
        case DuesCategory::AnnualSalary:  // same brackets [S22]
        case DuesCategory::SelfEmployed:  // same brackets [S22]
            return employed_bp(base_fen);
        case DuesCategory::Retired:
            return retired_bp(base_fen);
        case DuesCategory::Graduate:
            if (p.graduate == GraduateDues::StipendBracket) return employed_bp(base_fen);  // [S23]
            return std::nullopt;
        case DuesCategory::Student:
        case DuesCategory::Farmer:
        case DuesCategory::LowIncome:
            return std::nullopt;
    }
    return std::nullopt;
}

Fen round_to_unit(std::int64_t numerator, std::int64_t denominator, Fen unit, Rounding mode) {
    // value = numerator / denominator fen; result = k × unit.
    const std::int64_t d = denominator * unit;
    std::int64_t q = numerator / d;
    const std::int64_t r = numerator % d;
    switch (mode) {
        case Rounding::HalfUp:
            if (2 * r >= d) ++q;
            break;
        case Rounding::Down:
            break;
        case Rounding::Up:
            if (r != 0) ++q;
            break;
    }
    return q * unit;
}

Fen monthly_dues(const DuesProfile& profile, const DuesPolicy& p) {
    if (profile.reduced_monthly_fen) return *profile.reduced_monthly_fen;
    const Fen base = std::max<Fen>(0, profile.base_fen);  // a negative base is a data error
    if (auto bp = dues_rate_bp(profile.category, base, p)) {
        return round_to_unit(base * *bp, 10000, p.rounding_unit_fen, p.rounding);
    }
    switch (profile.category) {
        case DuesCategory::Farmer:
            return p.farmer_monthly_fen;  // 0.2–1 元 [S22][S23]
        case DuesCategory::LowIncome:
            return p.low_income_monthly_fen;  // 0.2 元 [S22]
        default:
            return p.student_monthly_fen;  // 0.2 元 [S22][S23]
    }
}

const DuesProfile* profile_for(const std::vector<DuesProfile>& profiles, YearMonth month) {
    const DuesProfile* best = nullptr;
    for (const auto& pr : profiles) {
        if (pr.effective_from <= month && (!best || best->effective_from < pr.effective_from))
            best = &pr;
    }
    return best;
}

std::vector<YearMonth> owed_months(YearMonth first, YearMonth through,
                                   const std::vector<YearMonth>& exempt) {
    std::vector<YearMonth> out;
    for (auto m = first; m <= through; m = m.plus(1))
        if (!contains(exempt, m)) out.push_back(m);
    return out;
}

bool PaymentCheck::has(PaymentIssue i) const {
    return std::find(issues.begin(), issues.end(), i) != issues.end();
}

PaymentCheck check_payment(const DuesPayment& payment, const std::vector<DuesProfile>& profiles,
                           YearMonth first_owed, const std::vector<YearMonth>& already_paid,
                           const DuesPolicy& p, const std::vector<YearMonth>& exempt) {
    PaymentCheck c;
    auto flag = [&](PaymentIssue i, std::optional<YearMonth> m) {
        if (!c.has(i)) c.issues.push_back(i);
        if (m && !contains(c.flagged_months, *m)) c.flagged_months.push_back(*m);
    };
    if (payment.months.empty()) flag(PaymentIssue::NoMonths, std::nullopt);
    const YearMonth paid_month = payment.paid_on.year_month();
    std::set<std::int64_t> seen;
    for (const auto& m : payment.months) {
        if (!seen.insert(m.index()).second) {
            flag(PaymentIssue::DuplicateMonth, m);
            continue;
        }
        if (m < first_owed || contains(exempt, m)) {
            flag(PaymentIssue::MonthNotOwed, m);
            continue;
        }
        if (contains(already_paid, m)) flag(PaymentIssue::AlreadyPaid, m);
        // Back-pay generally ≤ 6 months (§4.2 [S24][S27]).
        if (months_between(m, paid_month) > p.max_back_pay_months)
            flag(PaymentIssue::BackPayTooOld, m);
        // Quarterly payment with consent (§4.2): at most max_prepay_months ahead, counting the
        // current month as the first (a quarter = current + 2 following).
        if (months_between(paid_month, m) >= p.max_prepay_months)
            flag(PaymentIssue::PrepayTooFar, m);
        const DuesProfile* pr = profile_for(profiles, m);
        if (!pr) {
            flag(PaymentIssue::NoProfile, m);
            continue;
        }
        c.expected_fen += monthly_dues(*pr, p);
    }
    c.difference_fen = payment.amount_fen - c.expected_fen;
    if (c.difference_fen < 0) flag(PaymentIssue::Underpaid, std::nullopt);
    if (c.difference_fen > 0) {
        flag(PaymentIssue::Overpaid, std::nullopt);
        if (c.difference_fen >= p.central_remit_threshold_fen)  // ≥ 1000 元 [S22][S24]
            flag(PaymentIssue::RemitToCentre, std::nullopt);
    }
    return c;
}

ArrearsStatus arrears(YearMonth first_owed, const std::vector<YearMonth>& paid, Date today,
                      const DuesPolicy& p, const std::vector<YearMonth>& exempt) {
    ArrearsStatus s;
    const YearMonth last_completed = today.year_month().plus(-1);
    for (const auto& m : owed_months(first_owed, last_completed, exempt)) {
        if (contains(paid, m)) {
            s.consecutive_unpaid = 0;
        } else {
            s.unpaid.push_back(m);
            ++s.unpaid_total;
            ++s.consecutive_unpaid;
        }
    }
    // Exempt months neither break nor extend a run (abroad, LOCAL [S68]).
    if (s.consecutive_unpaid >= p.arrears_case_months)
        s.level = ArrearsLevel::Case;
    else if (s.consecutive_unpaid >= p.arrears_warning_months)
        s.level = ArrearsLevel::Warning;
    return s;
}

BackPay back_pay(YearMonth first_owed, const std::vector<YearMonth>& paid,
                 const std::vector<DuesProfile>& profiles, Date today, const DuesPolicy& p,
                 const std::vector<YearMonth>& exempt) {
    BackPay b;
    const YearMonth now = today.year_month();
    for (const auto& m : owed_months(first_owed, now.plus(-1), exempt)) {
        if (contains(paid, m)) continue;
        if (months_between(m, now) > p.max_back_pay_months) {
            b.beyond_limit.push_back(m);
        } else {
            b.collectible.push_back(m);
            if (const DuesProfile* pr = profile_for(profiles, m))
                b.collectible_fen += monthly_dues(*pr, p);
        }
    }
    return b;
}

std::vector<PublicationRow> publication_list(const std::vector<PublicationInput>& members,
                                             int year) {
    std::vector<PublicationRow> rows;
    for (const auto& mem : members) {
        PublicationRow row;
        row.name = mem.name;
        std::set<std::int64_t> months;
        for (const auto& pay : mem.payments) {
            if (pay.paid_on.year() != year) continue;  // published by collection year
            row.amount_fen += pay.amount_fen;
            for (const auto& m : pay.months)
                months.insert(m.index());
        }
        for (auto i : months)
            row.months_paid.push_back(YearMonth::from_index(i));
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string format_yuan(Fen fen) {
    char buf[48];
    const bool neg = fen < 0;
    const std::int64_t a = neg ? -fen : fen;
    std::snprintf(buf, sizeof buf, "%s%lld.%02lld", neg ? "-" : "", static_cast<long long>(a / 100),
                  static_cast<long long>(a % 100));
    return buf;
}

}  // namespace zb::domain
