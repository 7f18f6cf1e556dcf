// SPDX-License-Identifier: Apache-2.0
// Civil-date arithmetic built on std::chrono's calendar types (C++20), plus month arithmetic with
// end-of-month clamping and the CST conversion used by every rule that starts from a timestamp.

#include "zb/domain/date.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace zb::domain {

namespace {

namespace chr = std::chrono;

chr::year_month_day to_ymd(std::int64_t days) {
    return chr::year_month_day{chr::sys_days{chr::days{days}}};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

}  // namespace

std::string YearMonth::to_string() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d", year, month);
    return buf;
}

std::optional<Date> Date::make(int year, int month, int day) {
    if (month < 1 || month > 12 || day < 1) return std::nullopt;
    chr::year_month_day ymd{chr::year{year}, chr::month{static_cast<unsigned>(month)},
                            chr::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) return std::nullopt;
    return Date(chr::sys_days{ymd}.time_since_epoch().count());
}

Date Date::ymd(int year, int month, int day) {
    auto d = make(year, month, day);
    if (!d) throw std::invalid_argument("impossible civil date");
    return *d;
}

std::optional<Date> Date::parse(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    auto num = [&](std::size_t pos, std::size_t len) -> int {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (text[i] < '0' || text[i] > '9') return -1;
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    int y = num(0, 4), m = num(5, 2), d = num(8, 2);
    if (y < 0 || m < 0 || d < 0) return std::nullopt;
    return make(y, m, d);
}

Date Date::from_unix_ms_cst(std::int64_t ms) {
    return Date(floor_div(ms + kCstOffsetMs, kMsPerDay));
}

int Date::year() const {
    return static_cast<int>(to_ymd(days_).year());
}
int Date::month() const {
    return static_cast<int>(static_cast<unsigned>(to_ymd(days_).month()));
}
int Date::day() const {
    return static_cast<int>(static_cast<unsigned>(to_ymd(days_).day()));
}

int Date::iso_weekday() const {
    return static_cast<int>(chr::weekday{chr::sys_days{chr::days{days_}}}.iso_encoding());
}

Date Date::plus_months(std::int64_t n) const {
    YearMonth ym = year_month().plus(n);
    int d = std::min(day(), days_in_month(ym.year, ym.month));
    return ymd(ym.year, ym.month, d);
}

std::string Date::to_string() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year(), month(), day());
    return buf;
}

int days_in_month(int year, int month) {
    auto last = chr::year_month_day_last{chr::year{year} /
                                         chr::month{static_cast<unsigned>(month)} / chr::last};
    return static_cast<int>(static_cast<unsigned>(last.day()));
}

Date first_day(YearMonth ym) {
    return Date::ymd(ym.year, ym.month, 1);
}
Date last_day(YearMonth ym) {
    return Date::ymd(ym.year, ym.month, days_in_month(ym.year, ym.month));
}

std::int64_t whole_months_between(Date from, Date to) {
    std::int64_t n = months_between(from.year_month(), to.year_month());
    // Adjust so that from + n months <= to < from + (n+1) months (for to >= from).
    while (n > 0 && from.plus_months(n) > to)
        --n;
    while (n < 0 && from.plus_months(n) > to)
        --n;
    while (from.plus_months(n + 1) <= to)
        ++n;
    return n;
}

std::int64_t whole_years_between(Date from, Date to) {
    std::int64_t m = whole_months_between(from, to);
    return m >= 0 ? m / 12 : -((-m + 11) / 12);
}

Date plus_working_days(Date from, int n, const Date* extra_holidays, std::size_t holiday_count) {
    Date d = from;
    int left = n;
    while (left > 0) {
        d = d.plus_days(1);
        if (d.iso_weekday() >= 6) continue;
        bool holiday = false;
        for (std::size_t i = 0; i < holiday_count; ++i)
            holiday = holiday || extra_holidays[i] == d;
        if (holiday) continue;
        --left;
    }
    return d;
}

}  // namespace zb::domain
