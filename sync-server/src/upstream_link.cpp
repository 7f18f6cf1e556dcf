// SPDX-License-Identifier: Apache-2.0
// UpstreamLink (see upstream.hpp): the RelayEngine on its own thread and io_context, over the
// same Beast WebSocket/TLS transport the phones use (zb_net, SPKI-pinned). Everything — transport
// callbacks, timers, engine steps and their blocking store calls — runs on that one thread, so
// the engine needs no locking; only the stats snapshot crosses threads.
#include "zb/net/beast_transport.hpp"
#include "zb/protocol/codec.hpp"
#include "zb/server/log.hpp"
#include "zb/server/upstream.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace zb::server {

namespace asio = boost::asio;

class UpstreamLink::Impl {
public:
    Impl(ServerContext& local, UpstreamConfig config,
         std::function<void(const CommitInfo&)> publish)
        : local_(local),
          config_(std::move(config)),
          publish_(std::move(publish)),
          wake_timer_(ioc_),
          live_timer_(ioc_),
          retry_timer_(ioc_) {}

    ~Impl() { stop(); }

    void start() {
        key_ = load_or_create_upstream_key(config_.key_file);
        state_ = open_upstream_state(config_.state_file);
        engine_ = std::make_unique<RelayEngine>(local_, *state_, config_, key_, publish_);
        net::TransportOptions o;
        if (!config_.pin.empty()) o.tls.pins = {config_.pin};
        o.max_frame = local_.config.limits.max_frame + 4096;
        o.user_agent = "zhibu-college/0.1";
        transport_ = net::make_beast_transport(ioc_, o);
        backoff_ms_ = config_.backoff_min_ms;
        work_.emplace(ioc_.get_executor());
        thread_ = std::thread([this] { ioc_.run(); });
        asio::post(ioc_, [this] {
            connect();
            arm_wake();
            arm_live();
        });
    }

    void stop() {
        if (!thread_.joinable()) return;
        asio::post(ioc_, [this] {
            stopping_ = true;
            wake_timer_.cancel();
            live_timer_.cancel();
            retry_timer_.cancel();
            if (open_) {
                transport_->close();
            } else {
                mark_closed();
            }
        });
        {
            std::unique_lock lock(mu_);
            cv_.wait_for(lock, std::chrono::seconds(5), [&] { return closed_after_stop_; });
        }
        work_.reset();
        ioc_.stop();
        thread_.join();
        transport_.reset();
    }

    bool sync_now(std::chrono::milliseconds timeout) {
        // The target round is read on the link thread, where rounds are counted, so a round that
        // was already running when sync_now() was called never counts.
        auto target = std::make_shared<std::uint64_t>(0);
        asio::post(ioc_, [this, target] {
            {
                std::lock_guard lock(mu_);
                *target = engine_->stats().rounds + 1;
            }
            wake();
        });
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout,
                            [&] { return *target != 0 && snapshot_.rounds >= *target; });
    }

    void post_wake() {
        asio::post(ioc_, [this] { wake(); });
    }

    RelayStats stats() const {
        std::lock_guard lock(mu_);
        return snapshot_;
    }
    std::vector<RelayRefusal> refusals() {
        // A connection of its own: the link thread's connection is not shared across threads.
        return open_upstream_state(config_.state_file)->refusals();
    }

