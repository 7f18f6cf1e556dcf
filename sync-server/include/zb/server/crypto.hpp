// SPDX-License-Identifier: Apache-2.0
// libsodium helpers used by the server: randomness, BLAKE2b hashing, device ids from Ed25519 keys,
// signature checks, base64, and the at-rest sealing of sensitive cell values with the server's
// master key (XChaCha20-Poly1305, the cell's address as associated data).
#pragma once

#include "zb/protocol/change.hpp"
#include "zb/protocol/value.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace zb::server {

using protocol::Bytes;
using protocol::DeviceId;
using Hash = std::array<std::uint8_t, 32>;

/// Initialise libsodium once (thread-safe). Throws std::runtime_error if it cannot.
void crypto_init();

Bytes random_bytes(std::size_t n);
/// BLAKE2b-256 of a || b.
Hash blake2b(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {});
Hash blake2b(std::string_view text);

/// First 8 bytes, little-endian, of BLAKE2b-256(public key): the protocol's device id.
DeviceId device_id_from_key(std::span<const std::uint8_t> public_key);

/// crypto_sign_verify_detached; false for wrong sizes.
bool verify_signature(std::span<const std::uint8_t> message, std::span<const std::uint8_t> sig,
                      std::span<const std::uint8_t> public_key);

std::string base64(std::span<const std::uint8_t> bytes);     ///< standard alphabet, padded
std::string base64url(std::span<const std::uint8_t> bytes);  ///< URL alphabet, no padding
std::optional<Bytes> base64_decode(std::string_view text);   ///< accepts both alphabets
std::string hex(std::span<const std::uint8_t> bytes);

/// A 32-byte key kept in sodium_malloc memory; wiped on destruction. Move-only.
class SecretKey {
public:
    SecretKey();
    ~SecretKey();
    SecretKey(SecretKey&& o) noexcept;
    SecretKey& operator=(SecretKey&& o) noexcept;
    SecretKey(const SecretKey&) = delete;
    SecretKey& operator=(const SecretKey&) = delete;

    static SecretKey generate();
    static std::optional<SecretKey> from_bytes(std::span<const std::uint8_t> bytes);
    std::span<const std::uint8_t> bytes() const;

private:
    std::uint8_t* p_ = nullptr;
};

/// Seal / open one value; `ad` binds the ciphertext to its cell. open() returns nullopt on any
/// authentication failure.
Bytes seal_value(const SecretKey& key, const protocol::Value& v, std::string_view ad);
std::optional<protocol::Value> open_value(const SecretKey& key,
                                          std::span<const std::uint8_t> sealed,
                                          std::string_view ad);

/// Load a master key from a file holding 32 raw bytes or their base64; create one (mode 0600)
/// when `create` and the file is absent. Throws std::runtime_error with the reason.
SecretKey load_master_key(const std::string& path, bool create);

}  // namespace zb::server
