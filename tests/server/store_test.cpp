// SPDX-License-Identifier: Apache-2.0
// Store-level tests without sockets: SessionHandler driven directly against a temporary SQLite
// store. Covers the audit chain (alteration, removal, reordering, truncation), encryption of
// sensitive columns at rest, policy rejections, and pull paging without duplicates.
#include "server_env.hpp"

#include "zb/server/session.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <chrono>
#include <set>

using namespace zb;
using namespace zb::protocol;
using zb::test::DeviceKeys;

namespace {

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

struct Env {
    test::TempDir dir{"zb-store-test"};
    std::unique_ptr<server::ServerContext> ctx;
    Env() {
        server::Config c;
        c.tls = false;
        c.data_dir = dir.file("data");
        ctx = server::make_context(c, test::test_schema());
    }
    std::string db() const { return ctx->config.db_path(); }
};

/// A device logged in on a SessionHandler.
struct Dev {
    DeviceKeys keys = DeviceKeys::generate();
    std::unique_ptr<server::SessionHandler> h;
    std::uint64_t seq = 1;
    std::uint64_t clock = now_ms();

    Dev(Env& env, const std::string& person, const std::string& role, const std::string& org) {
        auto now = env.ctx->now_ms();
        auto code =
            env.ctx->store
                ->issue_enroll_code(server::EnrollGrant{person, role, org}, now + 60000, now)
                .value();
        h = std::make_unique<server::SessionHandler>(*env.ctx, "test");
        auto w = std::get<Welcome>(h->handle(Hello{}).messages.at(0));
        REQUIRE(std::holds_alternative<Enrolled>(
            h->handle(Enroll{code, keys.public_key, "d"}).messages.at(0)));
        Auth a;
        a.device = keys.id;
        a.signature = keys.sign(auth_payload(w.challenge, keys.id));
        REQUIRE(std::holds_alternative<AuthOk>(h->handle(a).messages.at(0)));
    }
    Change set(const std::string& t, const std::string& r, const std::string& c, Value v) {
        Change ch;
        ch.table = t;
        ch.row = r;
        ch.column = c;
        ch.value = std::move(v);
        ch.hlc = Hlc::make(++clock, 0);
        ch.origin = keys.id;
        ch.seq = seq++;
        return ch;
    }
    PushAck push(std::vector<Change> changes) {
        Push p;
        p.batch = changes.empty() ? 0 : changes.front().seq;
        p.changes = std::move(changes);
        p.signature = keys.sign(push_payload(p));
        auto r = h->handle(p);
        REQUIRE(r.messages.size() == 1);
        if (!std::holds_alternative<PushAck>(r.messages[0]))
            FAIL("expected PushAck" << test::TestClient::describe(r.messages[0]));
        return std::get<PushAck>(r.messages[0]);
    }
    Changes pull(std::uint64_t cursor, std::uint32_t limit) {
        auto r = h->handle(Pull{cursor, limit});
        return std::get<Changes>(r.messages.at(0));
    }
};

void exec(const std::string& db, const std::string& sql) {
    sqlite3* d = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &d) == SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(d, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(d);
    REQUIRE(rc == SQLITE_OK);
    INFO(msg);
}

}  // namespace

