/* SPDX-License-Identifier: Apache-2.0 */
/* Zhibu C ABI, sync: a session configuration (server, key pin, enrollment code), one-shot and live
 * sync, stop, a status snapshot, status and progress listeners, and an optional platform
 * transport (a vtable the app implements over OkHttp or URLSession, plus zb_transport_* calls
 * back into the core). Sync runs on a thread owned by the session; listener callbacks arrive on
 * the replica's notification thread (see zb_change_fn), never on the sync thread. */
#ifndef ZB_SYNC_H
#define ZB_SYNC_H

#include "zb_base.h"
#include "zb_db.h"

ZB_EXTERN_C_BEGIN
ZB_ASSUME_NONNULL_BEGIN

/** A sync session bound to one zb_db. Thread-safe. Create with zb_sync_new(). */
typedef struct zb_sync zb_sync;

/** Options for zb_sync_new(). Not thread-safe: build it on one thread. */
typedef struct zb_sync_config zb_sync_config;

/** The core's side of one platform-transport connection (see zb_transport). */
typedef struct zb_transport_conn zb_transport_conn;

/* ---- platform transport ------------------------------------------------------------------ */

/**
 * A message transport supplied by the app (optional; without one the built-in Beast WebSocket
 * over TLS transport is used). The core calls these functions; the app reports back through
 * zb_transport_opened / zb_transport_received / zb_transport_closed. One connection at a time.
 *
 * Rules:
 *  - `open` starts connecting to wss://host:port/path (ws:// when `plaintext`) and returns at once.
 *    The transport MUST then call zb_transport_opened or zb_transport_closed.
 *  - The transport must check the server key against `pin`: the configured pins (SHA-256 of
 *    the SubjectPublicKeyInfo, base64), comma-separated; empty only when plaintext. If none
 *    matches it reports ZB_ERR_PIN_MISMATCH through zb_transport_closed before sending anything.
 *  - `write` queues one binary WebSocket message (the bytes are borrowed for the call).
 *  - `close` starts a graceful close; the transport MUST then call zb_transport_closed.
 *  - You MUST call zb_transport_closed exactly once per `open`, or sync waits until its timeout.
 *  - `dispose` is called exactly once, when the session no longer needs the transport; after it
 *    `conn` pointers are dangling and userdata may be freed.
 *  - Callbacks are called from the session's sync thread (or the thread calling zb_sync_stop) and
 *    must not block. The zb_transport_* functions may be called from any thread, but not
 *    concurrently for one connection.
 */
typedef struct zb_transport {
    void* ZB_NULLABLE userdata;
    void (*open)(void* ZB_NULLABLE userdata, zb_transport_conn* conn, zb_str host, uint16_t port,
                 zb_str path, zb_str pin, bool plaintext);
    void (*write)(void* ZB_NULLABLE userdata, zb_transport_conn* conn, const uint8_t* data,
                  size_t size);
    void (*close)(void* ZB_NULLABLE userdata, zb_transport_conn* conn);
    void (*dispose)(void* ZB_NULLABLE userdata);
} zb_transport;

/**
 * Reports that the connection started by `open` is established (TLS done, pin checked, WebSocket
 * upgraded).
 *
 * @param conn      The connection passed to open.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: none. Thread-safety: any thread, not concurrently for one conn. Blocks: no.
 * Errors: ZB_ERR_MISUSE (conn NULL, or not connecting), ZB_ERR_CLOSED (already closed).
 */
