// SPDX-License-Identifier: Apache-2.0
// The client side of the sync protocol as a sans-I/O state machine. It owns no socket, thread,
// timer or database: a driver (the phone's transport, the simulator, a test) feeds it connection
// events, decoded messages and the current time, sends whatever messages it returns, closes the
// connection when should_close() says so, and wakes it at next_wakeup_ms().
#pragma once

#include "zb/core/sync_store.hpp"
#include "zb/protocol/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zb::core {

/// Where the engine is. A session runs Offline → Connecting → [Enrolling →] Authenticating →
/// Syncing ⇄ Idle; any error ends it in Closing (reconnect with backoff), Failed (needs the user)
/// or Wiped (the device was revoked).
enum class SyncState : std::uint8_t {
    Offline = 1,         ///< no connection; wants one once the backoff delay has passed
    Connecting = 2,      ///< Hello sent, waiting for Welcome
    Enrolling = 3,       ///< Enroll sent, waiting for Enrolled
    Authenticating = 4,  ///< Auth sent, waiting for AuthOk
    Syncing = 5,         ///< logged in, a push or a pull is in flight
    Idle = 6,            ///< logged in, nothing in flight (up to date, or a refused request
                         ///< waits for its retry time)
    Closing = 7,         ///< the session ended with a transient error; waiting for the close
    Failed = 8,          ///< a permanent error (bad enrollment code, revoked, auth refused …)
    Wiped = 9,           ///< the server ordered a wipe; the store has been wiped; terminal
    Stopped = 10,        ///< stop() was called; nothing happens until resume()
};

std::string_view sync_state_name(SyncState s);

struct SyncOptions {
    std::string client_name = "zhibu-core";  ///< Hello.client, informational
    std::string device_name;                 ///< Enroll.device_name
    std::string enroll_code;          ///< one-time code; used only while the store has no device id
    std::size_t push_batch = 500;     ///< changes per Push (the server caps at 5000)
    std::uint32_t pull_limit = 1000;  ///< cells per Pull
    std::uint64_t backoff_min_ms = 1'000;         ///< first reconnect delay (before jitter)
    std::uint64_t backoff_max_ms = 300'000;       ///< cap of the doubling delay
    std::uint64_t jitter_seed = 0;                ///< seeds the deterministic reconnect jitter
    std::uint64_t token_margin_ms = 60'000;       ///< a token this close to expiry is not reused
    std::uint64_t handshake_timeout_ms = 30'000;  ///< Hello/Enroll/Auth unanswered → close
    std::uint64_t request_timeout_ms = 120'000;   ///< Push/Pull unanswered → close
};

/// A snapshot for the UI. Equal snapshots mean nothing observable changed.
struct SyncStatus {
    SyncState state = SyncState::Offline;
    protocol::Errc error = protocol::Errc::Ok;  ///< the last error; cleared by the next AuthOk
    std::string error_message;
    std::uint64_t pull_done = 0;  ///< progress of the current (or last) pull, in cells
    std::uint64_t pull_total = 0;
    /// Outbox entries not yet acknowledged, when known: exact once the engine has seen the end of
    /// the outbox in this session, otherwise unknown.
    std::optional<std::uint64_t> pending_outbox;
    std::uint64_t acked_seq = 0;     ///< highest device seq the server has settled (this run)
    std::uint64_t rejected = 0;      ///< changes the server rejected (this run)
    std::uint64_t last_sync_ms = 0;  ///< when the engine last became Idle; 0 = never
    std::uint32_t attempt = 0;       ///< consecutive connection attempts without an AuthOk
    std::uint64_t next_attempt_ms = 0;

    friend bool operator==(const SyncStatus&, const SyncStatus&) = default;
};

/// The engine. Single-threaded: one driver calls it; hooks run inside those calls and must not
/// call back into the engine.
///
/// Invariants: at most one Push and one Pull are in flight; a Push is always the outbox entries
/// after the last acknowledged seq of this session, so a push lost with its connection is resent
/// as is (the server is idempotent per (device, seq)); every session starts pushing at the head
/// of the outbox, so a change whose PushAck was lost is settled by the result the server logged
/// for it, never assumed accepted; a pull always starts from store.pull_cursor(), which the store
/// advances atomically with the page it applies.
///
/// Errors: a message the current state does not allow is answered with
/// ErrorMsg{UnexpectedMessage} and the connection is closed. An ErrorMsg from the server with a
/// session-ending code (SPEC §6.12: 1xx, 2xx, 300–303) closes the connection; any other code
/// answers the oldest outstanding Push or Pull, which is retried after a backoff delay while the
/// session goes on. The last error is kept in status().
///
/// A driver, in outline:
///   when wants_connection(now): connect; on success send(on_connected(now)), on failure call
///     on_disconnected(now) (a failed attempt counts toward the backoff);
///   for each frame: send(on_message(decode(frame), now));
///   after every call: if should_close(), close the transport, then on_disconnected(now);
///   after a local write: send(on_local_change(now));
///   at next_wakeup_ms(): on_timer(now) when connected, otherwise try to connect.
class SyncEngine {
public:
    using Options = SyncOptions;
    using Status = SyncStatus;
    static constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

    /// The store must outlive the engine.
    SyncEngine(SyncStore& store, SyncOptions options);

    /// The transport connected. Returns the Hello. Calling it in a state other than Offline
    /// requests a close instead (the driver should not have connected).
    std::vector<protocol::Message> on_connected(std::uint64_t now_ms);

