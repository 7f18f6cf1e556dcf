// SPDX-License-Identifier: Apache-2.0
// The compact binary encodings the store keeps inside BLOB columns: a row's per-cell merge
// metadata (with the values of columns the table has no SQL column for, and the row's
// server-confirmed shadow while it has unsettled local changes), and an outbox entry's changes.
// Byte layouts are specified in client-core/FORMAT.md; a malformed blob throws StoreError.
#pragma once

#include "zb/merge/merge.hpp"
#include "zb/protocol/change.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace zb::core::store {

using CellMap = std::map<std::string, merge::Cell, std::less<>>;
using PartKey = std::pair<std::string, protocol::DeviceId>;  // (column, origin)

/// A row's complete server-confirmed state: what the row returns to when a local change to it is
/// rejected. Kept only while the row has unsettled local changes (`pending` of them).
struct Shadow {
    std::uint64_t pending = 0;
    merge::RowMeta meta;
    CellMap cells;
    std::map<PartKey, merge::Cell> parts;
    std::map<std::string, std::vector<merge::Cell>, std::less<>> versions;
};

/// The decoded metadata blob of one row.
struct RowMetaBlob {
    /// Every cell with its stamp. `inline_values[col]` is true when the value lives in the blob
    /// (the table has no SQL column for it); otherwise the cell's value is read from the column.
    CellMap cells;
    std::map<std::string, bool, std::less<>> inline_values;
    std::optional<Shadow> shadow;
};

/// `is_physical(column)` says which cells keep their value in a SQL column.
template <class IsPhysical>
std::vector<std::uint8_t> encode_row_meta(const CellMap& cells, const std::optional<Shadow>& shadow,
                                          IsPhysical&& is_physical);
RowMetaBlob decode_row_meta(std::span<const std::uint8_t> blob);

/// The changes of one outbox entry. Table, row, origin and the seqs are columns of the entry, so
/// only the per-change fields are packed.
std::vector<std::uint8_t> encode_outbox(const std::vector<protocol::Change>& changes);
std::vector<protocol::Change> decode_outbox(std::span<const std::uint8_t> blob,
                                            const std::string& table, const std::string& row,
                                            protocol::DeviceId origin, std::uint64_t first_seq);

/// Standalone Value encoding (used by the quarantine table).
std::vector<std::uint8_t> encode_change(const protocol::Change& c);

// ---- primitives, exposed for the template above ----

class Writer {
public:
    void u8(std::uint8_t v) { out_.push_back(v); }
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<std::uint8_t>(v | 0x80));
            v >>= 7;
        }
        out_.push_back(static_cast<std::uint8_t>(v));
    }
    void fixed64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i)
            out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    void str(std::string_view s) {
        varint(s.size());
        out_.insert(out_.end(), s.begin(), s.end());
    }
    void value(const protocol::Value& v);
    void cell(const merge::Cell& c, bool with_value);
    std::vector<std::uint8_t> take() { return std::move(out_); }

private:
    std::vector<std::uint8_t> out_;
};

void write_shadow(Writer& w, const Shadow& s);

template <class IsPhysical>
std::vector<std::uint8_t> encode_row_meta(const CellMap& cells, const std::optional<Shadow>& shadow,
                                          IsPhysical&& is_physical) {
    Writer w;
    w.u8(1);  // blob layout version
    w.varint(cells.size());
    for (const auto& [col, c] : cells) {
        w.str(col);
        w.cell(c, !is_physical(col));
    }
    w.u8(shadow ? 1 : 0);
    if (shadow) write_shadow(w, *shadow);
    return w.take();
}

}  // namespace zb::core::store
