// SPDX-License-Identifier: Apache-2.0
// libsodium helpers: hashing, device ids, signature checks, base64 and the sealing of sensitive
// values at rest. Sealed value layout: nonce (24) || XChaCha20-Poly1305(type byte || payload).
#include "zb/server/crypto.hpp"

#include <sodium.h>

#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <sys/stat.h>

namespace zb::server {

void crypto_init() {
    static std::once_flag once;
    static int rc = 0;
    std::call_once(once, [] { rc = sodium_init(); });
    if (rc < 0) throw std::runtime_error("sodium_init failed");
}

Bytes random_bytes(std::size_t n) {
    crypto_init();
    Bytes b(n);
    randombytes_buf(b.data(), b.size());
    return b;
}

Hash blake2b(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    crypto_init();
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 32);
    crypto_generichash_update(&st, a.data(), a.size());
    if (!b.empty()) crypto_generichash_update(&st, b.data(), b.size());
    Hash h{};
    crypto_generichash_final(&st, h.data(), h.size());
    return h;
}

Hash blake2b(std::string_view text) {
    return blake2b(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

DeviceId device_id_from_key(std::span<const std::uint8_t> public_key) {
    Hash h = blake2b(public_key);
    DeviceId id = 0;
    for (int i = 7; i >= 0; --i)
        id = (id << 8) | h[static_cast<std::size_t>(i)];
    return id;
}

bool verify_signature(std::span<const std::uint8_t> message, std::span<const std::uint8_t> sig,
                      std::span<const std::uint8_t> public_key) {
    crypto_init();
    if (sig.size() != crypto_sign_BYTES || public_key.size() != crypto_sign_PUBLICKEYBYTES)
        return false;
    return crypto_sign_verify_detached(sig.data(), message.data(), message.size(),
                                       public_key.data()) == 0;
}

static std::string b64(std::span<const std::uint8_t> bytes, int variant) {
    crypto_init();
    std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::string base64(std::span<const std::uint8_t> bytes) {
    return b64(bytes, sodium_base64_VARIANT_ORIGINAL);
}
std::string base64url(std::span<const std::uint8_t> bytes) {
    return b64(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<Bytes> base64_decode(std::string_view text) {
    crypto_init();
    Bytes out(text.size());
    for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
        std::size_t len = 0;
        const char* end = nullptr;
        if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), " \n\r\t", &len,
                              &end, variant) == 0 &&
            end == text.data() + text.size()) {
            out.resize(len);
            return out;
        }
    }
    return std::nullopt;
}

std::string hex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(bytes.size() * 2);
    for (auto b : bytes) {
        s.push_back(kDigits[b >> 4]);
        s.push_back(kDigits[b & 15]);
    }
    return s;
}

// ---- SecretKey ----

SecretKey::SecretKey() {
    crypto_init();
    p_ = static_cast<std::uint8_t*>(sodium_malloc(32));
    if (!p_) throw std::bad_alloc();
    sodium_memzero(p_, 32);
}
SecretKey::~SecretKey() {
    if (p_) sodium_free(p_);
}
SecretKey::SecretKey(SecretKey&& o) noexcept : p_(o.p_) {
    o.p_ = nullptr;
}
SecretKey& SecretKey::operator=(SecretKey&& o) noexcept {
    if (this != &o) {
        if (p_) sodium_free(p_);
        p_ = o.p_;
        o.p_ = nullptr;
    }
    return *this;
}
SecretKey SecretKey::generate() {
    SecretKey k;
    randombytes_buf(k.p_, 32);
    return k;
}
std::optional<SecretKey> SecretKey::from_bytes(std::span<const std::uint8_t> bytes) {
    if (bytes.size() != 32) return std::nullopt;
    SecretKey k;
    std::memcpy(k.p_, bytes.data(), 32);
    return k;
}
std::span<const std::uint8_t> SecretKey::bytes() const {
    return {p_, p_ ? std::size_t{32} : std::size_t{0}};
}

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32);

