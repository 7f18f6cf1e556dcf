// SPDX-License-Identifier: Apache-2.0
// JSON <-> core::Value for the C ABI (see json_values.hpp). Integers outside int64 and
// non-finite reals are refused rather than silently converted; bytes use standard base64 via
// libsodium so every binding can decode them with its platform's base64.

#include "json_values.hpp"

#include "capi_util.hpp"

#include <sodium.h>

#include <cmath>
#include <limits>

namespace zb::capi {
namespace {

using nlohmann::json;

std::string to_base64(const protocol::Bytes& b) {
    const std::size_t n = sodium_base64_encoded_len(b.size(), sodium_base64_VARIANT_ORIGINAL);
    std::string out(n, '\0');
    sodium_bin2base64(out.data(), n, b.data(), b.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(n - 1);  // drop the terminating NUL
    return out;
}

protocol::Bytes from_base64(const std::string& s) {
    protocol::Bytes out(s.size() / 4 * 3 + 3);
    std::size_t len = 0;
    if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        fail(ZB_ERR_INVALID_ARGUMENT, "\"$bytes\" is not valid base64");
    }
    out.resize(len);
    return out;
}

json parse(std::string_view text) {
    json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) fail(ZB_ERR_INVALID_ARGUMENT, "not valid UTF-8 JSON");
    return j;
}

}  // namespace

core::Value value_from_json(const json& j) {
    switch (j.type()) {
        case json::value_t::null:
            return core::Value{};
        case json::value_t::boolean:
            return core::Value{std::int64_t{j.get<bool>() ? 1 : 0}};
        case json::value_t::number_integer:
            return core::Value{j.get<std::int64_t>()};
        case json::value_t::number_unsigned: {
            const auto u = j.get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                fail(ZB_ERR_INVALID_ARGUMENT, "integer out of the 64-bit signed range");
            }
            return core::Value{static_cast<std::int64_t>(u)};
        }
        case json::value_t::number_float: {
            const double d = j.get<double>();
            if (!std::isfinite(d)) fail(ZB_ERR_INVALID_ARGUMENT, "non-finite number");
            return core::Value{d};
        }
        case json::value_t::string:
            return core::Value{j.get<std::string>()};
        case json::value_t::object:
            if (j.size() == 1 && j.contains("$bytes") && j["$bytes"].is_string()) {
                return core::Value{from_base64(j["$bytes"].get<std::string>())};
            }
            fail(ZB_ERR_INVALID_ARGUMENT, "an object value must be {\"$bytes\": \"<base64>\"}");
        default:
            fail(ZB_ERR_INVALID_ARGUMENT, "arrays are not column values");
    }
}

core::Values values_from_json(std::string_view text) {
    const json j = parse(text);
    if (!j.is_object()) fail(ZB_ERR_INVALID_ARGUMENT, "values must be a JSON object");
    core::Values out;
    for (const auto& [k, v] : j.items())
        out.emplace(k, value_from_json(v));
    return out;
}

core::Value value_from_json_text(std::string_view text) {
    return value_from_json(parse(text));
}

json value_to_json(const core::Value& v) {
    switch (protocol::type_of(v)) {
        case protocol::ValueType::Null:
            return nullptr;
        case protocol::ValueType::Integer:
            return std::get<std::int64_t>(v);
        case protocol::ValueType::Real:
            return std::get<double>(v);
        case protocol::ValueType::Text:
            return std::get<std::string>(v);
        case protocol::ValueType::Bytes:
            return json{{"$bytes", to_base64(std::get<protocol::Bytes>(v))}};
    }
    return nullptr;
}

json values_to_json(const core::Values& values) {
    json out = json::object();
    for (const auto& [k, v] : values)
        out[k] = value_to_json(v);
    return out;
}

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace zb::capi
