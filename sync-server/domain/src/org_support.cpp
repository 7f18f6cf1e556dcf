// SPDX-License-Identifier: Apache-2.0
// The plumbing every organisation handler shares: typed reads of stored cells, the branch roster
// index, principals mapped to the rule engine's actors, argument parsing with named errors, and
// seeding (the organisation department's import).
#include "zb/domain/tables.hpp"
#include "zb/server/domain/org.hpp"
#include "zb/server/ingest.hpp"

#include <stdexcept>

namespace zb::server::domain {

namespace T = zb::domain::tables;
using protocol::Errc;
using protocol::make_error;
using protocol::Value;
using zb::domain::ActorRole;
using zb::domain::MemberStatus;

Date server_date(std::uint64_t now_ms) {
    return Date::from_unix_ms_cst(static_cast<std::int64_t>(now_ms));
}

// ---- Rows ----

std::optional<Value> Rows::get(std::string_view table, std::string_view row,
                               std::string_view column) {
    auto c = txn_.state().cell(table, row, column);
    if (!c || c->value.index() == 0) return std::nullopt;
    return c->value;
}

std::string Rows::text(std::string_view table, std::string_view row, std::string_view column) {
    auto v = get(table, row, column);
    return v && v->index() == 3 ? std::get<3>(*v) : std::string();
}

std::optional<std::int64_t> Rows::integer(std::string_view table, std::string_view row,
                                          std::string_view column) {
    auto v = get(table, row, column);
    if (!v || v->index() != 1) return std::nullopt;
    return std::get<1>(*v);
}

std::optional<Date> Rows::date(std::string_view table, std::string_view row,
                               std::string_view column) {
    return Date::parse(text(table, row, column));
}

nlohmann::json Rows::json(std::string_view table, std::string_view row, std::string_view column,
                          nlohmann::json fallback) {
    auto t = text(table, row, column);
    if (t.empty()) return fallback;
    auto j = nlohmann::json::parse(t, nullptr, false);
    return j.is_discarded() ? fallback : j;
}

bool Rows::exists(std::string_view table, std::string_view row) {
    return txn_.row_info(table, row).has_value();
}

void Writes::set(std::string_view table, std::string_view row, std::string_view column, Value v) {
    out_.push_back(CommandWrite{std::string(table), std::string(row), std::string(column),
                                protocol::Op::Set, std::move(v)});
}

// ---- Roster ----

int Roster::full_count() const {
    int n = 0;
    for (const auto& [id, e] : members)
        if (e.status == MemberStatus::Full) ++n;
    return n;
}

int Roster::party_member_count() const {
    int n = 0;
    for (const auto& [id, e] : members)
        if (zb::domain::is_party_member(e.status)) ++n;
    return n;
}

int Roster::staff_count() const {
    int n = 0;
    for (const auto& [id, e] : members)
        if (e.category == "staff" && zb::domain::is_party_member(e.status)) ++n;
    return n;
}

Roster load_roster(Rows& rows, const std::string& branch) {
    Roster r;
    r.branch = branch;
    auto j = rows.json(T::kBranchRosters, branch, "members", nlohmann::json::object());
    if (!j.is_object()) return r;
    for (auto it = j.begin(); it != j.end(); ++it) {
        RosterEntry e;
        if (it->is_object()) {
            e.status = zb::domain::status_from_code(it->value("status", std::string()))
                           .value_or(MemberStatus::Masses);
            e.category = it->value("category", std::string());
        }
        r.members[it.key()] = e;
    }
    return r;
}

void store_roster(Writes& w, const Roster& r, std::uint64_t now_ms) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [id, e] : r.members)
        j[id] = {{"status", std::string(zb::domain::status_code(e.status))},
                 {"category", e.category}};
    w.set(T::kBranchRosters, r.branch, "org", r.branch);
    w.set(T::kBranchRosters, r.branch, "members", j.dump());
    w.set(T::kBranchRosters, r.branch, "full_count", std::int64_t{r.full_count()});
    w.set(T::kBranchRosters, r.branch, "member_count", std::int64_t{r.party_member_count()});
    w.set(T::kBranchRosters, r.branch, "teacher_count", std::int64_t{r.staff_count()});
    w.set(T::kBranchRosters, r.branch, "updated_at", static_cast<std::int64_t>(now_ms));
}

