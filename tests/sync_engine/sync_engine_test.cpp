// SPDX-License-Identifier: Apache-2.0
// The sync engine's protocol behaviour, driven by hand: handshakes (enroll, login, token reuse),
// push batching and acks, rejections, paged pulls with progress, notify, disconnects in the
// middle of a push or a pull, reconnect backoff, wipe and unexpected messages. Ends with a seeded
// fault loop that checks nothing is lost and every rejection reaches the store.
#include "fakes.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <set>

using namespace zb::core;
using namespace zb::core::test;
using zb::protocol::Auth;
using zb::protocol::Changes;
using zb::protocol::Hello;
using zb::protocol::Pull;
using zb::protocol::Push;
using zb::protocol::PushAck;

namespace {

constexpr std::uint64_t kT0 = 1'700'000'000'000;

SyncOptions options() {
    SyncOptions o;
    o.client_name = "test/1";
    o.device_name = "phone";
    o.push_batch = 3;
    o.pull_limit = 10;
    o.backoff_min_ms = 1'000;
    o.backoff_max_ms = 60'000;
    o.jitter_seed = 7;
    return o;
}

// By value: callers often pass the temporary vector an engine call returned.
template <class T>
T only(const std::vector<Message>& out) {
    REQUIRE(out.size() == 1);
    REQUIRE(std::holds_alternative<T>(out[0]));
    return std::get<T>(out[0]);
}

template <class T>
int count_of(const std::vector<Message>& out) {
    int n = 0;
    for (const Message& m : out)
        n += std::holds_alternative<T>(m) ? 1 : 0;
    return n;
}

template <class T>
T first_of(const std::vector<Message>& out) {
    for (const Message& m : out) {
        if (const T* t = std::get_if<T>(&m)) return *t;
    }
    FAIL("no message of the expected type");
    throw std::logic_error("unreachable");
}

zb::protocol::Welcome welcome(const FakeServer& server) {
    return zb::protocol::Welcome{zb::protocol::kProtocolVersion, server.challenge, "srv", kT0};
}

/// Connect and complete the handshake and the first sync against `server`.
void log_in(SyncEngine& engine, FakeServer& server, std::uint64_t now = kT0) {
    REQUIRE(engine.wants_connection(now));
    pump(engine, server, engine.on_connected(now), now);
    REQUIRE(engine.status().state == SyncState::Idle);
}

}  // namespace

TEST_CASE("login: hello, signed auth, first pull, idle", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    CHECK(engine.status().state == SyncState::Offline);
    CHECK(engine.wants_connection(0));

    const Hello hello = only<Hello>(engine.on_connected(kT0));
    CHECK(hello.device == 77);
    CHECK(hello.client == "test/1");
    CHECK(engine.status().state == SyncState::Connecting);

    const Auth auth = only<Auth>(engine.on_message(welcome(server), kT0));
    CHECK(auth.device == 77);
    CHECK(auth.token.empty());
    CHECK(auth.signature.size() == 64);
    REQUIRE(store.signed_.size() == 1);
    CHECK(store.signed_[0] == zb::protocol::auth_payload(server.challenge, 77));
    CHECK(engine.status().state == SyncState::Authenticating);

    zb::protocol::AuthOk ok;
    ok.token = "t";
    ok.token_expires_ms = kT0 + 3'600'000;
    const Pull pull = only<Pull>(engine.on_message(ok, kT0 + 5));
    CHECK(pull.cursor == 0);
    CHECK(pull.limit == 10);
    CHECK(engine.status().state == SyncState::Syncing);
    CHECK(engine.status().pending_outbox == std::optional<std::uint64_t>(0));

    CHECK(engine.on_message(Changes{}, kT0 + 9).empty());
    CHECK(engine.status().state == SyncState::Idle);
    CHECK(engine.status().last_sync_ms == kT0 + 9);
    CHECK(engine.next_wakeup_ms() == SyncEngine::kNever);
    CHECK_FALSE(engine.should_close());
}

