// SPDX-License-Identifier: Apache-2.0
// Tests of the zb-seal VFS through EncryptedDb: round trips in WAL and rollback-journal modes,
// no plaintext marker in any file at any point, typed errors for tampering, wrong keys (also
// with a hot journal present), truncation and plaintext files, temp-file and mmap refusal,
// masked WAL checksums, and a concurrent reader and writer.

#include "crypto_test_util.hpp"
#include "temp_dir.hpp"

#include "zb/crypto/encrypted_db.hpp"
#include "zb/crypto/page_cipher.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <thread>

using namespace zb::crypto;
using namespace zb::crypto::test;

namespace {

const std::string kMarker = "ZB-PLAINTEXT-MARKER-7f3a";

EncryptedDb open_ok(const std::string& path, const SecretKey& key,
                    JournalMode mode = JournalMode::Wal) {
    OpenOptions o;
    o.journal = mode;
    auto r = EncryptedDb::open(path, key, o);
    INFO((r.ok() ? std::string("ok") : r.error().message));
    REQUIRE(r.ok());
    return std::move(r.value());
}

Errc open_error(const std::string& path, const SecretKey& key,
                JournalMode mode = JournalMode::Wal) {
    OpenOptions o;
    o.journal = mode;
    o.create = false;
    auto r = EncryptedDb::open(path, key, o);
    return r.ok() ? Errc::Ok : r.error().code;
}

void fill(sqlite3* db, int from, int to) {
    run(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body TEXT)");
    run(db, "BEGIN");
    for (int i = from; i < to; ++i) {
        run(db, "INSERT INTO t(id, body) VALUES(" + std::to_string(i) + ", printf('%s-%06d-%s', '" +
                    kMarker + "', " + std::to_string(i) + ", hex(zeroblob(60))))");
    }
    run(db, "COMMIT");
}

std::int64_t row_count(sqlite3* db) {
    return query_int(db, "SELECT count(*) FROM t");
}

std::map<std::string, std::vector<unsigned char>> snapshot(const std::filesystem::path& dir) {
    std::map<std::string, std::vector<unsigned char>> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        out[e.path().filename().string()] = read_all(e.path().string());
    }
    return out;
}

std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

}  // namespace

TEST_CASE("round trip through WAL and rollback-journal modes", "[unit][vfs]") {
    const auto mode = GENERATE(JournalMode::Wal, JournalMode::Delete);
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("r.db");
    const auto key = test_key(10);
    {
        auto db = open_ok(path, key, mode);
        fill(db.handle(), 0, 500);
        // Updates journal existing pages; a rollback replays them from the journal file.
        run(db.handle(), "PRAGMA cache_size=5");
        run(db.handle(), "BEGIN");
        run(db.handle(), "UPDATE t SET body = 'changed' WHERE id % 2 = 0");
        run(db.handle(), "DELETE FROM t WHERE id > 400");
        run(db.handle(), "ROLLBACK");
        CHECK(row_count(db.handle()) == 500);
        CHECK(query_int(db.handle(), "SELECT count(*) FROM t WHERE body = 'changed'") == 0);
        run(db.handle(), "UPDATE t SET body = body || '!' WHERE id < 100");
        if (mode == JournalMode::Wal) run(db.handle(), "PRAGMA wal_checkpoint(TRUNCATE)");
    }
    CHECK(is_encrypted_file(path));
    auto db = open_ok(path, key, mode);
    CHECK(row_count(db.handle()) == 500);
    CHECK(query_int(db.handle(), "SELECT count(*) FROM t WHERE body LIKE '%!'") == 100);
    CHECK(query_text(db.handle(), "PRAGMA integrity_check") == "ok");
    CHECK(query_text(db.handle(), "PRAGMA journal_mode") ==
          (mode == JournalMode::Wal ? "wal" : "delete"));
}

