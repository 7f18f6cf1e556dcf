// SPDX-License-Identifier: Apache-2.0
// The binary encoding of messages: CBOR (RFC 8949) through nlohmann/json, one message per
// WebSocket binary frame. The decoder is strict: every size, depth, count and length is bounded by
// Limits, and malformed input yields an Error, never an exception and never a crash.
#pragma once

#include "zb/protocol/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace zb::protocol {

struct Limits {
    std::size_t max_frame = 4u << 20;     ///< bytes in one encoded message
    std::size_t max_depth = 6;            ///< CBOR nesting depth
    std::size_t max_items = 20000;        ///< entries in one array or map
    std::size_t max_string = 256u << 10;  ///< bytes in one text string
    std::size_t max_bytes = 1u << 20;     ///< bytes in one byte string
    std::size_t max_batch = 5000;         ///< changes in one Push or Changes
};

/// Encode a message. Deterministic: equal messages give equal bytes.
Bytes encode(const Message& m);

/// Decode one message. Never throws.
Result<Message> decode(std::span<const std::uint8_t> bytes, const Limits& limits = {});

/// Encode just a change array (the canonical form inside push_payload and golden vectors).
Bytes encode_changes(const std::vector<Change>& changes);

/// Encode just a manifest map (the canonical form inside manifest_payload).
Bytes encode_manifest(const AttachmentManifest& m);

}  // namespace zb::protocol
