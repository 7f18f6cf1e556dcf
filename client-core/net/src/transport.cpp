// SPDX-License-Identifier: Apache-2.0
// Endpoint helpers shared by every transport: "HOST:PORT" parsing and the loopback test that
// gates plain (unencrypted) WebSocket connections.
#include "zb/net/transport.hpp"

#include <boost/asio/ip/address.hpp>

#include <charconv>

namespace zb::net {

bool parse_host_port(const std::string& text, Endpoint& out, std::string& error) {
    std::string host;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            error = "expected [IPV6]:PORT, got '" + text + "'";
            return false;
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos || colon == 0 || text.find(':') != colon) {
            error = "expected HOST:PORT, got '" + text + "'";
            return false;
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || ptr != port.data() + port.size() || value == 0 || value > 65535) {
        error = "bad port '" + port + "' (1..65535)";
        return false;
    }
    out.host = host;
    out.port = static_cast<std::uint16_t>(value);
    return true;
}

bool is_loopback_host(const std::string& host) {
    if (host == "localhost") return true;
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(host, ec);
    return !ec && addr.is_loopback();
}

}  // namespace zb::net
