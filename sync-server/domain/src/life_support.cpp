// SPDX-License-Identifier: Apache-2.0
// Shared plumbing of the organisational-life modules, and the store scan analytics run on.
#include "life_support.hpp"

#include "zb/domain/tables.hpp"
#include "zb/server/domain/life.hpp"

#include <sqlite3.h>

#include <charconv>
#include <memory>
#include <stdexcept>

namespace zb::server::domain {

std::vector<std::string> live_row_ids(ServerContext& ctx, StoreTxn& txn, std::string_view table) {
    // The store keeps one `rows` entry per (table, row); its own connections are private, so the
    // scan opens a read-only one (WAL: it sees the last commit and never blocks the writer).
    sqlite3* raw = nullptr;
    const std::string path = ctx.config.db_path();
    int rc =
        sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
    if (rc != SQLITE_OK)
        throw std::runtime_error("live_row_ids: cannot open " + path + ": " +
                                 (raw ? sqlite3_errmsg(raw) : "out of memory"));
    sqlite3_busy_timeout(raw, 5000);
    sqlite3_stmt* st = nullptr;
    rc = sqlite3_prepare_v2(raw, "SELECT rid FROM rows WHERE tbl=? ORDER BY rid", -1, &st, nullptr);
    if (rc != SQLITE_OK)
        throw std::runtime_error(std::string("live_row_ids: ") + sqlite3_errmsg(raw));
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(st, &sqlite3_finalize);
    sqlite3_bind_text(st, 1, table.data(), static_cast<int>(table.size()), SQLITE_TRANSIENT);
    std::vector<std::string> ids;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        std::string id(t ? t : "", static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
        // Tombstones are the merge state's to judge, through the transaction.
        if (!txn.state().row(table, id).is_deleted()) ids.push_back(std::move(id));
    }
    if (rc != SQLITE_DONE)
        throw std::runtime_error(std::string("live_row_ids: ") + sqlite3_errmsg(raw));
    return ids;
}

namespace life {

std::optional<std::int64_t> as_int(const std::optional<protocol::Value>& v) {
    if (!v) return std::nullopt;
    if (v->index() == 1) return std::get<1>(*v);
    if (v->index() == 2) return static_cast<std::int64_t>(std::get<2>(*v));
    if (v->index() == 3) {
        const auto& s = std::get<3>(*v);
        std::int64_t out = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec == std::errc() && p == s.data() + s.size()) return out;
    }
    return std::nullopt;
}

std::string month_key(std::uint64_t ms) {
    const auto d = Date::from_unix_ms_cst(static_cast<std::int64_t>(ms));
    return d.to_string().substr(0, 7);
}

void ChangedWrites::set(std::string_view table, std::string_view row, std::string_view column,
                        protocol::Value v) {
    auto cur = txn_.state().cell(table, row, column);
    if (cur && cur->value == v) return;
    if (!cur && v.index() == 0) return;
    out_.push_back(CommandWrite{std::string(table), std::string(row), std::string(column),
                                protocol::Op::Set, std::move(v)});
}

std::vector<std::string> ancestors(std::string_view org) {
    std::vector<std::string> out;
    std::string p(org);
    while (true) {
        auto slash = p.rfind('/');
        if (slash == std::string::npos || slash == 0) break;
        p.resize(slash);
        out.push_back(p);
    }
    return out;
}

std::vector<std::string> string_list(Rows& rows, std::string_view table, std::string_view row,
                                     std::string_view column) {
    std::vector<std::string> out;
    const auto text = rows.text(table, row, column);
    if (text.empty()) return out;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_discarded() && j.is_array()) {
        for (const auto& x : j)
            if (x.is_string()) out.push_back(x.get<std::string>());
        return out;
    }
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        if (comma > start) out.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

std::string branch_of_person(Rows& rows, std::string_view person) {
    return rows.text(zb::domain::tables::kMemberships, person, "org");
}

}  // namespace life
}  // namespace zb::server::domain
