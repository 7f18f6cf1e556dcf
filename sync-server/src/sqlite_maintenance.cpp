// SPDX-License-Identifier: Apache-2.0
// Maintenance over the embedded SQLite store (maintenance.hpp): device pull cursors, the horizon,
// change-log folding and tombstone collection, the cursor floor, and the undo rules. Collection
// works in short transactions on the store's writer (sqlite_maintenance.hpp), so a push waits for
// one chunk at most, never for the whole night's work.
//
// Why a horizon and a rebase rather than keeping tombstones forever: sync-anchors.md §5.1 item 7
// ("compact only below a causal-stability point computed from per-device acknowledged watermarks;
// devices beyond the retention horizon get a rebase"), and reliability.md R-20 (0 resurrected
// deletes, 0 discarded unsynced changes for a device offline past the horizon).
#include "sqlite_maintenance.hpp"

#include "zb/server/maintenance.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

namespace zb::server {

namespace detail {

void ensure_maintenance_schema(sql::Db& db) {
    db.exec(
        "CREATE TABLE IF NOT EXISTS device_cursors(device INTEGER PRIMARY KEY, "
        "cursor INTEGER NOT NULL, seen_ms INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS seq_reset(device INTEGER PRIMARY KEY);");
}

}  // namespace detail

namespace {

using detail::with_sqlite_reader;
using detail::with_sqlite_writer;

constexpr int kDeleteMark = 3;  // cell kind of a row's delete marker (sqlite_store.cpp)
constexpr std::size_t kChunk = 500;

std::uint64_t meta_u64(sql::Db& db, std::string_view key) {
    auto s = db.prepare("SELECT v FROM meta WHERE k=?");
    s->bind(1, key);
    return s->step() ? s->u64(0) : 0;
}

void set_meta_u64(sql::Db& db, std::string_view key, std::uint64_t v) {
    auto s =
        db.prepare("INSERT INTO meta(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v");
    s->bind(1, key).bind(2, v);
    s->exec();
}

bool table_exists(sql::Db& db, std::string_view name) {
    auto s = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
    s->bind(1, name);
    return s->step();
}

/// One write transaction on the writer; rolled back if `f` throws.
template <class F>
void write_txn(ServerStore& store, F&& f) {
    with_sqlite_writer(store, [&](sql::Db& db) {
        db.exec("BEGIN IMMEDIATE");
        try {
            f(db);
            db.exec("COMMIT");
        } catch (...) {
            sqlite3_exec(db.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    });
}

std::string cell_ad(std::string_view t, std::string_view r, std::string_view c) {
    std::string ad;
    ad.append(t).push_back('\0');
    ad.append(r).push_back('\0');
    ad.append(c);
    return ad;
}

protocol::Value column_value(const sql::Stmt& s, int i) {
    switch (s.type(i)) {
        case SQLITE_NULL:
            return protocol::Value{};
        case SQLITE_INTEGER:
            return protocol::Value{s.i64(i)};
        case SQLITE_FLOAT:
            return protocol::Value{s.real(i)};
        case SQLITE_TEXT:
            return protocol::Value{s.text(i)};
        default: {
            auto b = s.blob(i);
            return protocol::Value{Bytes(b.begin(), b.end())};
        }
    }
}

}  // namespace

void note_pull(ServerStore& store, DeviceId device, std::uint64_t cursor, std::uint64_t now_ms) {
    with_sqlite_writer(store, [&](sql::Db& db) {
        detail::ensure_maintenance_schema(db);
        auto s = db.prepare(
            "INSERT INTO device_cursors(device,cursor,seen_ms) VALUES(?,?,?) ON CONFLICT(device) "
            "DO UPDATE SET cursor=excluded.cursor, seen_ms=excluded.seen_ms");
        s->bind(1, device).bind(2, cursor).bind(3, now_ms);
        s->exec();
    });
}

std::optional<std::string> pull_cursor_expired(ServerStore& store, std::uint64_t cursor) {
    if (cursor == 0) return std::nullopt;  // a snapshot from the beginning is always served
    std::optional<std::string> why;
    with_sqlite_reader(store, [&](sql::Db& db) {
        const std::uint64_t floor = meta_u64(db, "cursor_floor");
        const std::uint64_t gap_lo = meta_u64(db, "restore_gap_lo");
        const std::uint64_t gap_hi = meta_u64(db, "restore_gap_hi");
        if (cursor < floor) {
            why = "cursor " + std::to_string(cursor) + " is below the collected horizon " +
                  std::to_string(floor) + "; pull a snapshot from 0";
        } else if (gap_hi > gap_lo && cursor > gap_lo && cursor <= gap_hi) {
            why = "cursor " + std::to_string(cursor) +
                  " was issued before the server was restored from a backup; pull a snapshot "
                  "from 0 and push your data again";
        }
    });
    return why;
}

HorizonInfo compute_horizon(ServerStore& store, std::uint64_t now_ms,
                            std::uint64_t max_offline_ms) {
    HorizonInfo h;
    h.head = store.head();
    std::map<DeviceId, std::pair<std::uint64_t, std::uint64_t>> cursors;  // device → cursor, seen
    with_sqlite_reader(store, [&](sql::Db& db) {
        if (!table_exists(db, "device_cursors")) return;
        auto s = db.prepare("SELECT device, cursor, seen_ms FROM device_cursors");
        while (s->step())
            cursors[s->u64(0)] = {s->u64(1), s->u64(2)};
    });
    std::uint64_t horizon = std::numeric_limits<std::uint64_t>::max();
    for (const DeviceRecord& d : store.devices()) {
        if (d.revoked) {
            ++h.revoked_devices;
            continue;
        }
        auto it = cursors.find(d.id);
        const std::uint64_t cursor = it == cursors.end() ? 0 : it->second.first;
        const std::uint64_t seen = it == cursors.end() ? d.enrolled_ms : it->second.second;
        if (now_ms > seen && now_ms - seen > max_offline_ms) {
            ++h.stale_devices;
            continue;
        }
        ++h.devices;
        horizon = std::min(horizon, cursor);
    }
    h.horizon = h.devices ? std::min(horizon, h.head) : h.head;
    return h;
}

CollectReport collect(ServerStore& store, const CollectParams& p) {
    CollectReport rep;
    const std::uint64_t history_cut =
        p.now_ms > p.history_retention_ms ? p.now_ms - p.history_retention_ms : 0;
    const std::uint64_t tomb_cut =
        p.now_ms > p.tombstone_retention_ms ? p.now_ms - p.tombstone_retention_ms : 0;

    with_sqlite_reader(store, [&](sql::Db& db) {
        auto s = db.prepare("SELECT count(*) FROM changelog");
        s->step();
        rep.changelog_before = s->u64(0);
    });
    with_sqlite_writer(store, [&](sql::Db& db) { detail::ensure_maintenance_schema(db); });

    // 1. Tombstones first, so that their history goes with them rather than being counted as
    //    "kept for undo". A row qualifies when deleted (greatest delete HLC above the greatest
    //    write/restore HLC) before the retention cut, and all of its pull entries are at or
    //    below the horizon: every device that counts has pulled its delete.
    std::vector<std::tuple<std::string, std::string, std::uint64_t>> dead;
    with_sqlite_reader(store, [&](sql::Db& db) {
        auto s = db.prepare(
            "SELECT r.tbl, r.rid, (SELECT ifnull(max(c.seq),0) FROM cells c WHERE c.tbl=r.tbl "
            "AND c.rid=r.rid) FROM rows r WHERE r.deleted > r.alive");
        while (s->step())
            dead.emplace_back(s->text(0), s->text(1), s->u64(2));
    });
    std::vector<std::tuple<std::string, std::string, std::uint64_t>> due;
    with_sqlite_reader(store, [&](sql::Db& db) {
        auto s = db.prepare("SELECT deleted FROM rows WHERE tbl=? AND rid=?");
        for (const auto& [t, r, max_seq] : dead) {
            s->reset();
            s->bind(1, std::string_view(t)).bind(2, std::string_view(r));
            if (!s->step()) continue;
            const std::uint64_t deleted_ms = protocol::Hlc{s->u64(0)}.millis();
            if (deleted_ms < tomb_cut && max_seq <= p.horizon) {
                due.emplace_back(t, r, max_seq);
            } else {
                ++rep.tombstones_waiting;
            }
        }
    });
    for (std::size_t i = 0; i < due.size(); i += kChunk) {
        const std::size_t end = std::min(due.size(), i + kChunk);
        write_txn(store, [&](sql::Db& db) {
            db.exec(
                "CREATE TEMP TABLE IF NOT EXISTS gc_rows(tbl TEXT, rid TEXT); DELETE FROM "
                "gc_rows;");
            std::uint64_t floor = meta_u64(db, "cursor_floor");
            for (std::size_t k = i; k < end; ++k) {
                const auto& [t, r, max_seq] = due[k];
                // Re-check inside the write lock: a restore or a late write may have revived it.
                auto chk = db.prepare(
                    "SELECT 1 FROM rows WHERE tbl=? AND rid=? AND deleted > alive AND NOT EXISTS "
                    "(SELECT 1 FROM cells WHERE tbl=rows.tbl AND rid=rows.rid AND seq > ?)");
                chk->bind(1, std::string_view(t)).bind(2, std::string_view(r)).bind(3, p.horizon);
                if (!chk->step()) continue;
                auto ins = db.prepare("INSERT INTO gc_rows(tbl,rid) VALUES(?,?)");
                ins->bind(1, std::string_view(t)).bind(2, std::string_view(r));
                ins->exec();
                auto dc = db.prepare("DELETE FROM cells WHERE tbl=? AND rid=?");
                dc->bind(1, std::string_view(t)).bind(2, std::string_view(r));
                dc->exec();
                rep.cells_collected += static_cast<std::uint64_t>(sqlite3_changes(db.raw()));
                auto dr = db.prepare("DELETE FROM rows WHERE tbl=? AND rid=?");
                dr->bind(1, std::string_view(t)).bind(2, std::string_view(r));
                dr->exec();
                ++rep.tombstones_collected;
                floor = std::max(floor, max_seq);
            }
            db.exec(
                "DELETE FROM changelog WHERE (tbl, rid) IN (SELECT tbl, rid FROM temp.gc_rows)");
            rep.history_collected += static_cast<std::uint64_t>(sqlite3_changes(db.raw()));
            // A device whose cursor is below the greatest removed entry may not have seen a
            // delete that no longer exists: it must rebase (pull_cursor_expired()).
            set_meta_u64(db, "cursor_floor", floor);
            db.exec("DROP TABLE temp.gc_rows");
        });
    }

    // 2. Fold the change log. Cells already hold the folded state; an entry is only still needed
    //    for undo (its row is deleted) or to answer a replay of a rejected change whose device
    //    has not come back since.
    const std::string candidates =
        "SELECT c.origin, c.seq FROM changelog c "
        "LEFT JOIN rows r ON r.tbl=c.tbl AND r.rid=c.rid "
        "LEFT JOIN device_cursors d ON d.device=c.origin "
        "WHERE (c.hlc >> 16) < :cut AND NOT ifnull(r.deleted > r.alive, 0) "
        "AND (c.code = 0 OR ifnull(d.seen_ms > (c.hlc >> 16) + :ahead, 0)) "
        "AND (c.origin, c.seq) > (:o, :s) ORDER BY c.origin, c.seq LIMIT :lim";
    // Walk the log once in key order (resuming after the last key), so entries that must stay
    // are not rescanned by every chunk.
    std::int64_t after_origin = std::numeric_limits<std::int64_t>::min(), after_seq = 0;
    for (;;) {
        std::size_t found = 0;
        write_txn(store, [&](sql::Db& db) {
            std::vector<std::pair<std::uint64_t, std::uint64_t>> keys;
            {
                auto s = db.prepare(candidates);
                s->bind(s->param(":cut"), history_cut)
                    .bind(s->param(":ahead"), p.max_clock_ahead_ms)
                    .bind(s->param(":o"), after_origin)
                    .bind(s->param(":s"), after_seq)
                    .bind(s->param(":lim"), static_cast<std::int64_t>(kChunk));
                while (s->step()) {
                    keys.emplace_back(s->u64(0), s->u64(1));
                    after_origin = s->i64(0);
                    after_seq = s->i64(1);
                }
            }
            auto del = db.prepare("DELETE FROM changelog WHERE origin=? AND seq=?");
            for (const auto& [o, q] : keys) {
                del->reset();
                del->bind(1, o).bind(2, q);
                del->exec();
            }
            found = keys.size();
        });
        rep.changelog_folded += found;
        if (found < kChunk) break;
    }
    with_sqlite_reader(store, [&](sql::Db& db) {
        auto s = db.prepare(
            "SELECT count(*) FROM changelog c JOIN rows r ON r.tbl=c.tbl AND r.rid=c.rid "
            "WHERE (c.hlc >> 16) < ? AND r.deleted > r.alive");
        s->bind(1, history_cut);
        s->step();
        rep.history_kept_for_undo = s->u64(0);
        rep.cursor_floor = meta_u64(db, "cursor_floor");
    });
    with_sqlite_writer(store, [&](sql::Db& db) {
        sqlite3_exec(db.raw(), "PRAGMA wal_checkpoint(PASSIVE)", nullptr, nullptr, nullptr);
    });
    return rep;
}

std::vector<HistoryEntry> row_history(ServerStore& store, const SecretKey& master_key,
                                      std::string_view table, std::string_view row) {
    std::vector<HistoryEntry> out;
    const DeviceId server = store.server_device();
    with_sqlite_reader(store, [&](sql::Db& db) {
        auto s = db.prepare(
            "SELECT c.col, c.op, c.v, c.enc, c.hlc, c.origin, c.seq, d.person FROM changelog c "
            "LEFT JOIN devices d ON d.id=c.origin WHERE c.tbl=? AND c.rid=? AND c.code=0 "
            "AND c.op IN (1,2,3,4) ORDER BY c.hlc, c.origin");
        s->bind(1, table).bind(2, row);
        while (s->step()) {
            HistoryEntry e;
            e.column = s->text(0);
            e.op = static_cast<protocol::Op>(s->i64(1));
            if (s->i64(3) != 0) {
                auto v = open_value(master_key, s->blob(2), cell_ad(table, row, e.column));
                if (!v) throw std::runtime_error("history: a sealed value failed authentication");
                e.value = *v;
            } else {
                e.value = column_value(*s, 2);
            }
            e.hlc = protocol::Hlc{s->u64(4)};
            e.origin = s->u64(5);
            e.seq = s->u64(6);
            e.person = e.origin == server ? "server" : s->text(7);
            out.push_back(std::move(e));
        }
    });
    return out;
}

protocol::Result<std::string> check_restore(StoreTxn& txn, const Principal& p,
                                            std::string_view table, std::string_view row) {
    sql::Db& db = detail::sqlite_txn_db(txn);
    auto r = db.prepare("SELECT deleted > alive FROM rows WHERE tbl=? AND rid=?");
    r->bind(1, table).bind(2, row);
    if (!r->step() || r->i64(0) == 0) return std::string();  // not deleted: nothing to undo
    // Undo of human error is a second pair of eyes (issue #9): an officer, not the deleter.
    if (!p.officer())
        return protocol::make_error(protocol::Errc::Forbidden,
                                    "only an officer may restore a deleted record");
    auto m = db.prepare(
        "SELECT c.origin, d.person FROM cells c LEFT JOIN devices d ON d.id=c.origin "
        "WHERE c.tbl=? AND c.rid=? AND c.kind=?");
    m->bind(1, table).bind(2, row).bind(3, kDeleteMark);
    std::string deleter;
    if (m->step()) deleter = m->u64(0) == txn.server_device_id() ? "server" : m->text(1);
    if (!deleter.empty() && deleter == p.person)
        return protocol::make_error(
            protocol::Errc::Forbidden,
            "a deleted record is restored by someone other than the person who deleted it");
    return deleter;
}

AuditEntry restore_audit_entry(const Principal& p, std::string_view table, std::string_view row,
                               const std::string& deleted_by, std::uint64_t now_ms) {
    AuditEntry e;
    e.kind = kAuditRestoreRow;
    e.time_ms = now_ms;
    e.device = p.device;
    // Identifiers only, never record contents (reliability.md §6.6, MASVS-STORAGE-2).
    e.note = "restore table=" + std::string(table) + " row=" + std::string(row) +
             " by=" + p.person + " deleted_by=" + deleted_by;
    return e;
}

bool take_sequence_reset(StoreTxn& txn, DeviceId device) {
    sql::Db& db = detail::sqlite_txn_db(txn);
    if (!table_exists(db, "seq_reset")) return false;
    auto s = db.prepare("DELETE FROM seq_reset WHERE device=?");
    s->bind(1, device);
    s->exec();
    return sqlite3_changes(db.raw()) > 0;
}

}  // namespace zb::server
