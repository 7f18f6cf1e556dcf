// SPDX-License-Identifier: Apache-2.0
// Local data commands of `zhibu`: show rows, list and resolve keep-both conflicts, list and
// dismiss changes the server rejected. They work offline, on the replica only; `zhibu sync`
// carries resolutions to the server.
#include "commands.hpp"

#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <sstream>

namespace zb::cli {
namespace {

std::string hex(const protocol::Bytes& b) {
    static const char* k = "0123456789abcdef";
    std::string s;
    for (auto c : b) {
        s += k[c >> 4];
        s += k[c & 15];
    }
    return s;
}

std::string display(const protocol::Value& v) {
    switch (v.index()) {
        case 0:
            return "null";
        case 1:
            return std::to_string(std::get<std::int64_t>(v));
        case 2: {
            std::ostringstream o;
            o << std::get<double>(v);
            return o.str();
        }
        case 3:
            return std::get<std::string>(v);
        default:
            return "0x" + hex(std::get<protocol::Bytes>(v));
    }
}

nlohmann::json row_json(const core::RowView& r) {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& [k, v] : r.values)
        values[k] = value_to_json(v);
    return {{"id", r.id}, {"deleted", r.deleted}, {"values", values}};
}

std::string conflict_id(const merge::Conflict& c) {
    return c.table + "/" + c.row + "/" + c.column;
}

void show(Context& ctx, const Args& a) {
    auto& rep = ctx.open_replica(false);
    const auto& pos = a.positionals();
    const std::string table = pos[0];
    if (pos.size() == 2) {
        auto row = check(rep.read(table, pos[1], a.has("deleted")));
        if (!row)
            throw CliError(Exit::Rejected, "not-found", "no row '" + pos[1] + "' in " + table);
        core::RowView view{pos[1], false, *row};
        if (ctx.out.json_mode) {
            ctx.out.json["row"] = row_json(view);
            return;
        }
        ctx.out.line(table + " " + pos[1]);
        for (const auto& [k, v] : *row)
            ctx.out.line("  " + k + " = " + display(v));
        return;
    }
    core::ScanOptions so;
    so.include_deleted = a.has("deleted");
    auto rows = check(rep.scan(table, so));
    if (ctx.out.json_mode) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& r : rows)
            arr.push_back(row_json(r));
        ctx.out.json["table"] = table;
        ctx.out.json["rows"] = arr;
        return;
    }
    for (const auto& r : rows) {
        std::string line = r.id + (r.deleted ? " (deleted)" : "") + ":";
        for (const auto& [k, v] : r.values)
            line += " " + k + "=" + display(v);
        ctx.out.line(line);
    }
    ctx.out.line(std::to_string(rows.size()) + " row(s)");
}

void conflicts_list(Context& ctx, const Args&) {
    auto& rep = ctx.open_replica(false);
    auto list = check(rep.conflicts());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& c : list) {
        nlohmann::json losers = nlohmann::json::array();
        for (const auto& l : c.losers)
            losers.push_back({{"value", value_to_json(l.value)},
                              {"hlc", protocol::to_string(l.hlc)},
                              {"origin", std::to_string(l.origin)}});
        arr.push_back({{"id", conflict_id(c)},
                       {"table", c.table},
                       {"row", c.row},
                       {"column", c.column},
                       {"value", value_to_json(c.winner.value)},
                       {"others", losers}});
        ctx.out.line(conflict_id(c) + ": shown " + display(c.winner.value));
        for (const auto& l : c.losers)
            ctx.out.line("    also " + display(l.value));
    }
    ctx.out.json["conflicts"] = arr;
    ctx.out.line(std::to_string(list.size()) + " open conflict(s)");
}

void conflicts_resolve(Context& ctx, const Args& a) {
    auto& rep = ctx.open_replica(false);
    const std::string id = a.positionals()[0];
    auto list = check(rep.conflicts());
    const merge::Conflict* found = nullptr;
    for (const auto& c : list)
        if (conflict_id(c) == id) found = &c;
    if (!found)
        throw CliError(Exit::Rejected, "not-found",
                       "no open conflict '" + id + "' (see zhibu conflicts list)");
    const auto value = value_from_text(a.need("value"), &found->winner.value);
    check(rep.resolve(found->table, found->row, found->column, value));
    ctx.out.json["resolved"] = id;
    ctx.out.line("resolved " + id + " = " + display(value) + " (run zhibu sync to share it)");
}

