// SPDX-License-Identifier: Apache-2.0
// How the C ABI opens a Replica: through zb::core::EncryptedOpener (zb_crypto's encrypting VFS),
// keyed by the raw key or the passphrase from zb_db_config. The Replica only sees core::Result,
// so the opener remembers the typed crypto error of the last failed open; open_replica() turns
// it into ZB_ERR_CRYPTO and friends.

#include "zb/core/encrypted_opener.hpp"

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

}  // namespace

[[noreturn]] void fail_crypto(const crypto::Error& e) {
    fail(status_of_crypto(e.code), e.message, e.sqlite_rc);
}

std::unique_ptr<core::Replica> open_replica(DbState& state) {
    // One opener for phones, the CLI and this ABI: zb::core::EncryptedOpener, over a copy of the
    // secret in guarded memory (the DbState keeps its own for rekey and passphrase changes).
    std::shared_ptr<core::EncryptedOpener> opener;
    if (state.secret.key) {
        auto key = crypto::SecretKey::from_bytes(state.secret.key->bytes());
        if (!key.ok()) fail_crypto(key.error());
        opener = core::EncryptedOpener::with_key(std::move(key).value());
    } else {
        opener = core::EncryptedOpener::with_passphrase(state.secret.passphrase_view());
    }
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
