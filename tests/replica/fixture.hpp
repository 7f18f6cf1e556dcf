// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the replica tests: the test schema (one column per merge policy), an
// injectable test clock, and builders for remote changes as a server would send them.
#pragma once

#include "temp_dir.hpp"

#include "zb/core/replica.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace zb::test {

using core::Replica;
using core::Values;
using merge::Policy;
using protocol::Change;
using protocol::Hlc;
using protocol::Op;
using protocol::Value;

/// Version 1 of the test app: a notes table with a column per policy, and a ledger.
inline merge::Schema schema_v1() {
    merge::Schema s(1);
    merge::TableDef notes;
    notes.name = "notes";
    notes.columns = {{"title", Policy::Lww, false},     {"body", Policy::Lww, false},
                     {"org", Policy::Lww, false},       {"views", Policy::Counter, false},
                     {"progress", Policy::Max, false},  {"minutes", Policy::KeepBoth, false},
                     {"status", Policy::Server, false}, {"signed", Policy::AppendOnly, false}};
    s.add(notes);
    merge::TableDef ledger;
    ledger.name = "ledger";
    ledger.deletable = false;
    ledger.columns = {{"amount", Policy::AppendOnly, false}};
    s.add(ledger);
    return s;
}

/// A wall clock the test moves by hand (it may even go backwards).
struct TestClock {
    std::shared_ptr<std::uint64_t> ms = std::make_shared<std::uint64_t>(1'700'000'000'000);
    std::function<std::uint64_t()> fn() const {
        auto p = ms;
        return [p] { return (*p)++; };
    }
};

inline std::unique_ptr<Replica> open_replica(const std::string& path, merge::Schema schema,
                                             const TestClock& clock,
                                             std::vector<core::Migration> migrations = {}) {
    core::Options o;
    o.path = path;
    o.schema = std::move(schema);
    o.now_ms = clock.fn();
    o.migrations = std::move(migrations);
    auto r = Replica::open(std::move(o));
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r.ok());
    return std::move(r).value();
}

/// A change from another device, stamped at `ms` milliseconds (logical 0).
inline Change remote(std::string table, std::string row, std::string column, Op op, Value v,
                     std::uint64_t ms, protocol::DeviceId origin, Hlc base = {}) {
    Change c;
    c.table = std::move(table);
    c.row = std::move(row);
    c.column = std::move(column);
    c.op = op;
    c.value = std::move(v);
    c.hlc = Hlc::make(ms, 0);
    c.base = base;
    c.origin = origin;
    c.seq = 1;
    return c;
}

inline protocol::Changes page(std::vector<Change> changes, std::uint64_t cursor = 1) {
    protocol::Changes p;
    p.changes = std::move(changes);
    p.cursor = cursor;
    return p;
}

inline Values read_row(Replica& r, const std::string& table, const std::string& row,
                       bool include_deleted = false) {
    auto v = r.read(table, row, include_deleted);
    REQUIRE(v.ok());
    REQUIRE(v->has_value());
    return **v;
}

inline Value cell(Replica& r, const std::string& table, const std::string& row,
                  const std::string& column) {
    Values v = read_row(r, table, row, true);
    auto it = v.find(column);
    return it == v.end() ? Value{} : it->second;
}

/// Same type and bits for every value of two rows.
inline bool same_values(const Values& a, const Values& b) {
    if (a.size() != b.size()) return false;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
        if (ia->first != ib->first || !protocol::same(ia->second, ib->second)) return false;
    }
    return true;
}

inline std::vector<Change> all_pending(Replica& r) {
    auto p = r.pending(0, 1'000'000);
    REQUIRE(p.ok());
    return *p;
}

}  // namespace zb::test
