// SPDX-License-Identifier: Apache-2.0
// Integration tests of zb::net::SyncClient against a real zhibu server on 127.0.0.1: enrollment,
// offline writes and sync_once between two devices, live mode driven by Notify, pin mismatch,
// an unreachable server, and a connection cut in the middle of a sync. Every wait is bounded.
#include "zb/net/sync_client.hpp"

#include "tap_transport.hpp"
#include "temp_dir.hpp"
#include "test_server.hpp"

#include "zb/core/replica.hpp"
#include "zb/net/beast_transport.hpp"
#include "zb/net/pin.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace {

using namespace std::chrono_literals;
using zb::core::Replica;
using zb::core::Values;
using zb::net::NetErrc;
using zb::net::SyncClient;

constexpr auto kSyncTimeout = 20s;
constexpr const char* kBranch = "/u/c1/b1";

zb::merge::Schema test_schema() {
    zb::merge::Schema s(1);
    zb::merge::TableDef notes;
    notes.name = "notes";
    notes.policy = zb::merge::Policy::Lww;
    notes.columns = {{"org", zb::merge::Policy::Lww, false},
                     {"owner", zb::merge::Policy::Lww, false},
                     {"title", zb::merge::Policy::Lww, false},
                     {"body", zb::merge::Policy::Lww, false}};
    notes.org_column = "org";
    notes.owner_column = "owner";
    notes.visibility = zb::merge::Visibility::Org;
    s.add(notes);
    return s;
}

std::unique_ptr<Replica> open_replica(const zb::test::TempDir& dir, const std::string& name) {
    zb::core::Options o;
    o.path = dir.file(name + ".db");
    o.schema = test_schema();
    o.opener = zb::core::plain_opener();
    auto r = Replica::open(std::move(o));
    REQUIRE(r.ok());
    return std::move(r.value());
}

zb::net::ClientOptions options_for(const zb::test::TestServer& server) {
    zb::net::ClientOptions o;
    o.endpoint.host = "127.0.0.1";
    o.endpoint.port = server.port();
    o.transport.tls.pins = {server.pin()};
    o.transport.connect_timeout = 5000ms;
    o.engine.backoff_min_ms = 50;
    o.engine.backoff_max_ms = 400;
    o.stop_timeout = 3000ms;
    return o;
}

/// Enroll `replica` with a fresh code for (person, role).
void enroll(zb::test::TestServer& server, Replica& replica, const std::string& person,
            const std::string& role) {
    SyncClient client(replica, options_for(server));
    auto r =
        client.enroll(server.issue_code(person, role, kBranch), person + "-phone", kSyncTimeout);
    INFO(r.error.to_string());
    REQUIRE(r.ok());
    CHECK(r.enrolled.person == person);
    CHECK(r.enrolled.device == replica.identity().device);
}

void write_note(Replica& r, const std::string& id, const std::string& owner,
                const std::string& title) {
    Values v;
    v["org"] = std::string(kBranch);
    v["owner"] = owner;
    v["title"] = title;
    REQUIRE(r.write("notes", id, v).ok());
}

std::optional<std::string> title_of(Replica& r, const std::string& id) {
    auto row = r.read("notes", id);
    REQUIRE(row.ok());
    if (!row.value()) return std::nullopt;
    auto it = row.value()->find("title");
    if (it == row.value()->end()) return std::nullopt;
    return std::get<std::string>(it->second);
}

bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return pred();
}

std::string other_pin() {
    zb::test::TempDir d("zb-net-othercert");
    return zb::server::make_dev_cert(d.file("c")).spki_pin;
}

}  // namespace

