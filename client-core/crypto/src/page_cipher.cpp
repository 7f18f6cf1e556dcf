// SPDX-License-Identifier: Apache-2.0
// Page format v1: XChaCha20-Poly1305 (detached) over the usable area of a page, nonce and tag
// in the 40 reserved bytes, and AD binding format, cipher, file role, page number and page size
// (plus page 1's clear header). Pure functions over buffers; no allocation on the hot path.

#include "zb/crypto/page_cipher.hpp"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <pthread.h>

namespace zb::crypto {

static_assert(kNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(SecretKey::kSize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(crypto_shorthash_KEYBYTES == 16 && crypto_shorthash_BYTES == 8);

namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "zbseal01";
constexpr std::size_t kAdFixed = 4 + 1 + 1 + 1 + 4 + 4;
constexpr std::size_t kAdMax = kAdFixed + kPlainHeaderBytes;

void put_le32(unsigned char* p, std::uint32_t v) {
    p[0] = static_cast<unsigned char>(v);
    p[1] = static_cast<unsigned char>(v >> 8);
    p[2] = static_cast<unsigned char>(v >> 16);
    p[3] = static_cast<unsigned char>(v >> 24);
}

bool valid_size(std::size_t in, std::size_t out) {
    return in == out && in >= kMinPageSize && in <= kMaxPageSize;
}

// Builds the AD into `ad` and returns its length. `page1_header` is the clear header of page 1.
std::size_t build_ad(unsigned char* ad, FileRole role, std::uint32_t pgno, std::size_t size,
                     const unsigned char* page1_header) {
    std::memcpy(ad, "SQLP", 4);
    ad[4] = 1;  // format version
    ad[5] = 1;  // cipher id: xchacha20poly1305-ietf
    ad[6] = static_cast<unsigned char>(role);
    put_le32(ad + 7, pgno);
    put_le32(ad + 11, static_cast<std::uint32_t>(size));
    if (pgno != 1) return kAdFixed;
    std::memcpy(ad + kAdFixed, page1_header, kPlainHeaderBytes);
    return kAdMax;
}

// Nonces come from the OS CSPRNG in 4080-byte batches (one getrandom call per 170 page writes
// instead of one per page). The batch is per thread and wiped as it is used; a pthread_atfork
// child handler bumps a generation so that a forked child never reuses its parent's batch.
std::atomic<unsigned> g_fork_generation{0};

void next_nonce(unsigned char* nonce) {
    static std::once_flag once;
    std::call_once(
        once, [] { pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1); }); });
    constexpr std::size_t kBatch = kNonceBytes * 170;
    struct Pool {
        unsigned char bytes[kBatch];
        std::size_t used = kBatch;
        unsigned generation = 0;
        ~Pool() { sodium_memzero(bytes, sizeof bytes); }
    };
    thread_local Pool pool;
    const unsigned gen = g_fork_generation.load(std::memory_order_relaxed);
    if (pool.used + kNonceBytes > kBatch || pool.generation != gen) {
        randombytes_buf(pool.bytes, kBatch);
        pool.used = 0;
        pool.generation = gen;
    }
    std::memcpy(nonce, pool.bytes + pool.used, kNonceBytes);
    sodium_memzero(pool.bytes + pool.used, kNonceBytes);
    pool.used += kNonceBytes;
}

}  // namespace

std::shared_ptr<const PageKeys> PageKeys::derive(const SecretKey& dek) {
    SecretBuffer b(32 + crypto_shorthash_KEYBYTES);
    crypto_kdf_derive_from_key(b.data(), 32, 1, kKdfContext, dek.data());
    crypto_kdf_derive_from_key(b.data() + 32, crypto_shorthash_KEYBYTES, 2, kKdfContext,
                               dek.data());
    b.protect_readonly();
    return std::make_shared<const PageKeys>(std::move(b));
}

bool PageKeys::same_as(const PageKeys& other) const {
    return sodium_memcmp(buf_.data(), other.buf_.data(), buf_.size()) == 0;
}

bool encrypt_page(const PageKeys& keys, FileRole role, std::uint32_t pgno,
                  std::span<const unsigned char> in, std::span<unsigned char> out) {
    if (!valid_size(in.size(), out.size()) || pgno == 0) return false;
    const std::size_t n = in.size();
    const std::size_t usable = n - kReserveBytes;
    const std::size_t start = pgno == 1 ? kPlainHeaderBytes : 0;
    unsigned char ad[kAdMax];
    // The clear header must be read before an in-place encryption overwrites anything after it.
    if (start > 0 && out.data() != in.data()) std::memcpy(out.data(), in.data(), start);
    const std::size_t ad_len = build_ad(ad, role, pgno, n, in.data());
    unsigned char nonce[kNonceBytes];
    next_nonce(nonce);
    unsigned long long tag_len = 0;
    const int rc = crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
        out.data() + start, out.data() + usable + kNonceBytes, &tag_len, in.data() + start,
        usable - start, ad, ad_len, nullptr, nonce, keys.page_key());
    std::memcpy(out.data() + usable, nonce, kNonceBytes);
    return rc == 0 && tag_len == kTagBytes;
}

bool decrypt_page(const PageKeys& keys, FileRole role, std::uint32_t pgno,
                  std::span<const unsigned char> in, std::span<unsigned char> out) {
    if (!valid_size(in.size(), out.size()) || pgno == 0) {
        std::fill(out.begin(), out.end(), 0);
        return false;
    }
    const std::size_t n = in.size();
    const std::size_t usable = n - kReserveBytes;
    const std::size_t start = pgno == 1 ? kPlainHeaderBytes : 0;
    unsigned char ad[kAdMax];
    const std::size_t ad_len = build_ad(ad, role, pgno, n, in.data());
    // Copy nonce and tag out first: an in-place decryption must not depend on bytes it writes.
    unsigned char nonce[kNonceBytes];
    unsigned char tag[kTagBytes];
    std::memcpy(nonce, in.data() + usable, kNonceBytes);
    std::memcpy(tag, in.data() + usable + kNonceBytes, kTagBytes);
    const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
        out.data() + start, nullptr, in.data() + start, usable - start, tag, ad, ad_len, nonce,
        keys.page_key());
    if (rc != 0) {
        sodium_memzero(out.data(), out.size());
        return false;
    }
    if (start > 0 && out.data() != in.data()) std::memcpy(out.data(), in.data(), start);
    // The reserve comes back zeroed, as SQLite created it: no ciphertext artefacts in the page
    // cache, and the WAL checksum SQLite computes stays a function of the plaintext alone.
    std::memset(out.data() + usable, 0, kReserveBytes);
    return true;
}

bool decrypt_page(const SecretKey& dek, FileRole role, std::uint32_t pgno,
                  std::span<const unsigned char> in, std::span<unsigned char> out) {
    const auto keys = PageKeys::derive(dek);
    return decrypt_page(*keys, role, pgno, in, out);
}

void wal_checksum_mask(const PageKeys& keys, const unsigned char* salts8, std::uint32_t frame,
                       unsigned char* mask8) {
    unsigned char msg[16];
    std::memcpy(msg, salts8, 8);
    put_le32(msg + 8, frame);
    std::memcpy(msg + 12, "WALC", 4);
    crypto_shorthash(mask8, msg, sizeof msg, keys.mask_key());
}

}  // namespace zb::crypto
