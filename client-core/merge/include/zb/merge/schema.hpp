// SPDX-License-Identifier: Apache-2.0
// Table declarations with a merge policy per table and per column. The same Schema object drives
// the phone's replica, the server's store and the simulator, so all three merge alike.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace zb::merge {

enum class Policy : std::uint8_t {
    Lww = 1,         ///< last writer wins by (hlc, origin)
    Counter = 2,     ///< per-device running totals (Op::Count), value = their sum
    Max = 3,         ///< the greatest value by protocol::compare() (study progress)
    AppendOnly = 4,  ///< written once at insert; later writes to a cell are refused (ledgers)
    KeepBoth = 5,    ///< LWW, but a concurrent losing value is kept as a conflict to resolve
    Server = 6,      ///< only the server writes it; devices submit Op::Command instead
};

std::string_view policy_name(Policy p);

/// Who may read a row, given the row's organisation path and owner (see sync-server scopes).
enum class Visibility : std::uint8_t {
    Org = 1,       ///< everyone whose scope covers the row's org, and everyone below the row's org
                   ///< (branch-shared data; university and college notices and content)
    Owner = 2,     ///< the owning person, plus officers whose scope covers the row's org
    Officers = 3,  ///< only officers whose scope covers the row's org (committee business)
};

struct ColumnDef {
    std::string name;
    Policy policy = Policy::Lww;
    bool sensitive = false;  ///< encrypted on the server, masked for officers, never sent to others
};

struct TableDef {
    std::string name;
    Policy policy = Policy::Lww;  ///< for columns not listed, and for row-level operations
    std::vector<ColumnDef> columns;
    std::string org_column = "org";  ///< column holding the row's organisation path
    std::string owner_column;        ///< column holding the owning person id ("" = none)
    Visibility visibility = Visibility::Org;
    bool deletable = true;  ///< false for ledgers: a row delete is refused

    const ColumnDef* column(std::string_view col) const;
};

/// A versioned set of tables. Unknown columns of a known table are kept and merged by the table's
/// default policy, so an older client preserves columns added by a newer schema.
class Schema {
public:
    explicit Schema(std::uint32_t version = 1) : version_(version) {}

    std::uint32_t version() const { return version_; }
    void add(TableDef t);
    const TableDef* table(std::string_view name) const;
    /// Policy for a column; the table default for unknown columns; Lww for unknown tables.
    Policy policy(std::string_view table, std::string_view column) const;
    const std::map<std::string, TableDef, std::less<>>& tables() const { return tables_; }

private:
    std::uint32_t version_;
    std::map<std::string, TableDef, std::less<>> tables_;
};

}  // namespace zb::merge
