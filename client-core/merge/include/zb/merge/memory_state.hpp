// SPDX-License-Identifier: Apache-2.0
// An in-memory merge::State for tests, the simulator and fake sync stores. It stores exactly what
// the State contract asks for and nothing derived, and digest() renders all of it canonically, so
// two replicas that merged the same changes in any order compare equal byte for byte.
#pragma once

#include "zb/merge/merge.hpp"

#include <compare>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace zb::merge {

class MemoryState final : public State {
public:
    std::optional<Cell> cell(std::string_view table, std::string_view row,
                             std::string_view column) override;
    void put_cell(std::string_view table, std::string_view row, std::string_view column,
                  const Cell& c) override;
    RowMeta row(std::string_view table, std::string_view row) override;
    void put_row(std::string_view table, std::string_view row, const RowMeta& m) override;
    std::optional<Cell> counter_part(std::string_view table, std::string_view row,
                                     std::string_view column, DeviceId origin) override;
    void put_counter_part(std::string_view table, std::string_view row, std::string_view column,
                          const Cell& part) override;
    std::int64_t counter_sum(std::string_view table, std::string_view row,
                             std::string_view column) override;
    std::vector<Cell> versions(std::string_view table, std::string_view row,
                               std::string_view column) override;
    void add_version(std::string_view table, std::string_view row, std::string_view column,
                     const Cell& v) override;

    /// Canonical text of the whole state: rows, shown cells, counter parts and keep-both versions,
    /// each in key order (versions sorted by hlc, origin, base, value). Values are rendered exactly
    /// (reals by bit pattern), so equal digests mean equal states. One line per entry.
    std::string digest() const;

    /// Number of shown cells (including cells of deleted rows).
    std::size_t cell_count() const { return cells_.size(); }
    /// Every (table, row) that has row metadata, in key order.
    std::vector<std::pair<std::string, std::string>> rows() const;
    /// Every cell key (table, row, column) with a shown value, in key order.
    struct CellKey {
        std::string table, row, column;
        auto operator<=>(const CellKey&) const = default;
    };
    std::vector<CellKey> cell_keys() const;

    /// Every keep-both cell with open conflicts, in key order (see open_conflicts()).
    std::vector<Conflict> conflicts() const;

    friend bool operator==(const MemoryState& a, const MemoryState& b) {
        return a.digest() == b.digest();
    }

private:
    using RowKey = std::pair<std::string, std::string>;
    static CellKey key(std::string_view t, std::string_view r, std::string_view c) {
        return CellKey{std::string(t), std::string(r), std::string(c)};
    }

    std::map<CellKey, Cell> cells_;
    std::map<RowKey, RowMeta> rows_;
    std::map<CellKey, std::map<DeviceId, Cell>> parts_;
    std::map<CellKey, std::vector<Cell>> versions_;  ///< arrival order; digest() sorts
};

/// Exact, type-tagged rendering of a value used by digest(): "null", "i:7", "r:7 (0x401c…)",
/// "t:5:hello", "b:00ff".
std::string canonical(const Value& v);

}  // namespace zb::merge
