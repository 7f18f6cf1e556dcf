// SPDX-License-Identifier: Apache-2.0
// SqliteState and ShadowState (state.hpp). The row cache is what makes remote apply fast: merge
// calls row()/cell()/put_cell() several times per change, and all of them hit memory; SQLite sees
// one read and one write per row per transaction.
#include "store/state.hpp"

#include <utility>

namespace zb::core::store {
namespace {

std::uint64_t wrap_add(std::uint64_t sum, const merge::Cell& part) {
    if (const auto* total = std::get_if<std::int64_t>(&part.value)) {
        sum += static_cast<std::uint64_t>(*total);
    }
    return sum;
}

}  // namespace

void Catalog::load(Conn& conn, const merge::Schema& schema) {
    tables_.clear();
    for (const auto& [name, def] : schema.tables()) {
        TableInfo t;
        t.name = name;
        {
            StmtUse s = conn.use("SELECT name FROM pragma_table_info(?1)");
            s->bind(1, std::string_view(name));
            while (s->step()) {
                std::string col = s->text(0);
                if (col == "id" || col.rfind("_zb_", 0) == 0) continue;
                t.index.emplace(col, static_cast<int>(t.columns.size()));
                t.columns.push_back(std::move(col));
            }
        }
        const std::string q = quote_ident(name);
        std::string cols, params, updates;
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            const std::string c = quote_ident(t.columns[i]);
            cols += "," + c;
            params += ",?" + std::to_string(i + 5);
            updates += "," + c + "=excluded." + c;
        }
        t.select_sql =
            "SELECT _zb_deleted,_zb_alive,_zb_meta" + cols + " FROM " + q + " WHERE id=?1";
        t.scan_sql =
            "SELECT id,_zb_deleted,_zb_alive,_zb_meta" + cols + " FROM " + q + " ORDER BY id";
        t.upsert_sql = "INSERT INTO " + q + "(id,_zb_deleted,_zb_alive,_zb_meta" + cols +
                       ") VALUES(?1,?2,?3,?4" + params +
                       ") ON CONFLICT(id) DO UPDATE SET _zb_deleted=excluded._zb_deleted,"
                       "_zb_alive=excluded._zb_alive,_zb_meta=excluded._zb_meta" +
                       updates;
        tables_.emplace(name, std::move(t));
    }
}

void SqliteState::decode_row(Stmt& s, int first, Row& r) {
    r.exists = true;
    r.meta.deleted.raw = s.uint64(first);
    r.meta.alive.raw = s.uint64(first + 1);
    RowMetaBlob b = decode_row_meta(s.blob(first + 2));
    r.shadow = std::move(b.shadow);
    r.cells = std::move(b.cells);
    if (r.info == nullptr) return;
    for (auto& [col, c] : r.cells) {
        if (b.inline_values[col]) continue;
        auto it = r.info->index.find(col);
        if (it != r.info->index.end()) c.value = s.value(first + 3 + it->second);
    }
}

Row& SqliteState::load(std::string_view table, std::string_view row) {
    if (last_ && last_->table == table && last_->id == row) return *last_;
    key_.assign(table);
    key_.push_back('\0');
    key_.append(row);
    auto it = rows_.find(key_);
    if (it != rows_.end()) return *(last_ = it->second.get());

    auto r = std::make_unique<Row>();
    r->table = table;
    r->id = row;
    r->info = catalog_.find(table);
    if (r->info) {
        StmtUse s = conn_.use(r->info->select_sql);
        s->bind(1, row);
        if (s->step()) decode_row(*s, 0, *r);
    } else {
        StmtUse s = conn_.use(
            "SELECT _zb_deleted,_zb_alive,_zb_meta FROM _zb_extra_rows WHERE tbl=?1 AND row=?2");
        s->bind(1, table);
        s->bind(2, row);
        if (s->step()) decode_row(*s, 0, *r);
    }
    last_ = r.get();
    order_.push_back(last_);
    rows_.emplace(key_, std::move(r));
    return *last_;
}

