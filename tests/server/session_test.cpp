// SPDX-License-Identifier: Apache-2.0
// Integration tests over real TLS WebSocket connections to an in-process server on 127.0.0.1:
// enrollment and both login paths, push/pull between devices, live Notify, resuming a pull after a
// reconnect, idempotent re-push, revocation with wipe, health/metrics and graceful shutdown.
#include "server_env.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>
#include <thread>

using namespace zb;
using namespace zb::protocol;
using namespace zb::test;

namespace {
std::string text(const Value& v) {
    return std::get<std::string>(v);
}

bool wait_for(const std::function<bool()>& pred, int ms = 5000) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
}
}  // namespace

TEST_CASE("enroll, then log in with the signature and with the token", "[server]") {
    TestServer s;
    auto keys = DeviceKeys::generate();
    auto code = s.code("alice", "member", "/u/cs/b3");
    std::string token;
    {
        auto c = s.connect();
        auto w = c->hello();
        CHECK(w.version == kProtocolVersion);
        CHECK(w.challenge.size() == 32);
        auto e = c->enroll(code, keys);
        CHECK(e.device == keys.id);
        CHECK(e.person == "alice");
        CHECK(e.org == "/u/cs/b3");
        auto ok = c->auth_sig(keys);
        CHECK(ok.person == "alice");
        CHECK(ok.role == "member");
        CHECK(ok.scopes == std::vector<std::string>{"/u/cs/b3"});
        CHECK(ok.acked_seq == 0);
        CHECK_FALSE(ok.token.empty());
        CHECK(ok.token_expires_ms > s.ctx->now_ms());
        token = ok.token;
    }
    {
        auto c = s.connect();
        auto w2 = c->hello();
        auto ok = c->auth_token(keys.id, token);
        CHECK(ok.person == "alice");
    }
    {  // the code was used once
        auto c = s.connect();
        c->hello();
        c->send(Enroll{code, DeviceKeys::generate().public_key, "second"});
        auto err = c->expect<ErrorMsg>();
        CHECK(err.code == Errc::EnrollCodeInvalid);
        CHECK(c->closed_by_server());
    }
    {  // an expired code
        auto c = s.connect();
        c->hello();
        auto expired = s.code("bob", "member", "/u/cs/b3", 1000);
        s.time_offset->store(2000);
        c->send(Enroll{expired, DeviceKeys::generate().public_key, "late"});
        CHECK(c->expect<ErrorMsg>().code == Errc::EnrollCodeInvalid);
        s.time_offset->store(0);
    }
    auto health = https_get(s.port(), s.cert.cert_file, "/health");
    INFO(health);
    CHECK(nlohmann::json::parse(health).at("status") == "ok");
    auto metrics = https_get(s.port(), s.cert.cert_file, "/metrics");
    CHECK(metrics.find("zhibu_auth_ok_total 2") != std::string::npos);
    CHECK(metrics.find("zhibu_messages_in_total{type=\"hello\"}") != std::string::npos);
    CHECK(metrics.find("zhibu_push_latency_seconds_bucket") != std::string::npos);
}

