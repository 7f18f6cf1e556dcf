// SPDX-License-Identifier: Apache-2.0
// The seam between the sans-I/O sync engine (sync_engine.hpp) and the replica that stores data.
// The engine never touches SQLite: it asks the store for outbox entries and hands it what the
// server sent. The phone's Replica implements this over its encrypted SQLite file; tests and the
// simulator may implement it in memory.
#pragma once

#include "zb/protocol/messages.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zb::core {

/// The device's identity as the engine needs it.
struct DeviceIdentity {
    protocol::DeviceId device = 0;  ///< 0 until enrolled
    protocol::Bytes public_key;     ///< Ed25519, 32 bytes
};

class SyncStore {
public:
    virtual ~SyncStore() = default;

    virtual DeviceIdentity identity() = 0;
    /// Sign `payload` with the device's Ed25519 secret key (64-byte detached signature).
    virtual protocol::Bytes sign(const protocol::Bytes& payload) = 0;
    /// Record the enrollment answer (device id, person, role, org).
    virtual void set_enrolled(const protocol::Enrolled& e) = 0;

    /// Up to `max` unacknowledged local changes with seq > after_seq, ascending seq.
    virtual std::vector<protocol::Change> outbox(std::uint64_t after_seq, std::size_t max) = 0;
    /// The server settled these changes (accepted or rejected, per result). Accepted ones leave
    /// the outbox; rejected ones leave it too, are kept with their reason, and their cells return
    /// to the server's state. Everything up to `acked_seq` is settled.
    virtual void settle(const std::vector<protocol::Change>& pushed,
                        const protocol::PushAck& ack) = 0;
    /// Apply a page of server changes and advance the pull cursor, in one transaction.
    virtual void apply_remote(const protocol::Changes& page) = 0;
    virtual std::uint64_t pull_cursor() = 0;

    /// Rebase (protocol/SPEC.md §9.1): the server collected history this device has not pulled,
    /// or was restored from a backup. Reset the pull cursor to 0 so the next pulls form a
    /// snapshot; when the last page arrives, drop local rows the snapshot did not name that have
    /// no unsettled change, and with `repush_own` queue this device's own cells again (new seqs,
    /// same values and clocks) for a server that lost them. The outbox is kept throughout.
    /// Returns false if the store cannot rebase (the engine then retries the pull later).
    virtual bool begin_rebase(bool repush_own) {
        (void)repush_own;
        return false;
    }
    /// The highest own seq the server is known to have settled (below the first outbox entry,
    /// or the last seq used when the outbox is empty); 0 if unknown. A lower auth_ok.ack means
    /// the server lost acknowledged changes (restored from a backup).
    virtual std::uint64_t settled_seq() { return 0; }

    /// The server ordered this device wiped: destroy keys and files.
    virtual void wipe(const std::string& reason) = 0;
};

}  // namespace zb::core
