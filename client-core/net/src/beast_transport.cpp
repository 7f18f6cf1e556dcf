// SPDX-License-Identifier: Apache-2.0
// Boost.Beast implementation of the Transport seam. One coroutine per connection resolves,
// connects, runs the TLS handshake (pin checked in the verify callback, so a wrong server never
// sees a byte of application data), upgrades to WebSocket and reads frames; writes go through a
// queue with at most one async_write in flight. Boost 1.74 dialect: redirect_error, no as_tuple.
#include "zb/net/beast_transport.hpp"

#include "x509_pin.hpp"

#include "zb/net/pin.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/ssl.h>

#include <deque>
#include <optional>
#include <type_traits>

namespace zb::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ws = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

using PlainStream = ws::stream<beast::tcp_stream>;
using TlsStream = ws::stream<beast::ssl_stream<beast::tcp_stream>>;

class Connection {
public:
    virtual ~Connection() = default;
    virtual void send(protocol::Bytes frame) = 0;
    virtual void close() = 0;
};

template <class Stream>
class ConnectionImpl final : public Connection,
                             public std::enable_shared_from_this<ConnectionImpl<Stream>> {
    static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

public:
    // The TLS variant takes an ssl::context; it must outlive the stream, so we own it.
    ConnectionImpl(asio::io_context& ioc, const TransportOptions& options, Endpoint endpoint,
                   TransportCallbacks callbacks)
        : ioc_(ioc),
          options_(options),
          endpoint_(std::move(endpoint)),
          callbacks_(std::move(callbacks)),
          ssl_ctx_(ssl::context::tls_client),
          stream_(make_stream(ioc, ssl_ctx_)),
          resolver_(ioc),
          deadline_(ioc) {}

    void start() {
        auto self = this->shared_from_this();
        asio::co_spawn(ioc_, run(self), [self](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                self->finish(make_net_error(NetErrc::Internal, ex.what()));
            } catch (...) {
                self->finish(make_net_error(NetErrc::Internal, "unknown exception"));
            }
        });
    }

    void send(protocol::Bytes frame) override {
        if (finished_ || closing_) return;
        queue_.push_back(std::move(frame));
        if (open_ && queue_.size() == 1) write_next();
    }

    void close() override {
        if (finished_ || closing_) return;
        closing_ = true;
        if (!open_) {
            // Still connecting: abort the pending stage; run() reports Stopped.
            resolver_.cancel();
            beast::get_lowest_layer(stream_).cancel();
            return;
        }
        auto self = this->shared_from_this();
        stream_.async_close(ws::close_code::normal, [self](beast::error_code) {
            // The read loop sees the close and finishes; nothing to do here.
        });
    }