ZB_API ZB_NODISCARD zb_status zb_transport_opened(zb_transport_conn* ZB_NULLABLE conn,
                                                  zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Delivers one complete binary message received from the server.
 *
 * @param conn      The connection.
 * @param data      The message bytes (may be NULL only if size is 0).
 * @param size      Their length.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the bytes are copied. Thread-safety: any thread, not concurrently for one conn.
 * Blocks: no.
 * Errors: ZB_ERR_MISUSE (conn NULL, data NULL with size > 0, not open), ZB_ERR_CLOSED.
 */
ZB_API ZB_NODISCARD zb_status zb_transport_received(zb_transport_conn* ZB_NULLABLE conn,
                                                    const uint8_t* ZB_NULLABLE data, size_t size,
                                                    zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Reports that the connection ended (failed to open, closed by either side, or broke).
 *
 * @param conn      The connection.
 * @param reason    ZB_OK for a close the core asked for; otherwise ZB_ERR_NETWORK, ZB_ERR_TLS,
 *                  ZB_ERR_PIN_MISMATCH, ZB_ERR_TIMEOUT, ...
 * @param message   A human-readable reason (copied); may be empty.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: `message` is copied. Thread-safety: any thread, not concurrently for one conn.
 * Blocks: no.
 * Errors: ZB_ERR_MISUSE (conn NULL), ZB_ERR_CLOSED (reported twice).
 */
ZB_API ZB_NODISCARD zb_status zb_transport_closed(zb_transport_conn* ZB_NULLABLE conn,
                                                  zb_status reason, zb_str message,
                                                  zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/* ---- configuration ----------------------------------------------------------------------- */

/**
 * Creates an empty sync configuration.
 *
 * @param out_config Receives the configuration; NULL on failure.
 * @param out_error  Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the caller frees *out_config with zb_sync_config_free().
 * Thread-safety: safe from any thread. Blocks: no.
 * Errors: ZB_ERR_MISUSE (out_config NULL), ZB_ERR_NO_MEMORY.
 */
ZB_API ZB_NODISCARD zb_status
zb_sync_config_new(zb_sync_config* ZB_NULLABLE* ZB_NULLABLE out_config,
                   zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Frees a sync configuration (and disposes a transport set on it but never given to a session).
 *
 * @param config The configuration, or NULL (no-op).
 * @return Nothing.
 * Ownership: releases `config`.
 * Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: This function cannot fail.
 */
ZB_API void zb_sync_config_free(zb_sync_config* ZB_NULLABLE config) ZB_NOEXCEPT;

/**
 * Sets the server to sync with.
 *
 * @param config    The configuration.
 * @param host      Host name or IP literal (UTF-8, non-empty).
 * @param port      TCP port (1..65535).
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: `host` is copied. Thread-safety: not while another thread uses `config`.
 * Blocks: no.
 * Errors: ZB_ERR_MISUSE (config NULL), ZB_ERR_INVALID_ARGUMENT (empty host, port 0).
 */
ZB_API ZB_NODISCARD zb_status
zb_sync_config_set_server(zb_sync_config* ZB_NULLABLE config, zb_str host, uint16_t port,
                          zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Adds a server key pin: the SHA-256 of the server certificate's SubjectPublicKeyInfo in base64,
 * optionally prefixed "sha256/". At least one pin is required unless plaintext is set. Call again
 * to add backup pins.
 *
 * @param config    The configuration.
 * @param pin       The pin.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: copied. Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: ZB_ERR_MISUSE (config NULL), ZB_ERR_INVALID_ARGUMENT (not 32 bytes of base64).
 */
ZB_API ZB_NODISCARD zb_status zb_sync_config_add_pin(zb_sync_config* ZB_NULLABLE config, zb_str pin,
                                                     zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Sets the one-time enrollment code used if the replica has no device identity yet.
 *
 * @param config    The configuration.
 * @param code      The code from an administrator (UTF-8).
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: copied. Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: ZB_ERR_MISUSE (config NULL), ZB_ERR_INVALID_ARGUMENT (empty).
 */
ZB_API ZB_NODISCARD zb_status zb_sync_config_set_enroll_code(
    zb_sync_config* ZB_NULLABLE config, zb_str code, zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Sets the device name shown to administrators at enrollment (default "zhibu-device").
 *
 * @param config    The configuration.
 * @param name      UTF-8 name.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: copied. Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: ZB_ERR_MISUSE (config NULL).
 */
ZB_API ZB_NODISCARD zb_status zb_sync_config_set_device_name(
    zb_sync_config* ZB_NULLABLE config, zb_str name, zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Uses ws:// instead of wss:// (no TLS, no pin). Accepted only for a loopback host
 * (127.0.0.0/8, ::1, localhost): for tests and local development.
 *
 * @param config    The configuration.
 * @param plaintext true for ws://.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: none. Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: ZB_ERR_MISUSE (config NULL). (A non-loopback host is refused by zb_sync_new.)
 */
ZB_API ZB_NODISCARD zb_status
zb_sync_config_set_plaintext(zb_sync_config* ZB_NULLABLE config, bool plaintext,
                             zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Sets the deadline of one zb_sync_once run and of each connection attempt.
 *
 * @param config     The configuration.
 * @param timeout_ms Milliseconds, > 0 (default 30000).
 * @param out_error  Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: none. Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: ZB_ERR_MISUSE (config NULL), ZB_ERR_INVALID_ARGUMENT (<= 0).
 */
ZB_API ZB_NODISCARD zb_status
zb_sync_config_set_timeout(zb_sync_config* ZB_NULLABLE config, int64_t timeout_ms,
                           zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Uses a platform transport instead of the built-in one.
 *
 * @param config    The configuration.
 * @param transport The vtable (copied); open, write, close and dispose must be non-NULL.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: on success the library owns transport->userdata and calls dispose exactly once
 *            (when the session, or the configuration if no session took it, is freed). On
 *            failure nothing is taken. Setting a second transport disposes the first.
 * Thread-safety: not while another thread uses `config`. Blocks: no.
 * Errors: ZB_ERR_MISUSE (NULL config, transport or callback).
 */
ZB_API ZB_NODISCARD zb_status zb_sync_config_set_transport(
    zb_sync_config* ZB_NULLABLE config, const zb_transport* ZB_NULLABLE transport,
    zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/* ---- session ------------------------------------------------------------------------------ */

/**
 * Creates a sync session for `db`. Does no I/O.
 *
 * @param db        An open replica; the session keeps it alive until zb_sync_free.
 * @param config    The configuration (may be freed right after; a transport moves to the
 *                  session).
 * @param out_sync  Receives the session; NULL on failure.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: the caller frees *out_sync with zb_sync_free().
 * Thread-safety: safe from any thread. Blocks: no.
 * Errors: ZB_ERR_MISUSE (NULL argument), ZB_ERR_CLOSED (db closed), ZB_ERR_INVALID_ARGUMENT
 *         (no server, no pin without plaintext, plaintext to a non-loopback host, bad pin),
 *         ZB_ERR_BUSY (db already has a session).
 */
ZB_API ZB_NODISCARD zb_status zb_sync_new(zb_db* ZB_NULLABLE db, zb_sync_config* ZB_NULLABLE config,
                                          zb_sync* ZB_NULLABLE* ZB_NULLABLE out_sync,
                                          zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Stops the session (waiting for its thread) and releases it. Remaining listeners are removed
 * and their userdata_free called; a platform transport is disposed.
 *
 * @param sync The session, or NULL (no-op).
 * @return Nothing.
 * Ownership: releases `sync`.
 * Thread-safety: no other thread may use `sync` during or after; never from a listener.
 * Blocks: yes (until the sync thread has stopped; bounded by the timeouts).
 * Errors: This function cannot fail.
 */
ZB_API void zb_sync_free(zb_sync* ZB_NULLABLE sync) ZB_NOEXCEPT;

/**
 * Runs one sync to completion on the calling thread: connect, enroll if needed, authenticate,
 * push every pending change, pull until up to date, disconnect.
 *
 * @param sync      The session.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: none.
 * Thread-safety: safe from any thread except the notification thread (a listener:
 *                ZB_ERR_MISUSE). Enrolls first when the replica has no identity and an
 *                enrollment code is configured.
 * Blocks: yes (network; bounded by the configured timeout).
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED (db closed), ZB_ERR_BUSY (live sync running, or another
 *         run), ZB_ERR_NETWORK (nothing listening, connection lost), ZB_ERR_TIMEOUT, ZB_ERR_TLS,
 *         ZB_ERR_PIN_MISMATCH, ZB_ERR_PROTOCOL, ZB_ERR_VERSION, ZB_ERR_AUTH, ZB_ERR_ENROLL_CODE,
 *         ZB_ERR_NOT_ENROLLED, ZB_ERR_REVOKED, ZB_ERR_WIPED (the server ordered a wipe; done),
 *         ZB_ERR_SERVER.
 */
ZB_API ZB_NODISCARD zb_status zb_sync_once(zb_sync* ZB_NULLABLE sync,
                                           zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Starts live sync on the session's own thread: stays connected, pushes local changes as they
 * are written, pulls when the server notifies, reconnects with back-off. Returns at once.
 *
 * @param sync      The session.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code. Connection failures are reported through the status, not
 *         here.
 * Ownership: none. Thread-safety: safe from any thread. Blocks: no.
 * Errors: ZB_ERR_MISUSE, ZB_ERR_CLOSED, ZB_ERR_BUSY (already running), ZB_ERR_NOT_ENROLLED
 *         (enroll first with zb_sync_once and an enrollment code).
 */
ZB_API ZB_NODISCARD zb_status zb_sync_start(zb_sync* ZB_NULLABLE sync,
                                            zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Stops live sync and waits for the sync thread to finish (bounded by the timeouts). Stopping a
 * session that is not running is ZB_OK.
 *
 * @param sync      The session.
 * @param out_error Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: none.
 * Thread-safety: safe from any thread, including listeners.
 * Blocks: yes (until the connection has closed; bounded by the stop timeout of 3 s).
 * Errors: ZB_ERR_MISUSE (sync NULL), ZB_ERR_CLOSED (the db was closed).
 */
ZB_API ZB_NODISCARD zb_status zb_sync_stop(zb_sync* ZB_NULLABLE sync,
                                           zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/** Sync states (open enum: handle unknown values). */
ZB_ENUM(int32_t, zb_sync_state){
    ZB_SYNC_STOPPED = 0,    /**< Not running. */
    ZB_SYNC_CONNECTING = 1, /**< Connecting, enrolling or authenticating. */
    ZB_SYNC_SYNCING = 2,    /**< Connected; pushing or pulling. */
    ZB_SYNC_LIVE = 3,       /**< Connected and up to date (live sync). */
    ZB_SYNC_OFFLINE = 4,    /**< Disconnected; live sync retries after a back-off. */
    ZB_SYNC_FAILED = 5,     /**< Stopped by an error that needs the user (auth, revoked, wiped). */
};

/** A snapshot of a session's status. Plain data; frozen in API version 1. */
typedef struct zb_sync_status_info {
    zb_sync_state state;
    zb_error last_error;  /**< The most recent failure (code ZB_OK if none since start). */
    int64_t done;         /**< Progress of the current pull: cells received. */
    int64_t total;        /**< Cells expected in the current pull (0 if unknown). */
    int64_t pending;      /**< Local changes not yet acknowledged by the server. */
    int64_t last_sync_ms; /**< When the last successful sync finished (Unix ms, 0 if never). */
} zb_sync_status_info;

/**
 * Reads the current status.
 *
 * @param sync       The session.
 * @param out_status Receives the snapshot; untouched on failure.
 * @param out_error  Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: none. Thread-safety: safe from any thread, including callbacks.
 * Blocks: yes, briefly (reads the pending count from disk).
 * Errors: ZB_ERR_MISUSE (NULL argument).
 */
ZB_API ZB_NODISCARD zb_status zb_sync_status(zb_sync* ZB_NULLABLE sync,
                                             zb_sync_status_info* ZB_NULLABLE out_status,
                                             zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Called when the state changes or a failure is recorded. `status` is borrowed for the call.
 * Called on the replica's notification thread, in order with its change listeners; must not
 * block for long or unwind, must not call zb_sync_free, zb_db_close or zb_db_free; may call
 * zb_sync_status, zb_sync_stop, any zb_db_* data function and zb_listener_remove.
 */
typedef void (*zb_sync_status_fn)(void* ZB_NULLABLE userdata, const zb_sync_status_info* status);

/** Called as a pull progresses: `done` of `total` cells (total 0 = unknown). Same rules. */
typedef void (*zb_sync_progress_fn)(void* ZB_NULLABLE userdata, int64_t done, int64_t total);

/**
 * Registers a status listener.
 *
 * @param sync          The session.
 * @param fn            The callback.
 * @param userdata      Passed to fn; may be NULL.
 * @param userdata_free Called once after the last call of fn; may be NULL.
 * @param out_token     Receives the token (remove with zb_listener_remove); NULL on failure.
 * @param out_error     Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: as zb_db_add_listener.
 * Thread-safety: safe from any thread. Blocks: no.
 * Errors: ZB_ERR_MISUSE (NULL sync, fn or out_token), ZB_ERR_NO_MEMORY.
 */
ZB_API ZB_NODISCARD zb_status zb_sync_add_status_listener(
    zb_sync* ZB_NULLABLE sync, zb_sync_status_fn ZB_NULLABLE fn, void* ZB_NULLABLE userdata,
    zb_userdata_free_fn ZB_NULLABLE userdata_free, zb_listener* ZB_NULLABLE* ZB_NULLABLE out_token,
    zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

/**
 * Registers a progress listener.
 *
 * @param sync          The session.
 * @param fn            The callback.
 * @param userdata      Passed to fn; may be NULL.
 * @param userdata_free Called once after the last call of fn; may be NULL.
 * @param out_token     Receives the token (remove with zb_listener_remove); NULL on failure.
 * @param out_error     Error detail, or NULL.
 * @return ZB_OK, or an error code.
 * Ownership: as zb_db_add_listener.
 * Thread-safety: safe from any thread. Blocks: no.
 * Errors: ZB_ERR_MISUSE (NULL sync, fn or out_token), ZB_ERR_NO_MEMORY.
 */
ZB_API ZB_NODISCARD zb_status zb_sync_add_progress_listener(
    zb_sync* ZB_NULLABLE sync, zb_sync_progress_fn ZB_NULLABLE fn, void* ZB_NULLABLE userdata,
    zb_userdata_free_fn ZB_NULLABLE userdata_free, zb_listener* ZB_NULLABLE* ZB_NULLABLE out_token,
    zb_error* ZB_NULLABLE out_error) ZB_NOEXCEPT;

ZB_ASSUME_NONNULL_END
ZB_EXTERN_C_END

#endif /* ZB_SYNC_H */