TEST_CASE("pins: the dev certificate's pin matches ours and parses", "[net][pin]") {
    zb::test::TempDir d("zb-net-pin");
    auto cert = zb::server::make_dev_cert(d.file("c"));
    auto mine = zb::net::spki_pin_of_pem_file(cert.cert_file);
    REQUIRE(mine);
    CHECK(*mine == cert.spki_pin);
    CHECK(zb::net::normalize_pin(cert.spki_pin) == cert.spki_pin);
    CHECK(zb::net::normalize_pin("sha256/" + cert.spki_pin) == cert.spki_pin);
    CHECK_FALSE(zb::net::normalize_pin("not-a-pin"));
    CHECK_FALSE(zb::net::normalize_pin(cert.spki_pin.substr(1)));
    CHECK(zb::net::pin_matches({"sha256/" + cert.spki_pin}, cert.spki_pin));
    CHECK_FALSE(zb::net::pin_matches({other_pin()}, cert.spki_pin));

    zb::net::Endpoint ep;
    std::string err;
    CHECK(zb::net::parse_host_port("127.0.0.1:8443", ep, err));
    CHECK(ep.host == "127.0.0.1");
    CHECK(ep.port == 8443);
    CHECK(zb::net::parse_host_port("[::1]:9", ep, err));
    CHECK(ep.host == "::1");
    CHECK_FALSE(zb::net::parse_host_port("127.0.0.1", ep, err));
    CHECK_FALSE(zb::net::parse_host_port("127.0.0.1:0", ep, err));
    CHECK_FALSE(zb::net::parse_host_port("h:70000", ep, err));
    CHECK(zb::net::is_loopback_host("127.0.0.1"));
    CHECK(zb::net::is_loopback_host("localhost"));
    CHECK_FALSE(zb::net::is_loopback_host("10.0.0.1"));
}

TEST_CASE("sync_once: an offline write reaches a second device", "[net][integration]") {
    zb::test::TestServer server(test_schema());
    zb::test::TempDir dir("zb-net-once");
    auto a = open_replica(dir, "a");
    auto b = open_replica(dir, "b");
    enroll(server, *a, "s1", "branch_secretary");
    enroll(server, *b, "m1", "member");

    // Offline: no client exists while A writes.
    write_note(*a, "n1", "s1", "branch meeting on Friday");
    write_note(*a, "n2", "s1", "study pack 3 is out");
    const auto cells = a->outbox_size().value();  // one change per written cell
    REQUIRE(cells == 6);

    {
        SyncClient ca(*a, options_for(server));
        std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
        auto r = ca.sync_once(kSyncTimeout);
        INFO(r.error.to_string());
        REQUIRE(r.ok());
        CHECK(r.pushed == cells);
        CHECK(r.accepted == cells);
        CHECK(r.rejected == 0);
        CHECK(r.outbox_left == 0);
        CHECK(r.person == "s1");
        CHECK(r.role == "branch_secretary");
        CHECK(ca.status() == zb::net::SyncStatus::Stopped);
    }
    CHECK(a->outbox_size().value() == 0);

    SyncClient cb(*b, options_for(server));
    std::uint64_t last_done = 0, last_total = 0;
    cb.on_progress([&](std::uint64_t done, std::uint64_t total) {
        last_done = done;
        last_total = total;
    });
    auto r = cb.sync_once(kSyncTimeout);
    INFO(r.error.to_string());
    REQUIRE(r.ok());
    CHECK(r.pulled >= 2);
    CHECK(last_total >= 2);
    CHECK(last_done == last_total);
    // While the client exists the replica is used through it.
    auto title = cb.run([](Replica& rep) { return title_of(rep, "n1"); });
    CHECK(title == std::optional<std::string>("branch meeting on Friday"));

    // A second sync with nothing new is quick and clean.
    auto again = cb.sync_once(kSyncTimeout);
    REQUIRE(again.ok());
    CHECK(again.pushed == 0);
}

TEST_CASE("login reports the identity the server confirmed", "[net][integration]") {
    zb::test::TestServer server(test_schema());
    zb::test::TempDir dir("zb-net-login");
    auto a = open_replica(dir, "a");
    {
        SyncClient c(*a, options_for(server));
        auto r = c.sync_once(kSyncTimeout);
        CHECK(r.error.code == NetErrc::NotEnrolled);
        auto bad = c.enroll("no-such-code", "phone", kSyncTimeout);
        CHECK(bad.error.code == NetErrc::Server);
        CHECK(bad.error.server_code == zb::protocol::Errc::EnrollCodeInvalid);
    }
    enroll(server, *a, "m1", "member");
    SyncClient c(*a, options_for(server));
    auto r = c.login(kSyncTimeout);
    INFO(r.error.to_string());
    REQUIRE(r.ok());
    CHECK(r.person == "m1");
    CHECK(r.role == "member");
    REQUIRE(r.scopes.size() == 1);
    CHECK(r.scopes[0] == kBranch);
}