private:
    static Stream make_stream(asio::io_context& ioc, ssl::context& ctx) {
        if constexpr (kTls) {
            return Stream(ioc, ctx);
        } else {
            (void)ctx;
            return Stream(ioc);
        }
    }

    asio::awaitable<void> run(std::shared_ptr<ConnectionImpl> self) {
        (void)self;  // keeps the connection alive for the coroutine's lifetime
        beast::error_code ec;
        const auto port = std::to_string(endpoint_.port);

        // Resolve, bounded by the connect timeout.
        deadline_.expires_after(options_.connect_timeout);
        deadline_.async_wait([self](beast::error_code tec) {
            if (tec || self->finished_) return;
            self->resolve_timed_out_ = true;
            self->resolver_.cancel();
        });
        auto results = co_await resolver_.async_resolve(
            endpoint_.host, port, asio::redirect_error(asio::use_awaitable, ec));
        deadline_.cancel();
        if (ec) {
            if (closing_)
                co_return finish(make_net_error(NetErrc::Stopped, "closed while connecting"));
            if (resolve_timed_out_)
                co_return finish(make_net_error(NetErrc::Timeout, "resolving " + endpoint_.host));
            co_return finish(
                make_net_error(NetErrc::Resolve, endpoint_.host + ": " + ec.message()));
        }

        auto& tcp_layer = beast::get_lowest_layer(stream_);
        tcp_layer.expires_after(options_.connect_timeout);
        co_await tcp_layer.async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (closing_)
                co_return finish(make_net_error(NetErrc::Stopped, "closed while connecting"));
            if (ec == beast::error::timeout)
                co_return finish(make_net_error(NetErrc::Timeout, "connecting to " + where()));
            co_return finish(make_net_error(NetErrc::Connect, where() + ": " + ec.message()));
        }

        if constexpr (kTls) {
            auto& tls = stream_.next_layer();
            SSL* native = tls.native_handle();
            SSL_set_min_proto_version(native, TLS1_3_VERSION);
            if (!is_ip_literal(endpoint_.host))
                SSL_set_tlsext_host_name(native, endpoint_.host.c_str());
            if (options_.tls.verify_chain) {
                if (options_.tls.ca_file.empty())
                    ssl_ctx_.set_default_verify_paths();
                else
                    ssl_ctx_.load_verify_file(options_.tls.ca_file);
            }
            tls.set_verify_mode(ssl::verify_peer);
            tls.set_verify_callback([this](bool preverified, ssl::verify_context& vctx) {
                return verify(preverified, vctx);
            });
            co_await tls.async_handshake(ssl::stream_base::client,
                                         asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                if (closing_)
                    co_return finish(make_net_error(NetErrc::Stopped, "closed while connecting"));
                if (pin_failed_)
                    co_return finish(make_net_error(NetErrc::PinMismatch,
                                                    "server " + where() + " presented key sha256/" +
                                                        presented_pin_ + ", which is not pinned"));
                if (ec == beast::error::timeout)
                    co_return finish(
                        make_net_error(NetErrc::Timeout, "TLS handshake with " + where()));
                co_return finish(make_net_error(NetErrc::Tls, where() + ": " + ec.message()));
            }
        }

        tcp_layer.expires_never();
        ws::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = options_.connect_timeout;
        timeouts.idle_timeout = options_.idle_timeout;
        timeouts.keep_alive_pings = true;
        stream_.set_option(timeouts);
        stream_.set_option(
            ws::stream_base::decorator([ua = options_.user_agent](ws::request_type& req) {
                req.set(beast::http::field::user_agent, ua);
            }));
        ws::permessage_deflate pmd;
        pmd.client_enable = options_.deflate;
        stream_.set_option(pmd);
        stream_.binary(true);
        stream_.read_message_max(options_.max_frame);
        co_await stream_.async_handshake(endpoint_.host + ":" + port, endpoint_.path,
                                         asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (closing_)
                co_return finish(make_net_error(NetErrc::Stopped, "closed while connecting"));
            if (ec == beast::error::timeout)
                co_return finish(
                    make_net_error(NetErrc::Timeout, "WebSocket upgrade at " + where()));
            co_return finish(
                make_net_error(NetErrc::Handshake, where() + endpoint_.path + ": " + ec.message()));
        }

        open_ = true;
        if (closing_) {
            closing_ = false;
            close();
        } else {
            if (callbacks_.on_open) callbacks_.on_open();
            if (!queue_.empty()) write_next();
        }

        beast::flat_buffer buffer;
        for (;;) {
            co_await stream_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            if (!stream_.got_binary()) {
                ec = {};
                finish(make_net_error(NetErrc::Protocol, "server sent a text frame"));
                beast::get_lowest_layer(stream_).close();
                co_return;
            }
            auto data = buffer.cdata();
            const auto* p = static_cast<const std::uint8_t*>(data.data());
            protocol::Bytes frame(p, p + data.size());
            buffer.consume(buffer.size());
            if (callbacks_.on_frame && !finished_) callbacks_.on_frame(std::move(frame));
        }
        if (ec == ws::error::closed) {
            if (closing_) co_return finish(NetError{});
            auto reason = stream_.reason();
            std::string text = "server closed the connection (code " +
                               std::to_string(static_cast<unsigned>(reason.code)) + ")";
            if (!reason.reason.empty()) text += ": " + std::string(reason.reason);
            co_return finish(make_net_error(NetErrc::Closed, text));
        }
        if (closing_ && ec == asio::error::operation_aborted) co_return finish(NetError{});
        if (ec == beast::error::timeout)
            co_return finish(make_net_error(NetErrc::Timeout, "no answer from " + where()));
        if (ec == ws::error::message_too_big)
            co_return finish(
                make_net_error(NetErrc::Protocol, "server frame exceeds the read limit"));
        co_return finish(make_net_error(NetErrc::Closed, where() + ": " + ec.message()));
    }

    bool verify(bool preverified, ssl::verify_context& vctx) {
        X509_STORE_CTX* sctx = vctx.native_handle();
        if (options_.tls.verify_chain && !preverified) {
            chain_failed_ = true;
            return false;
        }
        const int depth = X509_STORE_CTX_get_error_depth(sctx);
        auto consider = [this](X509* cert) {
            auto pin = spki_pin_of_x509(cert);
            if (pin && pin_matches(options_.tls.pins, *pin)) pin_seen_ = true;
        };
        consider(X509_STORE_CTX_get_current_cert(sctx));
        if (depth != 0) return true;  // decide at the leaf, once the whole chain was seen
        if (!pin_seen_) {
            if (STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(sctx)) {
                for (int i = 0; i < sk_X509_num(chain); ++i)
                    consider(sk_X509_value(chain, i));
            }
            if (STACK_OF(X509)* untrusted = X509_STORE_CTX_get0_untrusted(sctx)) {
                for (int i = 0; i < sk_X509_num(untrusted); ++i)
                    consider(sk_X509_value(untrusted, i));
            }
        }
        if (!pin_seen_) {
            pin_failed_ = true;
            presented_pin_ = spki_pin_of_x509(X509_STORE_CTX_get_current_cert(sctx)).value_or("?");
            return false;
        }
        return true;
    }

    void write_next() {
        auto self = this->shared_from_this();
        stream_.async_write(asio::buffer(queue_.front()),
                            [self](beast::error_code ec, std::size_t) {
                                if (ec) {
                                    // The read loop reports the failure; drop what is queued.
                                    self->queue_.clear();
                                    return;
                                }
                                self->queue_.pop_front();
                                if (!self->queue_.empty() && !self->finished_) self->write_next();
                            });
    }

    void finish(NetError why) {
        if (finished_) return;
        finished_ = true;
        open_ = false;
        deadline_.cancel();
        if (callbacks_.on_closed) callbacks_.on_closed(std::move(why));
    }

    std::string where() const { return endpoint_.host + ":" + std::to_string(endpoint_.port); }

    static bool is_ip_literal(const std::string& host) {
        beast::error_code ec;
        (void)asio::ip::make_address(host, ec);
        return !ec;
    }

    asio::io_context& ioc_;
    TransportOptions options_;
    Endpoint endpoint_;
    TransportCallbacks callbacks_;
    ssl::context ssl_ctx_;
    Stream stream_;
    tcp::resolver resolver_;
    asio::steady_timer deadline_;
    std::deque<protocol::Bytes> queue_;
    bool open_ = false;
    bool closing_ = false;
    bool finished_ = false;
    bool pin_seen_ = false;
    bool pin_failed_ = false;
    bool chain_failed_ = false;
    bool resolve_timed_out_ = false;
    std::string presented_pin_;
};

