// SPDX-License-Identifier: Apache-2.0
// make_schema(): wraps schema_tables() in a zb::merge::Schema. Kept in its own translation unit so
// that code using only the pure rules does not pull in zb_merge's Schema implementation.

#include "zb/domain/schema.hpp"

namespace zb::domain {

merge::Schema make_schema() {
    merge::Schema s(kSchemaVersion);
    for (auto& t : schema_tables())
        s.add(std::move(t));
    return s;
}

}  // namespace zb::domain
