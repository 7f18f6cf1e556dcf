// SPDX-License-Identifier: Apache-2.0
// The sync driver: one thread runs an io_context on which every engine and replica call happens.
// Transport events are posted there tagged with a connection epoch (stale events are dropped);
// one steady_timer wakes the engine at next_wakeup_ms() for its timeouts and reconnect backoff.
// Blocking entry points (sync_once, enroll, login, run) wait on futures with bounded time.
#include "zb/net/sync_client.hpp"

#include "zb/net/beast_transport.hpp"
#include "zb/protocol/codec.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

namespace zb::net {

std::string_view sync_status_name(SyncStatus s) {
    switch (s) {
        case SyncStatus::Idle:
            return "idle";
        case SyncStatus::Connecting:
            return "connecting";
        case SyncStatus::Syncing:
            return "syncing";
        case SyncStatus::Live:
            return "live";
        case SyncStatus::Backoff:
            return "backoff";
        case SyncStatus::Stopped:
            return "stopped";
        case SyncStatus::Failed:
            return "failed";
    }
    return "unknown";
}

namespace {

namespace asio = boost::asio;

std::uint64_t wall_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

/// Errors that another attempt cannot fix: the same server would fail the same way.
bool permanent(NetErrc c) {
    return c == NetErrc::PinMismatch || c == NetErrc::Tls || c == NetErrc::InvalidArgument ||
           c == NetErrc::Handshake;
}

}  // namespace

class SyncClient::Impl {
public:
    enum class Mode : std::uint8_t { None, Enroll, Login, Once, Live };

    Impl(core::Replica& replica, ClientOptions options)
        : replica_(replica),
          options_(std::move(options)),
          work_(asio::make_work_guard(ioc_)),
          wake_(ioc_) {
        auto factory = options_.transport_factory;
        if (!factory)
            factory = [](asio::io_context& ioc, const TransportOptions& o) {
                return make_beast_transport(ioc, o);
            };
        transport_ = factory(ioc_, options_.transport);
        engine_ = make_engine({}, {});
        thread_ = std::thread([this] {
            thread_id_.store(std::this_thread::get_id());
            ioc_.run();
            exited_.set_value();
        });
        // Forward replica events on the client thread; note local writes for the engine.
        run_blocking([this] {
            listener_id_ = replica_.add_listener([this](const core::ChangeEvent& ev) {
                if (ev.source == core::ChangeEvent::Source::Local) local_dirty_ = true;
                core::Listener cb;
                {
                    std::lock_guard lock(cb_mu_);
                    cb = change_cb_;
                }
                if (cb) cb(ev);
            });
        });
    }

    ~Impl() {
        stop(options_.stop_timeout);
        run_blocking([this] {
            replica_.remove_listener(listener_id_);
            wake_.cancel();
        });
        work_.reset();
        auto exited = exited_.get_future();
        if (exited.wait_for(options_.stop_timeout) != std::future_status::ready) ioc_.stop();
        thread_.join();
        // Destroy the transport after the thread ended, then pending handlers with the ioc.
        transport_.reset();
    }

    bool on_client_thread() const { return std::this_thread::get_id() == thread_id_.load(); }

    /// Run `fn` on the client thread and wait (inline when already there).
    void run_blocking(const std::function<void()>& fn) {
        if (on_client_thread()) return fn();
        std::promise<void> done;
        auto fut = done.get_future();
        asio::post(ioc_, [&] {
            try {
                fn();
                done.set_value();
            } catch (...) {
                done.set_exception(std::current_exception());
            }
        });
        fut.get();
    }

    void post(std::function<void(core::Replica&)> fn) {
        asio::post(ioc_, [this, f = std::move(fn)] {
            f(replica_);
            after_local_work();
        });
    }

    void after_local_work() {
        // New attachment work queued through run()/post() starts at once on a live connection.
        if (att_started_ && !options_.attachments->busy())
            guarded([&] { send_all(options_.attachments->start()); });
        if (!local_dirty_) return;
        local_dirty_ = false;
        guarded([&] { send_all(engine_->on_local_change(wall_ms())); });
    }

    // ---- blocking operations ----

