// SPDX-License-Identifier: Apache-2.0
// EncryptedDb and the key-lifecycle operations built on it: passphrase open/unlock/change,
// the crash-safe DEK rotation (pending slot + VACUUM INTO + rename + promote) and wipe.
// All SQLite results are mapped to typed errors here; the VFS underneath speaks SQLITE_* codes.

#include "zb/crypto/encrypted_db.hpp"

#include "file_util.hpp"

#include "zb/crypto/key_record.hpp"
#include "zb/crypto/page_cipher.hpp"

#include <sqlite3.h>

#include <array>
#include <cstring>
#include <fstream>

namespace zb::crypto {

namespace {

Error sqlite_error(sqlite3* db, int rc, const std::string& what) {
    const int ext = db != nullptr ? sqlite3_extended_errcode(db) : rc;
    const int code = (ext & 0xff) == (rc & 0xff) ? ext : rc;
    std::string msg = what + ": ";
    msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return make_error(errc_from_sqlite(code), msg, code);
}

std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

bool read_header(const std::string& path, std::array<unsigned char, 100>& hdr) {
    std::ifstream in(path, std::ios::binary);
    return static_cast<bool>(in.read(reinterpret_cast<char*>(hdr.data()), 100));
}

std::size_t header_page_size(const std::array<unsigned char, 100>& hdr) {
    std::size_t v = (std::size_t{hdr[16]} << 8) | hdr[17];
    if (v == 1) v = 65536;
    if (v < kMinPageSize || v > kMaxPageSize || (v & (v - 1)) != 0) return 0;
    return v;
}

// Checks the plaintext header before SQLite sees the file: refuse plaintext, detect truncation.
Result<void> precheck(const std::string& path) {
    const std::int64_t size = detail::file_size(path);
    if (size <= 0) return {};
    std::array<unsigned char, 100> hdr{};
    if (size < 100 || !read_header(path, hdr)) {
        return make_error(Errc::Truncated, path + " is shorter than a database header");
    }
    if (std::memcmp(hdr.data(), "SQLite format 3", 16) != 0) {
        return make_error(Errc::NotEncrypted, path + " is not a zb-seal database");
    }
    if (hdr[20] != kReserveBytes) {
        return make_error(Errc::NotEncrypted,
                          path + " has reserve " + std::to_string(hdr[20]) + ", not 40: refused");
    }
    const std::size_t pgsz = header_page_size(hdr);
    if (pgsz == 0) return make_error(Errc::Corrupt, path + " has an invalid page size");
    const auto usize = static_cast<std::uint64_t>(size);
    if (usize % pgsz != 0 || usize < pgsz) {
        return make_error(Errc::Truncated, path + " is not a whole number of pages");
    }
    // With no WAL and no journal the in-header page count (bytes 28..31, clear) is exact.
    if (detail::file_size(path + "-wal") <= 0 && detail::file_size(path + "-journal") <= 0) {
        const std::uint64_t pages = be32(hdr.data() + 28);
        if (pages * pgsz > usize) {
            return make_error(Errc::Truncated, path + " is missing pages (header says " +
                                                   std::to_string(pages) + ")");
        }
    }
    return {};
}

Result<void> exec_on(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return sqlite_error(db, rc, sql);
    return {};
}

Result<std::string> query_text(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db, rc, sql);
    std::string out;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char* t = sqlite3_column_text(st, 0);
        out = t != nullptr ? reinterpret_cast<const char*>(t) : "";
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    Result<std::string> res =
        rc == SQLITE_OK ? Result<std::string>(out) : Result<std::string>(sqlite_error(db, rc, sql));
    sqlite3_finalize(st);
    return res;
}

std::string rekey_tmp_path(const std::string& db_path) {
    return db_path + ".rekey";
}

void remove_quietly(const std::string& path) {
    std::remove(path.c_str());
}

void remove_rekey_leftovers(const std::string& db_path) {
    const std::string tmp = rekey_tmp_path(db_path);
    for (const char* sfx : {"", "-wal", "-shm", "-journal"})
        remove_quietly(tmp + sfx);
}

}  // namespace

// ---- EncryptedDb ---------------------------------------------------------------------------

