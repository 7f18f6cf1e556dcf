// SPDX-License-Identifier: Apache-2.0
// Development certificate generation and SPKI pins with OpenSSL's C API (OpenSSL 3). The key is a
// P-256 EC key; the certificate is self-signed for CN=localhost with SANs localhost and 127.0.0.1.
#include "zb/server/tls.hpp"

#include "zb/server/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <sys/stat.h>

namespace zb::server {

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};
struct FileClose {
    void operator()(FILE* f) const { std::fclose(f); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using File = std::unique_ptr<FILE, FileClose>;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("tls: " + what);
}

void add_ext(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ex = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ex) fail("extension");
    X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
}

std::string pin_of(X509* cert) {
    EVP_PKEY* key = X509_get0_pubkey(cert);
    if (!key) fail("certificate without a public key");
    int len = i2d_PUBKEY(key, nullptr);
    if (len <= 0) fail("i2d_PUBKEY");
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    i2d_PUBKEY(key, &p);
    Bytes digest(SHA256_DIGEST_LENGTH);
    SHA256(der.data(), der.size(), digest.data());
    return base64(digest);
}

}  // namespace

DevCert make_dev_cert(const std::string& dir, int days) {
    std::filesystem::create_directories(dir);
    Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) fail("key generation");
    Cert cert(X509_new());
    if (!cert) fail("X509_new");
    X509_set_version(cert.get(), 2);
    Bytes serial = random_bytes(8);
    serial[0] &= 0x7f;
    std::uint64_t sn = 0;
    for (auto b : serial)
        sn = (sn << 8) | b;
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), sn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400L);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Zhibu development"), -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    add_ext(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), NID_ext_key_usage, "serverAuth");
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("X509_sign");

    DevCert out;
    out.cert_file = (std::filesystem::path(dir) / "cert.pem").string();
    out.key_file = (std::filesystem::path(dir) / "key.pem").string();
    {
        File f(std::fopen(out.key_file.c_str(), "wb"));
        if (!f) fail("cannot write " + out.key_file);
        ::chmod(out.key_file.c_str(), 0600);
        if (!PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
            fail("PEM_write_PrivateKey");
    }
    {
        File f(std::fopen(out.cert_file.c_str(), "wb"));
        if (!f) fail("cannot write " + out.cert_file);
        if (!PEM_write_X509(f.get(), cert.get())) fail("PEM_write_X509");
    }
    out.spki_pin = pin_of(cert.get());
    return out;
}

std::string spki_pin_of_cert_file(const std::string& pem_file) {
    File f(std::fopen(pem_file.c_str(), "rb"));
    if (!f) fail("cannot read " + pem_file);
    Cert cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
    if (!cert) fail("not a PEM certificate: " + pem_file);
    return pin_of(cert.get());
}

}  // namespace zb::server
