// SPDX-License-Identifier: Apache-2.0
// The SQLite-backed zb::merge::State. Rows are the unit of I/O: the first touch of a row in a
// transaction reads it (visible values + metadata blob) into a cache, merge::apply() works on the
// cache, and flush() writes each dirty row back with one UPSERT, so a page of N changes over R
// rows costs about 2R statements. Counter parts and keep-both versions are written through to
// their side tables. Invariant: the cache is flushed before COMMIT and cleared after every
// transaction, committed or not, so it never outlives the transaction that filled it.
#pragma once

#include "store/codec.hpp"
#include "store/sqlite.hpp"

#include "zb/merge/merge.hpp"
#include "zb/merge/schema.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zb::core::store {

/// A declared table as it exists on disk.
struct TableInfo {
    std::string name;
    std::vector<std::string> columns;  ///< user columns with a SQL column, in table order
    std::map<std::string, int, std::less<>> index;
    std::string select_sql, upsert_sql, scan_sql;
    bool is_physical(std::string_view col) const { return index.find(col) != index.end(); }
};

/// Physical layout of every declared table, read back from SQLite (PRAGMA table_info), so that
/// columns a newer app version created are treated as physical even if this schema omits them.
class Catalog {
public:
    void load(Conn& conn, const merge::Schema& schema);
    const TableInfo* find(std::string_view table) const {
        auto it = tables_.find(table);
        return it == tables_.end() ? nullptr : &it->second;
    }

private:
    std::map<std::string, TableInfo, std::less<>> tables_;
};

/// One cached row. `info == nullptr` means the table is not declared by this schema: the row
/// lives in _zb_extra_rows with every value inline in the blob.
struct Row {
    std::string table, id;
    const TableInfo* info = nullptr;
    bool exists = false;
    bool dirty = false;
    merge::RowMeta meta;
    CellMap cells;
    std::optional<Shadow> shadow;
    bool changed = false;  ///< visible state changed in this transaction (for listeners)
};

class SqliteState final : public merge::State {
public:
    SqliteState(Conn& conn, const Catalog& catalog) : conn_(conn), catalog_(catalog) {}

    Row& load(std::string_view table, std::string_view row);
    /// Decode the current result row of a select_sql/scan_sql statement into `r`.
    void decode_row(Stmt& s, int first_col, Row& r);
    /// Write every dirty row, then clear the cache.
    void flush();
    /// Write one row now (used by promotion, which builds rows outside the cache).
    void write_row(Row& r);
    void clear() {
        rows_.clear();
        order_.clear();
        last_ = nullptr;
    }
    /// Rows touched since the last clear(), in first-touch order.
    const std::vector<Row*>& touched() const { return order_; }

    std::map<PartKey, merge::Cell> parts_of(std::string_view table, std::string_view row);
    std::map<std::string, std::vector<merge::Cell>, std::less<>> versions_of(std::string_view table,
                                                                             std::string_view row);
    void replace_side_tables(std::string_view table, std::string_view row, const Shadow& s);
    void delete_extra_row(std::string_view table, std::string_view row);

    // merge::State
    std::optional<merge::Cell> cell(std::string_view table, std::string_view row,
                                    std::string_view column) override;
    void put_cell(std::string_view table, std::string_view row, std::string_view column,
                  const merge::Cell& c) override;
    merge::RowMeta row(std::string_view table, std::string_view row) override;
    void put_row(std::string_view table, std::string_view row, const merge::RowMeta& m) override;
    std::optional<merge::Cell> counter_part(std::string_view table, std::string_view row,
                                            std::string_view column,
                                            merge::DeviceId origin) override;
    void put_counter_part(std::string_view table, std::string_view row, std::string_view column,
                          const merge::Cell& part) override;
    std::int64_t counter_sum(std::string_view table, std::string_view row,
                             std::string_view column) override;
    std::vector<merge::Cell> versions(std::string_view table, std::string_view row,
                                      std::string_view column) override;
    void add_version(std::string_view table, std::string_view row, std::string_view column,
                     const merge::Cell& v) override;

private:
    Conn& conn_;
    const Catalog& catalog_;
    std::unordered_map<std::string, std::unique_ptr<Row>> rows_;
    std::vector<Row*> order_;
    Row* last_ = nullptr;
    std::string key_;
};

/// merge::State over one row's Shadow, so the server-confirmed copy merges exactly like the
/// live row. Table and row arguments are ignored: the shadow belongs to one row.
class ShadowState final : public merge::State {
public:
    explicit ShadowState(Shadow& s) : s_(s) {}
    std::optional<merge::Cell> cell(std::string_view, std::string_view,
                                    std::string_view column) override;
    void put_cell(std::string_view, std::string_view, std::string_view column,
                  const merge::Cell& c) override;
    merge::RowMeta row(std::string_view, std::string_view) override { return s_.meta; }
    void put_row(std::string_view, std::string_view, const merge::RowMeta& m) override {
        s_.meta = m;
    }
    std::optional<merge::Cell> counter_part(std::string_view, std::string_view,
                                            std::string_view column,
                                            merge::DeviceId origin) override;
    void put_counter_part(std::string_view, std::string_view, std::string_view column,
                          const merge::Cell& part) override;
    std::int64_t counter_sum(std::string_view, std::string_view, std::string_view column) override;
    std::vector<merge::Cell> versions(std::string_view, std::string_view,
                                      std::string_view column) override;
    void add_version(std::string_view, std::string_view, std::string_view column,
                     const merge::Cell& v) override;

private:
    Shadow& s_;
};

}  // namespace zb::core::store
