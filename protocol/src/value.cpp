// SPDX-License-Identifier: Apache-2.0
// The total order, exact equality and display form of column values. Integer/real comparison is
// exact: a double is split into its integral and fractional parts, and the integral part (which
// always fits in int64 once the out-of-range cases are handled) is compared as an integer, so no
// int64 is ever rounded through double (2^53 + 1 and 2^53 stay distinct).

#include "zb/protocol/value.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace zb::protocol {
namespace {

int sign_of(int c) {
    return (c > 0) - (c < 0);
}

template <class T>
int three_way(const T& a, const T& b) {
    if (a < b) return -1;
    if (b < a) return 1;
    return 0;
}

// Compares an integer with a real exactly. Returns <0, 0 or >0 for i <, ==, > d.
int compare_int_real(std::int64_t i, double d) {
    if (std::isnan(d)) return -1;  // NaN sorts above every real and every integer
    // 2^63 is exactly representable; every double >= 2^63 exceeds every int64, every double
    // below -2^63 is smaller than every int64.
    constexpr double kTwo63 = 9223372036854775808.0;
    if (d >= kTwo63) return -1;
    if (d < -kTwo63) return 1;
    const double whole = std::trunc(d);  // exact, and within [-2^63, 2^63)
    const auto whole_i = static_cast<std::int64_t>(whole);
    if (i != whole_i) return i < whole_i ? -1 : 1;
    const double frac = d - whole;  // exact for doubles
    if (frac > 0) return -1;
    if (frac < 0) return 1;
    return 0;
}

int compare_real(double a, double b) {
    const bool an = std::isnan(a);
    const bool bn = std::isnan(b);
    if (an || bn) {
        if (!an) return -1;
        if (!bn) return 1;
        // Two NaNs: order by bit pattern so that the order stays total and agrees with same().
        return three_way(std::bit_cast<std::uint64_t>(a), std::bit_cast<std::uint64_t>(b));
    }
    if (a < b) return -1;
    if (b < a) return 1;
    // Numerically equal: only -0.0 vs +0.0 can still differ; -0.0 sorts first.
    return three_way(!std::signbit(a), !std::signbit(b));
}

// Type rank for compare(): integers and reals share the numeric rank.
int rank_of(const Value& v) {
    switch (v.index()) {
        case 0:
            return 0;
        case 1:
        case 2:
            return 1;
        case 3:
            return 2;
        default:
            return 3;
    }
}

constexpr std::size_t kDisplayMax = 64;
constexpr char kHex[] = "0123456789abcdef";

}  // namespace

int compare(const Value& a, const Value& b) {
    const int ra = rank_of(a);
    const int rb = rank_of(b);
    if (ra != rb) return ra < rb ? -1 : 1;
    switch (a.index()) {
        case 0:
            return 0;
        case 1:
            if (b.index() == 1) return three_way(std::get<1>(a), std::get<1>(b));
            {
                const int c = compare_int_real(std::get<1>(a), std::get<2>(b));
                return c != 0 ? c : -1;  // numeric tie: the integer sorts first
            }
        case 2:
            if (b.index() == 2) return compare_real(std::get<2>(a), std::get<2>(b));
            {
                const int c = -compare_int_real(std::get<1>(b), std::get<2>(a));
                return c != 0 ? c : 1;
            }
        case 3:
            return sign_of(std::get<3>(a).compare(std::get<3>(b)));
        default: {
            const Bytes& x = std::get<4>(a);
            const Bytes& y = std::get<4>(b);
            const std::size_t n = std::min(x.size(), y.size());
            const int c = n == 0 ? 0 : std::memcmp(x.data(), y.data(), n);
            if (c != 0) return sign_of(c);
            return three_way(x.size(), y.size());
        }
    }
}

bool same(const Value& a, const Value& b) {
    if (a.index() != b.index()) return false;
    switch (a.index()) {
        case 0:
            return true;
        case 1:
            return std::get<1>(a) == std::get<1>(b);
        case 2:
            return std::bit_cast<std::uint64_t>(std::get<2>(a)) ==
                   std::bit_cast<std::uint64_t>(std::get<2>(b));
        case 3:
            return std::get<3>(a) == std::get<3>(b);
        default:
            return std::get<4>(a) == std::get<4>(b);
    }
}

std::string to_display(const Value& v) {
    switch (v.index()) {
        case 0:
            return "null";
        case 1:
            return std::to_string(std::get<1>(v));
        case 2: {
            const double d = std::get<2>(v);
            if (std::isnan(d)) return "NaN";
            if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
            char buf[64];
            const auto r = std::to_chars(buf, buf + sizeof buf, d);
            std::string s(buf, r.ptr);
            // Keep reals recognisable next to integers: 7.0, not 7.
            if (s.find_first_of(".e") == std::string::npos) s += ".0";
            return s;
        }
        case 3: {
            const std::string& t = std::get<3>(v);
            std::size_t n = std::min(t.size(), kDisplayMax);
            // Do not cut a UTF-8 sequence in half.
            while (n < t.size() && n > 0 && (static_cast<unsigned char>(t[n]) & 0xC0) == 0x80)
                --n;
            std::string out = "\"";
            for (std::size_t i = 0; i < n; ++i) {
                const auto c = static_cast<unsigned char>(t[i]);
                if (c == '"' || c == '\\') {
                    out += '\\';
                    out += static_cast<char>(c);
                } else if (c < 0x20 || c == 0x7F) {
                    out += "\\x";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xF];
                } else {
                    out += static_cast<char>(c);
                }
            }
            out += '"';
            if (n < t.size()) out += "...(" + std::to_string(t.size()) + " bytes)";
            return out;
        }
        default: {
            const Bytes& b = std::get<4>(v);
            const std::size_t n = std::min(b.size(), kDisplayMax / 2);
            std::string out = "h'";
            for (std::size_t i = 0; i < n; ++i) {
                out += kHex[b[i] >> 4];
                out += kHex[b[i] & 0xF];
            }
            out += '\'';
            if (n < b.size()) out += "...(" + std::to_string(b.size()) + " bytes)";
            return out;
        }
    }
}

}  // namespace zb::protocol
