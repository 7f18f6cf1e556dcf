// SPDX-License-Identifier: Apache-2.0
// Every message of the Zhibu sync protocol as a plain struct. protocol/SPEC.md is normative; this
// header mirrors it. The numeric type tags are wire-stable and never reused.
#pragma once

#include "zb/protocol/change.hpp"
#include "zb/protocol/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace zb::protocol {

/// Protocol versions. Version log (newest last; SPEC.md has the prose):
///   1  first version: hello/welcome, enroll, challenge-response auth with tokens, push/ack,
///      pull/changes with progress, notify, error, goodbye, wipe.
///   2  attachments: put_chunk, put_manifest, blob_ack, get_manifest, manifest, get_chunk, chunk
///      (content-addressed, chunked, resumable; SPEC.md §14); error codes 506, 507, 603.
///   3  tiers: relay_push, relay_ack (a college server relays its subtree's changes upstream
///      with their original origins and seqs; SPEC.md §15).
///   4  compressed: one encoded message above a size threshold travels zlib-deflated inside a
///      `compressed` wrapper (stateless per message; SPEC.md §2, §6.15).
inline constexpr std::uint32_t kProtocolVersion = 4;
/// The first version whose peers accept `compressed`; a sender wraps only at or above it.
inline constexpr std::uint32_t kCompressedVersion = 4;
inline constexpr std::uint32_t kMinProtocolVersion = 1;

enum class MsgType : std::uint8_t {
    Hello = 1,
    Welcome = 2,
    Enroll = 3,
    Enrolled = 4,
    Auth = 5,
    AuthOk = 6,
    Push = 7,
    PushAck = 8,
    Pull = 9,
    Changes = 10,
    Notify = 11,
    Error = 12,
    Goodbye = 13,
    Wipe = 14,
    PutChunk = 15,
    PutManifest = 16,
    BlobAck = 17,
    GetManifest = 18,
    Manifest = 19,
    GetChunk = 20,
    Chunk = 21,
    RelayPush = 22,
    RelayAck = 23,
    /// Never a Message alternative: the codec wraps and unwraps it (encode with CompressOptions,
    /// decode), so handlers only ever see the message inside.
    Compressed = 24,
};

// ---- attachments (SPEC.md §14) ----

/// Attachments are cut into chunks of exactly kChunkSize bytes (the last one may be shorter),
/// each named by the BLAKE2b-256 of its plaintext (kHashSize bytes). 256 KiB keeps a chunk frame
/// far below max_frame and max_bytes while a learning pack of 50 MiB needs only 200 requests.
inline constexpr std::size_t kChunkSize = 256u << 10;
inline constexpr std::size_t kHashSize = 32;
/// At most 16 384 chunks (4 GiB) per attachment; a manifest frame stays under 600 KB.
inline constexpr std::size_t kMaxManifestChunks = 16384;
inline constexpr std::size_t kMaxMediaType = 255;

/// What an attachment is: its chunks in order, its total size and media type. Its id is the
/// BLAKE2b-256 of manifest_payload(), so equal content under equal media type has one id.
struct AttachmentManifest {
    std::vector<Bytes> chunks;  ///< chunk hashes, kHashSize bytes each, in file order
    std::uint64_t size = 0;     ///< total bytes; (chunks-1)*kChunkSize < size <= chunks*kChunkSize
    std::string media_type;     ///< e.g. "application/pdf", "image/jpeg"

    friend bool operator==(const AttachmentManifest&, const AttachmentManifest&) = default;
};

/// Client → server, first message. The server picks the highest version in [min, max] it speaks.
struct Hello {
    std::uint32_t min_version = kMinProtocolVersion;
    std::uint32_t max_version = kProtocolVersion;
    std::string client;   ///< e.g. "zhibu-android/1.0"; informational
    DeviceId device = 0;  ///< 0 before enrollment

    friend bool operator==(const Hello&, const Hello&) = default;
};

/// Server → client answer to Hello: the chosen version and a fresh 32-byte challenge bound to
/// this connection.
struct Welcome {
    std::uint32_t version = kProtocolVersion;
    Bytes challenge;
    std::string server_id;
    std::uint64_t server_time_ms = 0;

    friend bool operator==(const Welcome&, const Welcome&) = default;
};

/// Client → server: enroll a new device with a one-time code from an administrator.
struct Enroll {
    std::string code;
    Bytes public_key;  ///< Ed25519, 32 bytes
    std::string device_name;

    friend bool operator==(const Enroll&, const Enroll&) = default;
};

/// Server → client: the device is enrolled for `person` with `role` over `org`.
struct Enrolled {
    DeviceId device = 0;
    std::string person;
    std::string role;
    std::string org;

