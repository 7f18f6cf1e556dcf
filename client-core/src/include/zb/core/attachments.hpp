// SPDX-License-Identifier: Apache-2.0
// Attachments on the phone: learning packs, meeting photos, archive documents (protocol/SPEC.md
// §14). Bytes live in tables of their own (_zb_att_*) inside the replica's database file, opened
// through the same DbOpener, so on phones the zb-seal VFS encrypts them at rest like every row.
// Synced rows name an attachment by its id (protocol::attachment_ref: 64 hex digits in a text
// cell); the bytes move by separate messages over the sync connection.
//
// The transfer half is sans-I/O, like SyncEngine: a driver calls start() once the engine is
// synced, passes every attachment answer to on_message(), sends what they return, and calls
// on_disconnected() when the connection ends. Downloads resume chunk by chunk (a chunk already
// held is never asked for again), every chunk and every manifest is verified against its hash,
// and uploads survive restarts because the queue is in the database.
#pragma once

#include "zb/core/db_opener.hpp"
#include "zb/core/error.hpp"
#include "zb/protocol/messages.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zb::core {

using protocol::Bytes;

/// The synced cell that names an attachment; the server serves a manifest only to a device that
/// may read this row (the uploader excepted).
struct AttachmentRef {
    std::string table;
    std::string row;
    std::string column;
};

enum class AttachmentState : std::uint8_t {
    Unknown = 0,    ///< neither held nor wanted
    Wanted = 1,     ///< queued for download, manifest not yet known
    Partial = 2,    ///< manifest known, some chunks missing
    Complete = 3,   ///< every chunk held and verified
    Uploading = 4,  ///< added on this device, not yet confirmed by the server
    Failed = 5,     ///< the server refused it (see code/message); local data is kept
};

struct AttachmentInfo {
    Bytes id;
    AttachmentState state = AttachmentState::Unknown;
    std::string media_type;
    std::uint64_t size = 0;                    ///< total bytes (0 while the manifest is unknown)
    std::uint32_t chunks = 0;                  ///< chunks in the manifest
    std::uint32_t chunks_held = 0;             ///< chunks stored locally
    std::uint32_t chunks_acked = 0;            ///< uploads: chunks the server confirmed
    protocol::Errc code = protocol::Errc::Ok;  ///< why it failed (Failed only)
    std::string message;
};

/// Totals of the transfers since open(), for tests and the UI.
struct TransferCounters {
    std::uint64_t chunks_requested = 0;  ///< GetChunk sent
    std::uint64_t chunks_received = 0;   ///< verified chunks stored
    std::uint64_t chunks_rejected = 0;   ///< answers whose bytes did not match their hash
    std::uint64_t chunks_uploaded = 0;   ///< PutChunk acknowledged Ok
    std::uint64_t manifests_uploaded = 0;
};

/// Thread-safety: like the Replica, used from one thread at a time; while a SyncClient drives it,
/// the app reaches it through SyncClient::run()/post() only.
class Attachments {
public:
    /// Open (creating the tables if missing) in the database file at `path`, normally the
    /// replica's own file, through `opener` (null = plain). Errors: StorageFailure.
    static Result<std::unique_ptr<Attachments>> open(const std::string& path,
                                                     std::shared_ptr<DbOpener> opener = nullptr);
    ~Attachments();
    Attachments(const Attachments&) = delete;
    Attachments& operator=(const Attachments&) = delete;

    // ---- the app's side ----

    /// Cut `data` into chunks, store them, queue the attachment for upload; returns its id (put
    /// protocol::attachment_ref(id) into the row that names it). Idempotent for equal content.
    /// Errors: BadValue (empty, too large, media type over 255 bytes), StorageFailure.
    Result<Bytes> add(std::span<const std::uint8_t> data, std::string_view media_type);
    /// The same for a file on disk. Errors: NotFound (cannot read the file), and those of add().
    Result<Bytes> add_file(const std::string& file, std::string_view media_type);
    /// Queue a download of attachment `id` named by the cell `ref`. No effect if it is complete.
    /// Errors: BadValue (not a 32-byte id or an incomplete ref), StorageFailure.
    Result<void> want(const Bytes& id, const AttachmentRef& ref);
    /// Where an attachment stands.
    Result<AttachmentInfo> info(const Bytes& id);
    /// The whole attachment, verified; nullopt while it is not complete.
    Result<std::optional<Bytes>> read(const Bytes& id);
    /// Write the whole attachment to `file`. Errors: NotFound (not complete), StorageFailure.
    Result<void> export_to(const Bytes& id, const std::string& file);
    /// Attachments waiting for upload or download (not Complete, not Failed).
    Result<std::uint64_t> pending();

    /// Called after each verified chunk arrives: (id, chunks held, chunks in the manifest).
    std::function<void(const Bytes&, std::uint32_t, std::uint32_t)> on_progress;

    // ---- the transfer (sans-I/O; see the file comment) ----

    /// The connection is authenticated and synced: returns the first requests (at most
    /// `window` outstanding at any time).
    std::vector<protocol::Message> start();
    /// True for BlobAck, Manifest and Chunk, the answers this class consumes.
    static bool is_reply(const protocol::Message& m);
    /// An answer arrived; returns the next requests. Throws StoreError on storage failure.
    std::vector<protocol::Message> on_message(const protocol::Message& m);
    /// The connection is gone: forget what was in flight (it is asked again after start()).
    void on_disconnected();
    /// True while started and something is in flight or left to request on this connection.
    bool busy() const;
    const TransferCounters& counters() const { return counters_; }

    std::size_t window = 8;  ///< requests outstanding at once

    class Impl;

private:
    explicit Attachments(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    TransferCounters counters_;
};

}  // namespace zb::core
