// SPDX-License-Identifier: Apache-2.0
// The issue #6 test world: a real zhibu server (TLS on 127.0.0.1, the real schema, every domain
// handler registered) whose clock the test sets, a seeded university, and phones that are real
// replicas (plain opener) on the same test clock, synced with SyncClient.
#pragma once

#include "temp_dir.hpp"

#include "zb/core/replica.hpp"
#include "zb/domain/schema.hpp"
#include "zb/net/sync_client.hpp"
#include "zb/server/context.hpp"
#include "zb/server/domain/life.hpp"
#include "zb/server/domain/org.hpp"
#include "zb/server/domain/register.hpp"
#include "zb/server/ingest.hpp"
#include "zb/server/server.hpp"
#include "zb/server/tls.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace zb::test {

/// 2026-06-30 12:00 China Standard Time (04:00 UTC), a Tuesday: the last day of Q2.
inline constexpr std::int64_t kJune30Noon = 1782792000000;
inline constexpr std::int64_t kDay = 24LL * 3600 * 1000;

struct LifeWorld {
    explicit LifeWorld(std::int64_t start_ms)
        : clock(std::make_shared<std::atomic<std::int64_t>>(start_ms)) {
        cert = server::make_dev_cert(dir.file("cert"));
        server::Config config;
        config.server_id = "zhibu-life-test";
        config.address = "127.0.0.1";
        config.port = 0;
        config.cert_file = cert.cert_file;
        config.key_file = cert.key_file;
        config.data_dir = dir.file("data");
        config.threads = 1;
        config.store_threads = 1;
        config.shutdown_grace_ms = 2000;
        config.log_level = "warn";
        ctx = server::make_context(config, domain::make_schema());
        auto c = clock;
        ctx->now_ms = [c] { return static_cast<std::uint64_t>(c->load()); };
        server::domain::register_domain(*ctx, server::domain::policy_from_config(ctx->config));
        server = std::make_unique<server::Server>(*ctx);
        server->start();
    }
    ~LifeWorld() {
        if (server) server->stop();
    }

    std::uint64_t now() const { return static_cast<std::uint64_t>(clock->load()); }
    void advance(std::int64_t ms) { clock->fetch_add(ms); }

    std::unique_ptr<core::Replica> phone(const std::string& name) {
        core::Options o;
        o.path = dir.file(name + ".db");
        o.schema = domain::make_schema();
        o.opener = core::plain_opener();
        auto c = clock;
        o.now_ms = [c] { return static_cast<std::uint64_t>(c->load()); };
        auto r = core::Replica::open(std::move(o));
        REQUIRE(r.ok());
        return std::move(r.value());
    }

    net::ClientOptions options() const {
        net::ClientOptions o;
        o.endpoint.host = "127.0.0.1";
        o.endpoint.port = server->port();
        o.transport.tls.pins = {cert.spki_pin};
        o.transport.connect_timeout = std::chrono::milliseconds(5000);
        o.engine.backoff_min_ms = 50;
        o.engine.backoff_max_ms = 400;
        o.stop_timeout = std::chrono::milliseconds(3000);
        return o;
    }

    void enroll(core::Replica& r, const std::string& person, const std::string& role,
                const std::string& org) {
        auto code = ctx->store->issue_enroll_code(server::EnrollGrant{person, role, org},
                                                  now() + 3600 * 1000, now());
        REQUIRE(code.ok());
        net::SyncClient c(r, options());
        auto e = c.enroll(code.value(), person + "-phone", std::chrono::seconds(20));
        INFO(e.error.to_string());
        REQUIRE(e.ok());
    }

    net::SyncResult sync(core::Replica& r) {
        net::SyncClient c(r, options());
        auto res = c.sync_once(std::chrono::seconds(20));
        INFO(res.error.to_string());
        REQUIRE(res.ok());
        return res;
    }

    /// Server-origin rows (an import by the organisation department), committed.
    void import(const std::vector<server::CommandWrite>& writes) {
        auto txn = ctx->store->begin();
        server::write_server_changes(*ctx, *txn, writes, now());
        REQUIRE(txn->commit().ok());
    }

    protocol::Value cell(std::string_view t, std::string_view r, std::string_view c) const {
        auto v = ctx->store->cell(t, r, c);
        return v ? v->value : protocol::Value{};
    }
    std::string text(std::string_view t, std::string_view r, std::string_view c) const {
        auto v = cell(t, r, c);
        return v.index() == 3 ? std::get<3>(v) : std::string();
    }
    std::int64_t integer(std::string_view t, std::string_view r, std::string_view c) const {
        auto v = cell(t, r, c);
        REQUIRE(v.index() == 1);
        return std::get<1>(v);
    }

    TempDir dir{"zb-life"};
    std::shared_ptr<std::atomic<std::int64_t>> clock;
    server::DevCert cert;
    std::unique_ptr<server::ServerContext> ctx;
    std::unique_ptr<server::Server> server;
};

inline server::CommandWrite put(std::string table, std::string row, std::string column,
                                protocol::Value v) {
    return server::CommandWrite{std::move(table), std::move(row), std::move(column),
                                protocol::Op::Set, std::move(v)};
}

}  // namespace zb::test