class BeastTransport final : public Transport {
public:
    BeastTransport(asio::io_context& ioc, TransportOptions options)
        : ioc_(ioc), options_(std::move(options)) {}

    ~BeastTransport() override = default;

    void open(const Endpoint& endpoint, TransportCallbacks callbacks) override {
        asio::post(ioc_, [this, endpoint, cb = std::move(callbacks)]() mutable {
            start(endpoint, std::move(cb));
        });
    }

    void send(protocol::Bytes frame) override {
        asio::post(ioc_, [this, f = std::move(frame)]() mutable {
            if (conn_) conn_->send(std::move(f));
        });
    }

    void close() override {
        asio::post(ioc_, [this] {
            if (conn_) conn_->close();
        });
    }

private:
    void start(const Endpoint& endpoint, TransportCallbacks cb) {
        auto fail = [&](std::string msg) {
            if (cb.on_closed)
                cb.on_closed(make_net_error(NetErrc::InvalidArgument, std::move(msg)));
        };
        if (endpoint.host.empty() || endpoint.port == 0)
            return fail("endpoint needs a host and a port");
        if (endpoint.plaintext) {
            if (!is_loopback_host(endpoint.host))
                return fail("plain ws:// is allowed only for a loopback host, not " +
                            endpoint.host);
            auto c = std::make_shared<ConnectionImpl<PlainStream>>(ioc_, options_, endpoint,
                                                                   std::move(cb));
            conn_ = c;
            c->start();
            return;
        }
        if (options_.tls.pins.empty() && !options_.tls.verify_chain)
            return fail("a TLS connection needs at least one server pin");
        for (const auto& p : options_.tls.pins)
            if (!normalize_pin(p)) return fail("not a SHA-256 SPKI pin: " + p);
        auto c =
            std::make_shared<ConnectionImpl<TlsStream>>(ioc_, options_, endpoint, std::move(cb));
        conn_ = c;
        c->start();
    }

    asio::io_context& ioc_;
    TransportOptions options_;
    std::shared_ptr<Connection> conn_;
};

}  // namespace

std::unique_ptr<Transport> make_beast_transport(boost::asio::io_context& ioc,
                                                TransportOptions options) {
    return std::make_unique<BeastTransport>(ioc, std::move(options));
}

}  // namespace zb::net
