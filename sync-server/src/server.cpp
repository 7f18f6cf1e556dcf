// SPDX-License-Identifier: Apache-2.0
// The network layer (the only Beast translation unit of the server). One listener coroutine
// accepts sockets onto their own strand; each connection runs a reader coroutine and a writer
// coroutine on that strand. The first HTTP request on a connection is either a WebSocket upgrade
// (the sync protocol, one message per binary frame) or GET /health or /metrics. Decoded messages
// go to SessionHandler on the store thread pool and the coroutine resumes on its strand.
// Shutdown: close the acceptor, ask every session to finish its in-flight message, send
// Goodbye(ShuttingDown) and close, then stop the io_context (bounded by shutdown_grace_ms).
#include "zb/server/server.hpp"

#include "lean_tls.hpp"

#include "zb/protocol/codec.hpp"
#include "zb/server/log.hpp"
#include "zb/server/session.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace zb::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using protocol::Errc;
using protocol::Message;

namespace {

class TokenBucket {
public:
    TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
    bool take(double n) {
        auto now = std::chrono::steady_clock::now();
        tokens_ =
            std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
        last_ = now;
        if (tokens_ < n) return false;
        tokens_ -= n;
        return true;
    }

private:
    double rate_, burst_, tokens_;
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

net::awaitable<Reply> run_handler(SessionHandler* h, Message m) {
    co_return h->handle(m);
}

}  // namespace

/// What the registry needs from a connection, whatever its stream type.
class ConnBase {
public:
    virtual ~ConnBase() = default;
    virtual void post_notify(std::shared_ptr<const CommitInfo> c, std::uint64_t from) = 0;
    virtual void post_shutdown() = 0;
    virtual void post_revoked(protocol::DeviceId device, bool wipe) = 0;
    /// Close the socket now (shutdown grace is over): pending operations end with an error and
    /// the session's coroutines finish while the io_context still runs.
    virtual void post_force_close() = 0;
};

class Server::Impl {
public:
    explicit Impl(ServerContext& ctx)
        : ctx_(ctx),
          ioc_(static_cast<int>(ctx.config.threads)),
          ssl_(ssl::context::tls_server),
          acceptor_(ioc_),
          pool_(ctx.config.store_threads) {}

    ~Impl() { stop(); }

    void start();
    void stop();
    std::uint16_t port() const { return port_; }

    std::uint64_t add(std::weak_ptr<ConnBase> c) {
        std::lock_guard lock(mu_);
        auto id = ++next_id_;
        conns_[id] = std::move(c);
        return id;
    }
    void remove(std::uint64_t id) {
        std::lock_guard lock(mu_);
        conns_.erase(id);
        cv_.notify_all();
    }
    std::size_t count() const {
        std::lock_guard lock(mu_);
        return conns_.size();
    }
    std::vector<std::pair<std::uint64_t, std::shared_ptr<ConnBase>>> snapshot() {
        std::lock_guard lock(mu_);
        std::vector<std::pair<std::uint64_t, std::shared_ptr<ConnBase>>> out;
        for (auto& [id, w] : conns_)
            if (auto s = w.lock()) out.emplace_back(id, std::move(s));
        return out;
    }
    void notify(const CommitInfo& c, std::uint64_t from) {
        auto shared = std::make_shared<const CommitInfo>(c);
        for (auto& [id, conn] : snapshot())
            conn->post_notify(shared, from);
    }
    protocol::Result<void> revoke(protocol::DeviceId device, bool wipe) {
        auto r = ctx_.store->revoke(device, wipe, ctx_.now_ms());
        if (!r) return r;
        for (auto& [id, conn] : snapshot())
            conn->post_revoked(device, wipe);
        return {};
    }