TEST_CASE("a marker never appears in clear in any file", "[unit][vfs]") {
    const auto mode = GENERATE(JournalMode::Wal, JournalMode::Delete);
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("m.db");
    auto db = open_ok(path, test_key(11), mode);
    run(db.handle(), "PRAGMA cache_size=8");  // force spills while the transaction is open
    fill(db.handle(), 0, 10);
    run(db.handle(), "BEGIN");
    for (int i = 10; i < 1500; ++i) {
        run(db.handle(), "INSERT INTO t VALUES(" + std::to_string(i) + ", '" + kMarker + "')");
    }
    run(db.handle(), "UPDATE t SET body = body || '" + kMarker + "' WHERE id < 10");
    CHECK(files_containing(dir.path(), kMarker).empty());  // transaction open
    CHECK(file_count(dir.path()) >= 2);                    // a -wal or -journal exists
    run(db.handle(), "COMMIT");
    CHECK(files_containing(dir.path(), kMarker).empty());
    if (mode == JournalMode::Wal) run(db.handle(), "PRAGMA wal_checkpoint(TRUNCATE)");
    CHECK(files_containing(dir.path(), kMarker).empty());
    REQUIRE(db.close().ok());
    CHECK(files_containing(dir.path(), kMarker).empty());
    // Negative control: the same workload on the default VFS does leak the marker.
    sqlite3* plain = nullptr;
    REQUIRE(sqlite3_open(dir.file("plain.db").c_str(), &plain) == SQLITE_OK);
    fill(plain, 0, 10);
    sqlite3_close(plain);
    CHECK_FALSE(files_containing(dir.path(), kMarker).empty());
}

TEST_CASE("header stays readable: magic, page size, reserve 40, WAL bytes", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("h.db");
    {
        auto db = open_ok(path, test_key(12));
        fill(db.handle(), 0, 5);
    }
    const auto bytes = read_all(path);
    REQUIRE(bytes.size() >= 4096);
    CHECK(std::memcmp(bytes.data(), "SQLite format 3", 16) == 0);
    CHECK(bytes[16] == 0x10);
    CHECK(bytes[17] == 0x00);
    CHECK(bytes[18] == 2);  // WAL (iOS app-group check reads these)
    CHECK(bytes[19] == 2);
    CHECK(bytes[20] == 40);
    CHECK(bytes.size() % 4096 == 0);
    CHECK(is_encrypted_file(path));
    CHECK_FALSE(is_encrypted_file(dir.file("missing.db")));
}