private:
    void connect() {
        if (stopping_) return;
        net::Endpoint ep{config_.host, config_.port, "/", config_.plaintext};
        net::TransportCallbacks cb;
        cb.on_open = [this] {
            open_ = true;
            guarded([&] { return engine_->on_open(); });
        };
        cb.on_frame = [this](protocol::Bytes frame) {
            protocol::Limits limits;
            limits.max_frame = local_.config.limits.max_frame;
            auto m = protocol::decode(frame, limits);
            if (!m) {
                log(LogLevel::Warn, "upstream_bad_frame", {{"reason", m.error().message}});
                transport_->close();
                return;
            }
            bool was_ready = engine_->ready();
            guarded([&] { return engine_->on_message(m.value()); });
            if (!was_ready && engine_->ready()) backoff_ms_ = config_.backoff_min_ms;
        };
        cb.on_closed = [this](net::NetError why) {
            open_ = false;
            engine_->on_closed();
            publish_stats();
            if (stopping_) {
                mark_closed();
                return;
            }
            log(LogLevel::Info, "upstream_closed",
                {{"reason", why.message}, {"retry_ms", backoff_ms_}});
            retry_timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
            backoff_ms_ = std::min(backoff_ms_ * 2, config_.backoff_max_ms);
            retry_timer_.async_wait([this](const boost::system::error_code& ec) {
                if (!ec) connect();
            });
        };
        transport_->open(ep, std::move(cb));
    }

    void step(std::vector<protocol::Message> out) {
        try {
            for (auto& m : out)
                transport_->send(protocol::encode(m));
        } catch (const std::exception& e) {
            log(LogLevel::Error, "upstream_internal", {{"what", e.what()}});
        }
        if (engine_->wants_close() && open_) transport_->close();
        publish_stats();
    }

    void wake() {
        guarded([&] { return engine_->on_wake(); });
    }

    // A store failure inside the engine: drop the connection; the next session resumes from the
    // durable cursors, so nothing is skipped.
    template <class F>
    void guarded(F&& f) {
        try {
            step(f());
        } catch (const std::exception& e) {
            log(LogLevel::Error, "upstream_internal", {{"what", e.what()}});
            if (open_) transport_->close();
        }
    }

    void arm_wake() {
        wake_timer_.expires_after(std::chrono::milliseconds(config_.interval_ms));
        wake_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_) return;
            wake();
            arm_wake();
        });
    }

    // Live: a local commit (a phone's push, a command) is relayed within a quarter second. The
    // store's head is a counter behind a mutex, so polling it costs nothing.
    void arm_live() {
        if (!config_.live) return;
        live_timer_.expires_after(std::chrono::milliseconds(250));
        live_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_) return;
            std::uint64_t head = local_.store->head();
            if (head != last_head_ && engine_->ready()) {
                last_head_ = head;
                wake();
            }
            arm_live();
        });
    }

    void publish_stats() {
        std::lock_guard lock(mu_);
        snapshot_ = engine_->stats();
        cv_.notify_all();
    }

    void mark_closed() {
        std::lock_guard lock(mu_);
        closed_after_stop_ = true;
        cv_.notify_all();
    }

    ServerContext& local_;
    UpstreamConfig config_;
    std::function<void(const CommitInfo&)> publish_;
    asio::io_context ioc_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::thread thread_;
    asio::steady_timer wake_timer_, live_timer_, retry_timer_;
    UpstreamKey key_;
    std::unique_ptr<UpstreamState> state_;
    std::unique_ptr<RelayEngine> engine_;
    std::unique_ptr<net::Transport> transport_;
    bool open_ = false;
    bool stopping_ = false;
    std::uint64_t backoff_ms_ = 0;
    std::uint64_t last_head_ = 0;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    RelayStats snapshot_;
    bool closed_after_stop_ = false;
};

UpstreamLink::UpstreamLink(ServerContext& local, UpstreamConfig config,
                           std::function<void(const CommitInfo&)> publish)
    : impl_(std::make_unique<Impl>(local, std::move(config), std::move(publish))) {}

UpstreamLink::~UpstreamLink() = default;

void UpstreamLink::start() {
    impl_->start();
}
void UpstreamLink::stop() {
    impl_->stop();
}
bool UpstreamLink::sync_now(std::chrono::milliseconds timeout) {
    return impl_->sync_now(timeout);
}
void UpstreamLink::wake() {
    impl_->post_wake();
}
RelayStats UpstreamLink::stats() const {
    return impl_->stats();
}
std::vector<RelayRefusal> UpstreamLink::refusals() const {
    return impl_->refusals();
}

}  // namespace zb::server
