// SPDX-License-Identifier: Apache-2.0
// The entry points the replica calls: open an encrypted SQLite database with a raw DEK or a
// passphrase, change the passphrase, rotate the DEK crash-safely, wipe, and sniff a file.
// EncryptedDb is an RAII connection: it owns the sqlite3* and the key binding that lets the
// zb-seal VFS find the key, and applies the mandatory pragmas (WAL, temp_store, mmap, reserve).
#pragma once

#include "zb/crypto/error.hpp"
#include "zb/crypto/seal_vfs.hpp"
#include "zb/crypto/secret_key.hpp"

#include <functional>
#include <string>
#include <string_view>

struct sqlite3;

namespace zb::crypto {

enum class JournalMode : std::uint8_t { Wal, Delete };

struct OpenOptions {
    JournalMode journal = JournalMode::Wal;  ///< WAL is the supported production mode
    bool create = true;                      ///< create the file if it does not exist
    bool read_only = false;
    int busy_timeout_ms = 5000;
};

/// One connection to one encrypted database. Move-only. Thread-safety: a connection is used by
/// one thread at a time (open one per thread); the VFS underneath is thread-safe.
class EncryptedDb final {
public:
    /// Registers the VFS, binds `dek` to the path, opens through "zb-seal", verifies page 1 under
    /// the key before SQLite may roll back a hot journal or recover a WAL, and applies:
    /// page_size=4096 + reserve 40 (on create), journal_mode, temp_store=MEMORY, mmap_size=0,
    /// synchronous (NORMAL for WAL, FULL for DELETE), busy_timeout, extended result codes.
    /// Errors: WrongKey, NotEncrypted (plaintext or reserve != 40), Truncated, Corrupt,
    /// KeyConflict, Busy, Io, Sqlite.
    static Result<EncryptedDb> open(const std::string& path, const SecretKey& dek,
                                    const OpenOptions& opts = {});

    EncryptedDb() = default;
    ~EncryptedDb();
    EncryptedDb(EncryptedDb&& other) noexcept;
    EncryptedDb& operator=(EncryptedDb&& other) noexcept;
    EncryptedDb(const EncryptedDb&) = delete;
    EncryptedDb& operator=(const EncryptedDb&) = delete;

    /// The live handle (borrowed; do not sqlite3_close it). nullptr after close().
    sqlite3* handle() const { return db_; }
    const std::string& path() const { return path_; }
    /// Runs SQL with no result rows; errors mapped with errc_from_sqlite.
    Result<void> exec(std::string_view sql);
    /// Closes the connection and drops the key binding. Idempotent.
    Result<void> close();

private:
    sqlite3* db_ = nullptr;
    std::string path_;
    KeyBinding binding_;
};

/// Does `path` look like a zb-seal database? (SQLite magic, reserve byte 40, at least one page.)
/// A header check only; it does not need or verify a key.
bool is_encrypted_file(const std::string& path);

/// Path of the key record that goes with a database: `<db_path>.zbkey`.
std::string key_record_path(const std::string& db_path);

/// Opens with the DEK wrapped in `<db>.zbkey` under `passphrase` (Argon2id). If neither record
/// nor database exists and opts.create is set, generates a random DEK and writes the record
/// first. Completes or discards an interrupted rekey: tries the current key, then the pending key
/// (promoting it when it opens the file). Errors: WrongPassphrase, WrongKey, BadKeyRecord, ...
Result<EncryptedDb> open_with_passphrase(const std::string& db_path, std::string_view passphrase,
                                         const OpenOptions& opts = {});

/// Writes a key record wrapping `dek` under `passphrase` (fails if one exists).
Result<void> create_key_record(const std::string& db_path, const SecretKey& dek,
                               std::string_view passphrase);

/// Unwraps the current DEK from `<db>.zbkey` (for a platform that wants the raw key).
Result<SecretKey> unlock_key_record(const std::string& db_path, std::string_view passphrase);

/// Rewraps the DEK under a new passphrase (new salt) and atomically replaces the key record.
/// The database file is not touched. Refused while a rekey is pending (open first).
Result<void> change_passphrase(const std::string& db_path, std::string_view old_passphrase,
                               std::string_view new_passphrase);

/// Steps of a DEK rotation, reported to the fault hook after each one completes.
enum class RekeyStep : std::uint8_t {
    PendingWritten = 1,  ///< new DEK stored as `pending` in the key record (fsynced)
    CopyWritten = 2,     ///< VACUUM INTO `<db>.rekey` under the new DEK done
    CopySynced = 3,      ///< the copy and its directory fsynced
    Quiesced = 4,        ///< source checkpointed (TRUNCATE) and closed; -wal/-shm gone
    Renamed = 5,         ///< `<db>.rekey` renamed over `<db>`, directory fsynced
    Promoted = 6,        ///< pending promoted to current in the key record
};
using RekeyHook = std::function<void(RekeyStep)>;

/// Low-level DEK rotation of the file only (steps 2-5), for a platform that stores its keys
/// itself: it must persist `new_dek` as pending BEFORE calling, and after a crash open with the
/// current key, falling back to the pending one. No other connection may be open on the path
/// in this process (Busy). Errors: WrongKey, Busy, Io, Sqlite.
Result<void> rekey_file(const std::string& db_path, const SecretKey& old_dek,
                        const SecretKey& new_dek, const RekeyHook& hook = {});

/// Full passphrase-slot DEK rotation (steps 1-6): new random DEK wrapped as pending, rekey_file,
/// promote. A crash at any point leaves (old file, old key) or (new file, new key); the next
/// open_with_passphrase finishes or rolls back the rotation.
Result<void> rekey(const std::string& db_path, std::string_view passphrase,
                   const RekeyHook& hook = {});

/// Destroys the key record and the database files (db, -wal, -shm, -journal, .rekey leftovers):
/// each is overwritten with random bytes, fsynced and unlinked; then the directory is fsynced.
/// On flash (FTL remapping, wear levelling) overwriting does not guarantee erasure: the real
/// guarantee is crypto-shredding, i.e. the platform must also delete the keystore-held DEK.
/// Refuses (Busy) while a connection on the path is open in this process.
Result<void> wipe(const std::string& db_path);

}  // namespace zb::crypto
