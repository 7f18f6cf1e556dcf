// SPDX-License-Identifier: Apache-2.0
// Real phones (Replica + the sans-I/O SyncEngine) against the server's SessionHandler on a real
// store: a phone offline past the horizon with unsynced changes rebases and ends with exactly the
// server's rows without losing its own; after a restore from backup, phones push what the lost
// server had acknowledged and everyone converges again (protocol/SPEC.md §9.1).
#include "nightly_env.hpp"

#include "zb/core/replica.hpp"
#include "zb/core/sync_engine.hpp"
#include "zb/server/backup.hpp"
#include "zb/server/nightly.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <map>

using namespace zb;
using namespace zb::protocol;
using zb::test::Dev;
using zb::test::kDay;
using zb::test::NightlyEnv;
using zb::test::notice;

namespace {

merge::Schema phone_schema() {
    merge::Schema s(1);
    merge::TableDef n;
    n.name = "notices";
    n.columns = {{"org", merge::Policy::Lww, false},
                 {"title", merge::Policy::Lww, false},
                 {"body", merge::Policy::Lww, false}};
    s.add(n);
    return s;
}

/// A phone: its replica file, its engine, and one session at a time with the server.
struct Phone {
    NightlyEnv& env;
    std::unique_ptr<core::Replica> rep;
    std::unique_ptr<core::SyncEngine> eng;

    Phone(NightlyEnv& e, const std::string& person, const std::string& org, const std::string& file)
        : env(e) {
        core::Options o;
        o.path = e.dir.file(file);
        o.schema = phone_schema();
        o.now_ms = [&e] { return e.ctx->now_ms(); };
        auto r = core::Replica::open(std::move(o));
        REQUIRE(r.ok());
        rep = std::move(r).value();
        core::SyncOptions so;
        const auto now = e.ctx->now_ms();
        so.enroll_code =
            e.ctx->store
                ->issue_enroll_code(server::EnrollGrant{person, "branch_secretary", org},
                                    now + kDay, now)
                .value();
        eng = std::make_unique<core::SyncEngine>(*rep, so);
    }

    /// Connect, run the session until nothing is in flight, disconnect. A session the engine
    /// ends (a token the restored server never issued) is followed by a new connection, as the
    /// phone's driver would do after its backoff.
    void sync() {
        for (int attempt = 0;; ++attempt) {
            REQUIRE(attempt < 3);
            if (run_session()) return;
        }
    }

    bool run_session() {
        server::SessionHandler h(*env.ctx, "phone");
        std::deque<Message> to_server;
        for (auto& m : eng->on_connected(env.ctx->now_ms()))
            to_server.push_back(std::move(m));
        for (int steps = 0; !to_server.empty(); ++steps) {
            REQUIRE(steps < 10000);
            auto reply = h.handle(to_server.front());
            to_server.pop_front();
            for (const auto& m : reply.messages)
                for (auto& out : eng->on_message(m, env.ctx->now_ms()))
                    to_server.push_back(std::move(out));
            if (eng->should_close()) {
                eng->on_disconnected(env.ctx->now_ms());
                return false;
            }
        }
        INFO(eng->status().error_message);
        CHECK(eng->status().state == core::SyncState::Idle);
        for (auto& m : eng->stop(env.ctx->now_ms()))
            (void)h.handle(m);
        eng->on_disconnected(env.ctx->now_ms());
        eng->resume(env.ctx->now_ms());
        return true;
    }

    std::map<std::string, std::string> titles() {
        std::map<std::string, std::string> out;
        auto rows = rep->scan("notices");
        REQUIRE(rows.ok());
        for (const auto& r : rows.value()) {
            auto it = r.values.find("title");
            out[r.id] = it != r.values.end() && it->second.index() == 3
                            ? std::get<std::string>(it->second)
                            : "";
        }
        return out;
    }
};

/// Every live notice on the server, as a fresh device sees it (a pull from 0).
std::map<std::string, std::string> server_titles(NightlyEnv& env) {
    Dev probe(env, "probe-" + std::to_string(env.ctx->now_ms()), "branch_secretary", "/u/cs/b1");
    std::map<std::string, std::string> title;
    std::map<std::string, bool> alive;
    for (const auto& c : probe.sync()) {
        if (c.op == Op::Delete) alive[c.row] = false;
        if (c.op == Op::Restore) alive[c.row] = true;
        if (c.op == Op::Set && c.column == "title") {
            title[c.row] = std::get<std::string>(c.value);
            alive.emplace(c.row, true);
        }
    }
    std::map<std::string, std::string> out;
    for (const auto& [row, t] : title)
        if (alive[row]) out[row] = t;
    return out;
}

core::Values notice_values(const std::string& title) {
    return core::Values{{"org", Value{std::string("/u/cs/b1")}}, {"title", Value{title}}};
}

}  // namespace

