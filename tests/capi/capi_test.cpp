// SPDX-License-Identifier: Apache-2.0
// Contract tests of every zb_* function, through the shared library only (no C++ internals):
// NULL arguments give ZB_ERR_MISUSE, closed handles give ZB_ERR_CLOSED, wrong keys give
// ZB_ERR_CRYPTO, sync to a port where nothing listens gives ZB_ERR_NETWORK; the error struct is
// filled on failure and reset on success; ownership (bytes, tokens, userdata_free, transport
// dispose) is checked under ASan/LSan. Label: capi.

#include "temp_dir.hpp"

#include "zb/zb.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace {

constexpr const char* kTable = "meetings";

std::string str(const zb_bytes& b) {
    return b.data ? std::string(reinterpret_cast<const char*>(b.data), b.size) : std::string();
}

zb_str s(const std::string& v) {
    return zb_str{v.data(), v.size()};
}

/// An error struct pre-filled with garbage, to prove that calls always write it.
zb_error dirty_error() {
    zb_error e;
    e.code = ZB_ERR_INTERNAL;
    e.detail = 77;
    e.flags = 0xffu;
    std::memset(e.message, 'x', sizeof e.message);
    return e;
}

void require_ok_reset(const zb_error& e) {
    REQUIRE(e.code == ZB_OK);
    REQUIRE(e.detail == 0);
    REQUIRE(e.flags == 0);
    REQUIRE(std::string(zb_error_message(&e)).empty());
}

void require_failed(zb_status got, zb_status want, const zb_error& e) {
    INFO("got " << zb_status_name(got) << ": " << zb_error_message(&e));
    REQUIRE(got == want);
    REQUIRE(e.code == want);
    REQUIRE(!std::string(zb_error_message(&e)).empty());
}

struct Key {
    uint8_t bytes[ZB_KEY_BYTES];
    explicit Key(uint8_t seed) {
        for (size_t i = 0; i < ZB_KEY_BYTES; ++i)
            bytes[i] = static_cast<uint8_t>(seed + i * 13);
    }
};

/// A temp directory and helpers to open replicas in it.
struct Fixture {
    zb::test::TempDir dir{"zb-capi"};
    std::string path = dir.file("replica.db");
    Key key{1};

    zb_status open_key(zb_db** db, const Key& k, zb_error* e) const {
        zb_db_config* cfg = nullptr;
        REQUIRE(zb_db_config_new(&cfg, e) == ZB_OK);
        REQUIRE(zb_db_config_set_path(cfg, s(path), e) == ZB_OK);
        REQUIRE(zb_db_config_set_key(cfg, k.bytes, ZB_KEY_BYTES, e) == ZB_OK);
        const zb_status st = zb_db_open(cfg, db, e);
        zb_db_config_free(cfg);
        return st;
    }
    zb_status open_pass(zb_db** db, const std::string& pass, zb_error* e) const {
        zb_db_config* cfg = nullptr;
        REQUIRE(zb_db_config_new(&cfg, e) == ZB_OK);
        REQUIRE(zb_db_config_set_path(cfg, s(path), e) == ZB_OK);
        REQUIRE(zb_db_config_set_passphrase(cfg, s(pass), e) == ZB_OK);
        const zb_status st = zb_db_open(cfg, db, e);
        zb_db_config_free(cfg);
        return st;
    }
    zb_db* open() const {
        zb_db* db = nullptr;
        zb_error e = dirty_error();
        const zb_status st = open_key(&db, key, &e);
        INFO(zb_error_message(&e));
        REQUIRE(st == ZB_OK);
        require_ok_reset(e);
        REQUIRE(db != nullptr);
        return db;
    }
    /// An open db and a closed db (both to be freed).
    zb_db* closed() const {
        zb_db* db = open();
        zb_error e;
        REQUIRE(zb_db_close(db, &e) == ZB_OK);
        return db;
    }
};

/// A TCP port on 127.0.0.1 where nothing listens (bound, then released).
uint16_t dead_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

/// Counts userdata_free calls; the listener callbacks count calls.
struct Counter {
    std::atomic<int> calls{0};
    std::atomic<int> freed{0};
};
void count_free(void* u) {
    static_cast<Counter*>(u)->freed++;
}
void count_change(void* u, zb_str, zb_str, zb_change_origin) {
    static_cast<Counter*>(u)->calls++;
}
void count_status(void* u, const zb_sync_status_info*) {
    static_cast<Counter*>(u)->calls++;
}
void count_progress(void* u, int64_t, int64_t) {
    static_cast<Counter*>(u)->calls++;
}

template <class Pred>
bool wait_for(Pred p, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!p()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

zb_sync_config* plain_sync_config(uint16_t port) {
    zb_sync_config* c = nullptr;
    zb_error e;
    REQUIRE(zb_sync_config_new(&c, &e) == ZB_OK);
    REQUIRE(zb_sync_config_set_server(c, zb_str_c("127.0.0.1"), port, &e) == ZB_OK);
    REQUIRE(zb_sync_config_set_plaintext(c, true, &e) == ZB_OK);
    REQUIRE(zb_sync_config_set_timeout(c, 5000, &e) == ZB_OK);
    return c;
}

}  // namespace

