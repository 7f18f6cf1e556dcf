// SPDX-License-Identifier: Apache-2.0
// Minimal RAII over the SQLite C API for the server store: a connection with a statement cache,
// statements with typed binds, and check() that turns a bad rc into an exception carrying
// sqlite3_errmsg (the store converts it to StorageFailure at its boundary).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace zb::server::sql {

struct SqliteError : std::runtime_error {
    SqliteError(int code, const std::string& what) : std::runtime_error(what), rc(code) {}
    int rc;
};

void check(int rc, sqlite3* db, const char* what);

class Stmt {
public:
    Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, std::int64_t v);
    Stmt& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
    Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
    Stmt& bind(int i, std::string_view v);
    Stmt& bind(int i, std::span<const std::uint8_t> v);
    Stmt& bind(int i, double v);
    Stmt& bind_null(int i);
    int param(const char* name) const { return sqlite3_bind_parameter_index(s_, name); }
    /// true = a row is available
    bool step();
    void exec() {
        while (step()) {
        }
    }
    void reset();

    std::int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
    std::uint64_t u64(int c) const { return static_cast<std::uint64_t>(i64(c)); }
    std::string text(int c) const;
    std::span<const std::uint8_t> blob(int c) const;
    int type(int c) const { return sqlite3_column_type(s_, c); }
    double real(int c) const { return sqlite3_column_double(s_, c); }
    sqlite3_stmt* raw() const { return s_; }

private:
    sqlite3* db_;
    sqlite3_stmt* s_;
};

/// A cached statement borrowed for one use; reset and unbound when the borrow ends.
class Borrow {
public:
    explicit Borrow(Stmt* s) : s_(s) {}
    ~Borrow() {
        if (s_) {
            s_->reset();
            sqlite3_clear_bindings(s_->raw());
        }
    }
    Borrow(const Borrow&) = delete;
    Borrow& operator=(const Borrow&) = delete;
    Stmt* operator->() const { return s_; }
    Stmt& operator*() const { return *s_; }

private:
    Stmt* s_;
};

class Db {
public:
    explicit Db(const std::string& path, bool readonly = false);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    void exec(const char* sql);
    Borrow prepare(const std::string& sql);  ///< cached by text
    /// Cached by the literal's address first (the hot path: no string built, no text compare
    /// beyond one strcmp that guards against a reused buffer), then by text.
    Borrow prepare(const char* sql);
    std::unique_ptr<Stmt> prepare_once(const std::string& sql);
    sqlite3* raw() const { return db_; }

private:
    sqlite3* db_ = nullptr;
    std::map<std::string, std::unique_ptr<Stmt>, std::less<>> cache_;
    std::unordered_map<const char*, Stmt*> by_address_;
};

}  // namespace zb::server::sql
