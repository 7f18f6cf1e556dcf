// SPDX-License-Identifier: Apache-2.0
// The phone's replica: a SQLite file holding the user's tables as declared by a merge Schema, the
// per-cell merge metadata, and the outbox of local changes. Every local write and every remote
// page goes through zb::merge::apply(), so both directions merge by one mechanism; the on-disk
// format is described in client-core/FORMAT.md.
#pragma once

#include "zb/core/db_opener.hpp"
#include "zb/core/error.hpp"
#include "zb/core/sync_store.hpp"
#include "zb/merge/merge.hpp"
#include "zb/merge/schema.hpp"
#include "zb/protocol/change.hpp"
#include "zb/protocol/value.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zb::core {

using protocol::Value;
using Values = std::map<std::string, Value, std::less<>>;

/// One step of the app's schema history. Tables and columns added to the Schema are created by
/// the replica itself (CREATE TABLE / ALTER TABLE ADD COLUMN); a migration carries the extra SQL
/// of that version (indexes, views, derived tables). Applied in ascending `version`, once, in the
/// same transaction as the schema change, for stored_version < version <= schema.version().
struct Migration {
    std::uint32_t version = 0;
    std::vector<std::string> sql;
};

/// How far a returned write is durable. Full (the default): on stable storage, surviving power
/// loss (WAL + synchronous=FULL). Normal: survives an app crash; a power loss may roll back the
/// last transactions, whole and in commit order (WAL + synchronous=NORMAL).
enum class Durability : std::uint8_t { Full = 0, Normal = 1 };

struct Options {
    std::string path;                   ///< the database file
    merge::Schema schema;               ///< the app's current schema
    std::vector<Migration> migrations;  ///< any order; applied ascending
    std::shared_ptr<DbOpener> opener;   ///< null = plain_opener()
    std::function<std::uint64_t()>
        now_ms;  ///< wall clock in ms; null = system clock (tests inject)
    Durability durability = Durability::Full;
};

/// A row as the app sees it: declared columns plus any preserved columns of a newer schema.
struct RowView {
    std::string id;
    bool deleted = false;
    Values values;
};

struct ScanOptions {
    bool include_deleted = false;
};

/// A local change the server refused, kept until the user dismisses it.
struct Rejected {
    std::int64_t id = 0;  ///< for dismiss_rejected()
    protocol::Change change;
    Errc code = Errc::Ok;
    std::string message;
};

enum class CommandStatus : std::uint8_t { Pending = 0, Accepted = 1, Rejected = 2 };

struct Command {
    std::string id;  ///< the command change's row id
    std::string family, name, args_json;
    std::uint64_t seq = 0;
    CommandStatus status = CommandStatus::Pending;
    Errc code = Errc::Ok;
    std::string message;
};

/// What a listener hears after a transaction committed.
struct ChangeEvent {
    enum class Source : std::uint8_t {
        Local = 1,    ///< a write through this Replica
        Remote = 2,   ///< a page from the server
        Settled = 3,  ///< a push was settled; rows listed were restored after a rejection
    };
    struct RowRef {
        std::string table, row;
        friend bool operator==(const RowRef&, const RowRef&) = default;
    };
    Source source = Source::Local;
    std::vector<RowRef> rows;  ///< rows whose visible state may have changed, each once
};

using Listener = std::function<void(const ChangeEvent&)>;

/// Thread-safety: a Replica is used from one thread at a time (no internal locking); it holds no
/// thread affinity, so it may be handed to another thread between calls. Listeners run on the
/// calling thread after the transaction committed, with no lock held; they may call back into
/// the Replica. Errors: every Result-returning call reports SQLite failures as StorageFailure and
/// refuses calls after close()/wipe() with StorageFailure "replica is closed".
class Replica final : public SyncStore {
public:
    /// Open or create the replica; applies schema changes and migrations; generates the device
    /// keypair on first open. Errors: StorageFailure, BadValue (a schema using reserved names,
    /// a file written by a newer format).
    static Result<std::unique_ptr<Replica>> open(Options options);

    ~Replica() override;
    Replica(const Replica&) = delete;
    Replica& operator=(const Replica&) = delete;

