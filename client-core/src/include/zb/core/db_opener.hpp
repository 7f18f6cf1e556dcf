// SPDX-License-Identifier: Apache-2.0
// How the replica gets its SQLite connection. The replica never calls sqlite3_open itself: it asks
// a DbOpener, so the same store runs over a plain file (tests, benchmarks, desktop tools) or over
// the encrypting VFS of zb_crypto on phones, without the store knowing which.
#pragma once

#include "zb/core/error.hpp"

#include <memory>
#include <string>

struct sqlite3;

namespace zb::core {

/// One open connection and whatever keeps it valid (a VFS registration, a key). Destroying it
/// closes the connection. Implementations must hand out a connection in the default threading
/// mode or better: a Replica may be moved to another thread between calls.
class Database {
public:
    virtual ~Database() = default;
    virtual sqlite3* handle() = 0;
};

class DbOpener {
public:
    virtual ~DbOpener() = default;
    /// Open (creating if missing) the database file at `path` for reading and writing.
    /// Errors: StorageFailure with SQLite's message.
    virtual Result<std::unique_ptr<Database>> open(const std::string& path) = 0;
    /// Remove every file belonging to the database at `path` (main file, -wal, -shm, -journal),
    /// after its connection was closed. Used by wipe(). Missing files are not an error.
    virtual Result<void> destroy(const std::string& path);
};

/// Plain, unencrypted SQLite files. For tests, benchmarks and tools; phones use the encrypting
/// opener that wraps zb::crypto::EncryptedDb.
std::shared_ptr<DbOpener> plain_opener();

}  // namespace zb::core
