// SPDX-License-Identifier: Apache-2.0
// The SQLite wrappers of sqlite.hpp and the plain DbOpener. Values keep their exact type through
// SQLite because the store declares its value columns without a type (no affinity), so a REAL
// 7.0 stays REAL and an INTEGER 7 stays INTEGER.
#include "store/sqlite.hpp"

#include "zb/core/db_opener.hpp"

#include <filesystem>
#include <system_error>
#include <type_traits>
#include <variant>

namespace zb::core {

Result<void> DbOpener::destroy(const std::string& path) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::filesystem::remove(path + suffix, ec);
        if (ec)
            return Error{Errc::StorageFailure,
                         "cannot remove " + path + suffix + ": " + ec.message()};
    }
    return {};
}

namespace {

class PlainDatabase final : public Database {
public:
    explicit PlainDatabase(sqlite3* db) : db_(db) {}
    ~PlainDatabase() override { sqlite3_close_v2(db_); }
    PlainDatabase(const PlainDatabase&) = delete;
    PlainDatabase& operator=(const PlainDatabase&) = delete;
    sqlite3* handle() override { return db_; }

private:
    sqlite3* db_;
};

class PlainOpener final : public DbOpener {
public:
    Result<std::unique_ptr<Database>> open(const std::string& path) override {
        sqlite3* db = nullptr;
        const int rc =
            sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
        if (rc != SQLITE_OK) {
            std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
            sqlite3_close_v2(db);
            return Error{Errc::StorageFailure, "cannot open " + path + ": " + msg};
        }
        return std::unique_ptr<Database>(std::make_unique<PlainDatabase>(db));
    }
};

}  // namespace

std::shared_ptr<DbOpener> plain_opener() {
    return std::make_shared<PlainOpener>();
}

}  // namespace zb::core

namespace zb::core::store {

void throw_sqlite(sqlite3* db, int rc, std::string_view what) {
    std::string msg(what);
    msg += ": ";
    msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int primary = rc & 0xff;
    throw StoreError(primary == SQLITE_FULL ? Errc::DiskFull : Errc::StorageFailure, msg);
}

std::string quote_ident(std::string_view name) {
    std::string out = "\"";
    for (char ch : name) {
        if (ch == '"') out += '"';
        out += ch;
    }
    out += '"';
    return out;
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) throw_sqlite(db, rc, "prepare");
}

void Stmt::bind_value(int i, const protocol::Value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                bind_null(i);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                bind(i, x);
            } else if constexpr (std::is_same_v<T, double>) {
                check(sqlite3_bind_double(stmt_, i, x));
            } else if constexpr (std::is_same_v<T, std::string>) {
                bind(i, std::string_view(x));
            } else {
                bind_blob(i, x);
            }
        },
        v);
}

bool Stmt::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Reset before throwing so the statement does not pin a transaction.
    sqlite3_reset(stmt_);
    throw_sqlite(db_, rc, "step");
}

std::string Stmt::text(int c) const {
    const auto* p = sqlite3_column_text(stmt_, c);
    const int n = sqlite3_column_bytes(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string();
}

std::span<const std::uint8_t> Stmt::blob(int c) const {
    const void* p = sqlite3_column_blob(stmt_, c);
    const int n = sqlite3_column_bytes(stmt_, c);
    if (!p) return {};
    return {static_cast<const std::uint8_t*>(p), static_cast<std::size_t>(n)};
}

protocol::Value Stmt::value(int c) const {
    switch (sqlite3_column_type(stmt_, c)) {
        case SQLITE_INTEGER:
            return int64(c);
        case SQLITE_FLOAT:
            return sqlite3_column_double(stmt_, c);
        case SQLITE_TEXT:
            return text(c);
        case SQLITE_BLOB: {
            auto b = blob(c);
            return protocol::Bytes(b.begin(), b.end());
        }
        default:
            return protocol::Value{};
    }
}

void Conn::exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw StoreError((rc & 0xff) == SQLITE_FULL ? Errc::DiskFull : Errc::StorageFailure,
                         "exec: " + msg);
    }
}

StmtUse Conn::use(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) it = cache_.emplace(sql, std::make_unique<Stmt>(db_, sql)).first;
    return StmtUse(*it->second);
}

Txn::Txn(Conn& c) : c_(c) {
    c_.use("BEGIN IMMEDIATE")->run();
}

Txn::~Txn() {
    if (open_) sqlite3_exec(c_.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Txn::commit() {
    c_.use("COMMIT")->run();
    open_ = false;
}

}  // namespace zb::core::store
