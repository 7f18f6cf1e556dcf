// SPDX-License-Identifier: Apache-2.0
// Structured logging: one JSON object per line on stderr ({"ts","level","event",…fields}).
// Callers pass ids, counts and codes only; never tokens, keys or record contents.
#pragma once

#include <nlohmann/json.hpp>

#include <mutex>
#include <string_view>

namespace zb::server {

enum class LogLevel : int { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

LogLevel parse_log_level(std::string_view s);
void set_log_level(LogLevel l);
bool log_enabled(LogLevel l);
void log(LogLevel l, std::string_view event, nlohmann::json fields = nlohmann::json::object());

}  // namespace zb::server
