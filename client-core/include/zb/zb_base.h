/* SPDX-License-Identifier: Apache-2.0 */
/* Zhibu C ABI, base definitions: export, nullability and enum macros, the status codes, the
 * caller-owned error struct, borrowed UTF-8 strings (zb_str), library-owned bytes (zb_bytes) and
 * the version functions. Every other zb_*.h includes this file. C99; no C++ anywhere in here.
 * The conventions below hold for every function of the ABI unless its own doc block says
 * otherwise. */
#ifndef ZB_BASE_H
#define ZB_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * CONVENTIONS (read once; every function follows them)
 *
 * Names      Functions are zb_<object>_<verb>, types zb_<object>, constants ZB_UPPER. Only zb_*
 *            symbols are exported from libzhibu.
 * Status     Every function that can fail returns zb_status; ZB_OK (0) is success. Functions that
 *            cannot fail return void or a plain value and say "This function cannot fail".
 * Errors     The last parameter of every fallible function is `zb_error *out_error`, which may be
 *            NULL. When it is not NULL it is ALWAYS written: {ZB_OK, 0, 0, ""} on success, the
 *            code, detail, flags and a UTF-8 message on failure. Nothing in it needs freeing and
 *            it may be copied to another thread.
 * Out-params Named out_*. On success they receive the value; on failure pointer out-parameters
 *            are set to NULL (zb_bytes to {NULL, 0}) and numeric ones are left as they were.
 * Ownership  The Create rule: zb_*_new and zb_*_open return a handle the caller owns and releases
 *            with the matching zb_*_free; zb_*_free(NULL) is a no-op. Bytes returned by the
 *            library are zb_bytes and go back through zb_bytes_free, never free(). Inputs are
 *            borrowed for the duration of the call; the library copies what it keeps.
 * Strings    UTF-8 with an explicit length (zb_str); embedded NUL bytes are allowed. String
 *            outputs are zb_bytes holding UTF-8, not NUL-terminated.
 * Handles    Thread-safe unless a function says otherwise. A handle that has been closed stays
 *            valid memory until freed; using it returns ZB_ERR_CLOSED. Passing NULL where a
 *            handle is required returns ZB_ERR_MISUSE. Neither ever crashes.
 * Callbacks  Registered as (fn, userdata, userdata_free). The library calls userdata_free exactly
 *            once, after the last possible call of fn. If registration fails, ownership of
 *            userdata never passed to the library and the caller frees it. Callbacks must not
 *            unwind (no C++ exceptions, no longjmp) and receive borrowed data valid only during
 *            the call.
 * Blocking   Each function says "Blocks:" whether it does disk or network I/O; call those off
 *            the UI thread.
 * Nullability Pointer parameters are non-NULL unless marked ZB_NULLABLE. (Only Clang's
 *            nullability qualifiers are used, never __attribute__((nonnull)): NULL passed by
 *            mistake is reported as ZB_ERR_MISUSE instead of being undefined behaviour.)
 */

/* ---- export / attribute macros ------------------------------------------------------------ */

#if defined(_WIN32)
#if defined(ZB_BUILDING_LIBRARY)
#define ZB_API __declspec(dllexport)
#else
#define ZB_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define ZB_API __attribute__((visibility("default")))
#else
#define ZB_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ZB_NODISCARD __attribute__((warn_unused_result))
#else
#define ZB_NODISCARD
#endif

#if defined(__cplusplus)
#define ZB_EXTERN_C_BEGIN extern "C" {
#define ZB_EXTERN_C_END }
#define ZB_NOEXCEPT noexcept
#else
#define ZB_EXTERN_C_BEGIN
#define ZB_EXTERN_C_END
#define ZB_NOEXCEPT
#endif

/* Nullability: Clang's qualifiers (so Swift imports true optionals); nothing elsewhere. */
#if defined(__clang__)
#define ZB_NULLABLE _Nullable
#define ZB_NONNULL _Nonnull
#define ZB_ASSUME_NONNULL_BEGIN                                                      \
    _Pragma("clang diagnostic push")                                                 \
        _Pragma("clang diagnostic ignored \"-Wnullability-extension\"")              \
            _Pragma("clang diagnostic ignored \"-Wfixed-enum-extension\"")           \
                _Pragma("clang diagnostic ignored \"-Welaborated-enum-base\"")       \
                    _Pragma("clang diagnostic ignored \"-Wunknown-warning-option\"") \
                        _Pragma("clang assume_nonnull begin")
#define ZB_ASSUME_NONNULL_END _Pragma("clang assume_nonnull end") _Pragma("clang diagnostic pop")
#else
#define ZB_NULLABLE
#define ZB_NONNULL
#define ZB_ASSUME_NONNULL_BEGIN
#define ZB_ASSUME_NONNULL_END
#endif

