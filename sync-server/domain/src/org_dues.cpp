// SPDX-License-Identifier: Apache-2.0
// 党费 on the server (domain.md §4): profiles set by the branch (a reduction only with the upper
// 党委's approval [S21][S24]); payments recorded offline as receipts and submitted as commands,
// checked against the member's profile by zb::domain::check_payment (2008 brackets on the whole
// base [S20][S21], months owed from the 预备 date [S21]); accepted payments go into the append-only
// dues_payments ledger, wrong ones are refused with the expected amount and stay on the phone as
// the command's rejection. Receipts written straight into the ledger offline are checked the same
// way on arrival and flagged, not refused (ReceiptObserver). Arrears scans raise alerts at 3 and 6
// months; the 6-month one is a case for the 支部大会 and never changes a status [S24][S25]. The
// yearly publication [S26] is a disclosure without bases (§11.2).
#include "zb/domain/dues.hpp"
#include "zb/domain/tables.hpp"
#include "zb/server/domain/org.hpp"

#include <algorithm>

namespace zb::server::domain {

namespace T = zb::domain::tables;
using protocol::Errc;
using protocol::make_error;
using protocol::Result;
using zb::domain::ActorRole;
using zb::domain::DuesProfile;
using zb::domain::MemberStatus;
using zb::domain::PaymentIssue;
using zb::domain::YearMonth;

namespace {

using Out = Result<std::vector<CommandWrite>>;

std::optional<YearMonth> parse_month(const std::string& s) {
    auto d = Date::parse(s + "-01");
    if (!d || s.size() != 7) return std::nullopt;
    return d->year_month();
}

/// memberships.dues_ledger: {"profiles": [row ids], "payments": [{id, months, amount_fen,
/// paid_on}]}.
nlohmann::json ledger_of(Rows& rows, const std::string& person) {
    auto j = rows.json(T::kMemberships, person, "dues_ledger", nlohmann::json::object());
    if (!j.is_object()) j = nlohmann::json::object();
    if (!j.contains("profiles")) j["profiles"] = nlohmann::json::array();
    if (!j.contains("payments")) j["payments"] = nlohmann::json::array();
    return j;
}

std::vector<YearMonth> paid_months(const nlohmann::json& ledger) {
    std::vector<YearMonth> out;
    for (const auto& p : ledger["payments"])
        for (const auto& m : p.value("months", nlohmann::json::array()))
            if (m.is_string())
                if (auto ym = parse_month(m.get<std::string>())) out.push_back(*ym);
    return out;
}

std::vector<DuesProfile> profiles_of(Rows& rows, const nlohmann::json& ledger) {
    std::vector<DuesProfile> out;
    for (const auto& id_j : ledger["profiles"]) {
        if (!id_j.is_string()) continue;
        const auto id = id_j.get<std::string>();
        DuesProfile p;
        auto cat = zb::domain::dues_category_from_code(rows.text(T::kDuesProfiles, id, "category"));
        auto from = parse_month(rows.text(T::kDuesProfiles, id, "effective_from"));
        if (!cat || !from) continue;
        p.category = *cat;
        p.effective_from = *from;
        p.base_fen = rows.integer(T::kDuesProfiles, id, "base_amount_fen").value_or(0);
        if (auto r = rows.integer(T::kDuesProfiles, id, "reduction_fen"))
            p.reduced_monthly_fen = *r;
        out.push_back(p);
    }
    std::sort(out.begin(), out.end(), [](const DuesProfile& a, const DuesProfile& b) {
        return a.effective_from < b.effective_from;
    });
    return out;
}

std::optional<YearMonth> first_owed(Rows& rows, const std::string& person) {
    auto d = rows.date(T::kMemberships, person, "joined_at");
    if (!d) return std::nullopt;
    return zb::domain::first_owed_month(*d);
}

std::string issue_text(PaymentIssue i) {
    switch (i) {
        case PaymentIssue::Underpaid:
            return "金额少于应缴";
        case PaymentIssue::Overpaid:
            return "金额多于应缴（自愿多交须注明 voluntary）";
        case PaymentIssue::MonthNotOwed:
            return "所列月份不需交纳（早于预备党员之月或免交月份）[S21]";
        case PaymentIssue::AlreadyPaid:
            return "所列月份已交纳";
        case PaymentIssue::DuplicateMonth:
            return "同一月份重复列出";
        case PaymentIssue::BackPayTooOld:
            return "补交超过6个月，须经支部决定 [S24][S27]";
        case PaymentIssue::PrepayTooFar:
            return "预交超过一个季度 [S24]";
        case PaymentIssue::NoProfile:
            return "该月份没有党费基数档案";
        case PaymentIssue::RemitToCentre:
            return "一次自愿多交1000元以上须全额上缴中央 [S22]";
        case PaymentIssue::NoMonths:
            return "没有列出月份";
    }
    return "未知问题";
}

/// What check_payment found, as one line for the collector ("" = nothing). A voluntary extra
/// payment is not an issue.
std::string issues_text(const zb::domain::PaymentCheck& check, bool voluntary) {
    std::string out;
    for (auto i : check.issues) {
        if (voluntary && i == PaymentIssue::Overpaid) continue;
        if (!out.empty()) out += "；";
        out += issue_text(i);
    }
    return out;
}

/// Count a checked payment in the member's ledger (memberships.dues_ledger).
void record_payment(Writes& w, const std::string& person, nlohmann::json ledger,
                    const zb::domain::DuesPayment& pay) {
    nlohmann::json months = nlohmann::json::array();
    for (const auto& m : pay.months)
        months.push_back(m.to_string());
    ledger["payments"].push_back({{"id", pay.id},
                                  {"months", months},
                                  {"amount_fen", pay.amount_fen},
                                  {"paid_on", pay.paid_on.to_string()}});
    w.set(T::kMemberships, person, "dues_ledger", ledger.dump());
}

bool branch_officer(ActorRole r) {
    return r == ActorRole::BranchSecretary || r == ActorRole::BranchCommittee;
}

/// "2026-01" or a JSON array of such months.
std::vector<YearMonth> receipt_months(const std::string& text) {
    std::vector<YearMonth> out;
    if (auto one = parse_month(text)) {
        out.push_back(*one);
        return out;
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& m : j)
        if (m.is_string())
            if (auto ym = parse_month(m.get<std::string>())) out.push_back(*ym);
    return out;
}

/// Receipts a collector wrote straight into the dues_payments ledger on an offline phone (the
/// money changed hands; the row is a fact and append-only) are checked when they arrive, exactly
/// as `dues/pay` would check them, against the member's profile and ledger. The server does not
/// refuse them: it stamps the result (check_state "ok" or "mismatch: …", expected and difference)
/// so the branch sees every wrong amount, and only an "ok" receipt counts in the member's ledger.
class ReceiptObserver final : public AcceptObserver {
public:
    explicit ReceiptObserver(std::shared_ptr<const OrgRules> rules) : rules_(std::move(rules)) {}

