// SPDX-License-Identifier: Apache-2.0
// Secrets in guarded memory. SecretBuffer owns sodium_malloc'd bytes (guard pages, mlock,
// MADV_DONTDUMP, wiped by sodium_free); SecretKey is a 256-bit key held in one. Both are
// move-only, never printable, and compare only in constant time.
#pragma once

#include "zb/crypto/error.hpp"

#include <cstddef>
#include <span>

namespace zb::crypto {

/// Initialises libsodium once (thread-safe). Throws std::runtime_error if libsodium cannot start.
void init();

/// Move-only owner of sodium_malloc'd memory. Thread-safety: none (one owner).
class SecretBuffer final {
public:
    /// Allocates n bytes of guarded memory; throws std::bad_alloc on failure.
    explicit SecretBuffer(std::size_t n);
    ~SecretBuffer();
    SecretBuffer(SecretBuffer&& other) noexcept;
    SecretBuffer& operator=(SecretBuffer&& other) noexcept;
    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;

    unsigned char* data() { return p_; }
    const unsigned char* data() const { return p_; }
    std::size_t size() const { return n_; }
    bool empty() const { return p_ == nullptr; }
    /// Makes the memory read-only (sodium_mprotect_readonly); writes then fault.
    void protect_readonly();

private:
    unsigned char* p_ = nullptr;
    std::size_t n_ = 0;
};

/// A 256-bit secret key (a database key, DEK, or a key-encryption key, KEK).
/// Ownership: owns its guarded buffer; a moved-from key is empty and must not be used.
class SecretKey final {
public:
    static constexpr std::size_t kSize = 32;

    /// A fresh random key from libsodium's CSPRNG.
    static SecretKey generate();
    /// Copies kSize bytes into guarded memory. Errors: InvalidArgument on a wrong size.
    static Result<SecretKey> from_bytes(std::span<const unsigned char> src);
    /// Copies kSize bytes into guarded memory and wipes the caller's buffer (sodium_memzero).
    static Result<SecretKey> take_bytes(std::span<unsigned char> src);

    std::span<const unsigned char> bytes() const { return {buf_.data(), buf_.size()}; }
    const unsigned char* data() const { return buf_.data(); }
    bool empty() const { return buf_.empty(); }
    /// Constant-time comparison (sodium_memcmp).
    bool equals(const SecretKey& other) const;

private:
    explicit SecretKey(SecretBuffer b) : buf_(std::move(b)) {}
    SecretBuffer buf_;
};

}  // namespace zb::crypto