    SyncResult run_mode(Mode mode, std::chrono::milliseconds timeout,
                        std::optional<core::SyncOptions> engine_options = std::nullopt) {
        if (on_client_thread()) {
            SyncResult r;
            r.error = make_net_error(NetErrc::Internal, "called from a SyncClient callback");
            return r;
        }
        auto done = std::make_shared<std::promise<SyncResult>>();
        auto fut = done->get_future();
        asio::post(ioc_, [this, mode, done, eo = std::move(engine_options)]() mutable {
            if (mode_ != Mode::None) {
                SyncResult r;
                r.error = make_net_error(NetErrc::InvalidArgument, "a sync is already running");
                done->set_value(r);
                return;
            }
            if (eo) engine_ = make_engine(eo->device_name, eo->enroll_code);
            done_ = done;
            begin(mode);
        });
        if (fut.wait_for(timeout) == std::future_status::ready) return fut.get();
        abort(make_net_error(NetErrc::Timeout, "sync did not finish within " +
                                                   std::to_string(timeout.count()) + " ms"));
        if (fut.wait_for(options_.stop_timeout + std::chrono::milliseconds(500)) ==
            std::future_status::ready)
            return fut.get();
        SyncResult r;
        r.error = make_net_error(NetErrc::Timeout, "sync did not stop in time");
        return r;
    }

    NetError start_live() {
        std::promise<NetError> started;
        auto fut = started.get_future();
        asio::post(ioc_, [this, &started] {
            if (mode_ != Mode::None) {
                started.set_value(make_net_error(NetErrc::InvalidArgument, "already running"));
                return;
            }
            done_.reset();
            begin(Mode::Live);
            started.set_value(NetError{});
        });
        return fut.get();
    }

    void stop() { stop(options_.stop_timeout); }

    void stop(std::chrono::milliseconds bound) {
        if (on_client_thread()) return;
        auto finished = std::make_shared<std::promise<void>>();
        auto fut = finished->get_future();
        asio::post(ioc_, [this, finished] {
            if (mode_ == Mode::None) {
                finished->set_value();
                return;
            }
            stop_waiters_.push_back(finished);
            begin_finish(make_net_error(NetErrc::Stopped, "stopped"), true);
        });
        if (fut.wait_for(bound) != std::future_status::ready) {
            // The close did not complete in time: drop the connection state by force.
            std::promise<void> forced;
            auto ffut = forced.get_future();
            asio::post(ioc_, [this, &forced] {
                if (mode_ != Mode::None) {
                    ++epoch_;  // ignore whatever the transport still reports
                    transport_open_ = false;
                    if (engine_->connected()) engine_->on_disconnected(wall_ms());
                    complete();
                }
                forced.set_value();
            });
            if (ffut.wait_for(std::chrono::milliseconds(500)) != std::future_status::ready) return;
        }
    }

    void abort(NetError why) {
        asio::post(ioc_, [this, why] {
            if (mode_ != Mode::None) begin_finish(why, true);
        });
    }

    // ---- state shared with other threads ----

    SyncStatus status() const {
        std::lock_guard lock(state_mu_);
        return status_;
    }
    core::SyncStatus engine_status() const {
        std::lock_guard lock(state_mu_);
        return engine_status_;
    }
    SyncResult totals() const {
        std::lock_guard lock(state_mu_);
        return totals_snapshot_;
    }

    std::mutex cb_mu_;
    std::function<void(SyncStatus, const NetError&)> status_cb_;
    std::function<void(std::uint64_t, std::uint64_t)> progress_cb_;
    core::Listener change_cb_;

private:
    std::unique_ptr<core::SyncEngine> make_engine(const std::string& device_name,
                                                  const std::string& code) {
        core::SyncOptions o = options_.engine;
        o.client_name = options_.client_name;
        o.device_name = device_name;
        o.enroll_code = code;
        auto e = std::make_unique<core::SyncEngine>(replica_, o);
        e->on_status = [this](const core::SyncStatus& s) {
            std::lock_guard lock(state_mu_);
            engine_status_ = s;
        };
        return e;
    }

    /// Run an engine or replica step; an exception (a storage failure) ends the run.
    template <class F>
    void guarded(F&& f) {
        try {
            f();
        } catch (const std::exception& e) {
            if (mode_ != Mode::None)
                begin_finish(make_net_error(NetErrc::Internal, e.what()), false);
        }
    }

    void begin(Mode mode) {
        mode_ = mode;
        result_ = SyncResult{};
        error_ = NetError{};
        finishing_ = false;
        ever_connected_ = false;
        reconnects_ = 0;
        max_seq_pushed_ = 0;
        enrolled_.reset();
        authed_ = false;
        guarded([&] { engine_->resume(wall_ms()); });
        if (mode_ == Mode::None) return;
        const bool enrolled = replica_.identity().device != 0;
        if (mode != Mode::Enroll && !enrolled) {
            begin_finish(make_net_error(NetErrc::NotEnrolled, "this device is not enrolled"),
                         false);
            return;
        }
        if (mode == Mode::Enroll && enrolled) {
            begin_finish(
                make_net_error(NetErrc::InvalidArgument, "this device is already enrolled"), false);
            return;
        }
        connect_now();
    }

