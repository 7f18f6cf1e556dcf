// SPDX-License-Identifier: Apache-2.0
// The issue #5 handlers at their boundaries, against the real server store (SQLite, sensitive
// columns sealed) through the same handler → server writes → commit path a push takes: dues
// (brackets, months owed, wrong amounts refused with the expected amount, append-only receipts,
// arrears at 3 and 6 months that never change a status, a publication without bases), transfers
// (dues paid through, letter validity, 回执 within 1 month, archive handover), mobility (失联 at 6
// months, 流动 vs transfer), committee terms and reminders, branch size, membership status
// changes, introducers and the probation extension.
#include "org_env.hpp"

#include <nlohmann/json.hpp>

namespace {

using zb::domain::Date;
using zb::domain::MemberStatus;
using zb::test::kBranch;
using zb::test::kBranch2;
using zb::test::kCollege;
using zb::test::OrgServer;
using zb::test::principal;

std::string j(const nlohmann::json& x) {
    return x.dump();
}

std::string message_of(const zb::protocol::Result<void>& r) {
    return r.ok() ? std::string("ok") : r.error().message;
}

struct DuesFixture {
    OrgServer s{Date::ymd(2025, 1, 10)};
    zb::server::Principal sec = principal("sec", "branch_secretary", kBranch);
    zb::server::Principal col = principal("col", "college_committee", kCollege);
    zb::server::Principal m1 = principal("m1", "member", kBranch);
    zb::server::Principal m2 = principal("m2", "member", kBranch);

    DuesFixture() {
        s.seed_units();
        s.seed_person("sec", kBranch, MemberStatus::Full, Date::ymd(2025, 1, 1), "graduate");
        s.seed_person("m1", kBranch, MemberStatus::Probationary, Date::ymd(2024, 11, 5));
        s.seed_person("m2", kBranch, MemberStatus::Full, Date::ymd(2024, 1, 1));
    }
    zb::protocol::Result<void> profile(const std::string& person, const std::string& cat,
                                       std::int64_t base, const std::string& from) {
        return s.command(sec, "dues", "set_profile",
                         j({{"person", person},
                            {"category", cat},
                            {"base_fen", base},
                            {"effective_from", from}}));
    }
    zb::protocol::Result<void> pay(const zb::server::Principal& by, const std::string& id,
                                   std::vector<std::string> months, std::int64_t amount) {
        return s.command(by, "dues", "pay",
                         j({{"person", "m1"},
                            {"payment_id", id},
                            {"months", months},
                            {"amount_fen", amount},
                            {"receipt_no", "R-" + id}}));
    }
};

}  // namespace

TEST_CASE("dues: brackets on the whole base, set by the branch", "[org][dues]") {
    DuesFixture f;
    // 在职 3000.00 → 0.5 % = 15.00; 3000.01 → 1 % = 30.00 [S20][S21].
    REQUIRE(f.profile("m1", "employed", 300000, "2024-11").ok());
    CHECK(f.s.integer("dues_profiles", "m1/2024-11", "monthly_amount_fen") == 1500);
    REQUIRE(f.profile("m1", "employed", 300001, "2025-01").ok());
    CHECK(f.s.integer("dues_profiles", "m1/2025-01", "monthly_amount_fen") == 3000);
    // 离退休 5000.00 → 25.00, 5000.01 → 50.00.
    REQUIRE(f.profile("m2", "retired", 500000, "2024-01").ok());
    CHECK(f.s.integer("dues_profiles", "m2/2024-01", "monthly_amount_fen") == 2500);
    REQUIRE(f.profile("m2", "retired", 500001, "2024-02").ok());
    CHECK(f.s.integer("dues_profiles", "m2/2024-02", "monthly_amount_fen") == 5000);
    // 学生 0.2 元 whatever the base.
    REQUIRE(f.profile("sec", "student", 900000, "2025-01").ok());
    CHECK(f.s.integer("dues_profiles", "sec/2025-01", "monthly_amount_fen") == 20);

    // Only the branch sets a base; a member cannot; a reduction needs the upper 党委.
    auto by_member = f.s.command(f.m1, "dues", "set_profile",
                                 j({{"person", "m1"},
                                    {"category", "employed"},
                                    {"base_fen", 1},
                                    {"effective_from", "2025-02"}}));
    CHECK(by_member.error().code == zb::protocol::Errc::Forbidden);
    auto reduction = f.s.command(f.sec, "dues", "set_profile",
                                 j({{"person", "m1"},
                                    {"category", "employed"},
                                    {"base_fen", 300000},
                                    {"effective_from", "2025-02"},
                                    {"reduced_monthly_fen", 0}}));
    CHECK(reduction.error().code == zb::protocol::Errc::Forbidden);
    CHECK(f.s.command(f.col, "dues", "set_profile",
                      j({{"person", "m1"},
                         {"category", "employed"},
                         {"base_fen", 300000},
                         {"effective_from", "2025-03"},
                         {"reduced_monthly_fen", 0}}))
              .ok());
    CHECK(f.s.integer("dues_profiles", "m1/2025-03", "monthly_amount_fen") == 0);
    // The base is sealed at rest but readable by the server.
    CHECK(f.s.integer("dues_profiles", "m1/2024-11", "base_amount_fen") == 300000);
}

