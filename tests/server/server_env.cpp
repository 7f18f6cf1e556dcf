// SPDX-License-Identifier: Apache-2.0
// Test fixtures (see server_env.hpp).
#include "server_env.hpp"

#include "zb/server/config.hpp"

#include <chrono>

namespace zb::test {

nlohmann::json test_schema_json() {
    return nlohmann::json::parse(R"json({
  "version": 1,
  "tables": [
    {"name": "notices", "visibility": "org", "columns": [{"name": "title"}, {"name": "body"}]},
    {"name": "profiles", "visibility": "owner", "owner_column": "person",
     "columns": [{"name": "name"}, {"name": "id_number", "sensitive": true},
                 {"name": "status", "policy": "server"}]},
    {"name": "ledger", "visibility": "owner", "owner_column": "person", "policy": "append_only",
     "deletable": false, "columns": [{"name": "amount"}]},
    {"name": "minutes", "visibility": "officers", "policy": "keep_both",
     "columns": [{"name": "text"}]},
    {"name": "progress", "visibility": "owner", "owner_column": "person",
     "columns": [{"name": "pct", "policy": "max"}, {"name": "likes", "policy": "counter"}]}
  ]
})json");
}

merge::Schema test_schema() {
    return server::schema_from_json(test_schema_json());
}

TestServer::TestServer(std::function<void(server::Config&)> tweak) {
    cert = server::make_dev_cert(dir.file("tls"));
    server::Config c;
    c.address = "127.0.0.1";
    c.port = 0;
    c.cert_file = cert.cert_file;
    c.key_file = cert.key_file;
    c.data_dir = dir.file("data");
    c.threads = 2;
    c.store_threads = 2;
    c.log_level = "warn";
    c.shutdown_grace_ms = 5000;
    c.limits.handshake_timeout_ms = 5000;
    if (tweak) tweak(c);
    ctx = server::make_context(c, test_schema());
    ctx->now_ms = [offset = time_offset] {
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(server::system_now_ms()) +
                                          offset->load());
    };
    server = std::make_unique<server::Server>(*ctx);
    server->start();
}

TestServer::~TestServer() {
    server->stop();
}

std::string TestServer::code(const std::string& person, const std::string& role,
                             const std::string& org, std::uint64_t ttl_ms) {
    auto now = ctx->now_ms();
    auto c =
        ctx->store->issue_enroll_code(server::EnrollGrant{person, role, org}, now + ttl_ms, now);
    if (!c) throw std::runtime_error(c.error().message);
    return c.value();
}

std::unique_ptr<TestClient> TestServer::connect() const {
    return std::make_unique<TestClient>(port(), cert.cert_file);
}

protocol::Change Device::set(const std::string& table, const std::string& row,
                             const std::string& column, protocol::Value v) {
    protocol::Change c;
    c.table = table;
    c.row = row;
    c.column = column;
    c.op = protocol::Op::Set;
    c.value = std::move(v);
    auto now = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    clock_ms = std::max(clock_ms + 1, now);
    c.hlc = protocol::Hlc::make(clock_ms, 0);
    c.origin = keys.id;
    c.seq = next_seq++;
    return c;
}

protocol::Change Device::op(protocol::Op o, const std::string& table, const std::string& row) {
    protocol::Change c = set(table, row, "", protocol::Value{});
    c.op = o;
    return c;
}

void Device::reconnect(const TestServer& s) {
    client.reset();
    client = s.connect();
    client->hello();
    auth = client->auth_sig(keys);
}

Device enroll_device(TestServer& s, const std::string& person, const std::string& role,
                     const std::string& org) {
    Device d;
    d.keys = DeviceKeys::generate();
    d.client = s.connect();
    d.client->hello();
    auto e = d.client->enroll(s.code(person, role, org), d.keys);
    if (e.device != d.keys.id) throw std::runtime_error("device id mismatch");
    d.auth = d.client->auth_sig(d.keys);
    return d;
}

std::vector<protocol::Change> pull_all(TestClient& c, std::uint64_t& cursor, std::uint32_t limit) {
    std::vector<protocol::Change> out;
    for (;;) {
        auto page = c.pull(cursor, limit);
        out.insert(out.end(), page.changes.begin(), page.changes.end());
        cursor = page.cursor;
        if (!page.has_more) break;
    }
    return out;
}

}  // namespace zb::test
