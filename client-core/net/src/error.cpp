// SPDX-License-Identifier: Apache-2.0
// Names and renderings of the transport's typed errors (stable strings: the CLI prints them and
// scripts match on them through `zhibu --json`).
#include "zb/net/error.hpp"

namespace zb::net {

std::string_view net_errc_name(NetErrc e) {
    switch (e) {
        case NetErrc::Ok:
            return "ok";
        case NetErrc::InvalidArgument:
            return "invalid-argument";
        case NetErrc::Resolve:
            return "resolve";
        case NetErrc::Connect:
            return "connect";
        case NetErrc::Timeout:
            return "timeout";
        case NetErrc::Tls:
            return "tls";
        case NetErrc::PinMismatch:
            return "pin-mismatch";
        case NetErrc::Handshake:
            return "handshake";
        case NetErrc::Closed:
            return "closed";
        case NetErrc::Protocol:
            return "protocol";
        case NetErrc::Server:
            return "server";
        case NetErrc::NotEnrolled:
            return "not-enrolled";
        case NetErrc::Wiped:
            return "wiped";
        case NetErrc::Stopped:
            return "stopped";
        case NetErrc::Internal:
            return "internal";
    }
    return "unknown";
}

std::string NetError::to_string() const {
    std::string s(net_errc_name(code));
    if (code == NetErrc::Server) {
        s += " ";
        s += std::to_string(static_cast<unsigned>(server_code));
    }
    if (!message.empty()) {
        s += ": ";
        s += message;
    }
    return s;
}

}  // namespace zb::net