TEST_CASE("dues: payments are checked against the profile and the 预备 date", "[org][dues]") {
    DuesFixture f;
    REQUIRE(f.profile("m1", "employed", 300000, "2024-11").ok());
    REQUIRE(f.profile("m1", "employed", 300001, "2025-01").ok());

    // Owed from the month of the 支部大会 (2024-11) [S21]; October is not owed.
    auto october = f.pay(f.sec, "p0", {"2024-10"}, 1500);
    REQUIRE_FALSE(october.ok());
    CHECK_THAT(october.error().message, Catch::Contains("不需交纳"));

    REQUIRE(f.pay(f.sec, "p1", {"2024-11"}, 1500).ok());
    CHECK(f.s.text("dues_payments", "p1", "check_state") == "ok");
    CHECK(f.s.integer("dues_payments", "p1", "expected_fen") == 1500);

    // January is under the 3000.01 profile: 15.00 is wrong, with the expected amount named.
    auto wrong = f.pay(f.sec, "p2", {"2025-01"}, 1500);
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().code == zb::protocol::Errc::RuleViolation);
    CHECK_THAT(wrong.error().message, Catch::Contains("应缴30.00元"));
    CHECK_FALSE(f.s.ctx().store->cell("dues_payments", "p2", "amount_fen").has_value());

    // The member pays his own December and January from his phone.
    REQUIRE(f.pay(f.m1, "p3", {"2024-12", "2025-01"}, 4500).ok());
    // Twice the same month, a second payment for a paid month, another member paying for him.
    CHECK_THAT(message_of(f.pay(f.sec, "p4", {"2024-11"}, 1500)), Catch::Contains("已交纳"));
    CHECK(f.pay(f.m2, "p5", {"2025-02"}, 3000).error().code == zb::protocol::Errc::Forbidden);
    // A receipt is append-only: the same id again is refused.
    CHECK(f.pay(f.sec, "p1", {"2025-02"}, 3000).error().code ==
          zb::protocol::Errc::AppendOnlyViolation);
    // Not a Party member (no dues): the secretary's request for a masses person fails.
    f.s.seed_person("x1", kBranch, MemberStatus::Applicant, Date::ymd(2024, 12, 1));
    auto applicant = f.s.command(
        f.sec, "dues", "pay",
        j({{"person", "x1"}, {"payment_id", "p6"}, {"months", {"2025-01"}}, {"amount_fen", 20}}));
    CHECK_THAT(message_of(applicant), Catch::Contains("只有预备党员和正式党员"));
}

