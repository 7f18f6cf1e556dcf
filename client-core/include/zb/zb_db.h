/* SPDX-License-Identifier: Apache-2.0 */
/* Zhibu C ABI, the local replica: a configuration builder, open/close/free, key management
 * (rekey, passphrase change, wipe), domain reads and writes as UTF-8 JSON, server commands,
 * keep-both conflicts, rejected changes and change listeners. The schema is always the built-in
 * Party domain schema. Conventions (status, errors, ownership, strings) are in zb_base.h. */
#ifndef ZB_DB_H
#define ZB_DB_H

#include "zb_base.h"

ZB_EXTERN_C_BEGIN
ZB_ASSUME_NONNULL_BEGIN

/** An open replica. Thread-safe: calls are serialised inside. Create with zb_db_open(). */
typedef struct zb_db zb_db;

/** Options for zb_db_open(). Not thread-safe: build it on one thread. */
typedef struct zb_db_config zb_db_config;

/** A registered listener; remove (and free) it with zb_listener_remove(). */
typedef struct zb_listener zb_listener;

/* ---- configuration ----------------------------------------------------------------------- */

/**
 * Creates an empty configuration.
 *
 * The schema is always the built-in domain schema (zb::domain::make_schema()); there is no
 * option to change it. Set a path and exactly one of a key or a passphrase before opening.
 *
 * @param out_config Receives the new configuration; NULL on failure.
 * @param out_error  Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the caller owns *out_config and frees it with zb_db_config_free().
 * Thread-safety: safe from any thread. Blocks: no.
 * Errors: ZB_ERR_MISUSE (out_config NULL), ZB_ERR_NO_MEMORY.
 */
