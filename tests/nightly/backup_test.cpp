// SPDX-License-Identifier: Apache-2.0
// Encrypted backups and the restore drill: a backup decrypts to the same data; a tampered,
// truncated or wrong-key backup is refused with a clear error and nothing is overwritten; after a
// restore, devices that had synced newer data are sent to rebase (CursorExpired), may restart
// their sequence once to push their data again, and the audit chain records the restore.
#include "zb/server/backup.hpp"

#include "nightly_env.hpp"

#include "zb/server/maintenance.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

using namespace zb;
using namespace zb::protocol;
using zb::test::Dev;
using zb::test::NightlyEnv;
using zb::test::notice;

namespace fs = std::filesystem;

namespace {

server::BackupInfo backup_now(NightlyEnv& env) {
    return server::write_backup(env.db(), env.ctx->config.nightly.backup_dir, env.ctx->master_key,
                                env.ctx->config.server_id, env.ctx->store->server_device(),
                                env.ctx->store->head(), env.ctx->now_ms());
}

std::string read_all(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_all(const std::string& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << bytes;
}

bool mentions(const std::vector<Change>& cs, const std::string& row) {
    for (const auto& c : cs)
        if (c.row == row) return true;
    return false;
}

/// Audit entry kinds in chain order, read from the database file (byte 16 of each entry).
std::vector<int> audit_kinds(const std::string& db) {
    sqlite3* d = nullptr;
    REQUIRE(sqlite3_open_v2(db.c_str(), &d, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(d, "SELECT entry FROM audit ORDER BY idx", -1, &s, nullptr) ==
            SQLITE_OK);
    std::vector<int> kinds;
    while (sqlite3_step(s) == SQLITE_ROW) {
        auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 0));
        if (sqlite3_column_bytes(s, 0) > 16) kinds.push_back(p[16]);
    }
    sqlite3_finalize(s);
    sqlite3_close(d);
    return kinds;
}

}  // namespace

