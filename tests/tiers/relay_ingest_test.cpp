// SPDX-License-Identifier: Apache-2.0
// relay_ingest() on a real SQLite store (no network): the upstream half of tiers. A college
// server's RelayPush carries other devices' changes with their own origins and seqs; the upstream
// checks the college's subtree on the stored and incoming rows, settles each (origin, seq) once,
// keeps origins (so counters sum per origin across tiers) and chains each batch into the audit log.
#include "tier_env.hpp"

#include "zb/server/relay.hpp"
#include "zb/server/scope.hpp"

#include <catch2/catch.hpp>

namespace zp = zb::protocol;
namespace zs = zb::server;

namespace {

constexpr zp::DeviceId kPhone1 = 0x1001;
constexpr zp::DeviceId kPhone2 = 0x1002;

struct Upstream {
    zb::test::TempDir dir{"zb-relay-ingest"};
    std::unique_ptr<zs::ServerContext> ctx;
    zs::UpstreamKey key;
    zs::Principal college;
    std::uint64_t batch = 1;
    std::uint64_t millis = 0;

    explicit Upstream(const std::string& role = "college_server") {
        zs::Config c;
        c.data_dir = dir.file("data");
        c.log_level = "error";
        ctx = zs::make_context(c, zb::test::tier_schema());
        key = zs::load_or_create_upstream_key(dir.file("college.key"));
        const auto now = ctx->now_ms();
        millis = now;
        auto code = ctx->store->issue_enroll_code(zs::EnrollGrant{"college-a", role, "/u/a"},
                                                  now + 60000, now);
        REQUIRE(code.ok());
        auto rec = ctx->store->enroll(code.value(), key.public_key, "college A", now);
        REQUIRE(rec.ok());
        CHECK(rec->id == key.id());
        college = zs::make_principal(rec->id, rec->person, *zs::parse_role(role), rec->org);
    }

    zp::Change change(zp::DeviceId origin, std::uint64_t seq, std::string table, std::string row,
                      std::string column, zp::Value v, zp::Op op = zp::Op::Set) {
        zp::Change c;
        c.table = std::move(table);
        c.row = std::move(row);
        c.column = std::move(column);
        c.op = op;
        c.value = std::move(v);
        c.hlc = zp::Hlc::make(++millis, 0);
        c.origin = origin;
        c.seq = seq;
        return c;
    }

    zp::RelayPush sign(std::vector<zp::Change> cs) {
        zp::RelayPush p{batch++, std::move(cs), {}};
        p.signature = key.sign(zp::relay_payload(p));
        return p;
    }

    zs::RelayIngestResult relay(std::vector<zp::Change> cs) {
        auto r = zs::relay_ingest(*ctx, college, sign(std::move(cs)));
        REQUIRE(r.ok());
        return std::move(r.value());
    }
};

zp::Value text(const char* s) {
    return zp::Value{std::string(s)};
}

}  // namespace

TEST_CASE("relay outside the college's subtree is refused whole: 0 acceptances",
          "[unit][tiers][relay]") {
    Upstream u;
    auto r = u.relay({u.change(kPhone1, 1, "notes", "n1", "org", text("/u/b/b1")),
                      u.change(kPhone1, 2, "notes", "n1", "title", text("elsewhere")),
                      u.change(kPhone2, 7, "notes", "n2", "title", text("no org at all"))});
    CHECK(r.accepted == 0);
    CHECK(r.rejected == 3);
    REQUIRE(r.ack.results.size() == 3);
    for (const auto& res : r.ack.results)
        CHECK(res.code == zp::Errc::OutOfScope);
    CHECK(r.ack.results[2].origin == kPhone2);
    CHECK(r.ack.results[2].seq == 7);
    CHECK(u.ctx->store->accepted_changes() == 0);
    CHECK_FALSE(u.ctx->store->cell("notes", "n1", "title"));
    CHECK_FALSE(r.commit);

    // Moving a stored row of the subtree out of it is refused too (checked on the stored row).
    REQUIRE(u.relay({u.change(kPhone1, 3, "notes", "n3", "org", text("/u/a/b1"))}).accepted == 1);
    auto move = u.relay({u.change(kPhone1, 4, "notes", "n3", "org", text("/u/b/b1"))});
    CHECK(move.accepted == 0);
    CHECK(move.ack.results.at(0).code == zp::Errc::OutOfScope);
    CHECK(std::get<std::string>(u.ctx->store->cell("notes", "n3", "org")->value) == "/u/a/b1");
}