    void connect_now() {
        if (transport_open_ || finishing_) return;
        transport_open_ = true;
        wire_version_ = 0;  // a new connection negotiates again
        const auto epoch = ++epoch_;
        ++result_.connections;
        set_status(SyncStatus::Connecting, {});
        TransportCallbacks cb;
        cb.on_open = [this, epoch] { asio::post(ioc_, [this, epoch] { on_open(epoch); }); };
        cb.on_frame = [this, epoch](protocol::Bytes frame) {
            asio::post(ioc_, [this, epoch, f = std::move(frame)] { on_frame(epoch, f); });
        };
        cb.on_closed = [this, epoch](NetError why) {
            asio::post(ioc_, [this, epoch, w = std::move(why)] { on_closed(epoch, w); });
        };
        transport_->open(options_.endpoint, std::move(cb));
    }

    void on_open(std::uint64_t epoch) {
        if (epoch != epoch_) return;
        ever_connected_ = true;
        if (finishing_) {
            transport_->close();
            return;
        }
        set_status(SyncStatus::Syncing, {});
        guarded([&] { send_all(engine_->on_connected(wall_ms())); });
        after_step();
    }

    void on_frame(std::uint64_t epoch, const protocol::Bytes& frame) {
        if (epoch != epoch_ || !engine_->connected()) return;
        auto msg = protocol::decode(frame);
        if (!msg) {
            begin_finish(make_net_error(NetErrc::Protocol, "undecodable frame from the server: " +
                                                               msg.error().message),
                         false);
            return;
        }
        observe(msg.value());
        if (options_.attachments && core::Attachments::is_reply(msg.value())) {
            guarded([&] { send_all(options_.attachments->on_message(msg.value())); });
            after_step();
            return;
        }
        guarded([&] { send_all(engine_->on_message(msg.value(), wall_ms())); });
        after_step();
    }

    void on_closed(std::uint64_t epoch, const NetError& why) {
        if (epoch != epoch_) return;
        transport_open_ = false;
        att_started_ = false;
        if (options_.attachments) options_.attachments->on_disconnected();
        const bool was_connected = engine_->connected();
        // The engine schedules its reconnect backoff here; for a connection that never opened
        // it is told too, so failed attempts back off as well.
        guarded([&] { engine_->on_disconnected(wall_ms()); });
        (void)was_connected;
        if (mode_ == Mode::None) return;
        if (finishing_) return complete();
        if (!why.ok()) error_ = why;
        const auto state = engine_->status().state;
        if (state == core::SyncState::Failed || state == core::SyncState::Wiped) {
            error_ = engine_error();
            return complete();
        }
        if (mode_ == Mode::Live) {
            if (!why.ok() && permanent(why.code)) {
                set_status(SyncStatus::Failed, why);
                return complete();
            }
            set_status(SyncStatus::Backoff, why);
            return schedule_wake();
        }
        // One-shot modes: give up at once when the server was never reached or the failure is
        // permanent; otherwise resume on a new connection after the engine's backoff.
        if (why.ok()) error_ = make_net_error(NetErrc::Closed, "connection closed early");
        if (permanent(error_.code) || !ever_connected_ || reconnects_ >= options_.max_reconnects)
            return complete();
        ++reconnects_;
        set_status(SyncStatus::Backoff, error_);
        schedule_wake();
    }

    void after_step() {
        if (mode_ == Mode::None) return;
        const auto& st = engine_->status();
        if (st.state == core::SyncState::Failed || st.state == core::SyncState::Wiped) {
            if (!finishing_) begin_finish(engine_error(), false);
        } else if (!finishing_) {
            // Attachments move once the rows naming them are synced (uploads before downloads).
            if (st.state == core::SyncState::Idle && options_.attachments && !att_started_ &&
                (mode_ == Mode::Once || mode_ == Mode::Live)) {
                att_started_ = true;
                guarded([&] { send_all(options_.attachments->start()); });
            }
            const bool att_busy = att_started_ && options_.attachments->busy();
            const bool done =
                (mode_ == Mode::Once && st.state == core::SyncState::Idle && !att_busy) ||
                (mode_ == Mode::Login && authed_) ||
                (mode_ == Mode::Enroll && enrolled_.has_value());
            if (done) {
                if (mode_ == Mode::Once) synced_ = true;
                error_ = NetError{};  // an earlier dropped connection was recovered from
                begin_finish(NetError{}, true);
            }
            if (mode_ == Mode::Live && st.state == core::SyncState::Idle)
                set_status(SyncStatus::Live, {});
        }
        if (transport_open_ && engine_->should_close()) transport_->close();
        schedule_wake();
    }

