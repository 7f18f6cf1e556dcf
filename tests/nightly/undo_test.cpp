// SPDX-License-Identifier: Apache-2.0
// Undo of human error: a delete is soft (the row keeps its cells and its version history), and a
// deleted record is restored only by an officer in scope who is not the person who deleted it;
// every accepted restore is an audit chain entry.
#include "nightly_env.hpp"

#include "zb/server/maintenance.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

using namespace zb;
using namespace zb::protocol;
using zb::test::Dev;
using zb::test::NightlyEnv;
using zb::test::notice;

namespace {

/// (kind, note) of every audit entry, read from the database file.
std::vector<std::pair<int, std::string>> audit_entries(const std::string& db) {
    sqlite3* d = nullptr;
    REQUIRE(sqlite3_open_v2(db.c_str(), &d, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(d, "SELECT entry FROM audit ORDER BY idx", -1, &s, nullptr) ==
            SQLITE_OK);
    std::vector<std::pair<int, std::string>> out;
    while (sqlite3_step(s) == SQLITE_ROW) {
        auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 0));
        const int n = sqlite3_column_bytes(s, 0);
        // The note is the entry's last field: u64 length then bytes (audit_entry_bytes()).
        std::string all(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
        out.emplace_back(p[16], all);
    }
    sqlite3_finalize(s);
    sqlite3_close(d);
    return out;
}

}  // namespace

TEST_CASE("restoring a deleted record: another officer may, the deleter and members may not",
          "[undo]") {
    NightlyEnv env;
    Dev s1(env, "sec-1", "branch_secretary", "/u/cs/b1");
    Dev s2(env, "sec-2", "branch_secretary", "/u/cs/b1");
    Dev outsider(env, "sec-9", "branch_secretary", "/u/law/b9");
    Dev member(env, "mem-1", "member", "/u/cs/b1");
    REQUIRE(s1.push(notice(s1, "n1", "/u/cs/b1", "v1")).acked_seq == 2);
    REQUIRE(s1.push({s1.set("notices", "n1", "title", std::string("v2"))}).acked_seq == 3);
    REQUIRE(s1.push({s1.op(Op::Delete, "notices", "n1")}).results.at(0).code == Errc::Ok);
    // Soft delete: the cells stay.
    CHECK(env.ctx->store->cell("notices", "n1", "title")->value == Value{std::string("v2")});

    // Version history, oldest first, with who did what.
    auto hist = server::row_history(*env.ctx->store, env.ctx->master_key, "notices", "n1");
    REQUIRE(hist.size() == 4);
    CHECK(hist[1].column == "title");
    CHECK(hist[1].value == Value{std::string("v1")});
    CHECK(hist[2].value == Value{std::string("v2")});
    CHECK(hist[3].op == Op::Delete);
    CHECK(hist[3].person == "sec-1");

    auto restore = [&](Dev& d) {
        return d.push({d.op(Op::Restore, "notices", "n1")}).results.at(0);
    };
    auto own = restore(s1);
    CHECK(own.code == Errc::Forbidden);
    CHECK(own.message.find("someone other than") != std::string::npos);
    CHECK(restore(member).code == Errc::Forbidden);
    CHECK(restore(outsider).code == Errc::OutOfScope);
    auto kinds_before = audit_entries(env.db()).size();

    auto ok = restore(s2);
    CHECK(ok.code == Errc::Ok);
    // The row is visible again with its last values: a pull shows the restore mark.
    std::uint64_t cursor = 0;
    bool restored_seen = false;
    for (const auto& c : s2.sync())
        restored_seen = restored_seen || (c.row == "n1" && c.op == Op::Restore);
    CHECK(restored_seen);
    (void)cursor;
    auto entries = audit_entries(env.db());
    REQUIRE(entries.size() == kinds_before + 2);  // the restore, then its batch
    const auto& [kind, bytes] = entries[kinds_before];
    CHECK(kind == server::kAuditRestoreRow);
    CHECK(bytes.find("restore table=notices row=n1 by=sec-2 deleted_by=sec-1") !=
          std::string::npos);
    CHECK(env.ctx->store->verify_audit().ok);

    // History records the restore too.
    auto after = server::row_history(*env.ctx->store, env.ctx->master_key, "notices", "n1");
    REQUIRE(after.size() == 5);
    CHECK(after.back().op == Op::Restore);
    CHECK(after.back().person == "sec-2");
}

TEST_CASE("a member's own deleted row is restored by an officer; sensitive history is opened",
          "[undo]") {
    NightlyEnv env;
    Dev m(env, "mem-1", "member", "/u/cs/b1");
    Dev sec(env, "sec-1", "branch_secretary", "/u/cs/b1");
    REQUIRE(m.push({m.set("profiles", "p1", "person", std::string("mem-1")),
                    m.set("profiles", "p1", "org", std::string("/u/cs/b1")),
                    m.set("profiles", "p1", "id_number", std::string("110101199001011234"))})
                .acked_seq == 3);
    REQUIRE(m.push({m.op(Op::Delete, "profiles", "p1")}).results.at(0).code == Errc::Ok);
    CHECK(m.push({m.op(Op::Restore, "profiles", "p1")}).results.at(0).code == Errc::Forbidden);
    auto hist = server::row_history(*env.ctx->store, env.ctx->master_key, "profiles", "p1");
    bool found = false;
    for (const auto& h : hist)
        found = found ||
                (h.column == "id_number" && h.value == Value{std::string("110101199001011234")});
    CHECK(found);
    CHECK(sec.push({sec.op(Op::Restore, "profiles", "p1")}).results.at(0).code == Errc::Ok);
}
