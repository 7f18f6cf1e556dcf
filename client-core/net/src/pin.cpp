// SPDX-License-Identifier: Apache-2.0
// SPKI pin computation over OpenSSL: DER-encode the certificate's SubjectPublicKeyInfo, hash it
// with SHA-256, render it in base64. Used by the TLS verify callback (beast_transport.cpp) and by
// tests and the CLI to compute the pin of a PEM certificate.
#include "zb/net/pin.hpp"

#include "x509_pin.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>

namespace zb::net {
namespace {

std::string base64(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len < 0 ? 0 : len));
    return out;
}

std::string trim(std::string_view s) {
    while (!s.empty() &&
           (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    return std::string(s);
}

}  // namespace

std::optional<std::string> normalize_pin(std::string_view pin) {
    std::string p = trim(pin);
    constexpr std::string_view kPrefix = "sha256/";
    if (p.rfind(kPrefix, 0) == 0) p.erase(0, kPrefix.size());
    if (p.size() != 44) return std::nullopt;
    unsigned char buf[48];
    int len = EVP_DecodeBlock(buf, reinterpret_cast<const unsigned char*>(p.data()),
                              static_cast<int>(p.size()));
    // EVP_DecodeBlock counts padding bytes as zeros: 44 chars with one '=' decode to 33 bytes.
    if (len != 33 || p[43] != '=' || p[42] == '=') return std::nullopt;
    return p;
}

std::optional<std::string> spki_pin_of_x509(X509* cert) {
    if (!cert) return std::nullopt;
    X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
    if (!spki) return std::nullopt;
    unsigned char* der = nullptr;
    int len = i2d_X509_PUBKEY(spki, &der);
    if (len <= 0 || !der) return std::nullopt;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(der, static_cast<std::size_t>(len), digest);
    OPENSSL_free(der);
    return base64(digest, sizeof digest);
}

std::optional<std::string> spki_pin_of_der(const std::vector<unsigned char>& der) {
    const unsigned char* p = der.data();
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
    if (!cert) return std::nullopt;
    return spki_pin_of_x509(cert.get());
}

std::optional<std::string> spki_pin_of_pem_file(const std::string& path) {
    std::unique_ptr<std::FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "rb"),
                                                         &std::fclose);
    if (!f) return std::nullopt;
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_X509(f.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!cert) return std::nullopt;
    return spki_pin_of_x509(cert.get());
}

bool pin_matches(const std::vector<std::string>& pins, const std::string& pin) {
    auto want = normalize_pin(pin);
    if (!want) return false;
    bool found = false;
    for (const auto& candidate : pins) {
        auto c = normalize_pin(candidate);
        if (!c || c->size() != want->size()) continue;
        if (CRYPTO_memcmp(c->data(), want->data(), c->size()) == 0) found = true;
    }
    return found;
}

}  // namespace zb::net