    friend bool operator==(const Enrolled&, const Enrolled&) = default;
};

/// Client → server: log in, either by signing the Welcome challenge (auth_payload()) with the
/// device key, or by presenting an unexpired token from an earlier AuthOk. Exactly one of
/// `signature` (64 bytes) and `token` is non-empty.
struct Auth {
    DeviceId device = 0;
    Bytes signature;
    std::string token;

    friend bool operator==(const Auth&, const Auth&) = default;
};

/// Server → client: logged in.
struct AuthOk {
    std::string token;
    std::uint64_t token_expires_ms = 0;
    std::string person;
    std::string role;
    std::vector<std::string> scopes;  ///< organisation paths the device may read
    std::uint64_t acked_seq = 0;      ///< highest device seq the server has durably stored

    friend bool operator==(const AuthOk&, const AuthOk&) = default;
};

/// Client → server: a batch of the device's own changes, ascending seq, signed over
/// push_payload() with the device key.
struct Push {
    std::uint64_t batch = 0;  ///< client-chosen batch id (the first seq in the batch)
    std::vector<Change> changes;
    Bytes signature;

    friend bool operator==(const Push&, const Push&) = default;
};

struct ChangeResult {
    std::uint64_t seq = 0;
    Errc code = Errc::Ok;  ///< Ok = accepted (or already stored); anything else = rejected
    std::string message;

    friend bool operator==(const ChangeResult&, const ChangeResult&) = default;
};

/// Server → client: the outcome of each change of a Push, sent only after it is durable.
struct PushAck {
    std::uint64_t batch = 0;
    std::vector<ChangeResult> results;
    std::uint64_t acked_seq = 0;  ///< every seq <= this is settled (accepted or rejected)

    friend bool operator==(const PushAck&, const PushAck&) = default;
};

/// Client → server: send me state changed after `cursor`, at most `limit` cells.
struct Pull {
    std::uint64_t cursor = 0;
    std::uint32_t limit = 1000;

    friend bool operator==(const Pull&, const Pull&) = default;
};

/// Server → client: a page of changes in the device's scopes. `cursor` is where the next Pull
/// starts; `done`/`total` count cells for the progress of a long (initial) sync.
struct Changes {
    std::vector<Change> changes;
    std::uint64_t cursor = 0;
    bool has_more = false;
    std::uint64_t done = 0;
    std::uint64_t total = 0;

    friend bool operator==(const Changes&, const Changes&) = default;
};

/// Server → client: new data in your scopes up to `cursor`; pull when convenient.
struct Notify {
    std::uint64_t cursor = 0;

    friend bool operator==(const Notify&, const Notify&) = default;
};

struct ErrorMsg {
    Errc code = Errc::Internal;
    std::string message;

    friend bool operator==(const ErrorMsg&, const ErrorMsg&) = default;
};

struct Goodbye {
    Errc code = Errc::Ok;
    std::string reason;

    friend bool operator==(const Goodbye&, const Goodbye&) = default;
};

/// Server → client: this device is revoked; destroy the local replica and its keys.
struct Wipe {
    std::string reason;

    friend bool operator==(const Wipe&, const Wipe&) = default;
};

/// Client → server: one chunk of an attachment being uploaded. Idempotent: a chunk the server
/// already holds is acknowledged without being stored twice.
struct PutChunk {
    Bytes hash;  ///< BLAKE2b-256 of `data`; the server recomputes it
    Bytes data;  ///< 1 … kChunkSize bytes

    friend bool operator==(const PutChunk&, const PutChunk&) = default;
};

/// Client → server: the manifest of an attachment whose chunks this device has uploaded.
struct PutManifest {
    AttachmentManifest manifest;

    friend bool operator==(const PutManifest&, const PutManifest&) = default;
};

/// Server → client: the outcome of one PutChunk (hash = the chunk's) or PutManifest (hash = the
/// manifest id). Ok = stored (or already there); otherwise that request alone failed.
struct BlobAck {
    Bytes hash;
    Errc code = Errc::Ok;
    std::string message;

    friend bool operator==(const BlobAck&, const BlobAck&) = default;
};

/// Client → server: send me manifest `id`, which the cell (table, row, column) references. The
/// server answers only if the device may read that row and the cell holds the id; with an empty
/// table it answers only for a manifest this device uploaded.
struct GetManifest {
    Bytes id;
    std::string table;
    std::string row;
    std::string column;

    friend bool operator==(const GetManifest&, const GetManifest&) = default;
};

