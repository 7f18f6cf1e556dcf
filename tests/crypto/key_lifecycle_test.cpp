// SPDX-License-Identifier: Apache-2.0
// Tests of the key lifecycle: passphrase-wrapped DEK records (create, unlock, wrong passphrase,
// tampered record), passphrase change without touching the database, DEK rotation (rekey) with
// data intact and the old key retired, and wipe leaving no files behind.

#include "crypto_test_util.hpp"
#include "temp_dir.hpp"

#include "zb/crypto/encrypted_db.hpp"
#include "zb/crypto/key_record.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <filesystem>

using namespace zb::crypto;
using namespace zb::crypto::test;

namespace {

void seed_rows(sqlite3* db, int n) {
    run(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body TEXT)");
    run(db, "BEGIN");
    for (int i = 0; i < n; ++i) {
        run(db, "INSERT INTO t(body) VALUES(printf('row-%d-%s', " + std::to_string(i) +
                    ", hex(randomblob(30))))");
    }
    run(db, "COMMIT");
}

std::string digest(sqlite3* db) {
    return query_text(db,
                      "SELECT count(*) || ':' || sum(length(body)) || ':' || "
                      "group_concat(substr(body, 1, 12), ',') FROM t");
}

}  // namespace

TEST_CASE("passphrase open creates a key record and reopens", "[unit][keys]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("p.db");
    std::string before;
    {
        auto db = open_with_passphrase(path, "correct horse");
        REQUIRE(db.ok());
        seed_rows(db->handle(), 50);
        before = digest(db->handle());
    }
    CHECK(std::filesystem::exists(key_record_path(path)));
    const auto rec = nlohmann::json::parse(read_all(key_record_path(path)));
    CHECK(rec["v"] == 1);
    CHECK(rec["cipher"] == "xchacha20poly1305-4k-r40");
    CHECK(rec["current"]["kdf"] == "argon2id13");
    CHECK(rec["pending"].is_null());

    auto again = open_with_passphrase(path, "correct horse");
    REQUIRE(again.ok());
    CHECK(digest(again->handle()) == before);
    REQUIRE(again->close().ok());

    auto wrong = open_with_passphrase(path, "wrong horse");
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().code == Errc::WrongPassphrase);
}

TEST_CASE("a tampered key record never unlocks", "[unit][keys]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("p.db");
    REQUIRE(create_key_record(path, SecretKey::generate(), "pw").ok());
    const auto rp = key_record_path(path);
    auto rec = nlohmann::json::parse(read_all(rp));
    rec["current"]["ops"] = rec["current"]["ops"].get<std::uint64_t>() + 1;  // AD mismatch
    const auto text = rec.dump();
    write_all(rp, std::vector<unsigned char>(text.begin(), text.end()));
    auto k = unlock_key_record(path, "pw");
    REQUIRE_FALSE(k.ok());
    CHECK(k.error().code == Errc::WrongPassphrase);
    write_all(rp, {'{', 'x'});
    auto bad = unlock_key_record(path, "pw");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == Errc::BadKeyRecord);
}

TEST_CASE("changing the passphrase rewraps the key and leaves the database alone", "[unit][keys]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("c.db");
    {
        auto db = open_with_passphrase(path, "old pass");
        REQUIRE(db.ok());
        seed_rows(db->handle(), 30);
    }
    const auto dek_before = unlock_key_record(path, "old pass");
    REQUIRE(dek_before.ok());
    const auto db_bytes = read_all(path);
    const auto rec_bytes = read_all(key_record_path(path));
    REQUIRE(change_passphrase(path, "old pass", "new pass").ok());
    CHECK(read_all(path) == db_bytes);
    CHECK(read_all(key_record_path(path)) != rec_bytes);
    CHECK_FALSE(std::filesystem::exists(key_record_path(path) + ".tmp"));

    const auto dek_after = unlock_key_record(path, "new pass");
    REQUIRE(dek_after.ok());
    CHECK(dek_after->equals(dek_before.value()));
    CHECK(unlock_key_record(path, "old pass").error().code == Errc::WrongPassphrase);
    CHECK(change_passphrase(path, "old pass", "x").error().code == Errc::WrongPassphrase);
    auto db = open_with_passphrase(path, "new pass");
    REQUIRE(db.ok());
    CHECK(query_int(db->handle(), "SELECT count(*) FROM t") == 30);
}

