// SPDX-License-Identifier: Apache-2.0
// The synced schema (domain.md §12): every table present once with ASCII snake_case names, the
// merge policy per table/column as §12 prescribes, owner/org columns that exist, visibility, and
// exactly the sensitive columns of §11.1.

#include "zb/domain/schema.hpp"

#include "zb/domain/tables.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

using namespace zb::domain;
using zb::merge::Policy;
using zb::merge::TableDef;
using zb::merge::Visibility;

namespace {

const std::vector<TableDef>& defs() {
    static const std::vector<TableDef> d = schema_tables();
    return d;
}

const TableDef& tbl(std::string_view name) {
    auto it = std::find_if(defs().begin(), defs().end(),
                           [&](const TableDef& t) { return t.name == name; });
    REQUIRE(it != defs().end());
    return *it;
}

const zb::merge::ColumnDef* column(const TableDef& t, std::string_view name) {
    for (const auto& c : t.columns)
        if (c.name == name) return &c;
    return nullptr;
}

Policy policy_of(std::string_view table, std::string_view col) {
    const auto* c = column(tbl(table), col);
    REQUIRE(c != nullptr);
    return c->policy;
}

bool snake_case(const std::string& s) {
    if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

}  // namespace

TEST_CASE("schema: every table once, in kAll order, snake_case", "[domain][schema]") {
    const auto& d = defs();
    REQUIRE(d.size() == std::size(tables::kAll));
    std::set<std::string> names;
    for (std::size_t i = 0; i < d.size(); ++i) {
        CHECK(d[i].name == tables::kAll[i]);
        CHECK(snake_case(d[i].name));
        CHECK(names.insert(d[i].name).second);
        std::set<std::string> cols;
        for (const auto& c : d[i].columns) {
            INFO(d[i].name << "." << c.name);
            CHECK(snake_case(c.name));
            CHECK(cols.insert(c.name).second);
        }
        // The org column exists; the owner column, if any, is a real column.
        CHECK(d[i].org_column == "org");
        const auto* org = column(d[i], "org");
        REQUIRE(org != nullptr);
        // A device can never move a row to another organisation (that would change who sees it).
        CHECK(org->policy == (d[i].policy == Policy::Server || d[i].name == "persons"
                                  ? Policy::Server
                                  : Policy::AppendOnly));
        if (!d[i].owner_column.empty()) CHECK(column(d[i], d[i].owner_column) != nullptr);
    }
}

TEST_CASE("schema: exactly the sensitive columns of §11.1", "[domain][schema]") {
    std::set<std::string> sensitive;
    for (const auto& t : defs())
        for (const auto& c : t.columns)
            if (c.sensitive) sensitive.insert(t.name + "." + c.name);
    const std::set<std::string> expected = {
        "persons.id_number",
        "persons.phone",
        "persons.address",
        "dues_profiles.base_amount_fen",
        "development_cases.political_review_result",
        "political_reviews.attitude",
        "political_reviews.political_history",
        "political_reviews.law_abiding",
        "political_reviews.family_situation",
        "political_reviews.social_relations",
        "political_reviews.conclusion",
        "reveals.value",       // an officer's reveal, delivered to the requester only (§11)
        "content.answer_key",  // quiz answers, never sent to members
    };
    CHECK(sensitive == expected);
}

TEST_CASE("schema: merge policies per §12", "[domain][schema]") {
    // SERVER entities.
    for (auto t : {tables::kOrganizations, tables::kMemberships, tables::kDevelopmentCases,
                   tables::kDuesProfiles, tables::kTransfers, tables::kFlowRecords,
                   tables::kContent, tables::kDisclosures, tables::kAlerts, tables::kPointsEntries})
        CHECK(tbl(t).policy == Policy::Server);
    // APPEND ledgers are not deletable.
    for (auto t :
         {tables::kDuesPayments, tables::kDocuments, tables::kLearningSessions,
          tables::kQuizAttempts, tables::kComments, tables::kTalks, tables::kContactLogs}) {
        INFO(t);
        CHECK(tbl(t).policy == Policy::AppendOnly);
        CHECK_FALSE(tbl(t).deletable);
    }
    // SINGLE → KeepBoth for meeting drafts, minutes, votes, evaluations.
    CHECK(tbl(tables::kMeetings).policy == Policy::KeepBoth);
    CHECK(policy_of(tables::kMeetingMinutes, "minutes") == Policy::KeepBoth);
    CHECK(policy_of(tables::kVotes, "yes") == Policy::KeepBoth);
    CHECK(policy_of(tables::kEvaluations, "tally_excellent") == Policy::KeepBoth);
    // Computed by the server even inside device-authored rows.
    CHECK(policy_of(tables::kMeetings, "period_key") == Policy::Server);
    CHECK(policy_of(tables::kMeetings, "device_held_at") == Policy::AppendOnly);
    CHECK(policy_of(tables::kVotes, "passed") == Policy::Server);
    CHECK(policy_of(tables::kEvaluations, "grade") == Policy::Server);
    CHECK(policy_of(tables::kDuesPayments, "check_state") == Policy::Server);
    CHECK(policy_of(tables::kComments, "moderation_state") == Policy::Server);
    // Learning: progress max, seconds recomputed from distinct sessions, sessions append-only.
    CHECK(policy_of(tables::kLearningRecords, "progress") == Policy::Max);
    CHECK(policy_of(tables::kLearningRecords, "seconds") == Policy::Server);
    CHECK(policy_of(tables::kLearningRecords, "person_id") == Policy::AppendOnly);
    CHECK(policy_of(tables::kLearningSessions, "seconds") == Policy::AppendOnly);
    CHECK(policy_of(tables::kReadReceipts, "last_read_at") == Policy::Max);
    // Persons: identity server-owned, contact self-editable.
    CHECK(policy_of(tables::kPersons, "id_number") == Policy::Server);
    CHECK(policy_of(tables::kPersons, "name") == Policy::Server);
    CHECK(policy_of(tables::kPersons, "phone") == Policy::Lww);
    // Attendance: latest state by clock, first sign-in kept.
    CHECK(policy_of(tables::kAttendance, "state") == Policy::Lww);
    CHECK(policy_of(tables::kAttendance, "sign_in_at") == Policy::AppendOnly);
    // Step records append-only with an LWW draft.
    CHECK(tbl(tables::kDevelopmentSteps).policy == Policy::AppendOnly);
    CHECK(policy_of(tables::kDevelopmentSteps, "opinion_draft") == Policy::Lww);
    // No Counter anywhere: study seconds use distinct sessions instead (see schema_tables.cpp).
    for (const auto& t : defs())
        for (const auto& c : t.columns)
            CHECK(c.policy != Policy::Counter);
}

TEST_CASE("schema: visibility per §11.2", "[domain][schema]") {
    CHECK(tbl(tables::kPersons).visibility == Visibility::Owner);
    CHECK(tbl(tables::kPersons).owner_column == "person_id");
    CHECK(tbl(tables::kPoliticalReviews).visibility == Visibility::Officers);
    CHECK(tbl(tables::kMeetingMinutes).visibility == Visibility::Officers);
    CHECK(tbl(tables::kMeetings).visibility == Visibility::Org);
    CHECK(tbl(tables::kContent).visibility == Visibility::Org);
    CHECK(tbl(tables::kDuesProfiles).visibility == Visibility::Owner);
    CHECK(tbl(tables::kAlerts).visibility == Visibility::Officers);
    CHECK(tbl(tables::kComments).owner_column == "author_id");
}

TEST_CASE("schema: make_schema wraps the tables", "[domain][schema]") {
    const zb::merge::Schema s = make_schema();
    CHECK(s.version() == kSchemaVersion);
    CHECK(s.tables().size() == std::size(tables::kAll));
    REQUIRE(s.table(tables::kDuesPayments) != nullptr);
    CHECK_FALSE(s.table(tables::kDuesPayments)->deletable);
    CHECK(s.policy(tables::kLearningRecords, "progress") == Policy::Max);
    CHECK(s.policy(tables::kMeetings, "minutes_not_declared") ==
          Policy::KeepBoth);  // table default
    CHECK(s.policy(tables::kPersons, "id_number") == Policy::Server);
}