TEST_CASE("a phone offline past the horizon rebases, keeps its unsynced changes and converges",
          "[rebase]") {
    NightlyEnv env;
    Dev a(env, "sec-a", "branch_secretary", "/u/cs/b1");
    Phone p(env, "sec-p", "/u/cs/b1", "p.db");
    for (const char* n : {"n1", "n2", "n3"})
        REQUIRE(a.push(notice(a, n, "/u/cs/b1", std::string("from a ") + n)).results.size() == 2);
    p.sync();
    CHECK(p.titles().size() == 3);

    // Offline: p edits n2 and creates n4; meanwhile a deletes n1 and keeps syncing.
    REQUIRE(p.rep->write("notices", "n2", {{"title", Value{std::string("p offline edit")}}}).ok());
    REQUIRE(p.rep->write("notices", "n4", notice_values("p new")).ok());
    REQUIRE(a.push({a.op(Op::Delete, "notices", "n1")}).results.at(0).code == Errc::Ok);
    a.sync();

    // 100 days later p has not been seen for longer than max_offline_days (90): the nightly job
    // collects n1's tombstone without waiting for it.
    env.offset_ms = 100 * kDay;
    a.login();
    a.sync();
    server::NightlyOptions opt;
    opt.backup = false;
    auto rep = server::run_nightly(*env.ctx, {}, opt);
    INFO(rep.dump(2));
    REQUIRE(rep["collect"]["tombstones_collected"] == 1);
    REQUIRE(rep["horizon"]["stale_devices"] == 1);

    // p returns: pushes its outbox, is told its cursor expired, rebases onto the snapshot.
    p.sync();
    CHECK(p.rep->outbox_size().value() == 0);
    const auto server = server_titles(env);
    CHECK(server == std::map<std::string, std::string>{
                        {"n2", "p offline edit"}, {"n3", "from a n3"}, {"n4", "p new"}});
    CHECK(p.titles() == server);  // n1 is gone from the phone too, nothing of p's was lost
}

TEST_CASE("restore drill with phones: acknowledged data comes back from the devices",
          "[rebase][restore]") {
    NightlyEnv env;
    Phone p(env, "sec-p", "/u/cs/b1", "p.db");
    Phone q(env, "sec-q", "/u/cs/b1", "q.db");
    REQUIRE(p.rep->write("notices", "n1", notice_values("before the backup")).ok());
    p.sync();
    q.sync();  // enrolled before the backup (a device enrolled later must enroll again)
    auto bk = server::write_backup(env.db(), env.ctx->config.nightly.backup_dir,
                                   env.ctx->master_key, "zhibu", env.ctx->store->server_device(),
                                   env.ctx->store->head(), env.ctx->now_ms());

    // Acknowledged to p and pulled by q, then the server's disk is lost.
    REQUIRE(p.rep->write("notices", "n2", notice_values("after the backup")).ok());
    REQUIRE(p.rep->write("notices", "n1", {{"title", Value{std::string("edited after")}}}).ok());
    p.sync();
    CHECK(p.rep->outbox_size().value() == 0);
    q.sync();
    CHECK(q.titles().size() == 2);

    env.close();
    auto key = server::load_master_key(env.ctx_config.master_key_path(), false);
    server::restore_backup(bk.path, env.db(), key, server::system_now_ms());
    env.reopen();
    CHECK(server_titles(env) == std::map<std::string, std::string>{{"n1", "before the backup"}});

    // p learns from auth_ok that the server lost what it had acknowledged, rebases and re-sends
    // its own cells; q's cursor is in the restore gap, so q rebases and receives them.
    p.sync();
    q.sync();
    const std::map<std::string, std::string> want{{"n1", "edited after"},
                                                  {"n2", "after the backup"}};
    CHECK(server_titles(env) == want);
    CHECK(p.titles() == want);
    CHECK(q.titles() == want);
    CHECK(p.rep->outbox_size().value() == 0);
    CHECK(env.ctx->store->verify_audit().ok);
}
