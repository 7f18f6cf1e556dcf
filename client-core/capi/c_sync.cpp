// SPDX-License-Identifier: Apache-2.0
// The zb_sync_* and zb_transport_* shims (zb_sync.h) over zb::net::SyncClient. The client is
// owned by the replica's DbState (it borrows the Replica); zb_sync holds the session's options,
// status snapshot and listeners. A platform transport is adapted to net::Transport by
// CTransport; its callbacks come back through zb_transport_opened/_received/_closed.

#include "capi_util.hpp"
#include "handles.hpp"

#include "zb/net/pin.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

// ---- platform transport ---------------------------------------------------------------------

/// The core's side of a platform connection. Lives as long as the CTransport that made it;
/// the platform may use it until `dispose`.
struct zb_transport_conn {
    enum class State : int { Idle, Connecting, Open, Closed };
    std::mutex mu;
    std::atomic<State> state{State::Idle};
    zb::net::TransportCallbacks callbacks;
};

namespace zb::capi {
namespace {

/// Calls the platform's dispose exactly once, when the last user of the vtable is gone.
struct TransportVtable {
    zb_transport vt{};
    explicit TransportVtable(const zb_transport& t) : vt(t) {}
    ~TransportVtable() {
        if (vt.dispose != nullptr) vt.dispose(vt.userdata);
    }
    TransportVtable(const TransportVtable&) = delete;
    TransportVtable& operator=(const TransportVtable&) = delete;
};

class CTransport final : public net::Transport {
public:
    CTransport(std::shared_ptr<TransportVtable> vt, std::string pins)
        : vt_(std::move(vt)),
          pins_(std::move(pins)),
          conn_(std::make_unique<zb_transport_conn>()) {}

