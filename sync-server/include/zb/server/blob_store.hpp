// SPDX-License-Identifier: Apache-2.0
// Attachments on the server (protocol/SPEC.md §14): a BlobStore keeps chunks by the BLAKE2b-256
// of their plaintext (stored once however many devices upload them, sealed at rest with the master
// key) and manifests by their id; a BlobSession answers one connection's attachment requests and
// enforces the read rule: a device gets a manifest only through a row it may read whose cell names
// that manifest (or a manifest it uploaded), and gets a chunk only of a manifest granted on the
// same connection. Synced rows carry the ids; the bytes never enter the change log.
#pragma once

#include "zb/protocol/messages.hpp"
#include "zb/server/crypto.hpp"
#include "zb/server/scope.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace zb::server {

using protocol::AttachmentManifest;
using protocol::Errc;
using protocol::Result;

struct ServerContext;

struct StoredManifest {
    AttachmentManifest manifest;
    DeviceId uploader = 0;
};

/// Counters for tests and /metrics-style reporting. Refusals are requests answered with anything
/// but Ok; `chunks_served` counts Chunk answers carrying bytes.
struct BlobStats {
    std::atomic<std::uint64_t> chunks_stored{0};  ///< new chunk bodies written (not dedup hits)
    std::atomic<std::uint64_t> dedup_hits{0};     ///< PutChunk of a chunk already held
    std::atomic<std::uint64_t> chunks_served{0};
    std::atomic<std::uint64_t> refusals{0};
};

/// Thread-safety: every method may be called from any thread (one connection behind a mutex).
/// All methods block on SQLite; call them off the I/O threads. Errors: StorageFailure for SQLite
/// failures, besides the ones listed.
class BlobStore {
public:
    virtual ~BlobStore() = default;

    /// Verify BLAKE2b-256(data) == hash, keep the chunk sealed at rest (once), and record that
    /// `device` holds it. Errors: HashMismatch; BadValue (empty or over kChunkSize);
    /// QuotaExceeded (the device's uploads would pass its quota; nothing is stored).
    virtual Result<void> put_chunk(DeviceId device, const Bytes& hash, const Bytes& data) = 0;
    /// Keep a manifest; returns its id. Every chunk must have been uploaded by `device` (holding
    /// the bytes is the proof of possession: a hash alone never grants a chunk). Idempotent.
    /// Errors: BadValue (malformed manifest), NotFound (a chunk this device has not uploaded).
    virtual Result<Bytes> put_manifest(DeviceId device, const AttachmentManifest& m) = 0;
    virtual Result<std::optional<StoredManifest>> manifest(const Bytes& id) = 0;
    /// The plaintext of a chunk. Errors: NotFound; StorageFailure (also when the sealed bytes fail
    /// authentication: a tampered file is never served).
    virtual Result<Bytes> chunk(const Bytes& hash) = 0;
    /// Plaintext bytes of the chunks `device` has uploaded (what its quota counts).
    virtual Result<std::uint64_t> usage(DeviceId device) = 0;
    /// Distinct chunks held.
    virtual Result<std::uint64_t> chunk_count() = 0;

    BlobStats stats;
};

struct BlobStoreOptions {
    std::string path;                         ///< its own SQLite file, next to the server database
    const SecretKey* master_key = nullptr;    ///< required: every chunk is sealed with it
    std::uint64_t device_quota = 1ull << 30;  ///< plaintext bytes one device may upload (1 GiB)
};

/// The embedded blob store (WAL, synchronous=FULL). Throws std::runtime_error if the file cannot
/// be opened or created.
std::unique_ptr<BlobStore> open_blob_store(const BlobStoreOptions& o);

/// BLAKE2b-256 of protocol::manifest_payload(m): the attachment's id.
Bytes manifest_id(const AttachmentManifest& m);

/// One connection's attachment requests. Grants (manifests this connection may fetch chunks of)
/// last as long as the connection.
class BlobSession {
public:
    /// Answer PutChunk, PutManifest, GetManifest or GetChunk for an authenticated principal;
    /// nullopt for any other message. Never throws: failures are answered with their code.
    std::optional<protocol::Message> handle(ServerContext& ctx, const Principal& p,
                                            const protocol::Message& m);

private:
    protocol::ManifestMsg get_manifest(ServerContext& ctx, const Principal& p,
                                       const protocol::GetManifest& m);
    protocol::Chunk get_chunk(ServerContext& ctx, const protocol::GetChunk& m);

    std::map<Bytes, std::set<Bytes>> granted_;  ///< manifest id → its chunk hashes
};

/// True for the four client → server attachment messages.
bool is_blob_request(const protocol::Message& m);

}  // namespace zb::server
