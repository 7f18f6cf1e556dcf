// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the encrypted page format and the zb-seal VFS: arbitrary bytes are fed
// (1) as a sealed page image to decrypt_page() in every role and at two sizes, and (2) as a
// whole small database file opened through the VFS with a fixed key and queried. Neither path
// may crash, leak or hit UB; failures must come back as errors.

#include "zb/crypto/encrypted_db.hpp"
#include "zb/crypto/page_cipher.hpp"

#include <sqlite3.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

const zb::crypto::SecretKey& fixed_key() {
    static const zb::crypto::SecretKey key = [] {
        std::array<unsigned char, 32> b{};
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = static_cast<unsigned char>(i * 13 + 1);
        return zb::crypto::SecretKey::from_bytes(b).value();
    }();
    return key;
}

const std::string& db_path() {
    static const std::string p = [] {
        const auto dir =
            std::filesystem::temp_directory_path() / ("zb-fuzz-page-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        return (dir / "f.db").string();
    }();
    return p;
}

void fuzz_decrypt(const std::uint8_t* data, std::size_t size) {
    static const auto keys = zb::crypto::PageKeys::derive(fixed_key());
    const std::uint32_t pgno =
        size >= 4 ? (std::uint32_t{data[0]} | std::uint32_t{data[1]} << 8) + 1 : 1;
    std::vector<unsigned char> out(size);
    for (auto role :
         {zb::crypto::FileRole::Db, zb::crypto::FileRole::Wal, zb::crypto::FileRole::Journal}) {
        // As given (any size, mostly rejected), and as a 4096-byte page (padded or cut).
        (void)zb::crypto::decrypt_page(*keys, role, pgno, {data, size}, out);
        std::vector<unsigned char> page(4096, 0);
        std::copy(data, data + std::min<std::size_t>(size, page.size()), page.begin());
        (void)zb::crypto::decrypt_page(*keys, role, pgno, page, page);
    }
}

void fuzz_file(const std::uint8_t* data, std::size_t size) {
    const std::string& path = db_path();
    for (const char* sfx : {"", "-wal", "-shm", "-journal"})
        std::remove((path + sfx).c_str());
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    zb::crypto::OpenOptions o;
    o.create = false;
    o.journal = zb::crypto::JournalMode::Delete;
    auto db = zb::crypto::EncryptedDb::open(path, fixed_key(), o);
    if (!db.ok()) return;
    for (const char* sql : {"PRAGMA integrity_check", "SELECT * FROM sqlite_schema",
                            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"}) {
        (void)sqlite3_exec(db->handle(), sql, nullptr, nullptr, nullptr);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz_decrypt(data, size);
    if (size <= 64 * 1024) fuzz_file(data, size);
    return 0;
}