TEST_CASE("live mode: a Notify pulls another device's change", "[net][integration]") {
    zb::test::TestServer server(test_schema());
    zb::test::TempDir dir("zb-net-live");
    auto a = open_replica(dir, "a");
    auto b = open_replica(dir, "b");
    enroll(server, *a, "s1", "branch_secretary");
    enroll(server, *b, "m1", "member");

    SyncClient cb(*b, options_for(server));
    std::mutex mu;
    std::condition_variable cv;
    bool remote_seen = false;
    cb.on_change([&](const zb::core::ChangeEvent& ev) {
        if (ev.source != zb::core::ChangeEvent::Source::Remote) return;
        for (const auto& row : ev.rows)
            if (row.table == "notes" && row.row == "live1") {
                std::lock_guard lock(mu);
                remote_seen = true;
                cv.notify_all();
            }
    });
    REQUIRE(cb.start_live().ok());
    CHECK(cb.start_live().code == NetErrc::InvalidArgument);
    REQUIRE(wait_for([&] { return cb.status() == zb::net::SyncStatus::Live; }, 10s));

    // A pushes through its own live client: the write goes through run(), which pushes at once.
    SyncClient ca(*a, options_for(server));
    REQUIRE(ca.start_live().ok());
    REQUIRE(wait_for([&] { return ca.status() == zb::net::SyncStatus::Live; }, 10s));
    ca.run([](Replica& rep) { write_note(rep, "live1", "s1", "notice: meeting moved"); });

    {
        std::unique_lock lock(mu);
        REQUIRE(cv.wait_for(lock, 10s, [&] { return remote_seen; }));
    }
    CHECK(cb.run([](Replica& rep) { return title_of(rep, "live1"); }) ==
          std::optional<std::string>("notice: meeting moved"));
    CHECK(wait_for(
        [&] { return ca.run([](Replica& rep) { return rep.outbox_size().value(); }) == 0; }, 10s));

    const auto t0 = std::chrono::steady_clock::now();
    cb.stop();
    ca.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 7s);
    CHECK(cb.status() == zb::net::SyncStatus::Stopped);
}

TEST_CASE("a wrong pin fails with a typed error and sends nothing", "[net][integration]") {
    zb::test::TestServer server(test_schema());
    zb::test::TempDir dir("zb-net-pin");
    auto a = open_replica(dir, "a");
    enroll(server, *a, "s1", "branch_secretary");
    write_note(*a, "p1", "s1", "secret agenda");
    const auto cells = a->outbox_size().value();

    auto options = options_for(server);
    options.transport.tls.pins = {other_pin()};
    zb::test::TapTransport* tap = nullptr;
    options.transport_factory = [&tap](boost::asio::io_context& ioc,
                                       const zb::net::TransportOptions& o) {
        auto t = std::make_unique<zb::test::TapTransport>(zb::net::make_beast_transport(ioc, o));
        tap = t.get();
        return std::unique_ptr<zb::net::Transport>(std::move(t));
    };
    SyncClient c(*a, options);
    auto r = c.sync_once(kSyncTimeout);
    CHECK(r.error.code == NetErrc::PinMismatch);
    CHECK(r.error.to_string().find("pin") != std::string::npos);
    REQUIRE(tap != nullptr);
    CHECK(tap->opened == 0);
    CHECK(tap->sent == 0);
    CHECK(r.connections == 1);  // a pin mismatch is not retried
    CHECK(r.outbox_left == cells);
    CHECK(server.context().store->accepted_changes() == 0);
}

