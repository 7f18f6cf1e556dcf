// SPDX-License-Identifier: Apache-2.0
// The blocking Beast test client (see test_client.hpp): synchronous I/O with
// SO_RCVTIMEO/SO_SNDTIMEO on the socket so every read and write is bounded in time.
#include "test_client.hpp"

#include "zb/protocol/codec.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <sodium.h>

#include <sys/socket.h>
#include <sys/time.h>

namespace zb::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace protocol;

DeviceKeys DeviceKeys::generate() {
    if (sodium_init() < 0) throw std::runtime_error("sodium_init");
    DeviceKeys k;
    k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
    k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
    crypto_sign_keypair(k.public_key.data(), k.secret_key.data());
    unsigned char h[32];
    crypto_generichash(h, 32, k.public_key.data(), k.public_key.size(), nullptr, 0);
    for (int i = 7; i >= 0; --i)
        k.id = (k.id << 8) | h[i];
    return k;
}

Bytes DeviceKeys::sign(const Bytes& message) const {
    Bytes sig(crypto_sign_BYTES);
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_key.data());
    return sig;
}

static void set_timeouts(int fd, int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

struct TestClient::Impl {
    net::io_context ioc;
    ssl::context ctx{ssl::context::tls_client};
    std::unique_ptr<websocket::stream<beast::ssl_stream<tcp::socket>>> tls;
    std::unique_ptr<websocket::stream<tcp::socket>> plain;
    bool dead = false;

    template <class F>
    auto with(F&& f) {
        if (tls) return f(*tls);
        return f(*plain);
    }
};

TestClient::TestClient(std::uint16_t port, const std::string& ca_file, bool use_tls, int timeout_ms)
    : impl_(std::make_unique<Impl>()) {
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
    auto setup = [&](auto& ws) {
        websocket::permessage_deflate pmd;
        pmd.client_enable = true;
        ws.set_option(pmd);
        ws.read_message_max(64u << 20);
        ws.binary(true);
    };
    if (use_tls) {
        impl_->ctx.load_verify_file(ca_file);
        impl_->ctx.set_verify_mode(ssl::verify_peer);
        impl_->tls = std::make_unique<websocket::stream<beast::ssl_stream<tcp::socket>>>(
            impl_->ioc, impl_->ctx);
        auto& ws = *impl_->tls;
        beast::get_lowest_layer(ws).connect(ep);
        set_timeouts(beast::get_lowest_layer(ws).native_handle(), timeout_ms);
        ws.next_layer().handshake(ssl::stream_base::client);
        setup(ws);
        ws.handshake("localhost", "/sync");
    } else {
        impl_->plain = std::make_unique<websocket::stream<tcp::socket>>(impl_->ioc);
        auto& ws = *impl_->plain;
        ws.next_layer().connect(ep);
        set_timeouts(ws.next_layer().native_handle(), timeout_ms);
        setup(ws);
        ws.handshake("localhost", "/sync");
    }
}

TestClient::~TestClient() {
    beast::error_code ec;
    impl_->with([&](auto& ws) {
        if (ws.is_open()) ws.close(websocket::close_code::normal, ec);
        return 0;
    });
}

void TestClient::send(const Message& m) {
    if (!send_raw(encode(m))) throw std::runtime_error("send failed");
}

bool TestClient::send_raw(const Bytes& bytes, bool binary) {
    beast::error_code ec;
    impl_->with([&](auto& ws) {
        ws.binary(binary);
        ws.write(net::buffer(bytes), ec);
        ws.binary(true);
        return 0;
    });
    return !ec;
}

std::optional<Message> TestClient::recv() {
    if (impl_->dead) return std::nullopt;
    beast::flat_buffer buf;
    beast::error_code ec;
    impl_->with([&](auto& ws) {
        ws.read(buf, ec);
        if (ec == websocket::error::closed) close_code_ = ws.reason().code;
        return 0;
    });
    if (ec) {
        impl_->dead = true;
        return std::nullopt;
    }
    auto d = buf.data();
    auto m = decode(std::span(static_cast<const std::uint8_t*>(d.data()), d.size()));
    if (!m)
        throw std::runtime_error("client could not decode a server message: " + m.error().message);
    return m.value();
}

bool TestClient::closed_by_server() {
    for (int i = 0; i < 100; ++i) {
        if (!recv()) return true;
    }
    return false;
}

std::string TestClient::describe(const Message& m) {
    if (auto* e = std::get_if<ErrorMsg>(&m))
        return " (error " + std::to_string(static_cast<int>(e->code)) + ": " + e->message + ")";
    if (auto* g = std::get_if<Goodbye>(&m))
        return " (goodbye " + std::to_string(static_cast<int>(g->code)) + ")";
    return "";
}

Welcome TestClient::hello() {
    Hello h;
    h.client = "zhibu-test/1";
    send(h);
    auto w = expect<Welcome>();
    challenge_ = w.challenge;
    return w;
}

Enrolled TestClient::enroll(const std::string& code, const DeviceKeys& keys) {
    send(Enroll{code, keys.public_key, "test device"});
    return expect<Enrolled>();
}

AuthOk TestClient::auth_sig(const DeviceKeys& keys) {
    Auth a;
    a.device = keys.id;
    a.signature = keys.sign(auth_payload(challenge_, keys.id));
    send(a);
    return expect<AuthOk>();
}

AuthOk TestClient::auth_token(DeviceId device, const std::string& token) {
    Auth a;
    a.device = device;
    a.token = token;
    send(a);
    return expect<AuthOk>();
}

Push TestClient::make_push(const DeviceKeys& keys, std::vector<Change> changes) {
    Push p;
    p.batch = changes.empty() ? 0 : changes.front().seq;
    p.changes = std::move(changes);
    p.signature = keys.sign(push_payload(p));
    return p;
}

PushAck TestClient::push(const DeviceKeys& keys, std::vector<Change> changes) {
    send(make_push(keys, std::move(changes)));
    return expect<PushAck>();
}

Changes TestClient::pull(std::uint64_t cursor, std::uint32_t limit) {
    send(Pull{cursor, limit});
    return expect<Changes>();
}

std::string https_get(std::uint16_t port, const std::string& ca_file, const std::string& target) {
    try {
        net::io_context ioc;
        ssl::context ctx{ssl::context::tls_client};
        ctx.load_verify_file(ca_file);
        ctx.set_verify_mode(ssl::verify_peer);
        beast::ssl_stream<tcp::socket> s(ioc, ctx);
        s.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        set_timeouts(s.next_layer().native_handle(), 10000);
        s.handshake(ssl::stream_base::client);
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "localhost");
        http::write(s, req);
        beast::flat_buffer buf;
        http::response<http::string_body> res;
        http::read(s, buf, res);
        beast::error_code ec;
        s.shutdown(ec);
        return res.body();
    } catch (const std::exception&) {
        return {};
    }
}

}  // namespace zb::test