// ---- base ----------------------------------------------------------------------------------

TEST_CASE("base: versions, names, messages, bytes", "[capi]") {
    REQUIRE(zb_api_version() == ZB_API_VERSION);
    REQUIRE(std::string(zb_version()).find('.') != std::string::npos);
    REQUIRE(zb_key_bytes() == 32);
    REQUIRE(std::string(zb_error_message(nullptr)).empty());
    REQUIRE(std::string(zb_status_name(ZB_ERR_CLOSED)) == "ZB_ERR_CLOSED");
    REQUIRE(std::string(zb_status_name(static_cast<zb_status>(12345))) == "ZB_ERR_UNKNOWN");
    zb_error unterminated;
    std::memset(&unterminated, 'y', sizeof unterminated);
    REQUIRE(std::string(zb_error_message(&unterminated)).empty());
    zb_bytes_free(nullptr);
    zb_bytes empty{nullptr, 0};
    zb_bytes_free(&empty);
    REQUIRE(zb_str_c(nullptr).size == 0);
}

// ---- configuration ------------------------------------------------------------------------

TEST_CASE("db config: NULL and bad arguments", "[capi]") {
    zb_error e = dirty_error();
    require_failed(zb_db_config_new(nullptr, &e), ZB_ERR_MISUSE, e);
    REQUIRE(zb_db_config_new(nullptr, nullptr) == ZB_ERR_MISUSE);  // out_error may be NULL
    zb_db_config_free(nullptr);

    zb_db_config* cfg = nullptr;
    e = dirty_error();
    REQUIRE(zb_db_config_new(&cfg, &e) == ZB_OK);
    require_ok_reset(e);

    require_failed(zb_db_config_set_path(nullptr, zb_str_c("/tmp/x"), &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_config_set_path(cfg, zb_str_c(""), &e), ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_db_config_set_path(cfg, zb_str{nullptr, 4}, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_config_set_path(cfg, zb_str{"a\0b", 3}, &e), ZB_ERR_INVALID_ARGUMENT, e);

    Key k(3);
    require_failed(zb_db_config_set_key(nullptr, k.bytes, ZB_KEY_BYTES, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_config_set_key(cfg, nullptr, ZB_KEY_BYTES, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_config_set_key(cfg, k.bytes, 16, &e), ZB_ERR_INVALID_ARGUMENT, e);

    require_failed(zb_db_config_set_passphrase(nullptr, zb_str_c("pw"), &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_config_set_passphrase(cfg, zb_str_c(""), &e), ZB_ERR_INVALID_ARGUMENT, e);

    // Neither key nor passphrase, then no path.
    zb_db* db = reinterpret_cast<zb_db*>(&e);  // garbage in: must come back NULL
    REQUIRE(zb_db_config_set_path(cfg, zb_str_c("/tmp/never-opened.db"), &e) == ZB_OK);
    require_failed(zb_db_open(cfg, &db, &e), ZB_ERR_MISUSE, e);
    REQUIRE(db == nullptr);
    zb_db_config* nopath = nullptr;
    REQUIRE(zb_db_config_new(&nopath, &e) == ZB_OK);
    REQUIRE(zb_db_config_set_key(nopath, k.bytes, ZB_KEY_BYTES, &e) == ZB_OK);
    require_failed(zb_db_open(nopath, &db, &e), ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_db_open(nullptr, &db, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_open(nopath, nullptr, &e), ZB_ERR_MISUSE, e);
    zb_db_config_free(nopath);
    zb_db_config_free(cfg);
}

// ---- lifecycle and keys ------------------------------------------------------------------------

TEST_CASE("db: open, close twice, closed handle, free NULL", "[capi]") {
    Fixture f;
    zb_db* db = f.open();
    zb_error e = dirty_error();
    REQUIRE(zb_db_close(db, &e) == ZB_OK);
    require_ok_reset(e);
    REQUIRE(zb_db_close(db, &e) == ZB_OK);  // idempotent
    require_failed(zb_db_close(nullptr, &e), ZB_ERR_MISUSE, e);
    zb_bytes out{nullptr, 0};
    require_failed(zb_db_read(db, zb_str_c(kTable), zb_str_c("r"), &out, &e), ZB_ERR_CLOSED, e);
    REQUIRE(out.data == nullptr);
    zb_db_free(db);
    zb_db_free(nullptr);
}

TEST_CASE("db: a wrong key and a wrong passphrase are ZB_ERR_CRYPTO", "[capi]") {
    Fixture f;
    zb_db_free(f.open());
    zb_db* db = nullptr;
    zb_error e = dirty_error();
    require_failed(f.open_key(&db, Key(99), &e), ZB_ERR_CRYPTO, e);
    REQUIRE(db == nullptr);

    Fixture p;
    REQUIRE(p.open_pass(&db, "correct horse", &e) == ZB_OK);
    zb_db_free(db);
    db = nullptr;
    require_failed(p.open_pass(&db, "wrong horse", &e), ZB_ERR_CRYPTO, e);
    REQUIRE(db == nullptr);
}

TEST_CASE("db: rekey with a raw key", "[capi]") {
    Fixture f;
    zb_db* db = f.open();
    zb_error e = dirty_error();
    REQUIRE(zb_db_write(db, zb_str_c(kTable), zb_str_c("m1"), zb_str_c(R"({"topic":"t"})"), &e) ==
            ZB_OK);
    Key fresh(42);
    require_failed(zb_db_rekey(nullptr, fresh.bytes, ZB_KEY_BYTES, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_rekey(db, nullptr, ZB_KEY_BYTES, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_rekey(db, fresh.bytes, 31, &e), ZB_ERR_INVALID_ARGUMENT, e);
    e = dirty_error();
    REQUIRE(zb_db_rekey(db, fresh.bytes, ZB_KEY_BYTES, &e) == ZB_OK);
    require_ok_reset(e);
    zb_bytes out{nullptr, 0};
    REQUIRE(zb_db_read(db, zb_str_c(kTable), zb_str_c("m1"), &out, &e) == ZB_OK);  // still open
    zb_bytes_free(&out);
    REQUIRE(zb_db_close(db, &e) == ZB_OK);
    require_failed(zb_db_rekey(db, fresh.bytes, ZB_KEY_BYTES, &e), ZB_ERR_CLOSED, e);
    zb_db_free(db);

    db = nullptr;
    require_failed(f.open_key(&db, f.key, &e), ZB_ERR_CRYPTO, e);  // the old key no longer opens
    REQUIRE(f.open_key(&db, fresh, &e) == ZB_OK);
    REQUIRE(zb_db_read(db, zb_str_c(kTable), zb_str_c("m1"), &out, &e) == ZB_OK);
    REQUIRE(str(out).find("\"topic\":\"t\"") != std::string::npos);
    zb_bytes_free(&out);
    zb_db_free(db);
}

TEST_CASE("db: change passphrase and rotate a passphrase replica's key", "[capi]") {
    Fixture f;
    zb_db* db = nullptr;
    zb_error e = dirty_error();
    REQUIRE(f.open_pass(&db, "old pass", &e) == ZB_OK);
    Key k(5);
    require_failed(zb_db_rekey(db, k.bytes, ZB_KEY_BYTES, &e), ZB_ERR_INVALID_ARGUMENT, e);
    REQUIRE(zb_db_rekey(db, nullptr, 0, &e) == ZB_OK);
    require_failed(zb_db_change_passphrase(nullptr, zb_str_c("a"), zb_str_c("b"), &e),
                   ZB_ERR_MISUSE, e);
    require_failed(zb_db_change_passphrase(db, zb_str_c("wrong"), zb_str_c("new pass"), &e),
                   ZB_ERR_CRYPTO, e);
    require_failed(zb_db_change_passphrase(db, zb_str_c("old pass"), zb_str_c(""), &e),
                   ZB_ERR_INVALID_ARGUMENT, e);
    e = dirty_error();
    REQUIRE(zb_db_change_passphrase(db, zb_str_c("old pass"), zb_str_c("new pass"), &e) == ZB_OK);
    require_ok_reset(e);
    REQUIRE(zb_db_close(db, &e) == ZB_OK);
    require_failed(zb_db_change_passphrase(db, zb_str_c("new pass"), zb_str_c("x"), &e),
                   ZB_ERR_CLOSED, e);
    zb_db_free(db);
    db = nullptr;
    require_failed(f.open_pass(&db, "old pass", &e), ZB_ERR_CRYPTO, e);
    REQUIRE(f.open_pass(&db, "new pass", &e) == ZB_OK);
    zb_db_free(db);

    // A raw-key replica has no passphrase to change.
    Fixture r;
    db = r.open();
    require_failed(zb_db_change_passphrase(db, zb_str_c("a"), zb_str_c("b"), &e), ZB_ERR_MISUSE, e);
    zb_db_free(db);
}

TEST_CASE("db: wipe destroys the files and closes the handle", "[capi]") {
    Fixture f;
    zb_db* db = f.open();
    zb_error e = dirty_error();
    require_failed(zb_db_wipe(nullptr, &e), ZB_ERR_MISUSE, e);
    REQUIRE(zb_db_wipe(db, &e) == ZB_OK);
    require_ok_reset(e);
    REQUIRE_FALSE(std::filesystem::exists(f.path));
    require_failed(zb_db_wipe(db, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_db_write(db, zb_str_c(kTable), zb_str_c("r"), zb_str_c("{}"), &e),
                   ZB_ERR_CLOSED, e);
    zb_db_free(db);
}

// ---- data ----------------------------------------------------------------------------------

TEST_CASE("db data: round trip, query, remove, restore", "[capi]") {
    Fixture f;
    zb_db* db = f.open();
    zb_error e = dirty_error();
    const std::string values = R"({"topic":"党课 🎉\u0000end","expected_count":7,"summary":7.5,)"
                               R"("photos":{"$bytes":"AAEC/w=="},"place":null})";
    REQUIRE(zb_db_write(db, zb_str_c(kTable), zb_str_c("m1"), s(values), &e) == ZB_OK);
    require_ok_reset(e);

    zb_bytes out{nullptr, 0};
    REQUIRE(zb_db_read(db, zb_str_c(kTable), zb_str_c("m1"), &out, &e) == ZB_OK);
    const std::string json = str(out);
    INFO(json);
    REQUIRE(json.find(R"("topic":"党课 🎉\u0000end")") != std::string::npos);
    REQUIRE(json.find(R"("expected_count":7)") != std::string::npos);
    REQUIRE(json.find(R"("summary":7.5)") != std::string::npos);
    REQUIRE(json.find(R"("photos":{"$bytes":"AAEC/w=="})") != std::string::npos);
    zb_bytes_free(&out);

    REQUIRE(zb_db_query(db, zb_str_c(kTable), &out, &e) == ZB_OK);
    REQUIRE(str(out).find(R"("id":"m1")") != std::string::npos);
    zb_bytes_free(&out);

    REQUIRE(zb_db_remove(db, zb_str_c(kTable), zb_str_c("m1"), &e) == ZB_OK);
    require_failed(zb_db_read(db, zb_str_c(kTable), zb_str_c("m1"), &out, &e), ZB_ERR_NOT_FOUND, e);
    REQUIRE(zb_db_query(db, zb_str_c(kTable), &out, &e) == ZB_OK);
    REQUIRE(str(out) == "[]");
    zb_bytes_free(&out);
    REQUIRE(zb_db_restore(db, zb_str_c(kTable), zb_str_c("m1"), &e) == ZB_OK);
    REQUIRE(zb_db_read(db, zb_str_c(kTable), zb_str_c("m1"), &out, &e) == ZB_OK);
    zb_bytes_free(&out);

    int64_t pending = -1;
    REQUIRE(zb_db_pending_count(db, &pending, &e) == ZB_OK);
    REQUIRE(pending >= 3);
    zb_db_free(db);
}

TEST_CASE("db data: argument errors of write/read/query/remove/restore/increment", "[capi]") {
    Fixture f;
    zb_db* db = f.open();
    zb_db* closed = Fixture().closed();
    zb_error e = dirty_error();
    const zb_str t = zb_str_c(kTable);
    const zb_str r = zb_str_c("r1");
    zb_bytes out{reinterpret_cast<uint8_t*>(&e), 9};  // garbage in: must come back {NULL, 0}

    // write
    require_failed(zb_db_write(nullptr, t, r, zb_str_c("{}"), &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_write(closed, t, r, zb_str_c("{}"), &e), ZB_ERR_CLOSED, e);
    require_failed(zb_db_write(db, t, r, zb_str_c("{not json"), &e), ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_db_write(db, t, r, zb_str_c("[1,2]"), &e), ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_db_write(db, t, r, zb_str_c(R"({"topic":[1]})"), &e), ZB_ERR_INVALID_ARGUMENT,
                   e);
    require_failed(zb_db_write(db, t, r, zb_str_c(R"({"topic":18446744073709551615})"), &e),
                   ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_db_write(db, t, zb_str_c(""), zb_str_c("{}"), &e), ZB_ERR_INVALID_ARGUMENT,
                   e);
    require_failed(zb_db_write(db, zb_str_c("no_such_table"), r, zb_str_c(R"({"a":1})"), &e),
                   ZB_ERR_UNKNOWN_TABLE, e);
    require_failed(zb_db_write(db, zb_str{nullptr, 3}, r, zb_str_c("{}"), &e), ZB_ERR_MISUSE, e);
    REQUIRE(e.detail == 0);

    // read
    require_failed(zb_db_read(nullptr, t, r, &out, &e), ZB_ERR_MISUSE, e);
    REQUIRE(out.data == nullptr);
    require_failed(zb_db_read(db, t, r, nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_read(closed, t, r, &out, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_db_read(db, t, zb_str_c("missing"), &out, &e), ZB_ERR_NOT_FOUND, e);
    require_failed(zb_db_read(db, zb_str_c("no_such_table"), r, &out, &e), ZB_ERR_UNKNOWN_TABLE, e);

    // query
    require_failed(zb_db_query(nullptr, t, &out, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_query(db, t, nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_query(closed, t, &out, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_db_query(db, zb_str_c("no_such_table"), &out, &e), ZB_ERR_UNKNOWN_TABLE, e);

    // remove / restore
    require_failed(zb_db_remove(nullptr, t, r, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_remove(closed, t, r, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_db_remove(db, t, zb_str_c(""), &e), ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_db_restore(nullptr, t, r, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_restore(closed, t, r, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_db_restore(db, t, zb_str_c(""), &e), ZB_ERR_INVALID_ARGUMENT, e);

    // increment
    require_failed(zb_db_increment(nullptr, t, r, zb_str_c("c"), 1, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_increment(closed, t, r, zb_str_c("c"), 1, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_db_increment(db, t, r, zb_str_c(""), 1, &e), ZB_ERR_INVALID_ARGUMENT, e);
    const zb_status inc = zb_db_increment(db, t, r, zb_str_c("topic"), 1, &e);  // not a counter
    REQUIRE(inc != ZB_OK);
    REQUIRE(e.code == inc);

    // pending count
    int64_t n = 0;
    require_failed(zb_db_pending_count(nullptr, &n, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_pending_count(db, nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_pending_count(closed, &n, &e), ZB_ERR_CLOSED, e);

    // a success resets the dirty struct
    e = dirty_error();
    REQUIRE(zb_db_pending_count(db, &n, &e) == ZB_OK);
    require_ok_reset(e);
    zb_db_free(closed);
    zb_db_free(db);
}

TEST_CASE("db commands, conflicts, rejected: empty lists and argument errors", "[capi]") {
    Fixture f;
    zb_db* db = f.open();
    zb_db* closed = Fixture().closed();
    zb_error e = dirty_error();
    zb_bytes out{nullptr, 0};

    require_failed(
        zb_db_submit_command(nullptr, zb_str_c("dues"), zb_str_c("x"), zb_str_c("{}"), nullptr, &e),
        ZB_ERR_MISUSE, e);
    require_failed(
        zb_db_submit_command(closed, zb_str_c("dues"), zb_str_c("x"), zb_str_c("{}"), nullptr, &e),
        ZB_ERR_CLOSED, e);
    require_failed(
        zb_db_submit_command(db, zb_str_c("dues"), zb_str_c(""), zb_str_c("{}"), nullptr, &e),
        ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(
        zb_db_submit_command(db, zb_str_c("dues"), zb_str_c("x"), zb_str_c("{oops"), &out, &e),
        ZB_ERR_INVALID_ARGUMENT, e);
    REQUIRE(out.data == nullptr);
    REQUIRE(zb_db_submit_command(db, zb_str_c("dues"), zb_str_c("set_profile"),
                                 zb_str_c(R"({"person":"p1"})"), &out, &e) == ZB_OK);
    const std::string id = str(out);
    REQUIRE(!id.empty());
    zb_bytes_free(&out);
    REQUIRE(zb_db_commands(db, &out, &e) == ZB_OK);
    REQUIRE(str(out).find(id) != std::string::npos);
    REQUIRE(str(out).find(R"("status":"pending")") != std::string::npos);
    zb_bytes_free(&out);
    require_failed(zb_db_commands(nullptr, &out, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_commands(db, nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_commands(closed, &out, &e), ZB_ERR_CLOSED, e);

    REQUIRE(zb_db_conflicts(db, &out, &e) == ZB_OK);
    REQUIRE(str(out) == "[]");
    zb_bytes_free(&out);
    require_failed(zb_db_conflicts(nullptr, &out, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_conflicts(db, nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_conflicts(closed, &out, &e), ZB_ERR_CLOSED, e);

    const zb_str t = zb_str_c("meeting_minutes");
    require_failed(zb_db_resolve_conflict(nullptr, t, zb_str_c("r"), zb_str_c("minutes"),
                                          zb_str_c("\"x\""), &e),
                   ZB_ERR_MISUSE, e);
    require_failed(zb_db_resolve_conflict(closed, t, zb_str_c("r"), zb_str_c("minutes"),
                                          zb_str_c("\"x\""), &e),
                   ZB_ERR_CLOSED, e);
    require_failed(
        zb_db_resolve_conflict(db, t, zb_str_c("r"), zb_str_c("minutes"), zb_str_c("not json"), &e),
        ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_db_resolve_conflict(db, t, zb_str_c("r"), zb_str_c(""), zb_str_c("1"), &e),
                   ZB_ERR_INVALID_ARGUMENT, e);

    REQUIRE(zb_db_rejected(db, &out, &e) == ZB_OK);
    REQUIRE(str(out) == "[]");
    zb_bytes_free(&out);
    require_failed(zb_db_rejected(nullptr, &out, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_rejected(db, nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_rejected(closed, &out, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_db_dismiss_rejected(nullptr, 1, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_dismiss_rejected(closed, 1, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_db_dismiss_rejected(db, 424242, &e), ZB_ERR_NOT_FOUND, e);
    zb_db_free(closed);
    zb_db_free(db);
}

// ---- listeners -----------------------------------------------------------------------------

TEST_CASE("db listeners: delivery, removal, userdata_free exactly once", "[capi]") {
    Fixture f;
    zb_db* db = f.open();
    zb_error e = dirty_error();
    Counter c;
    zb_listener* token = nullptr;

    require_failed(zb_db_add_listener(nullptr, count_change, &c, count_free, &token, &e),
                   ZB_ERR_MISUSE, e);
    require_failed(zb_db_add_listener(db, nullptr, &c, count_free, &token, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_db_add_listener(db, count_change, &c, count_free, nullptr, &e), ZB_ERR_MISUSE,
                   e);
    REQUIRE(c.freed == 0);  // failed registration never takes ownership

    REQUIRE(zb_db_add_listener(db, count_change, &c, count_free, &token, &e) == ZB_OK);
    require_ok_reset(e);
    REQUIRE(token != nullptr);
    REQUIRE(zb_db_write(db, zb_str_c(kTable), zb_str_c("m1"), zb_str_c(R"({"topic":"a"})"), &e) ==
            ZB_OK);
    REQUIRE(wait_for([&] { return c.calls.load() >= 1; }));
    zb_listener_remove(token);
    REQUIRE(wait_for([&] { return c.freed.load() == 1; }));
    const int calls = c.calls.load();
    REQUIRE(zb_db_write(db, zb_str_c(kTable), zb_str_c("m2"), zb_str_c(R"({"topic":"b"})"), &e) ==
            ZB_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(c.calls.load() == calls);
    zb_listener_remove(nullptr);

    // A listener still registered when the db is freed is released by zb_db_free; removing its
    // token afterwards only frees the token.
    Counter c2;
    zb_listener* t2 = nullptr;
    REQUIRE(zb_db_add_listener(db, count_change, &c2, count_free, &t2, &e) == ZB_OK);
    zb_db_free(db);
    REQUIRE(c2.freed == 1);
    zb_listener_remove(t2);
    REQUIRE(c2.freed == 1);
    REQUIRE(c.freed == 1);

    // Closed db: refused, ownership stays with the caller.
    zb_db* closed = Fixture().closed();
    Counter c3;
    zb_listener* t3 = reinterpret_cast<zb_listener*>(&c3);
    require_failed(zb_db_add_listener(closed, count_change, &c3, count_free, &t3, &e),
                   ZB_ERR_CLOSED, e);
    REQUIRE(t3 == nullptr);
    REQUIRE(c3.freed == 0);
    zb_db_free(closed);
}

// ---- sync --------------------------------------------------------------------------------------

TEST_CASE("sync config: NULL and bad arguments", "[capi]") {
    zb_error e = dirty_error();
    require_failed(zb_sync_config_new(nullptr, &e), ZB_ERR_MISUSE, e);
    zb_sync_config_free(nullptr);
    zb_sync_config* c = nullptr;
    REQUIRE(zb_sync_config_new(&c, &e) == ZB_OK);
    require_ok_reset(e);
    require_failed(zb_sync_config_set_server(nullptr, zb_str_c("h"), 1, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_config_set_server(c, zb_str_c(""), 1, &e), ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_sync_config_set_server(c, zb_str_c("h"), 0, &e), ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_sync_config_add_pin(nullptr, zb_str_c("x"), &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_config_add_pin(c, zb_str_c("not-a-pin"), &e), ZB_ERR_INVALID_ARGUMENT,
                   e);
    REQUIRE(zb_sync_config_add_pin(
                c, zb_str_c("sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), &e) == ZB_OK);
    require_failed(zb_sync_config_set_enroll_code(nullptr, zb_str_c("x"), &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_config_set_enroll_code(c, zb_str_c(""), &e), ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_sync_config_set_device_name(nullptr, zb_str_c("x"), &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_config_set_plaintext(nullptr, true, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_config_set_timeout(nullptr, 1, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_config_set_timeout(c, 0, &e), ZB_ERR_INVALID_ARGUMENT, e);
    require_failed(zb_sync_config_set_transport(nullptr, nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_config_set_transport(c, nullptr, &e), ZB_ERR_MISUSE, e);
    zb_transport incomplete{};
    require_failed(zb_sync_config_set_transport(c, &incomplete, &e), ZB_ERR_MISUSE, e);
    zb_sync_config_free(c);
}

TEST_CASE("sync session: creation errors", "[capi]") {
    Fixture f;
    zb_db* db = f.open();
    zb_error e = dirty_error();
    zb_sync* sync = nullptr;
    zb_sync_config* empty = nullptr;
    REQUIRE(zb_sync_config_new(&empty, &e) == ZB_OK);
    require_failed(zb_sync_new(nullptr, empty, &sync, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_new(db, nullptr, &sync, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_new(db, empty, nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_new(db, empty, &sync, &e), ZB_ERR_INVALID_ARGUMENT, e);  // no server

    zb_sync_config* tls_no_pin = nullptr;
    REQUIRE(zb_sync_config_new(&tls_no_pin, &e) == ZB_OK);
    REQUIRE(zb_sync_config_set_server(tls_no_pin, zb_str_c("127.0.0.1"), 443, &e) == ZB_OK);
    require_failed(zb_sync_new(db, tls_no_pin, &sync, &e), ZB_ERR_INVALID_ARGUMENT, e);
    REQUIRE(zb_sync_config_set_server(tls_no_pin, zb_str_c("example.org"), 80, &e) == ZB_OK);
    REQUIRE(zb_sync_config_set_plaintext(tls_no_pin, true, &e) == ZB_OK);
    require_failed(zb_sync_new(db, tls_no_pin, &sync, &e), ZB_ERR_INVALID_ARGUMENT, e);
    REQUIRE(sync == nullptr);

    zb_sync_config* ok = plain_sync_config(dead_port());
    REQUIRE(zb_sync_new(db, ok, &sync, &e) == ZB_OK);
    require_ok_reset(e);
    zb_sync* second = nullptr;
    require_failed(zb_sync_new(db, ok, &second, &e), ZB_ERR_BUSY, e);
    zb_sync_free(sync);
    zb_sync_free(nullptr);

    zb_db* closed = Fixture().closed();
    require_failed(zb_sync_new(closed, ok, &sync, &e), ZB_ERR_CLOSED, e);
    zb_db_free(closed);
    zb_sync_config_free(ok);
    zb_sync_config_free(tls_no_pin);
    zb_sync_config_free(empty);
    zb_db_free(db);
}

TEST_CASE("sync: not enrolled, stopped server, closed db, status, listeners", "[capi]") {
    Fixture f;
    zb_db* db = f.open();
    zb_error e = dirty_error();
    zb_sync_config* cfg = plain_sync_config(dead_port());
    zb_sync* sync = nullptr;
    REQUIRE(zb_sync_new(db, cfg, &sync, &e) == ZB_OK);

    require_failed(zb_sync_once(nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_start(nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_stop(nullptr, &e), ZB_ERR_MISUSE, e);
    zb_sync_status_info info;
    require_failed(zb_sync_status(nullptr, &info, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_sync_status(sync, nullptr, &e), ZB_ERR_MISUSE, e);

    // No identity and no code: refused before any I/O.
    require_failed(zb_sync_once(sync, &e), ZB_ERR_NOT_ENROLLED, e);
    require_failed(zb_sync_start(sync, &e), ZB_ERR_NOT_ENROLLED, e);

    Counter st, pr;
    zb_listener* ts = nullptr;
    zb_listener* tp = nullptr;
    require_failed(zb_sync_add_status_listener(nullptr, count_status, &st, count_free, &ts, &e),
                   ZB_ERR_MISUSE, e);
    require_failed(zb_sync_add_status_listener(sync, nullptr, &st, count_free, &ts, &e),
                   ZB_ERR_MISUSE, e);
    require_failed(zb_sync_add_status_listener(sync, count_status, &st, count_free, nullptr, &e),
                   ZB_ERR_MISUSE, e);
    require_failed(zb_sync_add_progress_listener(nullptr, count_progress, &pr, count_free, &tp, &e),
                   ZB_ERR_MISUSE, e);
    require_failed(zb_sync_add_progress_listener(sync, nullptr, &pr, count_free, &tp, &e),
                   ZB_ERR_MISUSE, e);
    require_failed(
        zb_sync_add_progress_listener(sync, count_progress, &pr, count_free, nullptr, &e),
        ZB_ERR_MISUSE, e);
    REQUIRE(zb_sync_add_status_listener(sync, count_status, &st, count_free, &ts, &e) == ZB_OK);
    REQUIRE(zb_sync_add_progress_listener(sync, count_progress, &pr, count_free, &tp, &e) == ZB_OK);
    zb_sync_free(sync);
    sync = nullptr;
    REQUIRE(st.freed == 1);  // the session released its listeners
    REQUIRE(pr.freed == 1);
    zb_listener_remove(ts);  // owner gone: only the token is freed
    zb_listener_remove(tp);

    // With an enrollment code, the sync tries to connect: nothing listens on the port.
    REQUIRE(zb_sync_config_set_enroll_code(cfg, zb_str_c("ABCD-EFGH"), &e) == ZB_OK);
    REQUIRE(zb_sync_new(db, cfg, &sync, &e) == ZB_OK);
    Counter st2;
    zb_listener* ts2 = nullptr;
    REQUIRE(zb_sync_add_status_listener(sync, count_status, &st2, count_free, &ts2, &e) == ZB_OK);
    const auto t0 = std::chrono::steady_clock::now();
    const zb_status once = zb_sync_once(sync, &e);
    INFO(zb_status_name(once) << ": " << zb_error_message(&e));
    REQUIRE(once == ZB_ERR_NETWORK);
    REQUIRE(e.code == ZB_ERR_NETWORK);
    REQUIRE((e.flags & ZB_ERRF_TRANSIENT) != 0);
    REQUIRE(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
    e = dirty_error();
    REQUIRE(zb_sync_status(sync, &info, &e) == ZB_OK);
    require_ok_reset(e);
    REQUIRE(info.last_error.code == ZB_ERR_NETWORK);
    REQUIRE(info.pending == 0);
    REQUIRE(zb_sync_stop(sync, &e) == ZB_OK);  // not running: fine

    // Closing the db ends the session; the handle answers ZB_ERR_CLOSED.
    REQUIRE(zb_db_close(db, &e) == ZB_OK);
    require_failed(zb_sync_once(sync, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_sync_start(sync, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_sync_stop(sync, &e), ZB_ERR_CLOSED, e);
    REQUIRE(zb_sync_status(sync, &info, &e) == ZB_OK);
    REQUIRE(info.state == ZB_SYNC_STOPPED);
    zb_listener_remove(ts2);
    REQUIRE(wait_for([&] { return st2.freed.load() == 1; }));
    zb_sync_free(sync);
    zb_sync_config_free(cfg);
    zb_db_free(db);
}

// ---- platform transport ------------------------------------------------------------------

namespace {

/// A platform transport whose server is unreachable: every open is answered with
/// zb_transport_closed(ZB_ERR_NETWORK) from another thread, as a real platform would.
struct FakeTransport {
    std::atomic<int> opens{0};
    std::atomic<int> closes{0};
    std::atomic<int> disposed{0};
    std::atomic<zb_transport_conn*> last{nullptr};
    std::string last_host;

    static void open(void* u, zb_transport_conn* conn, zb_str host, uint16_t, zb_str, zb_str,
                     bool) {
        auto* self = static_cast<FakeTransport*>(u);
        self->opens++;
        self->last_host.assign(host.data, host.size);
        self->last = conn;
        std::thread([conn] {
            zb_error e;
            const zb_status st =
                zb_transport_closed(conn, ZB_ERR_NETWORK, zb_str_c("unreachable (fake)"), &e);
            (void)st;  // nothing to do on failure in a fake
        }).detach();
    }
    static void write(void*, zb_transport_conn*, const uint8_t*, size_t) {}
    static void close(void* u, zb_transport_conn*) { static_cast<FakeTransport*>(u)->closes++; }
    static void dispose(void* u) { static_cast<FakeTransport*>(u)->disposed++; }

    zb_transport vtable() {
        zb_transport t{};
        t.userdata = this;
        t.open = &FakeTransport::open;
        t.write = &FakeTransport::write;
        t.close = &FakeTransport::close;
        t.dispose = &FakeTransport::dispose;
        return t;
    }
};

}  // namespace

TEST_CASE("transport: calls back into the core, errors, dispose exactly once", "[capi]") {
    zb_error e = dirty_error();
    require_failed(zb_transport_opened(nullptr, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_transport_received(nullptr, nullptr, 0, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_transport_closed(nullptr, ZB_OK, zb_str_c(""), &e), ZB_ERR_MISUSE, e);

    // A transport set on a config that never becomes a session is disposed with the config,
    // and replacing a transport disposes the first one.
    FakeTransport a, b;
    zb_transport ta = a.vtable(), tb = b.vtable();
    zb_sync_config* cfg = plain_sync_config(9);
    REQUIRE(zb_sync_config_set_transport(cfg, &ta, &e) == ZB_OK);
    REQUIRE(zb_sync_config_set_transport(cfg, &tb, &e) == ZB_OK);
    REQUIRE(a.disposed == 1);
    zb_sync_config_free(cfg);
    REQUIRE(b.disposed == 1);

    // A session uses the platform transport: the unreachable server surfaces as ZB_ERR_NETWORK.
    Fixture f;
    zb_db* db = f.open();
    FakeTransport t;
    zb_transport tv = t.vtable();
    cfg = plain_sync_config(9);
    REQUIRE(zb_sync_config_set_enroll_code(cfg, zb_str_c("CODE"), &e) == ZB_OK);
    REQUIRE(zb_sync_config_set_transport(cfg, &tv, &e) == ZB_OK);
    zb_sync* sync = nullptr;
    REQUIRE(zb_sync_new(db, cfg, &sync, &e) == ZB_OK);
    zb_sync_config_free(cfg);
    REQUIRE(t.disposed == 0);  // moved to the session
    const zb_status once = zb_sync_once(sync, &e);
    INFO(zb_status_name(once) << ": " << zb_error_message(&e));
    REQUIRE(once == ZB_ERR_NETWORK);
    REQUIRE(t.opens >= 1);
    REQUIRE(t.last_host == "127.0.0.1");

    // The connection was reported closed: further reports on it are refused, not crashes.
    zb_transport_conn* conn = t.last.load();
    REQUIRE(conn != nullptr);
    const uint8_t byte = 1;
    require_failed(zb_transport_received(conn, &byte, 1, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_transport_received(conn, nullptr, 5, &e), ZB_ERR_MISUSE, e);
    require_failed(zb_transport_opened(conn, &e), ZB_ERR_CLOSED, e);
    require_failed(zb_transport_closed(conn, ZB_OK, zb_str_c(""), &e), ZB_ERR_CLOSED, e);

    zb_sync_free(sync);
    REQUIRE(t.disposed == 1);
    zb_db_free(db);
}
