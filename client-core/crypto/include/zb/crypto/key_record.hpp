// SPDX-License-Identifier: Apache-2.0
// The versioned key record (`<db>.zbkey`, JSON): the DEK wrapped by a passphrase KEK derived with
// Argon2id, an optional `pending` slot used during DEK rotation, and atomic replacement (write
// temp, fsync, rename, fsync directory). Wrapping is XChaCha20-Poly1305 with the record header
// as associated data.
#pragma once

#include "zb/crypto/error.hpp"
#include "zb/crypto/secret_key.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zb::crypto {

inline constexpr int kKeyRecordVersion = 1;
inline constexpr const char* kCipherId = "xchacha20poly1305-4k-r40";

/// One passphrase slot: Argon2id parameters, salt, and the wrapped DEK.
struct PassphraseSlot {
    std::uint64_t ops = 0;  ///< crypto_pwhash opslimit
    std::uint64_t mem = 0;  ///< crypto_pwhash memlimit in bytes
    std::array<unsigned char, 16> salt{};
    std::array<unsigned char, 24> nonce{};
    std::array<unsigned char, 48> wrapped{};  ///< 32-byte DEK + 16-byte tag
};

struct KeyRecord {
    int version = kKeyRecordVersion;
    std::string cipher = kCipherId;
    PassphraseSlot current;
    std::optional<PassphraseSlot> pending;
};

/// Derives a KEK with Argon2id at libsodium INTERACTIVE limits and a fresh salt, filling the
/// slot parameters (not yet the wrapped key).
Result<SecretKey> derive_new_kek(std::string_view passphrase, PassphraseSlot& slot);
/// Re-derives the KEK of an existing slot from its stored parameters.
Result<SecretKey> derive_kek(std::string_view passphrase, const PassphraseSlot& slot);
/// Wraps `dek` into `slot` under `kek` with a fresh nonce.
Result<void> wrap_dek(const SecretKey& kek, const SecretKey& dek, PassphraseSlot& slot);
/// Unwraps; WrongPassphrase when the tag does not verify.
Result<SecretKey> unwrap_dek(const SecretKey& kek, const PassphraseSlot& slot);

Result<KeyRecord> load_key_record(const std::string& record_path);
/// Atomic replace: `<path>.tmp`, fsync, rename, fsync directory.
Result<void> store_key_record(const std::string& record_path, const KeyRecord& rec);

}  // namespace zb::crypto