TEST_CASE("dues: arrears warn at 3 months, open a case at 6, never change a status",
          "[org][dues]") {
    DuesFixture f;
    REQUIRE(f.profile("m1", "employed", 300000, "2024-11").ok());
    REQUIRE(f.pay(f.sec, "p1", {"2024-11", "2024-12"}, 3000).ok());
    auto scan = [&] {
        REQUIRE(f.s.command(f.sec, "dues", "scan_arrears", j({{"branch", kBranch}})).ok());
    };
    // 2025-03-31: January and February are over (2 months) → nothing.
    f.s.clock.set_date(Date::ymd(2025, 3, 31));
    scan();
    CHECK(f.s.text("alerts", "dues_arrears:m1:2025-03", "rule_code").empty());
    // 2025-04-01: March is over too → 3 consecutive → warning [S24].
    f.s.clock.set_date(Date::ymd(2025, 4, 1));
    scan();
    CHECK(f.s.text("alerts", "dues_arrears:m1:2025-04", "rule_code") == "dues_arrears_warning");
    // 2025-06-30: 5 months → still a warning; 2025-07-01: 6 → a case for the branch [S24][S25].
    f.s.clock.set_date(Date::ymd(2025, 6, 30));
    scan();
    CHECK(f.s.text("alerts", "dues_arrears:m1:2025-06", "rule_code") == "dues_arrears_warning");
    f.s.clock.set_date(Date::ymd(2025, 7, 1));
    scan();
    CHECK(f.s.text("alerts", "dues_arrears:m1:2025-07", "rule_code") == "dues_arrears_case");
    CHECK(f.s.text("alerts", "dues_arrears:m1:2025-07", "severity") == "red");
    // The status is untouched: only the 支部大会 decides.
    CHECK(f.s.text("memberships", "m1", "status") == "probationary");
    // A member cannot run the scan.
    CHECK(f.s.command(f.m1, "dues", "scan_arrears", j({{"branch", kBranch}})).error().code ==
          zb::protocol::Errc::Forbidden);
}

TEST_CASE("dues: the yearly publication lists names, months and amounts, never a base",
          "[org][dues]") {
    DuesFixture f;
    REQUIRE(f.profile("m1", "employed", 987654, "2024-11").ok());
    // 9876.54 × 1.5 % = 148.1481 → 148.15; collected in 2025 for two months of 2024.
    REQUIRE(f.pay(f.sec, "p1", {"2024-11", "2024-12"}, 29630).ok());
    REQUIRE(f.s.command(f.sec, "dues", "publish", j({{"branch", kBranch}, {"year", 2025}})).ok());
    const auto body = f.s.text("disclosures", std::string("dues:") + kBranch + ":2025", "body");
    auto list = nlohmann::json::parse(body);
    bool found = false;
    for (const auto& row : list) {
        CHECK_FALSE(row.contains("base"));
        CHECK_FALSE(row.contains("base_amount_fen"));
        if (row["name"] == "姓名m1") {
            found = true;
            CHECK(row["amount_fen"] == 29630);
            CHECK(row["months"].size() == 2);
        }
    }
    CHECK(found);
    CHECK(body.find("987654") == std::string::npos);
    CHECK(f.s.command(f.m1, "dues", "publish", j({{"branch", kBranch}, {"year", 2024}}))
              .error()
              .code == zb::protocol::Errc::Forbidden);
}

