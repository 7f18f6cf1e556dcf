// SPDX-License-Identifier: Apache-2.0
// Version 1 of the C ABI carries record data as UTF-8 JSON. This is the one place that converts
// between JSON and the core's typed values: null, integer (int64), real (double), text, and bytes
// as {"$bytes": "<base64>"}. 7 and 7.0 stay different values, as everywhere in the core.
#pragma once

#include "zb/core/replica.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace zb::capi {

/// Parses a JSON object of column values. Throws Failure(ZB_ERR_INVALID_ARGUMENT).
core::Values values_from_json(std::string_view text);
/// Parses one JSON value. Throws Failure(ZB_ERR_INVALID_ARGUMENT).
core::Value value_from_json_text(std::string_view text);
core::Value value_from_json(const nlohmann::json& j);

nlohmann::json value_to_json(const core::Value& v);
nlohmann::json values_to_json(const core::Values& values);
/// Serialises compactly; invalid UTF-8 read from storage is replaced, never thrown.
std::string dump(const nlohmann::json& j);

}  // namespace zb::capi
