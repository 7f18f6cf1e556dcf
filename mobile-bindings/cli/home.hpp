// SPDX-License-Identifier: Apache-2.0
// The CLI's home directory: the encrypted replica (replica.db), its key (replica.key, 256 random
// bits, mode 0600, or a passphrase from ZHIBU_PASSPHRASE wrapping the key in replica.db.zbkey),
// and device.json (server, pin, enrollment answer). A phone keeps the key in its platform
// keystore instead; the CLI is a desktop tool for administrators, demos and tests.
#pragma once

#include "cli.hpp"

#include "zb/core/replica.hpp"
#include "zb/net/sync_client.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace zb::cli {

/// What `enroll` stores; `sync` and `login` read it.
struct DeviceConfig {
    std::string server;  ///< HOST:PORT
    std::string pin;     ///< SPKI pin, base64
    bool plaintext = false;
    std::string path = "/";
    std::string name;
    std::uint64_t device = 0;
    std::string person, role, org;
    bool enrolled = false;
};

struct Context {
    std::filesystem::path home;
    Output out;
    std::unique_ptr<core::Replica> replica;  ///< opened lazily by replica()
    std::optional<DeviceConfig> config;      ///< loaded lazily

    /// Open (creating the home directory and the key when `create`) the replica.
    /// Throws CliError(Storage) with a clear reason (wrong key, wrong passphrase).
    core::Replica& open_replica(bool create);
    /// The stored device configuration; throws CliError(NotEnrolled) when absent.
    DeviceConfig& device_config();
    void save_config(const DeviceConfig& c);
    /// Client options for the stored server (transport, pins, timeouts).
    net::ClientOptions client_options(const DeviceConfig& c) const;
    /// Close the replica and delete the replica, its key and device.json.
    void wipe_all();

    std::filesystem::path db_path() const { return home / "replica.db"; }
    std::filesystem::path key_path() const { return home / "replica.key"; }
    std::filesystem::path config_path() const { return home / "device.json"; }
};

/// Map a transport error to the CLI's exit code and error kind.
[[noreturn]] void throw_net_error(const net::NetError& e);
/// Map a core error to a CliError (Rejected for rule/validation codes, Storage otherwise).
[[noreturn]] void throw_core_error(const protocol::Error& e);

template <class T>
T check(protocol::Result<T> r) {
    if (!r) throw_core_error(r.error());
    return std::move(r.value());
}
inline void check(protocol::Result<void> r) {
    if (!r) throw_core_error(r.error());
}

}  // namespace zb::cli
