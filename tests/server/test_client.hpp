// SPDX-License-Identifier: Apache-2.0
// A blocking test client for the sync server: WebSocket over TLS (trusting the test's dev
// certificate) or plain, one protocol message per binary frame, libsodium Ed25519 device keys.
// Every read has a receive timeout, so a test never hangs on a silent server.
#pragma once

#include "zb/protocol/messages.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace zb::test {

using protocol::Bytes;
using protocol::DeviceId;

struct DeviceKeys {
    Bytes public_key;  // 32
    Bytes secret_key;  // 64
    DeviceId id = 0;
    static DeviceKeys generate();
    Bytes sign(const Bytes& message) const;
};

class TestClient {
public:
    /// Connect and complete the TLS and WebSocket handshakes. Throws on failure.
    TestClient(std::uint16_t port, const std::string& ca_file, bool tls = true,
               int timeout_ms = 10000);
    ~TestClient();
    TestClient(const TestClient&) = delete;
    TestClient& operator=(const TestClient&) = delete;

    void send(const protocol::Message& m);
    /// Send arbitrary bytes as one frame (binary or text). False if the write failed.
    bool send_raw(const Bytes& bytes, bool binary = true);
    /// Next message; nullopt when the connection closed, failed or timed out.
    std::optional<protocol::Message> recv();
    /// Next message of type T (skipping Notify unless T is Notify); throws otherwise.
    template <class T>
    T expect() {
        for (;;) {
            auto m = recv();
            if (!m) throw std::runtime_error("connection closed while waiting for a message");
            if (auto* t = std::get_if<T>(&*m)) return *t;
            if (std::holds_alternative<protocol::Notify>(*m)) continue;
            throw std::runtime_error("unexpected message type " +
                                     std::string(protocol::type_name(protocol::type_of(*m))) +
                                     describe(*m));
        }
    }
    /// True if the server closed the connection (reads end) within the timeout.
    bool closed_by_server();
    int close_code() const { return close_code_; }

    // Protocol helpers.
    protocol::Welcome hello();
    protocol::Enrolled enroll(const std::string& code, const DeviceKeys& keys);
    protocol::AuthOk auth_sig(const DeviceKeys& keys);
    protocol::AuthOk auth_token(DeviceId device, const std::string& token);
    protocol::Push make_push(const DeviceKeys& keys, std::vector<protocol::Change> changes);
    protocol::PushAck push(const DeviceKeys& keys, std::vector<protocol::Change> changes);
    protocol::Changes pull(std::uint64_t cursor, std::uint32_t limit = 1000);

    const Bytes& challenge() const { return challenge_; }

    static std::string describe(const protocol::Message& m);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    Bytes challenge_;
    int close_code_ = 0;
};

/// Raw HTTPS GET on the server port; returns the body ("" on failure).
std::string https_get(std::uint16_t port, const std::string& ca_file, const std::string& target);

}  // namespace zb::test
