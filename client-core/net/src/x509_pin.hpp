// SPDX-License-Identifier: Apache-2.0
// Internal: the pin of an OpenSSL certificate object, for the TLS verify callback. Kept out of
// the public header so that users of zb_net do not see OpenSSL types.
#pragma once

#include <openssl/x509.h>

#include <optional>
#include <string>

namespace zb::net {

/// SHA-256 of the DER SubjectPublicKeyInfo of `cert`, base64; nullopt on failure.
std::optional<std::string> spki_pin_of_x509(X509* cert);

}  // namespace zb::net
