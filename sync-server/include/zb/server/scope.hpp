// SPDX-License-Identifier: Apache-2.0
// Roles, organisation scopes and the access rules of domain.md §2 and §11, as pure functions.
// A scope covers a row iff the row's org path equals the scope or starts with scope + "/"
// ("/" covers every path). Reads depend on the table's Visibility; writes are checked against the
// stored row and against the row as the incoming change would leave it.
#pragma once

#include "zb/merge/schema.hpp"
#include "zb/protocol/change.hpp"
#include "zb/protocol/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zb::server {

enum class Role : std::uint8_t {
    Member = 1,            ///< own rows, plus Org-visible rows of the own branch
    BranchSecretary = 2,   ///< the branch subtree
    CommitteeMember = 3,   ///< the branch subtree (组织委员, 宣传委员, 纪检委员 …)
    CollegeCommittee = 4,  ///< the college subtree
    OrgDepartment = 5,     ///< the university organisation department: everything
    Auditor = 6,           ///< the audit log only, no data rows
    /// A college's own server enrolled at the university's (tiers, SPEC.md §15): relays its
    /// subtree's changes upstream and pulls that subtree (plus what is published above it) down,
    /// with sensitive columns in full, since it serves their owners.
    CollegeServer = 7,
};

std::string_view role_name(Role r);
std::optional<Role> parse_role(std::string_view name);
bool is_officer(Role r);

/// True iff `path` is a well-formed organisation path: "/" or "/seg/seg…" with non-empty
/// segments of [A-Za-z0-9_-].
bool valid_org_path(std::string_view path);
bool covers(std::string_view scope, std::string_view org);

/// Who is on the other end of an authenticated session.
struct Principal {
    protocol::DeviceId device = 0;
    std::string person;
    Role role = Role::Member;
    std::string org;                  ///< where the person was enrolled
    std::vector<std::string> scopes;  ///< derived from role and org by scopes_for()

    bool officer() const { return is_officer(role); }
    bool in_scope(std::string_view row_org) const;
};

std::vector<std::string> scopes_for(Role role, const std::string& org);
Principal make_principal(protocol::DeviceId device, std::string person, Role role, std::string org);

/// What the server knows of a stored row (absent org/owner = empty strings).
struct RowInfo {
    std::string org;
    std::string owner;
};

/// May `p` read a row of this visibility, organisation and owner? Owners read their own rows
/// (unless Officers-only); Org-visible rows are read within the principal's scopes and, when
/// published at an ancestor of the principal's organisation, by everyone below it; officers
/// read every row within their scopes. Auditors read no data rows.
bool can_read_row(const Principal& p, merge::Visibility vis, std::string_view org,
                  std::string_view owner);

enum class ColumnAccess : std::uint8_t { Full, Masked, Hidden };
/// For a readable row: how a column is delivered (sensitive columns: owner full, officer masked).
ColumnAccess column_access(const Principal& p, bool sensitive, std::string_view owner);

/// "3201**********1234": keeps the first 4 and last 4 characters (UTF-8 code points) of text;
/// text of 8 characters or fewer is masked whole; other types become null.
protocol::Value mask_value(const protocol::Value& v);

/// May `p` write a row of `table` that is stored as `stored` (nullopt = new row) and would be
/// `after` once the change is applied? Errors: Forbidden, OutOfScope.
protocol::Result<void> check_row_write(const Principal& p, const merge::TableDef& table,
                                       const std::optional<RowInfo>& stored, const RowInfo& after);

}  // namespace zb::server
