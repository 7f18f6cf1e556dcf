// SPDX-License-Identifier: Apache-2.0
// RelayPush ingest (see relay.hpp). Order of checks per change: already settled under
// (origin, seq) → its stored result, unchanged; clock; table; op (commands are never relayed: the
// college executed them and relays their server-origin results); column policy; row write scope
// against the stored row and the row after the change; append-only; then merge::apply. Every
// settled change, refused or not, is logged under its original (origin, seq), so a replayed batch
// after a lost RelayAck gets exactly the same answers.
#include "batch_rows.hpp"

#include "zb/merge/merge.hpp"
#include "zb/server/log.hpp"
#include "zb/server/relay.hpp"

#include <chrono>

namespace zb::server {

using protocol::Change;
using protocol::Errc;
using protocol::Op;
using protocol::RelayResult;

namespace {

class RelayRun {
public:
    RelayRun(ServerContext& ctx, const Principal& p, StoreTxn& txn, std::uint64_t now,
             const protocol::RelayPush& relay)
        : ctx_(ctx),
          p_(p),
          txn_(txn),
          now_(now),
          rows_(ctx.schema, relay.changes, now, ctx.config.max_clock_ahead_ms) {}

    RelayResult run(const Change& c) {
        RelayResult r{c.origin, c.seq, Errc::Ok, {}};
        auto reject = [&](Errc code, std::string msg) {
            r.code = code;
            r.message = std::move(msg);
            return r;
        };
        if (c.hlc.millis() > now_ + ctx_.config.max_clock_ahead_ms)
            return reject(Errc::ClockAhead, "timestamp too far ahead of server time");
        if (c.op == Op::Command)
            return reject(Errc::BadValue, "commands are not relayed, only their results");
        const merge::TableDef* td = ctx_.schema.table(c.table);
        if (!td) return reject(Errc::UnknownTable, "unknown table");
        if ((c.op == Op::Set || c.op == Op::Count) &&
            ctx_.schema.policy(c.table, c.column) == merge::Policy::Server && c.origin != p_.device)
            return reject(Errc::ServerAuthoritative,
                          "server-authoritative column from an origin other than the relay");
        if (c.op == Op::Delete && !td->deletable)
            return reject(Errc::AppendOnlyViolation, "rows of this table cannot be deleted");

        // The relay is an officer of its subtree: this is the scope check, on both rows.
        if (auto ok = rows_.check_write(p_, *td, txn_, c); !ok)
            return reject(ok.error().code, ok.error().message);

        if (c.op == Op::Set && ctx_.schema.policy(c.table, c.column) == merge::Policy::AppendOnly) {
            auto cur = txn_.state().cell(c.table, c.row, c.column);
            if (cur && (cur->hlc != c.hlc || cur->origin != c.origin))
                return reject(Errc::AppendOnlyViolation, "append-only cell already written");
        }
        txn_.set_current(&c);
        auto applied = merge::apply(ctx_.schema, txn_.state(), c);
        txn_.set_current(nullptr);
        if (!applied) return reject(applied.error().code, applied.error().message);
        return r;
    }

private:
    ServerContext& ctx_;
    const Principal& p_;
    StoreTxn& txn_;
    std::uint64_t now_;
    BatchRows rows_;
};

}  // namespace

protocol::Result<RelayIngestResult> relay_ingest(ServerContext& ctx, const Principal& p,
                                                 const protocol::RelayPush& relay) {
    const auto started = std::chrono::steady_clock::now();
    if (p.role != Role::CollegeServer)
        return protocol::make_error(Errc::Forbidden, "only a college server may relay");
    if (relay.changes.size() > ctx.config.limits.max_batch)
        return protocol::make_error(Errc::TooLarge, "batch exceeds the change limit");
    const std::uint64_t now = ctx.now_ms();
    RelayIngestResult out;
    out.ack.batch = relay.batch;

    auto txn = ctx.store->begin();
    auto dev = txn->device(p.device);
    if (!dev) return protocol::make_error(Errc::AuthFailed, "unknown device");
    if (dev->revoked) return protocol::make_error(Errc::DeviceRevoked, "device revoked");
    const protocol::Bytes payload = protocol::relay_payload(relay);
    if (!verify_signature(payload, relay.signature, dev->public_key))
        return protocol::make_error(Errc::BadBatchSignature, "relay signature does not verify");

    RelayRun run(ctx, p, *txn, now, relay);
    std::uint64_t fresh = 0;
    for (const auto& c : relay.changes) {
        if (auto prev = txn->logged(c.origin, c.seq)) {
            out.ack.results.push_back({c.origin, c.seq, prev->code, prev->message});
            continue;
        }
        RelayResult r = run.run(c);
        txn->log_change(c, r.code, r.message);
        ++fresh;
        if (r.code == Errc::Ok) {
            ++out.accepted;
        } else {
            ++out.rejected;
        }
        out.ack.results.push_back(std::move(r));
    }
    if (fresh) {
        AuditEntry e;
        e.kind = kAuditRelayBatch;
        e.time_ms = now;
        e.device = p.device;
        e.batch = relay.batch;
        e.first_seq = relay.changes.front().seq;
        e.last_seq = relay.changes.back().seq;
        e.accepted = static_cast<std::uint32_t>(out.accepted);
        e.rejected = static_cast<std::uint32_t>(out.rejected);
        e.payload_hash = blake2b(payload);
        e.signature = relay.signature;
        e.note = "relay from " + p.person;
        txn->append_audit(std::move(e));
        const std::uint64_t head_before = ctx.store->head();
        auto touched = txn->touched();
        if (auto ok = txn->commit(); !ok) return ok.error();
        if (txn->head() != head_before) {
            CommitInfo ci;
            ci.cursor = txn->head();
            ci.rows = std::move(touched);
            out.commit = std::move(ci);
        }
    }
    ctx.metrics.changes_accepted += out.accepted;
    ctx.metrics.changes_rejected += out.rejected;
    ctx.metrics.pushes += 1;
    ctx.metrics.observe_push_latency(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    log(LogLevel::Debug, "relay",
        {{"device", std::to_string(p.device)},
         {"batch", relay.batch},
         {"accepted", out.accepted},
         {"rejected", out.rejected}});
    return out;
}

}  // namespace zb::server
