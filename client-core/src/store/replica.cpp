// SPDX-License-Identifier: Apache-2.0
// Replica: opening (format check, schema DDL, promotion of preserved data, migrations, identity,
// clock recovery), the local write path, settlement of pushes (with rejection rollback through
// the per-row shadow), remote apply, and the read/list APIs. Every mutation is one IMMEDIATE
// transaction; in-memory state (clock, next seq) is rolled back with it when it fails.
#include "zb/core/replica.hpp"

#include "store/codec.hpp"
#include "store/sqlite.hpp"
#include "store/state.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <set>
#include <tuple>
#include <utility>

namespace zb::core {

using namespace store;  // NOLINT(google-build-using-namespace): this file is the store
using protocol::Change;
using protocol::DeviceId;
using protocol::Hlc;
using protocol::Op;

namespace {

/// On-disk format version (FORMAT.md). Bumped on any incompatible layout change.
constexpr std::int64_t kFormatVersion = 1;

constexpr const char* kInternalDdl = R"sql(
CREATE TABLE IF NOT EXISTS _zb_meta(key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _zb_outbox(
  first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, last_hlc INTEGER NOT NULL,
  tbl TEXT NOT NULL, row TEXT NOT NULL, changes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS _zb_extra_rows(
  tbl TEXT NOT NULL, row TEXT NOT NULL, _zb_deleted INTEGER NOT NULL DEFAULT 0,
  _zb_alive INTEGER NOT NULL DEFAULT 0, _zb_meta BLOB, PRIMARY KEY(tbl, row)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _zb_counter(
  tbl TEXT NOT NULL, row TEXT NOT NULL, col TEXT NOT NULL, origin INTEGER NOT NULL, total,
  hlc INTEGER NOT NULL, PRIMARY KEY(tbl, row, col, origin)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _zb_version(
  tbl TEXT NOT NULL, row TEXT NOT NULL, col TEXT NOT NULL, value, hlc INTEGER NOT NULL,
  origin INTEGER NOT NULL, base INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS _zb_version_cell ON _zb_version(tbl, row, col);
CREATE TABLE IF NOT EXISTS _zb_rejected(
  id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, tbl TEXT NOT NULL,
  row TEXT NOT NULL, col TEXT NOT NULL, op INTEGER NOT NULL, value, hlc INTEGER NOT NULL,
  base INTEGER NOT NULL, origin INTEGER NOT NULL, code INTEGER NOT NULL, message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _zb_command(
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL, family TEXT NOT NULL, name TEXT NOT NULL,
  args TEXT NOT NULL, status INTEGER NOT NULL, code INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS _zb_quarantine(
  id INTEGER PRIMARY KEY, change BLOB NOT NULL, code INTEGER NOT NULL, message TEXT NOT NULL);
)sql";

Error closed_error() {
    return Error{Errc::StorageFailure, "replica is closed"};
}

bool reserved(std::string_view name) {
    return name.empty() || name.rfind("_zb_", 0) == 0 || name.rfind("sqlite_", 0) == 0;
}

Result<void> validate_schema(const merge::Schema& schema) {
    for (const auto& [name, def] : schema.tables()) {
        if (reserved(name)) return Error{Errc::BadValue, "reserved table name: '" + name + "'"};
        for (const auto& c : def.columns) {
            if (reserved(c.name) || c.name == "id") {
                return Error{Errc::BadValue, "reserved column name: " + name + "." + c.name};
            }
        }
    }
    return {};
}

std::string random_id() {
    std::array<std::uint8_t, 16> b{};
    randombytes_buf(b.data(), b.size());
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (auto x : b) {
        out.push_back(kHex[x >> 4]);
        out.push_back(kHex[x & 0xf]);
    }
    return out;
}

/// One change a local operation is about to make; stamped (hlc, seq, base) in the transaction.
struct Draft {
    std::string column;
    Op op = Op::Set;
    Value value;
    std::optional<Hlc> base;  ///< nullopt = the hlc of the cell as the writer sees it
};

}  // namespace

class Replica::Impl {
public:
    /// synchronous=NORMAL for one transaction (a no-op when the replica is opened Normal).
    struct RelaxedSync {
        explicit RelaxedSync(Impl& i) : impl(i) {
            if (impl.opt_.durability == Durability::Full) {
                impl.conn_->use("PRAGMA synchronous=NORMAL")->run();
            }
        }
        ~RelaxedSync() {
            if (impl.opt_.durability == Durability::Full && impl.conn_) {
                sqlite3_exec(impl.conn_->raw(), "PRAGMA synchronous=FULL", nullptr, nullptr,
                             nullptr);
            }
        }
        RelaxedSync(const RelaxedSync&) = delete;
        RelaxedSync& operator=(const RelaxedSync&) = delete;
        Impl& impl;
    };

    explicit Impl(Options o) : opt_(std::move(o)) {}
    ~Impl() { sodium_memzero(sk_.data(), sk_.size()); }

    void open_db();
    Result<void> close();

    std::uint64_t now() const {
        if (opt_.now_ms) return opt_.now_ms();
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    }

    /// Run `f` if open; SQLite failures become an error Result and drop the row cache.
    template <class F>
    auto guard(F&& f) -> decltype(f()) {
        if (!conn_) return closed_error();
        try {
            return f();
        } catch (const StoreError& e) {
            state_->clear();
            return e.error();
        }
    }

    using DraftFn = std::function<Result<std::vector<Draft>>(Row&)>;
    Result<void> commit_local(std::string_view table, std::string_view row, const DraftFn& make);
    Result<void> settle(const std::vector<Change>& pushed, const protocol::PushAck& ack);
    Result<void> apply_page(const protocol::Changes& page);
    std::vector<Change> pending(std::uint64_t after_seq, std::size_t max);

    std::optional<std::int64_t> meta_int(std::string_view key);
    std::optional<std::string> meta_text(std::string_view key);
    std::optional<protocol::Bytes> meta_blob(std::string_view key);
    void set_meta(std::string_view key, const Value& v);
    void persist_clock() {
        set_meta("hlc", static_cast<std::int64_t>(clock_.last().raw));
        set_meta("next_seq", static_cast<std::int64_t>(next_seq_));
    }
    void insert_outbox(std::string_view table, std::string_view row,
                       const std::vector<Change>& changes);
    Shadow snapshot(Row& r);
    std::map<std::uint64_t, std::int64_t> restate_counters(
        const std::vector<Change>& refused, const std::map<std::uint64_t, bool>& ruled);
    void rewrite_outbox(const std::string& table, const std::string& row,
                        const std::map<std::uint64_t, std::int64_t>& totals);
    void notify(ChangeEvent::Source src, std::vector<ChangeEvent::RowRef> rows);
    // Rebase onto a server snapshot (SPEC §9.1): _zb_rebase lists the rows the snapshot has not
    // named yet; meta "rebase" is 1 (drop unnamed rows) or 2 (also re-send own cells).
    void begin_rebase(bool repush_own);
    void rebase_page(const protocol::Changes& page);
    void repush_own_cells();

    Options opt_;
    std::shared_ptr<DbOpener> opener_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<Conn> conn_;
    Catalog catalog_;
    std::unique_ptr<SqliteState> state_;
    protocol::HlcClock clock_;
    std::uint64_t next_seq_ = 1;
    DeviceId device_ = 0;
    DeviceId enrolled_device_ = 0;
    protocol::Bytes pk_;
    std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> sk_{};
    std::map<std::uint64_t, Listener> listeners_;
    std::uint64_t next_listener_ = 1;

private:
    void create_user_tables(std::vector<std::string>& created, std::vector<std::string>& widened);
    void promote(const std::vector<std::string>& created, const std::vector<std::string>& widened);
    void load_identity();
};

// ---------------------------------------------------------------------------------------------
// meta

std::optional<std::int64_t> Replica::Impl::meta_int(std::string_view key) {
    StmtUse s = conn_->use("SELECT value FROM _zb_meta WHERE key=?1");
    s->bind(1, key);
    if (!s->step() || s->is_null(0)) return std::nullopt;
    return s->int64(0);
}

std::optional<std::string> Replica::Impl::meta_text(std::string_view key) {
    StmtUse s = conn_->use("SELECT value FROM _zb_meta WHERE key=?1");
    s->bind(1, key);
    if (!s->step() || s->is_null(0)) return std::nullopt;
    return s->text(0);
}

std::optional<protocol::Bytes> Replica::Impl::meta_blob(std::string_view key) {
    StmtUse s = conn_->use("SELECT value FROM _zb_meta WHERE key=?1");
    s->bind(1, key);
    if (!s->step() || s->is_null(0)) return std::nullopt;
    auto b = s->blob(0);
    return protocol::Bytes(b.begin(), b.end());
}

void Replica::Impl::set_meta(std::string_view key, const Value& v) {
    StmtUse s = conn_->use("INSERT OR REPLACE INTO _zb_meta(key,value) VALUES(?1,?2)");
    s->bind(1, key);
    s->bind_value(2, v);
    s->run();
}

// ---------------------------------------------------------------------------------------------
// open

void Replica::Impl::open_db() {
    opener_ = opt_.opener ? opt_.opener : plain_opener();
    auto opened = opener_->open(opt_.path);
    if (!opened) throw StoreError(opened.error());
    db_ = std::move(opened.value());
    conn_ = std::make_unique<Conn>(db_->handle());
    // WAL + FULL: a write that returned is on stable storage (reliability.md I1), and readers
    // never block the writer.
    conn_->exec("PRAGMA journal_mode=WAL");
    conn_->exec(opt_.durability == Durability::Full ? "PRAGMA synchronous=FULL"
                                                    : "PRAGMA synchronous=NORMAL");
    conn_->exec("PRAGMA busy_timeout=5000");
    state_ = std::make_unique<SqliteState>(*conn_, catalog_);

    Txn txn(*conn_);
    conn_->exec(kInternalDdl);
    const auto format = meta_int("format_version");
    if (format && *format > kFormatVersion) {
        throw StoreError(Errc::BadValue, "replica file format " + std::to_string(*format) +
                                             " is newer than this build (" +
                                             std::to_string(kFormatVersion) + ")");
    }
    set_meta("format_version", kFormatVersion);
    const auto stored_version = static_cast<std::uint32_t>(meta_int("schema_version").value_or(0));

    std::vector<std::string> created, widened;
    create_user_tables(created, widened);
    catalog_.load(*conn_, opt_.schema);
    promote(created, widened);

    std::vector<Migration> migs = opt_.migrations;
    std::stable_sort(migs.begin(), migs.end(),
                     [](const Migration& a, const Migration& b) { return a.version < b.version; });
    for (const Migration& m : migs) {
        if (m.version <= stored_version || m.version > opt_.schema.version()) continue;
        for (const std::string& sql : m.sql)
            conn_->exec(sql);
    }
    // A file already migrated by a newer app keeps its (higher) version.
    set_meta("schema_version",
             static_cast<std::int64_t>(std::max(stored_version, opt_.schema.version())));
    catalog_.load(*conn_, opt_.schema);  // migrations may have added columns

    load_identity();

    // The clock never goes backwards across restarts: the persisted value is raised by whatever
    // the outbox proves was issued after it was last written.
    std::uint64_t max_seq = 0;
    Hlc max_hlc{static_cast<std::uint64_t>(meta_int("hlc").value_or(0))};
    {
        StmtUse s = conn_->use("SELECT MAX(last_seq), MAX(last_hlc) FROM _zb_outbox");
        if (s->step()) {
            max_seq = s->uint64(0);
            max_hlc = std::max(max_hlc, Hlc{s->uint64(1)});
        }
    }
    clock_.restore(max_hlc);
    next_seq_ = std::max<std::uint64_t>(
        {1, static_cast<std::uint64_t>(meta_int("next_seq").value_or(1)), max_seq + 1});
    persist_clock();
    txn.commit();
}

void Replica::Impl::create_user_tables(std::vector<std::string>& created,
                                       std::vector<std::string>& widened) {
    for (const auto& [name, def] : opt_.schema.tables()) {
        std::set<std::string> have;
        {
            StmtUse s = conn_->use("SELECT name FROM pragma_table_info(?1)");
            s->bind(1, std::string_view(name));
            while (s->step())
                have.insert(s->text(0));
        }
        const std::string q = quote_ident(name);
        if (have.empty()) {
            // Value columns have no declared type (no affinity): SQLite stores each Value with its
            // own type, so 7 and 7.0 stay distinct.
            std::string sql = "CREATE TABLE " + q +
                              "(id TEXT PRIMARY KEY NOT NULL, _zb_deleted INTEGER NOT NULL "
                              "DEFAULT 0, _zb_alive INTEGER NOT NULL DEFAULT 0, _zb_meta BLOB";
            for (const auto& c : def.columns)
                sql += ", " + quote_ident(c.name);
            sql += ") WITHOUT ROWID";
            conn_->exec(sql);
            created.push_back(name);
            continue;
        }
        bool added = false;
        for (const auto& c : def.columns) {
            if (have.count(c.name)) continue;
            conn_->exec("ALTER TABLE " + q + " ADD COLUMN " + quote_ident(c.name));
            added = true;
        }
        if (added) widened.push_back(name);
    }
    conn_->clear_cache();
}

// Rows and values this replica kept without a place for them (a newer schema's table or column)
// move into the SQL table/column the new schema declares, unchanged, stamps included.
void Replica::Impl::promote(const std::vector<std::string>& created,
                            const std::vector<std::string>& widened) {
    for (const std::string& table : created) {
        const TableInfo* info = catalog_.find(table);
        std::vector<Row> rows;
        {
            StmtUse s = conn_->use(
                "SELECT row,_zb_deleted,_zb_alive,_zb_meta FROM _zb_extra_rows WHERE tbl=?1");
            s->bind(1, std::string_view(table));
            while (s->step()) {
                Row r;
                r.table = table;
                r.id = s->text(0);
                state_->decode_row(*s, 1, r);  // info == nullptr: every value is inline
                rows.push_back(std::move(r));
            }
        }
        for (Row& r : rows) {
            r.info = info;
            state_->write_row(r);
            state_->delete_extra_row(table, r.id);
        }
    }
    for (const std::string& table : widened) {
        const TableInfo* info = catalog_.find(table);
        std::vector<Row> rows;
        {
            StmtUse s = conn_->use(info->scan_sql);
            while (s->step()) {
                Row r;
                r.table = table;
                r.id = s->text(0);
                r.info = info;
                state_->decode_row(*s, 1, r);
                rows.push_back(std::move(r));
            }
        }
        for (Row& r : rows)
            state_->write_row(r);
    }
}

void Replica::Impl::load_identity() {
    auto sk = meta_blob("secret_key");
    auto pk = meta_blob("public_key");
    if (!sk || !pk || sk->size() != crypto_sign_SECRETKEYBYTES ||
        pk->size() != crypto_sign_PUBLICKEYBYTES) {
        pk_.assign(crypto_sign_PUBLICKEYBYTES, 0);
        crypto_sign_keypair(pk_.data(), sk_.data());
        set_meta("public_key", pk_);
        set_meta("secret_key", protocol::Bytes(sk_.begin(), sk_.end()));
    } else {
        pk_ = *pk;
        std::copy(sk->begin(), sk->end(), sk_.begin());
        sodium_memzero(sk->data(), sk->size());
    }
    std::array<std::uint8_t, 32> h{};
    crypto_generichash(h.data(), h.size(), pk_.data(), pk_.size(), nullptr, 0);
    device_ = 0;
    for (int i = 7; i >= 0; --i)
        device_ = (device_ << 8) | h[static_cast<std::size_t>(i)];
    enrolled_device_ = static_cast<DeviceId>(meta_int("enrolled_device").value_or(0));
}

Result<void> Replica::Impl::close() {
    if (!conn_) return {};
    Result<void> res = guard([&]() -> Result<void> {
        Txn txn(*conn_);
        persist_clock();
        txn.commit();
        return {};
    });
    state_.reset();
    conn_.reset();
    db_.reset();
    return res;
}

// ---------------------------------------------------------------------------------------------
// local writes

void Replica::Impl::insert_outbox(std::string_view table, std::string_view row,
                                  const std::vector<Change>& changes) {
    StmtUse s = conn_->use(
        "INSERT INTO _zb_outbox(first_seq,last_seq,last_hlc,tbl,row,changes) "
        "VALUES(?1,?2,?3,?4,?5,?6)");
    s->bind(1, changes.front().seq);
    s->bind(2, changes.back().seq);
    s->bind(3, changes.back().hlc.raw);
    s->bind(4, table);
    s->bind(5, row);
    s->bind_blob(6, encode_outbox(changes));
    s->run();
}

Shadow Replica::Impl::snapshot(Row& r) {
    Shadow s;
    s.meta = r.meta;
    s.cells = r.cells;
    if (r.exists) {  // a row that was never stored has no counter parts or versions either
        s.parts = state_->parts_of(r.table, r.id);
        s.versions = state_->versions_of(r.table, r.id);
    }
    return s;
}

Result<void> Replica::Impl::commit_local(std::string_view table, std::string_view row,
                                         const DraftFn& make) {
    if (row.empty()) return Error{Errc::BadValue, "empty row id"};
    const protocol::HlcClock saved_clock = clock_;
    const std::uint64_t saved_seq = next_seq_;
    Result<void> res = guard([&]() -> Result<void> {
        // Restores the in-memory clock and seq if anything below fails: nothing was persisted.
        struct Rollback {
            Impl& impl;
            const protocol::HlcClock& clock;
            std::uint64_t seq;
            bool armed = true;
            ~Rollback() {
                if (!armed) return;
                impl.clock_ = clock;
                impl.next_seq_ = seq;
                impl.state_->clear();
            }
        } rollback{*this, saved_clock, saved_seq};

        Txn txn(*conn_);
        Row& r = state_->load(table, row);
        Result<std::vector<Draft>> drafts = make(r);
        if (!drafts) return drafts.error();
        if (drafts->empty()) return Error{Errc::BadValue, "nothing to write"};
        // The first unsettled local change of a row snapshots its server-confirmed state.
        if (!r.shadow) r.shadow = snapshot(r);

        std::vector<Change> changes;
        changes.reserve(drafts->size());
        for (Draft& d : *drafts) {
            Change c;
            c.table = table;
            c.row = row;
            c.column = std::move(d.column);
            c.op = d.op;
            c.value = std::move(d.value);
            c.origin = device_;
            c.seq = next_seq_++;
            Result<Hlc> h = clock_.tick(now());
            if (!h) return h.error();
            c.hlc = *h;
            if (d.base) {
                c.base = *d.base;
            } else if (!c.column.empty()) {
                auto it = r.cells.find(c.column);
                if (it != r.cells.end()) c.base = it->second.hlc;
            }
            Result<merge::Outcome> applied = merge::apply(opt_.schema, *state_, c);
            if (!applied) return applied.error();
            changes.push_back(std::move(c));
        }
        r.shadow->pending += changes.size();
        r.dirty = true;
        state_->flush();
        insert_outbox(table, row, changes);
        txn.commit();
        rollback.armed = false;
        return {};
    });
    if (res) notify(ChangeEvent::Source::Local, {{std::string(table), std::string(row)}});
    return res;
}

void Replica::Impl::notify(ChangeEvent::Source src, std::vector<ChangeEvent::RowRef> rows) {
    if (rows.empty() || listeners_.empty()) return;
    ChangeEvent ev{src, std::move(rows)};
    // Copy first: a listener may add or remove listeners (or close the replica).
    std::vector<Listener> ls;
    for (const auto& [id, l] : listeners_)
        ls.push_back(l);
    for (const auto& l : ls)
        l(ev);
}

// ---------------------------------------------------------------------------------------------
// sync: outbox, settle, remote apply

std::vector<Change> Replica::Impl::pending(std::uint64_t after_seq, std::size_t max) {
    std::vector<Change> out;
    StmtUse s = conn_->use(
        "SELECT first_seq,tbl,row,changes FROM _zb_outbox WHERE last_seq>?1 ORDER BY first_seq");
    s->bind(1, after_seq);
    while (out.size() < max && s->step()) {
        for (Change& c : decode_outbox(s->blob(3), s->text(1), s->text(2), device_, s->uint64(0))) {
            if (c.seq <= after_seq) continue;
            if (out.size() == max) break;
            out.push_back(std::move(c));
        }
    }
    return out;
}

// For each counter with a refused Count in `refused`: the new totals (by seq) of this device's
// later Count changes that are still unsettled, each lowered by the refused increments before it.
// A Count's increment is its total minus the previous total of the same counter: the previous
// outbox entry's, or for the first one the server-confirmed part in the row's shadow. Totals the
// server accepted in the same ack are on the server as they are; the later ones supersede them
// (an origin's latest total replaces its earlier ones), so the server ends without the refusal.
std::map<std::uint64_t, std::int64_t> Replica::Impl::restate_counters(
    const std::vector<Change>& refused, const std::map<std::uint64_t, bool>& ruled) {
    std::map<std::uint64_t, std::int64_t> out;
    std::set<std::tuple<std::string, std::string, std::string>> counters;
    for (const Change& c : refused)
        counters.emplace(c.table, c.row, c.column);
    for (const auto& [table, row, column] : counters) {
        std::vector<Change> counts;
        {
            StmtUse s = conn_->use(
                "SELECT first_seq,changes FROM _zb_outbox WHERE tbl=?1 AND row=?2 "
                "ORDER BY first_seq");
            s->bind(1, std::string_view(table));
            s->bind(2, std::string_view(row));
            while (s->step()) {
                for (Change& c : decode_outbox(s->blob(1), table, row, device_, s->uint64(0))) {
                    if (c.op == Op::Count && c.column == column) counts.push_back(std::move(c));
                }
            }
        }
        std::uint64_t prev = 0;
        const Row& r = state_->load(table, row);
        if (r.shadow) {
            auto it = r.shadow->parts.find(PartKey{column, device_});
            if (it != r.shadow->parts.end()) {
                if (const auto* t = std::get_if<std::int64_t>(&it->second.value)) {
                    prev = static_cast<std::uint64_t>(*t);
                }
            }
        }
        // Unsigned: totals wrap like increment() makes them, and so do their differences.
        std::uint64_t dropped = 0;
        for (const Change& c : counts) {
            const auto* t = std::get_if<std::int64_t>(&c.value);
            if (t == nullptr) continue;
            const auto total = static_cast<std::uint64_t>(*t);
            const std::uint64_t delta = total - prev;
            prev = total;
            auto v = ruled.find(c.seq);
            if (v == ruled.end()) {
                if (dropped != 0) out[c.seq] = static_cast<std::int64_t>(total - dropped);
            } else if (!v->second) {
                dropped += delta;
            }
        }
    }
    return out;
}

// Replaces the values of the row's outbox changes named in `totals`; seqs and stamps stay, so
// they are the same changes, re-stated, whether or not a push of them is already under way.
void Replica::Impl::rewrite_outbox(const std::string& table, const std::string& row,
                                   const std::map<std::uint64_t, std::int64_t>& totals) {
    std::vector<std::pair<std::uint64_t, std::vector<Change>>> rewritten;
    {
        StmtUse s = conn_->use(
            "SELECT first_seq,changes FROM _zb_outbox WHERE tbl=?1 AND row=?2 ORDER BY first_seq");
        s->bind(1, std::string_view(table));
        s->bind(2, std::string_view(row));
        while (s->step()) {
            std::vector<Change> changes =
                decode_outbox(s->blob(1), table, row, device_, s->uint64(0));
            bool hit = false;
            for (Change& c : changes) {
                auto it = totals.find(c.seq);
                if (it == totals.end()) continue;
                c.value = it->second;
                hit = true;
            }
            if (hit) rewritten.emplace_back(s->uint64(0), std::move(changes));
        }
    }
    for (const auto& [first_seq, changes] : rewritten) {
        StmtUse s = conn_->use("UPDATE _zb_outbox SET changes=?2 WHERE first_seq=?1");
        s->bind(1, first_seq);
        s->bind_blob(2, encode_outbox(changes));
        s->run();
    }
}

Result<void> Replica::Impl::settle(const std::vector<Change>& pushed,
                                   const protocol::PushAck& ack) {
    struct Verdict {
        bool accepted = true;
        Errc code = Errc::Ok;
        std::string message;
    };
    std::map<std::uint64_t, const protocol::ChangeResult*> results;
    for (const auto& r : ack.results)
        results[r.seq] = &r;
    std::map<std::uint64_t, Verdict> verdicts;
    for (const Change& c : pushed) {
        auto it = results.find(c.seq);
        if (it != results.end()) {
            verdicts[c.seq] =
                Verdict{it->second->code == Errc::Ok, it->second->code, it->second->message};
        } else if (c.seq <= ack.acked_seq) {
            verdicts[c.seq] = Verdict{};  // durably stored, no objection
        }
    }
    if (verdicts.empty()) return {};

    std::vector<ChangeEvent::RowRef> restored;
    Result<void> res = guard([&]() -> Result<void> {
        Txn txn(*conn_);
        struct Entry {
            std::uint64_t first_seq;
            std::string table, row;
            std::vector<Change> changes;
        };
        std::vector<Entry> entries;
        {
            StmtUse s = conn_->use(
                "SELECT first_seq,tbl,row,changes FROM _zb_outbox "
                "WHERE last_seq>=?1 AND first_seq<=?2 ORDER BY first_seq");
            s->bind(1, verdicts.begin()->first);
            s->bind(2, verdicts.rbegin()->first);
            while (s->step()) {
                Entry e{s->uint64(0), s->text(1), s->text(2), {}};
                e.changes = decode_outbox(s->blob(3), e.table, e.row, device_, e.first_seq);
                entries.push_back(std::move(e));
            }
        }
        // Counter changes carry this device's running total, so a refused increment is also
        // inside every later total of that counter. Worked out before anything is settled (the
        // shadow still holds where the outbox's totals started from), rewritten afterwards.
        std::map<std::uint64_t, bool> ruled;
        for (const auto& [seq, verdict] : verdicts)
            ruled.emplace(seq, verdict.accepted);
        std::vector<Change> refused_counts;
        for (const Entry& e : entries) {
            for (const Change& c : e.changes) {
                auto v = ruled.find(c.seq);
                if (c.op == Op::Count && v != ruled.end() && !v->second)
                    refused_counts.push_back(c);
            }
        }
        const std::map<std::uint64_t, std::int64_t> restated =
            refused_counts.empty() ? std::map<std::uint64_t, std::int64_t>{}
                                   : restate_counters(refused_counts, ruled);
        std::set<std::pair<std::string, std::string>> to_restore;
        for (Entry& e : entries) {
            std::vector<Change> remaining;
            bool touched = false;
            for (Change& c : e.changes) {
                auto v = verdicts.find(c.seq);
                if (v == verdicts.end()) {
                    remaining.push_back(std::move(c));
                    continue;
                }
                touched = true;
                const Verdict& verdict = v->second;
                if (!verdict.accepted) {
                    StmtUse s = conn_->use(
                        "INSERT INTO _zb_rejected(seq,tbl,row,col,op,value,hlc,base,origin,code,"
                        "message) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
                    s->bind(1, c.seq);
                    s->bind(2, std::string_view(c.table));
                    s->bind(3, std::string_view(c.row));
                    s->bind(4, std::string_view(c.column));
                    s->bind(5, static_cast<std::int64_t>(c.op));
                    s->bind_value(6, c.value);
                    s->bind(7, c.hlc.raw);
                    s->bind(8, c.base.raw);
                    s->bind(9, c.origin);
                    s->bind(10, static_cast<std::int64_t>(verdict.code));
                    s->bind(11, std::string_view(verdict.message));
                    s->run();
                }
                if (c.op == Op::Command) {
                    StmtUse s = conn_->use(
                        "UPDATE _zb_command SET status=?2,code=?3,message=?4 WHERE seq=?1");
                    s->bind(1, c.seq);
                    s->bind(2,
                            static_cast<std::int64_t>(verdict.accepted ? CommandStatus::Accepted
                                                                       : CommandStatus::Rejected));
                    s->bind(3, static_cast<std::int64_t>(verdict.code));
                    s->bind(4, std::string_view(verdict.message));
                    s->run();
                    continue;
                }
                Row& r = state_->load(c.table, c.row);
                if (r.shadow) {
                    // Accepted: it is now part of the server's state, so of the shadow too.
                    if (verdict.accepted) {
                        ShadowState ss(*r.shadow);
                        (void)merge::apply(opt_.schema, ss, c);
                    }
                    if (r.shadow->pending > 0) --r.shadow->pending;
                    r.dirty = true;
                }
                if (!verdict.accepted) to_restore.emplace(c.table, c.row);
            }
            if (!touched) continue;
            {
                StmtUse s = conn_->use("DELETE FROM _zb_outbox WHERE first_seq=?1");
                s->bind(1, e.first_seq);
                s->run();
            }
            // Re-file what is still unsettled, one entry per contiguous seq run.
            std::size_t i = 0;
            while (i < remaining.size()) {
                std::size_t j = i + 1;
                while (j < remaining.size() && remaining[j].seq == remaining[j - 1].seq + 1)
                    ++j;
                std::vector<Change> run(remaining.begin() + static_cast<std::ptrdiff_t>(i),
                                        remaining.begin() + static_cast<std::ptrdiff_t>(j));
                insert_outbox(e.table, e.row, run);
                i = j;
            }
        }
        if (!restated.empty()) {
            std::set<std::pair<std::string, std::string>> rows;
            for (const Change& c : refused_counts)
                rows.emplace(c.table, c.row);
            for (const auto& [table, row] : rows)
                rewrite_outbox(table, row, restated);
        }
        // Rejected rows return to the server's state, then the local changes the server has not
        // ruled on yet are merged on top again (merge is idempotent, so re-applying is exact).
        for (const auto& [table, row] : to_restore) {
            Row& r = state_->load(table, row);
            if (r.shadow) {
                r.meta = r.shadow->meta;
                r.cells = r.shadow->cells;
                state_->replace_side_tables(table, row, *r.shadow);
                r.dirty = true;
            }
            std::vector<Change> again;
            {
                StmtUse s = conn_->use(
                    "SELECT first_seq,changes FROM _zb_outbox WHERE tbl=?1 AND row=?2 "
                    "ORDER BY first_seq");
                s->bind(1, std::string_view(table));
                s->bind(2, std::string_view(row));
                while (s->step()) {
                    for (Change& c : decode_outbox(s->blob(1), table, row, device_, s->uint64(0))) {
                        again.push_back(std::move(c));
                    }
                }
            }
            for (const Change& c : again) {
                if (c.op != Op::Command) (void)merge::apply(opt_.schema, *state_, c);
            }
            restored.push_back({table, row});
        }
        for (Row* r : state_->touched()) {
            if (r->shadow && r->shadow->pending == 0) {
                r->shadow.reset();
                r->dirty = true;
            }
        }
        persist_clock();  // the outbox may now be empty; it no longer proves the clock
        state_->flush();
        txn.commit();
        return {};
    });
    if (res) notify(ChangeEvent::Source::Settled, std::move(restored));
    return res;
}

Result<void> Replica::Impl::apply_page(const protocol::Changes& page) {
    const protocol::HlcClock saved_clock = clock_;
    std::vector<ChangeEvent::RowRef> rows;
    Result<void> res = guard([&]() -> Result<void> {
        // Server data is re-pullable: the page and the pull cursor commit together, so if a power
        // loss takes the latest pages back, the cursor goes back with them and they are pulled
        // again. Such commits need no fsync of their own (synchronous=NORMAL); the next FULL
        // commit syncs the WAL up to and including them, so commit order is never broken.
        RelaxedSync relaxed(*this);
        Txn txn(*conn_);
        const std::uint64_t now_ms = now();
        auto quarantine = [&](const Change& c, const Error& e) {
            StmtUse s =
                conn_->use("INSERT INTO _zb_quarantine(change,code,message) VALUES(?1,?2,?3)");
            s->bind_blob(1, encode_change(c));
            s->bind(2, static_cast<std::int64_t>(e.code));
            s->bind(3, std::string_view(e.message));
            s->run();
        };
        for (const Change& c : page.changes) {
            // A timestamp too far ahead is still applied (the server accepted it) but the local
            // clock does not jump to it.
            Result<void> observed = clock_.observe(c.hlc, now_ms);
            (void)observed;
            Result<merge::Outcome> applied = merge::apply(opt_.schema, *state_, c);
            if (!applied) {
                // Kept, never dropped: a newer build may interpret it.
                quarantine(c, applied.error());
                continue;
            }
            Row& r = state_->load(c.table, c.row);
            if (r.shadow) {
                ShadowState ss(*r.shadow);
                (void)merge::apply(opt_.schema, ss, c);
                r.dirty = true;
            }
            if (*applied == merge::Outcome::Applied) r.changed = true;
        }
        rebase_page(page);
        for (Row* r : state_->touched()) {
            if (r->changed) rows.push_back({r->table, r->id});
        }
        set_meta("pull_cursor", static_cast<std::int64_t>(page.cursor));
        set_meta("hlc", static_cast<std::int64_t>(clock_.last().raw));
        state_->flush();
        txn.commit();
        return {};
    });
    if (!res) {
        clock_ = saved_clock;
        return res;
    }
    notify(ChangeEvent::Source::Remote, std::move(rows));
    return res;
}

// ---------------------------------------------------------------------------------------------
// Replica

Replica::Replica(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Replica::~Replica() {
    if (impl_) (void)impl_->close();
}

Result<std::unique_ptr<Replica>> Replica::open(Options options) {
    if (sodium_init() < 0) return Error{Errc::Internal, "libsodium failed to initialise"};
    if (auto v = validate_schema(options.schema); !v) return v.error();
    auto impl = std::make_unique<Impl>(std::move(options));
    try {
        impl->open_db();
    } catch (const StoreError& e) {
        return e.error();
    }
    return std::unique_ptr<Replica>(new Replica(std::move(impl)));
}

Result<void> Replica::close() {
    return impl_->close();
}

protocol::DeviceId Replica::device_id() const {
    return impl_->device_;
}
protocol::Hlc Replica::clock() const {
    return impl_->clock_.last();
}

Result<void> Replica::write(std::string_view table, std::string_view row, const Values& values) {
    const merge::TableDef* def = impl_->opt_.schema.table(table);
    if (!def) return Error{Errc::UnknownTable, "unknown table '" + std::string(table) + "'"};
    for (const auto& [col, v] : values) {
        const merge::ColumnDef* cd = def->column(col);
        if (!cd) return Error{Errc::BadValue, "unknown column " + std::string(table) + "." + col};
        if (cd->policy == merge::Policy::Server) {
            return Error{Errc::ServerAuthoritative,
                         std::string(table) + "." + col +
                             " is server-authoritative: submit a command instead"};
        }
        if (cd->policy == merge::Policy::Counter) {
            return Error{Errc::BadValue,
                         std::string(table) + "." + col + " is a counter: use increment()"};
        }
    }
    return impl_->commit_local(table, row, [&](Row& r) -> Result<std::vector<Draft>> {
        std::vector<Draft> drafts;
        for (const auto& [col, v] : values) {
            if (def->column(col)->policy == merge::Policy::AppendOnly && r.cells.count(col)) {
                return Error{Errc::AppendOnlyViolation,
                             std::string(table) + "." + col + " was already written"};
            }
            drafts.push_back(Draft{col, Op::Set, v, std::nullopt});
        }
        return drafts;
    });
}

Result<void> Replica::increment(std::string_view table, std::string_view row,
                                std::string_view column, std::int64_t delta) {
    const merge::TableDef* def = impl_->opt_.schema.table(table);
    if (!def) return Error{Errc::UnknownTable, "unknown table '" + std::string(table) + "'"};
    const merge::ColumnDef* cd = def->column(column);
    if (!cd || cd->policy != merge::Policy::Counter) {
        return Error{Errc::BadValue,
                     std::string(table) + "." + std::string(column) + " is not a counter"};
    }
    return impl_->commit_local(table, row, [&](Row&) -> Result<std::vector<Draft>> {
        auto part = impl_->state_->counter_part(table, row, column, impl_->device_);
        std::int64_t total = 0;
        if (part) {
            if (const auto* t = std::get_if<std::int64_t>(&part->value)) total = *t;
        }
        const auto next = static_cast<std::int64_t>(static_cast<std::uint64_t>(total) +
                                                    static_cast<std::uint64_t>(delta));
        return std::vector<Draft>{Draft{std::string(column), Op::Count, next, Hlc{}}};
    });
}

Result<void> Replica::remove(std::string_view table, std::string_view row) {
    const merge::TableDef* def = impl_->opt_.schema.table(table);
    if (!def) return Error{Errc::UnknownTable, "unknown table '" + std::string(table) + "'"};
    if (!def->deletable) {
        return Error{Errc::RuleViolation, "rows of " + std::string(table) + " cannot be deleted"};
    }
    return impl_->commit_local(table, row, [](Row&) -> Result<std::vector<Draft>> {
        return std::vector<Draft>{Draft{"", Op::Delete, Value{}, Hlc{}}};
    });
}

Result<void> Replica::restore(std::string_view table, std::string_view row) {
    const merge::TableDef* def = impl_->opt_.schema.table(table);
    if (!def) return Error{Errc::UnknownTable, "unknown table '" + std::string(table) + "'"};
    return impl_->commit_local(table, row, [](Row&) -> Result<std::vector<Draft>> {
        return std::vector<Draft>{Draft{"", Op::Restore, Value{}, Hlc{}}};
    });
}

Result<void> Replica::resolve(std::string_view table, std::string_view row, std::string_view column,
                              const Value& value) {
    const merge::TableDef* def = impl_->opt_.schema.table(table);
    if (!def) return Error{Errc::UnknownTable, "unknown table '" + std::string(table) + "'"};
    const merge::ColumnDef* cd = def->column(column);
    if (!cd || cd->policy != merge::Policy::KeepBoth) {
        return Error{Errc::BadValue,
                     std::string(table) + "." + std::string(column) + " is not a keep-both column"};
    }
    return impl_->commit_local(table, row, [&](Row& r) -> Result<std::vector<Draft>> {
        // base = the greatest hlc seen for the cell: this write knowingly supersedes every version.
        Hlc base{};
        for (const auto& v : impl_->state_->versions(table, row, column))
            base = std::max(base, v.hlc);
        if (auto it = r.cells.find(column); it != r.cells.end())
            base = std::max(base, it->second.hlc);
        return std::vector<Draft>{Draft{std::string(column), Op::Set, value, base}};
    });
}

Result<std::optional<Values>> Replica::read(std::string_view table, std::string_view row,
                                            bool include_deleted) {
    if (!impl_->catalog_.find(table)) {
        return Error{Errc::UnknownTable, "unknown table '" + std::string(table) + "'"};
    }
    return impl_->guard([&]() -> Result<std::optional<Values>> {
        Row& r = impl_->state_->load(table, row);
        std::optional<Values> out;
        if (r.exists && (include_deleted || !r.meta.is_deleted())) {
            out.emplace();
            for (const auto& [col, c] : r.cells)
                out->emplace(col, c.value);
        }
        impl_->state_->clear();
        return out;
    });
}

Result<std::vector<RowView>> Replica::scan(std::string_view table, ScanOptions options) {
    const TableInfo* info = impl_->catalog_.find(table);
    if (!info) return Error{Errc::UnknownTable, "unknown table '" + std::string(table) + "'"};
    return impl_->guard([&]() -> Result<std::vector<RowView>> {
        std::vector<RowView> out;
        StmtUse s = impl_->conn_->use(info->scan_sql);
        while (s->step()) {
            Row r;
            r.info = info;
            impl_->state_->decode_row(*s, 1, r);
            if (r.meta.is_deleted() && !options.include_deleted) continue;
            RowView v;
            v.id = s->text(0);
            v.deleted = r.meta.is_deleted();
            for (auto& [col, c] : r.cells)
                v.values.emplace(col, std::move(c.value));
            out.push_back(std::move(v));
        }
        return out;
    });
}

Result<std::vector<merge::Conflict>> Replica::conflicts() {
    return impl_->guard([&]() -> Result<std::vector<merge::Conflict>> {
        std::vector<merge::Conflict> out;
        StmtUse s = impl_->conn_->use(
            "SELECT tbl,row,col,value,hlc,origin,base FROM _zb_version ORDER BY tbl,row,col");
        merge::Conflict cur;
        std::vector<merge::Cell> versions;
        auto finish = [&] {
            if (versions.empty()) return;
            cur.losers = merge::open_conflicts(versions, &cur.winner);
            if (!cur.losers.empty()) out.push_back(cur);
            versions.clear();
        };
        while (s->step()) {
            std::string t = s->text(0), r = s->text(1), c = s->text(2);
            if (t != cur.table || r != cur.row || c != cur.column) {
                finish();
                cur = merge::Conflict{t, r, c, {}, {}};
            }
            versions.push_back(
                merge::Cell{s->value(3), Hlc{s->uint64(4)}, s->uint64(5), Hlc{s->uint64(6)}});
        }
        finish();
        return out;
    });
}

Result<std::vector<Rejected>> Replica::rejected() {
    return impl_->guard([&]() -> Result<std::vector<Rejected>> {
        std::vector<Rejected> out;
        StmtUse s = impl_->conn_->use(
            "SELECT id,seq,tbl,row,col,op,value,hlc,base,origin,code,message FROM _zb_rejected "
            "ORDER BY id");
        while (s->step()) {
            Rejected r;
            r.id = s->int64(0);
            r.change.seq = s->uint64(1);
            r.change.table = s->text(2);
            r.change.row = s->text(3);
            r.change.column = s->text(4);
            r.change.op = static_cast<Op>(s->int64(5));
            r.change.value = s->value(6);
            r.change.hlc = Hlc{s->uint64(7)};
            r.change.base = Hlc{s->uint64(8)};
            r.change.origin = s->uint64(9);
            r.code = static_cast<Errc>(s->int64(10));
            r.message = s->text(11);
            out.push_back(std::move(r));
        }
        return out;
    });
}

Result<void> Replica::dismiss_rejected(std::int64_t id) {
    return impl_->guard([&]() -> Result<void> {
        StmtUse s = impl_->conn_->use("DELETE FROM _zb_rejected WHERE id=?1");
        s->bind(1, id);
        s->run();
        if (sqlite3_changes(impl_->conn_->raw()) == 0) {
            return Error{Errc::BadValue, "no rejected change " + std::to_string(id)};
        }
        return {};
    });
}

Result<std::string> Replica::submit_command(std::string_view family, std::string_view name,
                                            std::string_view json_args) {
    if (family.empty() || name.empty()) return Error{Errc::BadValue, "command without a name"};
    Impl& m = *impl_;
    const protocol::HlcClock saved_clock = m.clock_;
    const std::uint64_t saved_seq = m.next_seq_;
    Result<std::string> res = m.guard([&]() -> Result<std::string> {
        Txn txn(*m.conn_);
        Change c;
        c.table = family;
        c.row = random_id();
        c.column = name;
        c.op = Op::Command;
        c.value = std::string(json_args);
        c.origin = m.device_;
        c.seq = m.next_seq_++;
        Result<Hlc> h = m.clock_.tick(m.now());
        if (!h) return h.error();
        c.hlc = *h;
        m.insert_outbox(c.table, c.row, {c});
        StmtUse s = m.conn_->use(
            "INSERT INTO _zb_command(seq,id,family,name,args,status) VALUES(?1,?2,?3,?4,?5,0)");
        s->bind(1, c.seq);
        s->bind(2, std::string_view(c.row));
        s->bind(3, family);
        s->bind(4, name);
        s->bind(5, json_args);
        s->run();
        txn.commit();
        return c.row;
    });
    if (!res) {
        m.clock_ = saved_clock;
        m.next_seq_ = saved_seq;
    }
    return res;
}

Result<std::vector<Command>> Replica::commands() {
    return impl_->guard([&]() -> Result<std::vector<Command>> {
        std::vector<Command> out;
        StmtUse s = impl_->conn_->use(
            "SELECT seq,id,family,name,args,status,code,message FROM _zb_command ORDER BY seq");
        while (s->step()) {
            Command c;
            c.seq = s->uint64(0);
            c.id = s->text(1);
            c.family = s->text(2);
            c.name = s->text(3);
            c.args_json = s->text(4);
            c.status = static_cast<CommandStatus>(s->int64(5));
            c.code = static_cast<Errc>(s->int64(6));
            c.message = s->text(7);
            out.push_back(std::move(c));
        }
        return out;
    });
}

Result<std::vector<Command>> Replica::pending_commands() {
    Result<std::vector<Command>> all = commands();
    if (!all) return all;
    std::vector<Command> out;
    for (Command& c : *all) {
        if (c.status == CommandStatus::Pending) out.push_back(std::move(c));
    }
    return out;
}

Result<std::uint64_t> Replica::outbox_size() {
    return impl_->guard([&]() -> Result<std::uint64_t> {
        StmtUse s =
            impl_->conn_->use("SELECT COALESCE(SUM(last_seq-first_seq+1),0) FROM _zb_outbox");
        s->step();
        return s->uint64(0);
    });
}

std::uint64_t Replica::add_listener(Listener listener) {
    const std::uint64_t id = impl_->next_listener_++;
    impl_->listeners_.emplace(id, std::move(listener));
    return id;
}

void Replica::remove_listener(std::uint64_t id) {
    impl_->listeners_.erase(id);
}

Result<void> Replica::settle_push(const std::vector<protocol::Change>& pushed,
                                  const protocol::PushAck& ack) {
    return impl_->settle(pushed, ack);
}

Result<void> Replica::apply_page(const protocol::Changes& page) {
    return impl_->apply_page(page);
}

Result<std::vector<protocol::Change>> Replica::pending(std::uint64_t after_seq, std::size_t max) {
    return impl_->guard(
        [&]() -> Result<std::vector<protocol::Change>> { return impl_->pending(after_seq, max); });
}

// ---- SyncStore ----

namespace {
template <class T>
T or_throw(Result<T> r) {
    if (!r) throw StoreError(r.error());
    return std::move(r).value();
}
void or_throw(Result<void> r) {
    if (!r) throw StoreError(r.error());
}
}  // namespace

DeviceIdentity Replica::identity() {
    return DeviceIdentity{impl_->enrolled_device_, impl_->pk_};
}

protocol::Bytes Replica::sign(const protocol::Bytes& payload) {
    if (!impl_->conn_) throw StoreError(closed_error());
    protocol::Bytes sig(crypto_sign_BYTES);
    crypto_sign_detached(sig.data(), nullptr, payload.data(), payload.size(), impl_->sk_.data());
    return sig;
}

void Replica::set_enrolled(const protocol::Enrolled& e) {
    or_throw(impl_->guard([&]() -> Result<void> {
        Txn txn(*impl_->conn_);
        impl_->set_meta("enrolled_device", static_cast<std::int64_t>(e.device));
        impl_->set_meta("person", e.person);
        impl_->set_meta("role", e.role);
        impl_->set_meta("org", e.org);
        txn.commit();
        impl_->enrolled_device_ = e.device;
        return {};
    }));
}

std::vector<protocol::Change> Replica::outbox(std::uint64_t after_seq, std::size_t max) {
    return or_throw(pending(after_seq, max));
}

void Replica::settle(const std::vector<protocol::Change>& pushed, const protocol::PushAck& ack) {
    or_throw(settle_push(pushed, ack));
}

void Replica::apply_remote(const protocol::Changes& page) {
    or_throw(apply_page(page));
}

std::uint64_t Replica::pull_cursor() {
    return or_throw(impl_->guard([&]() -> Result<std::uint64_t> {
        return static_cast<std::uint64_t>(impl_->meta_int("pull_cursor").value_or(0));
    }));
}

// ---- rebase (protocol/SPEC.md §9.1) ----

void Replica::Impl::begin_rebase(bool repush_own) {
    conn_->exec(
        "CREATE TABLE IF NOT EXISTS _zb_rebase(tbl TEXT NOT NULL, row TEXT NOT NULL, "
        "PRIMARY KEY(tbl, row)) WITHOUT ROWID");
    conn_->exec("DELETE FROM _zb_rebase");
    for (const auto& [name, def] : opt_.schema.tables()) {
        if (!catalog_.find(name)) continue;
        StmtUse s = conn_->use("INSERT OR IGNORE INTO _zb_rebase(tbl,row) SELECT ?1, id FROM " +
                               quote_ident(name));
        s->bind(1, std::string_view(name));
        s->run();
    }
    const std::int64_t was = meta_int("rebase").value_or(0);
    set_meta("rebase", std::max<std::int64_t>(was, repush_own ? 2 : 1));
    set_meta("pull_cursor", std::int64_t{0});
}

void Replica::Impl::rebase_page(const protocol::Changes& page) {
    const std::optional<std::int64_t> mode = meta_int("rebase");
    if (!mode || *mode == 0) return;
    for (const Change& c : page.changes) {
        StmtUse s = conn_->use("DELETE FROM _zb_rebase WHERE tbl=?1 AND row=?2");
        s->bind(1, std::string_view(c.table));
        s->bind(2, std::string_view(c.row));
        s->run();
    }
    if (page.has_more) return;
    // The snapshot is complete. A row it did not name is gone on the server (collected, or lost
    // with a restore); it goes here too unless this device still has something to say about it.
    std::vector<std::pair<std::string, std::string>> unnamed;
    {
        StmtUse s = conn_->use(
            "SELECT r.tbl, r.row FROM _zb_rebase r WHERE NOT EXISTS (SELECT 1 FROM _zb_outbox o "
            "WHERE o.tbl=r.tbl AND o.row=r.row)");
        while (s->step())
            unnamed.emplace_back(s->text(0), s->text(1));
    }
    for (const auto& [table, row] : unnamed) {
        Row& r = state_->load(table, row);
        bool own = false;
        for (const auto& [col, cell] : r.cells)
            own = own || cell.origin == device_;
        if (*mode == 2 && own) continue;  // re-sent below: the server lost it
        r.meta = {};
        r.cells.clear();
        r.shadow.reset();
        state_->replace_side_tables(table, row, Shadow{});
        r.dirty = true;
        r.changed = true;
    }
    if (*mode == 2) repush_own_cells();
    conn_->exec("DELETE FROM _zb_rebase");
    set_meta("rebase", Value{});
}

// The server lost acknowledged changes (restore): every cell whose winning write is this device's
// goes back into the outbox with its original value and clock under a new seq. A cell the server
// still has merges as a no-op (same hlc and origin), so re-sending too much is harmless.
void Replica::Impl::repush_own_cells() {
    for (const auto& [name, def] : opt_.schema.tables()) {
        if (!catalog_.find(name)) continue;
        std::vector<std::string> ids;
        {
            StmtUse s = conn_->use("SELECT id FROM " + quote_ident(name) + " ORDER BY id");
            while (s->step())
                ids.push_back(s->text(0));
        }
        for (const std::string& id : ids) {
            Row& r = state_->load(name, id);
            std::vector<Change> again;
            for (const auto& [col, cell] : r.cells) {
                if (cell.origin != device_) continue;
                const merge::Policy pol = opt_.schema.policy(name, col);
                if (pol == merge::Policy::Counter || pol == merge::Policy::KeepBoth ||
                    pol == merge::Policy::Server)
                    continue;
                Change c;
                c.table = name;
                c.row = id;
                c.column = col;
                c.op = Op::Set;
                c.value = cell.value;
                c.hlc = cell.hlc;
                c.base = cell.base;
                c.origin = device_;
                again.push_back(std::move(c));
            }
            for (const auto& [key, part] : state_->parts_of(name, id)) {
                if (key.second != device_) continue;
                Change c;
                c.table = name;
                c.row = id;
                c.column = key.first;
                c.op = Op::Count;
                c.value = part.value;
                c.hlc = part.hlc;
                c.origin = device_;
                again.push_back(std::move(c));
            }
            if (again.empty()) continue;
            for (Change& c : again)
                c.seq = next_seq_++;
            if (!r.shadow) r.shadow = snapshot(r);
            r.shadow->pending += again.size();
            r.dirty = true;
            insert_outbox(name, id, again);
        }
    }
    persist_clock();
}

bool Replica::begin_rebase(bool repush_own) {
    or_throw(impl_->guard([&]() -> Result<void> {
        Txn txn(*impl_->conn_);
        impl_->begin_rebase(repush_own);
        txn.commit();
        return {};
    }));
    return true;
}

std::uint64_t Replica::settled_seq() {
    return or_throw(impl_->guard([&]() -> Result<std::uint64_t> {
        StmtUse s = impl_->conn_->use("SELECT min(first_seq) FROM _zb_outbox");
        if (s->step() && !s->is_null(0)) return s->uint64(0) - 1;
        return impl_->next_seq_ - 1;
    }));
}

void Replica::wipe(const std::string& reason) {
    (void)reason;  // the engine logs it; nothing of the replica survives to record it in
    impl_->state_.reset();
    impl_->conn_.reset();
    impl_->db_.reset();
    sodium_memzero(impl_->sk_.data(), impl_->sk_.size());
    impl_->listeners_.clear();
    auto opener = impl_->opener_ ? impl_->opener_ : plain_opener();
    or_throw(opener->destroy(impl_->opt_.path));
}

}  // namespace zb::core
