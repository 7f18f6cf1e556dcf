// SPDX-License-Identifier: Apache-2.0
// Issue #6 on the server: organisational life (三会一课), learning, notices and 公示, comments and
// 舆情, supervision. Three kinds of code live here:
//  * accept observers: run inside the push transaction right after a device's changes are
//    accepted and stamp what only the server knows — its receipt time (the day points caps and
//    study years are counted on), a meeting's assigned period and implausible-time flags, a
//    quiz's score, a comment's sentiment and moderation state (domain.md §12.1.2, §12.1.6,
//    §12.1.7);
//  * commands (meeting submission and review by the level above, comment moderation, disclosure
//    publishing, on-demand analytics), listed in client-core/domain/README.md;
//  * recompute_analytics(): points, 学时, recommendations, per-branch scorecards, red/yellow
//    alerts, college and university roll-ups and opinion aggregates, computed from the synced rows
//    and written as server-origin rows. Only cells whose value changes are written, so a second
//    run over the same data writes nothing.
#pragma once

#include "zb/domain/policy.hpp"
#include "zb/server/command.hpp"
#include "zb/server/context.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zb::server::domain {

/// The nightly job's entry point: recompute every analytics row from the synced data in one
/// committed transaction (policy from ctx.config). Idempotent. Throws std::runtime_error when
/// the store fails.
void recompute_analytics(ServerContext& ctx, std::uint64_t now_ms);

/// The same computation inside an open transaction; returns the writes (only changed cells).
/// Used by recompute_analytics and by the on-demand command `scorecards`/`recompute`.
std::vector<CommandWrite> analytics_writes(ServerContext& ctx, StoreTxn& txn,
                                           const zb::domain::UniversityPolicy& policy,
                                           std::uint64_t now_ms);

/// Ids of the live (not deleted) rows of `table` as last committed, ascending. Reads the store's
/// SQLite file through its own read-only connection; rows written in an open transaction are not
/// seen. Throws std::runtime_error when the file cannot be read.
std::vector<std::string> live_row_ids(ServerContext& ctx, StoreTxn& txn, std::string_view table);

// ---- module registration (life_register.cpp calls these) -----------------------------------

void register_meeting_life(ServerContext& ctx, const zb::domain::UniversityPolicy& policy);
void register_learning_life(ServerContext& ctx, const zb::domain::UniversityPolicy& policy);
void register_notice_life(ServerContext& ctx, const zb::domain::UniversityPolicy& policy);
void register_analytics_life(ServerContext& ctx, const zb::domain::UniversityPolicy& policy);

}  // namespace zb::server::domain
