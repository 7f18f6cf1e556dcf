// SPDX-License-Identifier: Apache-2.0
// The default transport: Boost.Beast WebSocket over TLS 1.3 (OpenSSL), server authenticated by
// SPKI pin, permessage-deflate, binary frames, bounded reads and Beast stream timeouts. Plain ws
// is available for loopback endpoints only, when Endpoint::plaintext is set.
#pragma once

#include "zb/net/transport.hpp"

#include <memory>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace zb::net {

/// A Beast transport whose I/O and callbacks run on `ioc` (the caller runs it, on one thread).
/// Ownership: `ioc` must outlive the transport, and the transport must be destroyed only when
/// `ioc` is no longer running.
std::unique_ptr<Transport> make_beast_transport(boost::asio::io_context& ioc,
                                                TransportOptions options);

}  // namespace zb::net
