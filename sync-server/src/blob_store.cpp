// SPDX-License-Identifier: Apache-2.0
// The embedded blob store: a SQLite file of its own (blobs.db next to the server database), so
// attachment bytes never slow the change log's writer and can live on another volume.
//
// Every chunk is sealed at rest (XChaCha20-Poly1305 under the master key, the chunk hash as
// associated data), not only those of sensitive rows: one chunk may be shared by a public learning
// pack and a 政审材料 scan, and at upload time the server cannot know which rows will reference
// it. Sealing costs about a microsecond per KiB, small next to the network. Chunks are keyed by
// the plaintext hash so identical uploads are stored once (dedup); who uploaded what is kept
// apart in `claims`, which is both the quota ledger and the proof of possession for manifests.
#include "zb/server/blob_store.hpp"

#include "sqlite.hpp"

#include "zb/protocol/codec.hpp"

#include <algorithm>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>

namespace zb::server {

namespace {

using protocol::kChunkSize;
using protocol::kHashSize;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS chunks(
  hash   BLOB PRIMARY KEY,   -- BLAKE2b-256 of the plaintext
  size   INTEGER NOT NULL,   -- plaintext bytes
  sealed BLOB NOT NULL       -- seal_value(master, bytes, "zb-chunk:" || hex(hash))
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claims(
  device INTEGER NOT NULL,
  hash   BLOB NOT NULL,
  size   INTEGER NOT NULL,
  PRIMARY KEY(device, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS manifests(
  id       BLOB PRIMARY KEY,  -- BLAKE2b-256 of manifest_payload
  body     BLOB NOT NULL,     -- canonical CBOR of the manifest map
  uploader INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

std::string chunk_ad(const Bytes& hash) {
    return "zb-chunk:" + hex(hash);
}

protocol::Error storage(const std::exception& e) {
    return protocol::make_error(Errc::StorageFailure, std::string("blob store: ") + e.what());
}

class SqliteBlobStore final : public BlobStore {
public:
    explicit SqliteBlobStore(const BlobStoreOptions& o)
        : db_(o.path), key_(o.master_key), quota_(o.device_quota) {
        if (key_ == nullptr || key_->bytes().empty())
            throw std::runtime_error("blob store needs the master key");
        db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA trusted_schema=OFF;");
        db_.exec(kSchema);
    }

    Result<void> put_chunk(DeviceId device, const Bytes& hash, const Bytes& data) override {
        if (hash.size() != kHashSize || data.empty() || data.size() > kChunkSize)
            return protocol::make_error(Errc::BadValue, "a chunk holds 1 … 262144 bytes");
        const Hash actual = blake2b(data);
        if (!std::equal(actual.begin(), actual.end(), hash.begin()))
            return protocol::make_error(Errc::HashMismatch, "chunk bytes do not match its hash");
        try {
            std::lock_guard lock(mu_);
            db_.exec("BEGIN IMMEDIATE");
            try {
                auto r = put_chunk_locked(device, hash, data);
                db_.exec("COMMIT");
                return r;
            } catch (...) {
                db_.exec("ROLLBACK");
                throw;
            }
        } catch (const std::exception& e) {
            return storage(e);
        }
    }

    Result<Bytes> put_manifest(DeviceId device, const AttachmentManifest& m) override {
        if (!protocol::valid_manifest(m))
            return protocol::make_error(Errc::BadValue, "malformed manifest");
        const Bytes id = manifest_id(m);
        try {
            std::lock_guard lock(mu_);
            for (const Bytes& h : m.chunks) {
                auto s = db_.prepare("SELECT 1 FROM claims WHERE device=? AND hash=?");
                s->bind(1, static_cast<std::uint64_t>(device)).bind(2, std::span(h));
                if (!s->step())
                    return protocol::make_error(Errc::NotFound,
                                                "chunk " + hex(h) + " was not uploaded");
            }
            // The declared size must be the sum of the chunks the device actually uploaded.
            std::uint64_t total = 0;
            for (const Bytes& h : m.chunks) {
                auto s = db_.prepare("SELECT size FROM chunks WHERE hash=?");
                s->bind(1, std::span(h));
                if (!s->step())
                    return protocol::make_error(Errc::NotFound, "chunk " + hex(h) + " is missing");
                total += s->u64(0);
            }
            if (total != m.size)
                return protocol::make_error(Errc::BadValue,
                                            "manifest size does not match its chunks");
            const Bytes body = protocol::encode_manifest(m);
            auto s = db_.prepare(
                "INSERT INTO manifests(id, body, uploader) VALUES(?,?,?) ON CONFLICT DO NOTHING");
            s->bind(1, std::span(id)).bind(2, std::span(body));
            s->bind(3, static_cast<std::uint64_t>(device));
            s->exec();
            return id;
        } catch (const std::exception& e) {
            return storage(e);
        }
    }

    Result<std::optional<StoredManifest>> manifest(const Bytes& id) override {
        try {
            std::lock_guard lock(mu_);
            auto s = db_.prepare("SELECT body, uploader FROM manifests WHERE id=?");
            s->bind(1, std::span(id));
            if (!s->step()) return std::optional<StoredManifest>{};
            // The body was encoded by us; wrap it as a message to reuse the strict decoder.
            const auto body = s->blob(0);
            auto decoded = decode_manifest_body(body);
            if (!decoded) return decoded.error();
            return std::optional<StoredManifest>{StoredManifest{decoded.value(), s->u64(1)}};
        } catch (const std::exception& e) {
            return storage(e);
        }
    }

    Result<Bytes> chunk(const Bytes& hash) override {
        try {
            Bytes sealed;
            {
                std::lock_guard lock(mu_);
                auto s = db_.prepare("SELECT sealed FROM chunks WHERE hash=?");
                s->bind(1, std::span(hash));
                if (!s->step()) return protocol::make_error(Errc::NotFound, "no such chunk");
                const auto b = s->blob(0);
                sealed.assign(b.begin(), b.end());
            }
            auto v = open_value(*key_, sealed, chunk_ad(hash));
            const auto* bytes = v ? std::get_if<Bytes>(&*v) : nullptr;
            if (bytes == nullptr)
                return protocol::make_error(Errc::StorageFailure, "chunk failed authentication");
            return *bytes;
        } catch (const std::exception& e) {
            return storage(e);
        }
    }

    Result<std::uint64_t> usage(DeviceId device) override {
        try {
            std::lock_guard lock(mu_);
            return usage_locked(device);
        } catch (const std::exception& e) {
            return storage(e);
        }
    }

    Result<std::uint64_t> chunk_count() override {
        try {
            std::lock_guard lock(mu_);
            auto s = db_.prepare("SELECT count(*) FROM chunks");
            s->step();
            return s->u64(0);
        } catch (const std::exception& e) {
            return storage(e);
        }
    }

private:
    std::uint64_t usage_locked(DeviceId device) {
        auto s = db_.prepare("SELECT coalesce(sum(size), 0) FROM claims WHERE device=?");
        s->bind(1, static_cast<std::uint64_t>(device));
        s->step();
        return s->u64(0);
    }

    Result<void> put_chunk_locked(DeviceId device, const Bytes& hash, const Bytes& data) {
        {
            auto s = db_.prepare("SELECT 1 FROM claims WHERE device=? AND hash=?");
            s->bind(1, static_cast<std::uint64_t>(device)).bind(2, std::span(hash));
            if (s->step()) {
                stats.dedup_hits += 1;
                return {};  // a resend after a lost ack
            }
        }
        if (usage_locked(device) + data.size() > quota_) {
            return protocol::make_error(
                Errc::QuotaExceeded,
                "upload quota of " + std::to_string(quota_ >> 20) + " MiB used");
        }
        bool held = false;
        {
            auto s = db_.prepare("SELECT 1 FROM chunks WHERE hash=?");
            s->bind(1, std::span(hash));
            held = s->step();
        }
        if (held) {
            stats.dedup_hits += 1;
        } else {
            const Bytes sealed = seal_value(*key_, protocol::Value{data}, chunk_ad(hash));
            auto s = db_.prepare("INSERT INTO chunks(hash, size, sealed) VALUES(?,?,?)");
            s->bind(1, std::span(hash)).bind(2, static_cast<std::uint64_t>(data.size()));
            s->bind(3, std::span(sealed));
            s->exec();
            stats.chunks_stored += 1;
        }
        auto s = db_.prepare("INSERT INTO claims(device, hash, size) VALUES(?,?,?)");
        s->bind(1, static_cast<std::uint64_t>(device)).bind(2, std::span(hash));
        s->bind(3, static_cast<std::uint64_t>(data.size()));
        s->exec();
        return {};
    }

    static Result<AttachmentManifest> decode_manifest_body(std::span<const std::uint8_t> body) {
        // Re-wrap the stored map as a put_manifest frame: {"mf": <body>, "t": 16}.
        Bytes frame{0xa2, 0x62, 'm', 'f'};
        frame.insert(frame.end(), body.begin(), body.end());
        frame.insert(frame.end(), {0x61, 't', 0x10});
        auto m = protocol::decode(frame);
        if (!m) return protocol::make_error(Errc::StorageFailure, "stored manifest is corrupt");
        return std::get<protocol::PutManifest>(m.value()).manifest;
    }

    std::mutex mu_;
    sql::Db db_;
    const SecretKey* key_;
    std::uint64_t quota_;
};

}  // namespace

Bytes manifest_id(const AttachmentManifest& m) {
    const Hash h = blake2b(protocol::manifest_payload(m));
    return Bytes(h.begin(), h.end());
}

std::unique_ptr<BlobStore> open_blob_store(const BlobStoreOptions& o) {
    try {
        return std::make_unique<SqliteBlobStore>(o);
    } catch (const sql::SqliteError& e) {
        throw std::runtime_error(std::string("cannot open blob store: ") + e.what());
    }
}

}  // namespace zb::server
