// SPDX-License-Identifier: Apache-2.0
// A column value that keeps its exact type across the wire and through every store:
// null, 64-bit integer, IEEE double, UTF-8 text, bytes. 7 (integer) and 7.0 (real) are different
// values; no merge outcome may depend on a conversion between them.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace zb::protocol {

using Bytes = std::vector<std::uint8_t>;

/// Index order is the type rank used by compare(): null < integer < real < text < bytes.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Bytes>;

// GCC's -Wshadow flags the scoped enumerator Bytes against the alias above although the two
// can never be confused (ValueType::Bytes is always qualified).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
enum class ValueType : std::uint8_t { Null = 0, Integer = 1, Real = 2, Text = 3, Bytes = 4 };
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

inline ValueType type_of(const Value& v) {
    return static_cast<ValueType>(v.index());
}
inline bool is_null(const Value& v) {
    return v.index() == 0;
}

/// Total order over values used where a policy needs one (the `max` policy, deterministic
/// tie-breaks). Integers and reals compare numerically with each other (an exact comparison,
/// no rounding through double); on numeric equality the integer sorts first. Text compares
/// bytewise, bytes lexicographically. NaN sorts above every other real.
/// Returns <0, 0, >0.
int compare(const Value& a, const Value& b);

/// Exact equality: same type and same bits (a NaN equals the same NaN bit pattern).
bool same(const Value& a, const Value& b);

/// Short human rendering for logs and the CLI (bytes as hex, text quoted).
std::string to_display(const Value& v);

}  // namespace zb::protocol
