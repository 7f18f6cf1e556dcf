// SPDX-License-Identifier: Apache-2.0
// Encrypted online backup and restore of the server store (see backup.hpp for the file layout).
// The key is a crypto_kdf subkey of the master key (id 1, context "zbbackup"), so a backup file
// never shares a key with the at-rest sealing of sensitive cells (encryption-anchors.md: one key,
// one purpose). The plaintext copy exists only as a 0600 temp file for the few seconds between
// the SQLite backup and its encryption.
#include "zb/server/backup.hpp"

#include "sqlite.hpp"
#include "sqlite_maintenance.hpp"

#include "zb/server/maintenance.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace zb::server {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'Z', 'B', 'B', 'A', 'C', 'K', 'U', 'P'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::uint32_t kMaxHeader = 64 * 1024;
constexpr std::uint64_t kKdfId = 1;
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "zbbackup";

using Key = std::array<std::uint8_t, crypto_secretstream_xchacha20poly1305_KEYBYTES>;

struct KeyGuard {
    Key k{};
    ~KeyGuard() { sodium_memzero(k.data(), k.size()); }
};

void derive_key(const SecretKey& master, KeyGuard& out) {
    auto mk = master.bytes();
    if (mk.size() != crypto_kdf_KEYBYTES) throw std::runtime_error("backup: bad master key size");
    if (crypto_kdf_derive_from_key(out.k.data(), out.k.size(), kKdfId, kKdfContext, mk.data()) != 0)
        throw std::runtime_error("backup: key derivation failed");
}

void put_u32(Bytes& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint32_t get_u32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

/// A file descriptor closed on scope exit.
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

void write_all(int fd, const std::uint8_t* p, std::size_t n, const std::string& what) {
    while (n) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(what + ": write failed: " + std::strerror(errno));
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

void fsync_dir(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)::fsync(fd);
        ::close(fd);
    }
}

std::string utc_stamp(std::uint64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s%03uZ", buf, static_cast<unsigned>(ms % 1000));
    return out;
}

std::string safe_name(const std::string& s) {
    std::string o;
    for (char c : s)
        o.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_');
    return o.empty() ? "zhibu" : o;
}

std::string random_suffix() {
    return hex(random_bytes(6));
}

