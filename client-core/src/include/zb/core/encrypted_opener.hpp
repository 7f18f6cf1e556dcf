// SPDX-License-Identifier: Apache-2.0
// The DbOpener phones use: every connection of the replica goes through zb_crypto's encrypting
// VFS, keyed either by the raw 256-bit database key from the platform keystore or by a
// passphrase-wrapped key record (Argon2id), and wipe() crypto-shreds the files. The C ABI, the
// `zhibu` CLI and the demo all open replicas through this one class.
#pragma once

#include "zb/core/db_opener.hpp"
#include "zb/crypto/error.hpp"
#include "zb/crypto/secret_key.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace zb::core {

class EncryptedOpener final : public DbOpener {
public:
    /// Open with a raw database key (moved into guarded memory).
    static std::shared_ptr<EncryptedOpener> with_key(crypto::SecretKey key);
    /// Open with the key record `<db>.zbkey` wrapped under `passphrase`; the record (and a fresh
    /// random key) is created with the database. The passphrase is kept in guarded memory.
    static std::shared_ptr<EncryptedOpener> with_passphrase(std::string_view passphrase);

    /// Errors: StorageFailure carrying the crypto error's message; last_error() has its type.
    Result<std::unique_ptr<Database>> open(const std::string& path) override;
    /// Overwrites and unlinks the database files and its key record (zb::crypto::wipe).
    Result<void> destroy(const std::string& path) override;

    /// The typed crypto error of the last failed open() or destroy(), for callers that must tell
    /// a wrong key from an I/O error (the C ABI). Cleared by a successful call.
    const std::optional<crypto::Error>& last_error() const { return last_error_; }

    EncryptedOpener(std::optional<crypto::SecretKey> key, std::optional<crypto::SecretBuffer> pass);

private:
    std::optional<crypto::SecretKey> key_;
    std::optional<crypto::SecretBuffer> passphrase_;
    std::optional<crypto::Error> last_error_;
};

/// Convenience: an opener over a copy of `len` key bytes (must be 32). Throws
/// std::invalid_argument on a wrong length.
std::shared_ptr<DbOpener> encrypted_opener(const unsigned char* key, std::size_t len);

}  // namespace zb::core