void rejected_list(Context& ctx, const Args&) {
    auto& rep = ctx.open_replica(false);
    auto list = check(rep.rejected());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : list) {
        arr.push_back({{"id", r.id},
                       {"table", r.change.table},
                       {"row", r.change.row},
                       {"column", r.change.column},
                       {"value", value_to_json(r.change.value)},
                       {"code", static_cast<int>(r.code)},
                       {"code_name", std::string(protocol::errc_name(r.code))},
                       {"message", r.message}});
        ctx.out.line(std::to_string(r.id) + ": " + r.change.table + "/" + r.change.row +
                     (r.change.column.empty() ? "" : "/" + r.change.column) + " refused (" +
                     std::string(protocol::errc_name(r.code)) + "): " + r.message);
    }
    ctx.out.json["rejected"] = arr;
    ctx.out.line(std::to_string(list.size()) + " rejected change(s)");
}

void rejected_dismiss(Context& ctx, const Args& a) {
    auto& rep = ctx.open_replica(false);
    const std::string text = a.positionals()[0];
    std::int64_t id = 0;
    try {
        std::size_t used = 0;
        id = std::stoll(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
    } catch (const std::exception&) {
        usage_error("rejected dismiss expects a numeric ID, got '" + text + "'");
    }
    check(rep.dismiss_rejected(id));
    ctx.out.json["dismissed"] = id;
    ctx.out.line("dismissed " + text);
}

}  // namespace

nlohmann::json value_to_json(const protocol::Value& v) {
    switch (v.index()) {
        case 0:
            return nullptr;
        case 1:
            return std::get<std::int64_t>(v);
        case 2:
            return std::get<double>(v);
        case 3:
            return std::get<std::string>(v);
        default:
            return {{"bytes", hex(std::get<protocol::Bytes>(v))}};
    }
}

protocol::Value value_from_text(const std::string& text, const protocol::Value* like) {
    if (like && like->index() == 3) return text;
    if (text == "null") return std::monostate{};
    try {
        std::size_t used = 0;
        const long long n = std::stoll(text, &used);
        if (used == text.size()) return static_cast<std::int64_t>(n);
        if (like && like->index() == 2) {
            const double d = std::stod(text, &used);
            if (used == text.size()) return d;
        }
    } catch (const std::exception&) {
    }
    return text;
}

std::string new_row_id() {
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char out[37];
    std::snprintf(out, sizeof out,
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
    return out;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void add_data_commands(std::vector<CommandSpec>& out) {
    out.push_back({"show",
                   "TABLE [ROW]",
                   "show the rows of a table, or one row",
                   "Reads the local replica (offline). Deleted rows only with --deleted.",
                   {{"deleted", "", "include deleted rows"}},
                   1,
                   2,
                   show});
    out.push_back({"conflicts",
                   "",
                   "list open keep-both conflicts (same as `conflicts list`)",
                   "Concurrent edits of keep-both fields (meeting minutes) are kept until someone "
                   "resolves them. IDs are TABLE/ROW/COLUMN.",
                   {},
                   0,
                   0,
                   conflicts_list});
    out.push_back(
        {"conflicts list", "", "list open keep-both conflicts", "", {}, 0, 0, conflicts_list});
    out.push_back({"conflicts resolve",
                   "ID",
                   "resolve a conflict with a chosen value",
                   "Writes VALUE over every open version of the cell TABLE/ROW/COLUMN; after the "
                   "next sync the conflict closes on every device.",
                   {{"value", "V", "the value to keep", true}},
                   1,
                   1,
                   conflicts_resolve});
    out.push_back({"rejected",
                   "",
                   "list local changes the server refused (same as `rejected list`)",
                   "",
                   {},
                   0,
                   0,
                   rejected_list});
    out.push_back({"rejected list",
                   "",
                   "list local changes the server refused",
                   "",
                   {},
                   0,
                   0,
                   rejected_list});
    out.push_back({"rejected dismiss",
                   "ID",
                   "forget a rejected change once read",
                   "",
                   {},
                   1,
                   1,
                   rejected_dismiss});
}

std::vector<CommandSpec> all_commands() {
    std::vector<CommandSpec> out;
    add_session_commands(out);
    add_domain_commands(out);
    add_data_commands(out);
    return out;
}

}  // namespace zb::cli