TEST_CASE("rekey rotates the DEK with data intact", "[unit][keys]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("rk.db");
    std::string before;
    {
        auto db = open_with_passphrase(path, "pw");
        REQUIRE(db.ok());
        seed_rows(db->handle(), 300);
        before = digest(db->handle());
    }
    const auto old_dek = unlock_key_record(path, "pw");
    REQUIRE(old_dek.ok());
    {
        auto busy = open_with_passphrase(path, "pw");
        REQUIRE(busy.ok());
        CHECK(rekey(path, "pw").error().code == Errc::Busy);  // a connection is open
    }
    const auto old_bytes = read_all(path);
    std::vector<RekeyStep> steps;
    REQUIRE(rekey(path, "pw", [&](RekeyStep s) { steps.push_back(s); }).ok());
    CHECK(steps == std::vector<RekeyStep>{RekeyStep::PendingWritten, RekeyStep::CopyWritten,
                                          RekeyStep::CopySynced, RekeyStep::Quiesced,
                                          RekeyStep::Renamed, RekeyStep::Promoted});
    CHECK(read_all(path) != old_bytes);
    const auto new_dek = unlock_key_record(path, "pw");
    REQUIRE(new_dek.ok());
    CHECK_FALSE(new_dek->equals(old_dek.value()));
    OpenOptions no_create;
    no_create.create = false;
    CHECK(EncryptedDb::open(path, old_dek.value(), no_create).error().code == Errc::WrongKey);
    auto db = EncryptedDb::open(path, new_dek.value(), no_create);
    REQUIRE(db.ok());
    CHECK(digest(db->handle()) == before);
    CHECK(query_text(db->handle(), "PRAGMA integrity_check") == "ok");
    CHECK_FALSE(std::filesystem::exists(path + ".rekey"));
}

TEST_CASE("rekey_file with raw keys, and the pending-key fallback", "[unit][keys]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("raw.db");
    const auto k1 = test_key(40);
    const auto k2 = test_key(41);
    {
        auto db = EncryptedDb::open(path, k1);
        REQUIRE(db.ok());
        seed_rows(db->handle(), 100);
    }
    CHECK(rekey_file(path, k1, k1).error().code == Errc::InvalidArgument);
    CHECK(rekey_file(path, k2, test_key(42)).error().code == Errc::WrongKey);
    REQUIRE(rekey_file(path, k1, k2).ok());
    OpenOptions o;
    o.create = false;
    CHECK(EncryptedDb::open(path, k1, o).error().code == Errc::WrongKey);
    auto db = EncryptedDb::open(path, k2, o);
    REQUIRE(db.ok());
    CHECK(query_int(db->handle(), "SELECT count(*) FROM t") == 100);
}

TEST_CASE("wipe destroys the key record and every database file", "[unit][keys]") {
    zb::test::TempDir dir("zb-crypto");
    const auto path = dir.file("w.db");
    {
        auto db = open_with_passphrase(path, "pw");
        REQUIRE(db.ok());
        seed_rows(db->handle(), 20);
        REQUIRE(file_count(dir.path()) >= 3);  // db, -wal, -shm, key record
        CHECK(wipe(path).error().code == Errc::Busy);
    }
    REQUIRE(wipe(path).ok());
    CHECK(file_count(dir.path()) == 0);
    CHECK(open_with_passphrase(path, "pw", OpenOptions{.create = false}).error().code ==
          Errc::BadKeyRecord);
}
