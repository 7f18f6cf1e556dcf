// SPDX-License-Identifier: Apache-2.0
// Tiers, college side (SPEC.md §15): a college's server is a client of the university's server
// for its subtree. It enrolls there like a device (role college_server, one-time code, Ed25519 key
// kept in its data dir), relays the changes its own devices and commands made — with their
// original origin, seq, hlc and base — in signed RelayPush batches, and pulls the upstream's
// changes for its scope by cursor into its own store, where its phones pull them. Provenance is
// the origin: a change whose origin is enrolled HERE (or is this server) is local and goes up;
// anything else came from above and never goes back.
//
// RelayEngine is sans-I/O (messages and ticks in, messages out; its store work is blocking
// SQLite) so a simulator can drive it; UpstreamLink runs it over the Beast transport on its own
// thread, on a schedule and/or live (Notify from upstream, local commits), with backoff.
#pragma once

#include "zb/protocol/messages.hpp"
#include "zb/server/context.hpp"
#include "zb/server/ingest.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace zb::server {

/// The "upstream" section of the configuration.
struct UpstreamConfig {
    std::string host;  ///< the university's server
    std::uint16_t port = 0;
    std::string pin;         ///< SPKI pin of the upstream's certificate (required unless plaintext)
    bool plaintext = false;  ///< ws:// — loopback only, tests
    std::string enroll_code;            ///< one-time code for the first start (role college_server)
    std::string key_file;               ///< Ed25519 secret key; default <data_dir>/upstream.key
    std::string state_file;             ///< cursors and refusals; default <data_dir>/upstream.db
    std::uint64_t interval_ms = 60000;  ///< scheduled round (relay + pull)
    bool live = true;                   ///< also react to upstream Notify and local commits
    std::uint32_t relay_batch = 500;    ///< changes per RelayPush
    std::uint32_t pull_limit = 1000;
    std::uint64_t backoff_min_ms = 200;
    std::uint64_t backoff_max_ms = 30000;
    std::string name = "college server";
};

/// Parse {"host" | "url": "wss://host:port", "port", "pin", "plaintext", "enroll_code",
/// "key_file", "interval_s", "live", "relay_batch", "pull_limit", "name"}; relative files resolve
/// against `data_dir`. Throws std::runtime_error with the reason.
UpstreamConfig upstream_config_from_json(const nlohmann::json& j, const std::string& data_dir);

/// A relayed change the upstream refused: kept at the college with its reason, never dropped.
struct RelayRefusal {
    protocol::Change change;
    protocol::Errc code = protocol::Errc::Ok;
    std::string message;
    std::uint64_t time_ms = 0;
};

/// The link's durable state in its own small SQLite file: the relay cursor (a pull cursor over
/// the college's own store), the upstream pull cursor, the enrolled device id, the refusals.
class UpstreamState {
public:
    virtual ~UpstreamState() = default;
    virtual std::uint64_t relay_cursor() = 0;
    virtual void set_relay_cursor(std::uint64_t c) = 0;
    virtual std::uint64_t pull_cursor() = 0;
    virtual void set_pull_cursor(std::uint64_t c) = 0;
    virtual protocol::DeviceId device() = 0;
    virtual void set_device(protocol::DeviceId d) = 0;
    virtual void record_refusal(const RelayRefusal& r) = 0;
    virtual std::vector<RelayRefusal> refusals() = 0;
};
/// Throws std::runtime_error if the file cannot be opened.
std::unique_ptr<UpstreamState> open_upstream_state(const std::string& path);

/// The college server's upstream identity: an Ed25519 key pair.
struct UpstreamKey {
    Bytes public_key;  ///< 32 bytes
    Bytes secret_key;  ///< 64 bytes (libsodium layout)
    protocol::DeviceId id() const;
    Bytes sign(const Bytes& message) const;
};
/// Load the key, or create it (mode 0600) when the file is absent. Throws std::runtime_error.
UpstreamKey load_or_create_upstream_key(const std::string& path);

struct RelayStats {
    std::uint64_t relayed = 0;   ///< changes sent up and settled
    std::uint64_t refused = 0;   ///< ... of which the upstream refused
    std::uint64_t pulled = 0;    ///< upstream changes applied here
    std::uint64_t rounds = 0;    ///< completed rounds (nothing left to relay or pull)
    std::uint64_t sessions = 0;  ///< logins upstream
    std::string last_error;      ///< the last error the upstream sent, if any
};

/// The sans-I/O link: feed it the transport's events, send what it returns.
class RelayEngine {
public:
    /// `publish` is told about commits of upstream changes into the local store (for Notify).
    RelayEngine(ServerContext& local, UpstreamState& state, const UpstreamConfig& config,
                const UpstreamKey& key, std::function<void(const CommitInfo&)> publish = {});

    std::vector<protocol::Message> on_open();
    std::vector<protocol::Message> on_message(const protocol::Message& m);
    /// A scheduled or live prompt: relay what is new locally and pull what is new upstream.
    std::vector<protocol::Message> on_wake();
    void on_closed();

    bool ready() const { return phase_ == Phase::Ready; }
    /// Logged in, nothing outstanding and nothing known to be pending.
    bool idle() const;
    /// The engine asks the transport to close (fatal answer from upstream).
    bool wants_close() const { return close_; }
    const RelayStats& stats() const { return stats_; }
    std::vector<std::string> scopes() const { return scopes_; }

private:
    enum class Phase : std::uint8_t { Closed, AwaitWelcome, AwaitEnrolled, AwaitAuthOk, Ready };
    struct Outstanding {
        protocol::RelayPush push;
        std::uint64_t next_cursor = 0;
    };

    std::vector<protocol::Message> pump();
    std::optional<Outstanding> next_relay_batch();
    bool is_local(protocol::DeviceId origin);
    void apply_downstream(const std::vector<protocol::Change>& changes);
    std::vector<protocol::Message> fail(std::string why);

    ServerContext& local_;
    UpstreamState& state_;
    UpstreamConfig config_;
    const UpstreamKey& key_;
    std::function<void(const CommitInfo&)> publish_;
    Phase phase_ = Phase::Closed;
    Bytes challenge_;
    std::vector<std::string> scopes_;
    std::optional<Outstanding> relay_out_;
    bool pull_out_ = false;
    bool relay_wanted_ = false;
    bool pull_wanted_ = false;
    bool close_ = false;
    std::uint64_t next_batch_ = 1;
    std::map<protocol::DeviceId, bool> local_origin_;
    RelayStats stats_;
};

/// The I/O around a RelayEngine: its own thread and io_context, the Beast transport (TLS with
/// the configured pin), the schedule, live prompts, reconnect with exponential backoff.
class UpstreamLink {
public:
    UpstreamLink(ServerContext& local, UpstreamConfig config,
                 std::function<void(const CommitInfo&)> publish = {});
    ~UpstreamLink();  ///< stop()
    UpstreamLink(const UpstreamLink&) = delete;
    UpstreamLink& operator=(const UpstreamLink&) = delete;

    /// Load or create the key, open the state file, start the thread. Throws std::runtime_error.
    void start();
    /// Close the connection and join the thread. Idempotent.
    void stop();
    /// Prompt a round now and wait until a round that started after this call completes (all
    /// local changes relayed and settled, the upstream pulled to its end). False on timeout.
    bool sync_now(std::chrono::milliseconds timeout);
    /// Prompt a round and return at once.
    void wake();
    RelayStats stats() const;
    std::vector<RelayRefusal> refusals() const;

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace zb::server
