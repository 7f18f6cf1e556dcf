// SPDX-License-Identifier: Apache-2.0
// The narrow door from maintenance code (nightly job, backup, undo; sqlite_maintenance*.cpp) into
// the embedded SQLite store. The store's classes stay private to sqlite_store.cpp; these three
// functions, defined there, hand out its connections under the store's own locking so that
// maintenance never races a push on the writer.
#pragma once

#include "sqlite.hpp"

#include "zb/server/store.hpp"

#include <functional>

namespace zb::server::detail {

/// Runs `f` on the writer connection with the store's write lock held (no transaction open).
/// Throws std::logic_error if `store` is not the SQLite store.
void with_sqlite_writer(ServerStore& store, const std::function<void(sql::Db&)>& f);
/// Runs `f` on a reader connection inside one read transaction.
void with_sqlite_reader(ServerStore& store, const std::function<void(sql::Db&)>& f);
/// The writer connection a write transaction runs on (its lock is held by `txn`).
sql::Db& sqlite_txn_db(StoreTxn& txn);

/// Creates the maintenance tables (device_cursors, seq_reset) if missing. Idempotent.
void ensure_maintenance_schema(sql::Db& db);

}  // namespace zb::server::detail
