// SPDX-License-Identifier: Apache-2.0
// Role scopes and the read/write access rules (domain.md §2, §11.2). Write checks look at both
// the stored row and the row after the change, so nobody can take over someone else's row or move
// a row out of (or into) a branch they do not administer (the Couchbase oldDoc lesson).
#include "zb/server/scope.hpp"

namespace zb::server {

using protocol::Errc;
using protocol::make_error;

std::string_view role_name(Role r) {
    switch (r) {
        case Role::Member:
            return "member";
        case Role::BranchSecretary:
            return "branch_secretary";
        case Role::CommitteeMember:
            return "committee_member";
        case Role::CollegeCommittee:
            return "college_committee";
        case Role::OrgDepartment:
            return "org_department";
        case Role::Auditor:
            return "auditor";
        case Role::CollegeServer:
            return "college_server";
    }
    return "unknown";
}

std::optional<Role> parse_role(std::string_view name) {
    for (auto r : {Role::Member, Role::BranchSecretary, Role::CommitteeMember,
                   Role::CollegeCommittee, Role::OrgDepartment, Role::Auditor, Role::CollegeServer})
        if (role_name(r) == name) return r;
    return std::nullopt;
}

bool is_officer(Role r) {
    return r == Role::BranchSecretary || r == Role::CommitteeMember ||
           r == Role::CollegeCommittee || r == Role::OrgDepartment || r == Role::CollegeServer;
}

bool valid_org_path(std::string_view path) {
    if (path == "/") return true;
    if (path.empty() || path.front() != '/' || path.back() == '/') return false;
    bool prev_slash = false;
    for (char ch : path) {
        if (ch == '/') {
            if (prev_slash) return false;
            prev_slash = true;
            continue;
        }
        prev_slash = false;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!ok) return false;
    }
    return true;
}

bool covers(std::string_view scope, std::string_view org) {
    if (scope.empty() || org.empty()) return false;
    if (scope == "/") return org.front() == '/';
    if (org == scope) return true;
    return org.size() > scope.size() && org.substr(0, scope.size()) == scope &&
           org[scope.size()] == '/';
}

bool Principal::in_scope(std::string_view row_org) const {
    for (const auto& s : scopes)
        if (covers(s, row_org)) return true;
    return false;
}

std::vector<std::string> scopes_for(Role role, const std::string& org) {
    switch (role) {
        case Role::Member:
        case Role::BranchSecretary:
        case Role::CommitteeMember:
        case Role::CollegeCommittee:
        case Role::CollegeServer:
            return {org};
        case Role::OrgDepartment:
            return {"/"};
        case Role::Auditor:
            return {};
    }
    return {};
}

Principal make_principal(protocol::DeviceId device, std::string person, Role role,
                         std::string org) {
    Principal p;
    p.device = device;
    p.person = std::move(person);
    p.role = role;
    p.scopes = scopes_for(role, org);
    p.org = std::move(org);
    return p;
}

bool can_read_row(const Principal& p, merge::Visibility vis, std::string_view org,
                  std::string_view owner) {
    if (p.role == Role::Auditor) return false;
    bool own = !owner.empty() && owner == p.person;
    if (own && vis != merge::Visibility::Officers) return true;
    // Published down the tree: an Org-visible row at an ancestor of the principal's organisation
    // (university-wide content, a college's notices) is read by everyone below it.
    if (vis == merge::Visibility::Org && !p.org.empty() && covers(org, p.org)) return true;
    if (!p.in_scope(org)) return false;
    if (p.officer()) return true;
    return vis == merge::Visibility::Org;
}

ColumnAccess column_access(const Principal& p, bool sensitive, std::string_view owner) {
    if (!sensitive) return ColumnAccess::Full;
    // A college server holds its members' records for them (encrypted at rest like here).
    if (p.role == Role::CollegeServer) return ColumnAccess::Full;
    if (!owner.empty() && owner == p.person) return ColumnAccess::Full;
    if (p.officer()) return ColumnAccess::Masked;
    return ColumnAccess::Hidden;
}

protocol::Value mask_value(const protocol::Value& v) {
    if (v.index() != 3) return protocol::Value{};
    const auto& s = std::get<std::string>(v);
    // Split into UTF-8 code points so a multi-byte character is never cut in half.
    std::vector<std::string_view> cps;
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80         ? 1
                        : (c >> 5) == 6  ? 2
                        : (c >> 4) == 14 ? 3
                        : (c >> 3) == 30 ? 4
                                         : 1;
        if (i + n > s.size()) n = s.size() - i;
        cps.emplace_back(s.data() + i, n);
        i += n;
    }
    std::string out;
    const std::size_t n = cps.size();
    for (std::size_t i = 0; i < n; ++i) {
        bool keep = n > 8 && (i < 4 || i >= n - 4);
        if (keep) {
            out.append(cps[i]);
        } else {
            out.push_back('*');
        }
    }
    return protocol::Value{std::move(out)};
}

protocol::Result<void> check_row_write(const Principal& p, const merge::TableDef& table,
                                       const std::optional<RowInfo>& stored, const RowInfo& after) {
    if (p.role == Role::Auditor) return make_error(Errc::Forbidden, "auditors do not write data");
    if (after.org.empty()) return make_error(Errc::OutOfScope, "row has no organisation path");
    if (!valid_org_path(after.org)) return make_error(Errc::OutOfScope, "bad organisation path");
    if (stored && !stored->org.empty() && !p.in_scope(stored->org))
        return make_error(Errc::OutOfScope, "stored row is outside the device's scope");
    if (!p.in_scope(after.org))
        return make_error(Errc::OutOfScope, "row would be outside the device's scope");
    if (p.officer()) return {};
    // Members: only rows they own, in tables that have owners and are not officers-only.
    if (table.visibility == merge::Visibility::Officers)
        return make_error(Errc::Forbidden, "officers-only table");
    if (table.owner_column.empty())
        return make_error(Errc::Forbidden, "members write own rows only");
    if (stored && stored->owner != p.person)
        return make_error(Errc::Forbidden, "row is owned by someone else");
    if (after.owner != p.person) return make_error(Errc::Forbidden, "members write own rows only");
    return {};
}

}  // namespace zb::server