    void open(const net::Endpoint& ep, net::TransportCallbacks callbacks) override {
        {
            std::lock_guard lock(conn_->mu);
            conn_->callbacks = std::move(callbacks);
            conn_->state = zb_transport_conn::State::Connecting;
        }
        vt_->vt.open(vt_->vt.userdata, conn_.get(), zb_str{ep.host.data(), ep.host.size()}, ep.port,
                     zb_str{ep.path.data(), ep.path.size()}, zb_str{pins_.data(), pins_.size()},
                     ep.plaintext);
    }
    void send(protocol::Bytes frame) override {
        if (conn_->state.load() != zb_transport_conn::State::Open) return;
        vt_->vt.write(vt_->vt.userdata, conn_.get(), frame.data(), frame.size());
    }
    void close() override {
        const auto s = conn_->state.load();
        if (s == zb_transport_conn::State::Connecting || s == zb_transport_conn::State::Open) {
            vt_->vt.close(vt_->vt.userdata, conn_.get());
        }
    }

private:
    std::shared_ptr<TransportVtable> vt_;
    std::string pins_;
    std::unique_ptr<zb_transport_conn> conn_;
};

net::NetErrc net_errc_of(zb_status s, bool was_connecting) {
    switch (s) {
        case ZB_OK:
            return net::NetErrc::Ok;
        case ZB_ERR_TLS:
            return net::NetErrc::Tls;
        case ZB_ERR_PIN_MISMATCH:
            return net::NetErrc::PinMismatch;
        case ZB_ERR_TIMEOUT:
            return net::NetErrc::Timeout;
        case ZB_ERR_PROTOCOL:
            return net::NetErrc::Protocol;
        default:
            return was_connecting ? net::NetErrc::Connect : net::NetErrc::Closed;
    }
}

zb_status status_of_net(const net::NetError& e, std::int32_t& detail, std::uint32_t& flags) {
    constexpr std::uint32_t kRetry = ZB_ERRF_TRANSIENT | ZB_ERRF_NETWORK_DEPENDENT;
    detail = 0;
    flags = 0;
    switch (e.code) {
        case net::NetErrc::Ok:
            return ZB_OK;
        case net::NetErrc::InvalidArgument:
            return ZB_ERR_INVALID_ARGUMENT;
        case net::NetErrc::Resolve:
        case net::NetErrc::Connect:
        case net::NetErrc::Closed:
            flags = kRetry;
            return ZB_ERR_NETWORK;
        case net::NetErrc::Timeout:
            flags = kRetry;
            return ZB_ERR_TIMEOUT;
        case net::NetErrc::Tls:
            return ZB_ERR_TLS;
        case net::NetErrc::PinMismatch:
            return ZB_ERR_PIN_MISMATCH;
        case net::NetErrc::Handshake:
        case net::NetErrc::Protocol:
            return ZB_ERR_PROTOCOL;
        case net::NetErrc::Server:
            detail = static_cast<std::int32_t>(e.server_code);
            flags = flags_of(e.server_code);
            return status_of(e.server_code);
        case net::NetErrc::NotEnrolled:
            return ZB_ERR_NOT_ENROLLED;
        case net::NetErrc::Wiped:
            flags = ZB_ERRF_RESET_REQUIRED;
            return ZB_ERR_WIPED;
        case net::NetErrc::Stopped:
            return ZB_ERR_CANCELLED;
        case net::NetErrc::Internal:
            return ZB_ERR_INTERNAL;
    }
    return ZB_ERR_INTERNAL;
}

zb_sync_state state_of_net(net::SyncStatus s) {
    switch (s) {
        case net::SyncStatus::Idle:
        case net::SyncStatus::Stopped:
            return ZB_SYNC_STOPPED;
        case net::SyncStatus::Connecting:
            return ZB_SYNC_CONNECTING;
        case net::SyncStatus::Syncing:
            return ZB_SYNC_SYNCING;
        case net::SyncStatus::Live:
            return ZB_SYNC_LIVE;
        case net::SyncStatus::Backoff:
            return ZB_SYNC_OFFLINE;
        case net::SyncStatus::Failed:
            return ZB_SYNC_FAILED;
    }
    return ZB_SYNC_STOPPED;
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

using StatusListeners = ListenerSet<zb_sync_status_fn>;
using ProgressListeners = ListenerSet<zb_sync_progress_fn>;

/// A session: options, the status snapshot and the listeners. The SyncClient itself lives in
/// the DbState (see handles.hpp).
class SyncState {
public:
    std::shared_ptr<DbState> db;
    std::string enroll_code;
    std::string device_name;
    std::chrono::milliseconds timeout{30000};

    std::shared_ptr<StatusListeners> status_listeners = std::make_shared<StatusListeners>();
    std::shared_ptr<ProgressListeners> progress_listeners = std::make_shared<ProgressListeners>();

    std::mutex mu;  // guards the fields below
    zb_sync_status_info info{};
    bool running = false;  // a blocking zb_sync_once is in progress
    bool live = false;

    /// Records a failure in the snapshot and throws it.
    [[noreturn]] void fail_net(const net::NetError& e) {
        std::int32_t detail = 0;
        std::uint32_t flags = 0;
        const zb_status code = status_of_net(e, detail, flags);
        {
            std::lock_guard lock(mu);
            set_error(&info.last_error, code, detail, flags, e.message);
        }
        fail(code, e.message.empty() ? std::string(net::net_errc_name(e.code)) : e.message, detail,
             flags);
    }

    /// Delivers the current snapshot to status listeners on the notification thread, with a
    /// fresh pending count read there (the notification thread may use the Replica).
    void notify_status() {
        if (status_listeners->empty()) return;
        std::weak_ptr<DbState> weak_db = db;
        std::weak_ptr<StatusListeners> weak_set = status_listeners;
        zb_sync_status_info snapshot;
        {
            std::lock_guard lock(mu);
            snapshot = info;
        }
        db->notifier->post([weak_db, weak_set, snapshot]() mutable {
            auto set = weak_set.lock();
            if (!set) return;
            if (auto d = weak_db.lock()) {
                try {
                    snapshot.pending = static_cast<std::int64_t>(
                        d->with_replica([](core::Replica& r) { return take(r.outbox_size()); }));
                } catch (...) {
                    // closed meanwhile: keep the last known count
                }
            }
            set->dispatch([&](zb_sync_status_fn fn, void* u) { fn(u, &snapshot); });
        });
    }
};

}  // namespace zb::capi

struct zb_sync_config {
    std::string host;
    std::uint16_t port = 0;
    std::vector<std::string> pins;
    std::string enroll_code;
    std::string device_name = "zhibu-device";
    bool plaintext = false;
    std::int64_t timeout_ms = 30000;
    std::shared_ptr<zb::capi::TransportVtable> transport;  // disposes when the last owner goes
};

struct zb_sync {
    std::shared_ptr<zb::capi::SyncState> state;
};

using namespace zb::capi;  // NOLINT(google-build-using-namespace): entry points only

namespace {

std::shared_ptr<SyncState> sync_state_of(zb_sync* sync) {
    require(sync, "sync");
    if (!sync->state) fail(ZB_ERR_MISUSE, "sync handle is invalid");
    return sync->state;
}

/// The session's client, or ZB_ERR_CLOSED when the db (and with it the client) was closed.
/// Call with db->mu held.
zb::net::SyncClient& client_of(SyncState& st) {
    DbState& db = *st.db;
    if (!db.replica) db.closed_failure();
    if (!db.client || db.session_owner != &st) fail(ZB_ERR_CLOSED, "the sync session was closed");
    return *db.client;
}

/// Marks a blocking call on the client so that zb_db_close waits for it.
class OpGuard {
public:
    explicit OpGuard(DbState& db) : db_(db) { ++db_.running_ops; }  // db.mu held by caller
    ~OpGuard() {
        std::lock_guard lock(db_.mu);
        --db_.running_ops;
        db_.ops_cv.notify_all();
    }
    OpGuard(const OpGuard&) = delete;
    OpGuard& operator=(const OpGuard&) = delete;

private:
    DbState& db_;
};

}  // namespace

extern "C" {

// ---- transport callbacks into the core ----------------------------------------------------------

ZB_API zb_status zb_transport_opened(zb_transport_conn* conn, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(conn, "conn");
        std::function<void()> cb;
        {
            std::lock_guard lock(conn->mu);
            const auto s = conn->state.load();
            if (s == zb_transport_conn::State::Closed) fail(ZB_ERR_CLOSED, "connection closed");
            if (s != zb_transport_conn::State::Connecting) {
                fail(ZB_ERR_MISUSE, "zb_transport_opened without a pending open");
            }
            conn->state = zb_transport_conn::State::Open;
            cb = conn->callbacks.on_open;
        }
        if (cb) cb();
    });
}

ZB_API zb_status zb_transport_received(zb_transport_conn* conn, const uint8_t* data, size_t size,
                                       zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(conn, "conn");
        if (data == nullptr && size != 0) fail(ZB_ERR_MISUSE, "data is NULL but size > 0");
        std::function<void(zb::protocol::Bytes)> cb;
        {
            std::lock_guard lock(conn->mu);
            const auto s = conn->state.load();
            if (s == zb_transport_conn::State::Closed) fail(ZB_ERR_CLOSED, "connection closed");
            if (s != zb_transport_conn::State::Open) fail(ZB_ERR_MISUSE, "connection not open");
            cb = conn->callbacks.on_frame;
        }
        if (cb) cb(zb::protocol::Bytes(data, data + size));
    });
}

