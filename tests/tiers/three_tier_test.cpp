// SPDX-License-Identifier: Apache-2.0
// Three tiers on 127.0.0.1 over TLS: a university server, college servers relaying their subtrees
// to it (UpstreamLink), phones with real encrypted-store replicas (plain opener here) syncing with
// SyncClient to their college, and a phone of the university's organisation department. Phones
// write concurrently under every policy; after syncing to quiescence every replica and server
// agrees on every row in its scope and the university holds everything. A college server stopped
// in the middle of relaying loses nothing, and a change the upstream refuses stays visible at the
// college with its reason.
#include "tier_env.hpp"

#include "zb/core/replica.hpp"
#include "zb/net/sync_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

namespace {

using namespace std::chrono_literals;
using zb::core::Replica;
using zb::core::Values;
using zb::net::SyncClient;
using zb::test::TierServer;
namespace zp = zb::protocol;

constexpr auto kTimeout = 30s;

struct Phone {
    Phone(const std::string& name, TierServer& home, const std::string& role,
          const std::string& org)
        : dir("zb-tier-phone-" + name), server(&home), person(name) {
        zb::core::Options o;
        o.path = dir.file("replica.db");
        o.schema = zb::test::tier_schema();
        o.opener = zb::core::plain_opener();
        auto r = Replica::open(std::move(o));
        REQUIRE(r.ok());
        replica = std::move(r.value());
        SyncClient client(*replica, options());
        auto e = client.enroll(home.issue_code(name, role, org), name, kTimeout);
        INFO(e.error.to_string());
        REQUIRE(e.ok());
    }

    zb::net::ClientOptions options() const {
        zb::net::ClientOptions o;
        o.endpoint.host = "127.0.0.1";
        o.endpoint.port = server->port();
        o.transport.tls.pins = {server->pin()};
        o.transport.connect_timeout = 5000ms;
        o.engine.backoff_min_ms = 50;
        o.engine.backoff_max_ms = 400;
        return o;
    }

    void sync() {
        SyncClient client(*replica, options());
        auto r = client.sync_once(kTimeout);
        INFO(person << ": " << r.error.to_string());
        REQUIRE(r.ok());
    }

    void write(const std::string& table, const std::string& row, const std::string& org, Values v) {
        v["org"] = org;
        auto w = replica->write(table, row, v);
        INFO((w ? std::string() : w.error().message));
        REQUIRE(w.ok());
    }

    std::optional<Values> read(const std::string& table, const std::string& row) {
        auto r = replica->read(table, row);
        REQUIRE(r.ok());
        return r.value();
    }

    zb::test::TempDir dir;
    TierServer* server;
    std::string person;
    std::unique_ptr<Replica> replica;
};

std::string text(const Values& v, const std::string& col) {
    auto it = v.find(col);
    if (it == v.end() || it->second.index() != 3) return "<none>";
    return std::get<std::string>(it->second);
}

std::int64_t integer(const Values& v, const std::string& col) {
    auto it = v.find(col);
    if (it == v.end() || it->second.index() != 1) return -1;
    return std::get<std::int64_t>(it->second);
}

std::optional<zp::Value> cell(TierServer& s, const std::string& t, const std::string& r,
                              const std::string& c) {
    auto x = s.ctx().store->cell(t, r, c);
    if (!x) return std::nullopt;
    return x->value;
}

/// Phones sync with their servers and colleges relay, three times over, so a change made anywhere
/// crosses phone → college → university → other college → phone.
void converge(std::vector<Phone*> phones, std::vector<TierServer*> colleges) {
    for (int round = 0; round < 3; ++round) {
        for (auto* p : phones)
            p->sync();
        for (auto* c : colleges)
            REQUIRE(c->link().sync_now(kTimeout));
    }
}

}  // namespace

