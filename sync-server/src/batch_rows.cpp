// SPDX-License-Identifier: Apache-2.0
#include "batch_rows.hpp"

namespace zb::server {

namespace {

std::string text_of(const protocol::Value& v) {
    return v.index() == 3 ? std::get<3>(v) : std::string();
}

}  // namespace

BatchRows::BatchRows(const merge::Schema& schema, const std::vector<protocol::Change>& batch,
                     std::uint64_t now_ms, std::uint64_t max_clock_ahead_ms) {
    for (const auto& c : batch) {
        if (c.op != protocol::Op::Set) continue;
        if (c.hlc.is_zero() || c.hlc.millis() > now_ms + max_clock_ahead_ms) continue;
        const merge::TableDef* td = schema.table(c.table);
        if (!td) continue;
        RowInfo& ri = lookahead_[Key{c.table, c.row}];
        if (c.column == td->org_column) ri.org = text_of(c.value);
        if (!td->owner_column.empty() && c.column == td->owner_column) ri.owner = text_of(c.value);
    }
}

protocol::Result<void> BatchRows::check_write(const Principal& p, const merge::TableDef& table,
                                              StoreTxn& txn, const protocol::Change& c) {
    Key key{c.table, c.row};
    auto it = stored_.find(key);
    if (it == stored_.end()) it = stored_.emplace(key, txn.row_info(c.table, c.row)).first;
    RowInfo after = txn.row_info(c.table, c.row).value_or(RowInfo{});
    if (auto la = lookahead_.find(key); la != lookahead_.end()) {
        if (after.org.empty()) after.org = la->second.org;
        if (after.owner.empty()) after.owner = la->second.owner;
    }
    if (c.op == protocol::Op::Set) {
        if (c.column == table.org_column) after.org = text_of(c.value);
        if (!table.owner_column.empty() && c.column == table.owner_column)
            after.owner = text_of(c.value);
    }
    return check_row_write(p, table, it->second, after);
}

}  // namespace zb::server