ZB_API zb_status zb_transport_closed(zb_transport_conn* conn, zb_status reason, zb_str message,
                                     zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(conn, "conn");
        std::string msg(view(message, "message"));
        std::function<void(zb::net::NetError)> cb;
        bool was_connecting = false;
        {
            std::lock_guard lock(conn->mu);
            const auto s = conn->state.load();
            if (s == zb_transport_conn::State::Closed || s == zb_transport_conn::State::Idle) {
                fail(ZB_ERR_CLOSED, "zb_transport_closed without an open connection");
            }
            was_connecting = s == zb_transport_conn::State::Connecting;
            conn->state = zb_transport_conn::State::Closed;
            cb = std::move(conn->callbacks.on_closed);
            conn->callbacks = {};
        }
        if (cb) cb(zb::net::NetError{net_errc_of(reason, was_connecting), std::move(msg), {}});
    });
}

// ---- configuration ------------------------------------------------------------------------

ZB_API zb_status zb_sync_config_new(zb_sync_config** out_config, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(out_config, "out_config");
        *out_config = nullptr;
        *out_config = new zb_sync_config();
    });
}

ZB_API void zb_sync_config_free(zb_sync_config* config) noexcept {
    delete config;
}

ZB_API zb_status zb_sync_config_set_server(zb_sync_config* config, zb_str host, uint16_t port,
                                           zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(config, "config");
        std::string h(view(host, "host"));
        if (h.empty() || h.find('\0') != std::string::npos) {
            fail(ZB_ERR_INVALID_ARGUMENT, "host must be non-empty text");
        }
        if (port == 0) fail(ZB_ERR_INVALID_ARGUMENT, "port must be 1..65535");
        config->host = std::move(h);
        config->port = port;
    });
}

