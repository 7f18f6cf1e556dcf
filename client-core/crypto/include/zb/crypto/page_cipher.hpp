// SPDX-License-Identifier: Apache-2.0
// The page format v1 as pure functions: seal and open one SQLite page image with
// XChaCha20-Poly1305, nonce and tag in the page's 40 reserved bytes, page number, file role and
// page size bound as associated data, and page 1's first 32 bytes left in clear but authenticated.
// The VFS shim (seal_vfs.cpp) and the fuzz target both call these; they never touch files.
#pragma once

#include "zb/crypto/secret_key.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace zb::crypto {

inline constexpr std::size_t kNonceBytes = 24;        ///< XChaCha20 nonce
inline constexpr std::size_t kTagBytes = 16;          ///< Poly1305 tag
inline constexpr std::size_t kReserveBytes = 40;      ///< SQLite reserve byte value we require
inline constexpr std::size_t kPlainHeaderBytes = 32;  ///< page 1 bytes left in clear (iOS)
inline constexpr std::size_t kDefaultPageSize = 4096;
inline constexpr std::size_t kMinPageSize = 512;
inline constexpr std::size_t kMaxPageSize = 65536;
static_assert(kNonceBytes + kTagBytes == kReserveBytes);

/// Which file a page image lives in; bound into the AD so images cannot be transplanted.
enum class FileRole : std::uint8_t { Db = 'D', Wal = 'W', Journal = 'J' };

/// Subkeys derived from a DEK with crypto_kdf (context "zbseal01"): id 1 the 256-bit page key,
/// id 2 the 128-bit SipHash key that masks WAL frame checksums. Immutable after derivation, so
/// one instance may be shared by every file of a database across threads.
class PageKeys final {
public:
    static std::shared_ptr<const PageKeys> derive(const SecretKey& dek);

    const unsigned char* page_key() const { return buf_.data(); }
    const unsigned char* mask_key() const { return buf_.data() + 32; }
    /// Constant-time: were both derived from the same DEK?
    bool same_as(const PageKeys& other) const;

    explicit PageKeys(SecretBuffer b) : buf_(std::move(b)) {}

private:
    SecretBuffer buf_;
};

/// Seals one page image. `in` and `out` have the same size (a page size between 512 and 65536)
/// and may be the same buffer. A fresh random nonce is drawn on every call. Returns false on a
/// bad size. Layout of `out`: [ciphertext of 0..n-40 (page 1: bytes 0..31 copied in clear)]
/// [nonce 24][tag 16]. AD = "SQLP" | fmt 1 | cipher 1 | role | pgno LE32 | size LE32
/// | (page 1 only) plaintext bytes 0..31.
[[nodiscard]] bool encrypt_page(const PageKeys& keys, FileRole role, std::uint32_t pgno,
                                std::span<const unsigned char> in, std::span<unsigned char> out);

/// Opens one page image sealed by encrypt_page. Returns false (and leaves `out` zeroed) on a bad
/// size or an authentication failure; never returns unverified plaintext. In-place is allowed.
/// On success the 40 reserved bytes of `out` are zero.
[[nodiscard]] bool decrypt_page(const PageKeys& keys, FileRole role, std::uint32_t pgno,
                                std::span<const unsigned char> in, std::span<unsigned char> out);

/// Convenience overload for tools and fuzzing: derives the subkeys from `dek` on every call.
[[nodiscard]] bool decrypt_page(const SecretKey& dek, FileRole role, std::uint32_t pgno,
                                std::span<const unsigned char> in, std::span<unsigned char> out);

/// The 8-byte mask XORed over a WAL frame header's checksum (header bytes 16..23):
/// SipHash-2-4(mask_key, salt1 | salt2 | frame index LE32 | "WALC").
void wal_checksum_mask(const PageKeys& keys, const unsigned char* salts8, std::uint32_t frame,
                       unsigned char* mask8);

}  // namespace zb::crypto
