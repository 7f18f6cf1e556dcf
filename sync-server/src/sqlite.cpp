// SPDX-License-Identifier: Apache-2.0
// RAII over the SQLite C API (see sqlite.hpp). Every rc is checked.
#include "sqlite.hpp"

#include <cstring>

namespace zb::server::sql {

void check(int rc, sqlite3* db, const char* what) {
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
    std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    throw SqliteError(rc, msg);
}

Stmt::~Stmt() {
    sqlite3_finalize(s_);
}

Stmt& Stmt::bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(s_, i, v), db_, "bind");
    return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT), db_,
          "bind");
    return *this;
}
Stmt& Stmt::bind(int i, std::span<const std::uint8_t> v) {
    static const std::uint8_t kEmpty = 0;
    check(sqlite3_bind_blob(s_, i, v.empty() ? &kEmpty : v.data(), static_cast<int>(v.size()),
                            SQLITE_TRANSIENT),
          db_, "bind");
    return *this;
}
Stmt& Stmt::bind(int i, double v) {
    check(sqlite3_bind_double(s_, i, v), db_, "bind");
    return *this;
}
Stmt& Stmt::bind_null(int i) {
    check(sqlite3_bind_null(s_, i), db_, "bind");
    return *this;
}

bool Stmt::step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    check(rc, db_, "step");
    return false;
}

void Stmt::reset() {
    sqlite3_reset(s_);
}

std::string Stmt::text(int c) const {
    auto p = sqlite3_column_text(s_, c);
    int n = sqlite3_column_bytes(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string();
}

std::span<const std::uint8_t> Stmt::blob(int c) const {
    auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, c));
    int n = sqlite3_column_bytes(s_, c);
    return p ? std::span<const std::uint8_t>(p, static_cast<std::size_t>(n))
             : std::span<const std::uint8_t>();
}

Db::Db(const std::string& path, bool readonly) {
    int flags = readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    flags |= SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw SqliteError(rc, "open " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 10000);
}

Db::~Db() {
    by_address_.clear();
    cache_.clear();
    sqlite3_close_v2(db_);
}

void Db::exec(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw SqliteError(rc, std::string("exec: ") + msg);
    }
}

std::unique_ptr<Stmt> Db::prepare_once(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    check(sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr), db_,
          "prepare");
    return std::make_unique<Stmt>(db_, s);
}

Borrow Db::prepare(const char* sql) {
    if (auto it = by_address_.find(sql); it != by_address_.end()) {
        if (std::strcmp(sqlite3_sql(it->second->raw()), sql) == 0) return Borrow(it->second);
    }
    auto text = std::string(sql);
    auto it = cache_.find(text);
    if (it == cache_.end()) it = cache_.emplace(text, prepare_once(text)).first;
    by_address_[sql] = it->second.get();
    return Borrow(it->second.get());
}

Borrow Db::prepare(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) it = cache_.emplace(sql, prepare_once(sql)).first;
    return Borrow(it->second.get());
}

}  // namespace zb::server::sql
