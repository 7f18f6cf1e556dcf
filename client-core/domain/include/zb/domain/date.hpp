// SPDX-License-Identifier: Apache-2.0
// Civil dates and months for the Party rules. Every deadline in domain.md is a calendar rule
// ("within 1 month", "≥ 1 year", "every 6 months"), so we count in civil days and months, with
// end-of-month clamping (31 Jan + 1 month = 28/29 Feb). Timestamps become dates in China Standard
// Time (UTC+8, no daylight saving), as domain.md §12 requires.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zb::domain {

/// Money is always integer fen (分): 1 元 = 100 fen. No floating point anywhere near money.
using Fen = std::int64_t;

/// China Standard Time offset: UTC+8 (domain.md §12 "All dates in China Standard Time").
inline constexpr std::int64_t kCstOffsetMs = 8LL * 60 * 60 * 1000;
inline constexpr std::int64_t kMsPerDay = 24LL * 60 * 60 * 1000;

/// A calendar month, e.g. 2025-06. Ordered; `index()` counts months since year 0.
struct YearMonth {
    int year = 1970;
    int month = 1;  ///< 1..12

    constexpr std::int64_t index() const { return std::int64_t{year} * 12 + (month - 1); }
    static constexpr YearMonth from_index(std::int64_t i) {
        std::int64_t y = i >= 0 ? i / 12 : -((-i + 11) / 12);
        return YearMonth{static_cast<int>(y), static_cast<int>(i - y * 12) + 1};
    }
    constexpr YearMonth plus(std::int64_t months) const { return from_index(index() + months); }
    /// "2025-06"
    std::string to_string() const;

    friend constexpr auto operator<=>(const YearMonth& a, const YearMonth& b) {
        return a.index() <=> b.index();
    }
    friend constexpr bool operator==(const YearMonth& a, const YearMonth& b) {
        return a.index() == b.index();
    }
};

/// Months from `a` to `b` (b - a); negative when b is earlier.
constexpr std::int64_t months_between(YearMonth a, YearMonth b) {
    return b.index() - a.index();
}

/// A civil date: days since 1970-01-01 (proleptic Gregorian).
class Date {
public:
    constexpr Date() = default;
    static constexpr Date from_days(std::int64_t days) { return Date(days); }
    /// Checked construction; nullopt for 2025-02-30 and the like.
    static std::optional<Date> make(int year, int month, int day);
    /// Unchecked-by-contract construction for literals in code and tests; throws
    /// std::invalid_argument on an impossible date.
    static Date ymd(int year, int month, int day);
    /// Parses "YYYY-MM-DD"; nullopt when malformed or impossible.
    static std::optional<Date> parse(std::string_view text);
    /// The CST calendar day containing the Unix-epoch millisecond `ms`.
    static Date from_unix_ms_cst(std::int64_t ms);

    constexpr std::int64_t days() const { return days_; }
    int year() const;
    int month() const;
    int day() const;
    YearMonth year_month() const { return YearMonth{year(), month()}; }
    /// 1 = Monday … 7 = Sunday (ISO).
    int iso_weekday() const;
    /// Unix-epoch millisecond of 00:00 CST on this date.
    constexpr std::int64_t start_unix_ms_cst() const { return days_ * kMsPerDay - kCstOffsetMs; }

    constexpr Date plus_days(std::int64_t n) const { return Date(days_ + n); }
    /// Calendar months with end-of-month clamping: 2025-01-31 + 1 = 2025-02-28,
    /// 2024-01-31 + 1 = 2024-02-29, 2025-03-31 - 1 = 2025-02-28.
    Date plus_months(std::int64_t n) const;
    Date plus_years(std::int64_t n) const { return plus_months(n * 12); }
    /// "2025-06-30"
    std::string to_string() const;

    friend constexpr auto operator<=>(const Date&, const Date&) = default;
    friend constexpr bool operator==(const Date&, const Date&) = default;

private:
    constexpr explicit Date(std::int64_t d) : days_(d) {}
    std::int64_t days_ = 0;
};

/// Days in a month (leap years per the Gregorian rule).
int days_in_month(int year, int month);

/// First day of a month.
Date first_day(YearMonth ym);
/// Last day of a month.
Date last_day(YearMonth ym);

/// Whole calendar months completed from `from` to `to` (e.g. 2024-03-15 → 2025-03-14 is 11,
/// → 2025-03-15 is 12). Consistent with plus_months: the largest n with from+n months <= to.
/// Negative if `to` is earlier.
std::int64_t whole_months_between(Date from, Date to);

/// Whole years completed (age, 党龄): whole_months_between / 12.
std::int64_t whole_years_between(Date from, Date to);

/// Adds `n` working days (Mon–Fri) to `from`; the day itself is not counted. Public holidays are
/// not modelled here (see README "Known gaps"); `extra_holidays` is checked when given.
Date plus_working_days(Date from, int n, const Date* extra_holidays = nullptr,
                       std::size_t holiday_count = 0);

}  // namespace zb::domain
