// SPDX-License-Identifier: Apache-2.0
// Names of zb::crypto error codes and the mapping from SQLite result codes to them.
// The mapping is the contract the replica relies on: NOTADB means the key is wrong,
// IOERR_DATA means a page failed authentication.

#include "zb/crypto/error.hpp"

#include <sqlite3.h>

namespace zb::crypto {

std::string_view errc_name(Errc e) {
    switch (e) {
        case Errc::Ok:
            return "Ok";
        case Errc::WrongKey:
            return "WrongKey";
        case Errc::WrongPassphrase:
            return "WrongPassphrase";
        case Errc::Corrupt:
            return "Corrupt";
        case Errc::Truncated:
            return "Truncated";
        case Errc::NotEncrypted:
            return "NotEncrypted";
        case Errc::NoKey:
            return "NoKey";
        case Errc::KeyConflict:
            return "KeyConflict";
        case Errc::Busy:
            return "Busy";
        case Errc::Io:
            return "Io";
        case Errc::BadKeyRecord:
            return "BadKeyRecord";
        case Errc::Sqlite:
            return "Sqlite";
        case Errc::InvalidArgument:
            return "InvalidArgument";
        case Errc::Internal:
            return "Internal";
    }
    return "Unknown";
}

Errc errc_from_sqlite(int rc) {
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return Errc::Ok;
    if (rc == SQLITE_IOERR_DATA) return Errc::Corrupt;
    if (rc == SQLITE_IOERR_SHORT_READ) return Errc::Truncated;
    switch (rc & 0xff) {
        case SQLITE_NOTADB:
            return Errc::WrongKey;
        case SQLITE_CORRUPT:
            return Errc::Corrupt;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return Errc::Busy;
        case SQLITE_CANTOPEN:
        case SQLITE_IOERR:
        case SQLITE_FULL:
            return Errc::Io;
        default:
            return Errc::Sqlite;
    }
}

}  // namespace zb::crypto
