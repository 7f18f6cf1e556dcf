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

/// When a sender wraps a message in `compressed` (SPEC.md §2 "Compression", §6.15). Compression
/// is per message and stateless: zlib's state lives only inside one encode() or decode() call, so
/// an idle connection holds no compression memory at all.
struct CompressOptions {
    /// Messages whose encoding is shorter than this travel plain; 0 disables compression. Below
    /// ~1 KiB deflate saves little and costs a deflate state allocation per message.
    std::size_t threshold = 1024;
    int level = 6;  ///< zlib level 1…9
};

/// Encode a message and wrap it in `compressed` when its encoding reaches the threshold and the
/// wrapper is actually smaller. Senders use this only when the session's negotiated version is at
/// least kCompressedVersion. Deterministic for a given zlib build.
Bytes encode(const Message& m, const CompressOptions& options);

/// Wrap an already encoded message unconditionally (tests, golden vectors, fuzz seeds).
Compressed compress(std::span<const std::uint8_t> encoded, int level = 6);

/// The encoding of a `compressed` wrapper as it is, whatever its body holds.
Bytes encode_compressed(const Compressed& c);

/// Decode one message. Never throws. A `compressed` wrapper is opened transparently: its
/// raw_size is checked against limits.max_frame before inflating (TooLarge), the inflated size
/// must equal raw_size (Malformed), the inner message must not itself be `compressed`
/// (Malformed), and an unknown algorithm is BadValue. The inner message is then decoded under
/// the same limits.
Result<Message> decode(std::span<const std::uint8_t> bytes, const Limits& limits = {});

/// Encode just a change array (the canonical form inside push_payload and golden vectors).
Bytes encode_changes(const std::vector<Change>& changes);

/// Encode just a manifest map (the canonical form inside manifest_payload).
Bytes encode_manifest(const AttachmentManifest& m);

}  // namespace zb::protocol