// ---- principals ----

ActorRole actor_role(const Principal& p, std::string_view subject_person) {
    switch (p.role) {
        case Role::BranchSecretary:
            return ActorRole::BranchSecretary;
        case Role::CommitteeMember:
            return ActorRole::BranchCommittee;
        case Role::CollegeCommittee:
            return ActorRole::CollegeCommittee;
        case Role::OrgDepartment:
            return ActorRole::UniversityOrgDept;
        case Role::Member:
            return p.person == subject_person ? ActorRole::Applicant : ActorRole::Member;
        case Role::Auditor:
        case Role::CollegeServer:
            break;
    }
    return ActorRole::Member;
}

std::string branch_of(Rows& rows, std::string_view person) {
    return rows.text(T::kMemberships, person, "org");
}

protocol::Result<std::string> check_subject(Rows& rows, const Principal& p, std::string_view person,
                                            bool self_allowed) {
    if (p.role == Role::Auditor) return make_error(Errc::Forbidden, "审计员不能提交业务命令");
    std::string branch = branch_of(rows, person);
    if (branch.empty())
        return make_error(Errc::RuleViolation, "没有此人的组织关系记录: " + std::string(person));
    if (p.officer()) {
        if (!p.in_scope(branch)) return make_error(Errc::OutOfScope, "此人不在本组织范围内");
        return branch;
    }
    if (self_allowed && p.person == person) return branch;
    return make_error(Errc::Forbidden, "普通党员只能办理本人的事项");
}

// ---- arguments ----

protocol::Result<std::string> Args::text(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end() || !it->is_string() || it->get<std::string>().empty())
        return make_error(Errc::BadValue, std::string("参数缺失或不是文本: ") + key);
    return it->get<std::string>();
}

std::string Args::text_or(const char* key, std::string fallback) const {
    auto it = j_.find(key);
    return it != j_.end() && it->is_string() ? it->get<std::string>() : fallback;
}

protocol::Result<std::int64_t> Args::integer(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end() || !it->is_number_integer())
        return make_error(Errc::BadValue, std::string("参数缺失或不是整数: ") + key);
    return it->get<std::int64_t>();
}

std::optional<std::int64_t> Args::integer_opt(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
}

protocol::Result<Date> Args::date(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end() || !it->is_string())
        return make_error(Errc::BadValue, std::string("参数缺失: ") + key + " (YYYY-MM-DD)");
    auto d = Date::parse(it->get<std::string>());
    if (!d)
        return make_error(Errc::BadValue,
                          std::string("日期无效: ") + key + "=" + it->get<std::string>());
    return *d;
}

std::optional<Date> Args::date_opt(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end() || !it->is_string()) return std::nullopt;
    return Date::parse(it->get<std::string>());
}

