// SPDX-License-Identifier: Apache-2.0
// The synced data schema of Zhibu (domain.md §12): every table with its default merge policy,
// per-column policies, organisation and owner columns, visibility and sensitive columns. The
// justification of each choice is a comment next to it in schema.cpp.
#pragma once

#include "zb/merge/schema.hpp"

#include <cstdint>
#include <vector>

namespace zb::domain {

/// Version of the domain schema (bump when tables or policies change).
inline constexpr std::uint32_t kSchemaVersion = 1;

/// The table definitions, in tables::kAll order (usable without a Schema object).
std::vector<merge::TableDef> schema_tables();

/// The Schema for the replica, the server and the simulator.
merge::Schema make_schema();

}  // namespace zb::domain
