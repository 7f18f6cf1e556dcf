// SPDX-License-Identifier: Apache-2.0
// Key record v1: JSON {v, cipher, current, pending?}; each slot holds Argon2id parameters
// (alg, ops, mem), a 16-byte salt, a 24-byte nonce and the XChaCha20-Poly1305-wrapped DEK, all
// base64. The AD of each wrap is "zbkr1|<cipher>|argon2id13|<ops>|<mem>|<salt b64>", so a slot's
// parameters cannot be edited without the unwrap failing.

#include "zb/crypto/key_record.hpp"

#include "file_util.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <string>

namespace zb::crypto {

namespace {

constexpr std::size_t kMaxRecordBytes = 16 * 1024;

template <std::size_t N>
std::string b64(const std::array<unsigned char, N>& a) {
    std::string out(sodium_base64_encoded_len(N, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), a.data(), N, sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1);  // drop the terminating NUL
    return out;
}

template <std::size_t N>
bool unb64(const std::string& s, std::array<unsigned char, N>& a) {
    std::size_t len = 0;
    if (sodium_base642bin(a.data(), N, s.data(), s.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        return false;
    }
    return len == N;
}

std::string slot_ad(const PassphraseSlot& s) {
    return "zbkr1|" + std::string(kCipherId) + "|argon2id13|" + std::to_string(s.ops) + "|" +
           std::to_string(s.mem) + "|" + b64(s.salt);
}

nlohmann::json slot_to_json(const PassphraseSlot& s) {
    return nlohmann::json{{"kdf", "argon2id13"},   {"ops", s.ops},
                          {"mem", s.mem},          {"salt", b64(s.salt)},
                          {"nonce", b64(s.nonce)}, {"wrapped", b64(s.wrapped)}};
}

bool slot_from_json(const nlohmann::json& j, PassphraseSlot& s) {
    if (!j.is_object() || j.value("kdf", "") != "argon2id13") return false;
    if (!j.contains("ops") || !j["ops"].is_number_unsigned()) return false;
    if (!j.contains("mem") || !j["mem"].is_number_unsigned()) return false;
    s.ops = j["ops"].get<std::uint64_t>();
    s.mem = j["mem"].get<std::uint64_t>();
    if (s.ops < crypto_pwhash_OPSLIMIT_MIN || s.ops > crypto_pwhash_OPSLIMIT_SENSITIVE * 4 ||
        s.mem < crypto_pwhash_MEMLIMIT_MIN || s.mem > crypto_pwhash_MEMLIMIT_SENSITIVE) {
        return false;
    }
    for (const char* k : {"salt", "nonce", "wrapped"}) {
        if (!j.contains(k) || !j[k].is_string()) return false;
    }
    return unb64(j["salt"].get<std::string>(), s.salt) &&
           unb64(j["nonce"].get<std::string>(), s.nonce) &&
           unb64(j["wrapped"].get<std::string>(), s.wrapped);
}

}  // namespace

Result<SecretKey> derive_kek(std::string_view passphrase, const PassphraseSlot& slot) {
    init();
    SecretBuffer b(SecretKey::kSize);
    if (crypto_pwhash(b.data(), SecretKey::kSize, passphrase.data(), passphrase.size(),
                      slot.salt.data(), slot.ops, static_cast<std::size_t>(slot.mem),
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return make_error(Errc::Internal, "Argon2id failed (out of memory?)");
    }
    auto k = SecretKey::from_bytes({b.data(), b.size()});
    return k;
}

Result<SecretKey> derive_new_kek(std::string_view passphrase, PassphraseSlot& slot) {
    init();
    slot.ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    slot.mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    randombytes_buf(slot.salt.data(), slot.salt.size());
    return derive_kek(passphrase, slot);
}

Result<void> wrap_dek(const SecretKey& kek, const SecretKey& dek, PassphraseSlot& slot) {
    randombytes_buf(slot.nonce.data(), slot.nonce.size());
    const std::string ad = slot_ad(slot);
    unsigned long long len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(
            slot.wrapped.data(), &len, dek.data(), SecretKey::kSize,
            reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
            slot.nonce.data(), kek.data()) != 0 ||
        len != slot.wrapped.size()) {
        return make_error(Errc::Internal, "wrap failed");
    }
    return {};
}

Result<SecretKey> unwrap_dek(const SecretKey& kek, const PassphraseSlot& slot) {
    SecretBuffer b(SecretKey::kSize);
    const std::string ad = slot_ad(slot);
    unsigned long long len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            b.data(), &len, nullptr, slot.wrapped.data(), slot.wrapped.size(),
            reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), slot.nonce.data(),
            kek.data()) != 0 ||
        len != SecretKey::kSize) {
        return make_error(Errc::WrongPassphrase, "the passphrase does not unlock the key record");
    }
    return SecretKey::from_bytes({b.data(), b.size()});
}

Result<KeyRecord> load_key_record(const std::string& record_path) {
    auto text = detail::read_small_file(record_path, kMaxRecordBytes);
    if (!text) return text.error();
    const auto j = nlohmann::json::parse(text.value(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        return make_error(Errc::BadKeyRecord, "key record is not JSON: " + record_path);
    }
    KeyRecord rec;
    if (!j.contains("v") || !j["v"].is_number_integer() || j["v"].get<int>() != kKeyRecordVersion) {
        return make_error(Errc::BadKeyRecord, "unsupported key record version");
    }
    if (j.value("cipher", "") != kCipherId) {
        return make_error(Errc::BadKeyRecord, "unsupported cipher in key record");
    }
    if (!j.contains("current") || !slot_from_json(j["current"], rec.current)) {
        return make_error(Errc::BadKeyRecord, "malformed current slot");
    }
    if (j.contains("pending") && !j["pending"].is_null()) {
        PassphraseSlot p;
        if (!slot_from_json(j["pending"], p)) {
            return make_error(Errc::BadKeyRecord, "malformed pending slot");
        }
        rec.pending = p;
    }
    return rec;
}

Result<void> store_key_record(const std::string& record_path, const KeyRecord& rec) {
    nlohmann::json j{{"v", rec.version},
                     {"cipher", rec.cipher},
                     {"current", slot_to_json(rec.current)},
                     {"pending", rec.pending ? slot_to_json(*rec.pending) : nlohmann::json()}};
    return detail::write_file_atomic(record_path, j.dump(2) + "\n");
}

}  // namespace zb::crypto
