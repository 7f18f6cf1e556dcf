// SPDX-License-Identifier: Apache-2.0
// Issue #5 on the server: organisation, members, development, dues, transfers, mobility, archive
// and sensitive reveals as command handlers. A device submits Op::Command (family = change table,
// name = change column, JSON arguments as text); the handler rebuilds the rule's input from the
// stored rows, runs the same pure rule the phone ran (zb_domain), checks the principal's role and
// scope, and returns the server-origin writes. A refusal carries a Chinese reason with the rule's
// source and stays on the phone as the command's rejection. Commands and arguments are listed in
// client-core/domain/README.md ("Server commands").
#pragma once

#include "zb/domain/date.hpp"
#include "zb/domain/organization.hpp"
#include "zb/domain/policy.hpp"
#include "zb/server/command.hpp"
#include "zb/server/context.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zb::server::domain {

using zb::domain::Date;

/// What the organisation handlers need besides the stored rows.
struct OrgRules {
    zb::domain::UniversityPolicy policy;
    zb::domain::CommitteeTermPolicy terms;
    /// How long a revealed plaintext stays on the requester's phone (ANALYSIS: one working day).
    std::uint64_t reveal_ttl_ms = 24ULL * 3600 * 1000;
};

/// The CST calendar date of a server timestamp (domain.md §12 "All dates in China Standard Time").
Date server_date(std::uint64_t now_ms);

// ---- reading stored rows --------------------------------------------------------------------

/// Typed reads of stored cells through a command's transaction (sensitive cells come decrypted).
class Rows {
public:
    explicit Rows(StoreTxn& txn) : txn_(txn) {}
    std::optional<protocol::Value> get(std::string_view table, std::string_view row,
                                       std::string_view column);
    /// Empty when absent, null or not text.
    std::string text(std::string_view table, std::string_view row, std::string_view column);
    std::optional<std::int64_t> integer(std::string_view table, std::string_view row,
                                        std::string_view column);
    std::optional<Date> date(std::string_view table, std::string_view row, std::string_view column);
    /// A JSON column; `fallback` when absent or unparsable.
    nlohmann::json json(std::string_view table, std::string_view row, std::string_view column,
                        nlohmann::json fallback);
    bool exists(std::string_view table, std::string_view row);
    StoreTxn& txn() { return txn_; }

private:
    StoreTxn& txn_;
};

/// Collects a command's writes.
class Writes {
public:
    void set(std::string_view table, std::string_view row, std::string_view column,
             protocol::Value v);
    void set_date(std::string_view table, std::string_view row, std::string_view column, Date d) {
        set(table, row, column, d.to_string());
    }
    std::vector<CommandWrite>& list() { return out_; }

private:
    std::vector<CommandWrite> out_;
};

// ---- the branch roster (server index) -------------------------------------------------------

struct RosterEntry {
    zb::domain::MemberStatus status = zb::domain::MemberStatus::Masses;
    std::string category;  ///< "undergraduate", "graduate", "staff", "retired"
};

/// The members of one branch by person id (branch_rosters row, id = branch org path).
struct Roster {
    std::string branch;
    std::map<std::string, RosterEntry> members;

    /// 正式党员 of the branch: those entitled to vote at the 支部大会 ([S45]: 预备党员 do not).
    int full_count() const;
    /// 预备党员 + 正式党员.
    int party_member_count() const;
    int staff_count() const;
};
Roster load_roster(Rows& rows, const std::string& branch);
void store_roster(Writes& w, const Roster& r, std::uint64_t now_ms);

// ---- principals ---------------------------------------------------------------------------

/// The rule engine's actor for a principal acting on `subject_person`.
zb::domain::ActorRole actor_role(const Principal& p, std::string_view subject_person);

/// A person's branch (memberships.org); empty when the person is unknown.
std::string branch_of(Rows& rows, std::string_view person);

/// Officers act on persons of their subtree; members on themselves only. Errors: OutOfScope,
/// Forbidden, RuleViolation (unknown person).
protocol::Result<std::string> check_subject(Rows& rows, const Principal& p, std::string_view person,
                                            bool self_allowed);

// ---- arguments ----------------------------------------------------------------------------

/// Argument access that turns a missing or mistyped field into a BadValue error naming it.
class Args {
public:
    explicit Args(const nlohmann::json& j) : j_(j) {}
    protocol::Result<std::string> text(const char* key) const;
    std::string text_or(const char* key, std::string fallback) const;
    protocol::Result<std::int64_t> integer(const char* key) const;
    std::optional<std::int64_t> integer_opt(const char* key) const;
    protocol::Result<Date> date(const char* key) const;
    std::optional<Date> date_opt(const char* key) const;
    const nlohmann::json& raw() const { return j_; }

private:
    const nlohmann::json& j_;
};

/// A handler body: arguments already parsed; return the writes or an error.
using OrgFn = std::function<protocol::Result<std::vector<CommandWrite>>(
    const CommandContext& ctx, const Args& args, const protocol::Change& cmd)>;
void add_org_command(ServerContext& ctx, std::string family, std::string name, OrgFn fn);

/// An alert row for officers (alerts table): deterministic id so a repeated scan updates the
/// same alert instead of adding one.
void raise_alert(Writes& w, const std::string& id, const std::string& org,
                 const std::string& person, const std::string& rule_code,
                 const std::string& severity, const std::string& period_key, std::uint64_t now_ms);

// ---- module registration (each in its org_*.cpp) --------------------------------------------

void register_development_commands(ServerContext& ctx, std::shared_ptr<const OrgRules> rules);
void register_member_commands(ServerContext& ctx, std::shared_ptr<const OrgRules> rules);
void register_dues_commands(ServerContext& ctx, std::shared_ptr<const OrgRules> rules);
void register_mobility_commands(ServerContext& ctx, std::shared_ptr<const OrgRules> rules);
void register_reveal_commands(ServerContext& ctx, std::shared_ptr<const OrgRules> rules);

// ---- seeding (an import from the organisation department, the demo, tests) -----------------

struct OrgUnitSeed {
    std::string path;  ///< "/u/cs/ug1"
    std::string parent;
    std::string level;  ///< "university", "college", "branch", "group"
    std::string kind;   ///< branch kind code ("undergraduate", "teacher", …) or empty
    std::string name;
    std::optional<Date> established_on;
};

struct PersonSeed {
    std::string person_id;
    std::string branch;  ///< org path of the branch
    std::string name;
    std::optional<Date> birth_date;
    std::string category = "undergraduate";  ///< 本科生/研究生/教工/离退休
    zb::domain::MemberStatus status = zb::domain::MemberStatus::Masses;
    std::optional<Date> status_since;
    std::optional<Date> full_member_on;  ///< for 正式党员 on import
    std::optional<Date> joined_on;  ///< 预备党员 since (dues are owed from this month [S21])
    std::string id_number, phone, address;  ///< sensitive (§11.1)
};

/// Writes of one organisation unit, or of a person with membership and roster entry, in an open
/// transaction (the roster is read from `txn`).
std::vector<CommandWrite> org_unit_writes(const OrgUnitSeed& u);
std::vector<CommandWrite> person_writes(StoreTxn& txn, const PersonSeed& p, std::uint64_t now_ms);

/// Seed units and persons in one committed transaction. Throws std::runtime_error.
void seed_organisation(ServerContext& ctx, const std::vector<OrgUnitSeed>& units,
                       const std::vector<PersonSeed>& persons);

}  // namespace zb::server::domain
