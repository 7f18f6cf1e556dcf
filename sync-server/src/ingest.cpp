// SPDX-License-Identifier: Apache-2.0
// The push pipeline (see ingest.hpp). Order of checks per change: sequence (already settled →
// its stored result; gap → SequenceGap), clock, table, command dispatch, column policy, row write
// scope against the stored row and the row after the change, append-only; then merge::apply.
// Rejected changes settle their seq too, so a device never gets stuck behind a refused change.
#include "zb/server/ingest.hpp"

#include "batch_rows.hpp"

#include "zb/merge/merge.hpp"
#include "zb/protocol/codec.hpp"
#include "zb/server/log.hpp"
#include "zb/server/maintenance.hpp"

#include <chrono>

namespace zb::server {

using protocol::Change;
using protocol::ChangeResult;
using protocol::Errc;
using protocol::Op;

namespace {

class BatchRun {
public:
    BatchRun(ServerContext& ctx, const Principal& p, StoreTxn& txn, std::uint64_t now,
             const protocol::Push& push)
        : ctx_(ctx),
          p_(p),
          txn_(txn),
          now_(now),
          rows_(ctx.schema, push.changes, now, ctx.config.max_clock_ahead_ms) {}

    /// Check and apply one change with seq == next expected. Returns its result.
    ChangeResult run(const Change& c) {
        ChangeResult r{c.seq, Errc::Ok, {}};
        auto reject = [&](Errc code, std::string msg) {
            r.code = code;
            r.message = std::move(msg);
            return r;
        };
        if (c.hlc.millis() > now_ + ctx_.config.max_clock_ahead_ms)
            return reject(Errc::ClockAhead, "timestamp too far ahead of server time");
        if (c.hlc.is_zero()) return reject(Errc::BadValue, "change without a timestamp");
        if (c.op == Op::Command) return run_command(c);
        const merge::TableDef* td = ctx_.schema.table(c.table);
        if (!td) return reject(Errc::UnknownTable, "unknown table");
        if (c.op == Op::Set || c.op == Op::Count) {
            if (c.column.empty()) return reject(Errc::BadValue, "column change without a column");
            if (ctx_.schema.policy(c.table, c.column) == merge::Policy::Server)
                return reject(Errc::ServerAuthoritative, "only a command may change this column");
        }
        if (c.op == Op::Delete && !td->deletable)
            return reject(Errc::AppendOnlyViolation, "rows of this table cannot be deleted");

        if (auto ok = rows_.check_write(p_, *td, txn_, c); !ok)
            return reject(ok.error().code, ok.error().message);
        // Undo of a delete: an officer other than the deleter, audited (maintenance.hpp).
        std::optional<std::string> restoring_from;
        if (c.op == Op::Restore) {
            auto allowed = check_restore(txn_, p_, c.table, c.row);
            if (!allowed) return reject(allowed.error().code, allowed.error().message);
            if (!allowed.value().empty()) restoring_from = allowed.value();
        }

        if (c.op == Op::Set && ctx_.schema.policy(c.table, c.column) == merge::Policy::AppendOnly) {
            auto cur = txn_.state().cell(c.table, c.row, c.column);
            if (cur && (cur->hlc != c.hlc || cur->origin != c.origin))
                return reject(Errc::AppendOnlyViolation, "append-only cell already written");
        }
        txn_.set_current(&c);
        auto applied = merge::apply(ctx_.schema, txn_.state(), c);
        txn_.set_current(nullptr);
        if (!applied) return reject(applied.error().code, applied.error().message);
        if (restoring_from)
            txn_.append_audit(restore_audit_entry(p_, c.table, c.row, *restoring_from, now_));
        return r;
    }

    bool server_writes() const { return server_writes_; }

private:
    ChangeResult run_command(const Change& c) {
        ChangeResult r{c.seq, Errc::Ok, {}};
        CommandHandler* h = ctx_.commands.find(c.table, c.column);
        if (!h) {
            r.code = Errc::RuleViolation;
            r.message = "unknown command";
            return r;
        }
        auto writes = h->handle(CommandContext{p_, txn_, now_}, c);
        if (!writes) {
            r.code = writes.error().code == Errc::Ok ? Errc::RuleViolation : writes.error().code;
            r.message = writes.error().message;
            return r;
        }
        write_server_changes(ctx_, txn_, writes.value(), now_);
        server_writes_ = server_writes_ || !writes.value().empty();
        return r;
    }