ZB_API ZB_NODISCARD zb_status zb_db_config_new(zb_db_config* ZB_NULLABLE* ZB_NULLABLE out_config,
                                               zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Frees a configuration; wipes any key or passphrase it holds.
 *
 * @param config The configuration, or NULL (no-op).
 * @return Nothing.
 * Ownership: releases `config`.
 * Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: This function cannot fail.
 */
ZB_API void zb_db_config_free(zb_db_config* ZB_NULLABLE config) ZB_NOEXCEPT;

/**
 * Sets the path of the replica file (created on first open). The directory must exist.
 *
 * @param config    The configuration.
 * @param path      UTF-8 file path; must be non-empty and contain no NUL byte.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: `path` is copied.
 * Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: ZB_ERR_MISUSE (config NULL), ZB_ERR_INVALID_ARGUMENT (empty path or NUL inside).
 */
ZB_API ZB_NODISCARD zb_status zb_db_config_set_path(zb_db_config* ZB_NULLABLE config, zb_str path,
                                                    zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Sets the raw 256-bit key that wraps the replica's data key (typically from the platform
 * keystore). Replaces any passphrase set earlier.
 *
 * @param config    The configuration.
 * @param key       ZB_KEY_BYTES bytes.
 * @param key_size  Must be ZB_KEY_BYTES.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the key is copied into guarded (sodium_malloc) memory, wiped when the configuration
 *            is freed. The caller should wipe its own copy.
 * Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: ZB_ERR_MISUSE (config or key NULL), ZB_ERR_INVALID_ARGUMENT (key_size wrong).
 */
ZB_API ZB_NODISCARD zb_status zb_db_config_set_key(zb_db_config* ZB_NULLABLE config,
                                                   const uint8_t* ZB_NULLABLE key, size_t key_size,
                                                   zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Sets a passphrase instead of a raw key (Argon2id-derived wrapping key). Replaces any key set
 * earlier.
 *
 * @param config     The configuration.
 * @param passphrase UTF-8, non-empty; NUL bytes are allowed.
 * @param out_error  Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: copied into guarded memory, wiped when the configuration is freed.
 * Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: ZB_ERR_MISUSE (config NULL), ZB_ERR_INVALID_ARGUMENT (empty).
 */
ZB_API ZB_NODISCARD zb_status
zb_db_config_set_passphrase(zb_db_config* ZB_NULLABLE config, zb_str passphrase,
                            zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/* ---- lifecycle -------------------------------------------------------------------------- */

/**
 * Opens (or creates) the encrypted replica described by `config`.
 *
 * @param config    A configuration with a path and a key or passphrase.
 * @param out_db    Receives the handle; NULL on failure.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the caller owns *out_db and releases it with zb_db_free() (after zb_db_close() if it
 *            wants close errors reported). `config` stays owned by the caller and may be freed
 *            right after this call.
 * Thread-safety: safe from any thread. Blocks: yes (disk I/O, key derivation).
 * Errors: ZB_ERR_MISUSE (NULL argument, no key/passphrase), ZB_ERR_INVALID_ARGUMENT (no path),
 *         ZB_ERR_CRYPTO (wrong key or passphrase, or tampered file), ZB_ERR_CORRUPT,
 *         ZB_ERR_STORAGE, ZB_ERR_IO, ZB_ERR_WIPED.
 */
ZB_API ZB_NODISCARD zb_status zb_db_open(const zb_db_config* ZB_NULLABLE config,
                                         zb_db* ZB_NULLABLE* ZB_NULLABLE out_db,
                                         zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Closes the replica: stops any sync session bound to it, flushes and closes the file. Later
 * calls on the handle return ZB_ERR_CLOSED. Closing twice is ZB_OK.
 *
 * @param db        The handle.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the handle stays allocated; free it with zb_db_free().
 * Thread-safety: safe from any thread except the notification thread (a listener).
 * Blocks: yes (waits for a running call, stops the sync session, flushes).
 * Errors: ZB_ERR_MISUSE (db NULL, or called from a listener), ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_close(zb_db* ZB_NULLABLE db,
                                          zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Releases the handle, closing it first if needed (errors are dropped). Listeners still
 * registered are removed and their userdata_free called.
 *
 * @param db The handle, or NULL (no-op).
 * @return Nothing.
 * Ownership: releases `db`. A sync session created from it keeps the replica alive until the
 *            session is freed.
 * Thread-safety: no other thread may use `db` during or after this call. Blocks: yes (as close).
 * Errors: This function cannot fail.
 */
ZB_API void zb_db_free(zb_db* ZB_NULLABLE db) ZB_NOEXCEPT;

/**
 * Rotates the key that encrypts the replica's pages (crash-safe: the file is copied under the
 * new key and renamed over the old one, so every page is rewritten).
 *
 * Raw-key replica: `new_key` is the new key. The platform must store it as "pending" in its
 * keystore BEFORE calling; after a crash during the call, open with the old key and, if that
 * fails with ZB_ERR_CRYPTO, with the new one. Passphrase replica: pass NULL and 0; a fresh random
 * key is generated and wrapped under the current passphrase (the key record finishes or rolls
 * back an interrupted rotation on the next open).
 *
 * @param db           The handle.
 * @param new_key      ZB_KEY_BYTES bytes (raw-key replica), or NULL (passphrase replica).
 * @param new_key_size ZB_KEY_BYTES, or 0 with NULL.
 * @param out_error    Error detail, or NULL.
 * @return ZB_OK, or an error code. On failure the replica stays open under the old key.
 * Ownership: the key is copied into guarded memory; the caller should wipe its copy.
 * Thread-safety: safe from any thread. Blocks: yes (rewrites the whole file).
 * Errors: ZB_ERR_MISUSE (db or new_key NULL for a raw-key replica), ZB_ERR_CLOSED,
 *         ZB_ERR_INVALID_ARGUMENT (size; or a key passed for a passphrase replica),
 *         ZB_ERR_BUSY (a sync session exists: free it first), ZB_ERR_CRYPTO, ZB_ERR_STORAGE,
 *         ZB_ERR_IO.
 */
ZB_API ZB_NODISCARD zb_status zb_db_rekey(zb_db* ZB_NULLABLE db, const uint8_t* ZB_NULLABLE new_key,
                                          size_t new_key_size,
                                          zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Changes the passphrase of a replica opened with a passphrase. O(1): the data key is rewrapped
 * under the new passphrase; no page is rewritten.
 *
 * @param db             The handle.
 * @param old_passphrase The current passphrase (checked).
 * @param new_passphrase The new passphrase; non-empty.
 * @param out_error      Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: both strings are borrowed; copies are wiped after use.
 * Thread-safety: safe from any thread. Blocks: yes (key derivation and disk I/O).
 * Errors: ZB_ERR_MISUSE (NULL db; or the replica was opened with a raw key), ZB_ERR_CLOSED,
 *         ZB_ERR_INVALID_ARGUMENT (empty new passphrase), ZB_ERR_CRYPTO (old passphrase wrong),
 *         ZB_ERR_CORRUPT (key record damaged), ZB_ERR_IO.
 */
ZB_API ZB_NODISCARD zb_status zb_db_change_passphrase(zb_db* ZB_NULLABLE db, zb_str old_passphrase,
                                                      zb_str new_passphrase,
                                                      zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Destroys the replica: crypto-shreds its keys and deletes its files, then closes the handle.
 * Unsynced local changes are lost. Later calls return ZB_ERR_CLOSED.
 *
 * @param db        The handle.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the handle stays allocated; free it with zb_db_free().
 * Thread-safety: safe from any thread except the notification thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE (NULL, or from a listener), ZB_ERR_CLOSED, ZB_ERR_IO.
 */
ZB_API ZB_NODISCARD zb_status zb_db_wipe(zb_db* ZB_NULLABLE db,
                                         zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/* ---- data --------------------------------------------------------------------------------- */

/**
 * Writes columns of one row: `json_values` is a JSON object {"column": value, ...}. Values are
 * JSON null, integers (64-bit signed), reals, strings, or {"$bytes": "<base64>"}; true/false are
 * stored as the integers 1/0; arrays and other objects are refused. 7 and 7.0 are different
 * values. Each column is stamped with the device clock, merged locally by its policy and queued
 * for sync, in one transaction. Counter columns are changed with zb_db_increment.
 *
 * @param db          The handle.
 * @param table       Table name from the domain schema.
 * @param row         Row id (UUID text or natural key); non-empty.
 * @param json_values UTF-8 JSON object.
 * @param out_error   Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: all inputs borrowed. Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_INVALID_ARGUMENT (bad JSON, empty row),
 *         (undeclared column, counter column), ZB_ERR_UNKNOWN_TABLE, ZB_ERR_TYPE_MISMATCH,
 *         ZB_ERR_READ_ONLY (server-authoritative column: use zb_db_submit_command; append-only
 *         cell already set), ZB_ERR_RULE, ZB_ERR_STORAGE, ZB_ERR_DISK_FULL.
 */
ZB_API ZB_NODISCARD zb_status zb_db_write(zb_db* ZB_NULLABLE db, zb_str table, zb_str row,
                                          zb_str json_values,
                                          zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Adds `delta` to a counter column (the change carries this device's new running total; the
 * column's value is the sum over devices).
 *
 * @param db        The handle.
 * @param table     Table name.
 * @param row       Row id; non-empty.
 * @param column    A column with the counter policy.
 * @param delta     Amount to add (may be negative).
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: inputs borrowed. Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_INVALID_ARGUMENT (empty row/column, not a
 *         counter), ZB_ERR_UNKNOWN_TABLE, ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_increment(zb_db* ZB_NULLABLE db, zb_str table, zb_str row,
                                              zb_str column, int64_t delta,
                                              zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Reads one live row as a JSON object {"column": value, ...} (the same value encoding as
 * zb_db_write).
 *
 * @param db        The handle.
 * @param table     Table name.
 * @param row       Row id.
 * @param out_json  Receives UTF-8 JSON; {NULL, 0} on failure.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the caller frees *out_json with zb_bytes_free().
 * Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_NOT_FOUND (no such row, or removed),
 *         ZB_ERR_UNKNOWN_TABLE, ZB_ERR_STORAGE, ZB_ERR_CRYPTO.
 */
ZB_API ZB_NODISCARD zb_status zb_db_read(zb_db* ZB_NULLABLE db, zb_str table, zb_str row,
                                         zb_bytes* ZB_NULLABLE out_json,
                                         zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Lists the live (not removed) rows of a table as a JSON array
 * [{"id": "<row>", "values": {...}}, ...], ordered by row id.
 *
 * @param db             The handle.
 * @param table          Table name.
 * @param out_json_array Receives UTF-8 JSON; {NULL, 0} on failure.
 * @param out_error      Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the caller frees *out_json_array with zb_bytes_free().
 * Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_UNKNOWN_TABLE, ZB_ERR_STORAGE, ZB_ERR_CRYPTO.
 */
ZB_API ZB_NODISCARD zb_status zb_db_query(zb_db* ZB_NULLABLE db, zb_str table,
                                          zb_bytes* ZB_NULLABLE out_json_array,
                                          zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Removes a row (a tombstone that syncs; the cells are kept so zb_db_restore brings it back).
 *
 * @param db        The handle.
 * @param table     Table name.
 * @param row       Row id.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: inputs borrowed. Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_INVALID_ARGUMENT, ZB_ERR_UNKNOWN_TABLE,
 *         ZB_ERR_READ_ONLY, ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_remove(zb_db* ZB_NULLABLE db, zb_str table, zb_str row,
                                           zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Restores a removed row with its cells intact.
 *
 * @param db        The handle.
 * @param table     Table name.
 * @param row       Row id.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: inputs borrowed. Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_INVALID_ARGUMENT, ZB_ERR_UNKNOWN_TABLE,
 *         ZB_ERR_READ_ONLY, ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_restore(zb_db* ZB_NULLABLE db, zb_str table, zb_str row,
                                            zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Queues a server-authoritative command (e.g. family "dues", name "set_profile"). Only the
 * server's answer changes state; it arrives through sync. See zb_db_commands for its status.
 *
 * @param db             The handle.
 * @param family         Command family (a table-like name); non-empty.
 * @param name           Command name; non-empty.
 * @param json_args      UTF-8 JSON arguments (any JSON value, usually an object).
 * @param out_command_id Receives the command id (UTF-8), or NULL if not wanted.
 * @param out_error      Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: inputs borrowed; the caller frees *out_command_id with zb_bytes_free().
 * Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_INVALID_ARGUMENT (bad JSON, empty family or
 *         name), ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_submit_command(zb_db* ZB_NULLABLE db, zb_str family,
                                                   zb_str name, zb_str json_args,
                                                   zb_bytes* ZB_NULLABLE out_command_id,
                                                   zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Lists every command this device submitted, as a JSON array of {"id", "family", "name", "args"
 * (the JSON text as given), "seq", "status" ("pending" | "accepted" | "rejected"), "code" (wire
 * error code, 0 if none), "message"}.
 *
 * @param db        The handle.
 * @param out_json  Receives UTF-8 JSON; {NULL, 0} on failure.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the caller frees *out_json with zb_bytes_free().
 * Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_commands(zb_db* ZB_NULLABLE db, zb_bytes* ZB_NULLABLE out_json,
                                             zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Counts local changes not yet acknowledged by the server.
 *
 * @param db        The handle.
 * @param out_count Receives the count; untouched on failure.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: none. Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_pending_count(zb_db* ZB_NULLABLE db,
                                                  int64_t* ZB_NULLABLE out_count,
                                                  zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/* ---- conflicts and rejected changes ------------------------------------------------------ */

/**
 * Lists open keep-both conflicts as a JSON array of {"table", "row", "column", "winner",
 * "losers": [...]}; each version is {"value", "hlc", "origin", "base"} with the 64-bit clock
 * and device ids as decimal strings (they do not fit a Java long or a JSON double).
 *
 * @param db        The handle.
 * @param out_json  Receives UTF-8 JSON; {NULL, 0} on failure.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the caller frees *out_json with zb_bytes_free().
 * Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_conflicts(zb_db* ZB_NULLABLE db, zb_bytes* ZB_NULLABLE out_json,
                                              zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Resolves the open conflict of one cell by writing the chosen value (a normal write that has
 * seen every competing version, so the conflict closes on every replica).
 *
 * @param db         The handle.
 * @param table      Table name.
 * @param row        Row id.
 * @param column     Column name.
 * @param json_value The chosen value, as a JSON value (same encoding as zb_db_write).
 * @param out_error  Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: inputs borrowed. Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_INVALID_ARGUMENT, ZB_ERR_NOT_FOUND (no open
 *         conflict on that cell), ZB_ERR_UNKNOWN_TABLE, ZB_ERR_TYPE_MISMATCH, ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_resolve_conflict(zb_db* ZB_NULLABLE db, zb_str table,
                                                     zb_str row, zb_str column, zb_str json_value,
                                                     zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Lists local changes the server rejected, as a JSON array of {"id" (for
 * zb_db_dismiss_rejected), "table", "row", "column", "op", "value", "seq", "code" (wire error
 * code), "status" (the zb_status name it maps to), "message"}.
 *
 * @param db        The handle.
 * @param out_json  Receives UTF-8 JSON; {NULL, 0} on failure.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the caller frees *out_json with zb_bytes_free().
 * Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_rejected(zb_db* ZB_NULLABLE db, zb_bytes* ZB_NULLABLE out_json,
                                             zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Dismisses one rejected change (the user has seen it).
 *
 * @param db        The handle.
 * @param id        The "id" of the rejected change.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: none. Thread-safety: safe from any thread. Blocks: yes (disk I/O).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_NOT_FOUND, ZB_ERR_STORAGE.
 */
ZB_API ZB_NODISCARD zb_status zb_db_dismiss_rejected(zb_db* ZB_NULLABLE db, int64_t id,
                                                     zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/* ---- listeners -------------------------------------------------------------------------- */

/** Where a change came from. */
ZB_ENUM(int32_t, zb_change_origin){
    ZB_CHANGE_LOCAL = 0,    /**< Written on this device. */
    ZB_CHANGE_REMOTE = 1,   /**< Applied from the server (another device, or a server result). */
    ZB_CHANGE_REJECTED = 2, /**< The server rejected a local change; the row went back. */
};

/**
 * Called after a change to a row was committed. `table` and `row` are borrowed UTF-8, valid only
 * during the call. Called on the replica's notification thread (one library-owned thread per
 * zb_db that delivers every callback of the db and its sync session in order), never under an
 * internal lock, shortly after the commit (zb_db_write may already have returned). It may call
 * any zb_db_* read or write function and zb_listener_remove(); it must not call zb_db_close,
 * zb_db_wipe or zb_db_free (ZB_ERR_MISUSE / undefined), must not block for long and must not
 * unwind.
 */
typedef void (*zb_change_fn)(void* ZB_NULLABLE userdata, zb_str table, zb_str row,
                             zb_change_origin origin);

/** Releases a listener's userdata; called exactly once. */
typedef void (*zb_userdata_free_fn)(void* ZB_NULLABLE userdata);

/**
 * Registers a change listener.
 *
 * @param db            The handle.
 * @param fn            The callback.
 * @param userdata      Passed to every call of fn; may be NULL.
 * @param userdata_free Called once with userdata after the last call of fn (on removal or on
 *                      zb_db_free); may be NULL.
 * @param out_token     Receives the listener token; NULL on failure.
 * @param out_error     Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: on success the library owns userdata until it calls userdata_free, and the caller
 *            owns *out_token (release with zb_listener_remove). On failure the caller still owns
 *            userdata and userdata_free is not called.
 * Thread-safety: safe from any thread. Blocks: no.
 * Errors: ZB_ERR_MISUSE (db, fn or out_token NULL), ZB_ERR_CLOSED, ZB_ERR_NO_MEMORY.
 */
ZB_API ZB_NODISCARD zb_status zb_db_add_listener(zb_db* ZB_NULLABLE db, zb_change_fn ZB_NULLABLE fn,
                                                 void* ZB_NULLABLE userdata,
                                                 zb_userdata_free_fn ZB_NULLABLE userdata_free,
                                                 zb_listener* ZB_NULLABLE* ZB_NULLABLE out_token,
                                                 zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Removes a listener (of a db or of a sync session) and frees the token. After it returns the
 * callback will not start again; a call already running on another thread may finish. The
 * listener's userdata_free runs once no call is running (possibly on that other thread). If the
 * owner was already freed, this only frees the token.
 *
 * @param token The token, or NULL (no-op).
 * @return Nothing.
 * Ownership: releases `token`.
 * Thread-safety: safe from any thread, including from inside the listener itself.
 * Blocks: no.
 * Errors: This function cannot fail.
 */
ZB_API void zb_listener_remove(zb_listener* ZB_NULLABLE token) ZB_NOEXCEPT;

ZB_ASSUME_NONNULL_END
ZB_EXTERN_C_END

#endif /* ZB_DB_H */