ZB_API zb_status zb_sync_config_add_pin(zb_sync_config* config, zb_str pin,
                                        zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(config, "config");
        auto normal = zb::net::normalize_pin(view(pin, "pin"));
        if (!normal) {
            fail(ZB_ERR_INVALID_ARGUMENT, "a pin is the base64 SHA-256 of the server's SPKI");
        }
        config->pins.push_back(std::move(*normal));
    });
}

ZB_API zb_status zb_sync_config_set_enroll_code(zb_sync_config* config, zb_str code,
                                                zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(config, "config");
        std::string c(view(code, "code"));
        if (c.empty()) fail(ZB_ERR_INVALID_ARGUMENT, "code must not be empty");
        config->enroll_code = std::move(c);
    });
}

ZB_API zb_status zb_sync_config_set_device_name(zb_sync_config* config, zb_str name,
                                                zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(config, "config");
        config->device_name = std::string(view(name, "name"));
    });
}

ZB_API zb_status zb_sync_config_set_plaintext(zb_sync_config* config, bool plaintext,
                                              zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(config, "config");
        config->plaintext = plaintext;
    });
}

ZB_API zb_status zb_sync_config_set_timeout(zb_sync_config* config, int64_t timeout_ms,
                                            zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(config, "config");
        if (timeout_ms <= 0) fail(ZB_ERR_INVALID_ARGUMENT, "timeout_ms must be > 0");
        config->timeout_ms = timeout_ms;
    });
}

ZB_API zb_status zb_sync_config_set_transport(zb_sync_config* config, const zb_transport* transport,
                                              zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(config, "config");
        require(transport, "transport");
        if (transport->open == nullptr || transport->write == nullptr ||
            transport->close == nullptr || transport->dispose == nullptr) {
            fail(ZB_ERR_MISUSE, "transport open, write, close and dispose must be set");
        }
        // Allocate before taking ownership, so that a failure leaves userdata with the caller.
        auto holder = std::make_shared<TransportVtable>(zb_transport{});
        holder->vt = *transport;
        config->transport = std::move(holder);  // disposes a previous transport, if any
    });
}

// ---- session --------------------------------------------------------------------------------