TEST_CASE("enroll: code, enrolled, then a signed auth; the code is used once", "[unit][sync]") {
    FakeStore store(0);
    SyncOptions o = options();
    o.enroll_code = "ABCD-1234";
    SyncEngine engine(store, o);
    FakeServer server;

    CHECK(only<Hello>(engine.on_connected(kT0)).device == 0);
    const auto enroll = only<zb::protocol::Enroll>(engine.on_message(welcome(server), kT0));
    CHECK(enroll.code == "ABCD-1234");
    CHECK(enroll.public_key == Bytes(32, 0x5a));
    CHECK(enroll.device_name == "phone");
    CHECK(engine.status().state == SyncState::Enrolling);

    const Auth auth =
        only<Auth>(engine.on_message(zb::protocol::Enrolled{4242, "p1", "member", "/u"}, kT0));
    REQUIRE(store.enrolled_.has_value());
    CHECK(store.enrolled_->person == "p1");
    CHECK(auth.device == 4242);
    CHECK(store.signed_.back() == zb::protocol::auth_payload(server.challenge, 4242));

    // Reconnect: the store now knows its id, and the code is not sent again.
    engine.on_disconnected(kT0 + 1);
    const std::uint64_t later = engine.next_wakeup_ms();
    CHECK(only<Hello>(engine.on_connected(later)).device == 4242);
    CHECK(std::holds_alternative<Auth>(engine.on_message(welcome(server), later).at(0)));
}

TEST_CASE("enroll: no code, or a refused code, fails until the user acts", "[unit][sync]") {
    FakeStore store(0);
    SyncEngine engine(store, options());
    FakeServer server;
    engine.on_connected(kT0);
    const auto out = engine.on_message(welcome(server), kT0);
    CHECK(count_of<zb::protocol::Goodbye>(out) == 1);
    CHECK(engine.should_close());
    CHECK(engine.status().state == SyncState::Failed);
    CHECK(engine.status().error == Errc::EnrollCodeInvalid);
    engine.on_disconnected(kT0 + 1);
    CHECK(engine.status().state == SyncState::Failed);
    CHECK_FALSE(engine.wants_connection(kT0 + 10'000'000));
    CHECK(engine.next_wakeup_ms() == SyncEngine::kNever);

    engine.set_enroll_code("WRONG");
    engine.resume(kT0 + 2);
    REQUIRE(engine.wants_connection(kT0 + 2));
    engine.on_connected(kT0 + 2);
    CHECK(only<zb::protocol::Enroll>(engine.on_message(welcome(server), kT0 + 2)).code == "WRONG");
    CHECK(
        engine.on_message(zb::protocol::ErrorMsg{Errc::EnrollCodeInvalid, "unknown code"}, kT0 + 3)
            .empty());
    CHECK(engine.status().state == SyncState::Failed);
    CHECK(engine.status().error_message == "unknown code");
    CHECK(engine.should_close());
}

TEST_CASE("push: batches of the configured size, one in flight, settled in order", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    for (int i = 1; i <= 7; ++i)
        store.write("r" + std::to_string(i), "v");

    engine.on_connected(kT0);
    engine.on_message(welcome(server), kT0);
    const auto after_ok = engine.on_message(zb::protocol::AuthOk{}, kT0);
    REQUIRE(count_of<Push>(after_ok) == 1);
    REQUIRE(count_of<Pull>(after_ok) == 1);
    const Push p1 = first_of<Push>(after_ok);
    CHECK(p1.batch == 1);
    REQUIRE(p1.changes.size() == 3);
    CHECK(p1.changes.back().seq == 3);
    CHECK(store.signed_.back() == zb::protocol::push_payload(p1));
    CHECK(p1.signature == store.sign(zb::protocol::push_payload(p1)));
    CHECK_FALSE(engine.status().pending_outbox.has_value());  // more than one batch: unknown

    // A new local change while a push is in flight waits for the ack.
    store.write("r8", "v");
    CHECK(engine.on_local_change(kT0).empty());

    const Push p2 = only<Push>(engine.on_message(server.answer(p1, kT0).at(0), kT0));
    CHECK(p2.batch == 4);
    REQUIRE(store.settles_.size() == 1);
    CHECK(store.settles_[0].pushed == p1.changes);
    CHECK(store.settles_[0].ack.acked_seq == 3);
    CHECK(engine.status().acked_seq == 3);

    const Push p3 = only<Push>(engine.on_message(server.answer(p2, kT0).at(0), kT0));
    CHECK(p3.batch == 7);
    CHECK(p3.changes.size() == 2);
    CHECK(engine.status().pending_outbox == std::optional<std::uint64_t>(2));

    CHECK(engine.on_message(server.answer(p3, kT0).at(0), kT0).empty());
    CHECK(store.outbox_.empty());
    CHECK(engine.status().pending_outbox == std::optional<std::uint64_t>(0));
    CHECK(engine.status().state == SyncState::Syncing);  // the pull is still out
    for (int seq = 1; seq <= 8; ++seq)
        CHECK(server.received[static_cast<std::uint64_t>(seq)] == 1);

    // Idle, a local change pushes at once.
    engine.on_message(Changes{}, kT0);
    CHECK(engine.status().state == SyncState::Idle);
    store.write("r9", "v");
    CHECK(only<Push>(engine.on_local_change(kT0 + 1)).batch == 9);
    CHECK(engine.status().state == SyncState::Syncing);
}

