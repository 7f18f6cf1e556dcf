// SPDX-License-Identifier: Apache-2.0
// The nightly job on a real SQLite store: the horizon over devices' pull cursors, tombstone
// collection only below it and after the retention, change-log folding, devices offline past
// max_offline_days left out of the horizon and sent to rebase (CursorExpired), analytics tasks,
// the backup written and pruned, the JSON report.
#include "zb/server/nightly.hpp"

#include "nightly_env.hpp"

#include "zb/server/backup.hpp"
#include "zb/server/maintenance.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

using namespace zb;
using namespace zb::protocol;
using zb::test::Dev;
using zb::test::kDay;
using zb::test::NightlyEnv;
using zb::test::notice;

namespace {

bool has_title(server::ServerContext& ctx, const std::string& row) {
    return ctx.store->cell("notices", row, "title").has_value();
}

bool mentions(const std::vector<Change>& cs, const std::string& row) {
    for (const auto& c : cs)
        if (c.row == row) return true;
    return false;
}

}  // namespace

TEST_CASE("nightly collects old tombstones below the horizon and folds the change log",
          "[nightly]") {
    NightlyEnv env;
    Dev a(env, "sec-a", "branch_secretary", "/u/cs/b1");
    Dev b(env, "sec-b", "branch_secretary", "/u/cs/b1");
    auto n1 = notice(a, "n1", "/u/cs/b1", "meeting moved");
    auto n2 = notice(a, "n2", "/u/cs/b1", "dues reminder");
    n1.insert(n1.end(), n2.begin(), n2.end());
    REQUIRE(a.push(n1).acked_seq == 4);
    REQUIRE(a.push({a.op(Op::Delete, "notices", "n1")}).results.at(0).code == Errc::Ok);
    a.sync();
    b.sync();

    // The same night: the delete is younger than the retention, so it waits.
    int analytics_runs = 0;
    std::vector<server::NightlyTask> tasks{
        {"count", [&](server::ServerContext&, std::uint64_t) { ++analytics_runs; }}};
    std::vector<std::string> progress;
    server::NightlyOptions opt;
    opt.progress = [&](const std::string& l) { progress.push_back(l); };
    auto r0 = server::run_nightly(*env.ctx, tasks, opt);
    INFO(r0.dump(2));
    CHECK(r0["ok"] == true);
    CHECK(r0["collect"]["tombstones_collected"] == 0);
    CHECK(r0["collect"]["tombstones_waiting"] == 1);
    CHECK(r0["collect"]["changelog_folded"] == 0);  // all younger than the history retention
    CHECK(analytics_runs == 1);
    CHECK(r0["tasks"][0]["name"] == "count");
    CHECK(r0["horizon"]["devices"] == 2);
    CHECK(r0["horizon"]["horizon"] == env.ctx->store->head());
    CHECK(std::filesystem::exists(r0["backup"]["path"].get<std::string>()));
    CHECK(!progress.empty());

    // 31 days later the delete is past the 30-day retention and both devices have pulled it.
    env.offset_ms = 31 * kDay;
    auto r1 = server::run_nightly(*env.ctx, tasks, opt);
    INFO(r1.dump(2));
    CHECK(r1["ok"] == true);
    CHECK(r1["collect"]["tombstones_collected"] == 1);
    CHECK(r1["collect"]["tombstones_waiting"] == 0);
    CHECK(r1["collect"]["history_collected"] == 3);  // n1: org, title, delete
    CHECK(r1["collect"]["changelog_folded"] == 2);   // n2's two entries; its cells remain
    CHECK(r1["collect"]["cursor_floor"].get<std::uint64_t>() > 0);
    CHECK_FALSE(has_title(*env.ctx, "n1"));
    CHECK(env.ctx->store->cell("notices", "n2", "title")->value ==
          Value{std::string("dues reminder")});
    CHECK(server::row_history(*env.ctx->store, env.ctx->master_key, "notices", "n1").empty());
    CHECK(analytics_runs == 2);

    // Replays after folding still settle as before: the device's settled seq is kept.
    a.login();
    auto replay = a.push({n2[0]});
    CHECK(replay.results.at(0).code == Errc::Ok);
    CHECK(replay.acked_seq == 5);

    // A third run prunes to `keep` (2) backups.
    auto r2 = server::run_nightly(*env.ctx, tasks, opt);
    CHECK(r2["ok"] == true);
    CHECK(server::list_backups(env.ctx->config.nightly.backup_dir).size() == 2);
    CHECK(r2["pruned"].size() == 1);
    CHECK(env.ctx->store->verify_audit().ok);
}