ZB_API zb_status zb_sync_new(zb_db* db, zb_sync_config* config, zb_sync** out_sync,
                             zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(out_sync, "out_sync");
        *out_sync = nullptr;
        require(db, "db");
        require(config, "config");
        if (!db->state) fail(ZB_ERR_MISUSE, "db handle is invalid");
        if (config->host.empty() || config->port == 0) {
            fail(ZB_ERR_INVALID_ARGUMENT, "the configuration has no server");
        }
        if (config->plaintext && !zb::net::is_loopback_host(config->host)) {
            fail(ZB_ERR_INVALID_ARGUMENT, "plaintext is allowed only for a loopback host");
        }
        if (!config->plaintext && config->pins.empty()) {
            fail(ZB_ERR_INVALID_ARGUMENT, "a server key pin is required (or plaintext loopback)");
        }

        zb::net::ClientOptions options;
        options.endpoint.host = config->host;
        options.endpoint.port = config->port;
        options.endpoint.plaintext = config->plaintext;
        options.transport.tls.pins = config->pins;
        options.transport.connect_timeout = std::min(std::chrono::milliseconds(config->timeout_ms),
                                                     std::chrono::milliseconds(10000));
        options.client_name = std::string("zhibu-capi/") + zb_version();
        if (config->transport) {
            std::string pins;
            for (const auto& p : config->pins)
                pins += (pins.empty() ? "" : ",") + p;
            auto vt = config->transport;
            options.transport_factory = [vt, pins](boost::asio::io_context&,
                                                   const zb::net::TransportOptions&) {
                return std::unique_ptr<zb::net::Transport>(std::make_unique<CTransport>(vt, pins));
            };
        }

        auto st = std::make_shared<SyncState>();
        st->db = db->state;
        st->enroll_code = config->enroll_code;
        st->device_name = config->device_name;
        st->timeout = std::chrono::milliseconds(config->timeout_ms);
        auto handle = std::make_unique<zb_sync>();
        handle->state = st;

        DbState& d = *st->db;
        std::lock_guard lock(d.mu);
        if (!d.replica) d.closed_failure();
        if (d.client) fail(ZB_ERR_BUSY, "this db already has a sync session");
        auto client = std::make_unique<zb::net::SyncClient>(*d.replica, std::move(options));
        std::weak_ptr<SyncState> weak = st;
        client->on_status([weak](zb::net::SyncStatus s, const zb::net::NetError& e) {
            auto self = weak.lock();
            if (!self) return;
            {
                std::lock_guard l(self->mu);
                self->info.state = state_of_net(s);
                if (!e.ok()) {
                    std::int32_t detail = 0;
                    std::uint32_t flags = 0;
                    const zb_status code = status_of_net(e, detail, flags);
                    set_error(&self->info.last_error, code, detail, flags, e.message);
                }
            }
            self->notify_status();
        });
        client->on_progress([weak](std::uint64_t done, std::uint64_t total) {
            auto self = weak.lock();
            if (!self) return;
            {
                std::lock_guard l(self->mu);
                self->info.done = static_cast<std::int64_t>(done);
                self->info.total = static_cast<std::int64_t>(total);
            }
            if (self->progress_listeners->empty()) return;
            std::weak_ptr<ProgressListeners> set = self->progress_listeners;
            self->db->notifier->post([set, done, total] {
                if (auto s = set.lock()) {
                    s->dispatch([&](zb_sync_progress_fn fn, void* u) {
                        fn(u, static_cast<int64_t>(done), static_cast<int64_t>(total));
                    });
                }
            });
        });
        d.client = std::move(client);
        d.session_owner = st.get();
        config->transport.reset();  // the session owns it now
        *out_sync = handle.release();
    });
}

ZB_API void zb_sync_free(zb_sync* sync) noexcept {
    if (sync == nullptr) return;
    if (auto st = sync->state) {
        try {
            DbState& d = *st->db;
            std::unique_lock lock(d.mu);
            if (d.session_owner == st.get()) d.drop_client(lock);
        } catch (...) {
            // cannot fail: the client's destructor bounds its own shutdown
        }
        st->status_listeners->clear();
        st->progress_listeners->clear();
    }
    delete sync;
}