void SqliteState::write_row(Row& r) {
    const TableInfo* info = r.info;
    if (r.meta.alive.is_zero() && r.meta.deleted.is_zero() && r.cells.empty() && !r.shadow) {
        // Nothing left (a rejected insert rolled back): the row never existed for the server,
        // so it does not exist here either.
        if (info) {
            StmtUse s = conn_.use("DELETE FROM " + quote_ident(info->name) + " WHERE id=?1");
            s->bind(1, std::string_view(r.id));
            s->run();
        } else {
            delete_extra_row(r.table, r.id);
        }
        r.exists = false;
        r.dirty = false;
        return;
    }
    auto blob = encode_row_meta(r.cells, r.shadow, [info](std::string_view col) {
        return info != nullptr && info->is_physical(col);
    });
    if (info) {
        StmtUse s = conn_.use(info->upsert_sql);
        s->bind(1, std::string_view(r.id));
        s->bind(2, r.meta.deleted.raw);
        s->bind(3, r.meta.alive.raw);
        s->bind_blob(4, blob);
        for (std::size_t i = 0; i < info->columns.size(); ++i) {
            auto it = r.cells.find(info->columns[i]);
            if (it != r.cells.end()) s->bind_value(static_cast<int>(i + 5), it->second.value);
        }
        s->run();
    } else {
        StmtUse s = conn_.use(
            "INSERT INTO _zb_extra_rows(tbl,row,_zb_deleted,_zb_alive,_zb_meta) "
            "VALUES(?1,?2,?3,?4,?5) ON CONFLICT(tbl,row) DO UPDATE SET "
            "_zb_deleted=excluded._zb_deleted,_zb_alive=excluded._zb_alive,"
            "_zb_meta=excluded._zb_meta");
        s->bind(1, std::string_view(r.table));
        s->bind(2, std::string_view(r.id));
        s->bind(3, r.meta.deleted.raw);
        s->bind(4, r.meta.alive.raw);
        s->bind_blob(5, blob);
        s->run();
    }
    r.exists = true;
    r.dirty = false;
}

void SqliteState::flush() {
    for (Row* r : order_) {
        if (r->dirty) write_row(*r);
    }
    order_.clear();
    rows_.clear();
    last_ = nullptr;
}

std::map<PartKey, merge::Cell> SqliteState::parts_of(std::string_view table, std::string_view row) {
    std::map<PartKey, merge::Cell> out;
    StmtUse s = conn_.use("SELECT col,origin,total,hlc FROM _zb_counter WHERE tbl=?1 AND row=?2");
    s->bind(1, table);
    s->bind(2, row);
    while (s->step()) {
        merge::Cell c{s->value(2), protocol::Hlc{s->uint64(3)}, s->uint64(1), protocol::Hlc{}};
        out[{s->text(0), c.origin}] = std::move(c);
    }
    return out;
}

std::map<std::string, std::vector<merge::Cell>, std::less<>> SqliteState::versions_of(
    std::string_view table, std::string_view row) {
    std::map<std::string, std::vector<merge::Cell>, std::less<>> out;
    StmtUse s =
        conn_.use("SELECT col,value,hlc,origin,base FROM _zb_version WHERE tbl=?1 AND row=?2");
    s->bind(1, table);
    s->bind(2, row);
    while (s->step()) {
        out[s->text(0)].push_back(merge::Cell{s->value(1), protocol::Hlc{s->uint64(2)},
                                              s->uint64(3), protocol::Hlc{s->uint64(4)}});
    }
    return out;
}

void SqliteState::replace_side_tables(std::string_view table, std::string_view row,
                                      const Shadow& sh) {
    {
        StmtUse s = conn_.use("DELETE FROM _zb_counter WHERE tbl=?1 AND row=?2");
        s->bind(1, table);
        s->bind(2, row);
        s->run();
    }
    {
        StmtUse s = conn_.use("DELETE FROM _zb_version WHERE tbl=?1 AND row=?2");
        s->bind(1, table);
        s->bind(2, row);
        s->run();
    }
    for (const auto& [key, part] : sh.parts)
        put_counter_part(table, row, key.first, part);
    for (const auto& [col, vs] : sh.versions) {
        for (const auto& v : vs)
            add_version(table, row, col, v);
    }
}

void SqliteState::delete_extra_row(std::string_view table, std::string_view row) {
    StmtUse s = conn_.use("DELETE FROM _zb_extra_rows WHERE tbl=?1 AND row=?2");
    s->bind(1, table);
    s->bind(2, row);
    s->run();
}

std::optional<merge::Cell> SqliteState::cell(std::string_view table, std::string_view row,
                                             std::string_view column) {
    Row& r = load(table, row);
    auto it = r.cells.find(column);
    if (it == r.cells.end()) return std::nullopt;
    return it->second;
}

void SqliteState::put_cell(std::string_view table, std::string_view row, std::string_view column,
                           const merge::Cell& c) {
    Row& r = load(table, row);
    auto it = r.cells.find(column);
    if (it == r.cells.end()) {
        r.cells.emplace(std::string(column), c);
    } else {
        it->second = c;
    }
    r.dirty = true;
}

merge::RowMeta SqliteState::row(std::string_view table, std::string_view row) {
    return load(table, row).meta;
}

void SqliteState::put_row(std::string_view table, std::string_view row, const merge::RowMeta& m) {
    Row& r = load(table, row);
    r.meta = m;
    r.dirty = true;
}

