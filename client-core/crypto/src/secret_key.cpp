// SPDX-License-Identifier: Apache-2.0
// Guarded secret memory on libsodium: sodium_malloc (guard pages, canary, mlock, no-dump),
// sodium_free (wipes), and constant-time comparison. Also the one-time sodium_init().

#include "zb/crypto/secret_key.hpp"

#include <sodium.h>

#include <mutex>
#include <new>
#include <stdexcept>

namespace zb::crypto {

void init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    });
}

SecretBuffer::SecretBuffer(std::size_t n) : n_(n) {
    init();
    p_ = static_cast<unsigned char*>(sodium_malloc(n));
    if (p_ == nullptr) throw std::bad_alloc();
}

SecretBuffer::~SecretBuffer() {
    if (p_ != nullptr) sodium_free(p_);
}

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept : p_(other.p_), n_(other.n_) {
    other.p_ = nullptr;
    other.n_ = 0;
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
    if (this != &other) {
        if (p_ != nullptr) sodium_free(p_);
        p_ = other.p_;
        n_ = other.n_;
        other.p_ = nullptr;
        other.n_ = 0;
    }
    return *this;
}

void SecretBuffer::protect_readonly() {
    if (p_ != nullptr) sodium_mprotect_readonly(p_);
}

SecretKey SecretKey::generate() {
    SecretBuffer b(kSize);
    randombytes_buf(b.data(), kSize);
    b.protect_readonly();
    return SecretKey(std::move(b));
}

Result<SecretKey> SecretKey::from_bytes(std::span<const unsigned char> src) {
    if (src.size() != kSize) return make_error(Errc::InvalidArgument, "a key is 32 bytes");
    SecretBuffer b(kSize);
    std::copy(src.begin(), src.end(), b.data());
    b.protect_readonly();
    return SecretKey(std::move(b));
}

Result<SecretKey> SecretKey::take_bytes(std::span<unsigned char> src) {
    auto k = from_bytes(src);
    sodium_memzero(src.data(), src.size());
    return k;
}

bool SecretKey::equals(const SecretKey& other) const {
    if (empty() || other.empty()) return false;
    return sodium_memcmp(data(), other.data(), kSize) == 0;
}

}  // namespace zb::crypto
