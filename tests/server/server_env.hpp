// SPDX-License-Identifier: Apache-2.0
// Shared fixtures for the server tests: a small test schema (the real one comes from the domain
// module), an in-process server on 127.0.0.1 with an ephemeral port and a fresh dev certificate in
// a temp dir, and helpers that enroll and log in devices and build changes.
#pragma once

#include "temp_dir.hpp"
#include "test_client.hpp"

#include "zb/server/context.hpp"
#include "zb/server/server.hpp"
#include "zb/server/tls.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace zb::test {

/// Tables: notices (org-visible, no owner), profiles (owner-visible, sensitive id_number,
/// server-policy status), ledger (append-only, not deletable), minutes (officers only),
/// progress (max + counter columns).
merge::Schema test_schema();
nlohmann::json test_schema_json();

struct TestServer {
    explicit TestServer(std::function<void(server::Config&)> tweak = {});
    ~TestServer();

    std::string code(const std::string& person, const std::string& role, const std::string& org,
                     std::uint64_t ttl_ms = 3600 * 1000);
    std::uint16_t port() const { return server->port(); }
    std::unique_ptr<TestClient> connect() const;

    /// Added to the server's clock (tests move time forward to expire tokens).
    std::shared_ptr<std::atomic<std::int64_t>> time_offset =
        std::make_shared<std::atomic<std::int64_t>>(0);
    TempDir dir{"zb-server-test"};
    server::DevCert cert;
    std::unique_ptr<server::ServerContext> ctx;
    std::unique_ptr<server::Server> server;
};

/// An enrolled, logged-in device.
struct Device {
    DeviceKeys keys;
    std::unique_ptr<TestClient> client;
    protocol::AuthOk auth;
    std::uint64_t next_seq = 1;
    std::uint64_t clock_ms = 0;

    /// A Set change stamped with a fresh HLC and the next seq.
    protocol::Change set(const std::string& table, const std::string& row,
                         const std::string& column, protocol::Value v);
    protocol::Change op(protocol::Op op, const std::string& table, const std::string& row);
    /// Reconnect and log in with the signature.
    void reconnect(const TestServer& s);
};

Device enroll_device(TestServer& s, const std::string& person, const std::string& role,
                     const std::string& org);

/// Pull everything from `cursor` to the end; returns the changes and sets `cursor`.
std::vector<protocol::Change> pull_all(TestClient& c, std::uint64_t& cursor,
                                       std::uint32_t limit = 1000);

}  // namespace zb::test