/// Server → client: the answer to GetManifest. code Ok: `manifest` is the attachment; anything
/// else (NotFound, OutOfScope …): `manifest` is empty.
struct ManifestMsg {
    Bytes id;
    Errc code = Errc::Ok;
    AttachmentManifest manifest;

    friend bool operator==(const ManifestMsg&, const ManifestMsg&) = default;
};

/// Client → server: send me chunk `hash` of manifest `id` (granted by an earlier Manifest on this
/// connection).
struct GetChunk {
    Bytes id;
    Bytes hash;

    friend bool operator==(const GetChunk&, const GetChunk&) = default;
};

/// Server → client: the answer to GetChunk. code Ok: `data` is the chunk; else `data` is empty.
struct Chunk {
    Bytes hash;
    Errc code = Errc::Ok;
    Bytes data;

    friend bool operator==(const Chunk&, const Chunk&) = default;
};

// ---- tiers (SPEC.md §15) ----

/// College server → upstream server: changes of the college's subtree, each with its ORIGINAL
/// origin, seq, hlc and base (counter parts are per origin, so re-originating would corrupt sums),
/// signed over relay_payload() with the college server's enrolled key.
struct RelayPush {
    std::uint64_t batch = 0;  ///< ≠ 0; the relay's own batch counter
    std::vector<Change> changes;
    Bytes signature;

    friend bool operator==(const RelayPush&, const RelayPush&) = default;
};

/// The outcome of one relayed change, keyed by (origin, seq) since origins differ in one batch.
struct RelayResult {
    DeviceId origin = 0;
    std::uint64_t seq = 0;
    Errc code = Errc::Ok;  ///< Ok = accepted or already stored; else refused with this code
    std::string message;

    friend bool operator==(const RelayResult&, const RelayResult&) = default;
};

/// Upstream → college server: one result per relayed change, same order, sent once durable.
struct RelayAck {
    std::uint64_t batch = 0;
    std::vector<RelayResult> results;

    friend bool operator==(const RelayAck&, const RelayAck&) = default;
};

// ---- compression (SPEC.md §2, §6.15; version 4) ----

/// Compression algorithms of `compressed`. Only zlib (RFC 1950) for now.
enum class Compression : std::uint8_t {
    Zlib = 1,
};

/// The wire form of `compressed` (t = 24): exactly one encoded message of another type, deflated
/// as a single zlib stream. `raw_size` lets the receiver refuse a bomb before inflating and
/// allocate exactly once. The codec builds and opens it; it is not an alternative of Message.
struct Compressed {
    Compression algorithm = Compression::Zlib;
    std::uint64_t raw_size = 0;  ///< bytes of the inner encoded message
    Bytes body;                  ///< the zlib stream

    friend bool operator==(const Compressed&, const Compressed&) = default;
};

using Message =
    std::variant<Hello, Welcome, Enroll, Enrolled, Auth, AuthOk, Push, PushAck, Pull, Changes,
                 Notify, ErrorMsg, Goodbye, Wipe, PutChunk, PutManifest, BlobAck, GetManifest,
                 ManifestMsg, GetChunk, Chunk, RelayPush, RelayAck>;

MsgType type_of(const Message& m);
std::string_view type_name(MsgType t);

/// The bytes a device signs to log in: "zhibu-auth-v1" || challenge || device id (8 bytes LE).
Bytes auth_payload(const Bytes& challenge, DeviceId device);
/// The bytes a device signs for a push: "zhibu-push-v1" || batch (8 bytes LE) || the canonical
/// CBOR encoding of the changes array. Deterministic for equal inputs.
Bytes push_payload(const Push& push);
/// The bytes a college server signs for a relay batch: "zhibu-relay-v1" || batch (8 bytes LE) ||
/// the canonical CBOR encoding of the changes array. The prefix keeps a push signature from ever
/// passing as a relay signature and the reverse.
Bytes relay_payload(const RelayPush& relay);
/// The bytes whose BLAKE2b-256 is an attachment's id: "zhibu-manifest-v1" || the canonical CBOR
/// encoding of the manifest map (SPEC.md §14.1). Hashing is left to the caller (no libsodium here).
Bytes manifest_payload(const AttachmentManifest& m);
/// True iff the manifest is well formed: 1 … kMaxManifestChunks hashes of kHashSize bytes, a size
/// consistent with fixed-size chunking, a media type of at most kMaxMediaType bytes.
bool valid_manifest(const AttachmentManifest& m);
/// How a synced cell names an attachment: its id as 64 lowercase hex digits (text value).
std::string attachment_ref(const Bytes& id);
/// The id a cell value names, or an empty Bytes when the value is not an attachment reference.
Bytes parse_attachment_ref(const Value& v);

}  // namespace zb::protocol