/* ZB_ENUM(int32_t, name) { ... }: an enum with a fixed underlying type, open for Swift (values
 * may be added in later versions; bindings must handle unknown values). Values are never
 * renumbered or reused. */
#if defined(__cplusplus)
#define ZB_ENUM(_type, _name) enum _name : _type
#elif defined(__clang__)
#define ZB_ENUM(_type, _name)                                                   \
    typedef enum __attribute__((enum_extensibility(open))) _name : _type _name; \
    enum __attribute__((enum_extensibility(open))) _name : _type
#else
#define ZB_ENUM(_type, _name) \
    typedef _type _name;      \
    enum _name
#endif

ZB_EXTERN_C_BEGIN
ZB_ASSUME_NONNULL_BEGIN

/* ---- versions -------------------------------------------------------------------------- */

/** Bumped on every change to the public C API. Compare with zb_api_version() at run time. */
#define ZB_API_VERSION 1

/** Size of a raw database key in bytes (also zb_key_bytes()). */
#define ZB_KEY_BYTES 32u

/** Size of the inline error message buffer, including the terminating NUL. */
#define ZB_ERROR_MESSAGE_SIZE 256

/* ---- status codes ------------------------------------------------------------------------ */

/**
 * The result of every fallible call. 0 is success; codes are grouped in ranges:
 * 1xx argument/state, 2xx storage, 3xx crypto, 4xx network/protocol, 5xx auth,
 * 6xx conflict/validation, 9xx internal.
 */
ZB_ENUM(int32_t, zb_status){
    ZB_OK = 0, /**< Success. */

    /* 1xx: arguments and state */
    ZB_ERR_INVALID_ARGUMENT = 100, /**< An argument has a bad value (bad JSON, bad key size). */
    ZB_ERR_MISUSE = 101,           /**< API misuse: NULL where required, wrong order of calls. */
    ZB_ERR_CLOSED = 102,           /**< The handle was closed (or wiped) before this call. */
    ZB_ERR_NOT_FOUND = 103,        /**< No such row, conflict or rejected change. */
    ZB_ERR_UNSUPPORTED = 104,      /**< Not supported by this build or configuration. */
    ZB_ERR_BUSY = 105,             /**< Another operation is in progress (e.g. a sync run). */
    ZB_ERR_NO_MEMORY = 106,        /**< Out of memory. */
    ZB_ERR_CANCELLED = 107,        /**< Stopped by zb_sync_stop (or free) while running. */

    /* 2xx: storage */
    ZB_ERR_STORAGE = 200,   /**< SQLite failed; detail holds the extended result code. */
    ZB_ERR_DISK_FULL = 201, /**< The disk is full. */
    ZB_ERR_CORRUPT = 202,   /**< The file is not a Zhibu replica or is damaged. */
    ZB_ERR_IO = 203,        /**< File system error; detail holds errno where known. */

    /* 3xx: crypto (opaque on purpose: a wrong key and tampering look the same) */
    ZB_ERR_CRYPTO = 300, /**< Wrong key or passphrase, or the file was tampered with. */
    ZB_ERR_WIPED = 301,  /**< The replica was wiped (locally or by the server). */

    /* 4xx: network and protocol */
    ZB_ERR_NETWORK = 400,      /**< Could not connect or the connection broke. */
    ZB_ERR_TLS = 401,          /**< TLS handshake failed. */
    ZB_ERR_PIN_MISMATCH = 402, /**< The server certificate does not match the pin. */
    ZB_ERR_PROTOCOL = 403,     /**< The peer sent something the protocol does not allow. */
    ZB_ERR_TIMEOUT = 404,      /**< The operation timed out. */
    ZB_ERR_VERSION = 405,      /**< No protocol version in common with the server. */
    ZB_ERR_SERVER = 406,       /**< The server reported an internal or storage failure. */

    /* 5xx: identity */
    ZB_ERR_AUTH = 500,         /**< Authentication failed. */
    ZB_ERR_ENROLL_CODE = 501,  /**< Enrollment code unknown, used or expired. */
    ZB_ERR_REVOKED = 502,      /**< This device was revoked. */
    ZB_ERR_NOT_ENROLLED = 503, /**< The device has no identity yet and no enrollment code. */

    /* 6xx: conflict and validation */
    ZB_ERR_FORBIDDEN = 600,     /**< The role may not write this row or column. */
    ZB_ERR_UNKNOWN_TABLE = 601, /**< No such table (or column) in the schema. */
    ZB_ERR_TYPE_MISMATCH = 602, /**< A value has the wrong type for its column. */
    ZB_ERR_RULE = 603,          /**< A Party rule refused the change; message says which. */
    ZB_ERR_READ_ONLY = 604,     /**< Server-authoritative or append-only data; use a command. */
    ZB_ERR_CONFLICT = 605,      /**< The operation conflicts with the current state. */

    /* 9xx: internal */
    ZB_ERR_INTERNAL = 900 /**< A bug in the library; please report with the message. */
};

