// SPDX-License-Identifier: Apache-2.0
// Tiers, upstream side: ingest of a RelayPush from an enrolled college server (SPEC.md §15). The
// college relays its subtree's changes with their ORIGINAL origin, seq, hlc and base, so counter
// parts keep summing per origin and every replica merges the same versions. The checks mirror
// ingest() for devices — scope on the stored and the incoming row, column policy, append-only,
// clock — but there is no per-origin contiguity (the college refused some seqs itself), and
// server-authoritative columns are accepted only as the college server's own results.
#pragma once

#include "zb/protocol/messages.hpp"
#include "zb/server/context.hpp"
#include "zb/server/ingest.hpp"
#include "zb/server/scope.hpp"

#include <cstdint>
#include <optional>

namespace zb::server {

struct RelayIngestResult {
    protocol::RelayAck ack;
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;
    std::optional<CommitInfo> commit;  ///< set when visible state changed
};

/// Process one RelayPush from the authenticated principal. Every change gets a result keyed by
/// (origin, seq); a change already settled under (origin, seq) gets its stored result again and
/// has no further effect. Errors (sent as ErrorMsg, the session is closed): Forbidden (the
/// principal is not a college server), BadBatchSignature, TooLarge, DeviceRevoked,
/// StorageFailure.
protocol::Result<RelayIngestResult> relay_ingest(ServerContext& ctx, const Principal& p,
                                                 const protocol::RelayPush& relay);

}  // namespace zb::server
