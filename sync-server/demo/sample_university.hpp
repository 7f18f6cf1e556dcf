// SPDX-License-Identifier: Apache-2.0
// The sample university of the main job: an organisation tree (校党委 → 4 院系党委 → 12 党支部),
// a few hundred people with memberships and dues profiles, and learning content. Written into the
// server's store as server-origin changes, exactly as a command's results would be.
#pragma once

#include "zb/server/context.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace zb::demo {

struct SamplePerson {
    std::string id;  ///< person id, also the row id of persons/memberships
    std::string name;
    std::string branch;  ///< organisation path of the branch
    std::string status;  ///< 正式党员, 预备党员, 入党积极分子 …
};

struct SampleBranch {
    std::string path;
    std::string name;
    std::string secretary;  ///< person id
    std::string committee;  ///< a committee member's person id (组织委员)
    std::vector<std::string> members;
};

struct SampleUniversity {
    std::vector<SampleBranch> branches;
    std::vector<SamplePerson> people;
    std::vector<std::string> content_ids;  ///< learning content, university-wide
    std::string quiz_id;
    std::string notice_id;
    std::size_t rows = 0;   ///< rows written
    std::size_t cells = 0;  ///< column values written
    const SamplePerson& person(const std::string& id) const;
};

/// Write the sample university into `ctx`'s store in one transaction.
SampleUniversity seed_sample_university(server::ServerContext& ctx, int members_per_branch);

}  // namespace zb::demo
