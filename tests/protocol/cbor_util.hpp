// SPDX-License-Identifier: Apache-2.0
// Helpers for protocol tests: edit an encoded message as an nlohmann DOM (drop a field, change
// its type) and re-encode it, build raw CBOR heads, and read the error code of a failed decode.
#pragma once

#include "zb/protocol/codec.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace zb::test {

namespace zp = zb::protocol;

/// The CBOR map of an encoded message, as a DOM that tests can edit.
inline nlohmann::json dom_of(const zp::Message& m) {
    return nlohmann::json::from_cbor(zp::encode(m));
}

inline zp::Bytes to_cbor(const nlohmann::json& j) {
    return nlohmann::json::to_cbor(j);
}

inline nlohmann::json bin(const zp::Bytes& b) {
    return nlohmann::json::binary(zp::Bytes(b));
}

/// CBOR head (major type + argument) in its shortest form.
inline zp::Bytes head(std::uint8_t major, std::uint64_t n) {
    const auto m = static_cast<std::uint8_t>(major << 5);
    if (n < 24) return {static_cast<std::uint8_t>(m | n)};
    int len = n <= 0xFF ? 1 : n <= 0xFFFF ? 2 : n <= 0xFFFFFFFFull ? 4 : 8;
    const std::uint8_t ai = len == 1 ? 24 : len == 2 ? 25 : len == 4 ? 26 : 27;
    zp::Bytes out{static_cast<std::uint8_t>(m | ai)};
    for (int i = len - 1; i >= 0; --i)
        out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    return out;
}

inline zp::Bytes text_item(const std::string& s) {
    zp::Bytes out = head(3, s.size());
    out.insert(out.end(), s.begin(), s.end());
    return out;
}

inline void append(zp::Bytes& out, const zp::Bytes& more) {
    out.insert(out.end(), more.begin(), more.end());
}

/// Error code of decode(bytes), or Errc::Ok if it decoded.
inline zp::Errc decode_code(const zp::Bytes& bytes, const zp::Limits& limits = {}) {
    const auto r = zp::decode(bytes, limits);
    return r.ok() ? zp::Errc::Ok : r.error().code;
}

inline std::string decode_message(const zp::Bytes& bytes, const zp::Limits& limits = {}) {
    const auto r = zp::decode(bytes, limits);
    return r.ok() ? std::string() : r.error().message;
}

}  // namespace zb::test
