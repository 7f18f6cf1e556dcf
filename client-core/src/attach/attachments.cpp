// SPDX-License-Identifier: Apache-2.0
// The phone's attachment store and its sans-I/O transfer (see attachments.hpp and protocol/SPEC.md
// §14). Storage: three tables in the replica's file, reached through a second connection from the
// same DbOpener (WAL lets it write next to the replica's own connection):
//
//   _zb_att_chunk(hash, data)            verified plaintext chunks, shared by every attachment
//   _zb_att(id, state, chunks, size, media, tbl, row, col, code, message)
//                                        one row per attachment: manifest (chunk hashes
//                                        concatenated), where it stands, the cell that names it
//   _zb_att_acked(id, hash)              uploads: chunks the server confirmed
//
// Transfer: jobs are built at start() from the table; each request is keyed by (kind, hash) so
// one chunk shared by two attachments is asked for once. A chunk is stored only after its
// BLAKE2b-256 matches, a manifest is used only after its id matches, so a wrong or hostile server
// can waste a download but never plant bytes.
#include "zb/core/attachments.hpp"

#include "store/sqlite.hpp"

#include <sodium.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <iterator>

namespace zb::core {

using namespace protocol;
using store::Conn;
using store::StmtUse;
using store::Txn;

namespace {

constexpr const char* kTables = R"sql(
CREATE TABLE IF NOT EXISTS _zb_att_chunk(hash BLOB PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _zb_att(
  id BLOB PRIMARY KEY, state INTEGER NOT NULL, chunks BLOB, size INTEGER NOT NULL DEFAULT 0,
  media TEXT NOT NULL DEFAULT '', tbl TEXT NOT NULL DEFAULT '', row TEXT NOT NULL DEFAULT '',
  col TEXT NOT NULL DEFAULT '', code INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _zb_att_acked(id BLOB, hash BLOB, PRIMARY KEY(id, hash)) WITHOUT ROWID;
)sql";

Bytes blake2b(std::span<const std::uint8_t> data) {
    Bytes out(kHashSize);
    crypto_generichash(out.data(), out.size(), data.data(), data.size(), nullptr, 0);
    return out;
}

Bytes id_of(const AttachmentManifest& m) {
    return blake2b(manifest_payload(m));
}

Bytes join(const std::vector<Bytes>& hashes) {
    Bytes out;
    out.reserve(hashes.size() * kHashSize);
    for (const Bytes& h : hashes)
        out.insert(out.end(), h.begin(), h.end());
    return out;
}

std::vector<Bytes> split(std::span<const std::uint8_t> joined) {
    std::vector<Bytes> out;
    for (std::size_t at = 0; at + kHashSize <= joined.size(); at += kHashSize)
        out.emplace_back(joined.begin() + at, joined.begin() + at + kHashSize);
    return out;
}

enum class Kind : std::uint8_t { PutChunk, PutManifest, GetManifest, GetChunk };

}  // namespace

class Attachments::Impl {
public:
    std::unique_ptr<Database> db;
    std::unique_ptr<Conn> conn;

    // ---- rows ----

    struct Row {
        AttachmentState state = AttachmentState::Unknown;
        AttachmentManifest manifest;  ///< chunks empty while unknown
        AttachmentRef ref;
        Errc code = Errc::Ok;
        std::string message;
    };

    std::optional<Row> row(const Bytes& id) {
        StmtUse s = conn->use(
            "SELECT state, chunks, size, media, tbl, row, col, code, message FROM _zb_att "
            "WHERE id=?1");
        s->bind_blob(1, id);
        if (!s->step()) return std::nullopt;
        Row r;
        r.state = static_cast<AttachmentState>(s->int64(0));
        if (!s->is_null(1)) r.manifest.chunks = split(s->blob(1));
        r.manifest.size = s->uint64(2);
        r.manifest.media_type = s->text(3);
        r.ref = AttachmentRef{s->text(4), s->text(5), s->text(6)};
        r.code = static_cast<Errc>(s->int64(7));
        r.message = s->text(8);
        return r;
    }