TEST_CASE("three tiers converge under every policy and the university holds everything",
          "[integration][tiers]") {
    TierServer uni("uni"), college_a("a"), college_b("b");
    uni.start();
    college_a.start(&uni, uni.issue_code("college-a", "college_server", "/u/a"));
    college_b.start(&uni, uni.issue_code("college-b", "college_server", "/u/b"));

    Phone a1("a1", college_a, "branch_secretary", "/u/a/b1");
    Phone a2("a2", college_a, "branch_secretary", "/u/a/b1");
    Phone b1("b1", college_b, "branch_secretary", "/u/b/b1");
    Phone u1("u1", uni, "org_department", "/u");
    std::vector<Phone*> phones{&a1, &a2, &b1, &u1};
    std::vector<TierServer*> colleges{&college_a, &college_b};

    // Offline, concurrently: an LWW race, counters from three origins in two tiers, a ledger
    // entry, keep-both minutes, a university notice published to everyone below /u.
    a1.write("notes", "n1", "/u/a/b1", {{"title", std::string("from a1")}});
    a2.write("notes", "n1", "/u/a/b1", {{"title", std::string("from a2")}});
    a1.write("tally", "t1", "/u/a/b1", {});
    REQUIRE(a1.replica->increment("tally", "t1", "n", 2).ok());
    a2.write("tally", "t1", "/u/a/b1", {});
    REQUIRE(a2.replica->increment("tally", "t1", "n", 3).ok());
    u1.write("tally", "t1", "/u/a/b1", {});
    REQUIRE(u1.replica->increment("tally", "t1", "n", 5).ok());
    a1.write("ledger", "l1", "/u/a/b1", {{"amount", std::int64_t{50}}});
    a1.write("minutes", "m1", "/u/a/b1", {{"text", std::string("draft")}});
    b1.write("notes", "n2", "/u/b/b1", {{"title", std::string("from b1")}});
    b1.write("tally", "t2", "/u/b/b1", {});
    REQUIRE(b1.replica->increment("tally", "t2", "n", 7).ok());
    u1.write("notes", "notice", "/u", {{"title", std::string("for everyone")}});
    converge(phones, colleges);

    // Round two, concurrently again: both edit the minutes having seen "draft" (keep-both
    // conflict), the counter goes on in two tiers, the university deletes b1's note.
    a1.write("minutes", "m1", "/u/a/b1", {{"text", std::string("a1's version")}});
    u1.write("minutes", "m1", "/u/a/b1", {{"text", std::string("u1's version")}});
    REQUIRE(a2.replica->increment("tally", "t1", "n", 10).ok());
    REQUIRE(u1.replica->increment("tally", "t1", "n", 100).ok());
    REQUIRE(u1.read("notes", "n2"));
    REQUIRE(u1.replica->remove("notes", "n2").ok());
    converge(phones, colleges);
    CHECK_FALSE(b1.read("notes", "n2"));  // the delete crossed two tiers down

    // b1 restores its note: the row comes back intact everywhere.
    REQUIRE(b1.replica->restore("notes", "n2").ok());
    converge(phones, colleges);

    // LWW: one winner, the same everywhere that reads the row.
    const std::string n1 = text(*u1.read("notes", "n1"), "title");
    CHECK((n1 == "from a1" || n1 == "from a2"));
    for (auto* p : {&a1, &a2})
        CHECK(text(*p->read("notes", "n1"), "title") == n1);
    for (auto* s : {&uni, &college_a})
        CHECK(cell(*s, "notes", "n1", "title") == zp::Value{n1});
    // Counter: per-origin parts summed the same in every tier: 2 + 3 + 10 + 5 + 100.
    for (auto* p : {&a1, &a2, &u1})
        CHECK(integer(*p->read("tally", "t1"), "n") == 120);
    for (auto* s : {&uni, &college_a})
        CHECK(cell(*s, "tally", "t1", "n") == zp::Value{std::int64_t{120}});
    CHECK(integer(*u1.read("tally", "t2"), "n") == 7);
    CHECK(cell(college_b, "tally", "t2", "n") == zp::Value{std::int64_t{7}});
    // Append-only ledger entry reached the top unchanged.
    CHECK(cell(uni, "ledger", "l1", "amount") == zp::Value{std::int64_t{50}});
    CHECK(integer(*a2.read("ledger", "l1"), "amount") == 50);
    // Keep-both: the same winner and the same open conflict on every replica of the subtree.
    const std::string m1 = text(*u1.read("minutes", "m1"), "text");
    CHECK((m1 == "a1's version" || m1 == "u1's version"));
    for (auto* p : {&a1, &a2, &u1}) {
        CHECK(text(*p->read("minutes", "m1"), "text") == m1);
        auto conflicts = p->replica->conflicts();
        REQUIRE(conflicts.ok());
        REQUIRE(conflicts.value().size() == 1);
        CHECK(conflicts.value()[0].losers.size() == 1);
    }
    // Delete then restore crossed every tier.
    for (auto* p : {&b1, &u1}) {
        auto n2 = p->read("notes", "n2");
        REQUIRE(n2);
        CHECK(text(*n2, "title") == "from b1");
    }
    // The university's notice is published down both colleges to every phone.
    for (auto* p : {&a1, &a2, &b1})
        CHECK(text(*p->read("notes", "notice"), "title") == "for everyone");
    // Scopes hold across tiers: college A never receives college B's rows, nor B A's.
    CHECK_FALSE(cell(college_a, "notes", "n2", "title"));
    CHECK_FALSE(cell(college_b, "notes", "n1", "title"));
    CHECK_FALSE(a1.read("notes", "n2"));
    // Everything relayed was accepted; the audit chains verify.
    CHECK(college_a.link().stats().refused == 0);
    CHECK(college_b.link().stats().refused == 0);
    CHECK(college_a.link().stats().relayed > 0);
    for (auto* s : {&uni, &college_a, &college_b})
        CHECK(s->ctx().store->verify_audit().ok);
    for (auto* p : phones) {
        auto rej = p->replica->rejected();
        REQUIRE(rej.ok());
        CHECK(rej.value().empty());
        CHECK(p->replica->outbox_size().value() == 0);
    }
}

