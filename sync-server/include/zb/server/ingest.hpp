// SPDX-License-Identifier: Apache-2.0
// The push pipeline, independent of the storage engine: batch signature, origin, sequence
// contiguity and idempotency, scope and role against the stored and the incoming row, column
// policy, clock, commands; accepted changes go through merge::apply on the store's State, every
// settled change into the change log, the batch into the audit chain, all in one transaction.
#pragma once

#include "zb/protocol/messages.hpp"
#include "zb/server/context.hpp"
#include "zb/server/scope.hpp"

#include <cstdint>
#include <vector>

namespace zb::server {

/// What a committed push changed, for live notifications.
struct CommitInfo {
    std::uint64_t cursor = 0;  ///< store head after the commit
    std::vector<std::pair<RowInfo, merge::Visibility>> rows;
    bool server_writes = false;  ///< commands wrote server-origin changes
};

struct IngestResult {
    protocol::PushAck ack;
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;
    std::optional<CommitInfo> commit;  ///< set when visible state changed
};

/// Process one Push from the authenticated principal. Errors (sent as ErrorMsg, the session is
/// closed): BadBatchSignature, TooLarge, DeviceRevoked, StorageFailure.
protocol::Result<IngestResult> ingest(ServerContext& ctx, const Principal& p,
                                      const protocol::Push& push);

/// Write server-origin changes (a command's results, an import, the nightly job) inside `txn`:
/// each gets the server's HLC, device id and next sequence number, goes through merge::apply and
/// into the change log. Throws std::runtime_error if the merge refuses one (a server bug).
void write_server_changes(ServerContext& ctx, StoreTxn& txn,
                          const std::vector<CommandWrite>& writes, std::uint64_t now_ms);

/// Can a session of `p` see a row (org, owner, visibility) — for Notify.
bool notify_wanted(const Principal& p, const CommitInfo& c);

}  // namespace zb::server
