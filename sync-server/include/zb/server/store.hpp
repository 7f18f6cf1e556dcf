// SPDX-License-Identifier: Apache-2.0
// ServerStore: everything the server keeps durably (identity, cells with pull sequence numbers,
// the change log, the audit chain) behind an interface, so a PostgreSQL store can follow the
// embedded SQLite one. Thread-safety: every method may be called from any thread; writes are
// serialised inside the store. All methods block: call them off the I/O threads.
#pragma once

#include "zb/merge/merge.hpp"
#include "zb/merge/schema.hpp"
#include "zb/protocol/hlc.hpp"
#include "zb/protocol/messages.hpp"
#include "zb/server/crypto.hpp"
#include "zb/server/scope.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace zb::server {

using protocol::Errc;
using protocol::Result;

struct DeviceRecord {
    DeviceId id = 0;
    Bytes public_key;
    std::string person;
    std::string role;
    std::string org;
    std::string name;
    std::uint64_t enrolled_ms = 0;
    bool revoked = false;
    bool wipe = false;
    std::uint64_t acked_seq = 0;
};

struct EnrollGrant {
    std::string person;
    std::string role;
    std::string org;
};

struct TokenGrant {
    std::string token;
    std::uint64_t expires_ms = 0;
};

/// The kinds of audit chain entries. The numbers are chained into every later hash: never reuse
/// or renumber one.
inline constexpr std::uint8_t kAuditBatch = 1;        ///< a device's push batch
inline constexpr std::uint8_t kAuditEnrollCode = 2;   ///< an enrollment code issued
inline constexpr std::uint8_t kAuditEnroll = 3;       ///< a device enrolled
inline constexpr std::uint8_t kAuditRevoke = 4;       ///< a device revoked (or ordered wiped)
inline constexpr std::uint8_t kAuditRelayBatch = 5;   ///< a college server's relay batch (tiers)
inline constexpr std::uint8_t kAuditReveal = 6;       ///< an officer revealed a masked field
inline constexpr std::uint8_t kAuditRestoreRow = 10;  ///< a deleted row restored (undo)
inline constexpr std::uint8_t kAuditBackupRestored = 11;  ///< the store restored from a backup
inline constexpr std::uint8_t kAuditNightly = 12;         ///< a nightly job run

/// One audit chain entry (canonical bytes: see audit_entry_bytes()).
struct AuditEntry {
    std::uint64_t index = 0;  ///< 1, 2, 3 …
    std::uint64_t time_ms = 0;
    std::uint8_t kind = 0;  ///< kAudit* above
    DeviceId device = 0;
    std::uint64_t batch = 0;
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
    std::uint32_t accepted = 0;
    std::uint32_t rejected = 0;
    Hash payload_hash{};  ///< BLAKE2b of push_payload() for batches
    Bytes signature;      ///< the device's batch signature
    std::string note;     ///< no record contents: person ids and codes' hashes only
};
Bytes audit_entry_bytes(const AuditEntry& e);
/// entry hash = BLAKE2b(prev_hash || canonical entry bytes)
Hash audit_chain_hash(const Hash& prev, const AuditEntry& e);

struct AuditReport {
    bool ok = true;
    std::uint64_t entries = 0;
    std::uint64_t first_bad = 0;  ///< index of the first bad entry (0 = none)
    std::string message;
};

/// One write transaction (a whole Push). Destroyed without commit() = rolled back.
class StoreTxn {
public:
    virtual ~StoreTxn() = default;
    /// The merge state on this transaction; cells it writes get fresh pull sequence numbers.
    virtual merge::State& state() = 0;
    /// Attribution for row-level writes made through state() (origin and op of the change).
    virtual void set_current(const protocol::Change* c) = 0;
    virtual std::optional<RowInfo> row_info(std::string_view table, std::string_view row) = 0;
    virtual std::optional<DeviceRecord> device(DeviceId id) = 0;
    /// The stored result of (origin, seq), if that change was settled before.
    virtual std::optional<protocol::ChangeResult> logged(DeviceId origin, std::uint64_t seq) = 0;
    virtual void log_change(const protocol::Change& c, Errc code, const std::string& message) = 0;
    virtual void set_acked(DeviceId device, std::uint64_t seq) = 0;
    virtual void append_audit(AuditEntry e) = 0;
    /// The server's own clock and sequence, for server-origin (command) changes.
    virtual protocol::HlcClock& server_clock() = 0;
    virtual std::uint64_t next_server_seq() = 0;
    virtual DeviceId server_device_id() = 0;
    /// Highest pull sequence number so far in this transaction.
    virtual std::uint64_t head() const = 0;
    /// Rows touched by state() writes in this transaction.
    virtual std::vector<std::pair<RowInfo, merge::Visibility>> touched() const = 0;
    /// Durably commit (fsync). Errors: StorageFailure, DiskFull.
    virtual Result<void> commit() = 0;
};

