// SPDX-License-Identifier: Apache-2.0
// The transport seam: a message-oriented, bidirectional connection to the sync server. The
// default is the Boost.Beast WebSocket-over-TLS transport (beast_transport.hpp); a platform may
// supply its own (URLSession, OkHttp) through the C ABI. The sync driver and engine are the same
// either way: the transport only moves whole binary frames (one encoded protocol message each).
#pragma once

#include "zb/net/error.hpp"
#include "zb/protocol/value.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace zb::net {

/// Where to connect. `plaintext` (ws:// instead of wss://) is accepted only for a loopback host
/// (127.0.0.0/8, ::1, "localhost") and only when the caller sets it explicitly.
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    std::string path = "/";
    bool plaintext = false;
};

/// Parse "HOST:PORT" or "[V6]:PORT". Errors: InvalidArgument.
bool parse_host_port(const std::string& text, Endpoint& out, std::string& error);

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

/// How the server is authenticated and how long each stage may take.
struct TlsOptions {
    /// SPKI pins (pin.hpp); the connection fails with PinMismatch unless the server's leaf or a
    /// certificate of its chain has one of them. Required unless the endpoint is plaintext.
    std::vector<std::string> pins;
    /// Also require a chain valid under `ca_file` (or the system store if empty). Off by default:
    /// campus servers often use a private CA or a self-signed certificate, and the pin is the
    /// trust anchor.
    bool verify_chain = false;
    std::string ca_file;
};

struct TransportOptions {
    TlsOptions tls;
    std::chrono::milliseconds connect_timeout{10000};  ///< resolve + TCP + TLS + upgrade
    std::chrono::milliseconds idle_timeout{30000};     ///< silence before pinging, then closing
    std::size_t max_frame = (4u << 20) + 4096;         ///< read limit for one message
    bool deflate = true;                               ///< permessage-deflate
    std::string user_agent = "zhibu-core/0.1";
};

/// What a transport reports. May be called from any thread, but never concurrently for one
/// connection, and never after on_closed. on_closed is called exactly once per open().
struct TransportCallbacks {
    std::function<void()> on_open;
    std::function<void(protocol::Bytes frame)> on_frame;
    std::function<void(NetError why)> on_closed;  ///< code Ok for a clean close we asked for
};

/// One connection at a time. open() may be called again only after on_closed of the previous
/// connection. Thread-safety: open/send/close may be called from any thread.
class Transport {
public:
    virtual ~Transport() = default;
    /// Start connecting; on_open or on_closed follows.
    virtual void open(const Endpoint& endpoint, TransportCallbacks callbacks) = 0;
    /// Queue one binary frame. Frames are sent in order; ignored when not open.
    virtual void send(protocol::Bytes frame) = 0;
    /// Close gracefully (WebSocket close), bounded by the transport's timeouts; on_closed follows.
    /// Harmless when not open.
    virtual void close() = 0;
};

}  // namespace zb::net
