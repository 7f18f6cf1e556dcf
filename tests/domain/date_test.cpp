// SPDX-License-Identifier: Apache-2.0
// Civil dates: y/m/d round trips, month arithmetic with end-of-month clamping, whole months and
// years between dates, CST conversion of timestamps, working days and calendar periods.

#include "zb/domain/date.hpp"

#include "zb/domain/types.hpp"

#include <catch2/catch.hpp>

using namespace zb::domain;

TEST_CASE("date: epoch and round trip", "[domain][date]") {
    CHECK(Date::ymd(1970, 1, 1).days() == 0);
    CHECK(Date::ymd(1970, 1, 2).days() == 1);
    CHECK(Date::ymd(1969, 12, 31).days() == -1);
    const Date d = Date::ymd(2024, 2, 29);
    CHECK(d.year() == 2024);
    CHECK(d.month() == 2);
    CHECK(d.day() == 29);
    CHECK(d.to_string() == "2024-02-29");
    CHECK_FALSE(Date::make(2025, 2, 29).has_value());  // 2025 is not a leap year
    CHECK_FALSE(Date::make(2025, 13, 1).has_value());
    CHECK_THROWS_AS(Date::ymd(2025, 4, 31), std::invalid_argument);
    CHECK(Date::parse("2025-06-30") == Date::ymd(2025, 6, 30));
    CHECK_FALSE(Date::parse("2025-6-30").has_value());
    CHECK_FALSE(Date::parse("2025-02-30").has_value());
}

TEST_CASE("date: add months clamps to the end of the month", "[domain][date]") {
    CHECK(Date::ymd(2025, 1, 31).plus_months(1) == Date::ymd(2025, 2, 28));
    CHECK(Date::ymd(2024, 1, 31).plus_months(1) == Date::ymd(2024, 2, 29));
    CHECK(Date::ymd(2025, 3, 31).plus_months(-1) == Date::ymd(2025, 2, 28));
    CHECK(Date::ymd(2025, 8, 31).plus_months(1) == Date::ymd(2025, 9, 30));
    CHECK(Date::ymd(2025, 11, 15).plus_months(2) == Date::ymd(2026, 1, 15));
    // 2024-02-29 + 1 year → 2025-02-28 (no 29 Feb in 2025).
    CHECK(Date::ymd(2024, 2, 29).plus_years(1) == Date::ymd(2025, 2, 28));
}

TEST_CASE("date: whole months and years between", "[domain][date]") {
    CHECK(whole_months_between(Date::ymd(2024, 3, 15), Date::ymd(2025, 3, 14)) == 11);
    CHECK(whole_months_between(Date::ymd(2024, 3, 15), Date::ymd(2025, 3, 15)) == 12);
    // Jan 31 + 1 month = Feb 28, so on Feb 28 one whole month has passed.
    CHECK(whole_months_between(Date::ymd(2025, 1, 31), Date::ymd(2025, 2, 27)) == 0);
    CHECK(whole_months_between(Date::ymd(2025, 1, 31), Date::ymd(2025, 2, 28)) == 1);
    CHECK(whole_months_between(Date::ymd(2025, 3, 1), Date::ymd(2025, 1, 1)) == -2);
    CHECK(whole_years_between(Date::ymd(2007, 6, 1), Date::ymd(2025, 5, 31)) == 17);
    CHECK(whole_years_between(Date::ymd(2007, 6, 1), Date::ymd(2025, 6, 1)) == 18);
}

TEST_CASE("date: timestamps are read in China Standard Time", "[domain][date]") {
    // 2025-06-30T16:00:00Z = 2025-07-01 00:00 CST. Unix ms of 2025-06-30T00:00Z:
    const std::int64_t jun30_utc = Date::ymd(2025, 6, 30).days() * kMsPerDay;
    CHECK(Date::from_unix_ms_cst(jun30_utc + 16 * 3600 * 1000LL - 1) == Date::ymd(2025, 6, 30));
    CHECK(Date::from_unix_ms_cst(jun30_utc + 16 * 3600 * 1000LL) == Date::ymd(2025, 7, 1));
    CHECK(Date::ymd(2025, 7, 1).start_unix_ms_cst() == jun30_utc + 16 * 3600 * 1000LL);
    // Before the epoch (negative ms) floors correctly: 1969-12-31T15:59:59.999Z = 23:59:59 CST.
    CHECK(Date::from_unix_ms_cst(-8 * 3600 * 1000LL - 1) == Date::ymd(1969, 12, 31));
}

TEST_CASE("date: working days and weekdays", "[domain][date]") {
    CHECK(Date::ymd(2025, 6, 2).iso_weekday() == 1);  // Monday
    CHECK(Date::ymd(2025, 6, 8).iso_weekday() == 7);  // Sunday
    // From Friday 2025-06-06, 5 working days: Mon 9, Tue 10, Wed 11, Thu 12, Fri 13.
    CHECK(plus_working_days(Date::ymd(2025, 6, 6), 5) == Date::ymd(2025, 6, 13));
    // With Thursday 12 a holiday: Mon 9 … Wed 11, Fri 13, Mon 16.
    const Date hol[] = {Date::ymd(2025, 6, 12)};
    CHECK(plus_working_days(Date::ymd(2025, 6, 6), 5, hol, 1) == Date::ymd(2025, 6, 16));
}

TEST_CASE("date: year months and periods", "[domain][date]") {
    YearMonth ym{2025, 11};
    CHECK(ym.plus(2) == YearMonth{2026, 1});
    CHECK(ym.plus(-11) == YearMonth{2024, 12});
    CHECK(months_between(YearMonth{2024, 12}, YearMonth{2025, 6}) == 6);
    CHECK(ym.to_string() == "2025-11");
    auto q = period_containing(PeriodKind::Quarter, Date::ymd(2025, 5, 20));
    CHECK(q.key == "2025-Q2");
    CHECK(q.first == Date::ymd(2025, 4, 1));
    CHECK(q.last == Date::ymd(2025, 6, 30));
    CHECK(period_containing(PeriodKind::HalfYear, Date::ymd(2025, 7, 1)).key == "2025-H2");
    CHECK(period_containing(PeriodKind::Month, Date::ymd(2024, 2, 10)).last ==
          Date::ymd(2024, 2, 29));
    CHECK(period_containing(PeriodKind::Year, Date::ymd(2024, 2, 10)).key == "2024");
}
