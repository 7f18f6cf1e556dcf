// SPDX-License-Identifier: Apache-2.0
// JSON-lines logger on stderr. A single mutex keeps lines whole when threads log together.
#include "zb/server/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>

namespace zb::server {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};
std::mutex g_mu;
const char* level_name(LogLevel l) {
    switch (l) {
        case LogLevel::Debug:
            return "debug";
        case LogLevel::Info:
            return "info";
        case LogLevel::Warn:
            return "warn";
        case LogLevel::Error:
            return "error";
        default:
            return "off";
    }
}
}  // namespace

LogLevel parse_log_level(std::string_view s) {
    if (s == "debug") return LogLevel::Debug;
    if (s == "warn") return LogLevel::Warn;
    if (s == "error") return LogLevel::Error;
    if (s == "off") return LogLevel::Off;
    return LogLevel::Info;
}

void set_log_level(LogLevel l) {
    g_level.store(static_cast<int>(l));
}
bool log_enabled(LogLevel l) {
    return static_cast<int>(l) >= g_level.load();
}

void log(LogLevel l, std::string_view event, nlohmann::json fields) {
    if (!log_enabled(l) || l == LogLevel::Off) return;
    nlohmann::json line = nlohmann::json::object();
    line["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
    line["level"] = level_name(l);
    line["event"] = std::string(event);
    if (fields.is_object()) line.update(fields);
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.push_back('\n');
    std::lock_guard lock(g_mu);
    std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace zb::server
