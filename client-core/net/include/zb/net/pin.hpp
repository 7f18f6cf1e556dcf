// SPDX-License-Identifier: Apache-2.0
// Server key pinning: a pin is the SHA-256 of a certificate's DER SubjectPublicKeyInfo, in
// standard base64 (44 characters), optionally written "sha256/<base64>" as in HPKP and OkHttp.
// Pinning the key rather than the certificate survives certificate renewal with the same key.
#pragma once

#include "zb/net/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zb::net {

/// Normalise a pin to bare base64 ("sha256/" prefix removed, surrounding blanks trimmed).
/// Returns nullopt unless it decodes to exactly 32 bytes.
std::optional<std::string> normalize_pin(std::string_view pin);

/// The pin of a DER-encoded X.509 certificate. Errors: InvalidArgument if it does not parse.
std::optional<std::string> spki_pin_of_der(const std::vector<unsigned char>& der);

/// The pin of the first certificate in a PEM file (e.g. the server's dev certificate).
/// Returns nullopt if the file is unreadable or holds no certificate.
std::optional<std::string> spki_pin_of_pem_file(const std::string& path);

/// True if `pin` (normalised) is one of `pins` (normalised); constant-time per comparison.
bool pin_matches(const std::vector<std::string>& pins, const std::string& pin);

}  // namespace zb::net