TEST_CASE("transfers: dues paid through, letter validity, 回执 within 1 month, archive",
          "[org][transfer]") {
    DuesFixture f;
    auto sec2 = principal("sec2", "branch_secretary", kBranch2);
    REQUIRE(f.profile("m1", "employed", 300000, "2024-11").ok());
    REQUIRE(f.pay(f.sec, "p1", {"2024-11", "2024-12"}, 3000).ok());
    // m1's archive: one document of his, one of someone else.
    {
        auto txn = f.s.ctx().store->begin();
        std::vector<zb::server::CommandWrite> w;
        for (auto [doc, who] : {std::pair{"doc-1", "m1"}, std::pair{"doc-2", "m2"}}) {
            w.push_back({"documents", doc, "org", zb::protocol::Op::Set, std::string(kBranch)});
            w.push_back({"documents", doc, "person_id", zb::protocol::Op::Set, std::string(who)});
            w.push_back(
                {"documents", doc, "doc_type", zb::protocol::Op::Set, std::string("application")});
        }
        zb::server::write_server_changes(f.s.ctx(), *txn, w, f.s.ctx().now_ms());
        REQUIRE(txn->commit().ok());
    }
    nlohmann::json out = {{"person", "m1"},
                          {"transfer_id", "t1"},
                          {"letter_serial", "2025-001"},
                          {"to_org_name", "某大学计算机学院教工党支部"},
                          {"to_branch", kBranch2},
                          {"issued_on", "2025-01-10"},
                          {"documents", {"doc-1"}}};
    // January 2025 is not paid: dues must be paid through the transfer month [S62].
    auto unpaid = f.s.command(f.sec, "transfer", "out", j(out));
    CHECK_THAT(message_of(unpaid), Catch::Contains("尚欠1个月"));
    REQUIRE(f.pay(f.sec, "p2", {"2025-01"}, 1500).ok());
    // Another person's document cannot be handed over with m1's record.
    auto foreign = out;
    foreign["documents"] = {"doc-2"};
    CHECK_THAT(message_of(f.s.command(f.sec, "transfer", "out", j(foreign))),
               Catch::Contains("不属于此人"));
    auto no_serial = out;
    no_serial.erase("letter_serial");
    CHECK(f.s.command(f.sec, "transfer", "out", j(no_serial)).error().code ==
          zb::protocol::Errc::BadValue);
    REQUIRE(f.s.command(f.sec, "transfer", "out", j(out)).ok());
    CHECK(f.s.text("transfers", "t1", "state") == "issued");
    CHECK(f.s.text("transfers", "t1", "dues_paid_through") == "2025-01");
    CHECK(f.s.text("transfers", "t1", "archive_docs") == R"(["doc-1"])");

    // Valid 90 days: report by 2025-04-10; 2025-04-11 is too late [S61][S62].
    f.s.clock.set_date(Date::ymd(2025, 5, 1));
    auto late = f.s.command(
        sec2, "transfer", "in",
        j({{"transfer_id", "t1"}, {"to_branch", kBranch2}, {"reported_on", "2025-04-11"}}));
    CHECK_THAT(message_of(late), Catch::Contains("介绍信已过期"));
    // The sending secretary cannot receive into another branch.
    CHECK(f.s.command(
                 f.sec, "transfer", "in",
                 j({{"transfer_id", "t1"}, {"to_branch", kBranch2}, {"reported_on", "2025-04-10"}}))
              .error()
              .code == zb::protocol::Errc::Forbidden);
    REQUIRE(
        f.s.command(
               sec2, "transfer", "in",
               j({{"transfer_id", "t1"}, {"to_branch", kBranch2}, {"reported_on", "2025-04-10"}}))
            .ok());
    CHECK(f.s.text("memberships", "m1", "org") == kBranch2);
    CHECK(f.s.text("persons", "m1", "org") == kBranch2);
    CHECK(f.s.text("branch_rosters", kBranch, "members").find("\"m1\"") == std::string::npos);
    CHECK(f.s.text("branch_rosters", kBranch2, "members").find("\"m1\"") != std::string::npos);

    // 回执 due 1 month after reporting: 2025-05-10 on time, 2025-05-11 late → alert [S61].
    f.s.clock.set_date(Date::ymd(2025, 5, 20));
    REQUIRE(f.s.command(f.sec, "transfer", "receipt",
                        j({{"transfer_id", "t1"}, {"returned_on", "2025-05-11"}}))
                .ok());
    CHECK(f.s.text("transfers", "t1", "state") == "completed");
    CHECK(f.s.text("alerts", "transfer_receipt:cmd-" + std::to_string(f.s.seq_), "rule_code") ==
          "transfer_receipt_late");
}

