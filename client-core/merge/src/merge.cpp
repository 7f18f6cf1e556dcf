// SPDX-License-Identifier: Apache-2.0
// The merge rules of merge.hpp. Every rule is a lattice join: the stored result is the maximum (or,
// for append-only, the minimum) of the changes seen under one fixed total order, so apply() is
// idempotent, commutative and associative by construction. Validation happens before any write
// so a rejected change never leaves a partial update behind.
#include "zb/merge/merge.hpp"

#include "zb/protocol/value.hpp"

#include <algorithm>
#include <utility>

namespace zb::merge {
namespace {

using protocol::Errc;
using protocol::Op;

template <class T>
int three_way(const T& a, const T& b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

// The total order over versions behind every tie-break: (hlc, origin) as merge.hpp specifies,
// then value and base. An origin never issues one hlc twice, so the last two keys only matter
// for malformed input; they still keep replicas convergent when it happens.
int order(const Cell& a, const Cell& b) {
    if (int r = three_way(a.hlc, b.hlc); r != 0) return r;
    if (int r = three_way(a.origin, b.origin); r != 0) return r;
    if (int r = protocol::compare(a.value, b.value); r != 0) return r;
    return three_way(a.base, b.base);
}

bool identical(const Cell& a, const Cell& b) {
    return a.hlc == b.hlc && a.origin == b.origin && a.base == b.base &&
           protocol::same(a.value, b.value);
}

protocol::Error bad(Errc code, std::string msg) {
    return protocol::make_error(code, std::move(msg));
}

// The policy that governs c. A Count for a column this schema does not declare is merged as a
// counter whatever the table default says: a newer schema declared it, and the op is the only
// unambiguous hint an older replica has. Declared columns must match their op exactly.
Policy effective_policy(const Schema& schema, const Change& c) {
    const TableDef* t = schema.table(c.table);
    const bool declared = t != nullptr && t->column(c.column) != nullptr;
    if (!declared && c.op == Op::Count) return Policy::Counter;
    return schema.policy(c.table, c.column);
}

protocol::Result<Policy> validate(const Schema& schema, const Change& c) {
    if (c.op == Op::Command) {
        return bad(Errc::UnexpectedMessage, "commands are executed by the server, not merged");
    }
    if (c.table.empty() || c.row.empty()) return bad(Errc::BadValue, "change without table or row");
    if (c.hlc.is_zero()) return bad(Errc::BadValue, "change without a timestamp");
    switch (c.op) {
        case Op::Delete:
        case Op::Restore:
            if (!c.column.empty()) return bad(Errc::BadValue, "row-level op names a column");
            if (!protocol::is_null(c.value)) return bad(Errc::BadValue, "row-level op has a value");
            return schema.policy(c.table, c.column);
        case Op::Set:
        case Op::Count:
            break;
        default:
            return bad(Errc::BadValue, "unknown op");
    }
    if (c.column.empty()) return bad(Errc::BadValue, "column op without a column");
    const Policy p = effective_policy(schema, c);
    if (c.op == Op::Count) {
        if (protocol::type_of(c.value) != protocol::ValueType::Integer) {
            return bad(Errc::TypeMismatch, "counter total is not an integer");
        }
        if (p != Policy::Counter) return bad(Errc::BadValue, "count on a non-counter column");
    } else if (p == Policy::Counter) {
        return bad(Errc::BadValue, "set on a counter column");
    }
    return p;
}

// Row liveness: deleted and alive are independent maxima, so their order of arrival is irrelevant.
bool apply_row(State& state, const Change& c) {
    const RowMeta before = state.row(c.table, c.row);
    RowMeta after = before;
    if (c.op == Op::Delete) {
        after.deleted = std::max(after.deleted, c.hlc);
    } else {
        after.alive = std::max(after.alive, c.hlc);
    }
    if (after.deleted != before.deleted || after.alive != before.alive) {
        state.put_row(c.table, c.row, after);
    }
    return after.is_deleted() != before.is_deleted();
}

bool put_if(State& state, const Change& c, bool wins, const Cell& incoming) {
    if (wins) state.put_cell(c.table, c.row, c.column, incoming);
    return wins;
}

bool apply_counter(State& state, const Change& c, const Cell& incoming) {
    const std::optional<Cell> part = state.counter_part(c.table, c.row, c.column, c.origin);
    // An origin's totals only grow in hlc order, so its latest total replaces the earlier ones;
    // an older or repeated total changes nothing.
    if (part && order(incoming, *part) <= 0) return false;
    state.put_counter_part(c.table, c.row, c.column, incoming);

    // The cell shows the sum, stamped with the newest part: the newest part is the newest Count
    // seen for the cell, so the stamp is also a pure maximum.
    const std::optional<Cell> cur = state.cell(c.table, c.row, c.column);
    Cell shown{Value{state.counter_sum(c.table, c.row, c.column)}, c.hlc, c.origin, Hlc{}};
    if (cur && newer(cur->hlc, cur->origin, c.hlc, c.origin)) {
        shown.hlc = cur->hlc;
        shown.origin = cur->origin;
    }
    if (cur && identical(*cur, shown)) return false;
    state.put_cell(c.table, c.row, c.column, shown);
    return true;
}

bool apply_keep_both(State& state, const Change& c, const Cell& incoming) {
    for (const Cell& v : state.versions(c.table, c.row, c.column)) {
        if (identical(v, incoming)) return false;  // a duplicate delivery
    }
    state.add_version(c.table, c.row, c.column, incoming);
    // The shown cell is the greatest version; conflicts are derived from the versions on demand.
    const std::optional<Cell> cur = state.cell(c.table, c.row, c.column);
    return put_if(state, c, !cur || order(incoming, *cur) > 0, incoming);
}

bool apply_cell(State& state, const Change& c, Policy policy) {
    const Cell incoming{c.value, c.hlc, c.origin, c.base};
    if (policy == Policy::Counter) return apply_counter(state, c, incoming);
    if (policy == Policy::KeepBoth) return apply_keep_both(state, c, incoming);

    const std::optional<Cell> cur = state.cell(c.table, c.row, c.column);
    if (!cur) return put_if(state, c, true, incoming);
    switch (policy) {
        case Policy::Max: {
            const int by_value = protocol::compare(incoming.value, cur->value);
            return put_if(state, c, by_value > 0 || (by_value == 0 && order(incoming, *cur) > 0),
                          incoming);
        }
        case Policy::AppendOnly:
            // The first write is final: keep the least version, so a late-arriving earlier insert
            // still replaces a later one that got here first.
            return put_if(state, c, order(incoming, *cur) < 0, incoming);
        default:  // Lww, Server
            return put_if(state, c, order(incoming, *cur) > 0, incoming);
    }
}

}  // namespace

protocol::Result<Outcome> apply(const Schema& schema, State& state, const Change& c) {
    protocol::Result<Policy> policy = validate(schema, c);
    if (!policy) return policy.error();