    void set_state(const Bytes& id, AttachmentState st, Errc code = Errc::Ok,
                   std::string_view message = {}) {
        StmtUse s = conn->use("UPDATE _zb_att SET state=?2, code=?3, message=?4 WHERE id=?1");
        s->bind_blob(1, id);
        s->bind(2, static_cast<std::int64_t>(st));
        s->bind(3, static_cast<std::int64_t>(code));
        const std::string text(message);  // never a null pointer: the column is NOT NULL
        s->bind(4, std::string_view(text));
        s->run();
    }

    bool held(const Bytes& hash) {
        StmtUse s = conn->use("SELECT 1 FROM _zb_att_chunk WHERE hash=?1");
        s->bind_blob(1, hash);
        return s->step();
    }

    std::optional<Bytes> chunk(const Bytes& hash) {
        StmtUse s = conn->use("SELECT data FROM _zb_att_chunk WHERE hash=?1");
        s->bind_blob(1, hash);
        if (!s->step()) return std::nullopt;
        auto b = s->blob(0);
        return Bytes(b.begin(), b.end());
    }

    void put_chunk(const Bytes& hash, std::span<const std::uint8_t> data) {
        StmtUse s = conn->use("INSERT OR IGNORE INTO _zb_att_chunk(hash, data) VALUES(?1, ?2)");
        s->bind_blob(1, hash);
        s->bind_blob(2, data);
        s->run();
    }

    std::uint32_t held_count(const AttachmentManifest& m) {
        std::uint32_t n = 0;
        for (const Bytes& h : m.chunks)
            if (held(h)) ++n;
        return n;
    }

    std::uint32_t acked_count(const Bytes& id) {
        StmtUse s = conn->use("SELECT count(*) FROM _zb_att_acked WHERE id=?1");
        s->bind_blob(1, id);
        s->step();
        return static_cast<std::uint32_t>(s->int64(0));
    }

    bool acked(const Bytes& id, const Bytes& hash) {
        StmtUse s = conn->use("SELECT 1 FROM _zb_att_acked WHERE id=?1 AND hash=?2");
        s->bind_blob(1, id);
        s->bind_blob(2, hash);
        return s->step();
    }

    // ---- transfer ----

    struct Job {
        Bytes id;
        bool upload = false;
        AttachmentRef ref;
        AttachmentManifest manifest;  ///< downloads: empty until granted
        std::deque<Bytes> todo;       ///< chunk hashes still to send or request
        bool head_sent = false;       ///< GetManifest / PutManifest sent
        bool head_ready = false;      ///< downloads: manifest granted; uploads: chunks all acked
        bool stopped = false;         ///< finished, failed or stalled on this connection
        std::size_t outstanding = 0;
        std::size_t distinct = 0;  ///< downloads: distinct chunks of the manifest
        std::size_t missing = 0;   ///< downloads: distinct chunks not yet held
    };

    bool started = false;
    std::vector<Job> jobs;
    std::map<std::pair<Kind, Bytes>, std::vector<std::size_t>> in_flight;

    void load_jobs() {
        jobs.clear();
        in_flight.clear();
        std::vector<Bytes> ids;
        {
            StmtUse s = conn->use("SELECT id FROM _zb_att WHERE state IN (?1, ?2, ?3) ORDER BY id");
            s->bind(1, static_cast<std::int64_t>(AttachmentState::Wanted));
            s->bind(2, static_cast<std::int64_t>(AttachmentState::Partial));
            s->bind(3, static_cast<std::int64_t>(AttachmentState::Uploading));
            while (s->step()) {
                auto b = s->blob(0);
                ids.emplace_back(b.begin(), b.end());
            }
        }
        // Uploads first: a secretary's photos matter to others, a member's downloads to herself.
        for (int pass = 0; pass < 2; ++pass) {
            for (const Bytes& id : ids) {
                auto r = row(id);
                if (!r) continue;
                const bool upload = r->state == AttachmentState::Uploading;
                if (upload != (pass == 0)) continue;
                Job j;
                j.id = id;
                j.upload = upload;
                j.ref = r->ref;
                if (upload) {
                    j.manifest = r->manifest;
                    std::set<Bytes> seen;
                    for (const Bytes& h : j.manifest.chunks)
                        if (seen.insert(h).second && !acked(id, h)) j.todo.push_back(h);
                }
                jobs.push_back(std::move(j));
            }
        }
    }