    /// `zhibu-server revoke` runs as another process and only writes the store; the running
    /// server finds new revocations here, every kRevocationPollMs, and closes their sessions.
    static constexpr std::chrono::milliseconds kRevocationPoll{1000};
    void poll_revocations() {
        auto revoked = ctx_.store->revoked_devices();
        if (!revoked) {
            log(LogLevel::Warn, "revocation_poll_failed", {{"error", revoked.error().message}});
            return;
        }
        std::vector<std::pair<protocol::DeviceId, bool>> fresh;
        for (const auto& [device, wipe] : revoked.value()) {
            auto [it, inserted] = revoked_seen_.emplace(device, wipe);
            if (inserted || (wipe && !it->second)) fresh.emplace_back(device, wipe);
            it->second = it->second || wipe;
        }
        if (fresh.empty()) return;
        auto conns = snapshot();
        for (const auto& [device, wipe] : fresh) {
            log(LogLevel::Info, "revocation_seen",
                {{"device", std::to_string(device)}, {"wipe", wipe}});
            for (auto& [id, conn] : conns)
                conn->post_revoked(device, wipe);
        }
    }
    net::awaitable<void> revocation_loop() {
        net::steady_timer timer(co_await net::this_coro::executor);
        for (;;) {
            timer.expires_after(kRevocationPoll);
            beast::error_code ec;
            co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
            if (stopping_) co_return;
            // The store blocks: ask it on the store pool, never on an I/O thread.
            co_await net::co_spawn(
                pool_.get_executor(),
                [this]() -> net::awaitable<void> {
                    poll_revocations();
                    co_return;
                },
                net::use_awaitable);
        }
    }

    ServerContext& ctx_;
    net::io_context ioc_;
    ssl::context ssl_;
    tcp::acceptor acceptor_;
    net::thread_pool pool_;
    std::vector<std::thread> threads_;
    std::uint16_t port_ = 0;
    bool started_ = false;
    bool stopped_ = false;
    std::atomic<bool> stopping_{false};
    std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::uint64_t, std::weak_ptr<ConnBase>> conns_;
    std::uint64_t next_id_ = 0;
    std::map<protocol::DeviceId, bool> revoked_seen_;  // device → wipe; only the poll touches it

    net::awaitable<void> listen(bool tls);
    std::string health_json() const {
        nlohmann::json j{{"status", stopping_ ? "stopping" : "ok"},
                         {"server_id", ctx_.config.server_id},
                         {"connections", ctx_.metrics.connections.load()},
                         {"head", ctx_.store->head()},
                         {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::steady_clock::now() - started_at_)
                                          .count()}};
        return j.dump();
    }
};

namespace {

template <class Ws>
class Conn final : public ConnBase, public std::enable_shared_from_this<Conn<Ws>> {
public:
    static constexpr bool kTls = !std::is_same_v<Ws, websocket::stream<tcp::socket>>;

    template <class... Args>
    Conn(Server::Impl& srv, std::string peer, bool busy, Args&&... args)
        : srv_(srv),
          ws_(std::forward<Args>(args)...),
          timer_(ws_.get_executor()),
          handler_(srv.ctx_, peer),
          peer_(std::move(peer)),
          busy_refusal_(busy),
          msg_bucket_(srv.ctx_.config.limits.rate_messages_per_s,
                      srv.ctx_.config.limits.rate_burst_messages),
          byte_bucket_(srv.ctx_.config.limits.rate_bytes_per_s,
                       srv.ctx_.config.limits.rate_burst_bytes) {
        srv_.ctx_.metrics.connections += 1;
        srv_.ctx_.metrics.connections_total += 1;
    }
    ~Conn() override {
        srv_.ctx_.metrics.connections -= 1;
        if (id_) srv_.remove(id_);
    }

    void set_id(std::uint64_t id) { id_ = id; }

    tcp::socket& sock() {
        if constexpr (kTls) {
            return ws_.next_layer().next_layer();
        } else {
            return ws_.next_layer();
        }
    }
    /// Until the upgrade, timer_ bounds the TLS handshake and the HTTP request (the writer, which
    /// uses timer_ later, starts after the upgrade).
    void arm_deadline(std::uint64_t ms) {
        timer_.expires_after(std::chrono::milliseconds(ms));
        timer_.async_wait([w = this->weak_from_this()](const beast::error_code& ec) {
            if (ec) return;
            if (auto self = w.lock()) {
                beast::error_code ignored;
                self->sock().close(ignored);
            }
        });
    }

