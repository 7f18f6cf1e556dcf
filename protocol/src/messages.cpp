// SPDX-License-Identifier: Apache-2.0
// Message type tags and names, and the two byte strings that devices sign: the login payload
// (bound to the connection's challenge) and the push payload (bound to the exact changes).
// Both are domain-separated by an ASCII prefix so a signature for one can never pass as the other.
// Also the attachment helpers: the manifest payload whose hash is an attachment's id, the manifest
// shape check shared by decoder and stores, and the text form by which synced cells name an id.

#include "zb/protocol/messages.hpp"

#include "zb/protocol/codec.hpp"

#include <string_view>

namespace zb::protocol {
namespace {

constexpr std::string_view kAuthDomain = "zhibu-auth-v1";
constexpr std::string_view kPushDomain = "zhibu-push-v1";
constexpr std::string_view kManifestDomain = "zhibu-manifest-v1";
constexpr std::string_view kRelayDomain = "zhibu-relay-v1";

void append_le64(Bytes& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

MsgType type_of(const Message& m) {
    return static_cast<MsgType>(m.index() + 1);
}

std::string_view type_name(MsgType t) {
    switch (t) {
        case MsgType::Hello:
            return "hello";
        case MsgType::Welcome:
            return "welcome";
        case MsgType::Enroll:
            return "enroll";
        case MsgType::Enrolled:
            return "enrolled";
        case MsgType::Auth:
            return "auth";
        case MsgType::AuthOk:
            return "auth_ok";
        case MsgType::Push:
            return "push";
        case MsgType::PushAck:
            return "push_ack";
        case MsgType::Pull:
            return "pull";
        case MsgType::Changes:
            return "changes";
        case MsgType::Notify:
            return "notify";
        case MsgType::Error:
            return "error";
        case MsgType::Goodbye:
            return "goodbye";
        case MsgType::Wipe:
            return "wipe";
        case MsgType::PutChunk:
            return "put_chunk";
        case MsgType::PutManifest:
            return "put_manifest";
        case MsgType::BlobAck:
            return "blob_ack";
        case MsgType::GetManifest:
            return "get_manifest";
        case MsgType::Manifest:
            return "manifest";
        case MsgType::GetChunk:
            return "get_chunk";
        case MsgType::Chunk:
            return "chunk";
        case MsgType::RelayPush:
            return "relay_push";
        case MsgType::RelayAck:
            return "relay_ack";
        case MsgType::Compressed:
            return "compressed";
    }
    return "unknown";
}

Bytes auth_payload(const Bytes& challenge, DeviceId device) {
    Bytes out(kAuthDomain.begin(), kAuthDomain.end());
    out.insert(out.end(), challenge.begin(), challenge.end());
    append_le64(out, device);
    return out;
}

Bytes push_payload(const Push& push) {
    Bytes out(kPushDomain.begin(), kPushDomain.end());
    append_le64(out, push.batch);
    const Bytes changes = encode_changes(push.changes);
    out.insert(out.end(), changes.begin(), changes.end());
    return out;
}

Bytes relay_payload(const RelayPush& relay) {
    Bytes out(kRelayDomain.begin(), kRelayDomain.end());
    append_le64(out, relay.batch);
    const Bytes changes = encode_changes(relay.changes);
    out.insert(out.end(), changes.begin(), changes.end());
    return out;
}

Bytes manifest_payload(const AttachmentManifest& m) {
    Bytes out(kManifestDomain.begin(), kManifestDomain.end());
    const Bytes body = encode_manifest(m);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

bool valid_manifest(const AttachmentManifest& m) {
    const std::size_t n = m.chunks.size();
    if (n == 0 || n > kMaxManifestChunks || m.media_type.size() > kMaxMediaType) return false;
    for (const Bytes& h : m.chunks)
        if (h.size() != kHashSize) return false;
    // Fixed-size chunking: every chunk but the last is full, the last holds 1 … kChunkSize bytes.
    const std::uint64_t full = static_cast<std::uint64_t>(n - 1) * kChunkSize;
    return m.size > full && m.size <= full + kChunkSize;
}

std::string attachment_ref(const Bytes& id) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(id.size() * 2);
    for (std::uint8_t b : id) {
        s += kDigits[b >> 4];
        s += kDigits[b & 0xF];
    }
    return s;
}

Bytes parse_attachment_ref(const Value& v) {
    const auto* text = std::get_if<std::string>(&v);
    if (text == nullptr || text->size() != kHashSize * 2) return {};
    Bytes id;
    id.reserve(kHashSize);
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;  // upper case is not canonical: one id, one spelling
    };
    for (std::size_t i = 0; i < text->size(); i += 2) {
        const int hi = nibble((*text)[i]);
        const int lo = nibble((*text)[i + 1]);
        if (hi < 0 || lo < 0) return {};
        id.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return id;
}

}  // namespace zb::protocol