/** zb_error.flags: hints for retry logic. */
#define ZB_ERRF_TRANSIENT 0x1u         /**< Retrying later may succeed. */
#define ZB_ERRF_NETWORK_DEPENDENT 0x2u /**< Retrying once the network changes may succeed. */
#define ZB_ERRF_RESET_REQUIRED 0x4u    /**< The replica must be wiped and re-synced. */

/**
 * Caller-owned error detail. Declare one on the stack and pass its address as the last argument;
 * it is always written when not NULL. Plain data: copy it, keep it, pass it between threads.
 */
typedef struct zb_error {
    zb_status code; /**< ZB_OK or the failure code (same as the function's return value). */
    int32_t detail; /**< SQLite extended code, errno, or wire error code; 0 if none. */
    uint32_t flags; /**< ZB_ERRF_* bits. */
    char message[ZB_ERROR_MESSAGE_SIZE]; /**< NUL-terminated UTF-8, truncated on a boundary. */
} zb_error;

/**
 * The message of an error as a C string.
 *
 * @param error The error, or NULL.
 * @return A pointer into `error->message` (NUL-terminated UTF-8), or "" when error is NULL.
 * Ownership: borrowed from `error`; valid while `error` is.
 * Thread-safety: safe from any thread. Blocks: no.
 * Errors: This function cannot fail.
 */
ZB_API const char* zb_error_message(const zb_error* ZB_NULLABLE error) ZB_NOEXCEPT;

/**
 * The symbolic name of a status code ("ZB_ERR_CLOSED"), for logs and tests.
 *
 * @param status Any value; unknown values give "ZB_ERR_UNKNOWN".
 * @return A static NUL-terminated ASCII string.
 * Ownership: static storage; never free.
 * Thread-safety: safe from any thread. Blocks: no.
 * Errors: This function cannot fail.
 */
ZB_API const char* zb_status_name(zb_status status) ZB_NOEXCEPT;

/* ---- strings and bytes ---------------------------------------------------------------- */

/** A borrowed UTF-8 string with an explicit length. `data` may be NULL only when size is 0. */
typedef struct zb_str {
    const char* ZB_NULLABLE data;
    size_t size;
} zb_str;

/** Bytes allocated by the library; release with zb_bytes_free(). {NULL, 0} means empty. */
typedef struct zb_bytes {
    uint8_t* ZB_NULLABLE data;
    size_t size;
} zb_bytes;

/** Builds a zb_str over a NUL-terminated C string (NULL gives the empty string). */
static inline zb_str zb_str_c(const char* ZB_NULLABLE s) {
    zb_str r;
    r.data = s;
    r.size = s ? strlen(s) : 0u;
    return r;
}

/**
 * Releases bytes returned by the library and resets `*bytes` to {NULL, 0}.
 *
 * @param bytes The bytes to free, or NULL; {NULL, 0} is allowed.
 * @return Nothing.
 * Ownership: takes back the memory; `bytes->data` must have come from this library.
 * Thread-safety: safe from any thread. Blocks: no.
 * Errors: This function cannot fail.
 */
ZB_API void zb_bytes_free(zb_bytes* ZB_NULLABLE bytes) ZB_NOEXCEPT;

/* ---- versions -------------------------------------------------------------------------- */

/**
 * The library version ("0.1.0").
 *
 * @return A static NUL-terminated ASCII string.
 * Ownership: static storage; never free.
 * Thread-safety: safe from any thread. Blocks: no.
 * Errors: This function cannot fail.
 */
ZB_API const char* zb_version(void) ZB_NOEXCEPT;

/**
 * The C API version the library was built with; compare with ZB_API_VERSION.
 *
 * @return The library's ZB_API_VERSION.
 * Ownership: none. Thread-safety: safe from any thread. Blocks: no.
 * Errors: This function cannot fail.
 */
ZB_API int32_t zb_api_version(void) ZB_NOEXCEPT;

/**
 * The size of a raw database key, ZB_KEY_BYTES (for bindings that cannot read macros).
 *
 * @return 32.
 * Ownership: none. Thread-safety: safe from any thread. Blocks: no.
 * Errors: This function cannot fail.
 */
ZB_API size_t zb_key_bytes(void) ZB_NOEXCEPT;

ZB_ASSUME_NONNULL_END
ZB_EXTERN_C_END

#endif /* ZB_BASE_H */