    /// The next request of job `k`, or nullopt when it has none right now.
    std::optional<std::pair<Kind, Message>> next_of(std::size_t k) {
        Job& j = jobs[k];
        if (j.stopped) return std::nullopt;
        if (j.upload) {
            if (!j.todo.empty()) {
                Bytes h = j.todo.front();
                j.todo.pop_front();
                auto data = chunk(h);
                if (!data) {
                    fail(j, Errc::NotFound, "a chunk of this upload is missing on the device");
                    return std::nullopt;
                }
                return std::make_pair(Kind::PutChunk, Message{PutChunk{h, std::move(*data)}});
            }
            if (j.outstanding == 0 && !j.head_sent) {
                j.head_sent = true;
                return std::make_pair(Kind::PutManifest, Message{PutManifest{j.manifest}});
            }
            return std::nullopt;
        }
        if (!j.head_sent) {
            j.head_sent = true;
            return std::make_pair(Kind::GetManifest,
                                  Message{GetManifest{j.id, j.ref.table, j.ref.row, j.ref.column}});
        }
        if (j.head_ready && !j.todo.empty()) {
            Bytes h = j.todo.front();
            j.todo.pop_front();
            return std::make_pair(Kind::GetChunk, Message{GetChunk{j.id, h}});
        }
        return std::nullopt;
    }

    std::vector<Message> fill(std::size_t window, TransferCounters& counters) {
        std::vector<Message> out;
        if (!started) return out;
        for (std::size_t k = 0; k < jobs.size() && in_flight.size() < window; ++k) {
            while (in_flight.size() < window) {
                auto next = next_of(k);
                if (!next) break;
                const Bytes key =
                    next->first == Kind::PutManifest ? jobs[k].id : key_of(next->second);
                auto& waiting = in_flight[{next->first, key}];
                waiting.push_back(k);
                jobs[k].outstanding += 1;
                if (waiting.size() > 1) continue;  // the same chunk is already on its way
                if (next->first == Kind::GetChunk) counters.chunks_requested += 1;
                out.push_back(std::move(next->second));
            }
        }
        return out;
    }

    static const Bytes& key_of(const Message& m) {
        if (const auto* x = std::get_if<PutChunk>(&m)) return x->hash;
        if (const auto* x = std::get_if<GetManifest>(&m)) return x->id;
        if (const auto* x = std::get_if<GetChunk>(&m)) return x->hash;
        static const Bytes kNone;
        return kNone;
    }

    void fail(Job& j, Errc code, std::string_view message) {
        j.stopped = true;
        set_state(j.id, AttachmentState::Failed, code, message);
    }

    std::vector<std::size_t> take(Kind kind, const Bytes& key) {
        auto it = in_flight.find({kind, key});
        if (it == in_flight.end()) return {};
        std::vector<std::size_t> out = std::move(it->second);
        in_flight.erase(it);
        for (std::size_t k : out)
            jobs[k].outstanding -= 1;
        return out;
    }