/// Copy the live database into `dest` with the online backup API (one step: a consistent
/// snapshot; in WAL mode writers keep going meanwhile).
void sqlite_copy(const std::string& src_path, const std::string& dest_path) {
    sqlite3* src = nullptr;
    sqlite3* dst = nullptr;
    struct Close {
        sqlite3*& a;
        sqlite3*& b;
        ~Close() {
            sqlite3_close_v2(a);
            sqlite3_close_v2(b);
        }
    } close{src, dst};
    if (sqlite3_open_v2(src_path.c_str(), &src, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
        throw std::runtime_error("backup: cannot open " + src_path + ": " + sqlite3_errmsg(src));
    sqlite3_busy_timeout(src, 10000);
    if (sqlite3_open_v2(dest_path.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK)
        throw std::runtime_error("backup: cannot create " + dest_path);
    sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) throw std::runtime_error(std::string("backup: ") + sqlite3_errmsg(dst));
    int rc;
    do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        throw std::runtime_error(std::string("backup: copy failed: ") + sqlite3_errstr(rc));
    // The copy keeps the source's WAL flag; a backup is one self-contained file.
    sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
}

Bytes header_bytes(const nlohmann::json& h) {
    std::string text = h.dump();
    Bytes b(kMagic, kMagic + 8);
    put_u32(b, kVersion);
    put_u32(b, static_cast<std::uint32_t>(text.size()));
    b.insert(b.end(), text.begin(), text.end());
    return b;
}

BackupInfo info_from_json(const nlohmann::json& h, const std::string& path) {
    try {
        BackupInfo i;
        i.path = path;
        i.created_ms = h.at("created_ms").get<std::uint64_t>();
        i.server_id = h.at("server_id").get<std::string>();
        i.server_device = h.at("server_device").get<std::uint64_t>();
        i.head = h.at("head").get<std::uint64_t>();
        i.db_bytes = h.at("db_bytes").get<std::uint64_t>();
        return i;
    } catch (const nlohmann::json::exception& e) {
        throw BackupError("backup " + path + ": bad header: " + e.what());
    }
}

/// Reads the plaintext header; leaves `in` at the secretstream header.
BackupInfo read_header(std::ifstream& in, const std::string& path, Bytes& header_ad) {
    std::uint8_t fixed[16];
    if (!in.read(reinterpret_cast<char*>(fixed), 16))
        throw BackupError("backup " + path + ": truncated header");
    if (std::memcmp(fixed, kMagic, 8) != 0)
        throw BackupError("backup " + path + ": not a Zhibu backup (bad magic)");
    if (get_u32(fixed + 8) != kVersion)
        throw BackupError("backup " + path + ": unsupported version " +
                          std::to_string(get_u32(fixed + 8)));
    std::uint32_t len = get_u32(fixed + 12);
    if (len > kMaxHeader) throw BackupError("backup " + path + ": header too large");
    std::string text(len, '\0');
    if (!in.read(text.data(), len)) throw BackupError("backup " + path + ": truncated header");
    nlohmann::json h;
    try {
        h = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw BackupError("backup " + path + ": header is not JSON");
    }
    header_ad.assign(fixed, fixed + 16);
    header_ad.insert(header_ad.end(), text.begin(), text.end());
    return info_from_json(h, path);
}

}  // namespace

BackupInfo write_backup(const std::string& db_path, const std::string& dir,
                        const SecretKey& master_key, const std::string& server_id,
                        DeviceId server_device, std::uint64_t head, std::uint64_t now_ms) {
    crypto_init();
    fs::create_directories(dir);
    const fs::path plain = fs::path(dir) / (".plain-" + random_suffix() + ".db");
    const fs::path tmp = fs::path(dir) / (".partial-" + random_suffix() + ".zbk");
    struct Cleanup {
        fs::path a, b;
        ~Cleanup() {
            std::error_code ec;
            fs::remove(a, ec);
            fs::remove(fs::path(a.string() + "-journal"), ec);
            fs::remove(b, ec);
        }
    } cleanup{plain, tmp};
    {
        // Created 0600 before SQLite opens it: the plaintext copy is never world-readable.
        Fd f(::open(plain.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600));
        if (f.fd < 0) throw std::runtime_error("backup: cannot create " + plain.string());
    }
    sqlite_copy(db_path, plain.string());

    BackupInfo info;
    info.created_ms = now_ms;
    info.server_id = server_id;
    info.server_device = server_device;
    info.head = head;
    info.db_bytes = fs::file_size(plain);
    nlohmann::json h = {{"created_ms", now_ms},
                        {"server_id", server_id},
                        {"server_device", server_device},
                        {"head", head},
                        {"db_bytes", info.db_bytes}};
    Bytes hb = header_bytes(h);

    KeyGuard key;
    derive_key(master_key, key);
    crypto_secretstream_xchacha20poly1305_state st;
    std::array<std::uint8_t, crypto_secretstream_xchacha20poly1305_HEADERBYTES> sh{};
    crypto_secretstream_xchacha20poly1305_init_push(&st, sh.data(), key.k.data());

    Fd out(::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600));
    if (out.fd < 0) throw std::runtime_error("backup: cannot create " + tmp.string());
    write_all(out.fd, hb.data(), hb.size(), "backup");
    write_all(out.fd, sh.data(), sh.size(), "backup");

    std::ifstream in(plain, std::ios::binary);
    if (!in) throw std::runtime_error("backup: cannot read the copy");
    std::vector<std::uint8_t> buf(kChunk);
    Bytes ct(kChunk + crypto_secretstream_xchacha20poly1305_ABYTES);
    std::uint64_t left = info.db_bytes;
    bool first = true;
    do {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, kChunk));
        if (n && !in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(n)))
            throw std::runtime_error("backup: short read of the copy");
        left -= n;
        const std::uint8_t tag = left == 0 ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
        unsigned long long clen = 0;
        crypto_secretstream_xchacha20poly1305_push(&st, ct.data(), &clen, buf.data(), n,
                                                   first ? hb.data() : nullptr,
                                                   first ? hb.size() : 0, tag);
        first = false;
        Bytes len;
        put_u32(len, static_cast<std::uint32_t>(clen));
        write_all(out.fd, len.data(), len.size(), "backup");
        write_all(out.fd, ct.data(), static_cast<std::size_t>(clen), "backup");
    } while (left > 0);
    sodium_memzero(buf.data(), buf.size());
    if (::fsync(out.fd) != 0) throw std::runtime_error("backup: fsync failed");

    const fs::path final_path =
        fs::path(dir) / ("zhibu-" + safe_name(server_id) + "-" + utc_stamp(now_ms) + "-" +
                         hex(random_bytes(2)) + ".zbk");
    fs::rename(tmp, final_path);
    fsync_dir(dir);
    info.path = final_path.string();
    info.file_bytes = fs::file_size(final_path);
    return info;
}

