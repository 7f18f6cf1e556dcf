// SPDX-License-Identifier: Apache-2.0
// The base of the C ABI: error filling and code mapping used by every shim, zb_bytes, and the
// exported functions of zb_base.h (messages, status names, versions). The mapping from the
// wire-stable protocol::Errc onto zb_status lives here and only here.

#include "capi_util.hpp"

#include <cstdlib>
#include <cstring>

#ifndef ZB_VERSION_STRING
#define ZB_VERSION_STRING "0.0.0"
#endif

namespace zb::capi {

void set_ok(zb_error* out) noexcept {
    if (out == nullptr) return;
    out->code = ZB_OK;
    out->detail = 0;
    out->flags = 0;
    std::memset(out->message, 0, sizeof out->message);
}

void set_error(zb_error* out, zb_status code, std::int32_t detail, std::uint32_t flags,
               std::string_view message) noexcept {
    if (out == nullptr) return;
    out->code = code;
    out->detail = detail;
    out->flags = flags;
    std::size_t n = message.size();
    if (n > sizeof out->message - 1) {
        n = sizeof out->message - 1;
        // Do not cut a UTF-8 sequence in half: back off over continuation bytes (10xxxxxx).
        while (n > 0 && (static_cast<unsigned char>(message[n]) & 0xC0u) == 0x80u)
            --n;
    }
    std::memcpy(out->message, message.data(), n);
    std::memset(out->message + n, 0, sizeof out->message - n);
}

zb_status status_of(protocol::Errc code) noexcept {
    using E = protocol::Errc;
    switch (code) {
        case E::Ok:
            return ZB_OK;
        case E::BadValue:
            return ZB_ERR_INVALID_ARGUMENT;
        case E::Malformed:
        case E::TooLarge:
        case E::TooDeep:
        case E::TooMany:
        case E::UnknownType:
        case E::MissingField:
        case E::WrongType:
        case E::UnexpectedMessage:
        case E::SequenceGap:
        case E::ClockAhead:
        case E::ClockOverflow:
        case E::HashMismatch:  // attachment bytes that do not match their name: a broken peer
            return ZB_ERR_PROTOCOL;
        case E::NotFound:
            return ZB_ERR_NOT_FOUND;
        case E::QuotaExceeded:  // the server's per-device attachment quota
        case E::CursorExpired:  // the engine rebases by itself; seen only if that fails
            return ZB_ERR_SERVER;
        case E::VersionUnsupported:
            return ZB_ERR_VERSION;
        case E::HandshakeTimeout:
        case E::IdleTimeout:
            return ZB_ERR_TIMEOUT;
        case E::RateLimited:
        case E::ServerBusy:
        case E::ShuttingDown:
            return ZB_ERR_SERVER;
        case E::AuthFailed:
        case E::TokenExpired:
        case E::TokenInvalid:
        case E::BadBatchSignature:
        case E::Replay:
            return ZB_ERR_AUTH;
        case E::DeviceRevoked:
            return ZB_ERR_REVOKED;
        case E::EnrollCodeInvalid:
            return ZB_ERR_ENROLL_CODE;
        case E::Forbidden:
        case E::OutOfScope:
            return ZB_ERR_FORBIDDEN;
        case E::UnknownTable:
            return ZB_ERR_UNKNOWN_TABLE;
        case E::ServerAuthoritative:
        case E::AppendOnlyViolation:
            return ZB_ERR_READ_ONLY;
        case E::RuleViolation:
            return ZB_ERR_RULE;
        case E::TypeMismatch:
            return ZB_ERR_TYPE_MISMATCH;
        case E::StorageFailure:
            return ZB_ERR_STORAGE;
        case E::DiskFull:
            return ZB_ERR_DISK_FULL;
        case E::Internal:
            return ZB_ERR_INTERNAL;
    }
    return ZB_ERR_INTERNAL;
}

std::uint32_t flags_of(protocol::Errc code) noexcept {
    using E = protocol::Errc;
    switch (code) {
        case E::HandshakeTimeout:
        case E::IdleTimeout:
            return ZB_ERRF_TRANSIENT | ZB_ERRF_NETWORK_DEPENDENT;
        case E::RateLimited:
        case E::ServerBusy:
        case E::ShuttingDown:
        case E::TokenExpired:
        case E::DiskFull:
        case E::CursorExpired:
            return ZB_ERRF_TRANSIENT;
        case E::DeviceRevoked:
            return ZB_ERRF_RESET_REQUIRED;
        default:
            return 0;
    }
}

void fail_with(const protocol::Error& e) {
    fail(status_of(e.code), e.message, static_cast<std::int32_t>(e.code), flags_of(e.code));
}

std::string_view view(zb_str s, const char* what) {
    if (s.data == nullptr) {
        if (s.size != 0) fail(ZB_ERR_MISUSE, std::string(what) + ".data is NULL but size > 0");
        return {};
    }
    return {s.data, s.size};
}

zb_bytes make_bytes(std::string_view data) {
    zb_bytes b{nullptr, 0};
    // Always allocate at least one byte and NUL-terminate for debugging convenience; the NUL is
    // not part of `size`.
    auto* p = static_cast<std::uint8_t*>(std::malloc(data.size() + 1));
    if (p == nullptr) throw std::bad_alloc();
    if (!data.empty()) std::memcpy(p, data.data(), data.size());
    p[data.size()] = 0;
    b.data = p;
    b.size = data.size();
    return b;
}

}  // namespace zb::capi

