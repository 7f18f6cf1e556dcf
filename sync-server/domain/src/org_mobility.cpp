// SPDX-License-Identifier: Apache-2.0
// Transfers (组织关系转接), mobility (流动党员, members abroad, 失联), committee terms and branch
// checks on the server (domain.md §2, §6). Transfers: the outgoing letter with its serial and
// validity [S61][S62], dues paid through the transfer month [S62], the receiving branch's
// arrival before the letter expires, the 回执 within 1 month [S61], and the archive (document ids)
// handed over with the record. Scans raise alerts for officers; none changes a status [S67][S71].
#include "zb/domain/mobility.hpp"
#include "zb/domain/orglife.hpp"
#include "zb/domain/tables.hpp"
#include "zb/server/domain/org.hpp"

#include <algorithm>

namespace zb::server::domain {

namespace T = zb::domain::tables;
using protocol::Errc;
using protocol::make_error;
using protocol::Result;
using zb::domain::ActorRole;
using zb::domain::MemberStatus;
using zb::domain::YearMonth;

namespace {

using Out = Result<std::vector<CommandWrite>>;

/// The last month paid for (from memberships.dues_ledger), or the month before dues were owed.
YearMonth dues_paid_through(Rows& rows, const std::string& person) {
    auto joined = rows.date(T::kMemberships, person, "joined_at");
    YearMonth through = joined ? joined->year_month().plus(-1) : YearMonth{1970, 1};
    auto ledger = rows.json(T::kMemberships, person, "dues_ledger", nlohmann::json::object());
    if (ledger.is_object() && ledger.contains("payments"))
        for (const auto& p : ledger["payments"])
            for (const auto& m : p.value("months", nlohmann::json::array()))
                if (auto d = Date::parse(m.get<std::string>() + "-01"))
                    through = std::max(through, d->year_month());
    return through;
}

bool records_for_branch(ActorRole r) {
    return r == ActorRole::BranchSecretary || r == ActorRole::CollegeCommittee ||
           r == ActorRole::UniversityOrgDept;
}

void move_member(Writes& w, Rows& rows, const std::string& person, const std::string& from,
                 const std::string& to, std::uint64_t now_ms) {
    Roster out = load_roster(rows, from);
    RosterEntry e = out.members.count(person) ? out.members[person] : RosterEntry{};
    out.members.erase(person);
    store_roster(w, out, now_ms);
    if (to.empty()) return;
    Roster in = load_roster(rows, to);
    in.members[person] = e;
    store_roster(w, in, now_ms);
    w.set(T::kMemberships, person, "org", to);
    w.set(T::kMemberships, person, "branch_id", to);
    w.set(T::kPersons, person, "org", to);
    if (rows.exists(T::kDevelopmentCases, person)) w.set(T::kDevelopmentCases, person, "org", to);
}

}  // namespace

void register_mobility_commands(ServerContext& ctx, std::shared_ptr<const OrgRules> rules) {
    // transfer.out: the sending branch issues the letter.
    add_org_command(
        ctx, "transfer", "out",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change&) -> Out {
            Rows rows(cc.txn);
            auto person = a.text("person");
            if (!person) return person.error();
            auto branch = check_subject(rows, cc.principal, person.value(), false);
            if (!branch) return branch.error();
            if (!records_for_branch(actor_role(cc.principal, person.value())))
                return make_error(Errc::Forbidden, "介绍信由党支部书记或上级党委开具");
            auto id = a.text("transfer_id");
            if (!id) return id.error();
            if (rows.exists(T::kTransfers, id.value()))
                return make_error(Errc::RuleViolation, "此转接记录已存在");
            auto serial = a.text("letter_serial");
            if (!serial) return make_error(Errc::BadValue, "介绍信须有编号 (letter_serial)");
            auto to_name = a.text("to_org_name");
            // Online transfer needs the receiving organisation's exact full name [S64][S62].
            if (!to_name) return make_error(Errc::BadValue, "须写明接收党组织全称 (to_org_name)");
            auto issued = a.date("issued_on");
            if (!issued) return issued.error();
            if (issued.value() > server_date(cc.now_ms))
                return make_error(Errc::RuleViolation, "开具日期晚于今天");
            const auto valid =
                a.integer_opt("valid_days").value_or(rules->policy.mobility.letter_validity_days);
            if (valid < 1 || valid > rules->policy.mobility.letter_validity_days)
                return make_error(Errc::BadValue,
                                  "有效期须为1至" +
                                      std::to_string(rules->policy.mobility.letter_validity_days) +
                                      "天 [S62]");
            const auto st =
                zb::domain::status_from_code(rows.text(T::kMemberships, person.value(), "status"));
            if (!st || !zb::domain::is_party_member(*st))
                return make_error(Errc::RuleViolation, "只有预备党员和正式党员转接组织关系");
            const YearMonth through = dues_paid_through(rows, person.value());
            const int missing = zb::domain::months_missing_before_transfer(through, issued.value());
            if (missing > 0)
                return make_error(Errc::RuleViolation,
                                  "党费须交至转出当月，尚欠" + std::to_string(missing) +
                                      "个月（已交至" + through.to_string() + "）[S62]");
            // The archive goes with the record: every listed document must be this person's.
            nlohmann::json docs = nlohmann::json::array();
            if (auto it = a.raw().find("documents"); it != a.raw().end() && it->is_array()) {
                for (const auto& d : *it) {
                    if (!d.is_string()) return make_error(Errc::BadValue, "档案编号必须是文本");
                    if (rows.text(T::kDocuments, d.get<std::string>(), "person_id") !=
                        person.value())
                        return make_error(Errc::RuleViolation,
                                          "档案" + d.get<std::string>() + "不属于此人");
                    docs.push_back(d);
                }
            }
            Writes w;
            const auto t = T::kTransfers;
            const auto& tid = id.value();
            w.set(t, tid, "org", branch.value());
            w.set(t, tid, "person_id", person.value());
            w.set(t, tid, "direction", std::string("out"));
            w.set(t, tid, "from_org", branch.value());
            w.set(t, tid, "to_org_name", to_name.value());
            w.set(t, tid, "to_org_code", a.text_or("to_branch", ""));
            w.set(t, tid, "reason", a.text_or("reason", ""));
            w.set(t, tid, "channel", a.text_or("channel", "letter"));
            w.set(t, tid, "letter_serial", serial.value());
            w.set_date(t, tid, "issued_at", issued.value());
            w.set(t, tid, "valid_days", valid);
            w.set(t, tid, "dues_paid_through", through.to_string());
            w.set(t, tid, "state", std::string("issued"));
            w.set(t, tid, "archive_docs", docs.dump());
            w.set(T::kMemberships, person.value(), "flow_state", std::string("transferring_out"));
            return std::move(w.list());
        });