BackupInfo read_backup_header(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read backup " + path);
    Bytes ad;
    BackupInfo i = read_header(in, path, ad);
    i.file_bytes = fs::file_size(path);
    return i;
}

std::vector<std::string> list_backups(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (e.is_regular_file() && name.rfind("zhibu-", 0) == 0 && e.path().extension() == ".zbk")
            out.push_back(e.path().string());
    }
    // Names end in a sortable UTC stamp; one server writes one server_id.
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> prune_backups(const std::string& dir, unsigned keep) {
    std::vector<std::string> all = list_backups(dir);
    std::vector<std::string> removed;
    if (keep == 0) keep = 1;  // never delete the last good backup
    while (all.size() > keep) {
        fs::remove(all.front());
        removed.push_back(all.front());
        all.erase(all.begin());
    }
    if (!removed.empty()) fsync_dir(dir);
    return removed;
}

BackupInfo decrypt_backup(const std::string& backup, const SecretKey& master_key,
                          const std::string& out_db) {
    crypto_init();
    std::ifstream in(backup, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read backup " + backup);
    Bytes ad;
    BackupInfo info = read_header(in, backup, ad);
    info.file_bytes = fs::file_size(backup);

    KeyGuard key;
    derive_key(master_key, key);
    std::array<std::uint8_t, crypto_secretstream_xchacha20poly1305_HEADERBYTES> sh{};
    if (!in.read(reinterpret_cast<char*>(sh.data()), static_cast<std::streamsize>(sh.size())))
        throw BackupError("backup " + backup + ": truncated");
    crypto_secretstream_xchacha20poly1305_state st;
    if (crypto_secretstream_xchacha20poly1305_init_pull(&st, sh.data(), key.k.data()) != 0)
        throw BackupError("backup " + backup + ": bad stream header");

    struct Remove {
        const std::string& p;
        bool keep = false;
        ~Remove() {
            if (!keep) {
                std::error_code ec;
                fs::remove(p, ec);
            }
        }
    } remove_on_failure{out_db};
    Fd out(::open(out_db.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600));
    if (out.fd < 0) throw std::runtime_error("restore: cannot create " + out_db);
    Bytes ct;
    std::vector<std::uint8_t> pt(kChunk);
    std::uint64_t total = 0;
    bool first = true, final_seen = false;
    for (;;) {
        std::uint8_t lenb[4];
        if (!in.read(reinterpret_cast<char*>(lenb), 4)) break;
        const std::uint32_t clen = get_u32(lenb);
        if (final_seen) throw BackupError("backup " + backup + ": data after the final chunk");
        if (clen < crypto_secretstream_xchacha20poly1305_ABYTES ||
            clen > kChunk + crypto_secretstream_xchacha20poly1305_ABYTES)
            throw BackupError("backup " + backup + ": bad chunk length");
        ct.resize(clen);
        if (!in.read(reinterpret_cast<char*>(ct.data()), clen))
            throw BackupError("backup " + backup + ": truncated");
        unsigned long long plen = 0;
        unsigned char tag = 0;
        if (crypto_secretstream_xchacha20poly1305_pull(&st, pt.data(), &plen, &tag, ct.data(), clen,
                                                       first ? ad.data() : nullptr,
                                                       first ? ad.size() : 0) != 0)
            throw BackupError("backup " + backup +
                              ": authentication failed (wrong master key, or the file was "
                              "altered)");
        first = false;
        write_all(out.fd, pt.data(), static_cast<std::size_t>(plen), "restore");
        total += plen;
        if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) final_seen = true;
    }
    sodium_memzero(pt.data(), pt.size());
    if (!final_seen) throw BackupError("backup " + backup + ": truncated (no final chunk)");
    if (total != info.db_bytes)
        throw BackupError("backup " + backup + ": size does not match its header");
    if (::fsync(out.fd) != 0) throw std::runtime_error("restore: fsync failed");
    remove_on_failure.keep = true;
    return info;
}

