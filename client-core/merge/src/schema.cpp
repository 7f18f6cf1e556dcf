// SPDX-License-Identifier: Apache-2.0
// Schema lookups: which policy governs a column. Kept deliberately small because the phone, the
// server and the simulator all consult it on every change; an unknown column falls back to its
// table's default so that an older client still merges columns added by a newer schema.
#include "zb/merge/schema.hpp"

#include <utility>

namespace zb::merge {

std::string_view policy_name(Policy p) {
    switch (p) {
        case Policy::Lww:
            return "lww";
        case Policy::Counter:
            return "counter";
        case Policy::Max:
            return "max";
        case Policy::AppendOnly:
            return "append_only";
        case Policy::KeepBoth:
            return "keep_both";
        case Policy::Server:
            return "server";
    }
    return "unknown";
}

const ColumnDef* TableDef::column(std::string_view col) const {
    for (const ColumnDef& c : columns) {
        if (c.name == col) return &c;
    }
    return nullptr;
}

void Schema::add(TableDef t) {
    // A later declaration of the same table replaces the earlier one (schema upgrades build a new
    // Schema from scratch, so this only matters for tests that redeclare a table).
    std::string name = t.name;
    tables_.insert_or_assign(std::move(name), std::move(t));
}

const TableDef* Schema::table(std::string_view name) const {
    auto it = tables_.find(name);
    return it == tables_.end() ? nullptr : &it->second;
}

Policy Schema::policy(std::string_view table, std::string_view column) const {
    const TableDef* t = this->table(table);
    if (t == nullptr) return Policy::Lww;
    if (const ColumnDef* c = t->column(column)) return c->policy;
    return t->policy;
}

}  // namespace zb::merge
