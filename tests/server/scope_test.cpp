// SPDX-License-Identifier: Apache-2.0
// Unit tests of the pure access rules: scope coverage, read visibility, sensitive-column access,
// masking and the write checks against stored and incoming rows.
#include "zb/server/scope.hpp"

#include <catch2/catch.hpp>

using namespace zb::server;
using zb::merge::Visibility;

TEST_CASE("scope covers its subtree only", "[scope]") {
    CHECK(covers("/u/cs", "/u/cs"));
    CHECK(covers("/u/cs", "/u/cs/b3"));
    CHECK_FALSE(covers("/u/cs", "/u/csx"));
    CHECK_FALSE(covers("/u/cs", "/u/math/b1"));
    CHECK_FALSE(covers("/u/cs/b3", "/u/cs"));
    CHECK(covers("/", "/u/cs/b3"));
    CHECK_FALSE(covers("/u/cs", ""));
    CHECK(valid_org_path("/u/cs/b3"));
    CHECK_FALSE(valid_org_path("/u//b3"));
    CHECK_FALSE(valid_org_path("u/cs"));
    CHECK_FALSE(valid_org_path("/u/cs/"));
    CHECK_FALSE(valid_org_path("/u/c%"));
}

TEST_CASE("read visibility per role", "[scope]") {
    auto member = make_principal(1, "alice", Role::Member, "/u/cs/b3");
    auto secretary = make_principal(2, "sec", Role::BranchSecretary, "/u/cs/b3");
    auto college = make_principal(3, "col", Role::CollegeCommittee, "/u/cs");
    auto dept = make_principal(4, "dept", Role::OrgDepartment, "/u");
    auto auditor = make_principal(5, "aud", Role::Auditor, "/u");

    CHECK(can_read_row(member, Visibility::Org, "/u/cs/b3", ""));
    CHECK_FALSE(can_read_row(member, Visibility::Org, "/u/cs/b4", ""));
    CHECK(can_read_row(member, Visibility::Owner, "/u/cs/b3", "alice"));
    CHECK_FALSE(can_read_row(member, Visibility::Owner, "/u/cs/b3", "bob"));
    CHECK_FALSE(can_read_row(member, Visibility::Officers, "/u/cs/b3", "alice"));

    CHECK(can_read_row(secretary, Visibility::Owner, "/u/cs/b3", "bob"));
    CHECK(can_read_row(secretary, Visibility::Officers, "/u/cs/b3", ""));
    CHECK_FALSE(can_read_row(secretary, Visibility::Org, "/u/cs/b4", ""));
    CHECK(can_read_row(college, Visibility::Officers, "/u/cs/b4", ""));
    CHECK_FALSE(can_read_row(college, Visibility::Org, "/u/math/b1", ""));
    CHECK(can_read_row(dept, Visibility::Owner, "/u/math/b1", "x"));
    CHECK_FALSE(can_read_row(auditor, Visibility::Org, "/u/cs/b3", ""));
}

TEST_CASE("Org-visible rows published at an ancestor are read below it", "[scope]") {
    auto member = make_principal(1, "alice", Role::Member, "/u/cs/b3");
    auto auditor = make_principal(5, "aud", Role::Auditor, "/u");
    // University-wide and college content reaches the branch member...
    CHECK(can_read_row(member, Visibility::Org, "/u", ""));
    CHECK(can_read_row(member, Visibility::Org, "/u/cs", ""));
    // ...but not a sibling college's, nor ancestor rows that are not Org-visible.
    CHECK_FALSE(can_read_row(member, Visibility::Org, "/u/math", ""));
    CHECK_FALSE(can_read_row(member, Visibility::Org, "/u/c", ""));
    CHECK_FALSE(can_read_row(member, Visibility::Owner, "/u", "bob"));
    CHECK_FALSE(can_read_row(member, Visibility::Officers, "/u/cs", ""));
    CHECK_FALSE(can_read_row(auditor, Visibility::Org, "/u", ""));
}

TEST_CASE("sensitive columns: owner full, officer masked, others hidden", "[scope]") {
    auto member = make_principal(1, "alice", Role::Member, "/u/cs/b3");
    auto secretary = make_principal(2, "sec", Role::BranchSecretary, "/u/cs/b3");
    CHECK(column_access(member, true, "alice") == ColumnAccess::Full);
    CHECK(column_access(member, true, "bob") == ColumnAccess::Hidden);
    CHECK(column_access(secretary, true, "bob") == ColumnAccess::Masked);
    CHECK(column_access(secretary, false, "bob") == ColumnAccess::Full);

    CHECK(std::get<std::string>(mask_value(std::string("320102199001011234"))) ==
          "3201**********1234");
    CHECK(std::get<std::string>(mask_value(std::string("12345678"))) == "********");
    CHECK(std::get<std::string>(mask_value(std::string("张三李四王五赵六钱七"))) ==
          "张三李四**赵六钱七");
    CHECK(zb::protocol::is_null(mask_value(std::int64_t{42})));
}

TEST_CASE("write checks use the stored row and the row after the change", "[scope]") {
    zb::merge::TableDef owned;
    owned.name = "profiles";
    owned.owner_column = "person";
    owned.visibility = Visibility::Owner;
    zb::merge::TableDef shared;
    shared.name = "notices";

    auto member = make_principal(1, "alice", Role::Member, "/u/cs/b3");
    auto secretary = make_principal(2, "sec", Role::BranchSecretary, "/u/cs/b3");

    // Members: own rows in their branch only.
    CHECK(check_row_write(member, owned, std::nullopt, {"/u/cs/b3", "alice"}).ok());
    CHECK(check_row_write(member, owned, std::nullopt, {"/u/cs/b3", "bob"}).error().code ==
          zb::protocol::Errc::Forbidden);
    CHECK(check_row_write(member, owned, RowInfo{"/u/cs/b3", "bob"}, {"/u/cs/b3", "alice"})
              .error()
              .code == zb::protocol::Errc::Forbidden);
    CHECK(check_row_write(member, owned, RowInfo{"/u/cs/b3", "alice"}, {"/u/cs/b4", "alice"})
              .error()
              .code == zb::protocol::Errc::OutOfScope);
    CHECK(check_row_write(member, shared, std::nullopt, {"/u/cs/b3", ""}).error().code ==
          zb::protocol::Errc::Forbidden);
    // Officers: anything inside their subtree, nothing that leaves or enters from outside it.
    CHECK(check_row_write(secretary, owned, RowInfo{"/u/cs/b3", "bob"}, {"/u/cs/b3", "bob"}).ok());
    CHECK(check_row_write(secretary, shared, RowInfo{"/u/cs/b4", ""}, {"/u/cs/b3", ""})
              .error()
              .code == zb::protocol::Errc::OutOfScope);
    CHECK(check_row_write(secretary, shared, std::nullopt, {"", ""}).error().code ==
          zb::protocol::Errc::OutOfScope);
}
