// SPDX-License-Identifier: Apache-2.0
// Fixtures for the tiers tests: one schema covering every merge policy the tiers must carry
// unchanged (LWW with delete/restore, Counter, KeepBoth, AppendOnly, a server-authoritative
// column), and a restartable in-process server on 127.0.0.1 that may run an UpstreamLink to
// another one.
#pragma once

#include "temp_dir.hpp"

#include "zb/merge/schema.hpp"
#include "zb/server/context.hpp"
#include "zb/server/server.hpp"
#include "zb/server/tls.hpp"
#include "zb/server/upstream.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace zb::test {

inline merge::Schema tier_schema() {
    using merge::Policy;
    merge::Schema s(1);
    auto table = [](std::string name, Policy policy, std::vector<merge::ColumnDef> extra,
                    bool deletable = true) {
        merge::TableDef t;
        t.name = std::move(name);
        t.policy = policy;
        t.columns = {{"org", Policy::Lww, false}, {"owner", Policy::Lww, false}};
        for (auto& c : extra)
            t.columns.push_back(std::move(c));
        t.org_column = "org";
        t.owner_column = "owner";
        t.visibility = merge::Visibility::Org;
        t.deletable = deletable;
        return t;
    };
    s.add(table("notes", Policy::Lww,
                {{"title", Policy::Lww, false},
                 {"body", Policy::Lww, false},
                 {"status", Policy::Server, false}}));
    s.add(table("tally", Policy::Lww, {{"n", Policy::Counter, false}}));
    s.add(table("minutes", Policy::KeepBoth, {{"text", Policy::KeepBoth, false}}));
    s.add(table("ledger", Policy::AppendOnly, {{"amount", Policy::AppendOnly, false}}, false));
    return s;
}

/// A zhibu server with its own data dir, restartable on the same port and data.
class TierServer {
public:
    explicit TierServer(std::string name) : dir_("zb-tier-" + name), name_(std::move(name)) {
        cert_ = server::make_dev_cert(dir_.file("cert"));
    }
    ~TierServer() { stop(); }
    TierServer(const TierServer&) = delete;
    TierServer& operator=(const TierServer&) = delete;

    /// Start; with `upstream`, also the tiers link to it (enrolled with `enroll_code` on first
    /// start).
    void start(const TierServer* upstream = nullptr, const std::string& enroll_code = {},
               std::uint32_t relay_batch = 500) {
        server::Config config;
        config.server_id = name_;
        config.address = "127.0.0.1";
        config.port = port_;
        config.cert_file = cert_.cert_file;
        config.key_file = cert_.key_file;
        config.data_dir = dir_.file("data");
        config.threads = 1;
        config.store_threads = 1;
        config.shutdown_grace_ms = 2000;
        config.log_level = "error";
        ctx_ = server::make_context(config, tier_schema());
        server_ = std::make_unique<server::Server>(*ctx_);
        server_->start();
        port_ = server_->port();
        if (upstream) {
            server::UpstreamConfig u;
            u.host = "127.0.0.1";
            u.port = upstream->port();
            u.pin = upstream->pin();
            u.enroll_code = enroll_code;
            u.key_file = dir_.file("data/upstream.key");
            u.state_file = dir_.file("data/upstream.db");
            u.interval_ms = 3600 * 1000;  // the tests drive rounds with sync_now()
            u.live = false;
            u.relay_batch = relay_batch;
            u.backoff_min_ms = 50;
            u.backoff_max_ms = 400;
            u.name = name_;
            link_ = std::make_unique<server::UpstreamLink>(
                *ctx_, u, [srv = server_.get()](const server::CommitInfo& c) { srv->publish(c); });
            link_->start();
        }
    }

    void stop() {
        if (link_) link_->stop();
        link_.reset();
        if (server_) server_->stop();
        server_.reset();
        ctx_.reset();
    }

    std::uint16_t port() const { return port_; }
    const std::string& pin() const { return cert_.spki_pin; }
    server::ServerContext& ctx() { return *ctx_; }
    server::UpstreamLink& link() { return *link_; }
    bool has_link() const { return link_ != nullptr; }

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
    std::string name_;
    server::DevCert cert_;
    std::uint16_t port_ = 0;
    std::unique_ptr<server::ServerContext> ctx_;
    std::unique_ptr<server::Server> server_;
    std::unique_ptr<server::UpstreamLink> link_;
};

}  // namespace zb::test