    bool busy() const {
        if (!started) return false;
        if (!in_flight.empty()) return true;
        for (const Job& j : jobs) {
            if (j.stopped) continue;
            if (j.upload ? (!j.todo.empty() || !j.head_sent)
                         : (!j.head_sent || (j.head_ready && !j.todo.empty())))
                return true;
        }
        return false;
    }
};

// ---------------------------------------------------------------------------------------------

Attachments::Attachments(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Attachments::~Attachments() = default;

Result<std::unique_ptr<Attachments>> Attachments::open(const std::string& path,
                                                       std::shared_ptr<DbOpener> opener) {
    if (sodium_init() < 0) return Error{Errc::Internal, "libsodium failed to initialise"};
    if (!opener) opener = plain_opener();
    auto impl = std::make_unique<Impl>();
    auto db = opener->open(path);
    if (!db) return db.error();
    impl->db = std::move(db.value());
    try {
        impl->conn = std::make_unique<Conn>(impl->db->handle());
        impl->conn->exec("PRAGMA journal_mode=WAL");
        impl->conn->exec("PRAGMA synchronous=FULL");
        impl->conn->exec("PRAGMA busy_timeout=5000");
        impl->conn->exec(kTables);
        // Anything left Uploading by a crash is simply resumed; nothing else needs repair.
    } catch (const StoreError& e) {
        return e.error();
    }
    return std::unique_ptr<Attachments>(new Attachments(std::move(impl)));
}

Result<Bytes> Attachments::add(std::span<const std::uint8_t> data, std::string_view media_type) {
    if (data.empty()) return Error{Errc::BadValue, "an attachment has at least one byte"};
    if (media_type.size() > kMaxMediaType) return Error{Errc::BadValue, "media type too long"};
    if (data.size() > kMaxManifestChunks * kChunkSize)
        return Error{Errc::BadValue, "attachment larger than 4 GiB"};
    AttachmentManifest m;
    m.size = data.size();
    m.media_type = std::string(media_type);
    for (std::size_t at = 0; at < data.size(); at += kChunkSize)
        m.chunks.push_back(blake2b(data.subspan(at, std::min(kChunkSize, data.size() - at))));
    const Bytes id = id_of(m);
    try {
        Txn txn(*impl_->conn);
        for (std::size_t i = 0; i < m.chunks.size(); ++i) {
            const std::size_t at = i * kChunkSize;
            impl_->put_chunk(m.chunks[i], data.subspan(at, std::min(kChunkSize, data.size() - at)));
        }
        auto existing = impl_->row(id);
        if (!existing || existing->state != AttachmentState::Complete) {
            StmtUse s = impl_->conn->use(
                "INSERT OR REPLACE INTO _zb_att(id, state, chunks, size, media) "
                "VALUES(?1, ?2, ?3, ?4, ?5)");
            s->bind_blob(1, id);
            s->bind(2, static_cast<std::int64_t>(AttachmentState::Uploading));
            s->bind_blob(3, join(m.chunks));
            s->bind(4, static_cast<std::uint64_t>(m.size));
            s->bind(5, std::string_view(m.media_type));
            s->run();
        }
        txn.commit();
    } catch (const StoreError& e) {
        return e.error();
    }
    return id;
}

Result<Bytes> Attachments::add_file(const std::string& file, std::string_view media_type) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error{Errc::NotFound, "cannot read " + file};
    Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return Error{Errc::NotFound, "cannot read " + file};
    return add(data, media_type);
}

Result<void> Attachments::want(const Bytes& id, const AttachmentRef& ref) {
    if (id.size() != kHashSize) return Error{Errc::BadValue, "an attachment id has 32 bytes"};
    if (ref.table.empty() || ref.row.empty() || ref.column.empty())
        return Error{Errc::BadValue, "the referencing cell needs table, row and column"};
    try {
        auto r = impl_->row(id);
        if (r && (r->state == AttachmentState::Complete || r->state == AttachmentState::Uploading))
            return {};
        const bool known = r && !r->manifest.chunks.empty();
        StmtUse s = impl_->conn->use(
            "INSERT INTO _zb_att(id, state, tbl, row, col) VALUES(?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT(id) DO UPDATE SET state=excluded.state, tbl=excluded.tbl, "
            "row=excluded.row, col=excluded.col, code=0, message=''");
        s->bind_blob(1, id);
        s->bind(2, static_cast<std::int64_t>(known ? AttachmentState::Partial
                                                   : AttachmentState::Wanted));
        s->bind(3, std::string_view(ref.table));
        s->bind(4, std::string_view(ref.row));
        s->bind(5, std::string_view(ref.column));
        s->run();
    } catch (const StoreError& e) {
        return e.error();
    }
    return {};
}

Result<AttachmentInfo> Attachments::info(const Bytes& id) {
    try {
        AttachmentInfo out;
        out.id = id;
        auto r = impl_->row(id);
        if (!r) return out;
        out.state = r->state;
        out.media_type = r->manifest.media_type;
        out.size = r->manifest.size;
        out.chunks = static_cast<std::uint32_t>(r->manifest.chunks.size());
        out.chunks_held = impl_->held_count(r->manifest);
        out.chunks_acked = impl_->acked_count(id);
        out.code = r->code;
        out.message = r->message;
        return out;
    } catch (const StoreError& e) {
        return e.error();
    }
}

Result<std::optional<Bytes>> Attachments::read(const Bytes& id) {
    try {
        auto r = impl_->row(id);
        if (!r || r->manifest.chunks.empty() ||
            (r->state != AttachmentState::Complete && r->state != AttachmentState::Uploading))
            return std::optional<Bytes>{};
        Bytes out;
        out.reserve(r->manifest.size);
        for (const Bytes& h : r->manifest.chunks) {
            auto c = impl_->chunk(h);
            if (!c || blake2b(*c) != h)
                return Error{Errc::StorageFailure, "a stored chunk is missing or damaged"};
            out.insert(out.end(), c->begin(), c->end());
        }
        if (out.size() != r->manifest.size)
            return Error{Errc::StorageFailure, "stored chunks do not add up to the size"};
        return std::optional<Bytes>{std::move(out)};
    } catch (const StoreError& e) {
        return e.error();
    }
}

Result<void> Attachments::export_to(const Bytes& id, const std::string& file) {
    auto data = read(id);
    if (!data) return data.error();
    if (!data.value()) return Error{Errc::NotFound, "the attachment is not complete"};
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.value()->data()),
              static_cast<std::streamsize>(data.value()->size()));
    if (!out.flush()) return Error{Errc::StorageFailure, "cannot write " + file};
    return {};
}

