// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the zb_crypto tests: fixed test keys, SQL shortcuts that REQUIRE success,
// whole-file reads, and a scan of every file in a directory for a plaintext marker.
// Header-only; included by each test file.
#pragma once

#include "zb/crypto/encrypted_db.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace zb::crypto::test {

inline SecretKey test_key(unsigned char seed) {
    std::array<unsigned char, 32> b{};
    for (std::size_t i = 0; i < b.size(); ++i)
        b[i] = static_cast<unsigned char>(seed + i * 7);
    return SecretKey::from_bytes(b).value();
}

inline void run(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << " -> " << (err ? err : "ok"));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
}

/// Runs SQL and returns the extended result code (no REQUIRE).
inline int try_run(sqlite3* db, const std::string& sql) {
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? rc : sqlite3_extended_errcode(db);
}

/// First column of the first row as int64; the extended rc goes to *rc_out when given.
inline std::int64_t query_int(sqlite3* db, const std::string& sql, int* rc_out = nullptr) {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    std::int64_t v = -1;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            v = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK && rc != SQLITE_DONE) rc = sqlite3_extended_errcode(db);
    sqlite3_finalize(st);
    if (rc_out != nullptr) {
        *rc_out = rc == SQLITE_DONE ? SQLITE_OK : rc;
    } else {
        INFO(sql);
        REQUIRE((rc == SQLITE_OK || rc == SQLITE_DONE));
    }
    return v;
}

inline std::string query_text(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char* t = sqlite3_column_text(st, 0);
        out = t ? reinterpret_cast<const char*>(t) : "";
    }
    sqlite3_finalize(st);
    return out;
}

inline std::vector<unsigned char> read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_all(const std::string& path, const std::vector<unsigned char>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

inline bool contains(const std::vector<unsigned char>& hay, const std::string& needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

/// Names of files in `dir` containing `marker` (every file, including -shm).
inline std::vector<std::string> files_containing(const std::filesystem::path& dir,
                                                 const std::string& marker) {
    std::vector<std::string> hits;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.is_regular_file() && contains(read_all(e.path().string()), marker)) {
            hits.push_back(e.path().filename().string());
        }
    }
    return hits;
}

inline std::size_t file_count(const std::filesystem::path& dir) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        (void)e;
        ++n;
    }
    return n;
}

inline void flip_byte(const std::string& path, std::int64_t offset) {
    auto bytes = read_all(path);
    REQUIRE(offset < static_cast<std::int64_t>(bytes.size()));
    bytes[static_cast<std::size_t>(offset)] ^= 0x5a;
    write_all(path, bytes);
}

}  // namespace zb::crypto::test
