// SPDX-License-Identifier: Apache-2.0
// Store maintenance: the pull cursors devices have reached, the horizon below which every device
// that still counts has seen the data, collection of the change log and of old tombstones below
// it, the cursor floor that sends a returning device to rebase, and the undo rules (row history,
// who may restore a deleted row). The nightly job (nightly.hpp) drives the collection; sessions
// and ingest call the per-request pieces. Implemented over the SQLite store
// (sqlite_maintenance*.cpp); every function throws std::runtime_error on a storage failure.
#pragma once

#include "zb/server/scope.hpp"
#include "zb/server/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zb::server {

/// Restore moves the head forward by this much, so that no cursor the lost server handed out after
/// the backup can alias a cursor of the restored one (2^40 writes: more than a server makes).
inline constexpr std::uint64_t kRestoreCursorGap = 1ull << 40;

/// A device's last pull: where its pull sequence started (what it had durably applied).
void note_pull(ServerStore& store, DeviceId device, std::uint64_t cursor, std::uint64_t now_ms);

/// Why a pull from `cursor` cannot be served incrementally, or nullopt if it can. A cursor below
/// the collected floor would miss deletes that were garbage-collected; a cursor inside the gap a
/// restore opened names data the server no longer has. Either way the device rebases: it pulls a
/// snapshot from 0 (protocol/SPEC.md §9, CursorExpired).
std::optional<std::string> pull_cursor_expired(ServerStore& store, std::uint64_t cursor);

struct HorizonInfo {
    std::uint64_t horizon = 0;        ///< min pull cursor over the devices that count
    std::uint64_t head = 0;           ///< store head when computed
    std::uint64_t devices = 0;        ///< devices that count (enrolled, not revoked, recent)
    std::uint64_t stale_devices = 0;  ///< not seen for max_offline_days: rebase when back
    std::uint64_t revoked_devices = 0;
};
/// The horizon: every non-revoked device seen within `max_offline_ms` has pulled past it. A
/// device that never pulled counts from its enrollment with cursor 0. No devices: the head.
HorizonInfo compute_horizon(ServerStore& store, std::uint64_t now_ms, std::uint64_t max_offline_ms);

struct CollectParams {
    std::uint64_t horizon = 0;
    std::uint64_t now_ms = 0;
    std::uint64_t tombstone_retention_ms = 30ull * 86400000;
    std::uint64_t history_retention_ms = 30ull * 86400000;
    std::uint64_t max_clock_ahead_ms = 5 * 60 * 1000;
};

struct CollectReport {
    std::uint64_t changelog_before = 0;
    std::uint64_t changelog_folded = 0;       ///< entries removed by compaction
    std::uint64_t history_kept_for_undo = 0;  ///< old entries kept because their row is deleted
    std::uint64_t tombstones_collected = 0;   ///< deleted rows removed with cells and history
    std::uint64_t cells_collected = 0;
    std::uint64_t history_collected = 0;   ///< change-log entries removed with their rows
    std::uint64_t tombstones_waiting = 0;  ///< deleted rows kept (too recent or above horizon)
    std::uint64_t cursor_floor = 0;        ///< pulls from below this (and above 0) must rebase
};

/// Fold the change log and collect old tombstones, in small transactions under the store's write
/// lock (pushes interleave). Rules, in order:
///  * a change-log entry is folded when it is older than the history retention (by its HLC), its
///    row is not deleted (a deleted row keeps its history for undo until it is collected), and
///    its result can no longer be asked for: Ok results replay as Ok without the entry; a
///    rejection is kept until its origin has pulled after it (the device has read its ack);
///  * a deleted row is collected when it was deleted longer ago than the tombstone retention and
///    every pull entry of the row is at or below the horizon; its cells, row and history go, and
///    the cursor floor rises to the greatest entry removed.
/// The per-origin settled seq (devices.acked_seq) is never touched: it is what replay needs.
CollectReport collect(ServerStore& store, const CollectParams& p);

// ---- undo ----

/// One settled change of a row, for its version history (newest last).
struct HistoryEntry {
    std::string column;  ///< empty for a row delete/restore
    protocol::Op op = protocol::Op::Set;
    protocol::Value value;
    protocol::Hlc hlc;
    DeviceId origin = 0;
    std::uint64_t seq = 0;
    std::string person;  ///< the origin device's person; "server" for server writes
};
/// The row's accepted changes still in the change log, by HLC. Sensitive values are opened with
/// `master_key`.
std::vector<HistoryEntry> row_history(ServerStore& store, const SecretKey& master_key,
                                      std::string_view table, std::string_view row);

/// The undo rule for Op::Restore (called by ingest): only an officer, and never the person whose
/// delete is being undone. Returns the deleter's person for the audit note, or the refusal.
protocol::Result<std::string> check_restore(StoreTxn& txn, const Principal& p,
                                            std::string_view table, std::string_view row);
/// The audit entry of an accepted restore (kAuditRestoreRow).
AuditEntry restore_audit_entry(const Principal& p, std::string_view table, std::string_view row,
                               const std::string& deleted_by, std::uint64_t now_ms);

// ---- restore from backup ----

/// After a restore: may this device's next push start above acked_seq + 1? True once per device
/// (the flag is consumed): its acknowledged changes beyond the backup are lost with the old
/// server and the device re-sends what it holds under new sequence numbers.
bool take_sequence_reset(StoreTxn& txn, DeviceId device);

}  // namespace zb::server
