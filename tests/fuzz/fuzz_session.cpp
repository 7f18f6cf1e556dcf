// SPDX-License-Identifier: Apache-2.0
// Stateful fuzz target for the server's session handler (reliability.md R-30): the input is a
// sequence of frames, each decoded with protocol::decode and fed to a SessionHandler over a
// temporary SQLite store, no sockets. Input layout: byte 0 = flags (bit 0: log in first with a
// real device key; bit 1: re-sign pushes and fix their origin so they reach merge), then frames
// of [u16 little-endian length][bytes]; a whole input without framing is one frame.
// Invariants checked: the handler never throws, every reply is non-empty or a close, a session
// that asked to close stays closed, and the store still answers afterwards.
#include "zb/protocol/codec.hpp"
#include "zb/server/config.hpp"
#include "zb/server/context.hpp"
#include "zb/server/log.hpp"
#include "zb/server/session.hpp"

#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>

namespace {

using namespace zb;
using namespace zb::protocol;

struct World {
    std::filesystem::path dir;
    std::unique_ptr<server::ServerContext> ctx;
    Bytes pk = Bytes(crypto_sign_PUBLICKEYBYTES);
    Bytes sk = Bytes(crypto_sign_SECRETKEYBYTES);
    DeviceId device = 0;

    World() {
        if (sodium_init() < 0) std::abort();
        server::set_log_level(server::LogLevel::Off);
        char tmpl[] = "/tmp/zb-fuzz-session-XXXXXX";
        if (!::mkdtemp(tmpl)) std::abort();
        dir = tmpl;
        server::Config c;
        c.tls = false;
        c.data_dir = (dir / "data").string();
        c.log_level = "off";
        c.limits.max_pull_limit = 64;
        auto schema = server::schema_from_json(nlohmann::json::parse(R"({"tables": [
            {"name": "notices", "columns": [{"name": "title"}]},
            {"name": "profiles", "visibility": "owner", "owner_column": "person",
             "columns": [{"name": "id_number", "sensitive": true},
                         {"name": "status", "policy": "server"}]},
            {"name": "ledger", "policy": "append_only", "deletable": false,
             "owner_column": "person", "visibility": "owner"},
            {"name": "progress", "owner_column": "person", "visibility": "owner",
             "columns": [{"name": "pct", "policy": "max"}, {"name": "likes", "policy": "counter"},
                         {"name": "notes", "policy": "keep_both"}]}]})"));
        ctx = server::make_context(c, std::move(schema));
        crypto_sign_keypair(pk.data(), sk.data());
        auto now = ctx->now_ms();
        auto code = ctx->store
                        ->issue_enroll_code(server::EnrollGrant{"fuzz", "branch_secretary", "/u/f"},
                                            now + 86400000ull * 365, now)
                        .value();
        device = ctx->store->enroll(code, pk, "fuzz", now).value().id;
    }
    ~World() {
        ctx.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    Bytes sign(const Bytes& m) const {
        Bytes sig(crypto_sign_BYTES);
        crypto_sign_detached(sig.data(), nullptr, m.data(), m.size(), sk.data());
        return sig;
    }
};

World& world() {
    static World w;
    return w;
}

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    World& w = world();
    server::SessionHandler h(*w.ctx, "fuzz");
    std::span<const std::uint8_t> in(data, size);
    const std::uint8_t flags = in.empty() ? 0 : in[0];
    bool closed = false;

    auto feed = [&](const Message& m) {
        server::Reply r = h.handle(m);
        check(!r.messages.empty() || r.close || std::holds_alternative<Goodbye>(m));
        if (closed) check(r.close);
        if (r.close) closed = true;
        return r;
    };

    if (flags & 1) {
        auto r = feed(Hello{});
        if (auto* wel = std::get_if<Welcome>(&r.messages.at(0))) {
            Auth a;
            a.device = w.device;
            a.signature = w.sign(auth_payload(wel->challenge, w.device));
            feed(a);
        }
    }

    auto one = [&](std::span<const std::uint8_t> frame) {
        auto decoded = decode(frame);
        if (!decoded) {
            auto r = h.on_decode_error(decoded.error());
            check(r.close && !r.messages.empty());
            closed = true;
            return;
        }
        Message m = std::move(decoded.value());
        if ((flags & 2) && std::holds_alternative<Push>(m)) {
            auto& p = std::get<Push>(m);
            for (auto& c : p.changes)
                c.origin = w.device;
            p.signature = w.sign(push_payload(p));
        }
        feed(m);
    };

    if (size >= 3) {
        std::size_t pos = 1;
        bool framed = true;
        while (pos < size && framed) {
            if (size - pos < 2) break;
            std::size_t len = in[pos] | (std::size_t{in[pos + 1]} << 8);
            pos += 2;
            if (len > size - pos) {
                framed = pos == 3;  // the first length is nonsense: treat input as one frame
                break;
            }
            one(in.subspan(pos, len));
            pos += len;
        }
        if (!framed) one(in);
    } else {
        one(in);
    }
    // The store still answers.
    check(w.ctx->store->device(w.device).has_value());
    return 0;
}