static Bytes value_bytes(const protocol::Value& v) {
    Bytes out;
    out.push_back(static_cast<std::uint8_t>(v.index()));
    switch (v.index()) {
        case 1: {
            auto x = static_cast<std::uint64_t>(std::get<1>(v));
            for (int i = 0; i < 8; ++i)
                out.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
            break;
        }
        case 2: {
            std::uint64_t x = 0;
            double d = std::get<2>(v);
            std::memcpy(&x, &d, 8);
            for (int i = 0; i < 8; ++i)
                out.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
            break;
        }
        case 3: {
            const auto& s = std::get<3>(v);
            out.insert(out.end(), s.begin(), s.end());
            break;
        }
        case 4: {
            const auto& b = std::get<4>(v);
            out.insert(out.end(), b.begin(), b.end());
            break;
        }
        default:
            break;
    }
    return out;
}

static std::optional<protocol::Value> value_from_bytes(std::span<const std::uint8_t> b) {
    if (b.empty()) return std::nullopt;
    auto payload = b.subspan(1);
    auto u64 = [&] {
        std::uint64_t x = 0;
        for (int i = 7; i >= 0; --i)
            x = (x << 8) | payload[static_cast<std::size_t>(i)];
        return x;
    };
    switch (b[0]) {
        case 0:
            return protocol::Value{};
        case 1:
            if (payload.size() != 8) return std::nullopt;
            return protocol::Value{static_cast<std::int64_t>(u64())};
        case 2: {
            if (payload.size() != 8) return std::nullopt;
            std::uint64_t x = u64();
            double d = 0;
            std::memcpy(&d, &x, 8);
            return protocol::Value{d};
        }
        case 3:
            return protocol::Value{std::string(payload.begin(), payload.end())};
        case 4:
            return protocol::Value{Bytes(payload.begin(), payload.end())};
        default:
            return std::nullopt;
    }
}

Bytes seal_value(const SecretKey& key, const protocol::Value& v, std::string_view ad) {
    crypto_init();
    Bytes plain = value_bytes(v);
    Bytes out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size() +
              crypto_aead_xchacha20poly1305_ietf_ABYTES);
    randombytes_buf(out.data(), crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        out.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, plain.data(),
        plain.size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
        out.data(), key.bytes().data());
    sodium_memzero(plain.data(), plain.size());
    return out;
}

std::optional<protocol::Value> open_value(const SecretKey& key,
                                          std::span<const std::uint8_t> sealed,
                                          std::string_view ad) {
    crypto_init();
    constexpr std::size_t kN = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    constexpr std::size_t kA = crypto_aead_xchacha20poly1305_ietf_ABYTES;
    if (sealed.size() < kN + kA + 1) return std::nullopt;
    Bytes plain(sealed.size() - kN - kA);
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain.data(), &plen, nullptr, sealed.data() + kN, sealed.size() - kN,
            reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), sealed.data(),
            key.bytes().data()) != 0)
        return std::nullopt;
    auto v = value_from_bytes(std::span(plain.data(), static_cast<std::size_t>(plen)));
    sodium_memzero(plain.data(), plain.size());
    return v;
}

SecretKey load_master_key(const std::string& path, bool create) {
    crypto_init();
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (!create) throw std::runtime_error("master key file not found: " + path);
        SecretKey k = SecretKey::generate();
        std::string text = base64(k.bytes()) + "\n";
        {
            std::ofstream out(path, std::ios::binary | std::ios::trunc);
            if (!out) throw std::runtime_error("cannot create master key file: " + path);
            out << text;
        }
        ::chmod(path.c_str(), 0600);
        sodium_memzero(text.data(), text.size());
        return k;
    }
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::optional<SecretKey> k;
    if (content.size() == 32) {
        k = SecretKey::from_bytes(
            std::span(reinterpret_cast<const std::uint8_t*>(content.data()), content.size()));
    } else if (auto raw = base64_decode(content)) {
        k = SecretKey::from_bytes(*raw);
        sodium_memzero(raw->data(), raw->size());
    }
    sodium_memzero(content.data(), content.size());
    if (!k) throw std::runtime_error("master key file must hold 32 bytes (raw or base64): " + path);
    return std::move(*k);
}

}  // namespace zb::server