Result<std::uint64_t> Attachments::pending() {
    try {
        StmtUse s = impl_->conn->use("SELECT count(*) FROM _zb_att WHERE state IN (?1, ?2, ?3)");
        s->bind(1, static_cast<std::int64_t>(AttachmentState::Wanted));
        s->bind(2, static_cast<std::int64_t>(AttachmentState::Partial));
        s->bind(3, static_cast<std::int64_t>(AttachmentState::Uploading));
        s->step();
        return s->uint64(0);
    } catch (const StoreError& e) {
        return e.error();
    }
}

// ---- transfer ----

bool Attachments::is_reply(const Message& m) {
    return std::holds_alternative<BlobAck>(m) || std::holds_alternative<ManifestMsg>(m) ||
           std::holds_alternative<Chunk>(m);
}

std::vector<Message> Attachments::start() {
    impl_->load_jobs();
    impl_->started = true;
    return impl_->fill(window, counters_);
}

void Attachments::on_disconnected() {
    impl_->started = false;
    impl_->jobs.clear();
    impl_->in_flight.clear();
}

bool Attachments::busy() const {
    return impl_->busy();
}

std::vector<Message> Attachments::on_message(const Message& m) {
    Impl& d = *impl_;
    if (!d.started) return {};
    if (const auto* ack = std::get_if<BlobAck>(&m)) {
        if (auto jobs = d.take(Kind::PutManifest, ack->hash); !jobs.empty()) {
            for (std::size_t k : jobs) {
                Impl::Job& j = d.jobs[k];
                j.stopped = true;
                if (ack->code == Errc::Ok) {
                    d.set_state(j.id, AttachmentState::Complete);
                    counters_.manifests_uploaded += 1;
                } else {
                    d.fail(j, ack->code, ack->message);
                }
            }
        } else {
            for (std::size_t k : d.take(Kind::PutChunk, ack->hash)) {
                Impl::Job& j = d.jobs[k];
                if (ack->code != Errc::Ok) {
                    d.fail(j, ack->code, ack->message);
                    continue;
                }
                StmtUse s =
                    d.conn->use("INSERT OR IGNORE INTO _zb_att_acked(id, hash) VALUES(?1, ?2)");
                s->bind_blob(1, j.id);
                s->bind_blob(2, ack->hash);
                s->run();
                counters_.chunks_uploaded += 1;
            }
        }
    } else if (const auto* mm = std::get_if<ManifestMsg>(&m)) {
        for (std::size_t k : d.take(Kind::GetManifest, mm->id)) {
            Impl::Job& j = d.jobs[k];
            if (mm->code == Errc::NotFound) {
                // The row naming it synced before its uploader's bytes did: ask again on the
                // next connection, the attachment stays wanted.
                j.stopped = true;
                continue;
            }
            if (mm->code != Errc::Ok) {
                d.fail(j, mm->code,
                       mm->code == Errc::OutOfScope ? "not readable by this device"
                                                    : "the server does not have it");
                continue;
            }
            if (id_of(mm->manifest) != j.id) {
                j.stopped = true;  // a server bug or an attack: retried on the next connection
                counters_.chunks_rejected += 1;
                continue;
            }
            StmtUse s = d.conn->use(
                "UPDATE _zb_att SET state=?2, chunks=?3, size=?4, media=?5 WHERE id=?1");
            s->bind_blob(1, j.id);
            s->bind(2, static_cast<std::int64_t>(AttachmentState::Partial));
            s->bind_blob(3, join(mm->manifest.chunks));
            s->bind(4, static_cast<std::uint64_t>(mm->manifest.size));
            s->bind(5, std::string_view(mm->manifest.media_type));
            s->run();
            j.manifest = mm->manifest;
            j.head_ready = true;
            std::set<Bytes> seen;
            for (const Bytes& h : j.manifest.chunks)
                if (seen.insert(h).second && !d.held(h)) j.todo.push_back(h);
            j.distinct = seen.size();
            j.missing = j.todo.size();
            if (j.todo.empty()) {
                j.stopped = true;
                d.set_state(j.id, AttachmentState::Complete);
            }
        }
    } else if (const auto* ch = std::get_if<Chunk>(&m)) {
        const auto jobs = d.take(Kind::GetChunk, ch->hash);
        const bool good = ch->code == Errc::Ok && blake2b(ch->data) == ch->hash;
        if (good && !jobs.empty()) {
            d.put_chunk(ch->hash, ch->data);
            counters_.chunks_received += 1;
        } else if (ch->code == Errc::Ok) {
            counters_.chunks_rejected += 1;
        }
        for (std::size_t k : jobs) {
            Impl::Job& j = d.jobs[k];
            if (!good) {
                if (ch->code != Errc::Ok)
                    d.fail(j, ch->code, "the server refused a chunk");
                else
                    j.stopped = true;  // damaged in transit or by the server: retry later
                continue;
            }
            j.missing -= 1;
            const auto total = static_cast<std::uint32_t>(j.distinct);
            const auto have = static_cast<std::uint32_t>(j.distinct - j.missing);
            if (j.missing == 0) {
                j.stopped = true;
                d.set_state(j.id, AttachmentState::Complete);
            }
            if (on_progress) on_progress(j.id, have, total);
        }
    }
    return d.fill(window, counters_);
}

}  // namespace zb::core