    std::vector<CommandWrite> accepted(const CommandContext& cc,
                                       const std::vector<protocol::Change>& changes) override {
        Writes w;
        Rows rows(cc.txn);
        for (const auto& c : changes) {
            if (c.table != T::kDuesPayments || c.column != "amount_fen") continue;
            if (!rows.text(T::kDuesPayments, c.row, "check_state").empty()) continue;
            const auto person = rows.text(T::kDuesPayments, c.row, "person_id");
            zb::domain::DuesPayment pay;
            pay.id = c.row;
            pay.amount_fen = rows.integer(T::kDuesPayments, c.row, "amount_fen").value_or(0);
            pay.paid_on = server_date(cc.now_ms);
            pay.months = receipt_months(rows.text(T::kDuesPayments, c.row, "months"));
            std::string state;
            auto ledger = ledger_of(rows, person);
            const auto status =
                zb::domain::status_from_code(rows.text(T::kMemberships, person, "status"));
            auto first = first_owed(rows, person);
            const auto t = T::kDuesPayments;
            if (person.empty() || !status || !zb::domain::is_party_member(*status) || !first) {
                state = "mismatch: 只有预备党员和正式党员交纳党费 [S21]";
            } else {
                auto check = zb::domain::check_payment(pay, profiles_of(rows, ledger), *first,
                                                       paid_months(ledger), rules_->policy.dues);
                const auto reasons = issues_text(check, false);
                state = reasons.empty() ? "ok" : "mismatch: " + reasons;
                w.set(t, c.row, "expected_fen", check.expected_fen);
                w.set(t, c.row, "difference_fen", check.difference_fen);
                if (reasons.empty()) record_payment(w, person, std::move(ledger), pay);
            }
            w.set(t, c.row, "check_state", state);
            w.set(t, c.row, "receipt_at", static_cast<std::int64_t>(cc.now_ms));
        }
        return std::move(w.list());
    }

private:
    std::shared_ptr<const OrgRules> rules_;
};

}  // namespace

void register_dues_commands(ServerContext& ctx, std::shared_ptr<const OrgRules> rules) {
    ctx.commands.observe(std::make_shared<ReceiptObserver>(rules));
    // dues.set_profile: category and base (sensitive), effective from a month.
    add_org_command(
        ctx, "dues", "set_profile",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change&) -> Out {
            Rows rows(cc.txn);
            auto person = a.text("person");
            if (!person) return person.error();
            auto branch = check_subject(rows, cc.principal, person.value(), false);
            if (!branch) return branch.error();
            const auto role = actor_role(cc.principal, person.value());
            if (!branch_officer(role) && role != ActorRole::CollegeCommittee)
                return make_error(Errc::Forbidden, "党费基数由党支部（组织委员）核定");
            auto cat_t = a.text("category");
            if (!cat_t) return cat_t.error();
            auto cat = zb::domain::dues_category_from_code(cat_t.value());
            if (!cat) return make_error(Errc::BadValue, "未知党费类别: " + cat_t.value());
            auto from_t = a.text("effective_from");
            if (!from_t) return from_t.error();
            auto from = parse_month(from_t.value());
            if (!from) return make_error(Errc::BadValue, "effective_from 须为 YYYY-MM");
            const std::int64_t base = a.integer_opt("base_fen").value_or(0);
            if (base < 0 || base > 100000000LL)
                return make_error(Errc::BadValue, "计算基数超出范围");
            DuesProfile p;
            p.category = *cat;
            p.base_fen = base;
            p.effective_from = *from;
            if (auto red = a.integer_opt("reduced_monthly_fen")) {
                // Reduction or exemption needs the upper 党委's approval [S21][S24].
                if (role != ActorRole::CollegeCommittee)
                    return make_error(Errc::Forbidden, "减免党费须经上级党委批准 [S21]");
                if (*red < 0) return make_error(Errc::BadValue, "减免后金额不能为负");
                p.reduced_monthly_fen = *red;
            }
            const auto& dp = rules->policy.dues;
            const std::string id = person.value() + "/" + from->to_string();
            Writes w;
            const auto t = T::kDuesProfiles;
            w.set(t, id, "org", branch.value());
            w.set(t, id, "person_id", person.value());
            w.set(t, id, "year", std::int64_t{from->year});
            w.set(t, id, "category", std::string(zb::domain::dues_category_code(*cat)));
            w.set(t, id, "base_amount_fen", base);
            if (auto bp = zb::domain::dues_rate_bp(*cat, base, dp))
                w.set(t, id, "rate_bp", std::int64_t{*bp});
            w.set(t, id, "monthly_amount_fen", zb::domain::monthly_dues(p, dp));
            if (p.reduced_monthly_fen) {
                w.set(t, id, "reduction_fen", *p.reduced_monthly_fen);
                w.set(t, id, "reduction_approved_by", cc.principal.person);
            }
            w.set(t, id, "effective_from", from->to_string());
            auto ledger = ledger_of(rows, person.value());
            auto& ids = ledger["profiles"];
            if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
            w.set(T::kMemberships, person.value(), "dues_ledger", ledger.dump());
            return std::move(w.list());
        });