TEST_CASE("a college server stopped in the middle of relaying loses nothing",
          "[integration][tiers]") {
    TierServer uni("uni2"), college("c");
    uni.start();
    // Small relay batches so there are many round trips to interrupt.
    college.start(&uni, uni.issue_code("college-c", "college_server", "/u/c"), 4);
    REQUIRE(college.link().sync_now(kTimeout));
    const auto relayed_at_start = college.link().stats().relayed;

    Phone p("c1", college, "branch_secretary", "/u/c/b1");
    constexpr int kRows = 120;
    for (int i = 0; i < kRows; ++i)
        p.write("notes", "r" + std::to_string(i), "/u/c/b1",
                {{"title", "title " + std::to_string(i)}});
    p.sync();

    // The link relays on its own schedule; prompt it once and stop the whole college server as
    // soon as the first batches were acknowledged.
    college.link().wake();
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (college.link().stats().relayed < relayed_at_start + 8 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    const auto relayed_before = college.link().stats().relayed - relayed_at_start;
    college.stop();
    INFO("relayed before the stop: " << relayed_before);
    CHECK(relayed_before >= 8);
    CHECK(relayed_before < 2 * kRows);  // really in the middle (two cells per row)

    // Restart on the same data: no enrollment code needed, the relay resumes from its cursor.
    college.start(&uni, "", 50);
    REQUIRE(college.link().sync_now(kTimeout));
    for (int i = 0; i < kRows; ++i) {
        auto t = cell(uni, "notes", "r" + std::to_string(i), "title");
        REQUIRE(t);
        CHECK(*t == zp::Value{"title " + std::to_string(i)});
    }
    CHECK(college.link().stats().refused == 0);
    CHECK(uni.ctx().store->verify_audit().ok);
}

TEST_CASE("a change the upstream refuses stays visible at the college with its reason",
          "[integration][tiers]") {
    TierServer uni("uni3"), college("d");
    uni.start();
    // The university granted this college server only one branch of its subtree.
    college.start(&uni, uni.issue_code("college-d", "college_server", "/u/d/b1"));
    Phone p("d1", college, "college_committee", "/u/d");
    p.write("notes", "inside", "/u/d/b1", {{"title", std::string("granted")}});
    p.write("notes", "outside", "/u/d/b2", {{"title", std::string("not granted")}});
    p.sync();
    REQUIRE(college.link().sync_now(kTimeout));

    CHECK(cell(uni, "notes", "inside", "title") == zp::Value{std::string("granted")});
    CHECK_FALSE(cell(uni, "notes", "outside", "title"));
    // Kept at the college, with the refusal recorded against its original (origin, seq).
    CHECK(cell(college, "notes", "outside", "title") == zp::Value{std::string("not granted")});
    auto refusals = college.link().refusals();
    REQUIRE_FALSE(refusals.empty());
    for (const auto& r : refusals) {
        CHECK(r.change.row == "outside");
        CHECK(r.change.origin == p.replica->identity().device);
        CHECK(r.code == zp::Errc::OutOfScope);
        CHECK_FALSE(r.message.empty());
    }
    CHECK(college.link().stats().refused == refusals.size());
    // A second round does not resend what was settled.
    const auto relayed = college.link().stats().relayed;
    REQUIRE(college.link().sync_now(kTimeout));
    CHECK(college.link().stats().relayed == relayed);
}