TEST_CASE("a replayed relay batch is idempotent per (origin, seq)", "[unit][tiers][relay]") {
    Upstream u;
    std::vector<zp::Change> cs{u.change(kPhone1, 1, "notes", "n1", "org", text("/u/a/b1")),
                               u.change(kPhone1, 2, "notes", "n1", "title", text("first")),
                               u.change(kPhone2, 5, "notes", "n9", "title", text("no org"))};
    auto first = u.relay(cs);
    CHECK(first.accepted == 2);
    CHECK(first.rejected == 1);
    const auto accepted = u.ctx->store->accepted_changes();
    const auto head = u.ctx->store->head();
    const auto audit = u.ctx->store->verify_audit().entries;

    // The RelayAck was lost: the college sends the same changes again (in another batch).
    auto again = u.relay(cs);
    CHECK(again.ack.results == first.ack.results);
    CHECK(again.accepted == 0);
    CHECK(again.rejected == 0);
    CHECK_FALSE(again.commit);
    CHECK(u.ctx->store->accepted_changes() == accepted);
    CHECK(u.ctx->store->head() == head);
    CHECK(u.ctx->store->verify_audit().entries == audit);  // nothing new to chain
    CHECK(std::get<std::string>(u.ctx->store->cell("notes", "n1", "title")->value) == "first");
}

TEST_CASE("relayed changes keep their foreign origin, seq, hlc and base", "[unit][tiers][relay]") {
    Upstream u;
    auto c = u.change(kPhone2, 41, "notes", "n1", "title", text("kept as written"));
    c.base = zp::Hlc::make(u.millis - 100, 3);
    auto r = u.relay({u.change(kPhone1, 1, "notes", "n1", "org", text("/u/a")), c});
    REQUIRE(r.accepted == 2);
    auto cell = u.ctx->store->cell("notes", "n1", "title");
    REQUIRE(cell);
    CHECK(cell->origin == kPhone2);
    CHECK(cell->hlc == c.hlc);
    CHECK(cell->base == c.base);
    CHECK(u.ctx->store->cell("notes", "n1", "org")->origin == kPhone1);

    // What the upstream serves back down keeps the same metadata (the college's pull).
    auto page = u.ctx->store->pull(u.college, 0, 100);
    REQUIRE(page.ok());
    bool found = false;
    for (const auto& ch : page->changes) {
        if (ch.column != "title") continue;
        found = true;
        CHECK(ch.origin == kPhone2);
        CHECK(ch.seq == 41);
        CHECK(ch.hlc == c.hlc);
    }
    CHECK(found);
    auto report = u.ctx->store->verify_audit();
    CHECK(report.ok);
    CHECK(report.entries >= 2);  // the enrollments and the relay batch
}

