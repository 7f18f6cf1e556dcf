// SPDX-License-Identifier: Apache-2.0
#include "zb/server/domain/register.hpp"

namespace zb::server::domain {

zb::domain::UniversityPolicy policy_from_config(const Config& c) {
    if (c.policy_json.is_null()) return zb::domain::UniversityPolicy{};
    return zb::domain::UniversityPolicy::from_json(c.policy_json);
}

void register_domain(ServerContext& ctx, const zb::domain::UniversityPolicy& policy) {
    register_org_commands(ctx, policy);
    register_life_commands(ctx, policy);
}

}  // namespace zb::server::domain
