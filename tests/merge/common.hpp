// SPDX-License-Identifier: Apache-2.0
// Shared fixtures for the merge tests: one schema with a column per policy and terse builders for
// changes, so each test states only the fields that matter to it.
#pragma once

#include "zb/merge/memory_state.hpp"
#include "zb/merge/merge.hpp"
#include "zb/merge/schema.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace zb::merge::test {

inline Schema test_schema() {
    Schema s;
    TableDef t;
    t.name = "t";
    t.policy = Policy::Lww;
    t.columns = {{"lww", Policy::Lww, false},     {"cnt", Policy::Counter, false},
                 {"max", Policy::Max, false},     {"app", Policy::AppendOnly, false},
                 {"kb", Policy::KeepBoth, false}, {"srv", Policy::Server, false}};
    s.add(t);
    TableDef ledger;
    ledger.name = "ledger";
    ledger.policy = Policy::AppendOnly;
    ledger.deletable = false;
    s.add(ledger);
    return s;
}

inline Hlc at(std::uint64_t millis, std::uint16_t logical = 0) {
    return Hlc::make(millis, logical);
}

inline Change set(std::string column, Value v, Hlc hlc, DeviceId origin, Hlc base = {},
                  std::string row = "r1") {
    Change c;
    c.table = "t";
    c.row = std::move(row);
    c.column = std::move(column);
    c.op = protocol::Op::Set;
    c.value = std::move(v);
    c.hlc = hlc;
    c.base = base;
    c.origin = origin;
    return c;
}

inline Change count(std::int64_t total, Hlc hlc, DeviceId origin, std::string column = "cnt") {
    Change c = set(std::move(column), Value{total}, hlc, origin);
    c.op = protocol::Op::Count;
    return c;
}

inline Change row_op(protocol::Op op, Hlc hlc, DeviceId origin, std::string row = "r1") {
    Change c;
    c.table = "t";
    c.row = std::move(row);
    c.op = op;
    c.hlc = hlc;
    c.origin = origin;
    return c;
}

/// Applies and requires success; returns the outcome.
inline Outcome must_apply(const Schema& s, State& st, const Change& c) {
    auto r = apply(s, st, c);
    if (!r) throw std::runtime_error("apply failed: " + r.error().message);
    return r.value();
}

}  // namespace zb::merge::test