TEST_CASE("counter parts relayed per origin sum correctly across tiers", "[unit][tiers][relay]") {
    Upstream u;
    // The university's own phone counts too: its part arrives by a normal push, modelled here as
    // a third origin relayed by nobody else. Each origin sends its running total.
    auto r = u.relay(
        {u.change(kPhone1, 1, "tally", "t1", "org", text("/u/a/b1")),
         u.change(kPhone1, 2, "tally", "t1", "n", zp::Value{std::int64_t{2}}, zp::Op::Count),
         u.change(kPhone2, 1, "tally", "t1", "n", zp::Value{std::int64_t{3}}, zp::Op::Count)});
    CHECK(r.accepted == 3);
    CHECK(std::get<std::int64_t>(u.ctx->store->cell("tally", "t1", "n")->value) == 5);
    // Phone 1 counts on (+4: running total 6); an older total of phone 2 arrives late.
    auto late = u.change(kPhone2, 9, "tally", "t1", "n", zp::Value{std::int64_t{1}}, zp::Op::Count);
    late.hlc = zp::Hlc::make(1, 0);
    r = u.relay(
        {u.change(kPhone1, 3, "tally", "t1", "n", zp::Value{std::int64_t{6}}, zp::Op::Count),
         late});
    CHECK(r.accepted == 2);
    CHECK(std::get<std::int64_t>(u.ctx->store->cell("tally", "t1", "n")->value) == 9);
}

TEST_CASE("server-authoritative columns only as the college server's own results; no commands",
          "[unit][tiers][relay]") {
    Upstream u;
    auto own = u.change(u.college.device, 1, "notes", "n1", "status", text("approved"));
    auto r = u.relay({u.change(kPhone1, 1, "notes", "n1", "org", text("/u/a/b1")),
                      u.change(kPhone1, 2, "notes", "n1", "status", text("self-approved")), own,
                      u.change(kPhone1, 3, "notes", "do", "approve", text("{}"), zp::Op::Command)});
    REQUIRE(r.ack.results.size() == 4);
    CHECK(r.ack.results[0].code == zp::Errc::Ok);
    CHECK(r.ack.results[1].code == zp::Errc::ServerAuthoritative);
    CHECK(r.ack.results[2].code == zp::Errc::Ok);
    CHECK(r.ack.results[3].code == zp::Errc::BadValue);
    auto status = u.ctx->store->cell("notes", "n1", "status");
    REQUIRE(status);
    CHECK(std::get<std::string>(status->value) == "approved");
    CHECK(status->origin == u.college.device);
}

TEST_CASE("append-only cells and undeletable rows are enforced on relayed changes",
          "[unit][tiers][relay]") {
    Upstream u;
    auto r = u.relay({u.change(kPhone1, 1, "ledger", "l1", "org", text("/u/a/b1")),
                      u.change(kPhone1, 2, "ledger", "l1", "amount", zp::Value{std::int64_t{50}}),
                      u.change(kPhone2, 1, "ledger", "l1", "amount", zp::Value{std::int64_t{70}}),
                      u.change(kPhone2, 2, "ledger", "l1", "", zp::Value{}, zp::Op::Delete)});
    REQUIRE(r.ack.results.size() == 4);
    CHECK(r.ack.results[1].code == zp::Errc::Ok);
    CHECK(r.ack.results[2].code == zp::Errc::AppendOnlyViolation);
    CHECK(r.ack.results[3].code == zp::Errc::AppendOnlyViolation);
    CHECK(std::get<std::int64_t>(u.ctx->store->cell("ledger", "l1", "amount")->value) == 50);
}

TEST_CASE("only a college server may relay, and only under its own signature",
          "[unit][tiers][relay]") {
    SECTION("a device of another role") {
        Upstream u("college_committee");
        auto r = zs::relay_ingest(
            *u.ctx, u.college, u.sign({u.change(kPhone1, 1, "notes", "n", "org", text("/u/a"))}));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == zp::Errc::Forbidden);
        CHECK(u.ctx->store->accepted_changes() == 0);
    }
    SECTION("a signature that does not verify") {
        Upstream u;
        auto p = u.sign({u.change(kPhone1, 1, "notes", "n", "org", text("/u/a"))});
        p.changes[0].value = text("/u/a/b2");  // altered after signing
        auto r = zs::relay_ingest(*u.ctx, u.college, p);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == zp::Errc::BadBatchSignature);
        CHECK(u.ctx->store->accepted_changes() == 0);
    }
}
