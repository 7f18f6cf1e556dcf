// SPDX-License-Identifier: Apache-2.0
// Encrypted online backups of the server store and their restore. A backup is a consistent copy
// made with SQLite's online backup API while the server runs, encrypted with libsodium's
// secretstream (XChaCha20-Poly1305) under a subkey of the server master key, and written
// atomically (temp file, fsync, rename). Restore verifies the whole stream before anything is
// replaced, then reopens the data so that devices rebase and push again (protocol/SPEC.md §9.1).
//
// File layout (all integers little-endian):
//   "ZBBACKUP" | u32 version (1) | u32 header length | header JSON (created_ms, server_id,
//   server_device, head, db_bytes) | secretstream header (24 bytes) |
//   { u32 length | ciphertext chunk }*, the last chunk tagged FINAL.
// The first chunk carries magic, version and header JSON as associated data, so the plaintext
// header cannot be altered; a missing FINAL chunk is a truncated file.
#pragma once

#include "zb/server/crypto.hpp"
#include "zb/server/store.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace zb::server {

struct BackupInfo {
    std::string path;
    std::uint64_t created_ms = 0;
    std::string server_id;
    DeviceId server_device = 0;
    std::uint64_t head = 0;      ///< pull cursor head at backup time
    std::uint64_t db_bytes = 0;  ///< plaintext database size
    std::uint64_t file_bytes = 0;
};

/// A backup that cannot be used: bad magic or version, wrong key, tampered or truncated.
struct BackupError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Copy the database at `db_path` (live: WAL readers do not block writers) into an encrypted
/// backup `zhibu-<server_id>-<UTC time>.zbk` in `dir`. Throws std::runtime_error.
BackupInfo write_backup(const std::string& db_path, const std::string& dir,
                        const SecretKey& master_key, const std::string& server_id,
                        DeviceId server_device, std::uint64_t head, std::uint64_t now_ms);

/// Read and authenticate the plaintext header only (lists, tools). Throws BackupError.
BackupInfo read_backup_header(const std::string& path);

/// Backups in `dir` (by name, oldest first).
std::vector<std::string> list_backups(const std::string& dir);
/// Delete all but the newest `keep`; returns the deleted paths.
std::vector<std::string> prune_backups(const std::string& dir, unsigned keep);

/// Decrypt and verify `backup` into `out_db` (created 0600). Nothing else is touched; on any
/// failure `out_db` is removed and BackupError (or std::runtime_error for I/O) is thrown.
BackupInfo decrypt_backup(const std::string& backup, const SecretKey& master_key,
                          const std::string& out_db);

struct RestoreReport {
    BackupInfo backup;
    std::uint64_t restored_head = 0;  ///< head after the restore (backup head + gap)
    std::uint64_t devices = 0;        ///< devices told to rebase and re-push
    std::string previous;             ///< where the replaced database was kept ("" if none)
};

/// Restore `backup` as the database at `db_path` (the server must be stopped). The stream is
/// verified into a temporary file next to the database first (integrity_check too); only then is
/// the old database moved aside to `<db_path>.before-restore-<time>` and the restored one renamed
/// in. The restored store's head jumps by kRestoreCursorGap, every device may restart its
/// sequence once, and the audit chain records the restore.
RestoreReport restore_backup(const std::string& backup, const std::string& db_path,
                             const SecretKey& master_key, std::uint64_t now_ms);

}  // namespace zb::server
