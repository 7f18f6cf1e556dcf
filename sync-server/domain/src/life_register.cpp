// SPDX-License-Identifier: Apache-2.0
// Installs issue #6 (organisational life, learning, notices, supervision) into a server: accept
// observers and command handlers per module; the analytics run nightly via recompute_analytics.
#include "zb/server/domain/life.hpp"
#include "zb/server/domain/register.hpp"

namespace zb::server::domain {

void register_life_commands(ServerContext& ctx, const zb::domain::UniversityPolicy& policy) {
    register_meeting_life(ctx, policy);
    register_learning_life(ctx, policy);
    register_notice_life(ctx, policy);
    register_analytics_life(ctx, policy);
}

}  // namespace zb::server::domain
