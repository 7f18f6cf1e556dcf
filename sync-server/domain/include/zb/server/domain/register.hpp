// SPDX-License-Identifier: Apache-2.0
// Installing the Party rules into a server context. One entry point for zhibu-server, the demo and
// tests; each module registers its own command handlers (see org.hpp and life.hpp).
#pragma once

#include "zb/domain/policy.hpp"
#include "zb/server/context.hpp"

namespace zb::server::domain {

/// The university's policy from the configuration's "policy" member (defaults when absent).
/// Throws std::invalid_argument on a bad policy, so the server refuses to start with one.
zb::domain::UniversityPolicy policy_from_config(const Config& c);

/// Register every domain command handler (organisation, members, development, dues, transfers,
/// archive; organisational life, learning, notices, supervision) into ctx.commands.
void register_domain(ServerContext& ctx, const zb::domain::UniversityPolicy& policy);

/// Modules' own registration (called by register_domain).
void register_org_commands(ServerContext& ctx, const zb::domain::UniversityPolicy& policy);
void register_life_commands(ServerContext& ctx, const zb::domain::UniversityPolicy& policy);

}  // namespace zb::server::domain