TEST_CASE("plaintext databases are refused, never silently used", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto plain_path = dir.file("plain.db");
    sqlite3* plain = nullptr;
    REQUIRE(sqlite3_open(plain_path.c_str(), &plain) == SQLITE_OK);
    run(plain, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
    sqlite3_close(plain);
    CHECK_FALSE(is_encrypted_file(plain_path));
    CHECK(open_error(plain_path, test_key(13)) == Errc::NotEncrypted);

    // A plaintext file that imitates the format (reserve 40) fails authentication instead.
    const auto fake_path = dir.file("fake.db");
    REQUIRE(sqlite3_open(fake_path.c_str(), &plain) == SQLITE_OK);
    int reserve = 40;
    sqlite3_file_control(plain, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
    run(plain, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
    sqlite3_close(plain);
    CHECK(is_encrypted_file(fake_path));
    CHECK(open_error(fake_path, test_key(13)) == Errc::WrongKey);
}

TEST_CASE("wrong key is a typed error; the right key still works", "[unit][vfs]") {
    const auto mode = GENERATE(JournalMode::Wal, JournalMode::Delete);
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("k.db");
    {
        auto db = open_ok(path, test_key(14), mode);
        fill(db.handle(), 0, 50);
    }
    const auto before = snapshot(dir.path());
    CHECK(open_error(path, test_key(15), mode) == Errc::WrongKey);
    CHECK(snapshot(dir.path()) == before);
    auto db = open_ok(path, test_key(14), mode);
    CHECK(row_count(db.handle()) == 50);

    // While a connection holds the right key, another key for the same path is refused.
    CHECK(open_error(path, test_key(15), mode) == Errc::KeyConflict);
}

TEST_CASE("wrong key with a hot journal leaves every file untouched", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    zb::test::TempDir crash("zb-crypto-hot");
    const auto path = dir.file("j.db");
    const auto key = test_key(16);
    auto db = open_ok(path, key, JournalMode::Delete);
    fill(db.handle(), 0, 2000);
    const auto committed_sum = query_int(db.handle(), "SELECT sum(length(body)) FROM t");
    run(db.handle(), "PRAGMA cache_size=4");
    run(db.handle(), "BEGIN");
    run(db.handle(), "UPDATE t SET body = 'x'");  // spills: the db file is now mid-transaction
    // "Crash" here: copy the files as they are on disk while the transaction is open.
    for (const char* f : {"j.db", "j.db-journal"}) {
        std::filesystem::copy_file(dir.path() / f, crash.path() / f);
    }
    run(db.handle(), "ROLLBACK");
    REQUIRE(db.close().ok());

    const auto hot = crash.file("j.db");
    REQUIRE(std::filesystem::file_size(hot + "-journal") > 4096);
    const auto before = snapshot(crash.path());
    CHECK(open_error(hot, test_key(17), JournalMode::Delete) == Errc::WrongKey);
    CHECK(snapshot(crash.path()) == before);  // nothing rolled back, journal intact

    auto good = open_ok(hot, key, JournalMode::Delete);  // the right key rolls back
    CHECK(row_count(good.handle()) == 2000);
    CHECK(query_int(good.handle(), "SELECT sum(length(body)) FROM t") == committed_sum);
    CHECK(query_text(good.handle(), "PRAGMA integrity_check") == "ok");
    CHECK_FALSE(std::filesystem::exists(hot + "-journal"));
}

TEST_CASE("a flipped byte in a database page is a typed error, never data", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("f.db");
    const auto key = test_key(18);
    {
        auto db = open_ok(path, key, JournalMode::Delete);
        fill(db.handle(), 0, 400);
    }
    const auto pristine = read_all(path);
    REQUIRE(pristine.size() >= 6 * 4096);
    struct Case {
        std::int64_t offset;
        Errc at_open;  // Ok means the open succeeds and the scan fails
    };
    const Case cases[] = {
        {4096 * 3 + 100, Errc::Ok},   // body of page 4
        {4096 * 4 + 4060, Errc::Ok},  // nonce of page 5
        {4096 * 2 + 4090, Errc::Ok},  // tag of page 3
        {200, Errc::WrongKey},        // body of page 1
        {24, Errc::WrongKey},         // clear header (change counter), bound as AD
    };
    for (const auto& c : cases) {
        INFO("offset " << c.offset);
        write_all(path, pristine);
        flip_byte(path, c.offset);
        OpenOptions o;
        o.journal = JournalMode::Delete;
        auto r = EncryptedDb::open(path, key, o);
        if (c.at_open != Errc::Ok) {
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code == c.at_open);
            continue;
        }
        REQUIRE(r.ok());
        int rc = 0;
        query_int(r->handle(), "SELECT sum(length(body)) FROM t", &rc);
        CHECK(rc == SQLITE_IOERR_DATA);
        CHECK(errc_from_sqlite(rc) == Errc::Corrupt);
    }
    // Swapping two pages is caught too (page number is in the AD).
    auto swapped = pristine;
    std::swap_ranges(swapped.begin() + 4096 * 2, swapped.begin() + 4096 * 3,
                     swapped.begin() + 4096 * 3);
    write_all(path, swapped);
    auto r = EncryptedDb::open(path, key, OpenOptions{.journal = JournalMode::Delete});
    REQUIRE(r.ok());
    int rc = 0;
    query_int(r->handle(), "SELECT sum(length(body)) FROM t", &rc);
    CHECK(errc_from_sqlite(rc) == Errc::Corrupt);
}

TEST_CASE("a tampered WAL frame is an error while the log is live", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("w.db");
    const auto key = test_key(19);
    auto writer = open_ok(path, key);
    run(writer.handle(), "PRAGMA wal_autocheckpoint=0");
    fill(writer.handle(), 0, 300);
    const auto wal = read_all(path + "-wal");
    const std::int64_t frames = (static_cast<std::int64_t>(wal.size()) - 32) / 4120;
    REQUIRE(frames > 3);
    flip_byte(path + "-wal", 32 + (frames - 2) * 4120 + 24 + 1000);
    auto reader = open_ok(path, key);
    int rc = 0;
    query_int(reader.handle(), "SELECT sum(length(body)) FROM t", &rc);
    CHECK(errc_from_sqlite(rc) == Errc::Corrupt);
}

// The writer's handle remembers the frames it sealed so its checkpoint need not open them again;
// that shortcut must answer only for the exact bytes it wrote.
TEST_CASE("the writer's own checkpoint copies its frames, and still catches a tampered one",
          "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto key = test_key(23);
    SECTION("untouched: the checkpointed file holds every row") {
        const auto path = dir.file("m1.db");
        {
            auto db = open_ok(path, key);
            run(db.handle(), "PRAGMA wal_autocheckpoint=0");
            fill(db.handle(), 0, 300);
            fill(db.handle(), 300, 600);  // pages rewritten: the checkpoint takes the latest
            run(db.handle(), "PRAGMA wal_checkpoint(TRUNCATE)");
            CHECK(std::filesystem::file_size(path + "-wal") == 0);
        }
        auto db = open_ok(path, key);
        CHECK(query_int(db.handle(), "SELECT count(*) FROM t") == 600);
        CHECK(query_text(db.handle(), "PRAGMA integrity_check") == "ok");
    }
    SECTION("a frame flipped on disk before the checkpoint fails it") {
        const auto path = dir.file("m2.db");
        auto db = open_ok(path, key);
        run(db.handle(), "PRAGMA wal_autocheckpoint=0");
        fill(db.handle(), 0, 300);
        const auto wal = read_all(path + "-wal");
        const std::int64_t frames = (static_cast<std::int64_t>(wal.size()) - 32) / 4120;
        REQUIRE(frames > 3);
        flip_byte(path + "-wal", 32 + (frames - 2) * 4120 + 24 + 1000);
        const int rc = try_run(db.handle(), "PRAGMA wal_checkpoint(TRUNCATE)");
        CHECK(errc_from_sqlite(rc) == Errc::Corrupt);
    }
}

TEST_CASE("a tampered WAL frame at recovery ends the log, never yields garbage", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("w2.db");
    const auto key = test_key(20);
    {
        auto db = open_ok(path, key);
        run(db.handle(), "PRAGMA wal_autocheckpoint=0");
        int off = 0;
        sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &off);
        fill(db.handle(), 0, 100);
        fill(db.handle(), 100, 200);
        fill(db.handle(), 200, 300);
    }
    const auto wal_size = std::filesystem::file_size(path + "-wal");
    const auto frames = static_cast<std::int64_t>((wal_size - 32) / 4120);
    flip_byte(path + "-wal", 32 + (frames - 1) * 4120 + 24 + 500);  // in the last commit
    auto db = open_ok(path, key);
    int rc = 0;
    const auto n = query_int(db.handle(), "SELECT count(*) FROM t", &rc);
    if (rc == SQLITE_OK) {
        CHECK(n == 200);  // the last transaction is dropped, as a torn tail would be
        CHECK(query_text(db.handle(), "PRAGMA integrity_check") == "ok");
    } else {
        CHECK(errc_from_sqlite(rc) == Errc::Corrupt);
    }
}

TEST_CASE("truncated files are typed errors", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("t.db");
    const auto key = test_key(21);
    {
        auto db = open_ok(path, key, JournalMode::Delete);
        fill(db.handle(), 0, 400);
    }
    const auto pristine = read_all(path);
    for (std::size_t keep : {pristine.size() - 100, pristine.size() - 4096, std::size_t{4096 + 7},
                             std::size_t{50}, std::size_t{4000}}) {
        INFO("kept " << keep << " of " << pristine.size());
        write_all(path, std::vector<unsigned char>(pristine.begin(),
                                                   pristine.begin() + static_cast<long>(keep)));
        CHECK(open_error(path, key, JournalMode::Delete) == Errc::Truncated);
    }
}

TEST_CASE("temp files stay in memory; on-disk temp files fail closed", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("tmp.db");
    auto db = open_ok(path, test_key(22));
    run(db.handle(), "PRAGMA cache_size=10");
    fill(db.handle(), 0, 3000);
    CHECK(query_int(db.handle(),
                    "SELECT count(*) FROM (SELECT body FROM t ORDER BY random(), body)") == 3000);
    run(db.handle(), "CREATE INDEX tb ON t(body)");
    run(db.handle(), "VACUUM");
    CHECK(row_count(db.handle()) == 3000);
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
        const auto name = e.path().filename().string();
        CHECK((name == "tmp.db" || name == "tmp.db-wal" || name == "tmp.db-shm"));
    }
    // Asking SQLite for on-disk temp storage makes the shim refuse the temp file.
    run(db.handle(), "PRAGMA temp_store=FILE");
    run(db.handle(), "PRAGMA temp.cache_size=2");
    const int rc =
        try_run(db.handle(), "CREATE TEMP TABLE big AS SELECT body, randomblob(500) FROM t");
    CHECK((rc & 0xff) == SQLITE_CANTOPEN);
}

