// SPDX-License-Identifier: Apache-2.0
// Column values: the exact integer/real order around 2^53 and the int64 limits, NaN and -0.0,
// type rank, same(), to_display(), and the names of the error codes.

#include "zb/protocol/value.hpp"

#include "zb/protocol/result.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using zb::protocol::Bytes;
using zb::protocol::compare;
using zb::protocol::same;
using zb::protocol::to_display;
using zb::protocol::Value;

namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kTwo53 = std::int64_t{1} << 53;

Value i(std::int64_t v) {
    return Value{v};
}
Value d(double v) {
    return Value{v};
}
Value t(const char* s) {
    return Value{std::string(s)};
}
Value b(Bytes v) {
    return Value{std::move(v)};
}

int sgn(int c) {
    return (c > 0) - (c < 0);
}

}  // namespace

TEST_CASE("integers and reals compare exactly beyond 2^53", "[unit][value]") {
    const double two53 = 9007199254740992.0;      // 2^53
    CHECK(compare(i(kTwo53 + 1), d(two53)) > 0);  // rounding through double would say equal
    CHECK(compare(d(two53), i(kTwo53 + 1)) < 0);
    CHECK(compare(i(kTwo53 - 1), d(two53)) < 0);
    CHECK(compare(i(kTwo53), d(two53)) < 0);  // numerically equal: the integer sorts first
    CHECK(compare(d(two53), i(kTwo53)) > 0);
    CHECK(compare(i(kTwo53 + 1), d(two53 + 2.0)) < 0);
    CHECK(compare(i(kTwo53 + 3), d(two53 + 2.0)) > 0);
}

TEST_CASE("int64 extremes against reals", "[unit][value]") {
    const double two63 = 9223372036854775808.0;  // 2^63 == (double)INT64_MAX after rounding
    CHECK(compare(i(kMax), d(two63)) < 0);
    CHECK(compare(d(two63), i(kMax)) > 0);
    CHECK(compare(i(kMax), d(std::nextafter(two63, 0.0))) > 0);
    CHECK(compare(i(kMin), d(-two63)) < 0);  // equal value, integer first
    CHECK(compare(d(-two63), i(kMin)) > 0);
    CHECK(compare(i(kMin), d(std::nextafter(-two63, -kInf))) > 0);
    CHECK(compare(i(kMin + 1), d(-two63)) > 0);
    CHECK(compare(i(kMax), d(kInf)) < 0);
    CHECK(compare(i(kMin), d(-kInf)) > 0);
    CHECK(compare(i(kMax), d(1e300)) < 0);
    CHECK(compare(i(kMin), d(-1e300)) > 0);
}

TEST_CASE("fractions decide between neighbouring integers", "[unit][value]") {
    CHECK(compare(i(2), d(2.5)) < 0);
    CHECK(compare(i(3), d(2.5)) > 0);
    CHECK(compare(i(-2), d(-2.5)) > 0);
    CHECK(compare(i(-3), d(-2.5)) < 0);
    CHECK(compare(i(0), d(5e-324)) < 0);
    CHECK(compare(i(0), d(-5e-324)) > 0);
    CHECK(compare(i(7), d(7.0)) < 0);
    CHECK(compare(d(7.0), i(7)) > 0);
    CHECK(compare(i(0), d(-0.0)) < 0);
    CHECK(compare(i(0), d(0.0)) < 0);
}

TEST_CASE("NaN sorts above every real and integer", "[unit][value]") {
    CHECK(compare(d(kNaN), d(kInf)) > 0);
    CHECK(compare(d(kInf), d(kNaN)) < 0);
    CHECK(compare(d(kNaN), i(kMax)) > 0);
    CHECK(compare(i(kMax), d(kNaN)) < 0);
    CHECK(compare(d(kNaN), d(kNaN)) == 0);
    CHECK(compare(d(-kNaN), i(0)) > 0);  // sign of the NaN does not matter
    CHECK(compare(d(kNaN), t("")) < 0);  // but text still ranks above numbers
}

TEST_CASE("negative and positive zero are numerically equal but ordered and not same",
          "[unit][value]") {
    CHECK(compare(d(-0.0), d(0.0)) < 0);
    CHECK(compare(d(0.0), d(-0.0)) > 0);
    CHECK(compare(d(-0.0), d(-0.0)) == 0);
    CHECK(!same(d(-0.0), d(0.0)));
    CHECK(same(d(-0.0), d(-0.0)));
}

TEST_CASE("type rank: null < numbers < text < bytes", "[unit][value]") {
    const std::vector<Value> ordered = {Value{}, i(kMin), d(-1.5),   i(-1),   i(0),
                                        d(0.0),  i(7),    d(7.0),    i(kMax), d(kNaN),
                                        t(""),   t("7"),  t("a"),    t("ab"), t("\xc3\xa9"),
                                        b({}),   b({0}),  b({0, 0}), b({7}),  b({0xFF})};
    for (std::size_t x = 0; x < ordered.size(); ++x) {
        for (std::size_t y = 0; y < ordered.size(); ++y) {
            INFO(to_display(ordered[x]) << " vs " << to_display(ordered[y]));
            const int want = x < y ? -1 : x > y ? 1 : 0;
            CHECK(sgn(compare(ordered[x], ordered[y])) == want);
        }
    }
}

