// SPDX-License-Identifier: Apache-2.0
// SyncClient: the default sync driver. It owns one thread running an io_context, a Transport
// (Beast WebSocket over TLS by default) and a zb::core::SyncEngine, and it feeds the engine's
// messages to the Replica. Modes: sync_once() (connect, push everything, pull until done,
// disconnect) and start_live()/stop() (stay connected, push on local change, pull on Notify).
#pragma once

#include "zb/core/attachments.hpp"
#include "zb/core/replica.hpp"
#include "zb/core/sync_engine.hpp"
#include "zb/net/error.hpp"
#include "zb/net/transport.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace zb::net {

enum class SyncStatus : std::uint8_t {
    Idle = 0,        ///< not connected, nothing to do
    Connecting = 1,  ///< resolving, TCP, TLS, WebSocket upgrade
    Syncing = 2,     ///< connected: logging in, pushing, pulling
    Live = 3,        ///< connected and up to date; waiting for local changes or Notify
    Backoff = 4,     ///< disconnected; reconnecting after the engine's backoff delay
    Stopped = 5,     ///< stop() was called or sync_once() finished
    Failed = 6,      ///< gave up (see the NetError passed with the status)
};
std::string_view sync_status_name(SyncStatus s);

/// The outcome of sync_once() (and the running totals of a live session).
struct SyncResult {
    NetError error;                 ///< code Ok when everything was pushed and pulled
    std::uint64_t pushed = 0;       ///< local changes sent
    std::uint64_t accepted = 0;     ///< ... accepted by the server
    std::uint64_t rejected = 0;     ///< ... refused (kept in Replica::rejected())
    std::uint64_t pulled = 0;       ///< server cells applied to the replica
    std::uint64_t outbox_left = 0;  ///< local changes still waiting after this sync
    std::uint32_t connections = 0;  ///< connections opened (more than 1 after a reconnect)
    // The identity the server confirmed at the last AuthOk of this run (empty if none).
    std::string person;
    std::string role;
    std::vector<std::string> scopes;
    bool ok() const { return error.ok(); }
};

struct EnrollResult {
    NetError error;
    protocol::Enrolled enrolled;
    bool ok() const { return error.ok(); }
};

/// Creates the transport; the default makes the Beast transport on the client's io_context.
/// A platform transport may ignore the io_context.
using TransportFactory =
    std::function<std::unique_ptr<Transport>(boost::asio::io_context&, const TransportOptions&)>;

struct ClientOptions {
    Endpoint endpoint;
    TransportOptions transport;
    std::string client_name = "zhibu-core/0.1";
    /// sync_once() reconnects (with the engine's backoff) at most this many times.
    std::uint32_t max_reconnects = 5;
    /// Upper bound for stop() and the destructor to wait for the connection to close.
    std::chrono::milliseconds stop_timeout{3000};
    TransportFactory transport_factory;  ///< empty = Beast
    /// Engine tuning (backoff, batch sizes, timeouts). client_name, device_name and enroll_code
    /// are set by the client.
    core::SyncOptions engine;
    /// Attachment transfers (uploads, then downloads) run over the same connection once the
    /// engine is synced; sync_once() returns when they are done too. Null = none. Must outlive
    /// the client; while the client exists, reach it only through run()/post().
    core::Attachments* attachments = nullptr;
};

/// Thread-safety: every public method may be called from any thread except the client thread
/// (callbacks run there; calling the blocking methods from a callback deadlocks and is refused
/// with an Internal error). The Replica is single-threaded: while the client exists, the app uses
/// it only through run()/post(), which execute on the client thread between engine steps.
/// Ownership: `replica` must outlive the client.
class SyncClient {
public:
    SyncClient(core::Replica& replica, ClientOptions options);
    ~SyncClient();  ///< stop(), then join the thread (bounded by stop_timeout)
    SyncClient(const SyncClient&) = delete;
    SyncClient& operator=(const SyncClient&) = delete;

    /// Enroll this device with a one-time code (connect, Hello, Enroll, disconnect).
    EnrollResult enroll(const std::string& code, const std::string& device_name,
                        std::chrono::milliseconds timeout);

    /// Connect and log in (challenge signature or token), then disconnect. The result carries the
    /// person, role and scopes the server confirmed.
    SyncResult login(std::chrono::milliseconds timeout);

    /// Connect, log in, push the whole outbox, pull until the server has no more, disconnect.
    /// A dropped connection is retried (engine backoff) up to max_reconnects times; the sync
    /// resumes from the acked seq and the pull cursor. Errors: see NetErrc; on any error the
    /// outbox is intact (only server-acknowledged changes leave it).
    SyncResult sync_once(std::chrono::milliseconds timeout);

    /// Stay connected: push on every local change made through run()/post(), pull on Notify,
    /// reconnect with backoff. Returns at once; status callbacks report progress.
    /// Errors: InvalidArgument if already live.
    NetError start_live();
    /// Leave live mode (or abort a sync) and close the connection. Never blocks longer than
    /// stop_timeout. Idempotent.
    void stop();

    SyncStatus status() const;
    /// The engine's own status snapshot (state, last server error, outbox, progress).
    core::SyncStatus engine_status() const;
    /// Totals of the current (or last) session.
    SyncResult totals() const;

    /// Callbacks run on the client thread; they must not block. Set them before syncing.
    void on_status(std::function<void(SyncStatus, const NetError&)> cb);
    /// Pull progress of a long (initial) sync: cells done of total.
    void on_progress(std::function<void(std::uint64_t done, std::uint64_t total)> cb);
    /// Replica change events (local writes through run()/post(), remote pages, settlements).
    void on_change(core::Listener cb);

    /// Run `fn` on the client thread with the Replica and wait for it; afterwards the engine is
    /// told about local changes (live mode pushes them). Returns fn's result.
    template <class F>
    auto run(F&& fn) -> std::invoke_result_t<F&, core::Replica&> {
        using R = std::invoke_result_t<F&, core::Replica&>;
        std::packaged_task<R()> task([&fn, this]() -> R { return fn(replica_); });
        auto fut = task.get_future();
        execute([&task] { task(); });
        return fut.get();
    }
    /// Queue `fn` to run on the client thread with the Replica; returns at once.
    void post(std::function<void(core::Replica&)> fn);

private:
    class Impl;
    void execute(const std::function<void()>& fn);  // blocking; runs inline if no thread

    core::Replica& replica_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace zb::net