TEST_CASE("audit chain detects altered, removed, reordered and truncated entries", "[store]") {
    for (int variant = 0; variant < 5; ++variant) {
        Env env;
        {
            Dev a(env, "alice", "member", "/u/cs/b3");
            for (int i = 0; i < 3; ++i)
                a.push({a.set("profiles", "p-alice", "person", std::string("alice")),
                        a.set("profiles", "p-alice", "org", std::string("/u/cs/b3")),
                        a.set("profiles", "p-alice", "name", "Alice " + std::to_string(i))});
        }
        REQUIRE(env.ctx->store->verify_audit().ok);
        auto entries = env.ctx->store->verify_audit().entries;
        REQUIRE(entries >= 5);  // code, enroll, 3 batches
        env.ctx.reset();        // close the store before tampering
        std::string db =
            (std::filesystem::path(env.dir.path()) / "data" / "zhibu-server.db").string();
        switch (variant) {
            case 0:  // altered: flip a byte of entry 3
                exec(db,
                     "UPDATE audit SET entry = CAST(substr(entry,1,20) || X'FF' || "
                     "substr(entry,22) AS BLOB) WHERE idx=3");
                break;
            case 1:  // removed from the middle
                exec(db, "DELETE FROM audit WHERE idx=3");
                break;
            case 2:  // reordered: swap entries 3 and 4 (with their hashes)
                exec(db,
                     "UPDATE audit SET idx=-1 WHERE idx=3; UPDATE audit SET idx=3 WHERE idx=4; "
                     "UPDATE audit SET idx=4 WHERE idx=-1;");
                break;
            case 3:  // truncated at the end
                exec(db, "DELETE FROM audit WHERE idx=(SELECT max(idx) FROM audit)");
                break;
            case 4:  // untouched
                break;
        }
        server::Config c;
        c.tls = false;
        c.data_dir = env.dir.file("data");
        auto ctx2 = server::make_context(c, test::test_schema());
        auto rep = ctx2->store->verify_audit();
        INFO("variant " << variant << ": " << rep.message);
        CHECK(rep.ok == (variant == 4));
    }
}