TEST_CASE("compare is antisymmetric and transitive on awkward numbers", "[unit][value]") {
    const std::vector<Value> vals = {i(kMin),
                                     i(kMin + 1),
                                     i(-kTwo53 - 1),
                                     i(-kTwo53),
                                     i(kTwo53),
                                     i(kTwo53 + 1),
                                     i(kMax - 1),
                                     i(kMax),
                                     d(-9223372036854775808.0),
                                     d(-kInf),
                                     d(9007199254740992.0),
                                     d(9007199254740994.0),
                                     d(-0.0),
                                     d(0.0),
                                     d(kInf),
                                     d(kNaN),
                                     i(0),
                                     d(1e-310)};
    for (const auto& a : vals) {
        for (const auto& c : vals) {
            CHECK(sgn(compare(a, c)) == -sgn(compare(c, a)));
            for (const auto& e : vals) {
                if (compare(a, c) < 0 && compare(c, e) < 0) CHECK(compare(a, e) < 0);
            }
        }
    }
}

TEST_CASE("same() is exact: type and bits", "[unit][value]") {
    CHECK(same(Value{}, Value{}));
    CHECK(same(i(7), i(7)));
    CHECK(!same(i(7), d(7.0)));
    CHECK(!same(i(7), t("7")));
    CHECK(!same(i(7), b({7})));
    CHECK(!same(t("7"), b({'7'})));
    CHECK(same(d(kNaN), d(kNaN)));
    CHECK(!same(d(kNaN), d(-kNaN)));
    CHECK(!same(Value{}, i(0)));
    CHECK(same(b({1, 2}), b({1, 2})));
    CHECK(!same(b({1, 2}), b({1, 2, 0})));
    CHECK(!same(t("a"), Value{std::string("a\0", 2)}));
}

TEST_CASE("to_display renders each type distinguishably", "[unit][value]") {
    CHECK(to_display(Value{}) == "null");
    CHECK(to_display(i(7)) == "7");
    CHECK(to_display(i(kMin)) == "-9223372036854775808");
    CHECK(to_display(d(7.0)) == "7.0");
    CHECK(to_display(d(-0.0)) == "-0.0");
    CHECK(to_display(d(0.1)) == "0.1");
    CHECK(to_display(d(1e300)) == "1e+300");
    CHECK(to_display(d(kNaN)) == "NaN");
    CHECK(to_display(d(-kInf)) == "-Infinity");
    CHECK(to_display(t("7")) == "\"7\"");
    CHECK(to_display(t("a\"b\\c\n")) == "\"a\\\"b\\\\c\\x0a\"");
    CHECK(to_display(b({7, 0xAB})) == "h'07ab'");
    CHECK(to_display(b({})) == "h''");
}

TEST_CASE("to_display shortens long values without splitting UTF-8", "[unit][value]") {
    const std::string long_text(100, 'x');
    CHECK(to_display(Value{long_text}) == "\"" + std::string(64, 'x') + "\"...(100 bytes)");
    std::string han;
    for (int k = 0; k < 30; ++k)
        han += "\xe4\xb8\xad";  // 中, 3 bytes each
    const std::string shown = to_display(Value{han});
    CHECK(shown == "\"" + han.substr(0, 63) + "\"...(90 bytes)");
    const std::string bytes_shown = to_display(b(Bytes(40, 0x11)));
    CHECK(bytes_shown == "h'" + std::string(64, '1') + "'...(40 bytes)");
}

TEST_CASE("errc_name covers every code", "[unit][result]") {
    using zb::protocol::Errc;
    using zb::protocol::errc_name;
    CHECK(errc_name(Errc::Ok) == "Ok");
    CHECK(errc_name(Errc::Malformed) == "Malformed");
    CHECK(errc_name(Errc::BadValue) == "BadValue");
    CHECK(errc_name(Errc::VersionUnsupported) == "VersionUnsupported");
    CHECK(errc_name(Errc::Replay) == "Replay");
    CHECK(errc_name(Errc::OutOfScope) == "OutOfScope");
    CHECK(errc_name(Errc::TypeMismatch) == "TypeMismatch");
    CHECK(errc_name(Errc::DiskFull) == "DiskFull");
    CHECK(errc_name(Errc::ClockAhead) == "ClockAhead");
    CHECK(errc_name(Errc::ClockOverflow) == "ClockOverflow");
    CHECK(errc_name(static_cast<Errc>(999)) == "Unknown");
    // Every number from 0 to 799 either has a name or is unassigned; named ones round-trip.
    int named = 0;
    for (int n = 0; n < 800; ++n) {
        if (errc_name(static_cast<Errc>(n)) != "Unknown") ++named;
    }
    CHECK(named == 40);  // 36 in protocol 1, + HashMismatch, NotFound, QuotaExceeded, CursorExpired
}
