// SPDX-License-Identifier: Apache-2.0
// Test doubles for the sync engine: an in-memory SyncStore that records every call and merges
// pulled pages through zb::merge::MemoryState, and a fake server that answers like the real one
// (idempotent pushes per seq, paged pulls by cursor) so tests can script faults around it.
#pragma once

#include "zb/core/sync_engine.hpp"
#include "zb/core/sync_store.hpp"
#include "zb/merge/memory_state.hpp"
#include "zb/merge/merge.hpp"

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace zb::core::test {

using protocol::Bytes;
using protocol::Change;
using protocol::Errc;
using protocol::Message;

class FakeStore final : public SyncStore {
public:
    explicit FakeStore(protocol::DeviceId device = 0) {
        id_.device = device;
        id_.public_key = Bytes(32, 0x5a);
        merge::TableDef t;
        t.name = "notes";
        schema_.add(t);
    }

    DeviceIdentity identity() override { return id_; }
    Bytes sign(const Bytes& payload) override {
        signed_.push_back(payload);
        // A stand-in signature that still depends on the payload, 64 bytes like Ed25519.
        Bytes sig(64, 0);
        for (std::size_t i = 0; i < payload.size(); ++i)
            sig[i % 64] ^= payload[i];
        return sig;
    }
    void set_enrolled(const protocol::Enrolled& e) override {
        enrolled_ = e;
        id_.device = e.device;
    }
    std::vector<Change> outbox(std::uint64_t after_seq, std::size_t max) override {
        std::vector<Change> out;
        for (auto it = outbox_.upper_bound(after_seq); it != outbox_.end() && out.size() < max;
             ++it) {
            out.push_back(it->second);
        }
        return out;
    }
    void settle(const std::vector<Change>& pushed, const protocol::PushAck& ack) override {
        settles_.push_back({pushed, ack});
        for (const protocol::ChangeResult& r : ack.results) {
            if (r.code != Errc::Ok && outbox_.count(r.seq) != 0) rejected_.push_back(r);
            outbox_.erase(r.seq);
        }
        outbox_.erase(outbox_.begin(), outbox_.upper_bound(ack.acked_seq));
    }
    void apply_remote(const protocol::Changes& page) override {
        for (const Change& c : page.changes) {
            auto r = merge::apply(schema_, state_, c);
            if (!r) throw std::runtime_error("apply_remote: " + r.error().message);
        }
        cursor_ = page.cursor;
        pages_.push_back(page);
    }
    std::uint64_t pull_cursor() override { return cursor_; }
    void wipe(const std::string& reason) override {
        wiped_ = reason;
        outbox_.clear();
        state_ = merge::MemoryState{};
        id_ = {};
    }

    /// A local write: the next seq, straight into the outbox.
    Change write(const std::string& row, const std::string& text) {
        Change c;
        c.table = "notes";
        c.row = row;
        c.column = "body";
        c.value = text;
        c.seq = ++seq_;
        c.origin = id_.device;
        c.hlc = protocol::Hlc::make(1'000'000 + c.seq, 0);
        outbox_[c.seq] = c;
        return c;
    }

    struct Settle {
        std::vector<Change> pushed;
        protocol::PushAck ack;
    };

    DeviceIdentity id_;
    merge::Schema schema_;
    merge::MemoryState state_;
    std::map<std::uint64_t, Change> outbox_;
    std::uint64_t seq_ = 0;
    std::uint64_t cursor_ = 0;
    std::vector<Bytes> signed_;
    std::optional<protocol::Enrolled> enrolled_;
    std::vector<Settle> settles_;
    std::vector<protocol::ChangeResult> rejected_;
    std::vector<protocol::Changes> pages_;
    std::optional<std::string> wiped_;
};

/// Answers like the real server, for one device. Pushes are idempotent per seq and contiguous;
/// pulls page through `log` by index.
class FakeServer {
public:
    Bytes challenge = Bytes(32, 0x11);
    std::uint64_t acked = 0;                ///< highest stored seq of the device
    std::vector<Change> log;                ///< pullable changes; the cursor is an index into it
    std::map<std::uint64_t, int> received;  ///< pushes seen per seq (duplicates allowed)
    std::set<std::uint64_t> reject;         ///< seqs answered with Forbidden
    std::map<std::uint64_t, protocol::ChangeResult> results;  ///< settled result per seq
    std::string token = "token-1";
    std::uint64_t token_ttl_ms = 3'600'000;
    protocol::DeviceId enroll_as = 4242;

    std::vector<Message> answer(const Message& m, std::uint64_t now_ms) {
        std::vector<Message> out;
        if (std::holds_alternative<protocol::Hello>(m)) {
            out.emplace_back(
                protocol::Welcome{protocol::kProtocolVersion, challenge, "srv", now_ms});
        } else if (std::holds_alternative<protocol::Enroll>(m)) {
            out.emplace_back(protocol::Enrolled{enroll_as, "p1", "member", "/u/c"});
        } else if (std::holds_alternative<protocol::Auth>(m)) {
            protocol::AuthOk ok;
            ok.token = token;
            ok.token_expires_ms = now_ms + token_ttl_ms;
            ok.acked_seq = acked;
            out.emplace_back(ok);
        } else if (const auto* push = std::get_if<protocol::Push>(&m)) {
            protocol::PushAck ack;
            ack.batch = push->batch;
            for (const Change& c : push->changes) {
                ++received[c.seq];
                if (c.seq <= acked) {
                    // Like the real server (StoreTxn::logged): the result it settled with.
                    ack.results.push_back(results.at(c.seq));
                    continue;
                }
                if (c.seq != acked + 1) {
                    ack.results.push_back({c.seq, Errc::SequenceGap, "gap"});
                    continue;
                }
                acked = c.seq;
                if (reject.count(c.seq) != 0) {
                    ack.results.push_back({c.seq, Errc::Forbidden, "not yours"});
                } else {
                    ack.results.push_back({c.seq, Errc::Ok, ""});
                    log.push_back(c);
                }
                results[c.seq] = ack.results.back();
            }
            ack.acked_seq = acked;
            out.emplace_back(ack);
        } else if (const auto* pull = std::get_if<protocol::Pull>(&m)) {
            protocol::Changes page;
            const std::uint64_t end =
                std::min<std::uint64_t>(log.size(), pull->cursor + pull->limit);
            for (std::uint64_t i = pull->cursor; i < end; ++i)
                page.changes.push_back(log[i]);
            page.cursor = end;
            page.has_more = end < log.size();
            page.done = end;
            page.total = log.size();
            out.emplace_back(page);
        }
        return out;
    }

    /// A change written by someone else, visible to pulls.
    void remote_write(const std::string& row, const std::string& text) {
        Change c;
        c.table = "notes";
        c.row = row;
        c.column = "body";
        c.value = text;
        c.origin = 999;
        c.seq = log.size() + 1;
        c.hlc = protocol::Hlc::make(2'000'000 + log.size(), 0);
        log.push_back(c);
    }
};

/// Carries messages both ways until both sides are quiet, or until `max_frames` frames (in
/// either direction) were delivered, to cut a connection mid-exchange: a cut can fall after the
/// server handled a Push but before its PushAck arrived. Returns the number delivered.
inline int pump(SyncEngine& engine, FakeServer& server, std::vector<Message> to_server,
                std::uint64_t now_ms, int max_frames = 1'000'000) {
    std::deque<Message> up(to_server.begin(), to_server.end());
    std::deque<Message> down;
    int delivered = 0;
    while ((!up.empty() || !down.empty()) && delivered < max_frames && !engine.should_close()) {
        ++delivered;
        if (!down.empty()) {
            Message m = std::move(down.front());
            down.pop_front();
            for (Message& next : engine.on_message(m, now_ms))
                up.push_back(std::move(next));
        } else {
            Message m = std::move(up.front());
            up.pop_front();
            for (Message& reply : server.answer(m, now_ms))
                down.push_back(std::move(reply));
        }
    }
    return delivered;
}

}  // namespace zb::core::test