TEST_CASE("a device that has not pulled a delete holds its collection back", "[nightly]") {
    NightlyEnv env;
    Dev a(env, "sec-a", "branch_secretary", "/u/cs/b1");
    Dev b(env, "sec-b", "branch_secretary", "/u/cs/b1");
    b.sync();  // b's cursor is recorded before the row exists
    REQUIRE(a.push(notice(a, "n1", "/u/cs/b1", "draft")).acked_seq == 2);
    REQUIRE(a.push({a.op(Op::Delete, "notices", "n1")}).acked_seq == 3);
    a.sync();

    env.offset_ms = 31 * kDay;
    server::NightlyOptions opt;
    opt.backup = false;
    auto r = server::run_nightly(*env.ctx, {}, opt);
    INFO(r.dump(2));
    CHECK(r["horizon"]["horizon"].get<std::uint64_t>() < env.ctx->store->head());
    CHECK(r["collect"]["tombstones_collected"] == 0);
    CHECK(r["collect"]["tombstones_waiting"] == 1);
    CHECK(r["collect"]["history_kept_for_undo"] == 3);  // a deleted row keeps its history
    CHECK(server::row_history(*env.ctx->store, env.ctx->master_key, "notices", "n1").size() == 3);

    b.login();
    auto seen = b.sync();
    CHECK(mentions(seen, "n1"));  // b learns of the row and its delete
    auto r2 = server::run_nightly(*env.ctx, {}, opt);
    INFO(r2.dump(2));
    CHECK(r2["collect"]["tombstones_collected"] == 1);
}

TEST_CASE("a device offline past max_offline_days is left out and must rebase", "[nightly]") {
    NightlyEnv env;
    Dev a(env, "sec-a", "branch_secretary", "/u/cs/b1");
    Dev c(env, "sec-c", "branch_secretary", "/u/cs/b1");
    REQUIRE(a.push(notice(a, "n2", "/u/cs/b1", "kept")).acked_seq == 2);
    c.sync();
    const std::uint64_t c_cursor = c.cursor;
    REQUIRE(c_cursor > 0);
    REQUIRE(a.push(notice(a, "n3", "/u/cs/b1", "short-lived")).acked_seq == 4);
    REQUIRE(a.push({a.op(Op::Delete, "notices", "n3")}).acked_seq == 5);

    // 100 days on, a keeps syncing; c has not been seen since day 0.
    env.offset_ms = 100 * kDay;
    a.login();
    a.sync();
    server::NightlyOptions opt;
    opt.backup = false;
    auto r = server::run_nightly(*env.ctx, {}, opt);
    INFO(r.dump(2));
    CHECK(r["horizon"]["devices"] == 1);
    CHECK(r["horizon"]["stale_devices"] == 1);
    CHECK(r["collect"]["tombstones_collected"] == 1);
    const auto floor = r["collect"]["cursor_floor"].get<std::uint64_t>();
    CHECK(floor > c_cursor);

    // c comes back: its cursor cannot be served incrementally (it would never hear of n3's
    // delete); the session stays open and a snapshot from 0 is served.
    c.login();
    Message m = c.pull_once(c_cursor);
    REQUIRE(std::holds_alternative<ErrorMsg>(m));
    CHECK(std::get<ErrorMsg>(m).code == Errc::CursorExpired);
    Message snap = c.pull_once(0);
    REQUIRE(std::holds_alternative<Changes>(snap));
    CHECK(mentions(std::get<Changes>(snap).changes, "n2"));
    CHECK_FALSE(mentions(std::get<Changes>(snap).changes, "n3"));
    // A device at or above the floor keeps pulling incrementally.
    CHECK(std::holds_alternative<Changes>(a.pull_once(a.cursor)));
}

TEST_CASE("nightly schedule arithmetic and the scheduler's on-demand run", "[nightly]") {
    const std::uint64_t midnight = 20000ull * kDay;  // a UTC midnight
    CHECK(server::ms_until_next(midnight, 150) == 150ull * 60000);
    CHECK(server::ms_until_next(midnight + 150ull * 60000, 150) ==
          static_cast<std::uint64_t>(kDay));
    CHECK(server::ms_until_next(midnight + 151ull * 60000, 150) == kDay - 60000ull);

    NightlyEnv env;
    env.ctx->config.nightly.backup_dir.clear();  // no backup: this run only collects
    int runs = 0;
    server::NightlyScheduler s(*env.ctx,
                               {{"t", [&](server::ServerContext&, std::uint64_t) { ++runs; }}});
    s.start();
    s.trigger();
    for (int i = 0; i < 500 && s.reports().empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    s.stop();
    REQUIRE(s.reports().size() == 1);
    CHECK(s.reports()[0]["ok"] == true);
    CHECK_FALSE(s.reports()[0].contains("backup"));
    CHECK(runs == 1);
}
