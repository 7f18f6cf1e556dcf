// SPDX-License-Identifier: Apache-2.0
// The client sync state machine (sync_engine.hpp). Every handler validates that its message is
// allowed in the current state before touching the store, so a misbehaving server can end the
// session but never make the engine push twice concurrently, pull from a stale cursor, or settle
// changes it did not send.
#include "zb/core/sync_engine.hpp"

#include <algorithm>
#include <utility>
#include <variant>

namespace zb::core {
namespace {

using protocol::Errc;

std::uint64_t add_sat(std::uint64_t a, std::uint64_t b) {
    return a > SyncEngine::kNever - b ? SyncEngine::kNever : a + b;
}

// SplitMix64: a tiny, well-mixed hash so jitter is deterministic for a given seed and history.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// Errors a reconnect cannot fix: they need a user (new code, re-enrollment) or a new build.
bool needs_user(Errc code) {
    switch (code) {
        case Errc::VersionUnsupported:
        case Errc::AuthFailed:
        case Errc::DeviceRevoked:
        case Errc::EnrollCodeInvalid:
        case Errc::BadBatchSignature:
            return true;
        default:
            return false;
    }
}

// SPEC §6.12: these codes end the session; the others answer one request.
bool ends_session(Errc code) {
    const auto c = static_cast<std::uint16_t>(code);
    return (c >= 100 && c < 300) || (c >= 300 && c <= 303);
}

template <class Queue, class Item>
void forget_outstanding(Queue& q, Item item) {
    for (auto it = q.begin(); it != q.end(); ++it) {
        if (*it == item) {
            q.erase(it);
            return;
        }
    }
}

}  // namespace

std::string_view sync_state_name(SyncState s) {
    switch (s) {
        case SyncState::Offline:
            return "offline";
        case SyncState::Connecting:
            return "connecting";
        case SyncState::Enrolling:
            return "enrolling";
        case SyncState::Authenticating:
            return "authenticating";
        case SyncState::Syncing:
            return "syncing";
        case SyncState::Idle:
            return "idle";
        case SyncState::Closing:
            return "closing";
        case SyncState::Failed:
            return "failed";
        case SyncState::Wiped:
            return "wiped";
        case SyncState::Stopped:
            return "stopped";
    }
    return "unknown";
}

SyncEngine::SyncEngine(SyncStore& store, SyncOptions options)
    : store_(store), options_(std::move(options)) {
    options_.push_batch = std::max<std::size_t>(options_.push_batch, 1);
    options_.pull_limit = std::max<std::uint32_t>(options_.pull_limit, 1);
    options_.backoff_min_ms = std::max<std::uint64_t>(options_.backoff_min_ms, 1);
    options_.backoff_max_ms = std::max(options_.backoff_max_ms, options_.backoff_min_ms);
    reported_ = status_;
}

// ---- connection lifecycle ----

std::vector<protocol::Message> SyncEngine::on_connected(std::uint64_t now_ms) {
    Out out;
    connected_ = true;
    if (status_.state != SyncState::Offline) {
        close_requested_ = true;  // Failed, Wiped or Stopped: this connection is not wanted
        notify_if_changed();
        return out;
    }
    close_requested_ = false;
    session_ok_ = false;
    challenge_.clear();
    notified_cursor_ = 0;
    notified_during_pull_ = false;
    status_.state = SyncState::Connecting;
    deadline_ms_ = add_sat(now_ms, options_.handshake_timeout_ms);

    protocol::Hello hello;
    hello.client = options_.client_name;
    hello.device = store_.identity().device;
    out.emplace_back(std::move(hello));
    notify_if_changed();
    return out;
}

void SyncEngine::on_disconnected(std::uint64_t now_ms) {
    // Without a preceding on_connected this reports a failed connection attempt.
    const bool was_ok = connected_ && session_ok_;
    connected_ = false;
    close_requested_ = false;
    session_ok_ = false;
    challenge_.clear();
    drop_requests();

    const SyncState s = status_.state;
    if (s != SyncState::Failed && s != SyncState::Wiped && s != SyncState::Stopped) {
        if (!was_ok) ++status_.attempt;
        status_.state = SyncState::Offline;
        status_.next_attempt_ms = add_sat(now_ms, backoff_delay(status_.attempt, ++reconnects_));
    }
    notify_if_changed();
}

std::vector<protocol::Message> SyncEngine::stop(std::uint64_t /*now_ms*/) {
    Out out;
    if (connected_ && !close_requested_) {
        out.emplace_back(protocol::Goodbye{Errc::Ok, "client stopping"});
    }
    close_requested_ = true;
    drop_requests();
    if (status_.state != SyncState::Wiped) status_.state = SyncState::Stopped;
    notify_if_changed();
    return out;
}

void SyncEngine::resume(std::uint64_t now_ms) {
    if (status_.state != SyncState::Stopped && status_.state != SyncState::Failed) return;
    status_.state = SyncState::Offline;
    status_.attempt = 0;
    status_.next_attempt_ms = now_ms;
    notify_if_changed();
}

bool SyncEngine::wants_connection(std::uint64_t now_ms) const {
    return !connected_ && status_.state == SyncState::Offline && now_ms >= status_.next_attempt_ms;
}

std::uint64_t SyncEngine::next_wakeup_ms() const {
    if (!connected_) return status_.state == SyncState::Offline ? status_.next_attempt_ms : kNever;
    if (close_requested_) return kNever;
    return std::min({deadline_ms_, push_retry_ms_, pull_retry_ms_});
}

std::vector<protocol::Message> SyncEngine::on_timer(std::uint64_t now_ms) {
    Out out;
    if (!connected_ || close_requested_) return out;
    if (now_ms >= deadline_ms_) {
        if (logged_in()) {
            end_session(Errc::IdleTimeout, "no answer from the server to a push or pull");
        } else {
            end_session(Errc::HandshakeTimeout, "no answer from the server during the handshake");
        }
    } else if (logged_in()) {
        if (now_ms >= push_retry_ms_) {
            push_retry_ms_ = kNever;
            push_next(now_ms, out);
        }
        if (now_ms >= pull_retry_ms_) {
            pull_retry_ms_ = kNever;
            pull_next(now_ms, out);
        }
        refresh_activity(now_ms);
    }
    notify_if_changed();
    return out;
}

std::uint64_t SyncEngine::backoff_delay(std::uint32_t attempt, std::uint64_t salt) const {
    // min · 2^attempt, capped; then "equal jitter": a uniform pick in [delay/2, delay] so that
    // devices cut off together do not come back together.
    std::uint64_t delay = options_.backoff_min_ms;
    for (std::uint32_t i = 0; i < attempt && delay < options_.backoff_max_ms; ++i)
        delay *= 2;
    delay = std::min(delay, options_.backoff_max_ms);
    const std::uint64_t half = delay / 2;
    const std::uint64_t r = mix(options_.jitter_seed ^ mix(salt) ^ attempt);
    return delay - half + r % (half + 1);
}

std::vector<protocol::Message> SyncEngine::on_local_change(std::uint64_t now_ms) {
    Out out;
    status_.pending_outbox.reset();  // unknown until the next outbox read
    if (logged_in()) {
        push_next(now_ms, out);
        refresh_activity(now_ms);
    }
    notify_if_changed();
    return out;
}

// ---- messages ----

std::vector<protocol::Message> SyncEngine::on_message(const protocol::Message& m,
                                                      std::uint64_t now_ms) {
    Out out;
    // Frames that race a close we asked for are dropped: the session is over.
    if (!connected_ || close_requested_) return out;

    const SyncState s = status_.state;
    if (const auto* w = std::get_if<protocol::Welcome>(&m); w && s == SyncState::Connecting) {
        handle(*w, now_ms, out);
    } else if (const auto* e = std::get_if<protocol::Enrolled>(&m);
               e && s == SyncState::Enrolling) {
        handle(*e, now_ms, out);
    } else if (const auto* a = std::get_if<protocol::AuthOk>(&m);
               a && s == SyncState::Authenticating) {
        handle(*a, now_ms, out);
    } else if (const auto* k = std::get_if<protocol::PushAck>(&m);
               k && logged_in() && !in_flight_.empty()) {
        handle(*k, now_ms, out);
    } else if (const auto* c = std::get_if<protocol::Changes>(&m);
               c && logged_in() && pull_in_flight_) {
        handle(*c, now_ms, out);
    } else if (const auto* n = std::get_if<protocol::Notify>(&m); n && logged_in()) {
        handle(*n, now_ms, out);
    } else if (const auto* err = std::get_if<protocol::ErrorMsg>(&m)) {
        handle(*err, now_ms, out);
    } else if (const auto* bye = std::get_if<protocol::Goodbye>(&m)) {
        handle(*bye, out);
    } else if (const auto* wipe = std::get_if<protocol::Wipe>(&m)) {
        handle(*wipe, out);
    } else {
        protocol_error(std::string(protocol::type_name(protocol::type_of(m))) +
                           " not allowed while " + std::string(sync_state_name(s)),
                       out);
    }
    notify_if_changed();
    return out;
}

void SyncEngine::handle(const protocol::Welcome& m, std::uint64_t now_ms, Out& out) {
    if (m.version < protocol::kMinProtocolVersion || m.version > protocol::kProtocolVersion) {
        const std::string why = "server chose protocol version " + std::to_string(m.version);
        out.emplace_back(protocol::ErrorMsg{Errc::VersionUnsupported, why});
        end_session(Errc::VersionUnsupported, why);
        return;
    }
    challenge_ = m.challenge;
    const DeviceIdentity id = store_.identity();
    if (id.device != 0) {
        send_auth(id.device, now_ms, out);
        return;
    }
    if (options_.enroll_code.empty()) {
        out.emplace_back(protocol::Goodbye{Errc::Ok, "device not enrolled"});
        end_session(Errc::EnrollCodeInvalid, "device is not enrolled and has no enrollment code");
        return;
    }
    protocol::Enroll enroll;
    enroll.code = options_.enroll_code;
    enroll.public_key = id.public_key;
    enroll.device_name = options_.device_name;
    out.emplace_back(std::move(enroll));
    status_.state = SyncState::Enrolling;
    deadline_ms_ = add_sat(now_ms, options_.handshake_timeout_ms);
}

void SyncEngine::handle(const protocol::Enrolled& m, std::uint64_t now_ms, Out& out) {
    if (m.device == 0) {
        protocol_error("Enrolled without a device id", out);
        return;
    }
    store_.set_enrolled(m);
    options_.enroll_code.clear();  // one-time: never sent again
    send_auth(m.device, now_ms, out);
}

void SyncEngine::send_auth(protocol::DeviceId device, std::uint64_t now_ms, Out& out) {
    protocol::Auth auth;
    auth.device = device;
    auth_by_token_ =
        !token_.empty() && token_expires_ms_ > add_sat(now_ms, options_.token_margin_ms);
    if (auth_by_token_) {
        auth.token = token_;
    } else {
        auth.signature = store_.sign(protocol::auth_payload(challenge_, device));
    }
    out.emplace_back(std::move(auth));
    status_.state = SyncState::Authenticating;
    deadline_ms_ = add_sat(now_ms, options_.handshake_timeout_ms);
}

void SyncEngine::handle(const protocol::AuthOk& m, std::uint64_t now_ms, Out& out) {
    token_ = m.token;
    token_expires_ms_ = m.token_expires_ms;
    session_ok_ = true;
    status_.attempt = 0;
    status_.error = Errc::Ok;
    status_.error_message.clear();
    status_.acked_seq = m.acked_seq;
    status_.pending_outbox.reset();

    // Changes the server stored before the connection died may have lost their PushAck, and
    // with it their individual results: one of them may have been rejected. Settling them as
    // accepted from m.acked_seq would leave a rejected value standing on the phone, so the push
    // starts again at the outbox's first entry; the server answers seqs it already settled with
    // the result it logged for (device, seq) and stores nothing twice (SPEC §9, idempotency per
    // (device, seq)). The cost is re-sending the changes whose ack was lost.
    push_after_ = 0;
    drop_requests();
    refusals_ = 0;
    // The server settled less than it once told us: it was restored from a backup and lost
    // acknowledged changes. Rebase and send our own data again (SPEC §9.1).
    if (m.acked_seq < store_.settled_seq()) (void)store_.begin_rebase(true);

    status_.state = SyncState::Syncing;
    push_next(now_ms, out);
    pull_next(now_ms, out);
    refresh_activity(now_ms);
}

void SyncEngine::push_next(std::uint64_t now_ms, Out& out) {
    if (!logged_in() || !in_flight_.empty() || push_retry_ms_ != kNever) return;
    std::vector<protocol::Change> changes = store_.outbox(push_after_, options_.push_batch);
    if (changes.empty()) {
        status_.pending_outbox = 0;
        return;
    }
    if (changes.size() < options_.push_batch) {
        status_.pending_outbox = changes.size();
    } else {
        status_.pending_outbox.reset();
    }
    protocol::Push push;
    push.batch = changes.front().seq;
    push.changes = changes;
    push.signature = store_.sign(protocol::push_payload(push));
    in_flight_ = std::move(changes);
    in_flight_batch_ = push.batch;
    outstanding_.push_back(Request::Push);
    out.emplace_back(std::move(push));
    deadline_ms_ = add_sat(now_ms, options_.request_timeout_ms);
}

void SyncEngine::handle(const protocol::PushAck& m, std::uint64_t now_ms, Out& out) {
    if (m.batch != in_flight_batch_) {
        protocol_error("PushAck for batch " + std::to_string(m.batch) + ", expected " +
                           std::to_string(in_flight_batch_),
                       out);
        return;
    }
    forget_outstanding(outstanding_, Request::Push);
    store_.settle(in_flight_, m);
    for (const protocol::ChangeResult& r : m.results) {
        if (r.code != Errc::Ok) ++status_.rejected;
    }
    const std::uint64_t first = in_flight_.front().seq;
    in_flight_.clear();
    status_.acked_seq = std::max(status_.acked_seq, m.acked_seq);
    push_after_ = std::max(push_after_, m.acked_seq);

    if (m.acked_seq < first) {
        // The server settled nothing of the batch. If the store still holds its first change, the
        // next push would be the same batch again at once: wait for a backoff delay instead.
        const std::vector<protocol::Change> head = store_.outbox(push_after_, 1);
        if (!head.empty() && head.front().seq <= first) {
            Errc code = Errc::SequenceGap;
            std::string why = "server settled nothing of batch " + std::to_string(first);
            for (const protocol::ChangeResult& r : m.results) {
                if (r.code != Errc::Ok) {
                    code = r.code;
                    why += ": " + r.message;
                    break;
                }
            }
            set_error(code, std::move(why));
            push_retry_ms_ = add_sat(now_ms, backoff_delay(++refusals_, ++reconnects_));
        }
    } else {
        refusals_ = 0;
    }
    push_next(now_ms, out);
    refresh_activity(now_ms);
}

void SyncEngine::pull_next(std::uint64_t now_ms, Out& out) {
    if (!logged_in() || pull_in_flight_ || pull_retry_ms_ != kNever) return;
    protocol::Pull pull;
    pull.cursor = store_.pull_cursor();
    pull.limit = options_.pull_limit;
    pull_sent_cursor_ = pull.cursor;
    pull_in_flight_ = true;
    outstanding_.push_back(Request::Pull);
    out.emplace_back(pull);
    deadline_ms_ = add_sat(now_ms, options_.request_timeout_ms);
}

void SyncEngine::handle(const protocol::Changes& m, std::uint64_t now_ms, Out& out) {
    // A page that claims more but does not move the cursor would make us pull forever.
    if (m.has_more && m.cursor <= pull_sent_cursor_) {
        protocol_error("Changes with has_more did not advance the cursor", out);
        return;
    }
    pull_in_flight_ = false;
    forget_outstanding(outstanding_, Request::Pull);
    store_.apply_remote(m);
    // The last page of a rebase may have queued this device's own cells again (SPEC §9.1).
    if (!m.has_more) push_next(now_ms, out);
    status_.pull_done = m.done;
    status_.pull_total = m.total;
    // One more pull only for a Notify that arrived while this pull was in flight. The pull
    // cursor is the last entry this device may read, so it can stay below a Notify cursor for
    // good (the commit also wrote rows outside its scope): re-pulling for as long as it is lower
    // would loop forever (found by the simulator, tests/sim).
    const bool notified = std::exchange(notified_during_pull_, false);
    if (m.has_more || (notified && notified_cursor_ > store_.pull_cursor())) pull_next(now_ms, out);
    refresh_activity(now_ms);
}

void SyncEngine::handle(const protocol::Notify& m, std::uint64_t now_ms, Out& out) {
    notified_cursor_ = std::max(notified_cursor_, m.cursor);
    if (pull_in_flight_ && m.cursor > pull_sent_cursor_) notified_during_pull_ = true;
    // During a pull the Changes handler picks the notification up when the pull ends.
    if (!pull_in_flight_ && m.cursor > store_.pull_cursor()) pull_next(now_ms, out);
    refresh_activity(now_ms);
}

void SyncEngine::handle(const protocol::ErrorMsg& m, std::uint64_t now_ms, Out& out) {
    // A refused token is not fatal: forget it and sign the next challenge instead.
    const bool token_refused = m.code == Errc::TokenExpired || m.code == Errc::TokenInvalid ||
                               (m.code == Errc::AuthFailed && auth_by_token_ &&
                                status_.state == SyncState::Authenticating);
    if (token_refused) {
        token_.clear();
        token_expires_ms_ = 0;
        end_session(m.code, m.message);
        status_.state = SyncState::Closing;
        return;
    }
    if (!logged_in() || ends_session(m.code) || needs_user(m.code)) {
        end_session(m.code, m.message);
        return;
    }
    // Our cursor is below what the server still has history for: rebase onto a snapshot
    // (SPEC §9.1) and pull again at once; the outbox is kept and pushed as usual.
    if (m.code == Errc::CursorExpired && !outstanding_.empty() &&
        outstanding_.front() == Request::Pull && store_.begin_rebase(false)) {
        outstanding_.pop_front();
        pull_in_flight_ = false;
        pull_next(now_ms, out);
        refresh_activity(now_ms);
        return;
    }
    refuse_request(m.code, m.message, now_ms);
}

void SyncEngine::handle(const protocol::Goodbye& m, Out& /*out*/) {
    end_session(m.code, m.reason.empty() ? "server said goodbye" : m.reason);
}

void SyncEngine::handle(const protocol::Wipe& m, Out& /*out*/) {
    store_.wipe(m.reason);
    token_.clear();
    token_expires_ms_ = 0;
    drop_requests();
    close_requested_ = true;
    set_error(Errc::DeviceRevoked, m.reason);
    status_.state = SyncState::Wiped;
}

// ---- helpers ----

bool SyncEngine::logged_in() const {
    return connected_ && !close_requested_ &&
           (status_.state == SyncState::Syncing || status_.state == SyncState::Idle);
}

void SyncEngine::refresh_activity(std::uint64_t now_ms) {
    if (!logged_in()) return;
    const bool busy = !in_flight_.empty() || pull_in_flight_;
    // A sync completes when nothing is in flight and nothing waits for a retry.
    const bool waiting = push_retry_ms_ != kNever || pull_retry_ms_ != kNever;
    if (!busy && !waiting && status_.state == SyncState::Syncing) status_.last_sync_ms = now_ms;
    status_.state = busy ? SyncState::Syncing : SyncState::Idle;
    deadline_ms_ = busy ? add_sat(now_ms, options_.request_timeout_ms) : kNever;
}

void SyncEngine::protocol_error(std::string what, Out& out) {
    out.emplace_back(protocol::ErrorMsg{Errc::UnexpectedMessage, what});
    end_session(Errc::UnexpectedMessage, std::move(what));
}

void SyncEngine::end_session(Errc code, std::string message) {
    set_error(code, std::move(message));
    close_requested_ = true;
    drop_requests();
    status_.state = needs_user(code) ? SyncState::Failed : SyncState::Closing;
}

void SyncEngine::refuse_request(Errc code, std::string message, std::uint64_t now_ms) {
    set_error(code, std::move(message));
    if (outstanding_.empty()) return;  // nothing to answer: keep the error, change nothing
    const Request refused = outstanding_.front();
    outstanding_.pop_front();
    const std::uint64_t retry = add_sat(now_ms, backoff_delay(++refusals_, ++reconnects_));
    if (refused == Request::Push) {
        in_flight_.clear();
        push_retry_ms_ = retry;
    } else {
        pull_in_flight_ = false;
        pull_retry_ms_ = retry;
    }
    refresh_activity(now_ms);
}

void SyncEngine::drop_requests() {
    in_flight_.clear();
    pull_in_flight_ = false;
    outstanding_.clear();
    push_retry_ms_ = kNever;
    pull_retry_ms_ = kNever;
    deadline_ms_ = kNever;
}

void SyncEngine::set_error(Errc code, std::string message) {
    status_.error = code;
    status_.error_message = std::move(message);
}

void SyncEngine::notify_if_changed() {
    if (status_ == reported_) return;
    reported_ = status_;
    if (on_status) on_status(status_);
}

}  // namespace zb::core
