// SPDX-License-Identifier: Apache-2.0
// Fixtures for the issue #5 tests: a real zhibu server on 127.0.0.1 (TLS, ephemeral port, temp
// data dir) with the domain schema and the organisation handlers, a clock shared by the server and
// the phones that tests move by whole days, a seeded university, real phones (Replica +
// SyncClient), and a direct command runner that goes through the same handler, transaction and
// store as a push (for rule boundary tests that need no phone).
#pragma once

#include "temp_dir.hpp"
#include "test_server.hpp"

#include "zb/core/replica.hpp"
#include "zb/domain/date.hpp"
#include "zb/domain/schema.hpp"
#include "zb/net/sync_client.hpp"
#include "zb/server/domain/org.hpp"
#include "zb/server/domain/register.hpp"
#include "zb/server/ingest.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace zb::test {

using zb::domain::Date;
using namespace std::chrono_literals;

/// Milliseconds added to the system clock, shared by the server and every phone.
class Clock {
public:
    /// Sets the clock to 10:00 CST on `d`.
    void set_date(Date d) {
        const auto target = d.start_unix_ms_cst() + 10LL * 3600 * 1000;
        offset_->store(target - static_cast<std::int64_t>(server::system_now_ms()));
    }
    std::function<std::uint64_t()> fn() const {
        auto off = offset_;
        return [off] {
            return static_cast<std::uint64_t>(static_cast<std::int64_t>(server::system_now_ms()) +
                                              off->load());
        };
    }

private:
    std::shared_ptr<std::atomic<std::int64_t>> offset_ =
        std::make_shared<std::atomic<std::int64_t>>(0);
};

inline constexpr const char* kUni = "/u";
inline constexpr const char* kCollege = "/u/c1";
inline constexpr const char* kBranch = "/u/c1/b1";
inline constexpr const char* kBranch2 = "/u/c1/b2";

/// The server with the organisation handlers and the seeded university.
struct OrgServer {
    explicit OrgServer(Date start, zb::domain::UniversityPolicy policy = {})
        : server(zb::domain::make_schema()) {
        clock.set_date(start);
        server.context().now_ms = clock.fn();
        server::domain::register_domain(server.context(), policy);
    }
    server::ServerContext& ctx() { return server.context(); }

    /// /u, /u/c1, /u/c1/b1 (undergraduate), /u/c1/b2 (teacher).
    void seed_units() {
        using server::domain::OrgUnitSeed;
        server::domain::seed_organisation(
            ctx(),
            {OrgUnitSeed{kUni, "", "university", "", "某大学党委", std::nullopt},
             OrgUnitSeed{kCollege, kUni, "college", "", "计算机学院党委", std::nullopt},
             OrgUnitSeed{kBranch, kCollege, "branch", "undergraduate", "本科生第一党支部",
                         std::nullopt},
             OrgUnitSeed{kBranch2, kCollege, "branch", "teacher", "教工党支部", std::nullopt}},
            {});
    }
    void seed_person(const std::string& id, const std::string& branch,
                     zb::domain::MemberStatus status, Date since,
                     std::string category = "undergraduate") {
        server::domain::PersonSeed p;
        p.person_id = id;
        p.branch = branch;
        p.name = "姓名" + id;
        p.birth_date = Date::ymd(2000, 1, 15);
        p.category = std::move(category);
        p.status = status;
        p.status_since = since;
        if (status == zb::domain::MemberStatus::Full) p.full_member_on = since;
        if (zb::domain::is_party_member(status)) p.joined_on = since;
        p.id_number = "320102200001151234";
        p.phone = "13912345678";
        p.address = "南京市玄武区某路1号";
        server::domain::seed_organisation(ctx(), {}, {p});
    }