    const bool row_flipped = apply_row(state, c);
    const bool cell_changed =
        (c.op == Op::Set || c.op == Op::Count) && apply_cell(state, c, policy.value());
    return (row_flipped || cell_changed) ? Outcome::Applied : Outcome::Absorbed;
}

std::vector<Cell> open_conflicts(const std::vector<Cell>& versions, Cell* winner_out) {
    std::vector<Cell> open;
    if (versions.empty()) return open;

    const Cell* winner = &versions.front();
    for (const Cell& v : versions) {
        if (order(v, *winner) > 0) winner = &v;
    }
    if (winner_out != nullptr) *winner_out = *winner;

    for (const Cell& v : versions) {
        if (&v == winner || identical(v, *winner)) continue;
        // The winner's writer had seen v: v was replaced knowingly, not raced.
        if (v.hlc <= winner->base) continue;
        const bool superseded = std::any_of(versions.begin(), versions.end(), [&](const Cell& s) {
            return s.hlc > v.hlc && s.base >= v.hlc;
        });
        if (superseded) continue;
        // Duplicated input versions must not surface twice.
        const bool listed =
            std::any_of(open.begin(), open.end(), [&](const Cell& o) { return identical(o, v); });
        if (!listed) open.push_back(v);
    }
    std::sort(open.begin(), open.end(),
              [](const Cell& a, const Cell& b) { return order(a, b) < 0; });
    return open;
}

}  // namespace zb::merge