    ServerContext& ctx_;
    const Principal& p_;
    StoreTxn& txn_;
    std::uint64_t now_;
    BatchRows rows_;
    bool server_writes_ = false;
};

}  // namespace

void write_server_changes(ServerContext& ctx, StoreTxn& txn,
                          const std::vector<CommandWrite>& writes, std::uint64_t now_ms) {
    for (const auto& w : writes) {
        auto hlc = txn.server_clock().tick(now_ms);
        if (!hlc) throw std::runtime_error("server clock overflow");
        protocol::Change sc;
        sc.table = w.table;
        sc.row = w.row;
        sc.column = w.column;
        sc.op = w.op;
        sc.value = w.value;
        sc.hlc = hlc.value();
        sc.origin = txn.server_device_id();
        sc.seq = txn.next_server_seq();
        txn.set_current(&sc);
        auto applied = merge::apply(ctx.schema, txn.state(), sc);
        txn.set_current(nullptr);
        if (!applied)
            throw std::runtime_error("server write refused by merge: " + applied.error().message);
        txn.log_change(sc, Errc::Ok, {});
    }
}

protocol::Result<IngestResult> ingest(ServerContext& ctx, const Principal& p,
                                      const protocol::Push& push) {
    const auto started = std::chrono::steady_clock::now();
    if (push.changes.size() > ctx.config.limits.max_batch)
        return protocol::make_error(Errc::TooLarge, "batch exceeds the change limit");
    const std::uint64_t now = ctx.now_ms();
    IngestResult out;
    out.ack.batch = push.batch;

    auto txn = ctx.store->begin();
    auto dev = txn->device(p.device);
    if (!dev) return protocol::make_error(Errc::AuthFailed, "unknown device");
    if (dev->revoked) return protocol::make_error(Errc::DeviceRevoked, "device revoked");
    if (!verify_signature(protocol::push_payload(push), push.signature, dev->public_key))
        return protocol::make_error(Errc::BadBatchSignature, "batch signature does not verify");

    std::uint64_t acked = dev->acked_seq;
    out.ack.acked_seq = acked;
    // A change that claims another origin poisons the whole batch: nothing is stored.
    for (const auto& c : push.changes) {
        if (c.origin != p.device) {
            for (const auto& x : push.changes)
                out.ack.results.push_back(
                    {x.seq, Errc::Forbidden, "origin is not the authenticated device"});
            out.rejected = push.changes.size();
            return out;
        }
    }

    BatchRun run(ctx, p, *txn, now, push);
    std::uint64_t first_new = 0, last_new = 0;
    bool gap = false;
    std::vector<protocol::Change> accepted_changes;  // for the accept observers
    for (const auto& c : push.changes) {
        if (c.seq <= acked) {
            auto prev = txn->logged(c.origin, c.seq);
            out.ack.results.push_back(prev ? *prev : ChangeResult{c.seq, Errc::Ok, {}});
            out.ack.results.back().seq = c.seq;
            continue;
        }
        // After a restore from backup the device's acknowledged seqs beyond the backup are gone
        // with the old server; it re-sends their data under new numbers, once (SPEC §9.1).
        if (!gap && c.seq > acked + 1 && !first_new && take_sequence_reset(*txn, p.device)) {
            log(LogLevel::Info, "sequence_reset",
                {{"device", std::to_string(p.device)}, {"from", acked}, {"to", c.seq - 1}});
            acked = c.seq - 1;
        }
        if (gap || c.seq != acked + 1) {
            gap = true;
            out.ack.results.push_back({c.seq, Errc::SequenceGap, "sequence number skipped"});
            ++out.rejected;
            continue;
        }
        ChangeResult r = run.run(c);
        txn->log_change(c, r.code, r.message);
        if (r.code == Errc::Ok) {
            ++out.accepted;
            if (c.op != Op::Command && !ctx.commands.observers().empty())
                accepted_changes.push_back(c);
        } else {
            ++out.rejected;
        }
        out.ack.results.push_back(std::move(r));
        acked = c.seq;
        if (!first_new) first_new = c.seq;
        last_new = c.seq;
    }
    bool derived_writes = false;
    if (!accepted_changes.empty()) {
        const CommandContext cc{p, *txn, now};
        for (const auto& o : ctx.commands.observers()) {
            auto writes = o->accepted(cc, accepted_changes);
            write_server_changes(ctx, *txn, writes, now);
            derived_writes = derived_writes || !writes.empty();
        }
    }
    if (last_new) {
        txn->set_acked(p.device, acked);
        AuditEntry e;
        e.kind = kAuditBatch;
        e.time_ms = now;
        e.device = p.device;
        e.batch = push.batch;
        e.first_seq = first_new;
        e.last_seq = last_new;
        e.accepted = static_cast<std::uint32_t>(out.accepted);
        e.rejected = static_cast<std::uint32_t>(out.rejected);
        e.payload_hash = blake2b(protocol::push_payload(push));
        e.signature = push.signature;
        txn->append_audit(std::move(e));
        const std::uint64_t head_before = ctx.store->head();
        auto touched = txn->touched();
        if (auto ok = txn->commit(); !ok) return ok.error();
        if (txn->head() != head_before) {
            CommitInfo ci;
            ci.cursor = txn->head();
            ci.rows = std::move(touched);
            ci.server_writes = run.server_writes() || derived_writes;
            out.commit = std::move(ci);
        }
    }
    out.ack.acked_seq = acked;
    ctx.metrics.changes_accepted += out.accepted;
    ctx.metrics.changes_rejected += out.rejected;
    ctx.metrics.pushes += 1;
    ctx.metrics.observe_push_latency(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return out;
}

bool notify_wanted(const Principal& p, const CommitInfo& c) {
    for (const auto& [info, vis] : c.rows)
        if (can_read_row(p, vis, info.org, info.owner)) return true;
    return false;
}

}  // namespace zb::server
