// SPDX-License-Identifier: Apache-2.0
// EncryptedOpener: adapts zb::crypto::EncryptedDb to the replica's DbOpener seam (see header).
#include "zb/core/encrypted_opener.hpp"

#include "zb/crypto/encrypted_db.hpp"

#include <cstring>
#include <span>
#include <stdexcept>
#include <utility>

namespace zb::core {

namespace {

class SealedDatabase final : public Database {
public:
    explicit SealedDatabase(crypto::EncryptedDb db) : db_(std::move(db)) {}
    sqlite3* handle() override { return db_.handle(); }

private:
    crypto::EncryptedDb db_;
};

}  // namespace

EncryptedOpener::EncryptedOpener(std::optional<crypto::SecretKey> key,
                                 std::optional<crypto::SecretBuffer> pass)
    : key_(std::move(key)), passphrase_(std::move(pass)) {}

std::shared_ptr<EncryptedOpener> EncryptedOpener::with_key(crypto::SecretKey key) {
    return std::make_shared<EncryptedOpener>(std::move(key), std::nullopt);
}

std::shared_ptr<EncryptedOpener> EncryptedOpener::with_passphrase(std::string_view passphrase) {
    crypto::init();
    crypto::SecretBuffer buf(passphrase.size());
    if (!passphrase.empty()) std::memcpy(buf.data(), passphrase.data(), passphrase.size());
    return std::make_shared<EncryptedOpener>(std::nullopt, std::move(buf));
}

Result<std::unique_ptr<Database>> EncryptedOpener::open(const std::string& path) {
    auto r = key_ ? crypto::EncryptedDb::open(path, *key_)
                  : crypto::open_with_passphrase(
                        path, std::string_view(reinterpret_cast<const char*>(passphrase_->data()),
                                               passphrase_->size()));
    if (!r.ok()) {
        last_error_ = r.error();
        return Error{Errc::StorageFailure, r.error().message};
    }
    last_error_.reset();
    return std::unique_ptr<Database>(std::make_unique<SealedDatabase>(std::move(r).value()));
}

Result<void> EncryptedOpener::destroy(const std::string& path) {
    auto r = crypto::wipe(path);
    if (!r.ok()) {
        last_error_ = r.error();
        return Error{Errc::StorageFailure, r.error().message};
    }
    last_error_.reset();
    return {};
}

std::shared_ptr<DbOpener> encrypted_opener(const unsigned char* key, std::size_t len) {
    crypto::init();
    auto k = crypto::SecretKey::from_bytes(std::span<const unsigned char>(key, len));
    if (!k.ok()) throw std::invalid_argument("database key must be 32 bytes");
    return EncryptedOpener::with_key(std::move(k).value());
}

}  // namespace zb::core