TEST_CASE("a backup decrypts to the database; bad backups are refused and change nothing",
          "[backup]") {
    NightlyEnv env;
    Dev a(env, "sec-a", "branch_secretary", "/u/cs/b1");
    for (int i = 0; i < 50; ++i)
        a.push(notice(a, "n" + std::to_string(i), "/u/cs/b1", std::string(3000, 'x')));
    auto b = backup_now(env);
    CHECK(b.db_bytes > 100000);  // several 64 KiB chunks
    CHECK(fs::status(b.path).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
    auto h = server::read_backup_header(b.path);
    CHECK(h.head == env.ctx->store->head());
    CHECK(h.server_device == env.ctx->store->server_device());
    // Nothing but the backup is left in the directory (no plaintext copy, no partial file).
    CHECK(std::distance(fs::directory_iterator(env.ctx->config.nightly.backup_dir),
                        fs::directory_iterator{}) == 1);
    const std::string bytes = read_all(b.path);
    CHECK(bytes.find(std::string(100, 'x')) == std::string::npos);  // encrypted

    const std::string out = env.dir.file("out.db");
    server::decrypt_backup(b.path, env.ctx->master_key, out);
    {
        sqlite3* d = nullptr;
        REQUIRE(sqlite3_open(out.c_str(), &d) == SQLITE_OK);
        sqlite3_stmt* s = nullptr;
        REQUIRE(sqlite3_prepare_v2(d, "SELECT count(*) FROM rows", -1, &s, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_step(s) == SQLITE_ROW);
        CHECK(sqlite3_column_int(s, 0) == 50);
        sqlite3_finalize(s);
        sqlite3_close(d);
    }

    const std::string bad = env.dir.file("bad.zbk");
    const std::string target = env.dir.file("target.db");
    write_all(target, "precious");
    auto refused = [&](const std::string& why) {
        INFO(why);
        CHECK_THROWS_AS(server::restore_backup(bad, target, env.ctx->master_key, 1),
                        server::BackupError);
        CHECK(read_all(target) == "precious");
        CHECK_FALSE(fs::exists(env.dir.file("bad.db")));
        for (const auto& e : fs::directory_iterator(env.dir.path()))
            CHECK(e.path().filename().string().rfind(".restore-", 0) != 0);
    };
    // One flipped bit in the middle of the ciphertext.
    std::string t = bytes;
    t[t.size() / 2] = static_cast<char>(t[t.size() / 2] ^ 1);
    write_all(bad, t);
    refused("tampered ciphertext");
    // The plaintext header is authenticated too: change the head it announces.
    t = bytes;
    auto pos = t.find("\"head\":");
    REQUIRE(pos != std::string::npos);
    t[pos + 7] = t[pos + 7] == '9' ? '8' : '9';
    write_all(bad, t);
    refused("tampered header");
    // Cut at a chunk boundary and in the middle of one.
    write_all(bad, bytes.substr(0, bytes.size() - 20));
    refused("truncated chunk");
    write_all(bad, bytes.substr(0, 16 + 65536));
    refused("truncated stream");
    write_all(bad, "not a backup at all");
    refused("bad magic");
    // The right file under another server's key.
    write_all(bad, bytes);
    auto other = server::SecretKey::generate();
    CHECK_THROWS_WITH(server::restore_backup(bad, target, other, 1),
                      Catch::Contains("authentication failed"));
    CHECK(read_all(target) == "precious");
}

TEST_CASE("prune keeps the newest backups", "[backup]") {
    NightlyEnv env;
    std::vector<std::string> made;
    for (int i = 0; i < 4; ++i) {
        env.offset_ms += 1000;  // distinct, increasing time stamps in the names
        made.push_back(backup_now(env).path);
    }
    auto removed = server::prune_backups(env.ctx->config.nightly.backup_dir, 2);
    CHECK(removed == std::vector<std::string>{made[0], made[1]});
    CHECK(server::list_backups(env.ctx->config.nightly.backup_dir) ==
          std::vector<std::string>{made[2], made[3]});
}

TEST_CASE("restore drill: devices ahead of the backup rebase and push their data again",
          "[backup][restore]") {
    NightlyEnv env;
    Dev a(env, "sec-a", "branch_secretary", "/u/cs/b1");
    Dev b(env, "sec-b", "branch_secretary", "/u/cs/b1");
    REQUIRE(a.push(notice(a, "n1", "/u/cs/b1", "in the backup")).acked_seq == 2);
    a.sync();
    b.sync();
    auto bk = backup_now(env);

    // After the backup: acknowledged to a, pulled by b, then the server's disk is lost.
    auto lost = notice(a, "n2", "/u/cs/b1", "after the backup");
    REQUIRE(a.push(lost).acked_seq == 4);
    a.sync();
    b.sync();
    const std::uint64_t a_cursor = a.cursor, b_cursor = b.cursor;
    const auto audit_before = env.ctx->store->verify_audit().entries;

    env.close();
    auto key = server::load_master_key(env.ctx_config.master_key_path(), false);
    auto rep = server::restore_backup(bk.path, env.db(), key, server::system_now_ms());
    CHECK(rep.devices == 2);
    CHECK(rep.restored_head == bk.head + server::kRestoreCursorGap);
    CHECK(fs::exists(rep.previous));  // the replaced database is kept aside
    env.reopen();
    CHECK(env.ctx->store->head() == rep.restored_head);
    CHECK_FALSE(env.ctx->store->cell("notices", "n2", "title"));
    auto audit = env.ctx->store->verify_audit();
    CHECK(audit.ok);
    CHECK(audit.entries < audit_before + 1);  // the lost entries are gone, one restore entry added
    CHECK(audit_kinds(env.db()).back() == server::kAuditBackupRestored);

    // a reconnects: the server's acked seq is behind what a was told (4), and a's cursor names
    // data the server no longer has.
    a.login();
    CHECK(a.auth.acked_seq == 2);
    Message m = a.pull_once(a_cursor);
    REQUIRE(std::holds_alternative<ErrorMsg>(m));
    CHECK(std::get<ErrorMsg>(m).code == Errc::CursorExpired);
    // a rebases (snapshot from 0) and re-sends the cells it authored that the snapshot lacks,
    // same values and clocks, under new sequence numbers: the server accepts the jump once.
    a.cursor = 0;
    auto snap = a.sync();
    CHECK(mentions(snap, "n1"));
    CHECK_FALSE(mentions(snap, "n2"));
    std::vector<Change> again = lost;
    for (auto& c : again)
        c.seq = a.seq++;
    auto ack = a.push(again);
    CHECK(ack.results.at(0).code == Errc::Ok);
    CHECK(ack.results.at(1).code == Errc::Ok);
    CHECK(ack.acked_seq == again.back().seq);
    REQUIRE(env.ctx->store->cell("notices", "n2", "title"));
    CHECK(env.ctx->store->cell("notices", "n2", "title")->hlc == lost[1].hlc);
    // The jump is allowed once: a later gap is still a gap.
    auto gap = a.push({[&] {
        auto c = a.set("notices", "n1", "title", std::string("x"));
        c.seq += 5;
        return c;
    }()});
    CHECK(gap.results.at(0).code == Errc::SequenceGap);

    // b had pulled n2 from the lost server; its cursor is in the restore gap: it rebases too and
    // now receives n2 again from a's re-push.
    b.login();
    Message mb = b.pull_once(b_cursor);
    REQUIRE(std::holds_alternative<ErrorMsg>(mb));
    CHECK(std::get<ErrorMsg>(mb).code == Errc::CursorExpired);
    b.cursor = 0;
    CHECK(mentions(b.sync(), "n2"));
    CHECK(env.ctx->store->verify_audit().ok);
}