TEST_CASE("mobility: 失联 after 6 months, 流动 shorter than 6 months, abroad", "[org][mobility]") {
    DuesFixture f;
    auto scan = [&] {
        REQUIRE(f.s.command(f.sec, "mobility", "scan", j({{"branch", kBranch}})).ok());
    };
    // m2's last contact 2024-07-11: lost from 2025-01-11 [S71].
    REQUIRE(f.s.command(f.m2, "mobility", "contact",
                        j({{"person", "m2"}, {"on", "2024-07-11"}, {"channel", "phone"}}))
                .ok());
    scan();
    CHECK(f.s.text("alerts", "lost_contact:m2:2025-01", "rule_code").empty());
    f.s.clock.set_date(Date::ymd(2025, 1, 11));
    scan();
    CHECK(f.s.text("alerts", "lost_contact:m2:2025-01", "rule_code") == "lost_contact");
    CHECK(f.s.text("memberships", "m2", "status") == "full");  // a flag, never a status change
    // A contact in the future is refused.
    CHECK_THAT(message_of(f.s.command(f.sec, "mobility", "contact",
                                      j({{"person", "m2"}, {"on", "2025-01-12"}}))),
               Catch::Contains("晚于今天"));

    // 流动: away 6 months or more needs a formal transfer [S60][S69].
    auto six = f.s.command(f.sec, "mobility", "leave",
                           j({{"person", "m2"},
                              {"kind", "flow"},
                              {"from_date", "2025-01-11"},
                              {"expected_return", "2025-07-11"}}));
    CHECK_THAT(message_of(six), Catch::Contains("6个月以上"));
    REQUIRE(f.s.command(f.sec, "mobility", "leave",
                        j({{"person", "m2"},
                           {"kind", "flow"},
                           {"from_date", "2025-01-11"},
                           {"expected_return", "2025-07-10"}}))
                .ok());
    CHECK(f.s.text("memberships", "m2", "flow_state") == "flow");

    // Abroad from 2020-02-01: contact every 6 months, 5-year limit reached 2025-02-01 [S67].
    REQUIRE(f.s.command(f.sec, "mobility", "leave",
                        j({{"person", "m1"}, {"kind", "abroad"}, {"from_date", "2020-02-01"}}))
                .ok());
    f.s.clock.set_date(Date::ymd(2025, 1, 31));
    scan();
    CHECK(f.s.text("alerts", "abroad_contact:m1:2025-01", "rule_code") == "abroad_contact_overdue");
    CHECK(f.s.text("alerts", "abroad_limit:m1", "rule_code").empty());
    f.s.clock.set_date(Date::ymd(2025, 2, 1));
    scan();
    CHECK(f.s.text("alerts", "abroad_limit:m1", "rule_code") == "abroad_limit_reached");
    CHECK(f.s.text("memberships", "m1", "status") == "probationary");
}

TEST_CASE("organisation: committee terms, re-election reminders, branch size", "[org][org]") {
    DuesFixture f;
    auto term = [&](const zb::server::Principal& p, int years, int size) {
        return f.s.command(p, "org", "committee_term",
                           j({{"branch", kBranch},
                              {"elected_on", "2022-07-01"},
                              {"term_years", years},
                              {"size", size}}));
    };
    CHECK(term(f.sec, 3, 5).error().code == zb::protocol::Errc::Forbidden);
    CHECK_THAT(message_of(term(f.col, 6, 5)), Catch::Contains("任期"));
    CHECK_THAT(message_of(term(f.col, 3, 2)), Catch::Contains("3至7人"));
    CHECK_THAT(message_of(term(f.col, 3, 8)), Catch::Contains("3至7人"));
    REQUIRE(term(f.col, 3, 5).ok());
    CHECK(f.s.text("committee_terms", kBranch, "ends_at") == "2025-07-01");

    auto check = [&] {
        REQUIRE(f.s.command(f.sec, "org", "check_branch",
                            j({{"branch", kBranch}, {"committee_size", 5}}))
                    .ok());
    };
    // 2024-12-31: more than 6 months left → no reminder; 2025-01-01: the notice [S11].
    f.s.clock.set_date(Date::ymd(2024, 12, 31));
    check();
    CHECK(f.s.text("alerts", std::string("reelection_notice:") + kBranch, "rule_code").empty());
    f.s.clock.set_date(Date::ymd(2025, 1, 1));
    check();
    CHECK(f.s.text("alerts", std::string("reelection_notice:") + kBranch, "rule_code") ==
          "reelection_notice");
    f.s.clock.set_date(Date::ymd(2025, 3, 1));
    check();
    CHECK(f.s.text("alerts", std::string("reelection_request:") + kBranch, "rule_code") ==
          "reelection_request");
    f.s.clock.set_date(Date::ymd(2025, 7, 1));
    check();
    CHECK(f.s.text("alerts", std::string("committee_term_expired:") + kBranch, "severity") ==
          "red");
    // Two 正式党员 (sec, m2) < 3: form a 联合党支部 instead [S8] — a warning, nothing blocked.
    CHECK(f.s.text("alerts", std::string("branch_structure_0:") + kBranch, "rule_code") ==
          "branch_structure_0");
}