    // ---- local writes (each one transaction: data + outbox + clock) ----

    /// Set columns of a row (insert or update). Errors: UnknownTable; BadValue (empty row id,
    /// undeclared column, a counter column: use increment()); ServerAuthoritative (Server-policy
    /// column: use submit_command()); AppendOnlyViolation (the cell already holds a value).
    Result<void> write(std::string_view table, std::string_view row, const Values& values);
    /// Add `delta` to a Counter column (an Op::Count carrying this device's new running total).
    Result<void> increment(std::string_view table, std::string_view row, std::string_view column,
                           std::int64_t delta);
    /// Tombstone a row (cells are kept). Errors: UnknownTable, RuleViolation (table not deletable).
    Result<void> remove(std::string_view table, std::string_view row);
    /// Undo a delete: an Op::Restore change.
    Result<void> restore(std::string_view table, std::string_view row);

    // ---- reads ----

    /// The row's values, or nullopt when it does not exist or is deleted (unless asked).
    Result<std::optional<Values>> read(std::string_view table, std::string_view row,
                                       bool include_deleted = false);
    /// Every row of a table in row id order (deleted rows only when asked).
    Result<std::vector<RowView>> scan(std::string_view table, ScanOptions options = {});

    // ---- conflicts, rejections, commands ----

    /// Open keep-both conflicts of the whole replica.
    Result<std::vector<merge::Conflict>> conflicts();
    /// Resolve a keep-both cell by writing `value` with base = the greatest hlc seen for the cell,
    /// which closes every open conflict of the cell on every replica once synced.
    Result<void> resolve(std::string_view table, std::string_view row, std::string_view column,
                         const Value& value);
    Result<std::vector<Rejected>> rejected();
    /// Forget a rejected change once the user has seen it. Errors: BadValue (no such id).
    Result<void> dismiss_rejected(std::int64_t id);
    /// Queue a server-authoritative command; returns its id. `family` and `name` must be
    /// non-empty; `json_args` is passed through as text.
    Result<std::string> submit_command(std::string_view family, std::string_view name,
                                       std::string_view json_args);
    /// Commands still waiting for the server.
    Result<std::vector<Command>> pending_commands();
    /// Every command with its status (pending, accepted, rejected).
    Result<std::vector<Command>> commands();
    /// Local changes not yet settled by the server.
    Result<std::uint64_t> outbox_size();

    // ---- listeners ----

    std::uint64_t add_listener(Listener listener);
    void remove_listener(std::uint64_t id);

    /// The device id used as origin of local changes (derived from the public key), whether or
    /// not the device is enrolled.
    protocol::DeviceId device_id() const;
    /// The greatest HLC issued or observed.
    protocol::Hlc clock() const;
    /// Persist the clock and close the file. Idempotent.
    Result<void> close();

    // ---- Result-returning forms of the SyncStore operations ----

    Result<void> settle_push(const std::vector<protocol::Change>& pushed,
                             const protocol::PushAck& ack);
    Result<void> apply_page(const protocol::Changes& page);
    Result<std::vector<protocol::Change>> pending(std::uint64_t after_seq, std::size_t max);

    // ---- SyncStore (these throw StoreError on storage failure; see error.hpp) ----

    /// device = 0 until set_enrolled(); public_key always.
    DeviceIdentity identity() override;
    protocol::Bytes sign(const protocol::Bytes& payload) override;
    void set_enrolled(const protocol::Enrolled& e) override;
    std::vector<protocol::Change> outbox(std::uint64_t after_seq, std::size_t max) override;
    void settle(const std::vector<protocol::Change>& pushed, const protocol::PushAck& ack) override;
    void apply_remote(const protocol::Changes& page) override;
    std::uint64_t pull_cursor() override;
    bool begin_rebase(bool repush_own) override;  ///< SPEC §9.1; see sync_store.hpp
    std::uint64_t settled_seq() override;
    /// Close, delete the database files and forget the keys. The Replica is closed afterwards.
    void wipe(const std::string& reason) override;

    class Impl;

private:
    explicit Replica(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace zb::core