    /// End the current run: say Goodbye if connected, close, complete when the close is seen.
    void begin_finish(NetError why, bool polite) {
        if (finishing_) {
            if (error_.ok() && !why.ok()) error_ = why;
            return;
        }
        finishing_ = true;
        if (!why.ok()) error_ = why;
        if (polite && engine_->connected()) {
            guarded([&] { send_all(engine_->stop(wall_ms())); });
        } else {
            guarded([&] { (void)engine_->stop(wall_ms()); });
        }
        if (transport_open_) {
            transport_->close();
        } else {
            complete();
        }
    }

    void complete() {
        if (mode_ == Mode::None) return;
        const auto mode = mode_;
        mode_ = Mode::None;
        finishing_ = false;
        wake_.cancel();
        if (error_.ok() && mode != Mode::Live) {
            const bool reached = (mode == Mode::Once && synced_) ||
                                 (mode == Mode::Login && authed_) ||
                                 (mode == Mode::Enroll && enrolled_.has_value());
            if (!reached) error_ = make_net_error(NetErrc::Stopped, "stopped before completion");
        }
        synced_ = false;
        result_.error = error_;
        try {
            auto left = replica_.outbox_size();
            if (left) result_.outbox_left = left.value();
        } catch (...) {
        }
        {
            std::lock_guard lock(state_mu_);
            totals_snapshot_ = result_;
        }
        set_status(error_.ok() || error_.code == NetErrc::Stopped ? SyncStatus::Stopped
                                                                  : SyncStatus::Failed,
                   error_);
        if (done_) {
            done_->set_value(result_);
            done_.reset();
        }
        for (auto& w : stop_waiters_)
            w->set_value();
        stop_waiters_.clear();
    }

    NetError engine_error() const {
        const auto& st = engine_->status();
        if (st.state == core::SyncState::Wiped)
            return make_net_error(NetErrc::Wiped,
                                  "the server revoked this device: " + st.error_message);
        return make_net_error(NetErrc::Server, st.error_message, st.error);
    }

    void schedule_wake() {
        if (mode_ == Mode::None) return;
        const auto at = engine_->next_wakeup_ms();
        if (at == core::SyncEngine::kNever) {
            wake_.cancel();
            return;
        }
        const auto now = wall_ms();
        wake_.expires_after(std::chrono::milliseconds(at > now ? at - now : 0));
        wake_.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            on_wake();
        });
    }

    void on_wake() {
        if (mode_ == Mode::None) return;
        const auto now = wall_ms();
        if (engine_->connected()) {
            guarded([&] { send_all(engine_->on_timer(now)); });
            after_step();
            return;
        }
        if (!transport_open_ && !finishing_ && engine_->wants_connection(now)) {
            connect_now();
            return;
        }
        schedule_wake();
    }

    void send_all(const std::vector<protocol::Message>& out) {
        for (const auto& m : out) {
            if (const auto* push = std::get_if<protocol::Push>(&m)) {
                for (const auto& c : push->changes)
                    if (c.seq > max_seq_pushed_) {
                        max_seq_pushed_ = c.seq;
                        ++result_.pushed;
                    }
            }
            // Large pushes travel inside `compressed` once the server speaks version 4
            // (SPEC.md §2 "Compression"); decode() unwraps what the server compresses.
            if (transport_open_) {
                transport_->send(wire_version_ >= protocol::kCompressedVersion
                                     ? protocol::encode(m, protocol::CompressOptions{})
                                     : protocol::encode(m));
            }
        }
    }

    /// Count what the server sends, capture the identity it confirms, report progress.
    void observe(const protocol::Message& m) {
        if (const auto* w = std::get_if<protocol::Welcome>(&m)) wire_version_ = w->version;
        if (const auto* ack = std::get_if<protocol::PushAck>(&m)) {
            for (const auto& r : ack->results)
                (r.code == protocol::Errc::Ok ? result_.accepted : result_.rejected) += 1;
        } else if (const auto* page = std::get_if<protocol::Changes>(&m)) {
            result_.pulled += page->changes.size();
            std::function<void(std::uint64_t, std::uint64_t)> cb;
            {
                std::lock_guard lock(cb_mu_);
                cb = progress_cb_;
            }
            if (cb) cb(page->done, page->total);
        } else if (const auto* ok = std::get_if<protocol::AuthOk>(&m)) {
            authed_ = true;
            result_.person = ok->person;
            result_.role = ok->role;
            result_.scopes = ok->scopes;
        } else if (const auto* en = std::get_if<protocol::Enrolled>(&m)) {
            enrolled_ = *en;
            result_.person = en->person;
            result_.role = en->role;
        }
    }

    void set_status(SyncStatus s, const NetError& e) {
        {
            std::lock_guard lock(state_mu_);
            if (status_ == s && s != SyncStatus::Failed) return;
            status_ = s;
        }
        std::function<void(SyncStatus, const NetError&)> cb;
        {
            std::lock_guard lock(cb_mu_);
            cb = status_cb_;
        }
        if (cb) cb(s, e);
    }