    // dues.pay: a receipt (cash collected offline or paid online) checked against the profile.
    add_org_command(
        ctx, "dues", "pay",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change&) -> Out {
            Rows rows(cc.txn);
            auto person = a.text("person");
            if (!person) return person.error();
            auto branch = check_subject(rows, cc.principal, person.value(), true);
            if (!branch) return branch.error();
            const auto role = actor_role(cc.principal, person.value());
            if (!branch_officer(role) && role != ActorRole::Applicant)
                return make_error(Errc::Forbidden, "党费由本人交纳或由支部收缴");
            auto pid = a.text("payment_id");
            if (!pid) return pid.error();
            if (rows.exists(T::kDuesPayments, pid.value()))
                return make_error(Errc::AppendOnlyViolation, "此收据已记录，不能修改");
            auto amount = a.integer("amount_fen");
            if (!amount) return amount.error();
            if (amount.value() <= 0) return make_error(Errc::BadValue, "金额必须大于0");
            auto months_j = a.raw().find("months");
            if (months_j == a.raw().end() || !months_j->is_array())
                return make_error(Errc::BadValue, "参数缺失: months ([\"YYYY-MM\", …])");
            zb::domain::DuesPayment pay;
            pay.id = pid.value();
            pay.amount_fen = amount.value();
            // Offline receipts count on the server's receipt day (dues.hpp DuesPayment.paid_on).
            pay.paid_on = server_date(cc.now_ms);
            nlohmann::json months_out = nlohmann::json::array();
            for (const auto& m : *months_j) {
                auto ym = m.is_string() ? parse_month(m.get<std::string>()) : std::nullopt;
                if (!ym) return make_error(Errc::BadValue, "月份须为 YYYY-MM");
                pay.months.push_back(*ym);
                months_out.push_back(ym->to_string());
            }
            const auto status =
                zb::domain::status_from_code(rows.text(T::kMemberships, person.value(), "status"));
            auto first = first_owed(rows, person.value());
            if (!status || !zb::domain::is_party_member(*status) || !first)
                return make_error(Errc::RuleViolation, "只有预备党员和正式党员交纳党费 [S21]");
            auto ledger = ledger_of(rows, person.value());
            auto check = zb::domain::check_payment(pay, profiles_of(rows, ledger), *first,
                                                   paid_months(ledger), rules->policy.dues);
            const bool voluntary = a.raw().value("voluntary", false);
            const auto reasons = issues_text(check, voluntary);
            if (!reasons.empty())
                return make_error(Errc::RuleViolation,
                                  reasons + "（应缴" + zb::domain::format_yuan(check.expected_fen) +
                                      "元，实缴" + zb::domain::format_yuan(pay.amount_fen) +
                                      "元）");
            Writes w;
            const auto t = T::kDuesPayments;
            const auto& id = pid.value();
            w.set(t, id, "org", branch.value());
            w.set(t, id, "person_id", person.value());
            w.set(t, id, "branch_id", branch.value());
            w.set(t, id, "months", months_out.dump());
            w.set(t, id, "amount_fen", pay.amount_fen);
            w.set(t, id, "paid_at", a.text_or("paid_on", pay.paid_on.to_string()));
            w.set(t, id, "method", a.text_or("method", "cash"));
            w.set(t, id, "collector_id", cc.principal.person);
            w.set(t, id, "receipt_no", a.text_or("receipt_no", ""));
            w.set(t, id, "check_state", std::string("ok"));
            w.set(t, id, "expected_fen", check.expected_fen);
            w.set(t, id, "difference_fen", check.difference_fen);
            w.set(t, id, "receipt_at", static_cast<std::int64_t>(cc.now_ms));
            record_payment(w, person.value(), std::move(ledger), pay);
            return std::move(w.list());
        });

    // dues.scan_arrears {branch}: alerts at 3 (warning) and 6 (case) consecutive months.
    add_org_command(
        ctx, "dues", "scan_arrears",
        [rules](const CommandContext& cc, const Args& a, const protocol::Change&) -> Out {
            auto branch = a.text("branch");
            if (!branch) return branch.error();
            if (!cc.principal.officer() || !cc.principal.in_scope(branch.value()))
                return make_error(Errc::Forbidden, "只有本组织的党务干部可以检查欠费");
            Rows rows(cc.txn);
            Roster roster = load_roster(rows, branch.value());
            const Date today = server_date(cc.now_ms);
            Writes w;
            for (const auto& [person, e] : roster.members) {
                if (!zb::domain::is_party_member(e.status)) continue;
                auto first = first_owed(rows, person);
                if (!first) continue;
                auto ledger = ledger_of(rows, person);
                auto st =
                    zb::domain::arrears(*first, paid_months(ledger), today, rules->policy.dues);
                static_assert(!zb::domain::ArrearsStatus::changes_status);
                if (st.level == zb::domain::ArrearsLevel::None) continue;
                const bool is_case = st.level == zb::domain::ArrearsLevel::Case;
                const std::string key = today.year_month().to_string();
                raise_alert(w, "dues_arrears:" + person + ":" + key, branch.value(), person,
                            is_case ? "dues_arrears_case" : "dues_arrears_warning",
                            is_case ? "red" : "yellow", key, cc.now_ms);
            }
            return std::move(w.list());
        });

    // dues.publish {branch, year}: the yearly list (name, months, amount), never a base [S26].
    add_org_command(
        ctx, "dues", "publish",
        [](const CommandContext& cc, const Args& a, const protocol::Change&) -> Out {
            auto branch = a.text("branch");
            if (!branch) return branch.error();
            auto year = a.integer("year");
            if (!year) return year.error();
            if (cc.principal.role != Role::BranchSecretary ||
                !cc.principal.in_scope(branch.value()))
                return make_error(Errc::Forbidden, "党费公示由党支部书记发布");
            Rows rows(cc.txn);
            Roster roster = load_roster(rows, branch.value());
            std::vector<zb::domain::PublicationInput> in;
            for (const auto& [person, e] : roster.members) {
                zb::domain::PublicationInput pi;
                pi.person_id = person;
                pi.name = rows.text(T::kPersons, person, "name");
                const auto ledger = ledger_of(rows, person);  // owns what the loop reads
                for (const auto& p : ledger["payments"]) {
                    zb::domain::DuesPayment dp;
                    dp.id = p.value("id", std::string());
                    dp.amount_fen = p.value("amount_fen", std::int64_t{0});
                    // Published by collection year (dues.hpp publication_list) [S26].
                    if (auto on = Date::parse(p.value("paid_on", std::string()))) dp.paid_on = *on;
                    for (const auto& m : p.value("months", nlohmann::json::array()))
                        if (auto ym = parse_month(m.get<std::string>())) dp.months.push_back(*ym);
                    pi.payments.push_back(dp);
                }
                in.push_back(pi);
            }
            nlohmann::json body = nlohmann::json::array();
            for (const auto& r : zb::domain::publication_list(in, static_cast<int>(year.value()))) {
                nlohmann::json months = nlohmann::json::array();
                for (auto m : r.months_paid)
                    months.push_back(m.to_string());
                body.push_back(
                    {{"name", r.name}, {"months", months}, {"amount_fen", r.amount_fen}});
            }
            const std::string id = "dues:" + branch.value() + ":" + std::to_string(year.value());
            Writes w;
            w.set(T::kDisclosures, id, "org", branch.value());
            w.set(T::kDisclosures, id, "category", std::string("dues"));
            w.set(T::kDisclosures, id, "title", std::to_string(year.value()) + "年度党费交纳情况");
            w.set(T::kDisclosures, id, "body", body.dump());
            w.set(T::kDisclosures, id, "scope", branch.value());
            w.set(T::kDisclosures, id, "approval_state", std::string("published"));
            return std::move(w.list());
        });
}

}  // namespace zb::server::domain
