// SPDX-License-Identifier: Apache-2.0
// A real zhibu server for integration tests, run in-process on 127.0.0.1 with an ephemeral port,
// a fresh dev certificate and data directory in a temp dir. Tests issue enrollment codes through
// its store, stop it to simulate an outage and restart it on the same port.
#pragma once

#include "temp_dir.hpp"

#include "zb/merge/schema.hpp"
#include "zb/server/context.hpp"
#include "zb/server/server.hpp"
#include "zb/server/tls.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace zb::test {

class TestServer {
public:
    explicit TestServer(merge::Schema schema, bool tls = true)
        : dir_("zb-net-server"), schema_(std::move(schema)), tls_(tls) {
        cert_ = server::make_dev_cert(dir_.file("cert"));
        start();
    }
    ~TestServer() { stop(); }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    /// Start (or restart on the same port, with the same data).
    void start() {
        server::Config config;
        config.server_id = "zhibu-test";
        config.address = "127.0.0.1";
        config.port = port_;
        config.tls = tls_;
        config.allow_plaintext = !tls_;
        config.cert_file = cert_.cert_file;
        config.key_file = cert_.key_file;
        config.data_dir = dir_.path().string();
        config.threads = 1;
        config.store_threads = 1;
        config.shutdown_grace_ms = 2000;
        config.log_level = "warn";
        ctx_ = server::make_context(config, schema_);
        server_ = std::make_unique<server::Server>(*ctx_);
        server_->start();
        port_ = server_->port();
    }

    void stop() {
        if (server_) server_->stop();
        server_.reset();
        ctx_.reset();
    }

    bool running() const { return server_ != nullptr; }
    std::uint16_t port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    const std::string& pin() const { return cert_.spki_pin; }
    server::ServerContext& context() { return *ctx_; }
    server::Server& server() { return *server_; }

    /// A one-time enrollment code for `person` with `role` over `org`.
    std::string issue_code(const std::string& person, const std::string& role,
                           const std::string& org) {
        const auto now = ctx_->now_ms();
        auto code = ctx_->store->issue_enroll_code(server::EnrollGrant{person, role, org},
                                                   now + 3600 * 1000, now);
        if (!code) throw std::runtime_error("issue_enroll_code: " + code.error().message);
        return code.value();
    }

private:
    TempDir dir_;
    merge::Schema schema_;
    bool tls_;
    server::DevCert cert_;
    std::uint16_t port_ = 0;
    std::unique_ptr<server::ServerContext> ctx_;
    std::unique_ptr<server::Server> server_;
};

}  // namespace zb::test
