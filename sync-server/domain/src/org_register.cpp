// SPDX-License-Identifier: Apache-2.0
#include "zb/server/domain/register.hpp"

namespace zb::server::domain {

void register_org_commands(ServerContext& /*ctx*/, const zb::domain::UniversityPolicy& /*policy*/) {
}

}  // namespace zb::server::domain