Result<EncryptedDb> EncryptedDb::open(const std::string& path, const SecretKey& dek,
                                      const OpenOptions& opts) {
    if (register_seal_vfs() == nullptr) return make_error(Errc::Internal, "no default VFS");
    auto pre = precheck(path);
    if (!pre) return pre.error();
    auto binding = KeyBinding::bind(path, dek);
    if (!binding) return binding.error();

    const bool is_new = detail::file_size(path) <= 0 && detail::file_size(path + "-wal") <= 0;
    // Default threading mode (no NOMUTEX): the handle may move between threads between calls.
    int flags = 0;
    flags |= opts.read_only ? SQLITE_OPEN_READONLY
                            : (SQLITE_OPEN_READWRITE | (opts.create ? SQLITE_OPEN_CREATE : 0));
    EncryptedDb out;
    out.path_ = path;
    out.binding_ = std::move(binding.value());
    int rc = sqlite3_open_v2(path.c_str(), &out.db_, flags, kVfsName);
    if (rc != SQLITE_OK) {
        Error e = sqlite_error(out.db_, rc, "open " + path);
        if (rc == SQLITE_NOTADB) e.code = Errc::WrongKey;
        return e;
    }
    sqlite3_extended_result_codes(out.db_, 1);
    sqlite3_busy_timeout(out.db_, opts.busy_timeout_ms);
    if (is_new && !opts.read_only) {
        int reserve = static_cast<int>(kReserveBytes);
        sqlite3_file_control(out.db_, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
        auto r = exec_on(out.db_, "PRAGMA page_size=" + std::to_string(kDefaultPageSize));
        if (!r) return r.error();
    }
    for (const char* p : {"PRAGMA temp_store=MEMORY", "PRAGMA mmap_size=0"}) {
        auto r = exec_on(out.db_, p);
        if (!r) return r.error();
    }
    // Reading the schema authenticates page 1 through SQLite (the VFS already did at xOpen).
    auto schema = query_text(out.db_, "SELECT count(*) FROM sqlite_schema");
    if (!schema) return schema.error();
    if (!opts.read_only) {
        const bool wal = opts.journal == JournalMode::Wal;
        auto mode =
            query_text(out.db_, wal ? "PRAGMA journal_mode=WAL" : "PRAGMA journal_mode=DELETE");
        if (!mode) return mode.error();
        if (mode.value() != (wal ? "wal" : "delete")) {
            return make_error(Errc::Sqlite, "journal_mode is " + mode.value());
        }
        auto s = exec_on(out.db_, wal ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
        if (!s) return s.error();
    }
    int reserve = -1;
    sqlite3_file_control(out.db_, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
    if (reserve != static_cast<int>(kReserveBytes) && !(is_new && opts.read_only)) {
        return make_error(Errc::NotEncrypted, "reserve is " + std::to_string(reserve));
    }
    return out;
}

EncryptedDb::~EncryptedDb() {
    (void)close();
}

EncryptedDb::EncryptedDb(EncryptedDb&& other) noexcept
    : db_(other.db_), path_(std::move(other.path_)), binding_(std::move(other.binding_)) {
    other.db_ = nullptr;
}

EncryptedDb& EncryptedDb::operator=(EncryptedDb&& other) noexcept {
    if (this != &other) {
        (void)close();
        db_ = other.db_;
        path_ = std::move(other.path_);
        binding_ = std::move(other.binding_);
        other.db_ = nullptr;
    }
    return *this;
}

Result<void> EncryptedDb::exec(std::string_view sql) {
    if (db_ == nullptr) return make_error(Errc::InvalidArgument, "connection is closed");
    return exec_on(db_, std::string(sql));
}

Result<void> EncryptedDb::close() {
    Result<void> res;
    if (db_ != nullptr) {
        const int rc = sqlite3_close_v2(db_);
        if (rc != SQLITE_OK) res = sqlite_error(nullptr, rc, "close");
        db_ = nullptr;
    }
    binding_.reset();
    return res;
}

// ---- helpers -------------------------------------------------------------------------------

bool is_encrypted_file(const std::string& path) {
    std::array<unsigned char, 100> hdr{};
    if (!read_header(path, hdr)) return false;
    if (std::memcmp(hdr.data(), "SQLite format 3", 16) != 0 || hdr[20] != kReserveBytes) {
        return false;
    }
    const std::size_t pgsz = header_page_size(hdr);
    const std::int64_t size = detail::file_size(path);
    return pgsz != 0 && size >= static_cast<std::int64_t>(pgsz);
}

std::string key_record_path(const std::string& db_path) {
    return db_path + ".zbkey";
}

Result<void> create_key_record(const std::string& db_path, const SecretKey& dek,
                               std::string_view passphrase) {
    const std::string rp = key_record_path(db_path);
    if (detail::file_exists(rp)) return make_error(Errc::InvalidArgument, rp + " exists");
    KeyRecord rec;
    auto kek = derive_new_kek(passphrase, rec.current);
    if (!kek) return kek.error();
    auto w = wrap_dek(kek.value(), dek, rec.current);
    if (!w) return w;
    return store_key_record(rp, rec);
}

Result<SecretKey> unlock_key_record(const std::string& db_path, std::string_view passphrase) {
    auto rec = load_key_record(key_record_path(db_path));
    if (!rec) return rec.error();
    auto kek = derive_kek(passphrase, rec->current);
    if (!kek) return kek.error();
    return unwrap_dek(kek.value(), rec->current);
}

namespace {

// Finishes or undoes an interrupted rotation. Returns the open connection when asked to.
Result<EncryptedDb> resolve_pending(const std::string& db_path, KeyRecord& rec,
                                    const SecretKey& kek, const SecretKey& current,
                                    const OpenOptions& opts) {
    const std::string rp = key_record_path(db_path);
    OpenOptions no_create = opts;
    no_create.create = false;
    auto old_db = EncryptedDb::open(db_path, current, no_create);
    if (old_db) {
        // The rename never happened: the old file under the old key is authoritative.
        remove_rekey_leftovers(db_path);
        rec.pending.reset();
        auto s = store_key_record(rp, rec);
        if (!s) return s.error();
        return old_db;
    }
    if (old_db.error().code != Errc::WrongKey) return old_db.error();
    auto next = unwrap_dek(kek, *rec.pending);
    if (!next) return next.error();
    auto new_db = EncryptedDb::open(db_path, next.value(), no_create);
    if (!new_db) return new_db.error();
    rec.current = *rec.pending;
    rec.pending.reset();
    auto s = store_key_record(rp, rec);
    if (!s) return s.error();
    return new_db;
}

}  // namespace

Result<EncryptedDb> open_with_passphrase(const std::string& db_path, std::string_view passphrase,
                                         const OpenOptions& opts) {
    const std::string rp = key_record_path(db_path);
    if (!detail::file_exists(rp)) {
        if (!opts.create || detail::file_exists(db_path) || detail::file_exists(db_path + "-wal")) {
            return make_error(Errc::BadKeyRecord, "no key record for " + db_path);
        }
        const SecretKey dek = SecretKey::generate();
        auto c = create_key_record(db_path, dek, passphrase);
        if (!c) return c.error();
        return EncryptedDb::open(db_path, dek, opts);
    }
    auto rec = load_key_record(rp);
    if (!rec) return rec.error();
    auto kek = derive_kek(passphrase, rec->current);
    if (!kek) return kek.error();
    auto dek = unwrap_dek(kek.value(), rec->current);
    if (!dek) return dek.error();
    if (!rec->pending) return EncryptedDb::open(db_path, dek.value(), opts);
    return resolve_pending(db_path, rec.value(), kek.value(), dek.value(), opts);
}

Result<void> change_passphrase(const std::string& db_path, std::string_view old_passphrase,
                               std::string_view new_passphrase) {
    const std::string rp = key_record_path(db_path);
    auto rec = load_key_record(rp);
    if (!rec) return rec.error();
    if (rec->pending) {
        return make_error(Errc::Busy, "a key rotation is pending; open the database first");
    }
    auto old_kek = derive_kek(old_passphrase, rec->current);
    if (!old_kek) return old_kek.error();
    auto dek = unwrap_dek(old_kek.value(), rec->current);
    if (!dek) return dek.error();
    KeyRecord next;
    auto kek = derive_new_kek(new_passphrase, next.current);
    if (!kek) return kek.error();
    auto w = wrap_dek(kek.value(), dek.value(), next.current);
    if (!w) return w;
    return store_key_record(rp, next);
}

Result<void> rekey_file(const std::string& db_path, const SecretKey& old_dek,
                        const SecretKey& new_dek, const RekeyHook& hook) {
    if (old_dek.equals(new_dek)) return make_error(Errc::InvalidArgument, "same key");
    if (!detail::file_exists(db_path)) return make_error(Errc::Io, db_path + " does not exist");
    if (key_binding_count(db_path) > 0) {
        return make_error(Errc::Busy, "close every connection to " + db_path + " first");
    }
    const auto step = [&](RekeyStep s) {
        if (hook) hook(s);
    };
    const std::string tmp = rekey_tmp_path(db_path);
    remove_rekey_leftovers(db_path);
    {
        auto src = EncryptedDb::open(db_path, old_dek, OpenOptions{.create = false});
        if (!src) return src.error();
        auto target = KeyBinding::bind(tmp, new_dek);
        if (!target) return target.error();
        char* sql = sqlite3_mprintf("VACUUM INTO %Q", tmp.c_str());
        if (sql == nullptr) return make_error(Errc::Internal, "out of memory");
        auto v = exec_on(src->handle(), sql);
        sqlite3_free(sql);
        if (!v) {
            remove_rekey_leftovers(db_path);
            return v;
        }
        step(RekeyStep::CopyWritten);
        {
            // Verify the copy under the new key before anything irreversible.
            auto copy = EncryptedDb::open(tmp, new_dek, OpenOptions{.create = false});
            if (!copy) return copy.error();
            auto qc = query_text(copy->handle(), "PRAGMA quick_check");
            if (!qc) return qc.error();
            if (qc.value() != "ok") return make_error(Errc::Corrupt, "copy: " + qc.value());
            auto c = copy->close();
            if (!c) return c;
        }
        for (const auto& r : {detail::fsync_file(tmp), detail::fsync_parent_dir(tmp)}) {
            if (!r) return r;
        }
        step(RekeyStep::CopySynced);
        auto ck = exec_on(src->handle(), "PRAGMA wal_checkpoint(TRUNCATE)");
        if (!ck) return ck;
        auto c = src->close();
        if (!c) return c;
    }
    // No connection is open: a leftover -wal/-shm must not be paired with the new file.
    if (detail::file_size(db_path + "-wal") > 0) {
        return make_error(Errc::Busy, db_path + "-wal was not checkpointed away");
    }
    remove_quietly(db_path + "-wal");
    remove_quietly(db_path + "-shm");
    remove_quietly(tmp + "-wal");
    remove_quietly(tmp + "-shm");
    step(RekeyStep::Quiesced);
    auto rn = detail::rename_durable(tmp, db_path);
    if (!rn) return rn;
    step(RekeyStep::Renamed);
    return {};
}

Result<void> rekey(const std::string& db_path, std::string_view passphrase, const RekeyHook& hook) {
    const std::string rp = key_record_path(db_path);
    auto rec = load_key_record(rp);
    if (!rec) return rec.error();
    if (rec->pending) {
        return make_error(Errc::Busy, "a key rotation is pending; open the database first");
    }
    auto kek = derive_kek(passphrase, rec->current);
    if (!kek) return kek.error();
    auto old_dek = unwrap_dek(kek.value(), rec->current);
    if (!old_dek) return old_dek.error();
    if (key_binding_count(db_path) > 0) {
        return make_error(Errc::Busy, "close every connection to " + db_path + " first");
    }
    const SecretKey new_dek = SecretKey::generate();
    PassphraseSlot pending = rec->current;  // same KEK (same salt and limits), fresh nonce
    auto w = wrap_dek(kek.value(), new_dek, pending);
    if (!w) return w;
    rec->pending = pending;
    auto s = store_key_record(rp, rec.value());
    if (!s) return s;
    if (hook) hook(RekeyStep::PendingWritten);
    auto r = rekey_file(db_path, old_dek.value(), new_dek, hook);
    if (!r) {
        // Settle the record now (old or new file, whichever opens) so the caller sees one state.
        auto settled = resolve_pending(db_path, rec.value(), kek.value(), old_dek.value(), {});
        (void)settled;
        return r;
    }
    rec->current = pending;
    rec->pending.reset();
    s = store_key_record(rp, rec.value());
    if (!s) return s;
    if (hook) hook(RekeyStep::Promoted);
    return {};
}

Result<void> wipe(const std::string& db_path) {
    if (key_binding_count(db_path) > 0) {
        return make_error(Errc::Busy, "close every connection to " + db_path + " first");
    }
    const std::string rp = key_record_path(db_path);
    const std::string tmp = rekey_tmp_path(db_path);
    // Key material first: once it is gone the rest is unreadable even if a later step fails.
    for (const std::string& p :
         {rp, rp + ".tmp", db_path, db_path + "-wal", db_path + "-journal", db_path + "-shm", tmp,
          tmp + "-wal", tmp + "-journal", tmp + "-shm"}) {
        auto r = detail::overwrite_and_unlink(p);
        if (!r) return r;
    }
    return detail::fsync_parent_dir(db_path);
}

}  // namespace zb::crypto
