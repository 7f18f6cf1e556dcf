// SPDX-License-Identifier: Apache-2.0
// The network server: a TLS (or loopback-only plain) listener speaking WebSocket for the sync
// protocol and plain HTTP GET /health and /metrics on the same port. io_context on N threads, a
// strand and a single writer per connection, store work on a thread pool, graceful shutdown.
#pragma once

#include "zb/server/context.hpp"
#include "zb/server/ingest.hpp"

#include <cstdint>
#include <memory>

namespace zb::server {

class Server {
public:
    /// `ctx` must outlive the server.
    explicit Server(ServerContext& ctx);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Bind, listen and start the I/O and store threads. Throws std::runtime_error.
    void start();
    /// The bound port (after start()).
    std::uint16_t port() const;
    /// Graceful stop: stop accepting, let in-flight batches finish, Goodbye(ShuttingDown) to every
    /// session, close, join the threads (bounded by config.shutdown_grace_ms). Idempotent.
    void stop();
    /// Block until SIGINT/SIGTERM, then stop().
    void run_until_signal();

    /// Revoke a device now: store the order and close its live sessions (Wipe or Goodbye).
    protocol::Result<void> revoke(protocol::DeviceId device, bool wipe);
    std::size_t sessions() const;
    /// Notify every session that may read a row of `c` (commits made outside a session, e.g.
    /// changes pulled from an upstream server by the tiers link).
    void publish(const CommitInfo& c);

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace zb::server
