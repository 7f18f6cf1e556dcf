// SPDX-License-Identifier: Apache-2.0
// Installs the issue #5 handlers (organisation, members, development, dues, transfers, mobility,
// reveals) with one shared copy of the university's policy.
#include "zb/server/domain/org.hpp"
#include "zb/server/domain/register.hpp"

namespace zb::server::domain {

void register_org_commands(ServerContext& ctx, const zb::domain::UniversityPolicy& policy) {
    auto rules = std::make_shared<OrgRules>();
    rules->policy = policy;
    register_development_commands(ctx, rules);
    register_member_commands(ctx, rules);
    register_dues_commands(ctx, rules);
    register_mobility_commands(ctx, rules);
    register_reveal_commands(ctx, rules);
}

}  // namespace zb::server::domain