    /// A message arrived. Returns the messages to send, in order.
    std::vector<protocol::Message> on_message(const protocol::Message& m, std::uint64_t now_ms);

    /// The replica appended to its outbox. Pushes at once if logged in and no push is in flight;
    /// otherwise the entries go with the next push.
    std::vector<protocol::Message> on_local_change(std::uint64_t now_ms);

    /// Time passed (call at next_wakeup_ms()). Enforces the handshake and request timeouts by
    /// requesting a close; returns messages to send (currently none).
    std::vector<protocol::Message> on_timer(std::uint64_t now_ms);

    /// The connection is gone, whoever closed it. In-flight requests are forgotten (they are
    /// resent on the next connection) and, unless the engine is Failed, Wiped or Stopped, a
    /// reconnect is scheduled with exponential backoff and deterministic jitter.
    void on_disconnected(std::uint64_t now_ms);

    /// Ask to end the session politely: returns a Goodbye if connected. State becomes Stopped.
    std::vector<protocol::Message> stop(std::uint64_t now_ms);
    /// Leave Stopped or Failed (e.g. after the user entered a new enrollment code): Offline and
    /// wanting a connection now. No effect in other states, including Wiped.
    void resume(std::uint64_t now_ms);
    /// Replace the enrollment code (takes effect at the next handshake).
    void set_enroll_code(std::string code) { options_.enroll_code = std::move(code); }

    /// True after the engine decided to end the current connection: the driver sends what the
    /// last call returned, then closes and calls on_disconnected().
    bool should_close() const { return connected_ && close_requested_; }
    /// True when Offline and the backoff delay has passed.
    bool wants_connection(std::uint64_t now_ms) const;
    /// When the driver should call on_timer() (or try to connect, when Offline); kNever if no
    /// deadline is pending.
    std::uint64_t next_wakeup_ms() const;

    const SyncStatus& status() const { return status_; }
    bool connected() const { return connected_; }

    /// Called after any event that changed status().
    std::function<void(const SyncStatus&)> on_status;

private:
    using Out = std::vector<protocol::Message>;

    void handle(const protocol::Welcome& m, std::uint64_t now_ms, Out& out);
    void handle(const protocol::Enrolled& m, std::uint64_t now_ms, Out& out);
    void handle(const protocol::AuthOk& m, std::uint64_t now_ms, Out& out);
    void handle(const protocol::PushAck& m, std::uint64_t now_ms, Out& out);
    void handle(const protocol::Changes& m, std::uint64_t now_ms, Out& out);
    void handle(const protocol::Notify& m, std::uint64_t now_ms, Out& out);
    void handle(const protocol::ErrorMsg& m, std::uint64_t now_ms, Out& out);
    void handle(const protocol::Goodbye& m, Out& out);
    void handle(const protocol::Wipe& m, Out& out);

    void send_auth(protocol::DeviceId device, std::uint64_t now_ms, Out& out);
    void push_next(std::uint64_t now_ms, Out& out);
    void pull_next(std::uint64_t now_ms, Out& out);
    void refresh_activity(std::uint64_t now_ms);
    void protocol_error(std::string what, Out& out);
    /// The server refused the oldest outstanding request; retry it later.
    void refuse_request(protocol::Errc code, std::string message, std::uint64_t now_ms);
    /// Forgets every request in flight and every pending retry.
    void drop_requests();
    /// Ends the session after an error: Failed if the code needs the user, else Closing.
    void end_session(protocol::Errc code, std::string message);
    void set_error(protocol::Errc code, std::string message);
    bool logged_in() const;
    std::uint64_t backoff_delay(std::uint32_t attempt, std::uint64_t salt) const;
    void notify_if_changed();

    SyncStore& store_;
    SyncOptions options_;
    SyncStatus status_;
    SyncStatus reported_;  ///< the status the hook last saw

    bool connected_ = false;
    bool close_requested_ = false;
    protocol::Bytes challenge_;
    bool auth_by_token_ = false;
    std::string token_;
    std::uint64_t token_expires_ms_ = 0;

    // Push: `push_after_` is the seq the next batch starts after; `in_flight_` is the batch the
    // server has not answered yet (empty = none).
    std::uint64_t push_after_ = 0;
    std::vector<protocol::Change> in_flight_;
    std::uint64_t in_flight_batch_ = 0;
    std::uint64_t push_retry_ms_ = kNever;  ///< pushing is paused until then after a refusal

    bool pull_in_flight_ = false;
    std::uint64_t pull_retry_ms_ = kNever;  ///< pulling is paused until then after a refusal
    std::uint64_t pull_sent_cursor_ = 0;    ///< the cursor of the Pull in flight
    std::uint64_t notified_cursor_ = 0;     ///< greatest Notify cursor of this session
    bool notified_during_pull_ = false;     ///< a Notify came while a pull was in flight

    /// Push and Pull requests in the order sent: the server answers in that order, so a
    /// request-level ErrorMsg belongs to the front one.
    enum class Request : std::uint8_t { Push, Pull };
    std::deque<Request> outstanding_;
    std::uint32_t refusals_ = 0;  ///< consecutive refused requests; drives their retry delay

    bool session_ok_ = false;       ///< this connection reached AuthOk
    std::uint64_t reconnects_ = 0;  ///< varies the jitter between equal attempt numbers

    std::uint64_t deadline_ms_ = kNever;  ///< timeout of the outstanding handshake or request
};

}  // namespace zb::core