TEST_CASE("an enrollment retried after a lost answer gets the same answer, nobody else does",
          "[server]") {
    TestServer s;
    auto keys = DeviceKeys::generate();
    auto code = s.code("alice", "member", "/u/cs/b3");
    {  // the answer is lost with the connection
        auto c = s.connect();
        c->hello();
        c->send(Enroll{code, keys.public_key, "phone"});
    }
    // The server stores the enrollment whether or not its answer arrives (bounded wait).
    for (int i = 0; i < 500 && s.ctx->store->devices().empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(s.ctx->store->devices().size() == 1);
    const auto audit = s.ctx->store->verify_audit().entries;
    {  // the phone retries with the same code and key
        auto c = s.connect();
        c->hello();
        auto e = c->enroll(code, keys);
        CHECK(e.device == keys.id);
        CHECK(e.person == "alice");
        CHECK(c->auth_sig(keys).person == "alice");
    }
    CHECK(s.ctx->store->devices().size() == 1);
    CHECK(s.ctx->store->verify_audit().entries == audit);  // no second enrollment recorded
    {  // another key presenting the used code is refused
        auto other = DeviceKeys::generate();
        auto c = s.connect();
        c->hello();
        c->send(Enroll{code, other.public_key, "thief"});
        auto err = c->expect<ErrorMsg>();
        CHECK(err.code == Errc::EnrollCodeInvalid);
        CHECK(c->closed_by_server());
    }
    CHECK(s.ctx->store->devices().size() == 1);
}

TEST_CASE("push on one device, pull on another; sensitive values masked for officers", "[server]") {
    TestServer s;
    auto sec = enroll_device(s, "sec", "branch_secretary", "/u/cs/b3");
    auto alice = enroll_device(s, "alice", "member", "/u/cs/b3");

    auto ack =
        sec.client->push(sec.keys, {sec.set("notices", "n1", "org", std::string("/u/cs/b3")),
                                    sec.set("notices", "n1", "title", std::string("Meeting"))});
    REQUIRE(ack.results.size() == 2);
    for (auto& r : ack.results)
        CHECK(r.code == Errc::Ok);
    CHECK(ack.acked_seq == 2);

    ack = alice.client->push(
        alice.keys, {alice.set("profiles", "pa", "person", std::string("alice")),
                     alice.set("profiles", "pa", "org", std::string("/u/cs/b3")),
                     alice.set("profiles", "pa", "id_number", std::string("320102199001011234"))});
    for (auto& r : ack.results)
        CHECK(r.code == Errc::Ok);

    std::uint64_t cursor = 0;
    auto got = pull_all(*alice.client, cursor);
    std::map<std::string, Value> cells;
    for (auto& c : got)
        cells[c.table + "/" + c.row + "/" + c.column] = c.value;
    CHECK(text(cells.at("notices/n1/title")) == "Meeting");
    CHECK(text(cells.at("profiles/pa/id_number")) == "320102199001011234");  // the owner

    cursor = 0;
    got = pull_all(*sec.client, cursor);
    cells.clear();
    for (auto& c : got)
        cells[c.table + "/" + c.row + "/" + c.column] = c.value;
    CHECK(text(cells.at("profiles/pa/person")) == "alice");
    CHECK(text(cells.at("profiles/pa/id_number")) == "3201**********1234");  // an officer
}

TEST_CASE("a connected device gets Notify as soon as a batch commits", "[server]") {
    TestServer s;
    auto sec = enroll_device(s, "sec", "branch_secretary", "/u/cs/b3");
    auto alice = enroll_device(s, "alice", "member", "/u/cs/b3");
    auto other = enroll_device(s, "olga", "member", "/u/cs/b4");
    auto t0 = std::chrono::steady_clock::now();
    sec.client->push(sec.keys, {sec.set("notices", "n1", "org", std::string("/u/cs/b3")),
                                sec.set("notices", "n1", "title", std::string("Now"))});
    auto n = alice.client->expect<Notify>();
    auto dt = std::chrono::steady_clock::now() - t0;
    CHECK(n.cursor > 0);
    CHECK(dt < std::chrono::seconds(2));
    std::uint64_t cursor = 0;
    auto got = pull_all(*alice.client, cursor);
    CHECK(got.size() == 2);
    CHECK(cursor == n.cursor);
    // A device outside the branch is not told: its next message is the answer to its own pull.
    auto page = other.client->pull(0);
    CHECK(page.changes.empty());
}

TEST_CASE("a pull interrupted by a reconnect resumes from the cursor without duplicates",
          "[server]") {
    TestServer s;
    auto sec = enroll_device(s, "sec", "branch_secretary", "/u/cs/b3");
    auto alice = enroll_device(s, "alice", "member", "/u/cs/b3");
    std::vector<Change> batch;
    for (int i = 0; i < 300; ++i) {
        batch.push_back(
            sec.set("notices", "n" + std::to_string(i), "org", std::string("/u/cs/b3")));
        batch.push_back(sec.set("notices", "n" + std::to_string(i), "title", std::string("t")));
    }
    sec.client->push(sec.keys, batch);

    std::set<std::string> seen;
    auto first = alice.client->pull(0, 100);
    CHECK(first.has_more);
    CHECK(first.total == 600);
    CHECK(first.done == 100);
    for (auto& c : first.changes)
        CHECK(seen.insert(c.row + "/" + c.column).second);
    std::uint64_t cursor = first.cursor;
    alice.reconnect(s);  // dropped mid-sync
    auto second = alice.client->pull(cursor, 100);
    CHECK(second.total == 500);  // progress restarts from the resume point
    for (auto& c : second.changes)
        CHECK(seen.insert(c.row + "/" + c.column).second);
    cursor = second.cursor;
    for (auto& c : pull_all(*alice.client, cursor, 100))
        CHECK(seen.insert(c.row + "/" + c.column).second);
    CHECK(seen.size() == 600);
}

TEST_CASE("a re-pushed batch is acknowledged again and not applied twice", "[server]") {
    TestServer s;
    auto alice = enroll_device(s, "alice", "member", "/u/cs/b3");
    auto push = alice.client->make_push(alice.keys,
                                        {alice.set("progress", "p", "person", std::string("alice")),
                                         alice.set("progress", "p", "org", std::string("/u/cs/b3")),
                                         alice.set("progress", "p", "likes", std::int64_t{0})});
    push.changes[2].op = Op::Count;
    push.changes[2].value = std::int64_t{5};
    push.signature = alice.keys.sign(push_payload(push));
    alice.client->send(push);
    auto ack1 = alice.client->expect<PushAck>();
    for (auto& r : ack1.results)
        CHECK(r.code == Errc::Ok);
    auto accepted = s.ctx->store->accepted_changes();
    auto head = s.ctx->store->head();

    alice.reconnect(s);  // the ack was "lost"; the device retries the same batch
    CHECK(alice.auth.acked_seq == 3);
    alice.client->send(push);
    auto ack2 = alice.client->expect<PushAck>();
    REQUIRE(ack2.results.size() == 3);
    for (auto& r : ack2.results)
        CHECK(r.code == Errc::Ok);
    CHECK(ack2.acked_seq == 3);
    CHECK(s.ctx->store->accepted_changes() == accepted);
    CHECK(s.ctx->store->head() == head);
    CHECK(std::get<std::int64_t>(s.ctx->store->cell("progress", "p", "likes")->value) == 5);

    // A gap is refused and leaves the sequence where it was.
    auto gap = alice.set("progress", "p", "pct", std::int64_t{10});
    gap.seq = 10;
    auto ack3 = alice.client->push(alice.keys, {gap});
    CHECK(ack3.results.at(0).code == Errc::SequenceGap);
    CHECK(ack3.acked_seq == 3);
}

TEST_CASE("revocation: live session closed, wipe delivered at the next contact", "[server]") {
    TestServer s;
    auto alice = enroll_device(s, "alice", "member", "/u/cs/b3");
    auto bob = enroll_device(s, "bob", "member", "/u/cs/b3");
    REQUIRE(s.server->revoke(alice.keys.id, true).ok());
    auto w = alice.client->expect<Wipe>();
    CHECK_FALSE(w.reason.empty());
    CHECK(alice.client->closed_by_server());
    {
        auto c = s.connect();
        c->hello();
        Auth a;
        a.device = alice.keys.id;
        a.signature = alice.keys.sign(auth_payload(c->challenge(), alice.keys.id));
        c->send(a);
        c->expect<Wipe>();
        CHECK(c->closed_by_server());
    }
    {  // the token is dead as well
        auto c = s.connect();
        c->hello();
        c->send(Auth{alice.keys.id, {}, alice.auth.token});
        CHECK(c->expect<ErrorMsg>().code == Errc::TokenInvalid);
    }
    REQUIRE(s.server->revoke(bob.keys.id, false).ok());
    auto g = bob.client->expect<Goodbye>();
    CHECK(g.code == Errc::DeviceRevoked);
}

TEST_CASE("graceful shutdown finishes the batch in flight, then says goodbye", "[server]") {
    auto s = std::make_unique<TestServer>();
    auto sec = enroll_device(*s, "sec", "branch_secretary", "/u/cs/b3");
    std::vector<Change> batch;
    for (int i = 0; i < 2000; ++i)
        batch.push_back(sec.set("notices", "n" + std::to_string(i / 2), i % 2 ? "title" : "org",
                                i % 2 ? Value{std::string("t")} : Value{std::string("/u/cs/b3")}));
    auto& pushes_in = s->ctx->metrics.messages_in[static_cast<std::size_t>(MsgType::Push)];
    sec.client->send(sec.client->make_push(sec.keys, batch));
    REQUIRE(wait_for([&] { return pushes_in.load() == 1; }));
    std::thread stopper([&] { s->server->stop(); });
    auto ack = sec.client->expect<PushAck>();
    CHECK(ack.acked_seq == 2000);
    auto bye = sec.client->expect<Goodbye>();
    CHECK(bye.code == Errc::ShuttingDown);
    CHECK(sec.client->closed_by_server());
    stopper.join();
    CHECK(s->ctx->store->accepted_changes() == 2000);
}
