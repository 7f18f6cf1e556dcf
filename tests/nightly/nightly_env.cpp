// SPDX-License-Identifier: Apache-2.0
// Fixtures for the nightly-job tests (see nightly_env.hpp).
#include "nightly_env.hpp"

#include <catch2/catch.hpp>

namespace zb::test {

using namespace protocol;

NightlyEnv::NightlyEnv() {
    ctx_config.tls = false;
    ctx_config.data_dir = dir.file("data");
    ctx_config.log_level = "warn";
    ctx_config.nightly.backup_dir = dir.file("backups");
    ctx_config.nightly.keep = 2;
    reopen();
}

void NightlyEnv::close() {
    ctx.reset();
}

void NightlyEnv::reopen() {
    ctx = server::make_context(ctx_config, test_schema());
    ctx->now_ms = [this] {
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(server::system_now_ms()) +
                                          offset_ms);
    };
}

Dev::Dev(NightlyEnv& e, const std::string& person, const std::string& role, const std::string& org)
    : env(&e) {
    auto now = e.ctx->now_ms();
    auto code =
        e.ctx->store->issue_enroll_code(server::EnrollGrant{person, role, org}, now + 60000, now)
            .value();
    h = std::make_unique<server::SessionHandler>(*e.ctx, "test");
    std::get<Welcome>(h->handle(Hello{}).messages.at(0));
    REQUIRE(std::holds_alternative<Enrolled>(
        h->handle(Enroll{code, keys.public_key, "d"}).messages.at(0)));
    login();
}

void Dev::login() {
    h = std::make_unique<server::SessionHandler>(*env->ctx, "test");
    auto w = std::get<Welcome>(h->handle(Hello{}).messages.at(0));
    Auth a;
    a.device = keys.id;
    a.signature = keys.sign(auth_payload(w.challenge, keys.id));
    auto r = h->handle(a);
    REQUIRE(std::holds_alternative<AuthOk>(r.messages.at(0)));
    auth = std::get<AuthOk>(r.messages.at(0));
}

Change Dev::set(const std::string& t, const std::string& r, const std::string& c, Value v) {
    Change ch;
    ch.table = t;
    ch.row = r;
    ch.column = c;
    ch.value = std::move(v);
    clock = std::max(clock + 1, env->ctx->now_ms());
    ch.hlc = Hlc::make(clock, 0);
    ch.origin = keys.id;
    ch.seq = seq++;
    return ch;
}

Change Dev::op(Op o, const std::string& t, const std::string& r) {
    Change ch = set(t, r, "", Value{});
    ch.op = o;
    return ch;
}

PushAck Dev::push(std::vector<Change> changes) {
    Push p;
    p.batch = changes.empty() ? 1 : changes.front().seq;
    p.changes = std::move(changes);
    p.signature = keys.sign(push_payload(p));
    auto r = h->handle(p);
    REQUIRE(r.messages.size() == 1);
    if (!std::holds_alternative<PushAck>(r.messages[0]))
        FAIL("expected PushAck" << TestClient::describe(r.messages[0]));
    return std::get<PushAck>(r.messages[0]);
}

Message Dev::pull_once(std::uint64_t from) {
    auto r = h->handle(Pull{from, 1000});
    REQUIRE(r.messages.size() == 1);
    return r.messages[0];
}

std::vector<Change> Dev::sync() {
    std::vector<Change> out;
    for (int run = 0; run < 2; ++run) {
        for (;;) {
            Message m = pull_once(cursor);
            if (!std::holds_alternative<Changes>(m))
                FAIL("expected Changes" << TestClient::describe(m));
            auto& page = std::get<Changes>(m);
            out.insert(out.end(), page.changes.begin(), page.changes.end());
            cursor = page.cursor;
            if (!page.has_more) break;
        }
    }
    return out;
}

std::vector<Change> notice(Dev& d, const std::string& row, const std::string& org,
                           const std::string& title) {
    return {d.set("notices", row, "org", org), d.set("notices", row, "title", title)};
}

}  // namespace zb::test