public:
    std::optional<protocol::Enrolled> enrolled_;

private:
    core::Replica& replica_;
    ClientOptions options_;
    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    asio::steady_timer wake_;
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<core::SyncEngine> engine_;
    std::thread thread_;
    std::atomic<std::thread::id> thread_id_{};
    std::promise<void> exited_;
    std::uint64_t listener_id_ = 0;

    // Client-thread state.
    Mode mode_ = Mode::None;
    bool transport_open_ = false;  ///< between open() and on_closed
    bool finishing_ = false;
    bool ever_connected_ = false;
    bool authed_ = false;
    bool synced_ = false;
    bool local_dirty_ = false;
    bool att_started_ = false;  ///< attachment transfers started on this connection
    std::uint32_t reconnects_ = 0;
    std::uint64_t epoch_ = 0;
    std::uint32_t wire_version_ = 0;  ///< from this connection's Welcome; 0 = do not compress
    std::uint64_t max_seq_pushed_ = 0;
    NetError error_;
    SyncResult result_;
    std::shared_ptr<std::promise<SyncResult>> done_;
    std::vector<std::shared_ptr<std::promise<void>>> stop_waiters_;

    // Snapshots for other threads.
    mutable std::mutex state_mu_;
    SyncStatus status_ = SyncStatus::Idle;
    core::SyncStatus engine_status_;
    SyncResult totals_snapshot_;
};

SyncClient::SyncClient(core::Replica& replica, ClientOptions options)
    : replica_(replica), impl_(std::make_unique<Impl>(replica, std::move(options))) {}

SyncClient::~SyncClient() = default;

EnrollResult SyncClient::enroll(const std::string& code, const std::string& device_name,
                                std::chrono::milliseconds timeout) {
    EnrollResult out;
    if (code.empty()) {
        out.error = make_net_error(NetErrc::InvalidArgument, "empty enrollment code");
        return out;
    }
    core::SyncOptions eo;
    eo.device_name = device_name;
    eo.enroll_code = code;
    auto r = impl_->run_mode(Impl::Mode::Enroll, timeout, eo);
    out.error = r.error;
    execute([&] {
        if (impl_->enrolled_) out.enrolled = *impl_->enrolled_;
    });
    return out;
}

SyncResult SyncClient::login(std::chrono::milliseconds timeout) {
    return impl_->run_mode(Impl::Mode::Login, timeout);
}

SyncResult SyncClient::sync_once(std::chrono::milliseconds timeout) {
    return impl_->run_mode(Impl::Mode::Once, timeout);
}

NetError SyncClient::start_live() {
    return impl_->start_live();
}

void SyncClient::stop() {
    impl_->stop();
}

SyncStatus SyncClient::status() const {
    return impl_->status();
}
core::SyncStatus SyncClient::engine_status() const {
    return impl_->engine_status();
}
SyncResult SyncClient::totals() const {
    return impl_->totals();
}

void SyncClient::on_status(std::function<void(SyncStatus, const NetError&)> cb) {
    std::lock_guard lock(impl_->cb_mu_);
    impl_->status_cb_ = std::move(cb);
}

void SyncClient::on_progress(std::function<void(std::uint64_t, std::uint64_t)> cb) {
    std::lock_guard lock(impl_->cb_mu_);
    impl_->progress_cb_ = std::move(cb);
}

void SyncClient::on_change(core::Listener cb) {
    std::lock_guard lock(impl_->cb_mu_);
    impl_->change_cb_ = std::move(cb);
}

void SyncClient::post(std::function<void(core::Replica&)> fn) {
    impl_->post(std::move(fn));
}

void SyncClient::execute(const std::function<void()>& fn) {
    impl_->run_blocking([&] {
        fn();
        impl_->after_local_work();
    });
}

}  // namespace zb::net
