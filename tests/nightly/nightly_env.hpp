// SPDX-License-Identifier: Apache-2.0
// Fixtures for the nightly-job tests: a server context on a temporary SQLite store whose clock the
// test moves (days pass between syncs), and devices that talk to it through SessionHandler, the
// same protocol state machine the network server runs, without sockets.
#pragma once

#include "server_env.hpp"

#include "zb/server/context.hpp"
#include "zb/server/session.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace zb::test {

inline constexpr std::int64_t kDay = 86400000;

struct NightlyEnv {
    TempDir dir{"zb-nightly-test"};
    std::int64_t offset_ms = 0;  ///< added to the server clock
    std::unique_ptr<server::ServerContext> ctx;

    NightlyEnv();
    /// Close the store (before a restore) and open it again from the same files.
    void close();
    void reopen();
    std::string db() const { return ctx_config.db_path(); }
    server::Config ctx_config;
};

/// A device logged in on its own SessionHandler.
struct Dev {
    DeviceKeys keys = DeviceKeys::generate();
    std::unique_ptr<server::SessionHandler> h;
    std::uint64_t seq = 1;
    std::uint64_t clock = 0;
    std::uint64_t cursor = 0;  ///< where this device's next pull starts
    protocol::AuthOk auth;
    NightlyEnv* env = nullptr;

    Dev(NightlyEnv& e, const std::string& person, const std::string& role, const std::string& org);
    /// A new session (tokens expire when the test moves the clock by days).
    void login();
    protocol::Change set(const std::string& t, const std::string& r, const std::string& c,
                         protocol::Value v);
    protocol::Change op(protocol::Op o, const std::string& t, const std::string& r);
    protocol::PushAck push(std::vector<protocol::Change> changes);
    /// One Pull request; the server's answer (Changes or ErrorMsg).
    protocol::Message pull_once(std::uint64_t from);
    /// Pull from `cursor` to the end, then once more (a new pull run, as the next sync does), so
    /// the server records the cursor the device has reached. Returns the changes.
    std::vector<protocol::Change> sync();
};

/// The accepted change of one notice row: org + title.
std::vector<protocol::Change> notice(Dev& d, const std::string& row, const std::string& org,
                                     const std::string& title);

}  // namespace zb::test