RestoreReport restore_backup(const std::string& backup, const std::string& db_path,
                             const SecretKey& master_key, std::uint64_t now_ms) {
    RestoreReport rep;
    const fs::path target(db_path);
    fs::create_directories(target.parent_path());
    const std::string tmp =
        (target.parent_path() / (".restore-" + random_suffix() + ".db")).string();
    struct Cleanup {
        std::string p;
        bool keep = false;
        ~Cleanup() {
            if (keep) return;
            std::error_code ec;
            for (const char* s : {"", "-wal", "-shm", "-journal"})
                fs::remove(p + s, ec);
        }
    } cleanup{tmp};
    rep.backup = decrypt_backup(backup, master_key, tmp);

    {
        sql::Db db(tmp);
        {
            auto s = db.prepare("PRAGMA integrity_check");
            if (!s->step() || s->text(0) != "ok")
                throw BackupError("backup " + backup +
                                  ": the database inside fails integrity_check");
        }
        for (const char* t : {"meta", "devices", "rows", "cells", "changelog", "audit"}) {
            auto s = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
            s->bind(1, std::string_view(t));
            if (!s->step())
                throw BackupError("backup " + backup + ": not a server store (no table " + t + ")");
        }
        db.exec("BEGIN IMMEDIATE");
        auto get = [&](const char* k) {
            auto s = db.prepare("SELECT v FROM meta WHERE k=?");
            s->bind(1, std::string_view(k));
            return s->step() ? s->u64(0) : 0;
        };
        auto put = [&](const char* k, std::uint64_t v) {
            auto s = db.prepare(
                "INSERT INTO meta(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v");
            s->bind(1, std::string_view(k)).bind(2, v);
            s->exec();
        };
        // Cursors the lost server handed out after the backup lie in (head, head + gap]: the
        // restored server never issues them again, and a pull from one is sent to rebase.
        const std::uint64_t head = get("head");
        rep.restored_head = head + kRestoreCursorGap;
        put("head", rep.restored_head);
        put("restore_gap_lo", head);
        put("restore_gap_hi", rep.restored_head);
        detail::ensure_maintenance_schema(db);
        // Every device may have had acknowledged changes after the backup: its next push may
        // start above the restored acked_seq (once), carrying what it re-sends.
        db.exec("INSERT OR IGNORE INTO seq_reset(device) SELECT id FROM devices WHERE revoked=0");
        {
            auto s = db.prepare("SELECT count(*) FROM devices WHERE revoked=0");
            s->step();
            rep.devices = s->u64(0);
        }
        db.exec("COMMIT");
    }
    {
        SqliteOptions o;
        o.path = tmp;
        o.master_key = &master_key;
        auto store = open_sqlite_store(o);
        AuditEntry e;
        e.kind = kAuditBackupRestored;
        e.time_ms = now_ms;
        e.note = "restore backup=" + fs::path(backup).filename().string() +
                 " created_ms=" + std::to_string(rep.backup.created_ms) +
                 " head=" + std::to_string(rep.backup.head);
        store->append_audit(std::move(e));
        AuditReport a = store->verify_audit();
        if (!a.ok) throw BackupError("backup " + backup + ": audit chain broken: " + a.message);
    }
    {
        // Fold the WAL the store left into the file, so one rename moves everything.
        sql::Db db(tmp);
        db.exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=WAL;");
    }
    std::error_code ec;
    if (fs::exists(target)) {
        rep.previous = db_path + ".before-restore-" + utc_stamp(now_ms);
        for (const char* s : {"", "-wal", "-shm"})
            if (fs::exists(db_path + s)) fs::rename(db_path + s, rep.previous + s);
    }
    for (const char* s : {"-wal", "-shm"})
        fs::remove(tmp + s, ec);
    fs::rename(tmp, target);
    cleanup.keep = true;
    fsync_dir(target.parent_path());
    return rep;
}

}  // namespace zb::server
