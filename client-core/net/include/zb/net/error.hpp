// SPDX-License-Identifier: Apache-2.0
// Typed errors of the client transport and sync driver. A NetError says which stage failed
// (resolve, connect, TLS, pin, WebSocket handshake, session, server), so the app and the CLI can
// tell "wrong server key" from "server down" from "the server refused us" without parsing text.
#pragma once

#include "zb/protocol/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace zb::net {

enum class NetErrc : std::uint8_t {
    Ok = 0,
    InvalidArgument,  ///< bad endpoint, pin or option (nothing was attempted)
    Resolve,          ///< host name did not resolve
    Connect,          ///< TCP connect failed (refused, unreachable)
    Timeout,          ///< a connect, handshake, read or whole-sync deadline passed
    Tls,              ///< TLS handshake failed for a reason other than the pin
    PinMismatch,      ///< the server's public key is not one of the pinned keys; nothing was sent
    Handshake,        ///< the WebSocket upgrade was refused
    Closed,           ///< the connection closed (by the peer or a network error)
    Protocol,         ///< undecodable or unexpected frame from the server
    Server,           ///< the server answered with an error; see `server_code`
    NotEnrolled,      ///< the replica has no device identity yet
    Wiped,            ///< the server ordered this device wiped; the replica was destroyed
    Stopped,          ///< stop() was called while the operation ran
    Internal,         ///< a bug or an exception in a callback
};

std::string_view net_errc_name(NetErrc e);

struct NetError {
    NetErrc code = NetErrc::Ok;
    std::string message;
    protocol::Errc server_code = protocol::Errc::Ok;  ///< set when code == Server

    bool ok() const { return code == NetErrc::Ok; }
    /// "pin-mismatch: ..." style one-liner for logs and the CLI.
    std::string to_string() const;
};

inline NetError make_net_error(NetErrc c, std::string msg,
                               protocol::Errc server = protocol::Errc::Ok) {
    return NetError{c, std::move(msg), server};
}

}  // namespace zb::net