    // transfer.in: the receiving branch (same university) records the member's arrival.
    add_org_command(
        ctx, "transfer", "in",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change&) -> Out {
            Rows rows(cc.txn);
            auto id = a.text("transfer_id");
            if (!id) return id.error();
            const auto t = T::kTransfers;
            if (rows.text(t, id.value(), "state") != "issued")
                return make_error(Errc::RuleViolation, "没有待接收的转接记录");
            auto to = a.text("to_branch");
            if (!to) return to.error();
            if (!cc.principal.officer() || !cc.principal.in_scope(to.value()) ||
                cc.principal.role == Role::CommitteeMember)
                return make_error(Errc::Forbidden, "由接收党支部书记或上级党委办理接收");
            auto reported = a.date("reported_on");
            if (!reported) return reported.error();
            if (reported.value() > server_date(cc.now_ms))
                return make_error(Errc::RuleViolation, "报到日期晚于今天");
            auto issued = rows.date(t, id.value(), "issued_at");
            const int valid =
                static_cast<int>(rows.integer(t, id.value(), "valid_days")
                                     .value_or(rules->policy.mobility.letter_validity_days));
            if (!issued) return make_error(Errc::RuleViolation, "转接记录缺少开具日期");
            const Date expires = zb::domain::letter_expires_on(*issued, valid);
            if (reported.value() > expires)
                return make_error(Errc::RuleViolation,
                                  "介绍信已过期（有效期至" + expires.to_string() + "）[S61]");
            const auto person = rows.text(t, id.value(), "person_id");
            const auto from = rows.text(t, id.value(), "from_org");
            Writes w;
            move_member(w, rows, person, from, to.value(), cc.now_ms);
            w.set(t, id.value(), "org", to.value());  // the record and its archive move along
            w.set_date(t, id.value(), "reported_at", reported.value());
            w.set(t, id.value(), "state", std::string("arrived"));
            w.set(T::kMemberships, person, "flow_state", std::string());
            return std::move(w.list());
        });

    // transfer.receipt: the 回执 came back (due 1 month after reporting [S61]).
    add_org_command(
        ctx, "transfer", "receipt",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change& cmd) -> Out {
            Rows rows(cc.txn);
            auto id = a.text("transfer_id");
            if (!id) return id.error();
            const auto t = T::kTransfers;
            auto info = cc.txn.row_info(t, id.value());
            if (!info) return make_error(Errc::RuleViolation, "没有此转接记录");
            const auto from = rows.text(t, id.value(), "from_org");
            if (!cc.principal.officer() ||
                (!cc.principal.in_scope(from) && !cc.principal.in_scope(info->org)))
                return make_error(Errc::Forbidden, "回执由转出党组织登记");
            auto returned = a.date("returned_on");
            if (!returned) return returned.error();
            auto reported = rows.date(t, id.value(), "reported_at");
            if (!reported) reported = a.date_opt("reported_on");
            if (!reported) return make_error(Errc::BadValue, "须有报到日期 (reported_on)");
            if (returned.value() < *reported)
                return make_error(Errc::RuleViolation, "回执日期早于报到日期");
            const auto person = rows.text(t, id.value(), "person_id");
            Writes w;
            w.set_date(t, id.value(), "reported_at", *reported);
            w.set_date(t, id.value(), "receipt_returned_at", returned.value());
            w.set(t, id.value(), "state", std::string("completed"));
            if (rows.text(t, id.value(), "state") == "issued") {
                // Left the university: off the roster.
                move_member(w, rows, person, from, {}, cc.now_ms);
                w.set(T::kMemberships, person, "flow_state", std::string("transferred_out"));
            }
            if (returned.value() > zb::domain::receipt_due(*reported, rules->policy.mobility))
                raise_alert(w, "transfer_receipt:" + cmd.row, from, person, "transfer_receipt_late",
                            "yellow", returned.value().to_string(), cc.now_ms);
            return std::move(w.list());
        });

    // mobility.contact: a contact with a member (流动, abroad); keeps 失联 from starting [S71].
    add_org_command(
        ctx, "mobility", "contact",
        [](const CommandContext& cc, const Args& a, const protocol::Change& cmd) -> Out {
            Rows rows(cc.txn);
            auto person = a.text("person");
            if (!person) return person.error();
            auto branch = check_subject(rows, cc.principal, person.value(), true);
            if (!branch) return branch.error();
            auto on = a.date("on");
            if (!on) return on.error();
            if (on.value() > server_date(cc.now_ms))
                return make_error(Errc::RuleViolation, "联系日期晚于今天");
            Writes w;
            const auto& id = cmd.row;
            w.set(T::kContactLogs, id, "org", branch.value());
            w.set(T::kContactLogs, id, "person_id", person.value());
            w.set(T::kContactLogs, id, "flow_record_id", person.value());
            w.set_date(T::kContactLogs, id, "contacted_at", on.value());
            w.set(T::kContactLogs, id, "channel", a.text_or("channel", ""));
            w.set(T::kContactLogs, id, "note", a.text_or("note", ""));
            w.set(T::kContactLogs, id, "recorded_by", cc.principal.person);
            auto last = rows.date(T::kMemberships, person.value(), "last_contact_at");
            if (!last || *last < on.value())
                w.set_date(T::kMemberships, person.value(), "last_contact_at", on.value());
            if (rows.exists(T::kFlowRecords, person.value())) {
                w.set_date(T::kFlowRecords, person.value(), "last_contact_at", on.value());
            }
            return std::move(w.list());
        });

    // mobility.leave {person, kind: abroad|flow, place, from_date, expected_return?}
    add_org_command(
        ctx, "mobility", "leave",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change&) -> Out {
            Rows rows(cc.txn);
            auto person = a.text("person");
            if (!person) return person.error();
            auto branch = check_subject(rows, cc.principal, person.value(), false);
            if (!branch) return branch.error();
            auto kind = a.text("kind");
            if (!kind || (kind.value() != "abroad" && kind.value() != "flow"))
                return make_error(Errc::BadValue, "kind 须为 abroad 或 flow");
            auto from = a.date("from_date");
            if (!from) return from.error();
            const auto& mp = rules->policy.mobility;
            Writes w;
            const auto t = T::kFlowRecords;
            if (kind.value() == "flow") {
                auto back = a.date("expected_return");
                if (!back) return back.error();
                // Away ≥ 6 months at a fixed place → the relationship is transferred [S60][S69].
                if (zb::domain::requires_formal_transfer(from.value(), back.value(), mp))
                    return make_error(
                        Errc::RuleViolation,
                        "外出6个月以上须转移组织关系，不能只办理流动党员活动证 [S60]");
                w.set_date(t, person.value(), "expected_return", back.value());
                w.set_date(
                    t, person.value(), "next_contact_due",
                    zb::domain::flow_report_status(from.value(), from.value(), mp).next_report_due);
            } else {
                w.set_date(t, person.value(), "next_contact_due",
                           zb::domain::abroad_status({from.value(), std::nullopt}, from.value(), mp)
                               .next_contact_due);
            }
            w.set(t, person.value(), "org", branch.value());
            w.set(t, person.value(), "person_id", person.value());
            w.set(t, person.value(), "kind", kind.value());
            w.set(t, person.value(), "place", a.text_or("place", ""));
            w.set_date(t, person.value(), "from_date", from.value());
            w.set(t, person.value(), "card_no", a.text_or("card_no", ""));
            w.set(T::kMemberships, person.value(), "flow_state", kind.value());
            return std::move(w.list());
        });

    // mobility.scan {branch}: 失联 after 6 months [S71]; abroad contact every 6 months and the
    // 5-year limit [S67][S68]; 流动党员 yearly report [S70]. Alerts only.
    add_org_command(
        ctx, "mobility", "scan",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change&) -> Out {
            auto branch = a.text("branch");
            if (!branch) return branch.error();
            if (!cc.principal.officer() || !cc.principal.in_scope(branch.value()))
                return make_error(Errc::Forbidden, "只有本组织的党务干部可以检查");
            Rows rows(cc.txn);
            const auto& mp = rules->policy.mobility;
            const Date today = server_date(cc.now_ms);
            const std::string key = today.year_month().to_string();
            Roster roster = load_roster(rows, branch.value());
            Writes w;
            for (const auto& [person, e] : roster.members) {
                if (!zb::domain::is_party_member(e.status)) continue;
                auto last = rows.date(T::kMemberships, person, "last_contact_at");
                if (!last) last = rows.date(T::kMemberships, person, "status_since");
                if (last && zb::domain::contact_status(*last, today, mp).lost)
                    raise_alert(w, "lost_contact:" + person + ":" + key, branch.value(), person,
                                "lost_contact", "red", key, cc.now_ms);
                const auto kind = rows.text(T::kFlowRecords, person, "kind");
                auto from = rows.date(T::kFlowRecords, person, "from_date");
                if (!from) continue;
                auto contact = rows.date(T::kFlowRecords, person, "last_contact_at");
                if (kind == "abroad") {
                    auto st = zb::domain::abroad_status({*from, contact}, today, mp);
                    if (st.contact_overdue)
                        raise_alert(w, "abroad_contact:" + person + ":" + key, branch.value(),
                                    person, "abroad_contact_overdue", "yellow", key, cc.now_ms);
                    if (st.limit_reached)
                        raise_alert(w, "abroad_limit:" + person, branch.value(), person,
                                    "abroad_limit_reached", "red", key, cc.now_ms);
                } else if (kind == "flow") {
                    if (zb::domain::flow_report_status(contact.value_or(*from), today, mp).overdue)
                        raise_alert(w, "flow_report:" + person + ":" + key, branch.value(), person,
                                    "flow_report_overdue", "yellow", key, cc.now_ms);
                }
            }
            return std::move(w.list());
        });

    // org.committee_term {branch, elected_on, term_years, size}: approved by the upper 党委 [S9].
    add_org_command(
        ctx, "org", "committee_term",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change&) -> Out {
            auto branch = a.text("branch");
            if (!branch) return branch.error();
            if ((cc.principal.role != Role::CollegeCommittee &&
                 cc.principal.role != Role::OrgDepartment) ||
                !cc.principal.in_scope(branch.value()))
                return make_error(Errc::Forbidden, "支部委员会选举结果由上级党委批准 [S9]");
            auto elected = a.date("elected_on");
            if (!elected) return elected.error();
            const auto& tp = rules->terms;
            const auto years = a.integer_opt("term_years").value_or(tp.default_term_years);
            if (years < tp.min_term_years || years > tp.max_term_years)
                return make_error(Errc::RuleViolation,
                                  "任期须为" + std::to_string(tp.min_term_years) + "至" +
                                      std::to_string(tp.max_term_years) + "年 [S8][S11]");
            const auto size = a.integer_opt("size").value_or(0);
            if (size < 3 || size > 7)
                return make_error(Errc::RuleViolation, "支部委员会由3至7人组成 [S8]");
            auto st = zb::domain::committee_term_status(elected.value(), static_cast<int>(years),
                                                        server_date(cc.now_ms), tp);
            Writes w;
            const auto t = T::kCommitteeTerms;
            w.set(t, branch.value(), "org", branch.value());
            w.set(t, branch.value(), "elected_meeting_id", a.text_or("meeting_id", ""));
            w.set_date(t, branch.value(), "elected_at", elected.value());
            w.set(t, branch.value(), "term_years", years);
            w.set_date(t, branch.value(), "ends_at", st.ends_on);
            w.set(t, branch.value(), "approved_by", cc.principal.person);
            return std::move(w.list());
        });

    // org.check_branch {branch, committee_size?}: size rules as warnings [S8][S11] and the
    // re-election reminders (6 months / 4 months before the term ends [S11]).
    add_org_command(
        ctx, "org", "check_branch",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change&) -> Out {
            auto branch = a.text("branch");
            if (!branch) return branch.error();
            if (!cc.principal.officer() || !cc.principal.in_scope(branch.value()))
                return make_error(Errc::Forbidden, "只有本组织的党务干部可以检查");
            Rows rows(cc.txn);
            Roster roster = load_roster(rows, branch.value());
            const Date today = server_date(cc.now_ms);
            const std::string key = today.year_month().to_string();
            const auto kind = zb::domain::branch_kind_from_string(
                                  rows.text(T::kOrganizations, branch.value(), "kind"))
                                  .value_or(zb::domain::BranchKind::Undergraduate);
            auto elected = rows.date(T::kCommitteeTerms, branch.value(), "elected_at");
            const int size = static_cast<int>(a.integer_opt("committee_size").value_or(0));
            Writes w;
            for (auto f : zb::domain::branch_structure(kind, roster.full_count(),
                                                       roster.party_member_count(),
                                                       elected.has_value(), size)) {
                const std::string code = "branch_structure_" + std::to_string(static_cast<int>(f));
                raise_alert(w, code + ":" + branch.value(), branch.value(), {}, code, "yellow", key,
                            cc.now_ms);
            }
            if (elected) {
                const int years = static_cast<int>(
                    rows.integer(T::kCommitteeTerms, branch.value(), "term_years").value_or(3));
                auto st = zb::domain::committee_term_status(*elected, years, today, rules->terms);
                const char* code = nullptr;
                switch (st.state) {
                    case zb::domain::TermState::NoticeDue:
                        code = "reelection_notice";
                        break;
                    case zb::domain::TermState::RequestDue:
                        code = "reelection_request";
                        break;
                    case zb::domain::TermState::Expired:
                        code = "committee_term_expired";
                        break;
                    case zb::domain::TermState::Running:
                        break;
                }
                if (code)
                    raise_alert(w, std::string(code) + ":" + branch.value(), branch.value(), {},
                                code, st.state == zb::domain::TermState::Expired ? "red" : "yellow",
                                st.ends_on.to_string(), cc.now_ms);
            }
            return std::move(w.list());
        });
}

}  // namespace zb::server::domain
