// SPDX-License-Identifier: Apache-2.0
// Typed errors for the encrypted storage layer, and the small expected-like Result<T> it returns.
// zb_crypto keeps its own Result instead of zb::protocol::Result: protocol's Errc is the wire
// error space (never renumbered, no storage-key codes), and zb_crypto must not depend on protocol.
// Expected failures (wrong key, tampering, truncation, busy) are values; exceptions mean bugs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace zb::crypto {

/// Error codes of zb_crypto. Values are stable; never renumber.
enum class Errc : std::uint8_t {
    Ok = 0,
    WrongKey = 1,         ///< page 1 does not authenticate under the key (SQLITE_NOTADB)
    WrongPassphrase = 2,  ///< the key record does not unwrap under the passphrase
    Corrupt = 3,          ///< a page failed its tag (SQLITE_IOERR_DATA) or SQLite saw corruption
    Truncated = 4,        ///< the file is shorter than its header says, or not page-aligned
    NotEncrypted = 5,     ///< a plaintext or foreign file (reserve byte != 40): refused
    NoKey = 6,            ///< the VFS has no key bound for the path
    KeyConflict = 7,      ///< another key is already bound to the same path in this process
    Busy = 8,             ///< the database is in use (locks, open connections)
    Io = 9,               ///< an OS-level I/O failure
    BadKeyRecord = 10,    ///< the key record file is missing, malformed or of an unknown version
    Sqlite = 11,          ///< any other SQLite error (see Error::sqlite_rc)
    InvalidArgument = 12,
    Internal = 13,
};

std::string_view errc_name(Errc e);

struct Error {
    Errc code = Errc::Internal;
    int sqlite_rc = 0;  ///< extended SQLite result code when the error came from SQLite, else 0
    std::string message;
};

/// Maps an (extended) SQLite result code to the typed error space: SQLITE_NOTADB -> WrongKey,
/// SQLITE_IOERR_DATA and SQLITE_CORRUPT* -> Corrupt, SQLITE_IOERR_SHORT_READ -> Truncated,
/// SQLITE_BUSY/LOCKED -> Busy, SQLITE_CANTOPEN and other SQLITE_IOERR_* -> Io, else Sqlite.
Errc errc_from_sqlite(int rc);

inline Error make_error(Errc c, std::string msg, int sqlite_rc = 0) {
    return Error{c, sqlite_rc, std::move(msg)};
}

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
    Error err_{Errc::Ok, 0, {}};
    bool ok_ = true;
};

}  // namespace zb::crypto