    /// `self` keeps the connection alive: the coroutine starts after co_spawn returns.
    net::awaitable<void> run(std::shared_ptr<Conn> self) {
        const auto& L = srv_.ctx_.config.limits;
        beast::error_code ec;
        arm_deadline(L.handshake_timeout_ms);
        if constexpr (kTls) {
            co_await ws_.next_layer().async_handshake(net::redirect_error(net::use_awaitable, ec));
            if (ec) co_return;
        }
        {
            // The request and its buffer live only until the upgrade: an idle connection keeps
            // none of it.
            beast::flat_buffer buffer;
            http::request_parser<http::string_body> parser;
            parser.header_limit(8192);
            parser.body_limit(4096);
            co_await http::async_read(ws_.next_layer(), buffer, parser,
                                      net::redirect_error(net::use_awaitable, ec));
            if (ec) co_return;
            if (!websocket::is_upgrade(parser.get())) {
                co_await serve_http(parser.release());
                co_return;
            }
            timer_.cancel();
            websocket::stream_base::timeout to{};
            to.handshake_timeout = std::chrono::milliseconds(L.handshake_timeout_ms);
            to.idle_timeout = std::chrono::milliseconds(L.idle_timeout_ms);
            to.keep_alive_pings = true;
            ws_.set_option(to);
            // No permessage-deflate: Beast keeps its zlib state (~12 KB, plus a 32 KB inflate
            // window and ~24 KB of deflate buffers once used) for the life of every connection,
            // which alone is three times the idle-connection budget (docs/PERFORMANCE.md).
            // Clients that offer it get an uncompressed session (protocol/SPEC.md §2).
            websocket::permessage_deflate pmd;
            pmd.server_enable = false;
            pmd.client_enable = false;
            ws_.set_option(pmd);
            // Beast streams the message to us (read_some below); our own check stops at
            // max_frame, Beast's limit is only a backstop for absurd frame headers.
            ws_.read_message_max(static_cast<std::uint64_t>(L.max_frame) * 4 + 1024);
            ws_.binary(true);
            ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
                res.set(http::field::server, "zhibu-server");
            }));
            co_await ws_.async_accept(parser.get(), net::redirect_error(net::use_awaitable, ec));
            if (ec) co_return;
        }
        upgraded_ = true;
        net::co_spawn(ws_.get_executor(), writer(self), net::detached);
        if (stopping_) {
            say_goodbye();
            co_return;
        }
        if (busy_refusal_) {
            srv_.ctx_.metrics.connections_refused += 1;
            enqueue(protocol::Goodbye{Errc::ServerBusy, "connection limit reached"});
            request_close();
            co_return;
        }
        co_await reader();
        request_close();
    }

    void post_notify(std::shared_ptr<const CommitInfo> c, std::uint64_t from) override {
        net::post(ws_.get_executor(), [self = this->shared_from_this(), c, from] {
            if (self->closing_ || !self->principal_) return;
            if (from == self->id_ && !c->server_writes) return;
            if (!notify_wanted(*self->principal_, *c)) return;
            self->srv_.ctx_.metrics.notifies += 1;
            self->enqueue(protocol::Notify{c->cursor}, /*coalesce=*/true);
        });
    }

    void post_shutdown() override {
        net::post(ws_.get_executor(), [self = this->shared_from_this()] {
            self->stopping_ = true;
            if (!self->upgraded_) {
                beast::error_code ec;
                self->sock().close(ec);
                return;
            }
            if (!self->in_handler_) self->say_goodbye();
        });
    }

    void post_force_close() override {
        net::post(ws_.get_executor(), [self = this->shared_from_this()] {
            self->closing_ = true;
            beast::error_code ec;
            self->sock().close(ec);
        });
    }

    void post_revoked(protocol::DeviceId device, bool wipe) override {
        net::post(ws_.get_executor(), [self = this->shared_from_this(), device, wipe] {
            if (!self->principal_ || self->principal_->device != device || self->closing_) return;
            if (wipe) {
                self->enqueue(protocol::Wipe{"device revoked; wipe ordered"});
            } else {
                self->enqueue(protocol::Goodbye{Errc::DeviceRevoked, "device revoked"});
            }
            self->request_close();
        });
    }

