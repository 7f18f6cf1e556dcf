// SPDX-License-Identifier: Apache-2.0
// Development certificates with OpenSSL's C API: a self-signed P-256 certificate for localhost and
// 127.0.0.1, and the public key pin a client checks (base64 SHA-256 of the SubjectPublicKeyInfo).
#pragma once

#include <string>

namespace zb::server {

struct DevCert {
    std::string cert_file;  ///< PEM
    std::string key_file;   ///< PEM, mode 0600
    std::string spki_pin;   ///< base64(SHA-256(DER SubjectPublicKeyInfo))
};

/// Create <dir>/cert.pem and <dir>/key.pem (dir is created). Throws std::runtime_error.
DevCert make_dev_cert(const std::string& dir, int days = 365);
/// The pin of the certificate in a PEM file. Throws std::runtime_error.
std::string spki_pin_of_cert_file(const std::string& pem_file);

}  // namespace zb::server