TEST_CASE("push: rejections reach settle with their codes", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    server.reject = {2};
    for (int i = 1; i <= 3; ++i)
        store.write("r" + std::to_string(i), "v");
    log_in(engine, server);

    REQUIRE(store.settles_.size() == 1);
    const PushAck& ack = store.settles_[0].ack;
    REQUIRE(ack.results.size() == 3);
    CHECK(ack.results[1].seq == 2);
    CHECK(ack.results[1].code == Errc::Forbidden);
    REQUIRE(store.rejected_.size() == 1);
    CHECK(store.rejected_[0].seq == 2);
    CHECK(engine.status().rejected == 1);
    CHECK(store.outbox_.empty());
}

TEST_CASE("push: an ack that settles nothing pauses pushing until a retry time", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    store.write("r1", "v");
    engine.on_connected(kT0);
    engine.on_message(welcome(server), kT0);
    const Push p = first_of<Push>(engine.on_message(zb::protocol::AuthOk{}, kT0));

    PushAck ack;  // no results, acked_seq 0: nothing settled
    ack.batch = p.batch;
    CHECK(count_of<Push>(engine.on_message(ack, kT0)) == 0);
    CHECK(engine.status().error == Errc::SequenceGap);
    CHECK(engine.on_local_change(kT0).empty());
    CHECK_FALSE(engine.should_close());  // pulling still works

    engine.on_message(Changes{}, kT0);  // answer the pull: nothing in flight now
    const std::uint64_t retry = engine.next_wakeup_ms();
    CHECK(retry > kT0);
    CHECK(retry <= kT0 + 2'000);  // first refusal: min · 2, jittered down to half
    CHECK(engine.on_timer(retry - 1).empty());
    const Push again = only<Push>(engine.on_timer(retry));
    CHECK(again.changes == p.changes);
    CHECK(engine.on_message(server.answer(again, retry).at(0), retry).empty());
    CHECK(store.outbox_.empty());
}

TEST_CASE("errors: a request-level error answers the oldest request, which is retried",
          "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    store.write("r1", "v");
    engine.on_connected(kT0);
    engine.on_message(welcome(server), kT0);
    const auto first = engine.on_message(zb::protocol::AuthOk{}, kT0);
    REQUIRE(first.size() == 2);  // Push, then Pull
    const Push p = std::get<Push>(first[0]);

    // Forbidden (4xx) does not end the session: it refuses the Push, the oldest request.
    CHECK(
        engine.on_message(zb::protocol::ErrorMsg{Errc::Forbidden, "foreign origin"}, kT0).empty());
    CHECK_FALSE(engine.should_close());
    CHECK(engine.status().error == Errc::Forbidden);
    CHECK(engine.status().state == SyncState::Syncing);  // the pull is still out
    CHECK(engine.on_message(server.answer(std::get<Pull>(first[1]), kT0).at(0), kT0).empty());
    CHECK(engine.status().state == SyncState::Idle);
    CHECK(store.settles_.empty());

    const std::uint64_t retry = engine.next_wakeup_ms();
    const Push again = only<Push>(engine.on_timer(retry));
    CHECK(again.changes == p.changes);
    CHECK(engine.on_message(server.answer(again, retry).at(0), retry).empty());
    CHECK(store.outbox_.empty());

    // A refused pull is retried from the same cursor.
    server.remote_write("x", "1");
    const Pull pull = only<Pull>(engine.on_message(zb::protocol::Notify{1}, retry));
    engine.on_message(zb::protocol::ErrorMsg{Errc::StorageFailure, "busy disk"}, retry);
    CHECK_FALSE(engine.should_close());
    CHECK(engine.status().state == SyncState::Idle);
    const std::uint64_t pull_retry = engine.next_wakeup_ms();
    CHECK(pull_retry > retry);
    const Pull pull_again = only<Pull>(engine.on_timer(pull_retry));
    CHECK(pull_again.cursor == pull.cursor);
    engine.on_message(server.answer(pull_again, pull_retry).at(0), pull_retry);
    CHECK(store.cursor_ == server.log.size());  // our own change and the remote one

    // A 2xx error ends the session even when logged in.
    engine.on_message(zb::protocol::ErrorMsg{Errc::RateLimited, "slow down"}, pull_retry);
    CHECK(engine.should_close());
    CHECK(engine.status().state == SyncState::Closing);
}

TEST_CASE("pull: pages by cursor with progress until has_more is false", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    for (int i = 0; i < 25; ++i)
        server.remote_write("row" + std::to_string(i), "x");
    std::vector<SyncStatus> seen;
    engine.on_status = [&](const SyncStatus& s) { seen.push_back(s); };

    engine.on_connected(kT0);
    engine.on_message(welcome(server), kT0);
    Pull pull = only<Pull>(engine.on_message(zb::protocol::AuthOk{}, kT0));
    std::vector<std::uint64_t> cursors;
    for (;;) {
        cursors.push_back(pull.cursor);
        const auto out = engine.on_message(server.answer(pull, kT0).at(0), kT0);
        if (out.empty()) break;
        pull = only<Pull>(out);
    }
    CHECK(cursors == std::vector<std::uint64_t>{0, 10, 20});
    CHECK(store.pages_.size() == 3);
    CHECK(store.state_.cell_count() == 25);
    CHECK(engine.status().state == SyncState::Idle);
    CHECK(engine.status().pull_done == 25);
    CHECK(engine.status().pull_total == 25);

    // The hook saw every progress step, never decreasing, and done <= total.
    std::vector<std::uint64_t> done;
    for (const SyncStatus& s : seen) {
        CHECK(s.pull_done <= s.pull_total);
        if (done.empty() || done.back() != s.pull_done) done.push_back(s.pull_done);
    }
    CHECK(done == std::vector<std::uint64_t>{0, 10, 20, 25});
    CHECK(seen.back().state == SyncState::Idle);
}

TEST_CASE("pull: a page that claims more without moving the cursor is an error", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    engine.on_connected(kT0);
    engine.on_message(welcome(server), kT0);
    engine.on_message(zb::protocol::AuthOk{}, kT0);
    Changes stuck;
    stuck.has_more = true;
    stuck.cursor = 0;
    const auto out = engine.on_message(stuck, kT0);
    CHECK(only<zb::protocol::ErrorMsg>(out).code == Errc::UnexpectedMessage);
    CHECK(engine.should_close());
}

TEST_CASE("notify: pulls when idle, once more after a pull in flight, not when stale",
          "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    log_in(engine, server);

    server.remote_write("a", "1");
    const Pull pull = only<Pull>(engine.on_message(zb::protocol::Notify{1}, kT0));
    CHECK(pull.cursor == 0);
    CHECK(engine.status().state == SyncState::Syncing);

    // Another notify during the pull: no second Pull in flight, but one after the page.
    server.remote_write("b", "2");
    CHECK(engine.on_message(zb::protocol::Notify{2}, kT0).empty());
    Changes page1;  // the page computed before "b" existed
    page1.changes = {server.log[0]};
    page1.cursor = 1;
    page1.done = page1.total = 1;
    const Pull again = only<Pull>(engine.on_message(page1, kT0));
    CHECK(again.cursor == 1);
    CHECK(engine.on_message(server.answer(again, kT0).at(0), kT0).empty());
    CHECK(store.cursor_ == 2);
    CHECK(engine.status().state == SyncState::Idle);

    // A notify for data we already have does nothing.
    CHECK(engine.on_message(zb::protocol::Notify{2}, kT0).empty());
    CHECK(engine.status().state == SyncState::Idle);
}

TEST_CASE("notify: a cursor the device's pulls never reach costs one pull, not a loop",
          "[unit][sync]") {
    // Found by the simulator: the pull cursor is the last entry this device may read, so a
    // Notify for a commit that also wrote rows outside its scope names a cursor its pulls stop
    // short of. The engine used to pull again for as long as its cursor was lower: forever.
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    server.remote_write("a", "1");
    log_in(engine, server);
    const std::uint64_t beyond = server.log.size() + 5;  // entries this device cannot see

    SECTION("while idle") {
        const auto out = engine.on_message(zb::protocol::Notify{beyond}, kT0);
        REQUIRE(count_of<Pull>(out) == 1);
        CHECK(pump(engine, server, out, kT0, 100) == 2);  // one pull, one page, quiet
    }
    SECTION("during a pull") {
        server.remote_write("b", "2");
        const auto pull = engine.on_message(zb::protocol::Notify{server.log.size()}, kT0);
        REQUIRE(count_of<Pull>(pull) == 1);
        CHECK(engine.on_message(zb::protocol::Notify{beyond}, kT0).empty());
        // The page ends below the notified cursor: one more pull, then quiet.
        CHECK(pump(engine, server, pull, kT0, 100) == 4);
    }
    CHECK(engine.status().state == SyncState::Idle);
    CHECK(store.cursor_ == server.log.size());
}

TEST_CASE("disconnect mid-push: resume from the server's acked seq", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    for (int i = 1; i <= 5; ++i)
        store.write("r" + std::to_string(i), "v");

    engine.on_connected(kT0);
    engine.on_message(welcome(server), kT0);
    const Push p1 = first_of<Push>(engine.on_message(zb::protocol::AuthOk{}, kT0));

    SECTION("the server stored the batch but the ack was lost") {
        server.answer(p1, kT0);  // the ack never arrives
        engine.on_disconnected(kT0 + 1);
        CHECK(engine.status().state == SyncState::Offline);
        const std::uint64_t t = engine.next_wakeup_ms();
        engine.on_connected(t);
        engine.on_message(welcome(server), t);
        const auto out = engine.on_message(server.answer(Auth{}, t).at(0), t);
        // Their results were in the lost ack: seqs 1..3 are pushed again and settled by the
        // results the server logged; nothing is stored twice.
        CHECK(store.settles_.empty());
        CHECK(first_of<Push>(out) == p1);
        pump(engine, server, out, t);
        for (int seq = 1; seq <= 5; ++seq) {
            CHECK(server.received[static_cast<std::uint64_t>(seq)] == (seq <= 3 ? 2 : 1));
        }
    }
    SECTION("the batch never reached the server") {
        engine.on_disconnected(kT0 + 1);
        const std::uint64_t t = engine.next_wakeup_ms();
        engine.on_connected(t);
        engine.on_message(welcome(server), t);
        const auto out = engine.on_message(server.answer(Auth{}, t).at(0), t);
        const Push again = first_of<Push>(out);
        CHECK(again.batch == p1.batch);
        CHECK(again.changes == p1.changes);
        pump(engine, server, out, t);
    }
    CHECK(store.outbox_.empty());
    CHECK(server.acked == 5);
    CHECK(server.log.size() == 5);
    CHECK(engine.status().state == SyncState::Idle);
}

TEST_CASE("lost ack of a rejection: the next session learns the rejection, not an accept",
          "[unit][sync]") {
    // Issue #8: a change covered by AuthOk.acked_seq whose PushAck (carrying a rejection) was
    // lost used to be settled as accepted, so the phone kept the refused value.
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    server.reject = {2};
    for (int i = 1; i <= 3; ++i)
        store.write("r" + std::to_string(i), "v");

    engine.on_connected(kT0);
    engine.on_message(welcome(server), kT0);
    const Push p1 = first_of<Push>(engine.on_message(zb::protocol::AuthOk{}, kT0));
    REQUIRE(p1.changes.size() == 3);
    server.answer(p1, kT0);  // stored and settled; the PushAck is lost with the connection
    engine.on_disconnected(kT0 + 1);
    REQUIRE(server.acked == 3);

    const std::uint64_t t = engine.next_wakeup_ms();
    log_in(engine, server, t);
    REQUIRE(store.outbox_.empty());
    REQUIRE(store.rejected_.size() == 1);
    CHECK(store.rejected_[0].seq == 2);
    CHECK(store.rejected_[0].code == Errc::Forbidden);
    CHECK(engine.status().rejected == 1);
    CHECK(server.log.size() == 2);  // the re-push stored nothing new
}

TEST_CASE("disconnect mid-pull: the next session resumes from the stored cursor", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    for (int i = 0; i < 25; ++i)
        server.remote_write("row" + std::to_string(i), "x");

    engine.on_connected(kT0);
    engine.on_message(welcome(server), kT0);
    const Pull p0 = only<Pull>(engine.on_message(zb::protocol::AuthOk{}, kT0));
    const Pull p1 = only<Pull>(engine.on_message(server.answer(p0, kT0).at(0), kT0));
    CHECK(p1.cursor == 10);
    engine.on_disconnected(kT0 + 1);  // page 2 is lost with the connection

    const std::uint64_t t = engine.next_wakeup_ms();
    engine.on_connected(t);
    engine.on_message(welcome(server), t);
    const auto out = engine.on_message(server.answer(Auth{}, t).at(0), t);
    CHECK(only<Pull>(out).cursor == 10);
    pump(engine, server, out, t);
    CHECK(store.state_.cell_count() == 25);
    CHECK(store.cursor_ == 25);
    CHECK(engine.status().state == SyncState::Idle);
}

TEST_CASE("backoff: doubling delays with deterministic jitter, reset by a login", "[unit][sync]") {
    auto delays = [](std::uint64_t seed) {
        FakeStore store(77);
        SyncOptions o = options();
        o.jitter_seed = seed;
        SyncEngine engine(store, o);
        std::vector<std::uint64_t> out;
        std::uint64_t now = kT0;
        for (int i = 0; i < 10; ++i) {
            REQUIRE(engine.wants_connection(now));
            engine.on_disconnected(now);  // the connection attempt failed
            const std::uint64_t at = engine.next_wakeup_ms();
            CHECK_FALSE(engine.wants_connection(at - 1));
            CHECK(engine.wants_connection(at));
            out.push_back(at - now);
            now = at;
        }
        return out;
    };
    const auto a = delays(1);
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::uint64_t nominal = std::min<std::uint64_t>(1'000ULL << (i + 1), 60'000);
        INFO("attempt " << i + 1 << " delay " << a[i]);
        CHECK(a[i] >= nominal / 2);
        CHECK(a[i] <= nominal);
    }
    CHECK(delays(1) == a);  // deterministic
    CHECK(delays(2) != a);  // the seed matters

    // A successful login resets the attempt count; a later drop reconnects after ~min.
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    engine.on_disconnected(kT0);
    engine.on_disconnected(engine.next_wakeup_ms());
    CHECK(engine.status().attempt == 2);
    const std::uint64_t t = engine.next_wakeup_ms();
    log_in(engine, server, t);
    CHECK(engine.status().attempt == 0);
    engine.on_disconnected(t + 5);
    CHECK(engine.status().attempt == 0);
    CHECK(engine.next_wakeup_ms() - (t + 5) <= 1'000);
    CHECK(engine.next_wakeup_ms() - (t + 5) >= 500);
}

TEST_CASE("wipe: the store is wiped and the engine never reconnects", "[unit][sync]") {
    FakeStore store(77);
    store.write("r1", "unsent");
    SyncEngine engine(store, options());
    FakeServer server;
    engine.on_connected(kT0);
    engine.on_message(welcome(server), kT0);
    CHECK(engine.on_message(zb::protocol::Wipe{"device revoked"}, kT0).empty());
    CHECK(store.wiped_ == std::optional<std::string>("device revoked"));
    CHECK(store.outbox_.empty());
    CHECK(engine.status().state == SyncState::Wiped);
    CHECK(engine.should_close());
    engine.on_disconnected(kT0 + 1);
    CHECK(engine.status().state == SyncState::Wiped);
    CHECK_FALSE(engine.wants_connection(kT0 + 1'000'000'000));
    engine.resume(kT0 + 2);
    CHECK(engine.status().state == SyncState::Wiped);
    CHECK(engine.on_connected(kT0 + 3).empty());  // a stray connection is closed at once
    CHECK(engine.should_close());
}

TEST_CASE("unexpected messages end the session with UnexpectedMessage", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;

    SECTION("changes before the handshake") {
        engine.on_connected(kT0);
        CHECK(only<zb::protocol::ErrorMsg>(engine.on_message(Changes{}, kT0)).code ==
              Errc::UnexpectedMessage);
    }
    SECTION("a client-bound type from the server") {
        engine.on_connected(kT0);
        engine.on_message(welcome(server), kT0);
        CHECK(only<zb::protocol::ErrorMsg>(engine.on_message(Hello{}, kT0)).code ==
              Errc::UnexpectedMessage);
    }
    SECTION("a second AuthOk") {
        log_in(engine, server);
        CHECK(only<zb::protocol::ErrorMsg>(engine.on_message(zb::protocol::AuthOk{}, kT0)).code ==
              Errc::UnexpectedMessage);
    }
    SECTION("a PushAck with no push in flight") {
        log_in(engine, server);
        CHECK(only<zb::protocol::ErrorMsg>(engine.on_message(PushAck{}, kT0)).code ==
              Errc::UnexpectedMessage);
    }
    SECTION("a PushAck for another batch") {
        store.write("r1", "v");
        engine.on_connected(kT0);
        engine.on_message(welcome(server), kT0);
        engine.on_message(zb::protocol::AuthOk{}, kT0);
        PushAck ack;
        ack.batch = 99;
        CHECK(only<zb::protocol::ErrorMsg>(engine.on_message(ack, kT0)).code ==
              Errc::UnexpectedMessage);
        CHECK(store.settles_.empty());
        CHECK(store.outbox_.size() == 1);
    }
    SECTION("a notify before login") {
        engine.on_connected(kT0);
        CHECK(only<zb::protocol::ErrorMsg>(engine.on_message(zb::protocol::Notify{5}, kT0)).code ==
              Errc::UnexpectedMessage);
    }
    CHECK(engine.should_close());
    CHECK(engine.status().state == SyncState::Closing);
    CHECK(engine.status().error == Errc::UnexpectedMessage);
    // Frames racing the close are ignored.
    CHECK(engine.on_message(zb::protocol::Notify{5}, kT0).empty());
    engine.on_disconnected(kT0 + 1);
    CHECK(engine.status().state == SyncState::Offline);
    CHECK(engine.status().error == Errc::UnexpectedMessage);  // kept for the UI
    CHECK(engine.next_wakeup_ms() > kT0 + 1);
}

TEST_CASE("token: reused while fresh, signature otherwise, dropped when refused", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    server.token_ttl_ms = 3'600'000;
    log_in(engine, server);  // by signature; the server issues token-1 valid for an hour

    auto reconnect = [&](std::uint64_t at) {
        engine.on_disconnected(at);
        const std::uint64_t t = std::max(at, engine.next_wakeup_ms());
        engine.on_connected(t);
        return only<Auth>(engine.on_message(welcome(server), t));
    };

    const Auth a1 = reconnect(kT0 + 600'000);
    CHECK(a1.token == "token-1");
    CHECK(a1.signature.empty());

    SECTION("close to expiry: sign instead") {
        const Auth a2 = reconnect(kT0 + 3'600'000 - 30'000);
        CHECK(a2.token.empty());
        CHECK(a2.signature.size() == 64);
    }
    SECTION("refused: drop it and sign on the next connection") {
        engine.on_message(zb::protocol::ErrorMsg{Errc::TokenExpired, "expired"}, kT0 + 600'000);
        CHECK(engine.should_close());
        CHECK(engine.status().state == SyncState::Closing);
        const Auth a2 = reconnect(kT0 + 600'001);
        CHECK(a2.token.empty());
        CHECK(a2.signature.size() == 64);
    }
    SECTION("AuthFailed on a token is not fatal") {
        engine.on_message(zb::protocol::ErrorMsg{Errc::AuthFailed, "bad"}, kT0 + 600'000);
        CHECK(engine.status().state == SyncState::Closing);
        CHECK(reconnect(kT0 + 600'001).token.empty());
    }
}

TEST_CASE("errors: transient ones reconnect, permanent ones need the user", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    log_in(engine, server);

    SECTION("server busy") {
        engine.on_message(zb::protocol::ErrorMsg{Errc::ServerBusy, "full"}, kT0);
        CHECK(engine.status().state == SyncState::Closing);
        engine.on_disconnected(kT0);
        CHECK(engine.wants_connection(engine.next_wakeup_ms()));
    }
    SECTION("goodbye") {
        engine.on_message(zb::protocol::Goodbye{Errc::ShuttingDown, "restart"}, kT0);
        CHECK(engine.status().error == Errc::ShuttingDown);
        CHECK(engine.status().error_message == "restart");
        CHECK(engine.should_close());
        engine.on_disconnected(kT0);
        CHECK(engine.status().state == SyncState::Offline);
    }
    SECTION("device revoked") {
        engine.on_message(zb::protocol::ErrorMsg{Errc::DeviceRevoked, "gone"}, kT0);
        CHECK(engine.status().state == SyncState::Failed);
        engine.on_disconnected(kT0);
        CHECK_FALSE(engine.wants_connection(kT0 + 1'000'000'000));
    }
    SECTION("a signature refused") {
        engine.on_disconnected(kT0);
        const std::uint64_t t = engine.next_wakeup_ms();
        engine.on_connected(t);
        // Answer the challenge after the token has expired, so the engine signs.
        const auto auth = engine.on_message(welcome(server), t + 4'000'000);
        CHECK(only<Auth>(auth).token.empty());
        engine.on_message(zb::protocol::ErrorMsg{Errc::AuthFailed, "bad signature"}, t);
        CHECK(engine.status().state == SyncState::Failed);
    }
}

TEST_CASE("version: a Welcome outside our range fails the session", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    engine.on_connected(kT0);
    zb::protocol::Welcome w;
    w.version = zb::protocol::kProtocolVersion + 1;
    CHECK(only<zb::protocol::ErrorMsg>(engine.on_message(w, kT0)).code == Errc::VersionUnsupported);
    CHECK(engine.status().state == SyncState::Failed);
}

TEST_CASE("timeouts: an unanswered handshake or request closes the connection", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    engine.on_connected(kT0);
    CHECK(engine.next_wakeup_ms() == kT0 + 30'000);
    engine.on_timer(kT0 + 29'999);
    CHECK_FALSE(engine.should_close());
    engine.on_timer(kT0 + 30'000);
    CHECK(engine.should_close());
    CHECK(engine.status().error == Errc::HandshakeTimeout);
    engine.on_disconnected(kT0 + 30'000);

    const std::uint64_t t = engine.next_wakeup_ms();
    engine.on_connected(t);
    engine.on_message(welcome(server), t);
    engine.on_message(zb::protocol::AuthOk{}, t);  // a Pull is now in flight
    CHECK(engine.next_wakeup_ms() == t + 120'000);
    engine.on_timer(t + 120'000);
    CHECK(engine.should_close());
    CHECK(engine.status().error == Errc::IdleTimeout);
}

TEST_CASE("stop and resume", "[unit][sync]") {
    FakeStore store(77);
    SyncEngine engine(store, options());
    FakeServer server;
    log_in(engine, server);
    CHECK(only<zb::protocol::Goodbye>(engine.stop(kT0)).code == Errc::Ok);
    CHECK(engine.should_close());
    engine.on_disconnected(kT0);
    CHECK(engine.status().state == SyncState::Stopped);
    CHECK_FALSE(engine.wants_connection(kT0 + 1'000'000));
    engine.resume(kT0 + 1);
    CHECK(engine.wants_connection(kT0 + 1));
}

TEST_CASE("faults: random drops never lose a change or an update", "[unit][sync]") {
    // Local writes, remote writes and notifications interleave with connections cut after a
    // random number of frames; the server rejects some seqs. At the end every local change is
    // on the server once (by seq), every remote change is in the replica, and the store learnt
    // every rejection, including those whose PushAck was lost.
    std::uint64_t repushed_total = 0;  // changes pushed again because their ack was lost
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
        INFO("seed " << seed);
        std::mt19937_64 rng(seed);
        auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
        FakeStore store(77);
        SyncOptions o = options();
        o.jitter_seed = seed;
        SyncEngine engine(store, o);
        FakeServer server;
        for (std::uint64_t seq = 1; seq <= 150; ++seq) {
            if (pick(0, 9) == 0) server.reject.insert(seq);
        }
        std::uint64_t now = kT0;
        int writes = 0;
        for (int round = 0; round < 30; ++round) {
            for (int k = pick(0, 4); k > 0; --k)
                store.write("l" + std::to_string(++writes), "v");
            for (int k = pick(0, 4); k > 0; --k)
                server.remote_write("x" + std::to_string(round), "w");
            now = std::max(now + 1, engine.next_wakeup_ms());
            REQUIRE(engine.wants_connection(now));
            pump(engine, server, engine.on_connected(now), now, pick(1, 16));
            if (engine.status().state == SyncState::Idle && pick(0, 1) == 1) {
                const zb::protocol::Notify notify{server.log.size()};
                pump(engine, server, engine.on_message(notify, now), now, pick(0, 8));
            }
            if (engine.status().state == SyncState::Idle) {
                pump(engine, server, engine.on_local_change(now), now, pick(0, 8));
            }
            engine.on_disconnected(now);
        }
        // Quiet period: one clean session must finish everything.
        now = std::max(now + 1, engine.next_wakeup_ms());
        pump(engine, server, engine.on_connected(now), now);
        REQUIRE(engine.status().state == SyncState::Idle);
        REQUIRE(store.outbox_.empty());
        REQUIRE(server.acked == static_cast<std::uint64_t>(writes));
        // The pull of that session may have ended before our own last pushes were stored; the
        // server's next Notify brings the rest.
        pump(engine, server, engine.on_message(zb::protocol::Notify{server.log.size()}, now), now);
        REQUIRE(engine.status().state == SyncState::Idle);
        REQUIRE(store.cursor_ == server.log.size());
        for (std::size_t i = 0; i < server.log.size(); ++i) {
            const Change& c = server.log[i];
            auto cell = store.state_.cell(c.table, c.row, c.column);
            REQUIRE(cell.has_value());
            REQUIRE(cell->hlc >= c.hlc);
        }
        // The store was told each change's real result: the rejected ones, and no others.
        std::set<std::uint64_t> rejected_here;
        for (const auto& r : store.rejected_) {
            REQUIRE(r.code == Errc::Forbidden);
            REQUIRE(rejected_here.insert(r.seq).second);
        }
        std::set<std::uint64_t> rejected_there;
        for (const auto& [seq, r] : server.results) {
            if (r.code != Errc::Ok) rejected_there.insert(seq);
            repushed_total += static_cast<std::uint64_t>(server.received.at(seq) - 1);
        }
        REQUIRE(rejected_here == rejected_there);
        REQUIRE(engine.status().attempt == 0);
    }
    // The lost-ack path must actually have been exercised.
    CHECK(repushed_total > 0);
}