TEST_CASE("a stopped server gives a clear error and keeps the outbox", "[net][integration]") {
    zb::test::TestServer server(test_schema());
    zb::test::TempDir dir("zb-net-down");
    auto a = open_replica(dir, "a");
    enroll(server, *a, "s1", "branch_secretary");
    write_note(*a, "d1", "s1", "written while the server is down");
    const auto cells = a->outbox_size().value();
    server.stop();

    {
        SyncClient c(*a, options_for(server));
        const auto t0 = std::chrono::steady_clock::now();
        auto r = c.sync_once(kSyncTimeout);
        CHECK(r.error.code == NetErrc::Connect);
        CHECK(r.error.message.find("127.0.0.1") != std::string::npos);
        CHECK(r.outbox_left == cells);
        CHECK(std::chrono::steady_clock::now() - t0 < 10s);
    }
    CHECK(a->outbox_size().value() == cells);

    server.start();  // same port, same data
    SyncClient c(*a, options_for(server));
    auto r = c.sync_once(kSyncTimeout);
    INFO(r.error.to_string());
    REQUIRE(r.ok());
    CHECK(r.accepted == cells);
    CHECK(r.outbox_left == 0);
}

TEST_CASE("a connection cut in the middle of a sync resumes on reconnect", "[net][integration]") {
    zb::test::TestServer server(test_schema());
    zb::test::TempDir dir("zb-net-cut");
    auto a = open_replica(dir, "a");
    auto b = open_replica(dir, "b");
    enroll(server, *a, "s1", "branch_secretary");
    enroll(server, *b, "m1", "member");
    constexpr int kRows = 60;
    for (int i = 0; i < kRows; ++i)
        write_note(*a, "c" + std::to_string(i), "s1", "note " + std::to_string(i));

    auto options = options_for(server);
    options.engine.push_batch = 10;
    zb::test::TapTransport* tap = nullptr;
    options.transport_factory = [&tap](boost::asio::io_context& ioc,
                                       const zb::net::TransportOptions& o) {
        auto t = std::make_unique<zb::test::TapTransport>(zb::net::make_beast_transport(ioc, o));
        t->cut_after_frames = 3;  // Welcome, AuthOk, then the first answer to a push or pull
        tap = t.get();
        return std::unique_ptr<zb::net::Transport>(std::move(t));
    };
    {
        SyncClient c(*a, options);
        auto r = c.sync_once(kSyncTimeout);
        INFO(r.error.to_string());
        REQUIRE(r.ok());
        CHECK(r.connections == 2);
        CHECK(tap->opens == 2);
        CHECK(r.outbox_left == 0);
        CHECK(r.accepted >= 3 * kRows - 10);  // a batch acknowledged before the cut is not resent
    }
    CHECK(server.context().store->accepted_changes() == 3 * kRows);

    SyncClient cb(*b, options_for(server));
    auto r = cb.sync_once(kSyncTimeout);
    REQUIRE(r.ok());
    auto rows = cb.run([](Replica& rep) { return rep.scan("notes").value().size(); });
    CHECK(rows == static_cast<std::size_t>(kRows));
}

TEST_CASE("plain ws only for loopback, only when asked", "[net][integration]") {
    zb::test::TestServer server(test_schema(), /*tls=*/false);
    zb::test::TempDir dir("zb-net-plain");
    auto a = open_replica(dir, "a");

    auto options = options_for(server);
    options.endpoint.plaintext = true;
    options.transport.tls.pins.clear();
    {
        SyncClient c(*a, options);
        auto r = c.enroll(server.issue_code("s1", "branch_secretary", kBranch), "p", kSyncTimeout);
        INFO(r.error.to_string());
        REQUIRE(r.ok());
    }
    auto remote = options;
    remote.endpoint.host = "10.255.255.1";
    SyncClient c(*a, remote);
    auto r = c.sync_once(kSyncTimeout);
    CHECK(r.error.code == NetErrc::InvalidArgument);
    CHECK(r.error.message.find("loopback") != std::string::npos);

    // A TLS client without any pin is refused before connecting.
    auto nopin = options_for(server);
    nopin.transport.tls.pins.clear();
    SyncClient c2(*a, nopin);
    CHECK(c2.sync_once(kSyncTimeout).error.code == NetErrc::InvalidArgument);
}