ZB_API zb_status zb_sync_once(zb_sync* sync, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto st = sync_state_of(sync);
        DbState& d = *st->db;
        if (d.notifier->on_notifier_thread()) {
            fail(ZB_ERR_MISUSE, "zb_sync_once must not be called from a listener");
        }
        zb::net::SyncClient* c = nullptr;
        std::unique_ptr<OpGuard> guard;
        {
            std::lock_guard lock(d.mu);
            c = &client_of(*st);
            std::lock_guard l(st->mu);
            if (st->live || st->running) fail(ZB_ERR_BUSY, "a sync is already running");
            st->running = true;
            guard = std::make_unique<OpGuard>(d);
        }
        struct Running {
            SyncState& s;
            ~Running() {
                std::lock_guard l(s.mu);
                s.running = false;
            }
        } running{*st};

        const auto ident = c->run([](zb::core::Replica& r) { return r.identity(); });
        if (ident.device == 0) {
            if (st->enroll_code.empty()) {
                st->fail_net({zb::net::NetErrc::NotEnrolled,
                              "the device is not enrolled and no enrollment code is set",
                              {}});
            }
            auto er = c->enroll(st->enroll_code, st->device_name, st->timeout);
            if (!er.ok()) st->fail_net(er.error);
        }
        auto res = c->sync_once(st->timeout);
        if (!res.ok()) st->fail_net(res.error);
        std::lock_guard l(st->mu);
        st->info.last_sync_ms = now_ms();
        st->info.last_error = zb_error{};
        st->info.pending = static_cast<std::int64_t>(res.outbox_left);
    });
}

ZB_API zb_status zb_sync_start(zb_sync* sync, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto st = sync_state_of(sync);
        DbState& d = *st->db;
        std::lock_guard lock(d.mu);
        auto& c = client_of(*st);
        {
            std::lock_guard l(st->mu);
            if (st->live || st->running) fail(ZB_ERR_BUSY, "sync is already running");
        }
        if (c.run([](zb::core::Replica& r) { return r.identity(); }).device == 0) {
            fail(ZB_ERR_NOT_ENROLLED, "enroll first: zb_sync_once with an enrollment code");
        }
        auto e = c.start_live();
        if (!e.ok()) {
            if (e.code == zb::net::NetErrc::InvalidArgument) fail(ZB_ERR_BUSY, e.message);
            st->fail_net(e);
        }
        std::lock_guard l(st->mu);
        st->live = true;
    });
}

ZB_API zb_status zb_sync_stop(zb_sync* sync, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto st = sync_state_of(sync);
        DbState& d = *st->db;
        zb::net::SyncClient* c = nullptr;
        std::unique_ptr<OpGuard> guard;
        {
            std::lock_guard lock(d.mu);
            c = &client_of(*st);
            guard = std::make_unique<OpGuard>(d);
        }
        c->stop();
        std::lock_guard l(st->mu);
        st->live = false;
    });
}

ZB_API zb_status zb_sync_status(zb_sync* sync, zb_sync_status_info* out_status,
                                zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(out_status, "out_status");
        auto st = sync_state_of(sync);
        DbState& d = *st->db;
        zb_sync_state state = ZB_SYNC_STOPPED;
        std::int64_t pending = -1;
        {
            std::lock_guard lock(d.mu);
            if (d.replica && d.client && d.session_owner == st.get()) {
                state = state_of_net(d.client->status());
            }
        }
        try {
            pending = static_cast<std::int64_t>(
                d.with_replica([](zb::core::Replica& r) { return take(r.outbox_size()); }));
        } catch (const Failure&) {
            // closed: report the last known count
        }
        std::lock_guard l(st->mu);
        st->info.state = state;
        if (pending >= 0) st->info.pending = pending;
        *out_status = st->info;
    });
}

ZB_API zb_status zb_sync_add_status_listener(zb_sync* sync, zb_sync_status_fn fn, void* userdata,
                                             zb_userdata_free_fn userdata_free,
                                             zb_listener** out_token,
                                             zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(out_token, "out_token");
        *out_token = nullptr;
        auto st = sync_state_of(sync);
        if (fn == nullptr) fail(ZB_ERR_MISUSE, "fn must not be NULL");
        add_listener(st->status_listeners, fn, userdata, userdata_free, out_token);
    });
}

ZB_API zb_status zb_sync_add_progress_listener(zb_sync* sync, zb_sync_progress_fn fn,
                                               void* userdata, zb_userdata_free_fn userdata_free,
                                               zb_listener** out_token,
                                               zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(out_token, "out_token");
        *out_token = nullptr;
        auto st = sync_state_of(sync);
        if (fn == nullptr) fail(ZB_ERR_MISUSE, "fn must not be NULL");
        add_listener(st->progress_listeners, fn, userdata, userdata_free, out_token);
    });
}

}  // extern "C"