namespace {

class FnHandler final : public CommandHandler {
public:
    explicit FnHandler(OrgFn fn) : fn_(std::move(fn)) {}
    protocol::Result<std::vector<CommandWrite>> handle(const CommandContext& ctx,
                                                       const protocol::Change& cmd) override {
        if (cmd.value.index() != 3) return make_error(Errc::BadValue, "命令参数必须是 JSON 文本");
        auto j = nlohmann::json::parse(std::get<3>(cmd.value), nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return make_error(Errc::BadValue, "命令参数不是 JSON 对象");
        try {
            return fn_(ctx, Args(j), cmd);
        } catch (const nlohmann::json::exception& e) {
            return make_error(Errc::BadValue, std::string("命令参数无效: ") + e.what());
        } catch (const std::invalid_argument& e) {
            return make_error(Errc::BadValue, std::string("命令参数无效: ") + e.what());
        }
    }

private:
    OrgFn fn_;
};

}  // namespace

void add_org_command(ServerContext& ctx, std::string family, std::string name, OrgFn fn) {
    ctx.commands.add(std::move(family), std::move(name),
                     std::make_shared<FnHandler>(std::move(fn)));
}

void raise_alert(Writes& w, const std::string& id, const std::string& org,
                 const std::string& person, const std::string& rule_code,
                 const std::string& severity, const std::string& period_key, std::uint64_t now_ms) {
    w.set(T::kAlerts, id, "org", org);
    w.set(T::kAlerts, id, "subject_org", org);
    w.set(T::kAlerts, id, "person_id", person);
    w.set(T::kAlerts, id, "rule_code", rule_code);
    w.set(T::kAlerts, id, "severity", severity);
    w.set(T::kAlerts, id, "period_key", period_key);
    w.set(T::kAlerts, id, "raised_at", static_cast<std::int64_t>(now_ms));
}

// ---- seeding ----

std::vector<CommandWrite> org_unit_writes(const OrgUnitSeed& u) {
    Writes w;
    w.set(T::kOrganizations, u.path, "org", u.path);
    w.set(T::kOrganizations, u.path, "parent_id", u.parent);
    w.set(T::kOrganizations, u.path, "level", u.level);
    w.set(T::kOrganizations, u.path, "kind", u.kind);
    w.set(T::kOrganizations, u.path, "name", u.name);
    if (u.established_on)
        w.set_date(T::kOrganizations, u.path, "established_at", *u.established_on);
    return std::move(w.list());
}

std::vector<CommandWrite> person_writes(StoreTxn& txn, const PersonSeed& p, std::uint64_t now_ms) {
    Rows rows(txn);
    Writes w;
    const auto& id = p.person_id;
    w.set(T::kPersons, id, "org", p.branch);
    w.set(T::kPersons, id, "person_id", id);
    w.set(T::kPersons, id, "name", p.name);
    w.set(T::kPersons, id, "category", p.category);
    if (p.birth_date) w.set_date(T::kPersons, id, "birth_date", *p.birth_date);
    if (!p.id_number.empty()) w.set(T::kPersons, id, "id_number", p.id_number);
    if (!p.phone.empty()) w.set(T::kPersons, id, "phone", p.phone);
    if (!p.address.empty()) w.set(T::kPersons, id, "address", p.address);
    w.set(T::kMemberships, id, "org", p.branch);
    w.set(T::kMemberships, id, "person_id", id);
    w.set(T::kMemberships, id, "branch_id", p.branch);
    w.set(T::kMemberships, id, "status", std::string(zb::domain::status_code(p.status)));
    if (p.status_since) w.set_date(T::kMemberships, id, "status_since", *p.status_since);
    if (p.full_member_on) w.set_date(T::kMemberships, id, "full_member_at", *p.full_member_on);
    if (p.joined_on) w.set_date(T::kMemberships, id, "joined_at", *p.joined_on);
    Roster r = load_roster(rows, p.branch);
    r.members[id] = RosterEntry{p.status, p.category};
    store_roster(w, r, now_ms);
    return std::move(w.list());
}

void seed_organisation(ServerContext& ctx, const std::vector<OrgUnitSeed>& units,
                       const std::vector<PersonSeed>& persons) {
    const auto now = ctx.now_ms();
    auto txn = ctx.store->begin();
    for (const auto& u : units)
        write_server_changes(ctx, *txn, org_unit_writes(u), now);
    for (const auto& p : persons)
        write_server_changes(ctx, *txn, person_writes(*txn, p, now), now);
    auto ok = txn->commit();
    if (!ok) throw std::runtime_error("seed_organisation: " + ok.error().message);
}

}  // namespace zb::server::domain
