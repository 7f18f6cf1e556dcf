// SPDX-License-Identifier: Apache-2.0
// The per-connection protocol state machine (see session.hpp). Every failure path answers with
// an ErrorMsg (or Goodbye/Wipe) and asks the transport to close; nothing here throws to callers.
#include "zb/server/session.hpp"

#include "zb/server/log.hpp"
#include "zb/server/maintenance.hpp"
#include "zb/server/relay.hpp"

#include <algorithm>

namespace zb::server {

using namespace protocol;

namespace {
Reply error_reply(Errc code, std::string message) {
    Reply r;
    r.messages.push_back(ErrorMsg{code, std::move(message)});
    r.close = true;
    return r;
}
}  // namespace

SessionHandler::SessionHandler(ServerContext& ctx, std::string peer)
    : ctx_(ctx), peer_(std::move(peer)) {}

Reply SessionHandler::fail(Errc code, std::string message) {
    state_ = State::Closed;
    ctx_.metrics.protocol_errors += 1;
    log(LogLevel::Info, "session_error",
        {{"peer", peer_}, {"code", static_cast<int>(code)}, {"reason", message}});
    return error_reply(code, std::move(message));
}

Reply SessionHandler::on_decode_error(const Error& e) {
    return fail(e.code, e.message);
}

Reply SessionHandler::handle(const Message& m) {
    if (state_ == State::Closed) return error_reply(Errc::UnexpectedMessage, "session closed");
    if (state_ == State::Authenticated && is_blob_request(m)) {
        Reply r;
        if (session_expired(r)) return r;
        try {
            if (auto answer = blobs_.handle(ctx_, *principal_, m))
                r.messages.push_back(std::move(*answer));
            return r;
        } catch (const std::exception& e) {
            log(LogLevel::Error, "session_internal", {{"peer", peer_}, {"what", e.what()}});
            return fail(Errc::Internal, "internal error");
        }
    }
    try {
        return std::visit(
            [&](const auto& msg) -> Reply {
                using T = std::decay_t<decltype(msg)>;
                if constexpr (std::is_same_v<T, Hello>) {
                    return handle_hello(msg);
                } else if constexpr (std::is_same_v<T, Enroll>) {
                    return handle_enroll(msg);
                } else if constexpr (std::is_same_v<T, Auth>) {
                    return handle_auth(msg);
                } else if constexpr (std::is_same_v<T, Push>) {
                    return handle_push(msg);
                } else if constexpr (std::is_same_v<T, Pull>) {
                    return handle_pull(msg);
                } else if constexpr (std::is_same_v<T, RelayPush>) {
                    // Tiers (SPEC.md §15): a college server relaying its subtree.
                    if (state_ != State::Authenticated)
                        return fail(Errc::UnexpectedMessage, "relay before auth");
                    Reply r;
                    if (session_expired(r)) return r;
                    auto res = relay_ingest(ctx_, *principal_, msg);
                    if (!res) return fail(res.error().code, res.error().message);
                    r.messages.push_back(std::move(res->ack));
                    r.commit = std::move(res->commit);
                    return r;
                } else if constexpr (std::is_same_v<T, Goodbye>) {
                    state_ = State::Closed;
                    Reply r;
                    r.close = true;
                    return r;
                } else {
                    return fail(Errc::UnexpectedMessage, "message type not accepted by the server");
                }
            },
            m);
    } catch (const std::exception& e) {
        log(LogLevel::Error, "session_internal", {{"peer", peer_}, {"what", e.what()}});
        return fail(Errc::Internal, "internal error");
    }
}

Reply SessionHandler::handle_hello(const Hello& m) {
    if (state_ != State::AwaitHello) return fail(Errc::UnexpectedMessage, "hello twice");
    std::uint32_t hi = std::min(m.max_version, kProtocolVersion);
    std::uint32_t lo = std::max(m.min_version, kMinProtocolVersion);
    if (m.min_version > m.max_version || hi < lo) {
        state_ = State::Closed;
        Reply r;
        r.messages.push_back(Goodbye{Errc::VersionUnsupported, "no common protocol version"});
        r.close = true;
        return r;
    }
    challenge_ = random_bytes(32);
    state_ = State::Handshaken;
    Reply r;
    r.messages.push_back(Welcome{hi, challenge_, ctx_.config.server_id, ctx_.now_ms()});
    return r;
}

Reply SessionHandler::handle_enroll(const Enroll& m) {
    if (state_ != State::Handshaken) return fail(Errc::UnexpectedMessage, "enroll out of order");
    auto d = ctx_.store->enroll(m.code, m.public_key, m.device_name.substr(0, 200), ctx_.now_ms());
    if (!d) {
        ctx_.metrics.auth_failures += 1;
        return fail(d.error().code, d.error().message);
    }
    ctx_.metrics.enrollments += 1;
    log(LogLevel::Info, "enrolled",
        {{"peer", peer_}, {"device", std::to_string(d->id)}, {"role", d->role}, {"org", d->org}});
    Reply r;
    r.messages.push_back(Enrolled{d->id, d->person, d->role, d->org});
    return r;
}

Reply SessionHandler::refuse_revoked(const DeviceRecord& d) {
    state_ = State::Closed;
    Reply r;
    r.close = true;
    if (d.wipe) {
        r.messages.push_back(Wipe{"device revoked; wipe ordered"});
        log(LogLevel::Info, "wipe_sent", {{"peer", peer_}, {"device", std::to_string(d.id)}});
    } else {
        r.messages.push_back(Goodbye{Errc::DeviceRevoked, "device revoked"});
    }
    return r;
}

Reply SessionHandler::handle_auth(const Auth& m) {
    if (state_ != State::Handshaken && state_ != State::Authenticated)
        return fail(Errc::UnexpectedMessage, "auth before hello");
    if (principal_ && principal_->device != m.device)
        return fail(Errc::AuthFailed, "a session authenticates one device");
    const bool by_sig = !m.signature.empty();
    if (by_sig == !m.token.empty()) {
        ctx_.metrics.auth_failures += 1;
        return fail(Errc::AuthFailed, "exactly one of signature and token");
    }
    auto dev = ctx_.store->device(m.device);
    if (!dev) {
        ctx_.metrics.auth_failures += 1;
        return fail(Errc::AuthFailed, "authentication failed");
    }
    const std::uint64_t now = ctx_.now_ms();
    if (by_sig) {
        if (!verify_signature(auth_payload(challenge_, m.device), m.signature, dev->public_key)) {
            ctx_.metrics.auth_failures += 1;
            return fail(Errc::AuthFailed, "authentication failed");
        }
    } else {
        auto ok = ctx_.store->check_token(m.token, m.device, now);
        if (!ok) {
            ctx_.metrics.auth_failures += 1;
            return fail(ok.error().code, ok.error().message);
        }
    }
    if (dev->revoked) return refuse_revoked(*dev);
    auto role = parse_role(dev->role);
    if (!role) return fail(Errc::Internal, "device has an unknown role");
    TokenGrant grant;
    auto issued = ctx_.store->issue_token(m.device, now + ctx_.config.token_ttl_ms);
    if (!issued) return fail(issued.error().code, "cannot issue token");
    grant = issued.value();
    principal_ = make_principal(m.device, dev->person, *role, dev->org);
    session_expires_ms_ = grant.expires_ms;
    state_ = State::Authenticated;
    ctx_.metrics.auth_ok += 1;
    log(LogLevel::Info, "auth_ok",
        {{"peer", peer_}, {"device", std::to_string(m.device)}, {"by", by_sig ? "sig" : "token"}});
    Reply r;
    AuthOk ok;
    ok.token = grant.token;
    ok.token_expires_ms = grant.expires_ms;
    ok.person = dev->person;
    ok.role = dev->role;
    ok.scopes = principal_->scopes;
    ok.acked_seq = dev->acked_seq;
    r.messages.push_back(std::move(ok));
    return r;
}

bool SessionHandler::session_expired(Reply& r) {
    if (ctx_.now_ms() < session_expires_ms_) return false;
    r = fail(Errc::TokenExpired, "session expired; authenticate again");
    return true;
}

Reply SessionHandler::handle_push(const Push& m) {
    if (state_ != State::Authenticated) return fail(Errc::UnexpectedMessage, "push before auth");
    Reply r;
    if (session_expired(r)) return r;
    auto res = ingest(ctx_, *principal_, m);
    if (!res) {
        if (res.error().code == Errc::DeviceRevoked) {
            if (auto d = ctx_.store->device(principal_->device)) return refuse_revoked(*d);
        }
        return fail(res.error().code, res.error().message);
    }
    log(LogLevel::Debug, "push",
        {{"device", std::to_string(principal_->device)},
         {"batch", m.batch},
         {"accepted", res->accepted},
         {"rejected", res->rejected}});
    r.messages.push_back(std::move(res->ack));
    r.commit = std::move(res->commit);
    return r;
}

Reply SessionHandler::handle_pull(const Pull& m) {
    if (state_ != State::Authenticated) return fail(Errc::UnexpectedMessage, "pull before auth");
    Reply r;
    if (session_expired(r)) return r;
    std::uint32_t limit = std::clamp<std::uint32_t>(m.limit, 1, ctx_.config.limits.max_pull_limit);
    // A pull that continues where the last page ended extends the same progress count; any other
    // cursor (first pull, a resume after reconnect) starts a new sequence.
    if (!pull_active_ || m.cursor != pull_next_) {
        // A cursor below the collected floor or from before a restore cannot be served
        // incrementally: the device rebases (SPEC §9.1). The session stays open.
        if (auto why = pull_cursor_expired(*ctx_.store, m.cursor)) {
            r.messages.push_back(ErrorMsg{Errc::CursorExpired, *why});
            return r;
        }
        note_pull(*ctx_.store, principal_->device, m.cursor, ctx_.now_ms());
        auto total = ctx_.store->count_after(*principal_, m.cursor);
        if (!total) return fail(total.error().code, "storage failure");
        pull_total_ = total.value();
        pull_done_ = 0;
        pull_active_ = true;
    }
    auto page = ctx_.store->pull(*principal_, m.cursor, limit);
    if (!page) return fail(page.error().code, "storage failure");
    pull_done_ += page->scanned;
    // Entries written during the pull sequence extend it: never report done > total.
    pull_total_ = std::max(pull_total_, pull_done_ + (page->has_more ? 1 : 0));
    pull_next_ = page->cursor;
    ctx_.metrics.pulls += 1;
    ctx_.metrics.pulled_changes += page->changes.size();
    Changes ch;
    ch.changes = std::move(page->changes);
    ch.cursor = page->cursor;
    ch.has_more = page->has_more;
    ch.done = pull_done_;
    ch.total = pull_total_;
    if (!ch.has_more) pull_active_ = false;
    r.messages.push_back(std::move(ch));
    return r;
}

}  // namespace zb::server