TEST_CASE("mmap is never used even when asked for", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("mm.db");
    auto db = open_ok(path, test_key(23), JournalMode::Delete);
    fill(db.handle(), 0, 500);
    run(db.handle(), "PRAGMA mmap_size=268435456");
    REQUIRE(db.close().ok());
    auto again = open_ok(path, test_key(23), JournalMode::Delete);
    run(again.handle(), "PRAGMA mmap_size=268435456");
    CHECK(query_int(again.handle(), "SELECT count(*) FROM t WHERE body LIKE '" + kMarker + "%'") ==
          500);
    CHECK(query_text(again.handle(), "PRAGMA integrity_check") == "ok");
}

TEST_CASE("WAL frame checksums are masked and unmask to SQLite's values", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("ck.db");
    const auto key = test_key(24);
    auto db = open_ok(path, key);
    run(db.handle(), "PRAGMA wal_autocheckpoint=0");
    fill(db.handle(), 0, 200);
    const auto wal = read_all(path + "-wal");
    REQUIRE(wal.size() > 32 + 4120);
    const bool big_endian_words = (be32(wal.data()) & 1) != 0;
    auto word = [&](const unsigned char* p) {
        return big_endian_words ? be32(p)
                                : (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) |
                                      (std::uint32_t{p[1]} << 8) | std::uint32_t{p[0]};
    };
    std::uint32_t s1 = be32(wal.data() + 24);
    std::uint32_t s2 = be32(wal.data() + 28);
    auto sum = [&](const unsigned char* p, std::size_t n) {
        for (std::size_t i = 0; i < n; i += 8) {
            s1 += word(p + i) + s2;
            s2 += word(p + i + 4) + s1;
        }
    };
    const auto keys = PageKeys::derive(key);
    const std::size_t frames = (wal.size() - 32) / 4120;
    std::size_t checked = 0;
    for (std::size_t f = 0; f < frames; ++f) {
        const unsigned char* fh = wal.data() + 32 + f * 4120;
        if (std::memcmp(fh + 8, wal.data() + 16, 8) != 0) break;  // a stale generation
        std::vector<unsigned char> page(fh + 24, fh + 24 + 4096);
        REQUIRE(decrypt_page(*keys, FileRole::Wal, be32(fh), page, page));
        sum(fh, 8);
        sum(page.data(), page.size());
        unsigned char mask[8];
        wal_checksum_mask(*keys, fh + 8, static_cast<std::uint32_t>(f + 1), mask);
        unsigned char stored[8];
        for (int i = 0; i < 8; ++i)
            stored[i] = fh[16 + i] ^ mask[i];
        CHECK(!(be32(fh + 16) == s1 && be32(fh + 20) == s2));  // not in clear
        CHECK(be32(stored) == s1);                             // but exact once unmasked
        CHECK(be32(stored + 4) == s2);
        ++checked;
    }
    CHECK(checked == frames);
}