extern "C" {

ZB_API const char* zb_error_message(const zb_error* error) noexcept {
    if (error == nullptr) return "";
    // The struct is caller-owned and may hold anything; make sure the string is terminated
    // within the buffer before handing it out.
    if (std::memchr(error->message, 0, sizeof error->message) == nullptr) return "";
    return error->message;
}

ZB_API const char* zb_status_name(zb_status status) noexcept {
    switch (status) {
        case ZB_OK:
            return "ZB_OK";
        case ZB_ERR_INVALID_ARGUMENT:
            return "ZB_ERR_INVALID_ARGUMENT";
        case ZB_ERR_MISUSE:
            return "ZB_ERR_MISUSE";
        case ZB_ERR_CLOSED:
            return "ZB_ERR_CLOSED";
        case ZB_ERR_NOT_FOUND:
            return "ZB_ERR_NOT_FOUND";
        case ZB_ERR_UNSUPPORTED:
            return "ZB_ERR_UNSUPPORTED";
        case ZB_ERR_BUSY:
            return "ZB_ERR_BUSY";
        case ZB_ERR_NO_MEMORY:
            return "ZB_ERR_NO_MEMORY";
        case ZB_ERR_CANCELLED:
            return "ZB_ERR_CANCELLED";
        case ZB_ERR_STORAGE:
            return "ZB_ERR_STORAGE";
        case ZB_ERR_DISK_FULL:
            return "ZB_ERR_DISK_FULL";
        case ZB_ERR_CORRUPT:
            return "ZB_ERR_CORRUPT";
        case ZB_ERR_IO:
            return "ZB_ERR_IO";
        case ZB_ERR_CRYPTO:
            return "ZB_ERR_CRYPTO";
        case ZB_ERR_WIPED:
            return "ZB_ERR_WIPED";
        case ZB_ERR_NETWORK:
            return "ZB_ERR_NETWORK";
        case ZB_ERR_TLS:
            return "ZB_ERR_TLS";
        case ZB_ERR_PIN_MISMATCH:
            return "ZB_ERR_PIN_MISMATCH";
        case ZB_ERR_PROTOCOL:
            return "ZB_ERR_PROTOCOL";
        case ZB_ERR_TIMEOUT:
            return "ZB_ERR_TIMEOUT";
        case ZB_ERR_VERSION:
            return "ZB_ERR_VERSION";
        case ZB_ERR_SERVER:
            return "ZB_ERR_SERVER";
        case ZB_ERR_AUTH:
            return "ZB_ERR_AUTH";
        case ZB_ERR_ENROLL_CODE:
            return "ZB_ERR_ENROLL_CODE";
        case ZB_ERR_REVOKED:
            return "ZB_ERR_REVOKED";
        case ZB_ERR_NOT_ENROLLED:
            return "ZB_ERR_NOT_ENROLLED";
        case ZB_ERR_FORBIDDEN:
            return "ZB_ERR_FORBIDDEN";
        case ZB_ERR_UNKNOWN_TABLE:
            return "ZB_ERR_UNKNOWN_TABLE";
        case ZB_ERR_TYPE_MISMATCH:
            return "ZB_ERR_TYPE_MISMATCH";
        case ZB_ERR_RULE:
            return "ZB_ERR_RULE";
        case ZB_ERR_READ_ONLY:
            return "ZB_ERR_READ_ONLY";
        case ZB_ERR_CONFLICT:
            return "ZB_ERR_CONFLICT";
        case ZB_ERR_INTERNAL:
            return "ZB_ERR_INTERNAL";
    }
    return "ZB_ERR_UNKNOWN";
}

ZB_API void zb_bytes_free(zb_bytes* bytes) noexcept {
    if (bytes == nullptr) return;
    std::free(bytes->data);
    bytes->data = nullptr;
    bytes->size = 0;
}

ZB_API const char* zb_version(void) noexcept {
    return ZB_VERSION_STRING;
}

ZB_API int32_t zb_api_version(void) noexcept {
    return ZB_API_VERSION;
}

ZB_API size_t zb_key_bytes(void) noexcept {
    return ZB_KEY_BYTES;
}

}  // extern "C"