private:
    void say_goodbye() {
        if (closing_) return;
        enqueue(protocol::Goodbye{Errc::ShuttingDown, "server shutting down"});
        request_close();
    }

    void enqueue(const Message& m, bool coalesce = false) {
        if (closing_) return;
        auto type = protocol::type_of(m);
        if (const auto* w = std::get_if<protocol::Welcome>(&m)) wire_version_ = w->version;
        // Large messages (Changes pages above all) travel inside `compressed` once the session
        // speaks version 4; zlib state lives only inside this call (SPEC.md §2 "Compression").
        auto bytes =
            std::make_shared<protocol::Bytes>(wire_version_ >= protocol::kCompressedVersion
                                                  ? protocol::encode(m, protocol::CompressOptions{})
                                                  : protocol::encode(m));
        if (coalesce) {
            for (auto& q : queue_) {
                if (q.first == type) {
                    queued_bytes_ -= q.second->size();
                    q.second = bytes;
                    queued_bytes_ += bytes->size();
                    return;
                }
            }
        }
        queued_bytes_ += bytes->size();
        queue_.emplace_back(type, std::move(bytes));
        if (queued_bytes_ > srv_.ctx_.config.limits.max_send_queue_bytes) {
            // A reader this slow would pin unbounded memory: drop it.
            log(LogLevel::Warn, "slow_reader_dropped", {{"peer", peer_}});
            queue_.clear();
            queued_bytes_ = 0;
            closing_ = true;
            beast::error_code ec;
            sock().close(ec);
        }
        wake();
    }
    void request_close() {
        close_requested_ = true;
        wake();
    }
    void wake() { timer_.cancel(); }

    net::awaitable<void> writer(std::shared_ptr<Conn> /*keep alive*/) {
        beast::error_code ec;
        for (;;) {
            if (queue_.empty()) {
                if (close_requested_ || closing_) break;
                timer_.expires_at(std::chrono::steady_clock::time_point::max());
                co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
                continue;
            }
            auto [type, bytes] = std::move(queue_.front());
            queue_.pop_front();
            queued_bytes_ -= bytes->size();
            co_await ws_.async_write(net::buffer(*bytes),
                                     net::redirect_error(net::use_awaitable, ec));
            if (ec) {
                closing_ = true;
                break;
            }
            srv_.ctx_.metrics.count_out(type, bytes->size());
        }
        closing_ = true;
        queue_.clear();
        if (ws_.is_open()) {
            co_await ws_.async_close(websocket::close_code::normal,
                                     net::redirect_error(net::use_awaitable, ec));
        }
        sock().close(ec);
    }

    /// Read one whole message into `out`, streaming, stopping past max_frame.
    net::awaitable<bool> read_message(beast::flat_buffer& out, bool& too_large,
                                      beast::error_code& ec) {
        const std::size_t max = srv_.ctx_.config.limits.max_frame;
        too_large = false;
        do {
            co_await ws_.async_read_some(out, 64 * 1024,
                                         net::redirect_error(net::use_awaitable, ec));
            if (ec) co_return false;
            if (out.size() > max) {
                too_large = true;
                co_return false;
            }
        } while (!ws_.is_message_done());
        co_return true;
    }

    net::awaitable<void> reader() {
        beast::error_code ec;
        const auto& limits = srv_.ctx_.config.limits;
        protocol::Limits dec;
        dec.max_frame = limits.max_frame;
        dec.max_batch = limits.max_batch;
        for (;;) {
            beast::flat_buffer buffer;
            bool too_large = false;
            bool ok = co_await read_message(buffer, too_large, ec);
            if (closing_ || close_requested_) co_return;
            Reply reply;
            if (!ok && !too_large) co_return;  // closed, timed out, reset
            if (too_large) {
                reply = handler_.fail(Errc::TooLarge, "frame exceeds the size limit");
            } else if (!msg_bucket_.take(1) ||
                       !byte_bucket_.take(static_cast<double>(buffer.size()))) {
                srv_.ctx_.metrics.rate_limited += 1;
                reply = handler_.fail(Errc::RateLimited, "rate limit exceeded");
            } else if (!ws_.got_binary()) {
                reply = handler_.fail(Errc::Malformed, "text frames are not accepted");
            } else {
                auto data = buffer.data();
                auto decoded = protocol::decode(
                    std::span(static_cast<const std::uint8_t*>(data.data()), data.size()), dec);
                if (!decoded) {
                    srv_.ctx_.metrics.count_in(static_cast<protocol::MsgType>(0), buffer.size());
                    reply = handler_.on_decode_error(decoded.error());
                } else {
                    srv_.ctx_.metrics.count_in(protocol::type_of(decoded.value()), buffer.size());
                    in_handler_ = true;
                    reply = co_await net::co_spawn(
                        srv_.pool_.get_executor(),
                        run_handler(&handler_, std::move(decoded.value())), net::use_awaitable);
                    in_handler_ = false;
                    if (handler_.principal()) principal_ = handler_.principal();
                }
            }
            for (auto& m : reply.messages)
                enqueue(m);
            if (reply.commit) srv_.notify(*reply.commit, id_);
            if (reply.close) co_return;
            if (stopping_) {
                say_goodbye();
                co_return;
            }
        }
    }

    net::awaitable<void> serve_http(http::request<http::string_body> req) {
        http::response<http::string_body> res;
        res.version(req.version());
        res.keep_alive(false);
        res.set(http::field::server, "zhibu-server");
        if (req.method() != http::verb::get) {
            res.result(http::status::method_not_allowed);
            res.body() = "method not allowed\n";
        } else if (req.target() == "/health") {
            res.result(http::status::ok);
            res.set(http::field::content_type, "application/json");
            res.body() = srv_.health_json();
        } else if (req.target() == "/metrics") {
            res.result(http::status::ok);
            res.set(http::field::content_type, "text/plain; version=0.0.4");
            res.body() = srv_.ctx_.metrics.prometheus();
        } else {
            res.result(http::status::not_found);
            res.body() = "not found\n";
        }
        res.prepare_payload();
        beast::error_code ec;
        co_await http::async_write(ws_.next_layer(), res,
                                   net::redirect_error(net::use_awaitable, ec));
        if constexpr (kTls) ws_.next_layer().send_close_notify();
        sock().shutdown(tcp::socket::shutdown_both, ec);
        sock().close(ec);
    }

    Server::Impl& srv_;
    Ws ws_;
    net::steady_timer timer_;
    SessionHandler handler_;
    std::string peer_;
    bool busy_refusal_;
    std::uint64_t id_ = 0;
    std::optional<Principal> principal_;  // strand-side copy of the handler's principal
    std::deque<std::pair<protocol::MsgType, std::shared_ptr<protocol::Bytes>>> queue_;
    std::size_t queued_bytes_ = 0;
    std::uint32_t wire_version_ = 0;  ///< negotiated in Welcome; 0 until then (never compress)
    bool close_requested_ = false;
    bool closing_ = false;
    bool stopping_ = false;
    bool in_handler_ = false;
    bool upgraded_ = false;
    TokenBucket msg_bucket_;
    TokenBucket byte_bucket_;
};