struct PullPage {
    std::vector<protocol::Change> changes;
    std::uint64_t cursor = 0;   ///< the seq of the last entry scanned (or the request cursor)
    std::uint64_t scanned = 0;  ///< entries examined (some may be hidden)
    bool has_more = false;
};

class ServerStore {
public:
    virtual ~ServerStore() = default;

    // ---- identity ----
    virtual Result<std::string> issue_enroll_code(const EnrollGrant& g, std::uint64_t expires_ms,
                                                  std::uint64_t now_ms) = 0;
    /// Consume a code and bind the key. Errors: EnrollCodeInvalid, AuthFailed (key enrolled).
    virtual Result<DeviceRecord> enroll(const std::string& code, const Bytes& public_key,
                                        const std::string& name, std::uint64_t now_ms) = 0;
    virtual std::optional<DeviceRecord> device(DeviceId id) = 0;
    virtual std::vector<DeviceRecord> devices() = 0;
    /// Errors: AuthFailed (unknown device).
    virtual Result<void> revoke(DeviceId id, bool wipe, std::uint64_t now_ms) = 0;
    /// Every revoked device and whether a wipe was ordered. The running server polls this, so a
    /// revocation made by another process (`zhibu-server revoke`) closes live sessions too.
    virtual Result<std::vector<std::pair<DeviceId, bool>>> revoked_devices() {
        std::vector<std::pair<DeviceId, bool>> out;
        for (const auto& d : devices())
            if (d.revoked) out.emplace_back(d.id, d.wipe);
        return out;
    }
    virtual Result<TokenGrant> issue_token(DeviceId id, std::uint64_t expires_ms) = 0;
    /// Errors: TokenInvalid (unknown, or bound to another device), TokenExpired.
    virtual Result<void> check_token(const std::string& token, DeviceId id,
                                     std::uint64_t now_ms) = 0;

    // ---- data ----
    virtual std::unique_ptr<StoreTxn> begin() = 0;
    /// Entries with seq > cursor readable by `p`, ascending seq, at most `limit` scanned;
    /// sensitive columns masked or dropped per column_access().
    virtual Result<PullPage> pull(const Principal& p, std::uint64_t cursor,
                                  std::uint32_t limit) = 0;
    /// Entries a pull from `cursor` would scan (for progress).
    virtual Result<std::uint64_t> count_after(const Principal& p, std::uint64_t cursor) = 0;
    virtual std::uint64_t head() = 0;
    /// Visible state of one cell (tests, tools); decrypted.
    virtual std::optional<merge::Cell> cell(std::string_view table, std::string_view row,
                                            std::string_view column) = 0;
    /// Number of change-log entries with an Ok result (tests, metrics).
    virtual std::uint64_t accepted_changes() = 0;

    // ---- audit ----
    virtual void append_audit(AuditEntry e) = 0;
    virtual AuditReport verify_audit() = 0;
    virtual DeviceId server_device() = 0;
};

struct SqliteOptions {
    std::string path;  ///< database file
    const merge::Schema* schema = nullptr;
    const SecretKey* master_key = nullptr;  ///< for sensitive columns
    std::size_t readers = 2;
};

/// The embedded store: WAL, synchronous=FULL, one transaction per batch. Throws
/// std::runtime_error if the database cannot be opened or migrated.
std::unique_ptr<ServerStore> open_sqlite_store(const SqliteOptions& o);

}  // namespace zb::server
