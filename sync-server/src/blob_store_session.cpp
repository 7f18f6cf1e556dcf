// SPDX-License-Identifier: Apache-2.0
// BlobSession: one connection's attachment requests (protocol/SPEC.md §14). Each request gets
// exactly one answer carrying its own code, so a refused chunk never ends the session and the
// phone's other transfers go on. The read rule mirrors pulls: a device may fetch what it could see
// a reference to (can_read_row on the referencing row, the column delivered in full), which is
// how branch-private meeting photos stay in their branch and 政审材料 scans stay with their owner
// and the officers above them (domain.md §11).
#include "zb/server/blob_store.hpp"
#include "zb/server/context.hpp"
#include "zb/server/log.hpp"

#include <algorithm>
#include <variant>

namespace zb::server {

using namespace protocol;

namespace {

std::string text_of(const std::optional<merge::Cell>& c) {
    if (!c) return {};
    const auto* s = std::get_if<std::string>(&c->value);
    return s ? *s : std::string();
}

ManifestMsg refused_manifest(const Bytes& id, Errc code) {
    ManifestMsg out;
    out.id = id;
    out.code = code;
    return out;
}

}  // namespace

bool is_blob_request(const Message& m) {
    return std::holds_alternative<PutChunk>(m) || std::holds_alternative<PutManifest>(m) ||
           std::holds_alternative<GetManifest>(m) || std::holds_alternative<GetChunk>(m);
}

std::optional<Message> BlobSession::handle(ServerContext& ctx, const Principal& p,
                                           const Message& m) {
    if (!ctx.blobs) {
        // A server without a blob store refuses every request, each with its own answer.
        if (const auto* pc = std::get_if<PutChunk>(&m))
            return BlobAck{pc->hash, Errc::StorageFailure, "attachments are not enabled"};
        if (const auto* pm = std::get_if<PutManifest>(&m))
            return BlobAck{manifest_id(pm->manifest), Errc::StorageFailure,
                           "attachments are not enabled"};
        if (const auto* gm = std::get_if<GetManifest>(&m))
            return refused_manifest(gm->id, Errc::NotFound);
        if (const auto* gc = std::get_if<GetChunk>(&m)) return Chunk{gc->hash, Errc::NotFound, {}};
        return std::nullopt;
    }
    BlobStore& blobs = *ctx.blobs;
    if (const auto* pc = std::get_if<PutChunk>(&m)) {
        if (p.role == Role::Auditor) {
            blobs.stats.refusals += 1;
            return BlobAck{pc->hash, Errc::Forbidden, "auditors do not upload"};
        }
        auto r = blobs.put_chunk(p.device, pc->hash, pc->data);
        if (!r) {
            blobs.stats.refusals += 1;
            return BlobAck{pc->hash, r.error().code, r.error().message};
        }
        return BlobAck{pc->hash, Errc::Ok, ""};
    }
    if (const auto* pm = std::get_if<PutManifest>(&m)) {
        auto r = blobs.put_manifest(p.device, pm->manifest);
        if (!r) {
            blobs.stats.refusals += 1;
            return BlobAck{manifest_id(pm->manifest), r.error().code, r.error().message};
        }
        log(LogLevel::Debug, "attachment_stored",
            {{"device", std::to_string(p.device)}, {"id", hex(r.value()).substr(0, 16)}});
        return BlobAck{r.value(), Errc::Ok, ""};
    }
    if (const auto* gm = std::get_if<GetManifest>(&m)) {
        ManifestMsg out = get_manifest(ctx, p, *gm);
        if (out.code != Errc::Ok) blobs.stats.refusals += 1;
        return out;
    }
    if (const auto* gc = std::get_if<GetChunk>(&m)) {
        Chunk out = get_chunk(ctx, *gc);
        (out.code == Errc::Ok ? blobs.stats.chunks_served : blobs.stats.refusals) += 1;
        return out;
    }
    return std::nullopt;
}

ManifestMsg BlobSession::get_manifest(ServerContext& ctx, const Principal& p,
                                      const GetManifest& m) {
    auto stored = ctx.blobs->manifest(m.id);
    if (!stored) return refused_manifest(m.id, stored.error().code);
    if (m.table.empty()) {
        // Only the uploading device reads a manifest without a referencing row (e.g. to check
        // an upload before the row that names it has synced).
        if (!stored.value() || stored.value()->uploader != p.device)
            return refused_manifest(m.id, stored.value() ? Errc::OutOfScope : Errc::NotFound);
    } else {
        // Check the reference before revealing whether the manifest exists: a device that may
        // not read the row learns nothing about the attachment.
        const merge::TableDef* td = ctx.schema.table(m.table);
        if (td == nullptr) return refused_manifest(m.id, Errc::OutOfScope);
        const std::string org = text_of(ctx.store->cell(m.table, m.row, td->org_column));
        const std::string owner = td->owner_column.empty()
                                      ? std::string()
                                      : text_of(ctx.store->cell(m.table, m.row, td->owner_column));
        if (org.empty() || !can_read_row(p, td->visibility, org, owner))
            return refused_manifest(m.id, Errc::OutOfScope);
        const merge::ColumnDef* cd = td->column(m.column);
        if (column_access(p, cd != nullptr && cd->sensitive, owner) != ColumnAccess::Full)
            return refused_manifest(m.id, Errc::OutOfScope);
        const auto cell = ctx.store->cell(m.table, m.row, m.column);
        if (!cell || parse_attachment_ref(cell->value) != m.id)
            return refused_manifest(m.id, Errc::OutOfScope);
        if (!stored.value()) return refused_manifest(m.id, Errc::NotFound);
    }
    const AttachmentManifest& mf = stored.value()->manifest;
    granted_[m.id] = std::set<Bytes>(mf.chunks.begin(), mf.chunks.end());
    ManifestMsg out;
    out.id = m.id;
    out.code = Errc::Ok;
    out.manifest = mf;
    return out;
}

Chunk BlobSession::get_chunk(ServerContext& ctx, const GetChunk& m) {
    const auto g = granted_.find(m.id);
    if (g == granted_.end() || g->second.count(m.hash) == 0)
        return Chunk{m.hash, Errc::OutOfScope, {}};
    auto bytes = ctx.blobs->chunk(m.hash);
    if (!bytes) return Chunk{m.hash, bytes.error().code, {}};
    return Chunk{m.hash, Errc::Ok, std::move(bytes.value())};
}

}  // namespace zb::server