using TlsWs = websocket::stream<lean::LeanTls>;
using PlainWs = websocket::stream<tcp::socket>;

bool is_loopback(const net::ip::address& a) {
    return a.is_loopback();
}

}  // namespace

net::awaitable<void> Server::Impl::listen(bool tls) {
    for (;;) {
        beast::error_code ec;
        tcp::socket sock(net::make_strand(ioc_));
        co_await acceptor_.async_accept(sock, net::redirect_error(net::use_awaitable, ec));
        if (ec) {
            if (!acceptor_.is_open() || stopping_) co_return;
            log(LogLevel::Warn, "accept_failed", {{"error", ec.message()}});
            continue;
        }
        if (stopping_) continue;
        std::string peer;
        {
            auto ep = sock.remote_endpoint(ec);
            peer =
                ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
        }
        sock.set_option(tcp::no_delay(true), ec);
        bool busy = count() >= ctx_.config.limits.max_connections;
        auto ex = sock.get_executor();
        auto spawn = [&](auto conn) {
            conn->set_id(add(conn));
            net::co_spawn(ex, conn->run(conn), [peer](std::exception_ptr e) {
                if (!e) return;
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    log(LogLevel::Error, "session_exception", {{"peer", peer}, {"what", x.what()}});
                }
            });
        };
        if (tls) {
            spawn(std::make_shared<Conn<TlsWs>>(*this, peer, busy, std::move(sock),
                                                ssl_.native_handle()));
        } else {
            spawn(std::make_shared<Conn<PlainWs>>(*this, peer, busy, std::move(sock)));
        }
    }
}

