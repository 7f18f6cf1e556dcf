// SPDX-License-Identifier: Apache-2.0
// The command table of `zhibu` and helpers shared by the command files: value rendering for
// text and JSON output, and value parsing from the command line.
#pragma once

#include "cli.hpp"
#include "home.hpp"

#include "zb/protocol/value.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace zb::cli {

/// Every command, in the order `zhibu --help` lists them.
std::vector<CommandSpec> all_commands();

void add_session_commands(std::vector<CommandSpec>& out);  // enroll, login, status, sync, wipe
void add_data_commands(std::vector<CommandSpec>& out);     // show, conflicts, rejected
void add_domain_commands(std::vector<CommandSpec>& out);   // study, quiz, comment, meeting, dues

nlohmann::json value_to_json(const protocol::Value& v);
/// Parse a command-line value: integers stay integers, "null" is null, anything else is text;
/// when `like` is a text value the input is always text.
protocol::Value value_from_text(const std::string& text, const protocol::Value* like = nullptr);

/// A fresh random row id (UUID v4 text).
std::string new_row_id();
/// Current time in milliseconds since the epoch.
std::int64_t now_ms();

}  // namespace zb::cli