std::optional<merge::Cell> SqliteState::counter_part(std::string_view table, std::string_view row,
                                                     std::string_view column,
                                                     merge::DeviceId origin) {
    StmtUse s = conn_.use(
        "SELECT total,hlc FROM _zb_counter WHERE tbl=?1 AND row=?2 AND col=?3 AND origin=?4");
    s->bind(1, table);
    s->bind(2, row);
    s->bind(3, column);
    s->bind(4, origin);
    if (!s->step()) return std::nullopt;
    return merge::Cell{s->value(0), protocol::Hlc{s->uint64(1)}, origin, protocol::Hlc{}};
}

void SqliteState::put_counter_part(std::string_view table, std::string_view row,
                                   std::string_view column, const merge::Cell& part) {
    StmtUse s = conn_.use(
        "INSERT INTO _zb_counter(tbl,row,col,origin,total,hlc) VALUES(?1,?2,?3,?4,?5,?6) "
        "ON CONFLICT(tbl,row,col,origin) DO UPDATE SET total=excluded.total,hlc=excluded.hlc");
    s->bind(1, table);
    s->bind(2, row);
    s->bind(3, column);
    s->bind(4, part.origin);
    s->bind_value(5, part.value);
    s->bind(6, part.hlc.raw);
    s->run();
}

std::int64_t SqliteState::counter_sum(std::string_view table, std::string_view row,
                                      std::string_view column) {
    // Wrapping addition in C++ (as MemoryState does): SQL SUM() would fail on overflow and
    // wedge the page, and replicas must agree on the same wrapped value.
    StmtUse s = conn_.use("SELECT total FROM _zb_counter WHERE tbl=?1 AND row=?2 AND col=?3");
    s->bind(1, table);
    s->bind(2, row);
    s->bind(3, column);
    std::uint64_t sum = 0;
    while (s->step())
        sum = wrap_add(sum, merge::Cell{s->value(0), {}, 0, {}});
    return static_cast<std::int64_t>(sum);
}

std::vector<merge::Cell> SqliteState::versions(std::string_view table, std::string_view row,
                                               std::string_view column) {
    std::vector<merge::Cell> out;
    StmtUse s = conn_.use(
        "SELECT value,hlc,origin,base FROM _zb_version WHERE tbl=?1 AND row=?2 AND col=?3");
    s->bind(1, table);
    s->bind(2, row);
    s->bind(3, column);
    while (s->step()) {
        out.push_back(merge::Cell{s->value(0), protocol::Hlc{s->uint64(1)}, s->uint64(2),
                                  protocol::Hlc{s->uint64(3)}});
    }
    return out;
}

void SqliteState::add_version(std::string_view table, std::string_view row, std::string_view column,
                              const merge::Cell& v) {
    StmtUse s = conn_.use(
        "INSERT INTO _zb_version(tbl,row,col,value,hlc,origin,base) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7)");
    s->bind(1, table);
    s->bind(2, row);
    s->bind(3, column);
    s->bind_value(4, v.value);
    s->bind(5, v.hlc.raw);
    s->bind(6, v.origin);
    s->bind(7, v.base.raw);
    s->run();
}

// ---- ShadowState ----

std::optional<merge::Cell> ShadowState::cell(std::string_view, std::string_view,
                                             std::string_view column) {
    auto it = s_.cells.find(column);
    if (it == s_.cells.end()) return std::nullopt;
    return it->second;
}

void ShadowState::put_cell(std::string_view, std::string_view, std::string_view column,
                           const merge::Cell& c) {
    s_.cells[std::string(column)] = c;
}

std::optional<merge::Cell> ShadowState::counter_part(std::string_view, std::string_view,
                                                     std::string_view column,
                                                     merge::DeviceId origin) {
    auto it = s_.parts.find(PartKey{std::string(column), origin});
    if (it == s_.parts.end()) return std::nullopt;
    return it->second;
}

void ShadowState::put_counter_part(std::string_view, std::string_view, std::string_view column,
                                   const merge::Cell& part) {
    s_.parts[PartKey{std::string(column), part.origin}] = part;
}

std::int64_t ShadowState::counter_sum(std::string_view, std::string_view, std::string_view column) {
    std::uint64_t sum = 0;
    for (const auto& [key, part] : s_.parts) {
        if (key.first == column) sum = wrap_add(sum, part);
    }
    return static_cast<std::int64_t>(sum);
}

std::vector<merge::Cell> ShadowState::versions(std::string_view, std::string_view,
                                               std::string_view column) {
    auto it = s_.versions.find(column);
    if (it == s_.versions.end()) return {};
    return it->second;
}

void ShadowState::add_version(std::string_view, std::string_view, std::string_view column,
                              const merge::Cell& v) {
    auto it = s_.versions.find(column);
    if (it == s_.versions.end())
        it = s_.versions.emplace(std::string(column), std::vector<merge::Cell>{}).first;
    it->second.push_back(v);
}

}  // namespace zb::core::store