TEST_CASE("sensitive columns are encrypted at rest", "[store]") {
    Env env;
    Dev a(env, "alice", "member", "/u/cs/b3");
    auto ack = a.push({a.set("profiles", "p1", "person", std::string("alice")),
                       a.set("profiles", "p1", "org", std::string("/u/cs/b3")),
                       a.set("profiles", "p1", "id_number", std::string("320102199001011234"))});
    for (auto& r : ack.results)
        CHECK(r.code == Errc::Ok);
    auto cell = env.ctx->store->cell("profiles", "p1", "id_number");
    REQUIRE(cell);
    CHECK(std::get<std::string>(cell->value) == "320102199001011234");

    sqlite3* d = nullptr;
    REQUIRE(sqlite3_open_v2(env.db().c_str(), &d, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(d,
                               "SELECT count(*) FROM cells WHERE CAST(v AS BLOB) LIKE "
                               "'%199001011234%' OR enc=0 AND col='id_number'",
                               -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    CHECK(sqlite3_column_int(s, 0) == 0);
    sqlite3_finalize(s);
    REQUIRE(sqlite3_prepare_v2(d,
                               "SELECT count(*) FROM changelog WHERE CAST(v AS BLOB) LIKE "
                               "'%199001011234%'",
                               -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    CHECK(sqlite3_column_int(s, 0) == 0);
    sqlite3_finalize(s);
    sqlite3_close(d);
}

TEST_CASE("policy rejections: server columns, append-only, non-deletable, clock, table",
          "[store]") {
    Env env;
    Dev a(env, "alice", "member", "/u/cs/b3");
    auto ack = a.push({a.set("ledger", "l1", "person", std::string("alice")),
                       a.set("ledger", "l1", "org", std::string("/u/cs/b3")),
                       a.set("ledger", "l1", "amount", std::int64_t{50})});
    for (auto& r : ack.results)
        CHECK(r.code == Errc::Ok);

    Change late = a.set("ledger", "l1", "amount", std::int64_t{5});
    Change del = a.set("ledger", "l1", "", Value{});
    del.op = Op::Delete;
    Change status = a.set("profiles", "p1", "status", std::string("full"));
    Change ahead = a.set("notices", "n1", "title", std::string("x"));
    ahead.hlc = Hlc::make(now_ms() + 3600 * 1000, 0);
    Change unknown = a.set("nope", "r", "c", std::int64_t{1});
    Change cmd = a.set("dues", "", "pay", std::string("{}"));
    cmd.op = Op::Command;
    ack = a.push({late, del, status, ahead, unknown, cmd});
    REQUIRE(ack.results.size() == 6);
    CHECK(ack.results[0].code == Errc::AppendOnlyViolation);
    CHECK(ack.results[1].code == Errc::AppendOnlyViolation);
    CHECK(ack.results[2].code == Errc::ServerAuthoritative);
    CHECK(ack.results[3].code == Errc::ClockAhead);
    CHECK(ack.results[4].code == Errc::UnknownTable);
    CHECK(ack.results[5].code == Errc::RuleViolation);
    CHECK(ack.acked_seq == cmd.seq);  // rejected changes are settled too
    CHECK(std::get<std::int64_t>(env.ctx->store->cell("ledger", "l1", "amount")->value) == 50);
}

TEST_CASE("commands run through the registry and write server-origin state", "[store]") {
    struct SetStatus : server::CommandHandler {
        Result<std::vector<server::CommandWrite>> handle(const server::CommandContext& ctx,
                                                         const Change& cmd) override {
            if (!ctx.principal.officer()) return make_error(Errc::Forbidden, "officers only");
            return std::vector<server::CommandWrite>{{"profiles", std::get<std::string>(cmd.value),
                                                      "status", Op::Set,
                                                      Value{std::string("full")}}};
        }
    };
    Env env;
    env.ctx->commands.add("membership", "confirm", std::make_shared<SetStatus>());
    Dev m(env, "alice", "member", "/u/cs/b3");
    Dev s(env, "sec", "branch_secretary", "/u/cs/b3");
    m.push({m.set("profiles", "p1", "person", std::string("alice")),
            m.set("profiles", "p1", "org", std::string("/u/cs/b3"))});
    Change c1 = m.set("membership", "", "confirm", std::string("p1"));
    c1.op = Op::Command;
    CHECK(m.push({c1}).results.at(0).code == Errc::Forbidden);
    Change c2 = s.set("membership", "", "confirm", std::string("p1"));
    c2.op = Op::Command;
    CHECK(s.push({c2}).results.at(0).code == Errc::Ok);
    auto cell = env.ctx->store->cell("profiles", "p1", "status");
    REQUIRE(cell);
    CHECK(std::get<std::string>(cell->value) == "full");
    CHECK(cell->origin == env.ctx->store->server_device());
}

TEST_CASE("pull pages never repeat a cell and report progress", "[store]") {
    Env env;
    Dev s(env, "sec", "branch_secretary", "/u/cs/b3");
    std::vector<Change> batch;
    for (int i = 0; i < 120; ++i) {
        std::string row = "n" + std::to_string(i);
        batch.push_back(s.set("notices", row, "org", std::string("/u/cs/b3")));
        batch.push_back(s.set("notices", row, "title", "t" + std::to_string(i)));
    }
    s.push(batch);
    // Rewrite some titles: the latest value only, once.
    std::vector<Change> again;
    for (int i = 0; i < 120; i += 3)
        again.push_back(s.set("notices", "n" + std::to_string(i), "title", std::string("new")));
    s.push(again);

    std::uint64_t cursor = 0;
    std::set<std::string> seen;
    std::uint64_t total = 0, done = 0;
    std::size_t changes = 0;
    for (;;) {
        auto page = s.pull(cursor, 50);
        for (auto& c : page.changes) {
            CHECK(seen.insert(c.row + "/" + c.column).second);
            if (c.column == "title" && std::stoi(c.row.substr(1)) % 3 == 0)
                CHECK(std::get<std::string>(c.value) == "new");
        }
        changes += page.changes.size();
        if (total) CHECK(page.total == total);
        total = page.total;
        done = page.done;
        cursor = page.cursor;
        if (!page.has_more) break;
    }
    CHECK(changes == 240);
    CHECK(total == 240);
    CHECK(done == total);
}
