// SPDX-License-Identifier: Apache-2.0
// Error codes that cross the wire, and a small expected-like Result<T> used across the tree.
// Wire error codes are never renumbered or reused (protocol/SPEC.md, "Error codes").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace zb::protocol {

/// Wire-stable error codes. Ranges: 1xx framing/decoding, 2xx session/handshake, 3xx auth,
/// 4xx permission/scope, 5xx validation/merge, 6xx server/storage, 7xx clock.
enum class Errc : std::uint16_t {
    Ok = 0,
    // 1xx: framing and decoding
    Malformed = 100,     ///< bytes are not valid CBOR or not a message
    TooLarge = 101,      ///< a frame, string, bytes value or batch exceeds a limit
    TooDeep = 102,       ///< nesting deeper than the limit
    TooMany = 103,       ///< an array or map has more entries than the limit
    UnknownType = 104,   ///< message type number not known to this version
    MissingField = 105,  ///< a required field is absent
    WrongType = 106,     ///< a field has the wrong CBOR type
    BadValue = 107,      ///< a field is out of its range
    // 2xx: session and handshake
    VersionUnsupported = 200,  ///< no protocol version in common
    UnexpectedMessage = 201,   ///< message not allowed in the current session state
    HandshakeTimeout = 202,
    IdleTimeout = 203,
    RateLimited = 204,
    ServerBusy = 205,  ///< connection cap reached
    ShuttingDown = 206,
    // 3xx: identity
    AuthFailed = 300,  ///< bad signature, unknown device
    TokenExpired = 301,
    TokenInvalid = 302,
    DeviceRevoked = 303,
    EnrollCodeInvalid = 304,  ///< unknown, used or expired enrollment code
    BadBatchSignature = 305,
    Replay = 306,  ///< a push batch that was already seen under another signature
    // 4xx: permission and scope
    Forbidden = 400,   ///< the role may not write this row or column
    OutOfScope = 401,  ///< the row is outside the device's scopes
    // 5xx: validation and merge
    UnknownTable = 500,
    ServerAuthoritative = 501,  ///< only a command may change this data
    RuleViolation = 502,        ///< a domain rule refused the change (message says which)
    SequenceGap = 503,          ///< a device sequence number was skipped
    AppendOnlyViolation = 504,  ///< an append-only row may not be changed
    TypeMismatch = 505,
    HashMismatch = 506,  ///< attachment bytes do not hash to the name they were sent under
    NotFound = 507,      ///< no such attachment chunk or manifest (or not all its chunks yet)
    // 6xx: server and storage
    StorageFailure = 600,
    Internal = 601,
    DiskFull = 602,
    QuotaExceeded = 603,  ///< the device's attachment upload quota is used up
    CursorExpired = 604,  ///< pull cursor below the collected horizon or from before a restore:
                          ///< rebase (pull a snapshot from 0, keep the outbox; SPEC §9.1)
    // 7xx: clocks
    ClockAhead = 700,  ///< a timestamp too far ahead of local time
    ClockOverflow = 701,
};

std::string_view errc_name(Errc e);

struct Error {
    Errc code = Errc::Internal;
    std::string message;
};

/// Result<T>: either a value or an Error. Result<void> carries only the error.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T v) : v_(std::move(v)) {}      // NOLINT(google-explicit-constructor)
    Result(Error e) : v_(std::move(e)) {}  // NOLINT(google-explicit-constructor)
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT(google-explicit-constructor)
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return err_; }

private:
    Error err_{Errc::Ok, {}};
    bool ok_ = true;
};

inline Error make_error(Errc c, std::string msg) {
    return Error{c, std::move(msg)};
}

}  // namespace zb::protocol