TEST_CASE("members: status changes outside development need the upper 党委 and keep history",
          "[org][member]") {
    DuesFixture f;
    auto set = [&](const zb::server::Principal& p, const std::string& who, const std::string& to,
                   const std::string& reason = "组织决定") {
        nlohmann::json a = {{"person", who}, {"to", to}, {"on", "2025-01-10"}};
        if (!reason.empty()) a["reason"] = reason;
        return f.s.command(p, "member", "set_status", j(a));
    };
    CHECK(set(f.sec, "m2", "suspended").error().code == zb::protocol::Errc::Forbidden);
    CHECK(set(f.col, "m2", "suspended", "").error().code == zb::protocol::Errc::BadValue);
    // The development path is not a membership command.
    CHECK_THAT(message_of(set(f.col, "m1", "full")), Catch::Contains("发展程序"));
    REQUIRE(set(f.col, "m2", "suspended").ok());
    CHECK(f.s.text("memberships", "m2", "status") == "suspended");
    const auto hist = "cmd-" + std::to_string(f.s.seq_);
    CHECK(f.s.text("membership_status_history", hist, "from_status") == "full");
    CHECK(f.s.text("membership_status_history", hist, "to_status") == "suspended");
    CHECK(f.s.text("membership_status_history", hist, "approved_by") == "col");
    CHECK(f.s.integer("branch_rosters", kBranch, "full_count") == 1);
    REQUIRE(set(f.col, "m2", "full").ok());
    CHECK(f.s.integer("branch_rosters", kBranch, "full_count") == 2);
    // A college officer of another college is out of scope.
    auto other = principal("col2", "college_committee", "/u/c2");
    CHECK(set(other, "m2", "left").error().code == zb::protocol::Errc::OutOfScope);
}