void Server::Impl::start() {
    const Config& c = ctx_.config;
    set_log_level(parse_log_level(c.log_level));
    auto addr = net::ip::make_address(c.address);
    if (!c.tls && !(c.allow_plaintext && is_loopback(addr)))
        throw std::runtime_error(
            "plain WebSocket needs allow_plaintext and a loopback listen address");
    if (c.tls) {
        ssl_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
        SSL_CTX_set_min_proto_version(ssl_.native_handle(), TLS1_2_VERSION);
        // An idle connection gives its record buffers back (LeanTls relies on this); large
        // messages go out in partial writes.
        SSL_CTX_set_mode(ssl_.native_handle(), SSL_MODE_RELEASE_BUFFERS |
                                                   SSL_MODE_ENABLE_PARTIAL_WRITE |
                                                   SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        // Resumption uses stateless tickets; a server-side cache would only grow with handshakes.
        SSL_CTX_set_session_cache_mode(ssl_.native_handle(), SSL_SESS_CACHE_OFF);
        beast::error_code ec;
        ssl_.use_certificate_chain_file(c.cert_file, ec);
        if (ec) throw std::runtime_error("tls certificate " + c.cert_file + ": " + ec.message());
        ssl_.use_private_key_file(c.key_file, ssl::context::pem, ec);
        if (ec) throw std::runtime_error("tls key " + c.key_file + ": " + ec.message());
    }
    // OpenSSL writes sockets with write(2): a peer gone mid-write must be an error, not SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    tcp::endpoint ep(addr, c.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(acceptor_.get_executor(), listen(c.tls), net::detached);
    net::co_spawn(net::make_strand(ioc_), revocation_loop(), net::detached);
    for (unsigned i = 0; i < c.threads; ++i)
        threads_.emplace_back([this] { ioc_.run(); });
    started_ = true;
    log(LogLevel::Info, "listening",
        {{"address", c.address}, {"port", port_}, {"tls", c.tls}, {"threads", c.threads}});
}

void Server::Impl::stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    stopping_ = true;
    log(LogLevel::Info, "shutdown_begin", {{"connections", count()}});
    net::post(acceptor_.get_executor(), [this] {
        beast::error_code ec;
        acceptor_.close(ec);
    });
    for (auto& [id, conn] : snapshot())
        conn->post_shutdown();
    {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(ctx_.config.shutdown_grace_ms),
                     [&] { return conns_.empty(); });
    }
    // Peers that never answered the close: cut them, and let their coroutines unwind on the
    // running io_context (destroying a suspended session inside ~io_context corrupts the heap).
    for (auto& [id, conn] : snapshot())
        conn->post_force_close();
    {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::seconds(5), [&] { return conns_.empty(); });
    }
    ioc_.stop();
    for (auto& t : threads_)
        t.join();
    threads_.clear();
    pool_.join();
    log(LogLevel::Info, "shutdown_done", {});
}

Server::Server(ServerContext& ctx) : impl_(std::make_unique<Impl>(ctx)) {}
Server::~Server() = default;
void Server::start() {
    impl_->start();
}
std::uint16_t Server::port() const {
    return impl_->port();
}
void Server::stop() {
    impl_->stop();
}
std::size_t Server::sessions() const {
    return impl_->count();
}
void Server::publish(const CommitInfo& c) {
    impl_->notify(c, 0);
}
protocol::Result<void> Server::revoke(protocol::DeviceId device, bool wipe) {
    return impl_->revoke(device, wipe);
}

void Server::run_until_signal() {
    std::mutex mu;
    std::condition_variable cv;
    bool fired = false;
    net::signal_set signals(impl_->ioc_, SIGINT, SIGTERM);
    signals.async_wait([&](const beast::error_code& ec, int sig) {
        if (!ec) log(LogLevel::Info, "signal", {{"signal", sig}});
        std::lock_guard lock(mu);
        fired = true;
        cv.notify_all();
    });
    {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return fired; });
    }
    stop();
}

}  // namespace zb::server
