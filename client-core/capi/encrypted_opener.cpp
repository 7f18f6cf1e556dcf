// SPDX-License-Identifier: Apache-2.0
// The DbOpener the C ABI gives the Replica: every connection goes through zb_crypto's encrypting
// VFS, keyed by the raw key or the passphrase from zb_db_config, and wipe() crypto-shreds the
// files. The Replica only sees core::Result, so the opener remembers the typed crypto error of
// the last failed open; open_replica() turns it into ZB_ERR_CRYPTO and friends.

#include "handles.hpp"

#include "zb/crypto/encrypted_db.hpp"
#include "zb/domain/schema.hpp"

#include <string>
#include <utility>

namespace zb::capi {
namespace {

zb_status status_of_crypto(crypto::Errc e) {
    switch (e) {
        case crypto::Errc::Ok:
            return ZB_OK;
        // Opaque on purpose: a wrong key and a tampered page are indistinguishable to callers.
        case crypto::Errc::WrongKey:
        case crypto::Errc::WrongPassphrase:
        case crypto::Errc::Corrupt:
            return ZB_ERR_CRYPTO;
        case crypto::Errc::Truncated:
        case crypto::Errc::NotEncrypted:
        case crypto::Errc::BadKeyRecord:
            return ZB_ERR_CORRUPT;
        case crypto::Errc::KeyConflict:
        case crypto::Errc::Busy:
            return ZB_ERR_BUSY;
        case crypto::Errc::Io:
            return ZB_ERR_IO;
        case crypto::Errc::Sqlite:
            return ZB_ERR_STORAGE;
        case crypto::Errc::InvalidArgument:
            return ZB_ERR_INVALID_ARGUMENT;
        case crypto::Errc::NoKey:
        case crypto::Errc::Internal:
            return ZB_ERR_INTERNAL;
    }
    return ZB_ERR_INTERNAL;
}

class EncryptedDatabase final : public core::Database {
public:
    explicit EncryptedDatabase(crypto::EncryptedDb db) : db_(std::move(db)) {}
    sqlite3* handle() override { return db_.handle(); }

private:
    crypto::EncryptedDb db_;
};

class EncryptedOpener final : public core::DbOpener {
public:
    explicit EncryptedOpener(const Secret& secret) : secret_(secret) {}

    core::Result<std::unique_ptr<core::Database>> open(const std::string& path) override {
        crypto::Result<crypto::EncryptedDb> r =
            secret_.key ? crypto::EncryptedDb::open(path, *secret_.key)
                        : crypto::open_with_passphrase(path, secret_.passphrase_view());
        if (!r.ok()) {
            last_error_ = r.error();
            return core::Error{core::Errc::StorageFailure, r.error().message};
        }
        return std::unique_ptr<core::Database>(
            std::make_unique<EncryptedDatabase>(std::move(r).value()));
    }

    core::Result<void> destroy(const std::string& path) override {
        auto r = crypto::wipe(path);
        if (!r.ok()) return core::Error{core::Errc::StorageFailure, r.error().message};
        return {};
    }

    const std::optional<crypto::Error>& last_error() const { return last_error_; }

private:
    const Secret& secret_;  // owned by the DbState, which outlives the Replica and this opener
    std::optional<crypto::Error> last_error_;
};

}  // namespace

[[noreturn]] void fail_crypto(const crypto::Error& e) {
    fail(status_of_crypto(e.code), e.message, e.sqlite_rc);
}

std::unique_ptr<core::Replica> open_replica(DbState& state) {
    auto opener = std::make_shared<EncryptedOpener>(state.secret);
    core::Options options;
    options.path = state.path;
    options.schema = domain::make_schema();
    options.opener = opener;
    auto r = core::Replica::open(std::move(options));
    if (!r.ok()) {
        if (opener->last_error()) fail_crypto(*opener->last_error());
        fail_with(r.error());
    }
    return std::move(r).value();
}

}  // namespace zb::capi