TEST_CASE("development: introducers, vote over the real roster, one extension of 6–12 months",
          "[org][development]") {
    OrgServer s{Date::ymd(2025, 1, 10)};
    s.seed_units();
    for (auto id : {"sec", "f1", "f2", "f3", "f4"})
        s.seed_person(id, kBranch, MemberStatus::Full, Date::ymd(2020, 1, 1));
    s.seed_person("c1", kBranch, MemberStatus::Candidate, Date::ymd(2024, 6, 1));
    s.seed_person("p1", kBranch, MemberStatus::Probationary, Date::ymd(2024, 1, 5));
    s.seed_person("x1", kBranch, MemberStatus::Activist, Date::ymd(2024, 6, 1));
    auto sec = principal("sec", "branch_secretary", kBranch);
    auto col = principal("col", "college_committee", kCollege);
    // Cases as the server would hold them after earlier steps.
    {
        auto txn = s.ctx().store->begin();
        std::vector<zb::server::CommandWrite> w;
        auto set = [&](const char* row, const char* c, std::string v) {
            w.push_back({"development_cases", row, c, zb::protocol::Op::Set, std::move(v)});
        };
        set("c1", "org", kBranch);
        set("c1", "applied_on", "2023-01-01");
        set("p1", "org", kBranch);
        set("p1", "probationary_on", "2024-01-05");
        set("p1", "admission_approved_on", "2024-02-01");
        zb::server::write_server_changes(s.ctx(), *txn, w, s.ctx().now_ms());
        REQUIRE(txn->commit().ok());
    }
    auto intro = [&](nlohmann::json ids) {
        return s.command(sec, "dev", "introducers",
                         j({{"person", "c1"}, {"on", "2025-01-10"}, {"introducers", ids}}));
    };
    CHECK_THAT(message_of(intro({"f1", "x1"})), Catch::Contains("不是正式党员"));
    CHECK_THAT(message_of(intro({"f1", "f1"})), Catch::Contains("2名不同"));
    CHECK_THAT(message_of(intro({"f1"})), Catch::Contains("2名不同"));
    CHECK_THAT(message_of(intro({"c1", "f1"})), Catch::Contains("本人"));
    REQUIRE(intro({"f1", "f2"}).ok());

    // 5 正式党员 are entitled: 3 yes pass, 2 do not; a tally over 6 is refused [S47].
    auto extend = [&](int entitled, int yes, int months) {
        return s.command(sec, "dev", "extend",
                         j({{"person", "p1"},
                            {"on", "2025-01-08"},
                            {"months", months},
                            {"vote",
                             {{"entitled", entitled},
                              {"present", entitled},
                              {"yes", yes},
                              {"no", entitled - yes},
                              {"abstain", 0}}}}));
    };
    CHECK_THAT(message_of(extend(6, 4, 6)), Catch::Contains("表决记录为6人"));
    CHECK_THAT(message_of(extend(5, 2, 6)), Catch::Contains("半数"));
    CHECK_THAT(message_of(extend(5, 3, 5)), Catch::Contains("6个月"));
    CHECK_THAT(message_of(extend(5, 3, 13)), Catch::Contains("12个月"));
    REQUIRE(extend(5, 3, 6).ok());
    CHECK(s.integer("development_cases", "p1", "extension_months") == 6);
    // Once only [S44].
    CHECK_THAT(message_of(extend(5, 3, 6)), Catch::Contains("只能延长一次"));
    // The vote is kept (counts only) with the server's verdict.
    CHECK(s.integer("votes", "cmd-" + std::to_string(s.seq_ - 1), "passed") == 1);
    // Converting before the extended probation ends (2025-07-05) is refused.
    auto convert = s.command(
        sec, "dev", "convert",
        j({{"person", "p1"},
           {"on", "2025-01-10"},
           {"vote", {{"entitled", 5}, {"present", 5}, {"yes", 5}, {"no", 0}, {"abstain", 0}}}}));
    CHECK_THAT(message_of(convert), Catch::Contains("预备期未满"));
    // The college cannot do the branch's vote, and the branch cannot approve.
    CHECK_FALSE(
        s.command(col, "dev", "cancel",
                  j({{"person", "p1"},
                     {"on", "2025-01-10"},
                     {"vote",
                      {{"entitled", 5}, {"present", 5}, {"yes", 5}, {"no", 0}, {"abstain", 0}}}}))
            .ok());
    // A record-only step by the wrong actor or in the wrong stage.
    CHECK(
        s.command(sec, "dev", "step", j({{"person", "p1"}, {"on", "2025-01-10"}, {"step_no", 16}}))
            .error()
            .code == zb::protocol::Errc::Forbidden);
    CHECK_THAT(message_of(s.command(sec, "dev", "step",
                                    j({{"person", "x1"}, {"on", "2025-01-10"}, {"step_no", 19}}))),
               Catch::Contains("不属于当前阶段"));
    REQUIRE(
        s.command(sec, "dev", "step", j({{"person", "p1"}, {"on", "2025-01-10"}, {"step_no", 19}}))
            .ok());
    CHECK(s.integer("development_steps", "p1:19:cmd-" + std::to_string(s.seq_), "step_no") == 19);
    CHECK(
        s.command(sec, "dev", "step", j({{"person", "p1"}, {"on", "2025-01-10"}, {"step_no", 15}}))
            .error()
            .code == zb::protocol::Errc::RuleViolation);
}