    /// Runs one command as `p` exactly as ingest would (handler, server writes, commit).
    protocol::Result<void> command(const server::Principal& p, const std::string& family,
                                   const std::string& name, const std::string& args) {
        auto* h = ctx().commands.find(family, name);
        REQUIRE(h != nullptr);
        protocol::Change c;
        c.table = family;
        c.column = name;
        c.row = "cmd-" + std::to_string(++seq_);
        c.op = protocol::Op::Command;
        c.value = args;
        const auto now = ctx().now_ms();
        auto txn = ctx().store->begin();
        auto w = h->handle(server::CommandContext{p, *txn, now}, c);
        if (!w) return w.error();
        server::write_server_changes(ctx(), *txn, w.value(), now);
        auto ok = txn->commit();
        REQUIRE(ok.ok());
        return {};
    }

    std::string text(const std::string& table, const std::string& row, const std::string& col) {
        auto c = ctx().store->cell(table, row, col);
        if (!c || c->value.index() != 3) return {};
        return std::get<3>(c->value);
    }
    std::optional<std::int64_t> integer(const std::string& table, const std::string& row,
                                        const std::string& col) {
        auto c = ctx().store->cell(table, row, col);
        if (!c || c->value.index() != 1) return std::nullopt;
        return std::get<1>(c->value);
    }

    Clock clock;
    TestServer server;
    std::uint64_t seq_ = 0;
};

inline server::Principal principal(const std::string& person, const std::string& role,
                                   const std::string& org) {
    return server::make_principal(0x1234, person, server::parse_role(role).value(), org);
}

/// A phone: an encrypted-schema replica (plain opener) on the shared clock, enrolled once.
struct Phone {
    Phone(OrgServer& s, const TempDir& dir, const std::string& person, const std::string& role,
          const std::string& org)
        : srv(s), person_id(person) {
        core::Options o;
        o.path = dir.file(person + ".db");
        o.schema = zb::domain::make_schema();
        o.opener = core::plain_opener();
        o.now_ms = s.clock.fn();
        auto r = core::Replica::open(std::move(o));
        REQUIRE(r.ok());
        replica = std::move(r.value());
        net::SyncClient client(*replica, options());
        auto e = client.enroll(s.server.issue_code(person, role, org), person + "-phone", 20s);
        INFO(e.error.to_string());
        REQUIRE(e.ok());
    }

    net::ClientOptions options() const {
        net::ClientOptions o;
        o.endpoint.host = "127.0.0.1";
        o.endpoint.port = srv.server.port();
        o.transport.tls.pins = {srv.server.pin()};
        o.transport.connect_timeout = 5000ms;
        o.engine.backoff_min_ms = 50;
        o.engine.backoff_max_ms = 400;
        o.stop_timeout = 3000ms;
        return o;
    }

    /// Go online once: push everything, pull everything.
    net::SyncResult sync() {
        net::SyncClient client(*replica, options());
        auto r = client.sync_once(20s);
        INFO(r.error.to_string());
        REQUIRE(r.ok());
        return r;
    }

    /// Queue a command while offline; returns its id.
    std::string submit(const std::string& family, const std::string& name,
                       const std::string& args) {
        auto id = replica->submit_command(family, name, args);
        REQUIRE(id.ok());
        return id.value();
    }

    core::Command command(const std::string& id) {
        auto all = replica->commands();
        REQUIRE(all.ok());
        for (auto& c : all.value())
            if (c.id == id) return c;
        FAIL("no command " << id);
        return {};
    }

    std::optional<core::Values> row(const std::string& table, const std::string& id) {
        auto r = replica->read(table, id);
        REQUIRE(r.ok());
        return r.value();
    }
    std::string text(const std::string& table, const std::string& id, const std::string& col) {
        auto r = row(table, id);
        if (!r) return {};
        auto it = r->find(col);
        if (it == r->end() || it->second.index() != 3) return {};
        return std::get<3>(it->second);
    }
    std::vector<std::string> ids(const std::string& table) {
        auto rows = replica->scan(table);
        REQUIRE(rows.ok());
        std::vector<std::string> out;
        for (auto& v : rows.value())
            out.push_back(v.id);
        return out;
    }

    OrgServer& srv;
    std::string person_id;
    std::unique_ptr<core::Replica> replica;
};

}  // namespace zb::test
