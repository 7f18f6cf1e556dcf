// SPDX-License-Identifier: Apache-2.0
// The server's configuration: one JSON file (nlohmann/json) read at start-up, relative paths
// resolved against the file's directory. The synced schema may be declared in the same file
// ("schema": tables with policies, visibility and sensitive columns) until the domain schema ships.
#pragma once

#include "zb/merge/schema.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace zb::server {

struct Limits {
    std::size_t max_frame = 4u << 20;     ///< websocket read_message_max (after inflation)
    std::size_t max_batch = 5000;         ///< changes in one Push
    std::size_t max_connections = 10000;  ///< beyond this: Goodbye(ServerBusy)
    std::uint32_t max_pull_limit = 5000;  ///< a Pull's limit is clamped to this
    std::uint64_t handshake_timeout_ms = 30000;
    std::uint64_t idle_timeout_ms = 300000;
    double rate_messages_per_s = 500;  ///< token bucket refill, messages
    double rate_burst_messages = 1000;
    double rate_bytes_per_s = 16u << 20;  ///< token bucket refill, bytes
    double rate_burst_bytes = 32u << 20;
    std::size_t max_send_queue_bytes = 64u << 20;  ///< a slow reader beyond this is dropped
};

/// The nightly job (nightly.hpp): "nightly": {"at", "backup_dir", "keep",
/// "tombstone_retention_days", "history_retention_days", "max_offline_days"}.
struct NightlyConfig {
    bool scheduled = false;    ///< true when the configuration has a "nightly" member
    unsigned at_minute = 150;  ///< minutes after midnight, UTC ("02:30")
    std::string backup_dir;    ///< default: <data_dir>/backups; empty string = no backup
    unsigned keep = 7;         ///< backups kept after pruning
    unsigned tombstone_retention_days = 30;
    unsigned history_retention_days = 30;
    /// A device not seen for longer no longer holds back the horizon; when it returns it rebases.
    unsigned max_offline_days = 90;
};

struct Config {
    std::string server_id = "zhibu";
    std::string address = "0.0.0.0";
    std::uint16_t port = 8443;  ///< 0 = ephemeral (tests)
    bool tls = true;
    bool allow_plaintext = false;  ///< plain ws only if this AND a loopback address
    std::string cert_file;
    std::string key_file;
    std::string data_dir = ".";
    std::string master_key_file;  ///< default: <data_dir>/master.key
    bool create_master_key = true;
    unsigned threads = 2;        ///< io_context threads
    unsigned store_threads = 2;  ///< blocking store work
    std::uint64_t token_ttl_ms = 15 * 60 * 1000;
    std::uint64_t enroll_code_ttl_ms = 72ull * 3600 * 1000;
    std::uint64_t max_clock_ahead_ms = 5 * 60 * 1000;
    std::uint64_t shutdown_grace_ms = 10000;
    std::string log_level = "info";
    Limits limits;
    nlohmann::json schema_json;    ///< the "schema" member, if any
    nlohmann::json policy_json;    ///< the "policy" member (zb::domain::UniversityPolicy), if any
    nlohmann::json upstream_json;  ///< the "upstream" member (tiers: upstream.hpp), if any
    NightlyConfig nightly;

    std::string db_path() const;
    std::string master_key_path() const;
};

/// Parse a configuration; `base_dir` resolves relative paths. Throws std::runtime_error.
Config config_from_json(const nlohmann::json& j, const std::string& base_dir);
Config load_config(const std::string& path);

/// "schema": {"version": 1, "tables": [{"name", "policy", "org_column", "owner_column",
/// "visibility": "org|owner|officers", "deletable", "columns": [{"name", "policy", "sensitive"}]}]}
merge::Schema schema_from_json(const nlohmann::json& j);

}  // namespace zb::server
