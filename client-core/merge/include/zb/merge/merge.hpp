// SPDX-License-Identifier: Apache-2.0
// The merge engine: applies one change to a replica's state according to the column's policy.
// Pure logic over an abstract State, no I/O: the phone (SQLite), the server (SQLite) and the tests
// (memory) supply the State. apply() is idempotent, commutative and associative: any delivery
// order, with any duplicates, yields the same state (docs/ARCHITECTURE.md, "Merge rules").
//
// Rules, per policy, for a change c to cell (table,row,column) holding s:
//  * Lww / Server: c wins iff (c.hlc, c.origin) > (s.hlc, s.origin).
//  * Max: the cell holds the greatest value by protocol::compare(); on equal values the greater
//    (hlc, origin) is kept as the cell's stamp.
//  * Counter (Op::Count): c.value is origin's running total; parts[origin] = the total with the
//    greatest hlc; the cell value is the sum of parts (Integer).
//  * AppendOnly: the first write to a cell by (hlc, origin) order is kept; a different later one
//    is ignored here (the server refuses it before merge with AppendOnlyViolation).
//  * KeepBoth: every version (value, hlc, origin, base) is kept; the cell shows the greatest by
//    (hlc, origin) = the winner W. Another version V is an open conflict iff V.hlc > W.base (W's
//    writer had not seen V) and no version S with S.hlc > V.hlc has S.base >= V.hlc (nobody
//    superseded V knowingly). A resolution is a write whose base is the greatest hlc seen.
//  * Rows: Op::Delete sets deleted = max(deleted, hlc); every Set/Count/Restore raises
//    alive = max(alive, hlc). A row is deleted iff deleted > alive: the later of a racing delete
//    and edit wins, and a deleted row keeps its cells, so a Restore brings it back intact.
#pragma once

#include "zb/merge/schema.hpp"
#include "zb/protocol/change.hpp"
#include "zb/protocol/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zb::merge {

using protocol::Change;
using protocol::DeviceId;
using protocol::Hlc;
using protocol::Value;

/// One stored version of a cell.
struct Cell {
    Value value;
    Hlc hlc;
    DeviceId origin = 0;
    Hlc base;
};

/// (hlc, origin) ordering used by every policy for its tie-breaks.
inline bool newer(Hlc a, DeviceId ao, Hlc b, DeviceId bo) {
    return a != b ? a > b : ao > bo;
}

struct RowMeta {
    Hlc deleted;  ///< greatest Delete hlc (0 = never)
    Hlc alive;    ///< greatest Set/Count/Restore hlc
    bool is_deleted() const { return deleted > alive; }
};

struct Conflict {
    std::string table, row, column;
    Cell winner;
    std::vector<Cell> losers;  ///< open conflicting versions, ascending (hlc, origin)
};

/// Storage the engine works on. All keys are (table, row, column) strings.
class State {
public:
    virtual ~State() = default;
    virtual std::optional<Cell> cell(std::string_view table, std::string_view row,
                                     std::string_view column) = 0;
    virtual void put_cell(std::string_view table, std::string_view row, std::string_view column,
                          const Cell& c) = 0;
    virtual RowMeta row(std::string_view table, std::string_view row) = 0;
    virtual void put_row(std::string_view table, std::string_view row, const RowMeta& m) = 0;
    /// Counter parts: origin's running total and the hlc it was written at.
    virtual std::optional<Cell> counter_part(std::string_view table, std::string_view row,
                                             std::string_view column, DeviceId origin) = 0;
    virtual void put_counter_part(std::string_view table, std::string_view row,
                                  std::string_view column, const Cell& part) = 0;
    /// Sum of every origin's part for the cell.
    virtual std::int64_t counter_sum(std::string_view table, std::string_view row,
                                     std::string_view column) = 0;
    /// Keep-both versions of a cell (any order).
    virtual std::vector<Cell> versions(std::string_view table, std::string_view row,
                                       std::string_view column) = 0;
    virtual void add_version(std::string_view table, std::string_view row, std::string_view column,
                             const Cell& v) = 0;
};

enum class Outcome : std::uint8_t {
    Applied = 1,  ///< the visible state changed
    Absorbed =
        2,  ///< valid but changed nothing visible (older, duplicate, or a losing version kept)
};

/// Apply one change. Errors only for changes no replica can interpret (wrong value type for a
/// counter, row-level op with a column, a Command, which only the server executes): TypeMismatch,
/// BadValue, UnexpectedMessage.
protocol::Result<Outcome> apply(const Schema& schema, State& state, const Change& c);

/// Open conflicts of one keep-both cell, computed from its versions (pure; order-independent).
std::vector<Cell> open_conflicts(const std::vector<Cell>& versions, Cell* winner_out = nullptr);

}  // namespace zb::merge
