// SPDX-License-Identifier: Apache-2.0
// Thin RAII over the SQLite C API for the store: prepared statements, a per-connection statement
// cache keyed by SQL text, and an IMMEDIATE transaction guard. Inside the store a failed SQLite
// call throws StoreError (StorageFailure + sqlite3_errmsg); the Replica's public calls catch it
// and return a Result, so no raw return code is ever ignored.
#pragma once

#include "zb/core/error.hpp"
#include "zb/protocol/value.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace zb::core::store {

[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view what);

/// Quote an identifier for SQL ("a""b").
std::string quote_ident(std::string_view name);

class Stmt {
public:
    Stmt(sqlite3* db, std::string_view sql);
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(stmt_, i, v)); }
    void bind(int i, std::uint64_t v) { bind(i, static_cast<std::int64_t>(v)); }
    void bind(int i, std::string_view v) {
        check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    }
    void bind_blob(int i, std::span<const std::uint8_t> v) {
        // A zero-length blob must still be a blob, not NULL: pass a valid pointer.
        static const std::uint8_t kEmpty = 0;
        check(sqlite3_bind_blob64(stmt_, i, v.empty() ? &kEmpty : v.data(), v.size(),
                                  SQLITE_TRANSIENT));
    }
    void bind_null(int i) { check(sqlite3_bind_null(stmt_, i)); }
    /// Store a Value with its exact type (columns have no affinity, so nothing is converted).
    void bind_value(int i, const protocol::Value& v);

    /// One step: true if a row is available. Throws on error.
    bool step();
    /// Step a statement that returns no rows, then reset it.
    void run() {
        step();
        reset();
    }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

    bool is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
    std::int64_t int64(int c) const { return sqlite3_column_int64(stmt_, c); }
    std::uint64_t uint64(int c) const { return static_cast<std::uint64_t>(int64(c)); }
    std::string text(int c) const;
    std::span<const std::uint8_t> blob(int c) const;
    protocol::Value value(int c) const;

private:
    void check(int rc) {
        if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

/// A borrowed cached statement; resets it when the borrow ends so no read snapshot lingers.
class StmtUse {
public:
    explicit StmtUse(Stmt& s) : s_(&s) {}
    ~StmtUse() { s_->reset(); }
    StmtUse(const StmtUse&) = delete;
    StmtUse& operator=(const StmtUse&) = delete;
    Stmt* operator->() { return s_; }
    Stmt& operator*() { return *s_; }

private:
    Stmt* s_;
};

/// The connection as the store uses it. Not owning: the Database from the opener owns it.
class Conn {
public:
    explicit Conn(sqlite3* db) : db_(db) {}
    sqlite3* raw() const { return db_; }
    void exec(const std::string& sql);
    /// A prepared statement for `sql`, compiled once per connection.
    StmtUse use(const std::string& sql);
    /// Drop compiled statements (after DDL, so none refers to an old table layout).
    void clear_cache() { cache_.clear(); }

private:
    sqlite3* db_;
    std::map<std::string, std::unique_ptr<Stmt>, std::less<>> cache_;
};

/// BEGIN IMMEDIATE now; ROLLBACK on destruction unless commit() succeeded. IMMEDIATE takes the
/// write lock up front, so a writer never fails half-way with SQLITE_BUSY on lock upgrade.
class Txn {
public:
    explicit Txn(Conn& c);
    ~Txn();
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    void commit();

private:
    Conn& c_;
    bool open_ = true;
};

}  // namespace zb::core::store