TEST_CASE("a reader and a writer work concurrently in WAL mode", "[unit][vfs]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("c.db");
    const auto key = test_key(25);
    {
        auto db = open_ok(path, key);
        fill(db.handle(), 0, 1);
    }
    std::atomic<bool> done{false};
    std::atomic<int> reader_errors{0};
    std::atomic<int> reads{0};
    std::atomic<int> last_bad_rc{0};
    std::thread reader([&] {
        auto r = EncryptedDb::open(path, key);
        if (!r.ok()) {
            reader_errors = 1000;
            last_bad_rc = r.error().sqlite_rc;
            return;
        }
        std::int64_t last = 0;
        while (!done.load()) {
            int rc = 0;
            const auto n = query_int(r->handle(), "SELECT count(*) FROM t", &rc);
            if (rc != SQLITE_OK || n < last) {
                ++reader_errors;
                last_bad_rc = rc;
            }
            last = n;
            ++reads;
        }
    });
    {
        auto w = open_ok(path, key);
        for (int i = 0; i < 20; ++i)
            fill(w.handle(), 1 + i * 20, 1 + (i + 1) * 20);
    }
    done = true;
    reader.join();
    INFO("last failing rc " << last_bad_rc.load());
    CHECK(reader_errors.load() == 0);
    CHECK(reads.load() > 0);
    auto db = open_ok(path, key);
    CHECK(row_count(db.handle()) == 401);
}
