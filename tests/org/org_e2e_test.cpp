// SPDX-License-Identifier: Apache-2.0
// End to end through real phones (Replica + SyncClient over TLS to a real server on 127.0.0.1):
// a person goes from 群众 to 正式党员 through a secretary's phone that is offline for parts of the
// way, with the clock moved across two years and every deadline and approval enforced by the
// server (early steps refused with reasons, pending shown until the server decided, approvals by
// the college only). Then data scope: a member's phone holds only the member's own rows and the
// branch's shared rows; a secretary's phone holds the branch roster with sensitive fields masked;
// a reveal with a reason delivers one field to the requester alone.
#include "org_env.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace {

using zb::core::CommandStatus;
using zb::domain::Date;
using zb::domain::MemberStatus;
using zb::test::kBranch;
using zb::test::kBranch2;
using zb::test::kCollege;
using zb::test::kUni;
using zb::test::OrgServer;
using zb::test::Phone;

std::string args(const nlohmann::json& j) {
    return j.dump();
}

nlohmann::json vote(int entitled, int yes) {
    return {{"entitled", entitled},
            {"present", entitled},
            {"yes", yes},
            {"no", entitled - yes},
            {"abstain", 0}};
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("e2e: 群众 → 入党申请人 → 积极分子 → 发展对象 → 预备党员 → 正式党员",
          "[org][e2e][development]") {
    OrgServer s{Date::ymd(2024, 3, 1)};
    s.seed_units();
    for (auto id : {"sec", "f1", "f2", "f3", "f4"})
        s.seed_person(id, kBranch, MemberStatus::Full, Date::ymd(2020, 1, 1));
    s.seed_person("a1", kBranch, MemberStatus::Masses, Date::ymd(2024, 1, 1));
    zb::test::TempDir dir("zb-org-e2e");
    Phone sec(s, dir, "sec", "branch_secretary", kBranch);
    Phone col(s, dir, "col", "college_committee", kCollege);
    Phone a1(s, dir, "a1", "member", kBranch);
    auto set_date = [&](int y, int m, int d) { s.clock.set_date(Date::ymd(y, m, d)); };
    auto person = [](const char* on) { return nlohmann::json{{"person", "a1"}, {"on", on}}; };

    // Step 1 from the applicant's own phone.
    auto apply = a1.submit("dev", "apply", args(person("2024-03-01")));
    CHECK(a1.command(apply).status == CommandStatus::Pending);
    a1.sync();
    CHECK(a1.command(apply).status == CommandStatus::Accepted);
    CHECK(a1.text("memberships", "a1", "status") == "applicant");
    // The applicant cannot promote himself.
    auto self = a1.submit("dev", "activist", args(person("2024-03-01")));
    a1.sync();
    CHECK(a1.command(self).status == CommandStatus::Rejected);
    CHECK(a1.command(self).code == zb::protocol::Errc::Forbidden);

    // 2024-03-20, the secretary is offline: the talk (within 1 month [S49]), the 积极分子 decision,
    // and a premature 发展对象 decision. All three wait on the phone as pending.
    set_date(2024, 3, 20);
    auto talk = sec.submit("dev", "talk", args(person("2024-03-20")));
    auto activist = sec.submit("dev", "activist", args(person("2024-03-20")));
    auto early = sec.submit("dev", "candidate", args(person("2024-03-20")));
    auto pending = sec.replica->pending_commands();
    REQUIRE(pending.ok());
    CHECK(pending.value().size() == 3);
    // Back online two days later: the server decides in order.
    set_date(2024, 3, 22);
    sec.sync();
    CHECK(sec.command(talk).status == CommandStatus::Accepted);
    CHECK(sec.command(activist).status == CommandStatus::Accepted);
    CHECK(sec.command(early).status == CommandStatus::Rejected);
    CHECK_THAT(sec.command(early).message, Catch::Contains("不满1年"));
    CHECK(s.text("memberships", "a1", "status") == "activist");
    CHECK(sec.text("development_cases", "a1", "activist_on") == "2024-03-20");

    // Half-yearly assessment [S41].
    set_date(2024, 9, 20);
    auto as1 = sec.submit("dev", "assessment", args(person("2024-09-20")));
    sec.sync();
    CHECK(sec.command(as1).status == CommandStatus::Accepted);

    // 2025-03-19: one day short of a year as activist [S42].
    set_date(2025, 3, 19);
    auto short_year = sec.submit("dev", "candidate", args(person("2025-03-19")));
    sec.sync();
    CHECK_THAT(sec.command(short_year).message, Catch::Contains("不满1年"));
    // 2025-03-20: without the second half-yearly assessment it still fails; with it, it passes.
    set_date(2025, 3, 20);
    auto missing = sec.submit("dev", "candidate", args(person("2025-03-20")));
    sec.sync();
    CHECK_THAT(sec.command(missing).message, Catch::Contains("培养考察记录不足"));
    auto as2 = sec.submit("dev", "assessment", args(person("2025-03-20")));
    auto candidate = sec.submit("dev", "candidate", args(person("2025-03-20")));
    sec.sync();
    CHECK(sec.command(as2).status == CommandStatus::Accepted);
    CHECK(sec.command(candidate).status == CommandStatus::Accepted);
    CHECK(s.text("memberships", "a1", "status") == "candidate");

    // Candidate stage: introducers, 政审, training; admission before the 预审 is refused.
    set_date(2025, 4, 1);
    auto intro = person("2025-04-01");
    intro["introducers"] = {"f1", "f2"};
    sec.submit("dev", "introducers", args(intro));
    auto review = person("2025-04-01");
    review["passed"] = true;
    review["conclusion"] = "政治立场坚定，历史清白";
    sec.submit("dev", "political_review", args(review));
    auto training = person("2025-04-01");
    training["days"] = 3;
    sec.submit("dev", "training", args(training));
    auto admit_early = person("2025-04-01");
    admit_early["vote"] = vote(5, 5);
    auto no_prereview = sec.submit("dev", "admit", args(admit_early));
    auto sec_prereview = sec.submit("dev", "pre_review", args(person("2025-04-01")));
    sec.sync();
    CHECK_THAT(sec.command(no_prereview).message, Catch::Contains("预审"));
    CHECK(sec.command(sec_prereview).status == CommandStatus::Rejected);
    CHECK(sec.command(sec_prereview).code == zb::protocol::Errc::Forbidden);
    // The 政审 conclusion is sealed on the server and officers-only.
    CHECK(s.text("development_cases", "a1", "political_review_result") == "passed");

    set_date(2025, 4, 2);
    auto pre = col.submit("dev", "pre_review", args(person("2025-04-02")));
    col.sync();
    CHECK(col.command(pre).status == CommandStatus::Accepted);

    // 2025-04-10, offline at the 支部大会: a tally of 2 of 5 fails, 3 of 5 passes [S47].
    set_date(2025, 4, 10);
    auto admit_fail = person("2025-04-10");
    admit_fail["vote"] = vote(5, 2);
    auto admit_ok = person("2025-04-10");
    admit_ok["vote"] = vote(5, 3);
    auto lost = sec.submit("dev", "admit", args(admit_fail));
    auto admitted = sec.submit("dev", "admit", args(admit_ok));
    CHECK(sec.command(admitted).status == CommandStatus::Pending);
    set_date(2025, 4, 11);
    sec.sync();
    CHECK_THAT(sec.command(lost).message, Catch::Contains("半数"));
    CHECK(sec.command(admitted).status == CommandStatus::Accepted);
    CHECK(s.text("memberships", "a1", "status") == "probationary");
    CHECK(s.text("memberships", "a1", "joined_at") == "2025-04-10");

    // Approval of the admission by the college only [S51].
    set_date(2025, 5, 1);
    auto sec_approve = sec.submit("dev", "approve_admission", args(person("2025-05-01")));
    sec.sync();
    CHECK(sec.command(sec_approve).status == CommandStatus::Rejected);
    auto approve = col.submit("dev", "approve_admission", args(person("2025-05-01")));
    col.sync();
    CHECK(col.command(approve).status == CommandStatus::Accepted);

    // 转正: not before the year of probation ends (2026-04-10) [S44][S45].
    set_date(2026, 4, 9);
    auto conv_early = person("2026-04-09");
    conv_early["vote"] = vote(5, 4);
    auto too_early = sec.submit("dev", "convert", args(conv_early));
    sec.sync();
    CHECK_THAT(sec.command(too_early).message, Catch::Contains("预备期未满"));
    set_date(2026, 4, 12);
    auto conv = person("2026-04-12");
    conv["vote"] = vote(5, 4);
    auto converted = sec.submit("dev", "convert", args(conv));
    sec.sync();
    CHECK(sec.command(converted).status == CommandStatus::Accepted);
    CHECK(s.text("memberships", "a1", "status") == "probationary");  // until the college approves

    set_date(2026, 4, 20);
    auto final_ok = col.submit("dev", "approve_conversion", args(person("2026-04-20")));
    col.sync();
    CHECK(col.command(final_ok).status == CommandStatus::Accepted);

    // The applicant's phone: full member, 党龄 from the end of probation [S45], the history.
    a1.sync();
    CHECK(a1.text("memberships", "a1", "status") == "full");
    CHECK(a1.text("memberships", "a1", "full_member_at") == "2026-04-10");
    int transitions = 0;
    auto hist = a1.replica->scan("membership_status_history");
    REQUIRE(hist.ok());
    for (const auto& row : hist.value())
        if (std::get<std::string>(row.values.at("person_id")) == "a1") ++transitions;
    CHECK(transitions == 5);
    // Votes (committee business) never reach the applicant's phone; the secretary's has them.
    CHECK(a1.ids("votes").empty());
    CHECK_FALSE(sec.ids("votes").empty());
    CHECK(s.integer("branch_rosters", kBranch, "full_count") == 6);
}

TEST_CASE("e2e: a member's phone holds own + branch rows; a secretary's the masked roster",
          "[org][e2e][scope]") {
    OrgServer s{Date::ymd(2025, 1, 10)};
    s.seed_units();
    s.seed_person("sec", kBranch, MemberStatus::Full, Date::ymd(2020, 1, 1));
    s.seed_person("m1", kBranch, MemberStatus::Full, Date::ymd(2021, 1, 1));
    s.seed_person("m2", kBranch, MemberStatus::Full, Date::ymd(2022, 1, 1));
    s.seed_person("m3", kBranch2, MemberStatus::Full, Date::ymd(2022, 1, 1), "staff");
    zb::test::TempDir dir("zb-org-scope");
    Phone sec(s, dir, "sec", "branch_secretary", kBranch);
    Phone m1(s, dir, "m1", "member", kBranch);
    Phone col(s, dir, "col", "college_committee", kCollege);

    auto profile = sec.submit("dues", "set_profile",
                              args({{"person", "m1"},
                                    {"category", "employed"},
                                    {"base_fen", 654321},
                                    {"effective_from", "2025-01"}}));
    sec.sync();
    REQUIRE(sec.command(profile).status == CommandStatus::Accepted);
    m1.sync();

    // The member: own person, membership and dues rows only, in full; the branch's shared rows.
    CHECK(m1.ids("persons") == std::vector<std::string>{"m1"});
    CHECK(m1.ids("memberships") == std::vector<std::string>{"m1"});
    CHECK(m1.ids("dues_profiles") == std::vector<std::string>{"m1/2025-01"});
    CHECK(m1.ids("branch_rosters").empty());
    CHECK(m1.ids("alerts").empty());
    CHECK(m1.text("persons", "m1", "id_number") == "320102200001151234");
    auto own_base = m1.row("dues_profiles", "m1/2025-01");
    REQUIRE(own_base);
    CHECK(std::get<std::int64_t>(own_base->at("base_amount_fen")) == 654321);
    auto orgs = m1.ids("organizations");
    CHECK(contains(orgs, kBranch));
    CHECK(contains(orgs, kCollege));
    CHECK(contains(orgs, kUni));
    CHECK_FALSE(contains(orgs, kBranch2));

    // The secretary: the branch roster (not the other branch), sensitive fields masked.
    sec.sync();
    CHECK(sec.ids("persons") == std::vector<std::string>{"m1", "m2", "sec"});
    CHECK(sec.ids("branch_rosters") == std::vector<std::string>{kBranch});
    CHECK(sec.text("persons", "m1", "id_number") == "3201**********1234");
    const auto phone = sec.text("persons", "m1", "phone");
    CHECK(phone != "13912345678");
    CHECK(phone.find('*') != std::string::npos);
    CHECK(sec.text("persons", "m1", "name") == "姓名m1");
    CHECK(sec.text("persons", "sec", "id_number") == "320102200001151234");  // own row
    auto masked_base = sec.row("dues_profiles", "m1/2025-01");
    REQUIRE(masked_base);
    auto base_it = masked_base->find("base_amount_fen");
    CHECK((base_it == masked_base->end() || base_it->second.index() == 0));
    CHECK(std::get<std::int64_t>(masked_base->at("monthly_amount_fen")) == 9815);

    // Reveal: refused without a reason, by a member, outside the scope, for a plain column.
    auto no_reason = sec.submit(
        "org", "reveal", args({{"table", "persons"}, {"row", "m1"}, {"column", "id_number"}}));
    auto blank = sec.submit(
        "org", "reveal",
        args({{"table", "persons"}, {"row", "m1"}, {"column", "id_number"}, {"reason", "  "}}));
    auto other_branch = sec.submit(
        "org", "reveal",
        args({{"table", "persons"}, {"row", "m3"}, {"column", "id_number"}, {"reason", "核对"}}));
    auto plain = sec.submit(
        "org", "reveal",
        args({{"table", "persons"}, {"row", "m1"}, {"column", "name"}, {"reason", "核对"}}));
    const auto before = s.ctx().store->verify_audit().entries;
    auto reveal = sec.submit("org", "reveal",
                             args({{"table", "persons"},
                                   {"row", "m1"},
                                   {"column", "id_number"},
                                   {"reason", "开具组织关系介绍信需核对身份证号"}}));
    sec.sync();
    CHECK_THAT(sec.command(no_reason).message, Catch::Contains("理由"));
    CHECK_THAT(sec.command(blank).message, Catch::Contains("理由"));
    CHECK(sec.command(other_branch).code == zb::protocol::Errc::OutOfScope);
    CHECK(sec.command(plain).code == zb::protocol::Errc::BadValue);
    REQUIRE(sec.command(reveal).status == CommandStatus::Accepted);
    CHECK(sec.text("reveals", reveal, "value") == "320102200001151234");
    CHECK(sec.text("reveals", reveal, "reason") == "开具组织关系介绍信需核对身份证号");
    // The roster itself stays masked; the reveal is logged in the audit chain.
    CHECK(sec.text("persons", "m1", "id_number") == "3201**********1234");
    auto audit = s.ctx().store->verify_audit();
    CHECK(audit.ok);
    CHECK(audit.entries > before);

    auto by_member = m1.submit(
        "org", "reveal",
        args({{"table", "persons"}, {"row", "m1"}, {"column", "id_number"}, {"reason", "看看"}}));
    m1.sync();
    CHECK(m1.command(by_member).code == zb::protocol::Errc::Forbidden);
    CHECK(m1.ids("reveals").empty());
    // Another officer sees that a reveal happened, not the value.
    col.sync();
    REQUIRE(contains(col.ids("reveals"), reveal));
    CHECK(col.text("reveals", reveal, "value") != "320102200001151234");
}

TEST_CASE("e2e: receipts written offline straight into the ledger are checked on arrival",
          "[org][e2e][dues]") {
    OrgServer s{Date::ymd(2025, 1, 10)};
    s.seed_units();
    s.seed_person("sec", kBranch, MemberStatus::Full, Date::ymd(2020, 1, 1));
    s.seed_person("m1", kBranch, MemberStatus::Full, Date::ymd(2021, 1, 1));
    zb::test::TempDir dir("zb-org-receipts");
    Phone sec(s, dir, "sec", "branch_secretary", kBranch);
    auto profile = sec.submit("dues", "set_profile",
                              args({{"person", "m1"},
                                    {"category", "employed"},
                                    {"base_fen", 654321},
                                    {"effective_from", "2025-01"}}));
    sec.sync();
    REQUIRE(sec.command(profile).status == CommandStatus::Accepted);

    // Offline at the branch meeting: two receipts. 6543.21 元 is in the 5000–10000 bracket, 1.5%
    // of the whole base: 98.148… → 98.15 元 (9815 fen). The second collector took 50.00 元.
    auto receipt = [&](const std::string& id, const std::string& month, std::int64_t fen) {
        zb::core::Values v{{"org", std::string(kBranch)},
                           {"person_id", std::string("m1")},
                           {"branch_id", std::string(kBranch)},
                           {"months", month},
                           {"amount_fen", fen},
                           {"method", std::string("cash")},
                           {"collector_id", std::string("sec")}};
        REQUIRE(sec.replica->write("dues_payments", id, v).ok());
    };
    receipt("r-ok", "2025-01", 9815);
    receipt("r-short", "2025-02", 5000);
    sec.sync();

    // Both are kept (the money changed hands); the server checked each against the profile.
    CHECK(s.text("dues_payments", "r-ok", "check_state") == "ok");
    CHECK(s.integer("dues_payments", "r-ok", "expected_fen") == 9815);
    CHECK(s.integer("dues_payments", "r-ok", "difference_fen") == 0);
    CHECK_THAT(s.text("dues_payments", "r-short", "check_state"),
               Catch::StartsWith("mismatch") && Catch::Contains("金额少于应缴"));
    CHECK(s.integer("dues_payments", "r-short", "expected_fen") == 9815);
    CHECK(s.integer("dues_payments", "r-short", "difference_fen") == 5000 - 9815);
    // Only the right one counts in the member's ledger, so February is still owed.
    const auto ledger = nlohmann::json::parse(s.text("memberships", "m1", "dues_ledger"));
    REQUIRE(ledger["payments"].size() == 1);
    CHECK(ledger["payments"][0]["id"] == "r-ok");
    // The secretary's phone shows the verdicts after the sync.
    CHECK(sec.text("dues_payments", "r-ok", "check_state") == "ok");
    CHECK_THAT(sec.text("dues_payments", "r-short", "check_state"), Catch::StartsWith("mismatch"));
}
