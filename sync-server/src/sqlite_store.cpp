// SPDX-License-Identifier: Apache-2.0
// The embedded SQLite ServerStore. One writer connection (behind write_mu_) and a small pool of
// reader connections; WAL with synchronous=FULL so a commit is on disk before the ack. Every
// visible write gets the next server sequence number (`seq`) for pull cursors; moving a row to
// another org or owner re-stamps all its entries so newly entitled devices receive the whole row.
// Cell kinds: 0 visible cell, 1 counter part, 2 keep-both version, 3 delete marker, 4 restore.
#include "sqlite.hpp"
#include "sqlite_maintenance.hpp"

#include "zb/server/log.hpp"
#include "zb/server/store.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <type_traits>

namespace zb::server {

namespace {

using protocol::Change;
using protocol::Hlc;
using protocol::Op;
using protocol::Value;

constexpr int kCell = 0, kPart = 1, kVersion = 2, kDeleteMark = 3, kRestoreMark = 4;

const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v);
CREATE TABLE IF NOT EXISTS devices(
  id INTEGER PRIMARY KEY, public_key BLOB NOT NULL UNIQUE, person TEXT NOT NULL,
  role TEXT NOT NULL, org TEXT NOT NULL, name TEXT NOT NULL, enrolled_ms INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0, wipe INTEGER NOT NULL DEFAULT 0,
  acked_seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS enroll_codes(
  code_hash BLOB PRIMARY KEY, person TEXT NOT NULL, role TEXT NOT NULL, org TEXT NOT NULL,
  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, used_ms INTEGER, device INTEGER);
CREATE TABLE IF NOT EXISTS tokens(
  hash BLOB PRIMARY KEY, device INTEGER NOT NULL, expires_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rows(
  tbl TEXT NOT NULL, rid TEXT NOT NULL, org TEXT NOT NULL DEFAULT '',
  owner TEXT NOT NULL DEFAULT '', vis INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
  alive INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(tbl, rid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cells(
  tbl TEXT NOT NULL, rid TEXT NOT NULL, col TEXT NOT NULL, kind INTEGER NOT NULL,
  k1 INTEGER NOT NULL, k2 INTEGER NOT NULL, v, enc INTEGER NOT NULL, hlc INTEGER NOT NULL,
  origin INTEGER NOT NULL, base INTEGER NOT NULL, oseq INTEGER NOT NULL, seq INTEGER NOT NULL,
  UNIQUE(tbl, rid, col, kind, k1, k2));
CREATE INDEX IF NOT EXISTS cells_seq ON cells(seq) WHERE seq > 0;
CREATE TABLE IF NOT EXISTS changelog(
  origin INTEGER NOT NULL, seq INTEGER NOT NULL, code INTEGER NOT NULL, message TEXT NOT NULL,
  tbl TEXT NOT NULL, rid TEXT NOT NULL, col TEXT NOT NULL, op INTEGER NOT NULL,
  hlc INTEGER NOT NULL, base INTEGER NOT NULL, v, enc INTEGER NOT NULL,
  PRIMARY KEY(origin, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit(idx INTEGER PRIMARY KEY, entry BLOB NOT NULL, hash BLOB NOT NULL);
)sql";

std::int64_t s64(std::uint64_t v) {
    return static_cast<std::int64_t>(v);
}

std::string cell_ad(std::string_view t, std::string_view r, std::string_view c) {
    std::string ad;
    ad.reserve(t.size() + r.size() + c.size() + 2);
    ad.append(t).push_back('\0');
    ad.append(r).push_back('\0');
    ad.append(c);
    return ad;
}

struct Shared {
    const merge::Schema* schema = nullptr;
    const SecretKey* key = nullptr;

    bool sensitive(std::string_view t, std::string_view c) const {
        if (!schema) return false;
        const merge::TableDef* td = schema->table(t);
        if (!td) return false;
        const merge::ColumnDef* cd = td->column(c);
        return cd && cd->sensitive;
    }
    /// Bind a value at index i (and the enc flag at i+1).
    void bind_value(sql::Stmt& s, int i, const Value& v, std::string_view t, std::string_view r,
                    std::string_view c) const {
        if (sensitive(t, c)) {
            if (!key || key->bytes().empty())
                throw std::runtime_error("sensitive column without a master key");
            Bytes sealed = seal_value(*key, v, cell_ad(t, r, c));
            s.bind(i, std::span<const std::uint8_t>(sealed));
            s.bind(i + 1, 1);
            return;
        }
        switch (v.index()) {
            case 0:
                s.bind_null(i);
                break;
            case 1:
                s.bind(i, std::get<1>(v));
                break;
            case 2:
                s.bind(i, std::get<2>(v));
                break;
            case 3:
                s.bind(i, std::string_view(std::get<3>(v)));
                break;
            default:
                s.bind(i, std::span<const std::uint8_t>(std::get<4>(v)));
                break;
        }
        s.bind(i + 1, 0);
    }
    Value read_value(const sql::Stmt& s, int i, bool enc, std::string_view t, std::string_view r,
                     std::string_view c) const {
        if (enc) {
            if (!key) throw std::runtime_error("sealed value without a master key");
            auto v = open_value(*key, s.blob(i), cell_ad(t, r, c));
            if (!v) throw std::runtime_error("sealed value failed authentication");
            return *v;
        }
        switch (s.type(i)) {
            case SQLITE_NULL:
                return Value{};
            case SQLITE_INTEGER:
                return Value{s.i64(i)};
            case SQLITE_FLOAT:
                return Value{s.real(i)};
            case SQLITE_TEXT:
                return Value{s.text(i)};
            default: {
                auto b = s.blob(i);
                return Value{Bytes(b.begin(), b.end())};
            }
        }
    }
};

void open_pragmas(sql::Db& db) {
    db.exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;"
        " PRAGMA trusted_schema=OFF;");
    // A 64 MiB page cache holds the cells indexes of a large university: index inserts in row-id
    // order otherwise miss the default 2 MiB cache on nearly every change.
    db.exec("PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;");
}

class SqliteStore;

class SqliteTxn final : public StoreTxn, public merge::State {
public:
    SqliteTxn(SqliteStore& store, std::unique_lock<std::mutex> lock);
    ~SqliteTxn() override;

    merge::State& state() override { return *this; }
    void set_current(const Change* c) override { current_ = c; }
    std::optional<RowInfo> row_info(std::string_view table, std::string_view row) override;
    std::optional<DeviceRecord> device(DeviceId id) override;
    std::optional<protocol::ChangeResult> logged(DeviceId origin, std::uint64_t seq) override;
    void log_change(const Change& c, Errc code, const std::string& message) override;
    void set_acked(DeviceId device, std::uint64_t seq) override;
    void append_audit(AuditEntry e) override;
    protocol::HlcClock& server_clock() override { return clock_; }
    std::uint64_t next_server_seq() override { return ++server_seq_; }
    DeviceId server_device_id() override;
    std::uint64_t head() const override { return head_; }
    std::vector<std::pair<RowInfo, merge::Visibility>> touched() const override;
    /// Maintenance hook (sqlite_txn_db()): SQL run on this transaction must see the rows this
    /// transaction cached, so they are written back first.
    sql::Db& db() {
        flush_rows();
        return db_;
    }
    Result<void> commit() override;

    // merge::State
    std::optional<merge::Cell> cell(std::string_view t, std::string_view r,
                                    std::string_view c) override;
    void put_cell(std::string_view t, std::string_view r, std::string_view c,
                  const merge::Cell& cell) override;
    merge::RowMeta row(std::string_view t, std::string_view r) override;
    void put_row(std::string_view t, std::string_view r, const merge::RowMeta& m) override;
    std::optional<merge::Cell> counter_part(std::string_view t, std::string_view r,
                                            std::string_view c, DeviceId origin) override;
    void put_counter_part(std::string_view t, std::string_view r, std::string_view c,
                          const merge::Cell& part) override;
    std::int64_t counter_sum(std::string_view t, std::string_view r, std::string_view c) override;
    std::vector<merge::Cell> versions(std::string_view t, std::string_view r,
                                      std::string_view c) override;
    void add_version(std::string_view t, std::string_view r, std::string_view c,
                     const merge::Cell& v) override;

private:
    /// A row as this transaction sees it. Rows are read once, kept here, and written back once at
    /// commit (flush_rows): merge::apply touches a row's liveness on nearly every change, and a
    /// SELECT plus an UPDATE per change was most of the ingest cost (docs/PERFORMANCE.md).
    struct RowState {
        bool stored = false;  ///< in the rows table when the transaction began
        bool exists = false;  ///< stored, or created by this transaction
        bool dirty = false;   ///< to be written back at commit
        RowInfo info;
        int vis = 0;
        merge::RowMeta meta;
    };
    using RowKey = std::pair<std::string, std::string>;
    RowState& load_row(std::string_view t, std::string_view r);
    void ensure_row(std::string_view t, std::string_view r);
    void flush_rows();
    void upsert(std::string_view t, std::string_view r, std::string_view c, int kind,
                std::int64_t k1, std::int64_t k2, const merge::Cell& cell, std::uint64_t seq);
    std::optional<merge::Cell> read_one(std::string_view t, std::string_view r, std::string_view c,
                                        int kind, std::int64_t k1, std::int64_t k2);
    void restamp_row(std::string_view t, std::string_view r);
    void note_row(std::string_view t, std::string_view r);

    SqliteStore& store_;
    sql::Db& db_;
    std::unique_lock<std::mutex> lock_;
    bool open_ = false;
    const Change* current_ = nullptr;
    std::uint64_t start_head_ = 0;  ///< cells stamped above this were written by this transaction
    std::uint64_t head_ = 0;
    std::uint64_t server_seq_ = 0;
    std::uint64_t audit_index_ = 0;
    Hash audit_head_{};
    protocol::HlcClock clock_;
    std::map<RowKey, RowState> rows_;
    // Shown cells of rows this transaction created: nothing of theirs is stored yet, so a read
    // needs no SQL.
    std::map<std::tuple<std::string, std::string, std::string>, merge::Cell> fresh_cells_;
    std::set<RowKey> touched_;
};

class SqliteStore final : public ServerStore {
public:
    explicit SqliteStore(const SqliteOptions& o) : path_(o.path) {
        shared_.schema = o.schema;
        shared_.key = o.master_key;
        crypto_init();
        writer_ = std::make_unique<sql::Db>(path_);
        open_pragmas(*writer_);
        writer_->exec(kSchemaSql);
        load_meta();
        for (std::size_t i = 0; i < std::max<std::size_t>(1, o.readers); ++i) {
            auto db = std::make_unique<sql::Db>(path_);
            db->exec(
                "PRAGMA query_only=ON; PRAGMA trusted_schema=OFF; PRAGMA cache_size=-32768;"
                " PRAGMA mmap_size=268435456;");
            readers_.push_back(std::move(db));
        }
    }

    // ---- identity ----
    Result<std::string> issue_enroll_code(const EnrollGrant& g, std::uint64_t expires_ms,
                                          std::uint64_t now_ms) override {
        return guarded<std::string>([&]() -> Result<std::string> {
            static constexpr char kAlphabet[] = "ABCDEFGHJKMNPQRSTVWXYZ23456789";  // no 0/O, 1/I/L
            Bytes rnd = random_bytes(16);
            std::string code;
            for (std::size_t i = 0; i < rnd.size(); ++i) {
                if (i && i % 4 == 0) code.push_back('-');
                code.push_back(kAlphabet[rnd[i] % 30]);
            }
            std::lock_guard lock(write_mu_);
            Hash h = blake2b(code);
            auto s = writer_->prepare(
                "INSERT INTO enroll_codes(code_hash,person,role,org,created_ms,expires_ms) "
                "VALUES(?,?,?,?,?,?)");
            s->bind(1, std::span<const std::uint8_t>(h))
                .bind(2, g.person)
                .bind(3, g.role)
                .bind(4, g.org)
                .bind(5, now_ms)
                .bind(6, expires_ms);
            s->exec();
            AuditEntry e;
            e.kind = kAuditEnrollCode;
            e.time_ms = now_ms;
            e.note = "enroll-code person=" + g.person + " role=" + g.role + " org=" + g.org +
                     " code=" + hex(std::span(h).first(8));
            append_audit_locked(e);
            return code;
        });
    }

    Result<DeviceRecord> enroll(const std::string& code, const Bytes& public_key,
                                const std::string& name, std::uint64_t now_ms) override {
        return guarded<DeviceRecord>([&]() -> Result<DeviceRecord> {
            if (public_key.size() != 32)
                return protocol::make_error(Errc::BadValue, "public key must be 32 bytes");
            std::lock_guard lock(write_mu_);
            writer_->exec("BEGIN IMMEDIATE");
            try {
                Hash h = blake2b(code);
                auto s = writer_->prepare(
                    "SELECT person,role,org,expires_ms,used_ms,device FROM enroll_codes WHERE "
                    "code_hash=?");
                s->bind(1, std::span<const std::uint8_t>(h));
                // A retry after a lost `enrolled` answer: the code was used by this very key, so
                // the answer is the same enrollment again (no new device, no new audit entry).
                // Anyone else presenting a used code is refused as before.
                if (s->step() && s->type(4) != SQLITE_NULL && s->type(5) != SQLITE_NULL &&
                    s->u64(5) == device_id_from_key(public_key)) {
                    auto again = read_device(*writer_, device_id_from_key(public_key));
                    writer_->exec("ROLLBACK");
                    if (again && again->public_key == public_key && !again->revoked) return *again;
                    return protocol::make_error(Errc::EnrollCodeInvalid,
                                                "unknown, used or expired enrollment code");
                }
                s->reset();
                s->bind(1, std::span<const std::uint8_t>(h));
                if (!s->step() || s->type(4) != SQLITE_NULL || s->u64(3) < now_ms) {
                    writer_->exec("ROLLBACK");
                    return protocol::make_error(Errc::EnrollCodeInvalid,
                                                "unknown, used or expired enrollment code");
                }
                DeviceRecord d;
                d.person = s->text(0);
                d.role = s->text(1);
                d.org = s->text(2);
                d.public_key = public_key;
                d.name = name;
                d.enrolled_ms = now_ms;
                d.id = device_id_from_key(public_key);
                {
                    auto q = writer_->prepare("SELECT 1 FROM devices WHERE id=? OR public_key=?");
                    q->bind(1, d.id).bind(2, std::span<const std::uint8_t>(public_key));
                    if (q->step()) {
                        writer_->exec("ROLLBACK");
                        return protocol::make_error(Errc::AuthFailed, "key already enrolled");
                    }
                }
                auto ins = writer_->prepare(
                    "INSERT INTO devices(id,public_key,person,role,org,name,enrolled_ms) "
                    "VALUES(?,?,?,?,?,?,?)");
                ins->bind(1, d.id)
                    .bind(2, std::span<const std::uint8_t>(public_key))
                    .bind(3, d.person)
                    .bind(4, d.role)
                    .bind(5, d.org)
                    .bind(6, name)
                    .bind(7, now_ms);
                ins->exec();
                auto upd = writer_->prepare(
                    "UPDATE enroll_codes SET used_ms=?, device=? WHERE code_hash=?");
                upd->bind(1, now_ms).bind(2, d.id).bind(3, std::span<const std::uint8_t>(h));
                upd->exec();
                AuditEntry e;
                e.kind = kAuditEnroll;
                e.time_ms = now_ms;
                e.device = d.id;
                e.note = "enroll person=" + d.person + " role=" + d.role + " org=" + d.org;
                append_audit_locked(e);
                writer_->exec("COMMIT");
                return d;
            } catch (...) {
                sqlite3_exec(writer_->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
                throw;
            }
        });
    }

    std::optional<DeviceRecord> device(DeviceId id) override {
        auto r = with_reader([&](sql::Db& db) { return read_device(db, id); });
        return r;
    }

    std::vector<DeviceRecord> devices() override {
        return with_reader([&](sql::Db& db) {
            std::vector<DeviceRecord> out;
            auto s = db.prepare("SELECT id FROM devices ORDER BY id");
            std::vector<DeviceId> ids;
            while (s->step())
                ids.push_back(s->u64(0));
            for (auto id : ids)
                if (auto d = read_device(db, id)) out.push_back(*d);
            return out;
        });
    }

    Result<void> revoke(DeviceId id, bool wipe, std::uint64_t now_ms) override {
        return guarded_void([&]() -> Result<void> {
            std::lock_guard lock(write_mu_);
            auto s = writer_->prepare("UPDATE devices SET revoked=1, wipe=MAX(wipe, ?) WHERE id=?");
            s->bind(1, wipe ? 1 : 0).bind(2, id);
            s->exec();
            if (sqlite3_changes(writer_->raw()) == 0)
                return protocol::make_error(Errc::AuthFailed, "unknown device");
            auto t = writer_->prepare("DELETE FROM tokens WHERE device=?");
            t->bind(1, id);
            t->exec();
            AuditEntry e;
            e.kind = kAuditRevoke;
            e.time_ms = now_ms;
            e.device = id;
            e.note = wipe ? "revoke+wipe" : "revoke";
            append_audit_locked(e);
            return {};
        });
    }

    Result<std::vector<std::pair<DeviceId, bool>>> revoked_devices() override {
        using Out = std::vector<std::pair<DeviceId, bool>>;
        return guarded<Out>([&]() -> Result<Out> {
            return with_reader([&](sql::Db& db) -> Result<Out> {
                Out out;
                auto s = db.prepare("SELECT id, wipe FROM devices WHERE revoked=1");
                while (s->step())
                    out.emplace_back(s->u64(0), s->i64(1) != 0);
                return out;
            });
        });
    }

    Result<TokenGrant> issue_token(DeviceId id, std::uint64_t expires_ms) override {
        return guarded<TokenGrant>([&]() -> Result<TokenGrant> {
            Bytes raw = random_bytes(32);
            TokenGrant g{base64url(raw), expires_ms};
            Hash h = blake2b(g.token);
            std::lock_guard lock(write_mu_);
            auto s = writer_->prepare("INSERT INTO tokens(hash,device,expires_ms) VALUES(?,?,?)");
            s->bind(1, std::span<const std::uint8_t>(h)).bind(2, id).bind(3, expires_ms);
            s->exec();
            // Expired tokens are garbage; drop them now and then.
            if (++token_gc_ % 256 == 0) {
                auto gc = writer_->prepare("DELETE FROM tokens WHERE expires_ms < ?");
                gc->bind(1, expires_ms > 86400000 ? expires_ms - 86400000 : 0);
                gc->exec();
            }
            return g;
        });
    }

    Result<void> check_token(const std::string& token, DeviceId id, std::uint64_t now_ms) override {
        return guarded_void([&]() -> Result<void> {
            Hash h = blake2b(token);
            return with_reader([&](sql::Db& db) -> Result<void> {
                auto s = db.prepare("SELECT device, expires_ms FROM tokens WHERE hash=?");
                s->bind(1, std::span<const std::uint8_t>(h));
                if (!s->step() || s->u64(0) != id)
                    return protocol::make_error(Errc::TokenInvalid, "token not valid for device");
                if (s->u64(1) <= now_ms)
                    return protocol::make_error(Errc::TokenExpired, "token expired");
                return {};
            });
        });
    }

    // ---- data ----
    std::unique_ptr<StoreTxn> begin() override {
        std::unique_lock lock(write_mu_);
        return std::make_unique<SqliteTxn>(*this, std::move(lock));
    }

    Result<PullPage> pull(const Principal& p, std::uint64_t cursor, std::uint32_t limit) override {
        return guarded<PullPage>([&]() -> Result<PullPage> {
            return with_reader([&](sql::Db& db) -> Result<PullPage> {
                PullPage page;
                page.cursor = cursor;
                if (p.role == Role::Auditor || limit == 0) return page;
                std::string q =
                    "SELECT c.tbl,c.rid,c.col,c.kind,c.v,c.enc,c.hlc,c.origin,c.base,c.oseq,c.seq,"
                    "r.org,r.owner,r.vis FROM cells c JOIN rows r ON r.tbl=c.tbl AND r.rid=c.rid "
                    "WHERE c.seq > :cursor AND " +
                    filter_sql(p) + " ORDER BY c.seq LIMIT :limit";
                auto s = db.prepare(q);
                s->bind(s->param(":cursor"), cursor)
                    .bind(s->param(":limit"), static_cast<std::int64_t>(limit) + 1);
                bind_filter(*s, p);
                while (s->step()) {
                    if (page.scanned == limit) {
                        page.has_more = true;
                        break;
                    }
                    ++page.scanned;
                    page.cursor = s->u64(10);
                    std::string t = s->text(0), r = s->text(1), c = s->text(2);
                    int kind = static_cast<int>(s->i64(3));
                    std::string org = s->text(11), owner = s->text(12);
                    auto vis = static_cast<merge::Visibility>(s->i64(13));
                    if (!can_read_row(p, vis, org, owner)) continue;  // belt and braces
                    Change ch;
                    ch.table = t;
                    ch.row = r;
                    ch.hlc = Hlc{s->u64(6)};
                    ch.origin = s->u64(7);
                    ch.base = Hlc{s->u64(8)};
                    ch.seq = s->u64(9);
                    if (kind == kDeleteMark || kind == kRestoreMark) {
                        ch.op = kind == kDeleteMark ? Op::Delete : Op::Restore;
                        page.changes.push_back(std::move(ch));
                        continue;
                    }
                    const merge::TableDef* td = shared_.schema ? shared_.schema->table(t) : nullptr;
                    const merge::ColumnDef* cd = td ? td->column(c) : nullptr;
                    ColumnAccess access = column_access(p, cd && cd->sensitive, owner);
                    if (access == ColumnAccess::Hidden) continue;
                    ch.column = c;
                    ch.op = kind == kPart ? Op::Count : Op::Set;
                    ch.value = shared_.read_value(*s, 4, s->i64(5) != 0, t, r, c);
                    if (access == ColumnAccess::Masked) ch.value = mask_value(ch.value);
                    page.changes.push_back(std::move(ch));
                }
                return page;
            });
        });
    }

    Result<std::uint64_t> count_after(const Principal& p, std::uint64_t cursor) override {
        return guarded<std::uint64_t>([&]() -> Result<std::uint64_t> {
            if (p.role == Role::Auditor) return std::uint64_t{0};
            return with_reader([&](sql::Db& db) -> Result<std::uint64_t> {
                std::string q =
                    "SELECT count(*) FROM cells c JOIN rows r ON r.tbl=c.tbl AND r.rid=c.rid "
                    "WHERE c.seq > :cursor AND " +
                    filter_sql(p);
                auto s = db.prepare(q);
                s->bind(s->param(":cursor"), cursor);
                bind_filter(*s, p);
                s->step();
                return s->u64(0);
            });
        });
    }

    std::uint64_t head() override {
        std::lock_guard lock(meta_mu_);
        return head_;
    }

    std::optional<merge::Cell> cell(std::string_view t, std::string_view r,
                                    std::string_view c) override {
        return with_reader([&](sql::Db& db) -> std::optional<merge::Cell> {
            auto s = db.prepare(
                "SELECT v,enc,hlc,origin,base FROM cells WHERE tbl=? AND rid=? AND col=? AND "
                "kind=0 AND k1=0 AND k2=0");
            s->bind(1, t).bind(2, r).bind(3, c);
            if (!s->step()) return std::nullopt;
            return merge::Cell{shared_.read_value(*s, 0, s->i64(1) != 0, t, r, c), Hlc{s->u64(2)},
                               s->u64(3), Hlc{s->u64(4)}};
        });
    }

    std::uint64_t accepted_changes() override {
        return with_reader([&](sql::Db& db) {
            auto s = db.prepare("SELECT count(*) FROM changelog WHERE code=0");
            s->step();
            return s->u64(0);
        });
    }

    // ---- audit ----
    void append_audit(AuditEntry e) override {
        std::lock_guard lock(write_mu_);
        append_audit_locked(e);
    }

    AuditReport verify_audit() override {
        return with_reader([&](sql::Db& db) {
            AuditReport rep;
            Hash prev{};
            std::uint64_t expect = 1;
            auto s = db.prepare("SELECT idx, entry, hash FROM audit ORDER BY idx");
            while (s->step()) {
                std::uint64_t idx = s->u64(0);
                auto entry = s->blob(1);
                auto stored = s->blob(2);
                ++rep.entries;
                if (idx != expect) {
                    rep.ok = false;
                    rep.first_bad = expect;
                    rep.message = "entry " + std::to_string(expect) + " is missing";
                    return rep;
                }
                // The canonical bytes start with the index: a reordered entry fails here too.
                std::uint64_t inner = 0;
                if (entry.size() >= 8)
                    for (int i = 7; i >= 0; --i)
                        inner = (inner << 8) | entry[static_cast<std::size_t>(i)];
                Hash h = blake2b(prev, entry);
                if (inner != idx || stored.size() != h.size() ||
                    std::memcmp(stored.data(), h.data(), h.size()) != 0) {
                    rep.ok = false;
                    rep.first_bad = idx;
                    rep.message = "entry " + std::to_string(idx) + " does not match the chain";
                    return rep;
                }
                prev = h;
                ++expect;
            }
            auto m = db.prepare("SELECT v FROM meta WHERE k='audit_head'");
            Hash head{};
            std::uint64_t count = 0;
            auto mc = db.prepare("SELECT v FROM meta WHERE k='audit_count'");
            if (mc->step()) count = mc->u64(0);
            if (m->step()) {
                auto b = m->blob(0);
                if (b.size() == head.size()) std::memcpy(head.data(), b.data(), head.size());
            }
            if (count != rep.entries || head != prev) {
                rep.ok = false;
                rep.first_bad = std::min(count, rep.entries) + 1;
                rep.message = "the chain's head does not match: entries were removed at the end";
                return rep;
            }
            rep.message = "ok";
            return rep;
        });
    }

    DeviceId server_device() override { return server_device_; }

    /// For maintenance (sqlite_maintenance.hpp): a reader inside one read transaction.
    void maintenance_read(const std::function<void(sql::Db&)>& f) {
        with_reader([&](sql::Db& db) {
            f(db);
            return 0;
        });
    }

    // used by SqliteTxn
    sql::Db& writer() { return *writer_; }
    const Shared& shared() const { return shared_; }
    std::mutex& write_mu() { return write_mu_; }
    void load_txn_state(std::uint64_t& head, std::uint64_t& server_seq, std::uint64_t& audit_index,
                        Hash& audit_head, protocol::HlcClock& clock) {
        std::lock_guard lock(meta_mu_);
        head = head_;
        server_seq = server_seq_;
        audit_index = audit_index_;
        audit_head = audit_head_;
        clock.restore(server_hlc_);
    }
    void save_txn_state(std::uint64_t head, std::uint64_t server_seq, std::uint64_t audit_index,
                        const Hash& audit_head, protocol::Hlc hlc) {
        std::lock_guard lock(meta_mu_);
        head_ = head;
        server_seq_ = server_seq;
        audit_index_ = audit_index;
        audit_head_ = audit_head;
        server_hlc_ = hlc;
    }
    void write_meta(sql::Db& db, std::string_view k, std::uint64_t v) {
        auto s = db.prepare(
            "INSERT INTO meta(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v");
        s->bind(1, k).bind(2, v);
        s->exec();
    }
    void write_meta_blob(sql::Db& db, std::string_view k, std::span<const std::uint8_t> v) {
        auto s = db.prepare(
            "INSERT INTO meta(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v");
        s->bind(1, k).bind(2, v);
        s->exec();
    }
    /// Append with the write lock held (inside or outside a transaction).
    void append_audit_rows(sql::Db& db, AuditEntry& e, std::uint64_t& index, Hash& head) {
        e.index = ++index;
        Bytes bytes = audit_entry_bytes(e);
        Hash h = blake2b(head, bytes);
        auto s = db.prepare("INSERT INTO audit(idx, entry, hash) VALUES(?,?,?)");
        s->bind(1, e.index)
            .bind(2, std::span<const std::uint8_t>(bytes))
            .bind(3, std::span<const std::uint8_t>(h));
        s->exec();
        head = h;
        write_meta(db, "audit_count", index);
        write_meta_blob(db, "audit_head", head);
    }

private:
    void append_audit_locked(AuditEntry& e) {
        std::uint64_t index;
        Hash head;
        {
            std::lock_guard lock(meta_mu_);
            index = audit_index_;
            head = audit_head_;
        }
        writer_->exec("SAVEPOINT audit");
        try {
            append_audit_rows(*writer_, e, index, head);
            writer_->exec("RELEASE audit");
        } catch (...) {
            sqlite3_exec(writer_->raw(), "ROLLBACK TO audit; RELEASE audit", nullptr, nullptr,
                         nullptr);
            throw;
        }
        std::lock_guard lock(meta_mu_);
        audit_index_ = index;
        audit_head_ = head;
    }

    void load_meta() {
        auto get = [&](const char* k) -> std::uint64_t {
            auto s = writer_->prepare("SELECT v FROM meta WHERE k=?");
            s->bind(1, std::string_view(k));
            return s->step() ? s->u64(0) : 0;
        };
        head_ = get("head");
        server_seq_ = get("server_seq");
        audit_index_ = get("audit_count");
        server_hlc_ = protocol::Hlc{get("server_hlc")};
        auto s = writer_->prepare("SELECT v FROM meta WHERE k='audit_head'");
        if (s->step()) {
            auto b = s->blob(0);
            if (b.size() == audit_head_.size())
                std::memcpy(audit_head_.data(), b.data(), audit_head_.size());
        }
        // The server's own device id: from a random identity made on first start.
        auto id = writer_->prepare("SELECT v FROM meta WHERE k='server_identity'");
        Bytes ident;
        if (id->step()) {
            auto b = id->blob(0);
            ident.assign(b.begin(), b.end());
        } else {
            ident = random_bytes(32);
            write_meta_blob(*writer_, "server_identity", ident);
        }
        server_device_ = device_id_from_key(ident);
    }

    static std::optional<DeviceRecord> read_device(sql::Db& db, DeviceId id) {
        auto s = db.prepare(
            "SELECT public_key,person,role,org,name,enrolled_ms,revoked,wipe,acked_seq FROM "
            "devices WHERE id=?");
        s->bind(1, id);
        if (!s->step()) return std::nullopt;
        DeviceRecord d;
        d.id = id;
        auto pk = s->blob(0);
        d.public_key.assign(pk.begin(), pk.end());
        d.person = s->text(1);
        d.role = s->text(2);
        d.org = s->text(3);
        d.name = s->text(4);
        d.enrolled_ms = s->u64(5);
        d.revoked = s->i64(6) != 0;
        d.wipe = s->i64(7) != 0;
        d.acked_seq = s->u64(8);
        return d;
    }

    static std::string filter_sql(const Principal& p) {
        std::string scope;
        for (std::size_t i = 0; i < p.scopes.size(); ++i) {
            if (!scope.empty()) scope += " OR ";
            if (p.scopes[i] == "/") {
                scope += "substr(r.org,1,1)='/'";
            } else {
                std::string n = ":s" + std::to_string(i);
                scope += "(r.org=" + n + " OR substr(r.org,1,length(" + n + ")+1)=" + n + "||'/')";
            }
        }
        if (scope.empty()) scope = "0";
        if (p.role == Role::Auditor) return "0";
        std::string own = "(r.owner=:person AND r.vis IN (1,2))";
        // Org-visible rows published at an ancestor of the principal's organisation (university
        // content, college notices) are read by everyone below it: see can_read_row().
        std::string published =
            "(r.vis=1 AND (r.org='/' OR r.org=:porg OR "
            "substr(:porg,1,length(r.org)+1)=r.org||'/'))";
        if (p.officer()) return "(" + own + " OR " + published + " OR " + scope + ")";
        return "(" + own + " OR " + published + " OR (r.vis=1 AND (" + scope + ")))";
    }
    static void bind_filter(sql::Stmt& s, const Principal& p) {
        for (std::size_t i = 0; i < p.scopes.size(); ++i) {
            std::string n = ":s" + std::to_string(i);
            if (int idx = s.param(n.c_str())) s.bind(idx, std::string_view(p.scopes[i]));
        }
        if (int idx = s.param(":person")) s.bind(idx, std::string_view(p.person));
        if (int idx = s.param(":porg")) s.bind(idx, std::string_view(p.org));
    }

    template <class F>
    std::invoke_result_t<F, sql::Db&> with_reader(F&& f) {
        std::unique_ptr<sql::Db> db;
        {
            std::unique_lock lock(readers_mu_);
            readers_cv_.wait(lock, [&] { return !readers_.empty(); });
            db = std::move(readers_.back());
            readers_.pop_back();
        }
        struct Return {
            SqliteStore* self;
            std::unique_ptr<sql::Db>& db;
            ~Return() {
                std::lock_guard lock(self->readers_mu_);
                self->readers_.push_back(std::move(db));
                self->readers_cv_.notify_one();
            }
        } ret{this, db};
        // One read transaction: a page and its rows come from one snapshot.
        db->exec("BEGIN");
        struct End {
            sql::Db& d;
            ~End() { sqlite3_exec(d.raw(), "COMMIT", nullptr, nullptr, nullptr); }
        } end{*db};
        return f(*db);
    }

    template <class T, class F>
    Result<T> guarded(F&& f) {
        try {
            return f();
        } catch (const sql::SqliteError& e) {
            int primary = e.rc & 0xff;
            return protocol::make_error(
                primary == SQLITE_FULL ? Errc::DiskFull : Errc::StorageFailure, e.what());
        } catch (const std::exception& e) {
            return protocol::make_error(Errc::StorageFailure, e.what());
        }
    }
    template <class F>
    Result<void> guarded_void(F&& f) {
        try {
            return f();
        } catch (const std::exception& e) {
            return protocol::make_error(Errc::StorageFailure, e.what());
        }
    }

    std::string path_;
    Shared shared_;
    std::mutex write_mu_;  // the writer connection and every write transaction
    std::unique_ptr<sql::Db> writer_;
    std::mutex readers_mu_;
    std::condition_variable readers_cv_;
    std::vector<std::unique_ptr<sql::Db>> readers_;
    std::mutex meta_mu_;
    std::uint64_t head_ = 0;
    std::uint64_t server_seq_ = 0;
    std::uint64_t audit_index_ = 0;
    Hash audit_head_{};
    protocol::Hlc server_hlc_{};
    DeviceId server_device_ = 0;
    std::uint64_t token_gc_ = 0;
};

// ---- SqliteTxn ----

SqliteTxn::SqliteTxn(SqliteStore& store, std::unique_lock<std::mutex> lock)
    : store_(store), db_(store.writer()), lock_(std::move(lock)) {
    store_.load_txn_state(head_, server_seq_, audit_index_, audit_head_, clock_);
    start_head_ = head_;
    db_.exec("BEGIN IMMEDIATE");
    open_ = true;
}

SqliteTxn::~SqliteTxn() {
    if (open_) sqlite3_exec(db_.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<void> SqliteTxn::commit() {
    try {
        flush_rows();
        store_.write_meta(db_, "head", head_);
        store_.write_meta(db_, "server_seq", server_seq_);
        store_.write_meta(db_, "server_hlc", clock_.last().raw);
        db_.exec("COMMIT");
        open_ = false;
        store_.save_txn_state(head_, server_seq_, audit_index_, audit_head_, clock_.last());
        return {};
    } catch (const sql::SqliteError& e) {
        return protocol::make_error(
            (e.rc & 0xff) == SQLITE_FULL ? Errc::DiskFull : Errc::StorageFailure, e.what());
    }
}

void SqliteTxn::note_row(std::string_view t, std::string_view r) {
    touched_.emplace(std::string(t), std::string(r));
}

DeviceId SqliteTxn::server_device_id() {
    return store_.server_device();
}

SqliteTxn::RowState& SqliteTxn::load_row(std::string_view t, std::string_view r) {
    RowKey key{std::string(t), std::string(r)};
    auto it = rows_.find(key);
    if (it != rows_.end()) return it->second;
    RowState st;
    auto s = db_.prepare("SELECT org, owner, vis, deleted, alive FROM rows WHERE tbl=? AND rid=?");
    s->bind(1, t).bind(2, r);
    if (s->step()) {
        st.stored = st.exists = true;
        st.info = RowInfo{s->text(0), s->text(1)};
        st.vis = static_cast<int>(s->i64(2));
        st.meta = merge::RowMeta{Hlc{s->u64(3)}, Hlc{s->u64(4)}};
    } else {
        const merge::TableDef* td =
            store_.shared().schema ? store_.shared().schema->table(t) : nullptr;
        st.vis = static_cast<int>(td ? td->visibility : merge::Visibility::Officers);
    }
    return rows_.emplace(std::move(key), std::move(st)).first->second;
}

void SqliteTxn::flush_rows() {
    for (auto& [key, st] : rows_) {
        if (!st.dirty) continue;
        auto s = db_.prepare(
            "INSERT INTO rows(tbl,rid,org,owner,vis,deleted,alive) VALUES(?,?,?,?,?,?,?) "
            "ON CONFLICT(tbl,rid) DO UPDATE SET org=excluded.org, owner=excluded.owner, "
            "deleted=excluded.deleted, alive=excluded.alive");
        s->bind(1, std::string_view(key.first))
            .bind(2, std::string_view(key.second))
            .bind(3, std::string_view(st.info.org))
            .bind(4, std::string_view(st.info.owner))
            .bind(5, st.vis)
            .bind(6, st.meta.deleted.raw)
            .bind(7, st.meta.alive.raw);
        s->exec();
        st.dirty = false;
    }
}

std::optional<RowInfo> SqliteTxn::row_info(std::string_view table, std::string_view row) {
    RowState& st = load_row(table, row);
    if (!st.exists) return std::nullopt;
    return st.info;
}

std::optional<DeviceRecord> SqliteTxn::device(DeviceId id) {
    auto s = db_.prepare(
        "SELECT person,role,org,revoked,wipe,acked_seq,public_key FROM devices WHERE id=?");
    s->bind(1, id);
    if (!s->step()) return std::nullopt;
    DeviceRecord d;
    d.id = id;
    d.person = s->text(0);
    d.role = s->text(1);
    d.org = s->text(2);
    d.revoked = s->i64(3) != 0;
    d.wipe = s->i64(4) != 0;
    d.acked_seq = s->u64(5);
    auto pk = s->blob(6);
    d.public_key.assign(pk.begin(), pk.end());
    return d;
}

std::optional<protocol::ChangeResult> SqliteTxn::logged(DeviceId origin, std::uint64_t seq) {
    auto s = db_.prepare("SELECT code, message FROM changelog WHERE origin=? AND seq=?");
    s->bind(1, origin).bind(2, seq);
    if (!s->step()) return std::nullopt;
    return protocol::ChangeResult{seq, static_cast<Errc>(s->i64(0)), s->text(1)};
}

void SqliteTxn::log_change(const Change& c, Errc code, const std::string& message) {
    auto s = db_.prepare(
        "INSERT OR IGNORE INTO changelog(origin,seq,code,message,tbl,rid,col,op,hlc,base,v,enc) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
    s->bind(1, c.origin)
        .bind(2, c.seq)
        .bind(3, static_cast<int>(code))
        .bind(4, message)
        .bind(5, c.table)
        .bind(6, c.row)
        .bind(7, c.column)
        .bind(8, static_cast<int>(c.op))
        .bind(9, c.hlc.raw)
        .bind(10, c.base.raw);
    store_.shared().bind_value(*s, 11, c.value, c.table, c.row, c.column);
    s->exec();
}

void SqliteTxn::set_acked(DeviceId device, std::uint64_t seq) {
    auto s = db_.prepare("UPDATE devices SET acked_seq=? WHERE id=? AND acked_seq<?");
    s->bind(1, seq).bind(2, device).bind(3, seq);
    s->exec();
}

void SqliteTxn::append_audit(AuditEntry e) {
    store_.append_audit_rows(db_, e, audit_index_, audit_head_);
}

std::vector<std::pair<RowInfo, merge::Visibility>> SqliteTxn::touched() const {
    std::vector<std::pair<RowInfo, merge::Visibility>> out;
    out.reserve(touched_.size());
    for (const auto& key : touched_) {
        auto it = rows_.find(key);
        if (it != rows_.end() && it->second.exists)
            out.emplace_back(it->second.info, static_cast<merge::Visibility>(it->second.vis));
    }
    return out;
}

void SqliteTxn::ensure_row(std::string_view t, std::string_view r) {
    RowState& st = load_row(t, r);
    if (st.exists) return;
    st.exists = true;
    st.dirty = true;
}

std::optional<merge::Cell> SqliteTxn::read_one(std::string_view t, std::string_view r,
                                               std::string_view c, int kind, std::int64_t k1,
                                               std::int64_t k2) {
    auto s = db_.prepare(
        "SELECT v,enc,hlc,origin,base FROM cells WHERE tbl=? AND rid=? AND col=? AND kind=? AND "
        "k1=? AND k2=?");
    s->bind(1, t).bind(2, r).bind(3, c).bind(4, kind).bind(5, k1).bind(6, k2);
    if (!s->step()) return std::nullopt;
    return merge::Cell{store_.shared().read_value(*s, 0, s->i64(1) != 0, t, r, c), Hlc{s->u64(2)},
                       s->u64(3), Hlc{s->u64(4)}};
}

void SqliteTxn::upsert(std::string_view t, std::string_view r, std::string_view c, int kind,
                       std::int64_t k1, std::int64_t k2, const merge::Cell& cell,
                       std::uint64_t seq) {
    ensure_row(t, r);
    note_row(t, r);
    if (kind == kCell && !load_row(t, r).stored)
        fresh_cells_[std::make_tuple(std::string(t), std::string(r), std::string(c))] = cell;
    auto s = db_.prepare(
        "INSERT INTO cells(tbl,rid,col,kind,k1,k2,v,enc,hlc,origin,base,oseq,seq) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(tbl,rid,col,kind,k1,k2) DO UPDATE SET "
        "v=excluded.v, enc=excluded.enc, hlc=excluded.hlc, origin=excluded.origin, "
        "base=excluded.base, oseq=excluded.oseq, seq=excluded.seq");
    s->bind(1, t).bind(2, r).bind(3, c).bind(4, kind).bind(5, k1).bind(6, k2);
    store_.shared().bind_value(*s, 7, cell.value, t, r, c);
    s->bind(9, cell.hlc.raw)
        .bind(10, cell.origin)
        .bind(11, cell.base.raw)
        .bind(12, current_ ? current_->seq : 0)
        .bind(13, seq);
    s->exec();
}

void SqliteTxn::restamp_row(std::string_view t, std::string_view r) {
    // A row created by this transaction has nothing a device could have pulled yet; cells this
    // transaction wrote are already above every cursor.
    if (!load_row(t, r).stored) return;
    std::vector<std::int64_t> ids;
    {
        auto s = db_.prepare(
            "SELECT rowid FROM cells WHERE tbl=? AND rid=? AND seq>0 AND seq<=? ORDER BY seq");
        s->bind(1, t).bind(2, r).bind(3, start_head_);
        while (s->step())
            ids.push_back(s->i64(0));
    }
    for (auto id : ids) {
        auto u = db_.prepare("UPDATE cells SET seq=? WHERE rowid=?");
        u->bind(1, ++head_).bind(2, id);
        u->exec();
    }
}

std::optional<merge::Cell> SqliteTxn::cell(std::string_view t, std::string_view r,
                                           std::string_view c) {
    if (!load_row(t, r).stored) {
        auto it =
            fresh_cells_.find(std::make_tuple(std::string(t), std::string(r), std::string(c)));
        if (it == fresh_cells_.end()) return std::nullopt;
        return it->second;
    }
    return read_one(t, r, c, kCell, 0, 0);
}

void SqliteTxn::put_cell(std::string_view t, std::string_view r, std::string_view c,
                         const merge::Cell& cell) {
    const merge::Schema* schema = store_.shared().schema;
    merge::Policy pol = schema ? schema->policy(t, c) : merge::Policy::Lww;
    // Counter and keep-both cells travel as their parts / versions; the shown cell is derived.
    bool pulled = pol != merge::Policy::Counter && pol != merge::Policy::KeepBoth;
    upsert(t, r, c, kCell, 0, 0, cell, pulled ? ++head_ : 0);
    const merge::TableDef* td = schema ? schema->table(t) : nullptr;
    if (!td) return;
    bool is_org = c == td->org_column;
    bool is_owner = !td->owner_column.empty() && c == td->owner_column;
    if (!is_org && !is_owner) return;
    std::string text = cell.value.index() == 3 ? std::get<3>(cell.value) : std::string();
    RowState& st = load_row(t, r);
    std::string& field = is_org ? st.info.org : st.info.owner;
    if (field == text) return;
    field = std::move(text);
    st.dirty = true;
    restamp_row(t, r);
}

merge::RowMeta SqliteTxn::row(std::string_view t, std::string_view r) {
    return load_row(t, r).meta;
}

void SqliteTxn::put_row(std::string_view t, std::string_view r, const merge::RowMeta& m) {
    ensure_row(t, r);
    RowState& st = load_row(t, r);
    st.meta = m;
    st.dirty = true;
    if (current_ && (current_->op == Op::Delete || current_->op == Op::Restore)) {
        merge::Cell mark{Value{}, current_->hlc, current_->origin, Hlc{}};
        upsert(t, r, "", current_->op == Op::Delete ? kDeleteMark : kRestoreMark, 0, 0, mark,
               ++head_);
    }
}

std::optional<merge::Cell> SqliteTxn::counter_part(std::string_view t, std::string_view r,
                                                   std::string_view c, DeviceId origin) {
    return read_one(t, r, c, kPart, s64(origin), 0);
}

void SqliteTxn::put_counter_part(std::string_view t, std::string_view r, std::string_view c,
                                 const merge::Cell& part) {
    upsert(t, r, c, kPart, s64(part.origin), 0, part, ++head_);
}

std::int64_t SqliteTxn::counter_sum(std::string_view t, std::string_view r, std::string_view c) {
    auto s = db_.prepare("SELECT v, enc FROM cells WHERE tbl=? AND rid=? AND col=? AND kind=1");
    s->bind(1, t).bind(2, r).bind(3, c);
    std::uint64_t sum = 0;  // wrapping, like two's complement addition
    while (s->step()) {
        Value v = store_.shared().read_value(*s, 0, s->i64(1) != 0, t, r, c);
        if (v.index() == 1) sum += static_cast<std::uint64_t>(std::get<1>(v));
    }
    return static_cast<std::int64_t>(sum);
}

std::vector<merge::Cell> SqliteTxn::versions(std::string_view t, std::string_view r,
                                             std::string_view c) {
    auto s = db_.prepare(
        "SELECT v,enc,hlc,origin,base FROM cells WHERE tbl=? AND rid=? AND col=? AND kind=2");
    s->bind(1, t).bind(2, r).bind(3, c);
    std::vector<merge::Cell> out;
    while (s->step())
        out.push_back(merge::Cell{store_.shared().read_value(*s, 0, s->i64(1) != 0, t, r, c),
                                  Hlc{s->u64(2)}, s->u64(3), Hlc{s->u64(4)}});
    return out;
}

void SqliteTxn::add_version(std::string_view t, std::string_view r, std::string_view c,
                            const merge::Cell& v) {
    upsert(t, r, c, kVersion, s64(v.hlc.raw), s64(v.origin), v, ++head_);
}

}  // namespace

Bytes audit_entry_bytes(const AuditEntry& e) {
    Bytes b;
    auto u64 = [&](std::uint64_t x) {
        for (int i = 0; i < 8; ++i)
            b.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
    };
    auto blob = [&](std::span<const std::uint8_t> x) {
        u64(x.size());
        b.insert(b.end(), x.begin(), x.end());
    };
    u64(e.index);
    u64(e.time_ms);
    b.push_back(e.kind);
    u64(e.device);
    u64(e.batch);
    u64(e.first_seq);
    u64(e.last_seq);
    u64(e.accepted);
    u64(e.rejected);
    blob(e.payload_hash);
    blob(e.signature);
    blob(std::span(reinterpret_cast<const std::uint8_t*>(e.note.data()), e.note.size()));
    return b;
}

Hash audit_chain_hash(const Hash& prev, const AuditEntry& e) {
    return blake2b(prev, audit_entry_bytes(e));
}

namespace detail {

// Maintenance hooks (declared in sqlite_maintenance.hpp, used by sqlite_maintenance*.cpp).
void with_sqlite_writer(ServerStore& store, const std::function<void(sql::Db&)>& f) {
    auto* s = dynamic_cast<SqliteStore*>(&store);
    if (!s) throw std::logic_error("maintenance needs the SQLite store");
    std::lock_guard lock(s->write_mu());
    f(s->writer());
}

void with_sqlite_reader(ServerStore& store, const std::function<void(sql::Db&)>& f) {
    auto* s = dynamic_cast<SqliteStore*>(&store);
    if (!s) throw std::logic_error("maintenance needs the SQLite store");
    s->maintenance_read(f);
}

sql::Db& sqlite_txn_db(StoreTxn& txn) {
    auto* t = dynamic_cast<SqliteTxn*>(&txn);
    if (!t) throw std::logic_error("maintenance needs the SQLite store");
    return t->db();
}

}  // namespace detail

std::unique_ptr<ServerStore> open_sqlite_store(const SqliteOptions& o) {
    try {
        return std::make_unique<SqliteStore>(o);
    } catch (const sql::SqliteError& e) {
        throw std::runtime_error(e.what());
    }
}

}  // namespace zb::server
