// SPDX-License-Identifier: Apache-2.0
// LeanTls: the server's TLS stream for Beast, with no buffers of its own. OpenSSL reads and
// writes the non-blocking socket itself (SSL_set_fd) and the stream waits for readiness when
// OpenSSL asks for it. Asio's ssl::stream keeps two 17 KB buffers per connection plus a BIO pair
// of another 2 × 17 KB; with SSL_MODE_RELEASE_BUFFERS an idle LeanTls connection holds only
// OpenSSL's session state, which is what lets 10,000 idle phones fit in ~20 KB each
// (docs/PERFORMANCE.md, "Sync server"). Included only by server.cpp (the Beast translation unit).
// Thread-safety: like any Asio stream, one strand; a read and a write may be outstanding at once
// (OpenSSL allows SSL_read and SSL_write to interleave on one thread).
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <memory>

namespace zb::server::lean {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

enum class Want { Done, Read, Write };

struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
};

class LeanTls {
public:
    using executor_type = tcp::socket::executor_type;
    using next_layer_type = tcp::socket;

    LeanTls(tcp::socket sock, SSL_CTX* ctx) : sock_(std::move(sock)), ssl_(SSL_new(ctx)) {
        if (!ssl_) throw std::runtime_error("SSL_new failed");
        beast::error_code ec;
        sock_.non_blocking(true, ec);
        SSL_set_fd(ssl_.get(), static_cast<int>(sock_.native_handle()));
        SSL_set_accept_state(ssl_.get());
    }

    executor_type get_executor() noexcept { return sock_.get_executor(); }
    tcp::socket& next_layer() noexcept { return sock_; }
    SSL* native_handle() noexcept { return ssl_.get(); }

    /// One step of OpenSSL work; `n` is what it moved. Errors end the operation.
    template <bool Read, class Buffer>
    Want attempt(Buffer b, std::size_t& n, beast::error_code& ec) {
        n = 0;
        // After close() the descriptor number may already belong to another connection.
        if (!sock_.is_open()) {
            ec = net::error::bad_descriptor;
            return Want::Done;
        }
        ERR_clear_error();  // SSL_get_error reads this thread's queue, shared by all connections
        int rc = 0;
        if constexpr (Read) {
            rc = SSL_read_ex(ssl_.get(), b.data(), b.size(), &n);
        } else {
            rc = SSL_write_ex(ssl_.get(), b.data(), b.size(), &n);
        }
        if (rc == 1) return Want::Done;
        return classify(SSL_get_error(ssl_.get(), rc), ec);
    }
    Want attempt_handshake(beast::error_code& ec) {
        if (!sock_.is_open()) {
            ec = net::error::bad_descriptor;
            return Want::Done;
        }
        ERR_clear_error();
        int rc = SSL_do_handshake(ssl_.get());
        if (rc == 1) return Want::Done;
        return classify(SSL_get_error(ssl_.get(), rc), ec);
    }
    /// Send close_notify once, without waiting for the peer's (the socket closes next).
    void send_close_notify() {
        if (!sock_.is_open() || !SSL_is_init_finished(ssl_.get())) return;
        ERR_clear_error();
        SSL_shutdown(ssl_.get());
    }

    template <class MutableBufferSequence, class Token>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
        return net::async_compose<Token, void(beast::error_code, std::size_t)>(
            IoOp<true, net::mutable_buffer>{
                *this, first_buffer<net::mutable_buffer>(buffers), false, false, 0, {}},
            token, sock_);
    }
    template <class ConstBufferSequence, class Token>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
        return net::async_compose<Token, void(beast::error_code, std::size_t)>(
            IoOp<false, net::const_buffer>{
                *this, first_buffer<net::const_buffer>(buffers), false, false, 0, {}},
            token, sock_);
    }
    template <class Token>
    auto async_handshake(Token&& token) {
        return net::async_compose<Token, void(beast::error_code)>(
            HandshakeOp{*this, false, false, {}}, token, sock_);
    }

private:
    Want classify(int err, beast::error_code& ec) {
        switch (err) {
            case SSL_ERROR_WANT_READ:
                return Want::Read;
            case SSL_ERROR_WANT_WRITE:
                return Want::Write;
            case SSL_ERROR_ZERO_RETURN:
                ec = net::error::eof;
                return Want::Done;
            case SSL_ERROR_SYSCALL: {
                unsigned long e = ERR_peek_error();
                ec = e ? beast::error_code(static_cast<int>(e), net::error::get_ssl_category())
                       : beast::error_code(net::error::eof);  // peer closed without close_notify
                return Want::Done;
            }
            default: {
                unsigned long e = ERR_get_error();
                ec = beast::error_code(e ? static_cast<int>(e) : err,
                                       net::error::get_ssl_category());
                return Want::Done;
            }
        }
    }

    template <class Buffer, class Seq>
    static Buffer first_buffer(const Seq& seq) {
        for (auto it = net::buffer_sequence_begin(seq); it != net::buffer_sequence_end(seq); ++it)
            if (Buffer b(*it); b.size() != 0) return b;
        return Buffer();
    }

    /// The first attempt runs in the initiating call; if it finishes there, the completion is
    /// posted so the handler never runs inside its own initiation.
    template <bool Read, class Buffer>
    struct IoOp {
        LeanTls& s;
        Buffer b;
        bool started = false;
        bool done = false;
        std::size_t n = 0;
        beast::error_code result;

        template <class Self>
        void operator()(Self& self, beast::error_code ec = {}) {
            if (done) return self.complete(result, n);
            if (ec) return self.complete(ec, 0);
            const bool first = !started;
            started = true;
            Want w = b.size() == 0 ? Want::Done : s.attempt<Read>(b, n, result);
            if (w == Want::Read) return s.sock_.async_wait(tcp::socket::wait_read, std::move(self));
            if (w == Want::Write)
                return s.sock_.async_wait(tcp::socket::wait_write, std::move(self));
            if (first) {
                done = true;
                return net::post(s.sock_.get_executor(), std::move(self));
            }
            self.complete(result, n);
        }
    };

    struct HandshakeOp {
        LeanTls& s;
        bool started = false;
        bool done = false;
        beast::error_code result;

        template <class Self>
        void operator()(Self& self, beast::error_code ec = {}) {
            if (done) return self.complete(result);
            if (ec) return self.complete(ec);
            const bool first = !started;
            started = true;
            Want w = s.attempt_handshake(result);
            if (w == Want::Read) return s.sock_.async_wait(tcp::socket::wait_read, std::move(self));
            if (w == Want::Write)
                return s.sock_.async_wait(tcp::socket::wait_write, std::move(self));
            if (first) {
                done = true;
                return net::post(s.sock_.get_executor(), std::move(self));
            }
            self.complete(result);
        }
    };

    tcp::socket sock_;
    std::unique_ptr<SSL, SslFree> ssl_;
};

// Beast's websocket close: close_notify, then the TCP close (found by argument-dependent lookup).
inline void teardown(beast::role_type, LeanTls& s, beast::error_code& ec) {
    s.send_close_notify();
    s.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    s.next_layer().close(ec);
}

template <class TeardownHandler>
void async_teardown(beast::role_type role, LeanTls& s, TeardownHandler&& handler) {
    beast::error_code ec;
    teardown(role, s, ec);
    net::post(s.get_executor(), beast::bind_front_handler(std::move(handler), ec));
}

}  // namespace zb::server::lean
