// SPDX-License-Identifier: Apache-2.0
// Issue #6 end to end on a real TLS server with the real schema and handlers:
//  * the secretary's scenario offline (meeting, QR and manual sign-in, quorum, minutes, vote,
//    photo reference), a second secretary's concurrent minutes kept as a conflict and resolved,
//    submission, review by the college (approve; a thin record refused and rejected with a reason),
//    and the server's period assignment with an implausible device time flagged;
//  * the member's scenario offline (content downloaded, study, quiz, comment on a notice), a
//    replayed session and a clock-shifted phone, then points, 学时 and recommendations;
//  * scorecards, alerts, roll-ups and opinion aggregates against numbers worked out by hand.
#include "life_env.hpp"

#include "zb/domain/tables.hpp"
#include "zb/merge/merge.hpp"

#include <nlohmann/json.hpp>

namespace {

namespace T = zb::domain::tables;
using zb::core::CommandStatus;
using zb::core::Replica;
using zb::core::Values;
using zb::domain::Date;
using zb::domain::MemberStatus;
using zb::test::kDay;
using zb::test::kJune30Noon;
using zb::test::LifeWorld;
using zb::test::put;

constexpr const char* kB1 = "/u/cs/b1";
constexpr std::int64_t kMinute = 60 * 1000;
// An attachment id as H6's Attachments::add returns it (protocol::attachment_ref: 64 hex digits).
const std::string kPhoto(64, 'a');

const std::string kMinutesText =
    "会议传达学习了上级党委关于加强基层党组织建设的文件精神，支部书记作了专题发言，"
    "与会党员结合学习和工作实际逐一交流体会，讨论了下半年支部工作计划，"
    "明确了主题党日安排、党员联系群众和志愿服务的分工，会议对支部工作计划进行了表决，"
    "全体到会有表决权的党员一致同意，会后由组织委员负责落实并在下次支部党员大会上报告进展情况。";

void seed(LifeWorld& w) {
    using zb::server::domain::OrgUnitSeed;
    using zb::server::domain::PersonSeed;
    std::vector<OrgUnitSeed> units = {
        {"/u", "", "university", "", "示范大学", std::nullopt},
        {"/u/cs", "/u", "college", "", "计算机学院", std::nullopt},
        {kB1, "/u/cs", "branch", "undergraduate", "本科生第一党支部", Date::ymd(2026, 4, 1)},
        {"/u/cs/b2", "/u/cs", "branch", "undergraduate", "本科生第二党支部", Date::ymd(2026, 6, 1)},
    };
    std::vector<PersonSeed> persons;
    for (const char* id : {"s1", "c1", "m1", "m2", "m3", "m4"}) {
        PersonSeed p;
        p.person_id = id;
        p.branch = kB1;
        p.name = id;
        p.status = MemberStatus::Full;
        persons.push_back(p);
    }
    PersonSeed p1;
    p1.person_id = "p1";
    p1.branch = kB1;
    p1.name = "p1";
    p1.status = MemberStatus::Probationary;  // present, but no vote [S45]
    persons.push_back(p1);
    zb::server::domain::seed_organisation(*w.ctx, units, persons);
}

void write(Replica& r, const std::string& table, const std::string& row, Values v) {
    auto ok = r.write(table, row, v);
    INFO(table << "/" << row << ": " << (ok.ok() ? "" : ok.error().message));
    REQUIRE(ok.ok());
}

Values attendance(const std::string& meeting, const std::string& person, const std::string& state,
                  const std::string& method, std::int64_t at) {
    return Values{{"org", std::string(kB1)},
                  {"meeting_id", meeting},
                  {"person_id", person},
                  {"state", state},
                  {"method", method},
                  {"sign_in_at", at},
                  {"recorded_by", std::string("s1")}};
}

/// A recorded meeting: the row, its minutes (row id = meeting id) and its attendance.
void record_meeting(Replica& r, const std::string& id, const std::string& type,
                    std::int64_t device_held_at, const std::string& minutes,
                    const std::vector<std::pair<std::string, std::string>>& present) {
    nlohmann::json photos = nlohmann::json::array({kPhoto});
    write(r, std::string(T::kMeetings), id,
          {{"org", std::string(kB1)},
           {"type", type},
           {"topic", std::string("学习上级文件精神，讨论支部工作计划")},
           {"held_at", device_held_at},
           {"device_held_at", device_held_at},
           {"place", std::string("学院党员活动室")},
           {"photos", photos.dump()},
           {"decisions", std::string("通过下半年支部工作计划")},
           {"author_id", std::string("s1")}});
    write(r, std::string(T::kMeetingMinutes), id,
          {{"org", std::string(kB1)}, {"meeting_id", id}, {"minutes", minutes}});
    for (const auto& [person, state] : present)
        write(r, std::string(T::kAttendance), id + "/" + person,
              attendance(id, person, state, "manual", device_held_at));
}

std::string submit(Replica& r, const std::string& family, const std::string& name,
                   const nlohmann::json& args) {
    auto id = r.submit_command(family, name, args.dump());
    REQUIRE(id.ok());
    return id.value();
}

zb::core::Command command(Replica& r, const std::string& id) {
    auto all = r.commands();
    REQUIRE(all.ok());
    for (const auto& c : all.value())
        if (c.id == id) return c;
    FAIL("no such command " << id);
    return {};
}

struct Phones {
    std::unique_ptr<Replica> secretary, second, member, reviewer;
};

/// The secretary's scenario, with its checks. Leaves mtg1 approved, mtg2 rejected, mtg3 (theme
/// day, device time in the future) and mtg4 (theme day two days back) held.
void secretary_scenario(LifeWorld& w, Phones& ph) {
    ph.secretary = w.phone("secretary");
    ph.second = w.phone("second");
    ph.member = w.phone("member");
    ph.reviewer = w.phone("reviewer");
    w.enroll(*ph.secretary, "s1", "branch_secretary", kB1);
    w.enroll(*ph.second, "c1", "committee_member", kB1);
    w.enroll(*ph.member, "m1", "member", kB1);
    w.enroll(*ph.reviewer, "r1", "college_committee", "/u/cs");
    auto& a = *ph.secretary;
    auto& b = *ph.second;

    // ---- offline, on site: the meeting, sign-in, minutes, a vote ----
    const auto held = static_cast<std::int64_t>(w.now());
    record_meeting(a, "mtg1", "general_meeting", held, kMinutesText,
                   {{"s1", "present"},
                    {"m2", "present"},
                    {"m3", "present"},
                    {"p1", "present"},
                    {"c1", "absent"}});
    write(a, std::string(T::kAttendance), "mtg1/m4",
          {{"org", std::string(kB1)},
           {"meeting_id", std::string("mtg1")},
           {"person_id", std::string("m4")},
           {"state", std::string("leave")},
           {"leave_reason", std::string("外出实习")}});
    // m1 signs in on their own phone by scanning the QR the secretary's phone shows.
    write(*ph.member, std::string(T::kAttendance), "mtg1/m1",
          attendance("mtg1", "m1", "present", "qr", held));
    // Counts only: the ballot was secret (§11.2).
    write(a, std::string(T::kVotes), "v1",
          {{"org", std::string(kB1)},
           {"meeting_id", std::string("mtg1")},
           {"subject_type", std::string("resolution")},
           {"entitled_count", std::int64_t{6}},
           {"present_count", std::int64_t{4}},
           {"yes", std::int64_t{4}},
           {"no", std::int64_t{0}},
           {"abstain", std::int64_t{0}}});
    w.advance(90 * kMinute);  // back in the office, online
    w.sync(*ph.member);
    w.sync(a);

    // The server dated the meeting by the plausible device time and stamped its own receipt.
    CHECK(w.text(T::kMeetings, "mtg1", "period_key") == "2026-06-30");
    CHECK(w.text(T::kMeetings, "mtg1", "time_flags") == "[]");
    CHECK(w.text(T::kMeetings, "mtg1", "state") == "held");
    CHECK(w.integer(T::kMeetings, "mtg1", "received_at") == static_cast<std::int64_t>(w.now()));

    // ---- two secretaries edit the minutes concurrently, offline ----
    w.sync(b);
    REQUIRE(b.read(T::kMeetingMinutes, "mtg1").value().has_value());
    write(a, std::string(T::kMeetingMinutes), "mtg1",
          {{"minutes", kMinutesText + "（书记补充：会议决定七月上旬开展志愿服务。）"}});
    write(b, std::string(T::kMeetingMinutes), "mtg1",
          {{"minutes", kMinutesText + "（组织委员补充：p1 同志列席并发言。）"}});
    w.sync(a);
    w.sync(b);
    w.sync(a);
    auto ca = a.conflicts();
    auto cb = b.conflicts();
    REQUIRE(ca.ok());
    REQUIRE(cb.ok());
    REQUIRE(ca.value().size() == 1);  // kept, not silently merged
    REQUIRE(cb.value().size() == 1);
    CHECK(ca.value()[0].table == T::kMeetingMinutes);
    CHECK(ca.value()[0].column == "minutes");

    // Submitting with the conflict open is refused: a person decides the minutes.
    const auto early = submit(a, "meetings", "submit", {{"meeting", "mtg1"}, {"votes", {"v1"}}});
    w.sync(a);
    auto early_c = command(a, early);
    CHECK(early_c.status == CommandStatus::Rejected);
    CHECK(early_c.message.find("冲突") != std::string::npos);

    // The secretary keeps both additions; the resolution closes the conflict everywhere.
    const std::string merged = kMinutesText +
                               "（书记补充：会议决定七月上旬开展志愿服务。）"
                               "（组织委员补充：p1 同志列席并发言。）";
    REQUIRE(a.resolve(T::kMeetingMinutes, "mtg1", "minutes", merged).ok());
    w.sync(a);
    w.sync(b);
    CHECK(a.conflicts().value().empty());
    CHECK(b.conflicts().value().empty());
    {
        auto txn = w.ctx->store->begin();
        CHECK(
            zb::merge::open_conflicts(txn->state().versions(T::kMeetingMinutes, "mtg1", "minutes"))
                .empty());
    }
    CHECK(w.text(T::kMeetingMinutes, "mtg1", "minutes") == merged);

    // ---- submission: quorum and vote decided by the server's roster ----
    const auto sub = submit(a, "meetings", "submit", {{"meeting", "mtg1"}, {"votes", {"v1"}}});
    w.sync(a);
    INFO(command(a, sub).message);
    REQUIRE(command(a, sub).status == CommandStatus::Accepted);
    CHECK(w.text(T::kMeetings, "mtg1", "state") == "submitted");
    // 正式党员 s1 c1 m1 m2 m3 m4 = 6 entitled; present s1 m1 m2 m3 = 4 (p1 is 预备: no vote);
    // 2·4 = 8 > 6 → quorum [S18]. Vote: yes 4, 2·4 > 6 → passed.
    CHECK(w.integer(T::kMeetings, "mtg1", "quorum_ok") == 1);
    auto note = nlohmann::json::parse(w.text(T::kMeetings, "mtg1", "review_note"));
    CHECK(note["entitled"] == 6);
    CHECK(note["present"] == 4);
    CHECK(w.integer(T::kVotes, "v1", "passed") == 1);

    // ---- review by the level above ----
    const auto by_member =
        submit(*ph.member, "meetings", "review", {{"meeting", "mtg1"}, {"decision", "approve"}});
    w.sync(*ph.member);
    CHECK(command(*ph.member, by_member).code == zb::protocol::Errc::Forbidden);
    const auto approve =
        submit(*ph.reviewer, "meetings", "review", {{"meeting", "mtg1"}, {"decision", "approve"}});
    w.sync(*ph.reviewer);
    CHECK(command(*ph.reviewer, approve).status == CommandStatus::Accepted);
    CHECK(w.text(T::kMeetings, "mtg1", "state") == "approved");

    // A thin record: one line of minutes. Submitted with its findings; approval refused; a
    // rejection needs a reason.
    record_meeting(a, "mtg2", "party_lecture", static_cast<std::int64_t>(w.now()), "学习了文件。",
                   {{"s1", "present"}, {"m2", "present"}});
    const auto sub2 = submit(a, "meetings", "submit", {{"meeting", "mtg2"}});
    w.sync(a);
    REQUIRE(command(a, sub2).status == CommandStatus::Accepted);
    CHECK(w.text(T::kMeetings, "mtg2", "review_note").find("minutes_too_short") !=
          std::string::npos);
    const auto thin_ok =
        submit(*ph.reviewer, "meetings", "review", {{"meeting", "mtg2"}, {"decision", "approve"}});
    const auto no_reason =
        submit(*ph.reviewer, "meetings", "review", {{"meeting", "mtg2"}, {"decision", "reject"}});
    const auto reject = submit(
        *ph.reviewer, "meetings", "review",
        {{"meeting", "mtg2"}, {"decision", "reject"}, {"reason", "纪要过于简单，请补充讨论内容"}});
    w.sync(*ph.reviewer);
    CHECK(command(*ph.reviewer, thin_ok).code == zb::protocol::Errc::RuleViolation);
    CHECK(command(*ph.reviewer, no_reason).code == zb::protocol::Errc::BadValue);
    CHECK(command(*ph.reviewer, reject).status == CommandStatus::Accepted);
    CHECK(w.text(T::kMeetings, "mtg2", "state") == "rejected");
    CHECK(w.text(T::kMeetings, "mtg2", "review_note").find("纪要过于简单") != std::string::npos);

    // ---- device time is evidence: a future claim is flagged, a plausible past one kept ----
    record_meeting(a, "mtg3", "theme_day", static_cast<std::int64_t>(w.now()) + 2 * kDay,
                   kMinutesText, {});
    record_meeting(a, "mtg4", "theme_day", static_cast<std::int64_t>(w.now()) - 2 * kDay,
                   kMinutesText, {});
    w.sync(a);
    CHECK(w.text(T::kMeetings, "mtg3", "period_key") == "2026-06-30");  // the server's day
    CHECK(w.text(T::kMeetings, "mtg3", "time_flags") == R"(["device_after_receipt"])");
    CHECK(w.text(T::kMeetings, "mtg4", "period_key") == "2026-06-28");
    CHECK(w.text(T::kMeetings, "mtg4", "time_flags") == "[]");
}

void import_content(LifeWorld& w) {
    nlohmann::json key = nlohmann::json::array(
        {{{"q", "q1"}, {"answer", "B"}, {"points", 50}, {"topic", "dues"}},
         {{"q", "q2"}, {"answer", "C"}, {"points", 50}, {"topic", "history"}}});
    std::vector<zb::server::CommandWrite> c;
    auto item = [&](const std::string& id, const std::string& kind, const std::string& tags,
                    const std::string& audience) {
        c.push_back(put(std::string(T::kContent), id, "org", std::string("/u")));
        c.push_back(put(std::string(T::kContent), id, "kind", kind));
        c.push_back(put(std::string(T::kContent), id, "title", id));
        c.push_back(put(std::string(T::kContent), id, "tags", tags));
        c.push_back(put(std::string(T::kContent), id, "audience", audience));
        c.push_back(put(std::string(T::kContent), id, "review_state", std::string("published")));
    };
    item("art1", "article", R"(["dues"])", "{}");
    item("art2", "article", R"(["history"])", R"({"statuses":["full"]})");
    item("quiz1", "quiz", R"(["dues","history"])", "{}");
    item("vid1", "video", "[]", "{}");
    c.push_back(put(std::string(T::kContent), "quiz1", "answer_key", key.dump()));
    w.import(c);
}

/// The member's scenario, with its checks (run after the secretary's, same world).
void member_scenario(LifeWorld& w, Phones& ph) {
    import_content(w);
    auto& a = *ph.secretary;
    auto& m = *ph.member;

    // The branch publishes a notice for 公示 (after 保密审查); the member downloads everything.
    const auto pub = submit(a, "disclosures", "publish",
                            {{"id", "notice1"},
                             {"org", kB1},
                             {"category", "org_life"},
                             {"title", "七月主题党日安排"},
                             {"scope", "party"},
                             {"secrecy_reviewed", true}});
    w.sync(a);
    REQUIRE(command(a, pub).status == CommandStatus::Accepted);
    CHECK(w.text(T::kDisclosures, "notice1", "window_from") == "2026-06-30");
    CHECK(w.text(T::kDisclosures, "notice1", "window_to") == "2026-07-07");  // 5 working days
    w.sync(m);
    auto quiz = m.read(T::kContent, "quiz1");
    REQUIRE(quiz.ok());
    REQUIRE(quiz.value().has_value());
    auto key = quiz.value()->find("answer_key");
    CHECK((key == quiz.value()->end() || key->second.index() == 0));  // never on a phone
    REQUIRE(m.read(T::kDisclosures, "notice1").value().has_value());

    // ---- offline: study, a quiz, a login, a comment, a read receipt ----
    const auto t = static_cast<std::int64_t>(w.now());
    auto session = [&](Replica& r, const std::string& id, const std::string& content,
                       std::int64_t seconds) {
        write(r, std::string(T::kLearningSessions), id,
              {{"org", std::string(kB1)},
               {"person_id", std::string("m1")},
               {"content_id", content},
               {"started_at", t},
               {"seconds", seconds}});
    };
    session(m, "sess-1", "art1", 1800);
    session(m, "sess-2", "vid1", 600);
    write(m, std::string(T::kLearningRecords), "m1|art1",
          {{"org", std::string(kB1)},
           {"person_id", std::string("m1")},
           {"content_id", std::string("art1")},
           {"progress", std::int64_t{1000}},
           {"completed_at", t}});
    write(m, std::string(T::kQuizAttempts), "qa-1",
          {{"org", std::string(kB1)},
           {"person_id", std::string("m1")},
           {"quiz_id", std::string("quiz1")},
           {"answers", std::string(R"({"q1":"B","q2":"A"})")},
           {"started_at", t},
           {"finished_at", t + 120000}});
    write(m, std::string(T::kActivityEvents), "ev-1",
          {{"org", std::string(kB1)},
           {"person_id", std::string("m1")},
           {"action", std::string("login")},
           {"dwell_seconds", std::int64_t{0}},
           {"device_time", t}});
    write(m, std::string(T::kComments), "c-1",
          {{"org", std::string(kB1)},
           {"target_type", std::string("disclosure")},
           {"target_id", std::string("notice1")},
           {"author_id", std::string("m1")},
           {"text", std::string("支持这次主题党日的安排，很有收获")},
           {"created_at", t}});
    write(m, std::string(T::kReadReceipts), "m1|notice1",
          {{"org", std::string(kB1)},
           {"person_id", std::string("m1")},
           {"target_id", std::string("notice1")},
           {"first_read_at", t},
           {"last_read_at", t}});
    w.advance(kMinute);
    w.sync(m);

    // Graded by the server: q1 right (50), q2 wrong (50, topic history).
    CHECK(w.integer(T::kQuizAttempts, "qa-1", "score") == 50);
    CHECK(w.integer(T::kQuizAttempts, "qa-1", "max_score") == 100);
    CHECK(w.text(T::kQuizAttempts, "qa-1", "weak_topics") == R"(["history"])");
    CHECK(w.integer(T::kLearningSessions, "sess-1", "receipt_at") ==
          static_cast<std::int64_t>(w.now()));
    CHECK(w.text(T::kComments, "c-1", "moderation_state") == "pending");
    CHECK(w.integer(T::kComments, "c-1", "sentiment") == 1);

    // ---- a restored backup on a phone whose clock is three days behind ----
    w.advance(kMinute);
    auto shifted_clock = std::make_shared<std::atomic<std::int64_t>>(0);
    zb::core::Options o;
    o.path = w.dir.file("restored.db");
    o.schema = zb::domain::make_schema();
    o.opener = zb::core::plain_opener();
    auto world_clock = w.clock;
    o.now_ms = [world_clock] { return static_cast<std::uint64_t>(world_clock->load() - 3 * kDay); };
    auto opened = Replica::open(std::move(o));
    REQUIRE(opened.ok());
    auto& r = *opened.value();
    w.enroll(r, "m1", "member", kB1);
    const auto shifted = static_cast<std::int64_t>(w.now()) - 3 * kDay;
    write(r, std::string(T::kLearningSessions), "sess-1",  // replay: the same session again
          {{"org", std::string(kB1)},
           {"person_id", std::string("m1")},
           {"content_id", std::string("art1")},
           {"started_at", t},
           {"seconds", std::int64_t{1800}}});
    session(r, "sess-3", "art1", 600);
    write(r, std::string(T::kActivityEvents), "ev-2",
          {{"org", std::string(kB1)},
           {"person_id", std::string("m1")},
           {"action", std::string("login")},
           {"dwell_seconds", std::int64_t{0}},
           {"device_time", shifted}});
    auto res = w.sync(r);
    CHECK(res.rejected == 5);  // the replayed session's five cells: append-only
    CHECK(w.integer(T::kActivityEvents, "ev-2", "receipt_at") ==
          static_cast<std::int64_t>(w.now()));

    // Moderation after sync: the secretary publishes the comment.
    const auto mod =
        submit(a, "comments", "moderate", {{"comment", "c-1"}, {"decision", "publish"}});
    w.sync(a);
    REQUIRE(command(a, mod).status == CommandStatus::Accepted);
    CHECK(w.text(T::kComments, "c-1", "moderation_state") == "published");
}

}  // namespace

TEST_CASE("life: the secretary's meeting offline, conflict resolved, submitted and reviewed",
          "[life][integration]") {
    LifeWorld w(kJune30Noon - 2 * 3600 * 1000);  // 10:00 CST on site
    seed(w);
    Phones ph;
    secretary_scenario(w, ph);
}

TEST_CASE("life: the member studies offline; the server computes points and 学时",
          "[life][integration]") {
    LifeWorld w(kJune30Noon - 2 * 3600 * 1000);
    seed(w);
    Phones ph;
    secretary_scenario(w, ph);
    member_scenario(w, ph);
    zb::server::domain::recompute_analytics(*w.ctx, w.now());

    // Points on the server's day 2026-06-30 (学习强国 rules, policy.cpp):
    //   sess-1 article 1 + article_time 1800/240 = 7            →  8
    //   sess-2 video 1 + video_time 600/300 = 2                  →  3
    //   sess-3 article 1 + article_time 600/240 = 2, capped 8−7 → 2
    //   ev-1 login 1; ev-2 login 0 (cap 1/day, on the receipt day whatever the phone's clock)
    //   qa-1 daily_quiz 2; c-1 comment 1 (published)
    //   total 8 + 3 + 2 + 1 + 2 + 1 = 17
    CHECK(w.integer(T::kPointsEntries, "pts:lt:sess-1", "delta") == 7);
    CHECK(w.integer(T::kPointsEntries, "pts:lt:sess-3", "delta") == 1);
    CHECK_FALSE(w.ctx->store->cell(T::kPointsEntries, "pts:ev:ev-2", "delta"));
    CHECK(w.text(T::kPointsEntries, "pts:ev:ev-1", "day") == "2026-06-30");
    // 学时: distinct sessions 1800 + 600 + 600 = 3000 s (the replay added nothing);
    // 1 学时 = 45 min = 2700 s → 3000·10/2700 = 11 tenths; target 32 not met.
    CHECK(w.integer(T::kStudyYears, "m1|2026", "seconds") == 3000);
    CHECK(w.integer(T::kStudyYears, "m1|2026", "hours_tenths") == 11);
    CHECK(w.integer(T::kStudyYears, "m1|2026", "target_hours") == 32);
    CHECK(w.integer(T::kStudyYears, "m1|2026", "target_met") == 0);
    CHECK(w.integer(T::kStudyYears, "m1|2026", "points") == 17);
    CHECK(w.integer(T::kLearningRecords, "m1|art1", "seconds") == 2400);
    CHECK(w.integer(T::kDisclosures, "notice1", "read_count") == 1);
    // Recommendations: art1 is done; art2 is for 正式党员 and covers the weak topic "history"
    // (1 + 10 + 2 = 13), then quiz1 (tagged history: 1 + 10 = 11), then vid1 (1).
    auto rec = nlohmann::json::parse(w.text(T::kRecommendations, "m1", "items"));
    REQUIRE(rec.size() == 3);
    CHECK(rec[0]["content"] == "art2");
    CHECK(rec[1]["content"] == "quiz1");
    CHECK(rec[2]["content"] == "vid1");

    // The member's phone receives the server's figures.
    w.sync(*ph.member);
    auto year = ph.member->read(T::kStudyYears, "m1|2026");
    REQUIRE(year.ok());
    REQUIRE(year.value().has_value());
    CHECK(std::get<std::int64_t>(year.value()->at("points")) == 17);
}

TEST_CASE("life: scorecards, alerts, roll-ups and opinion from synced data",
          "[life][integration]") {
    LifeWorld w(kJune30Noon - 2 * 3600 * 1000);
    seed(w);
    Phones ph;
    secretary_scenario(w, ph);
    member_scenario(w, ph);
    // Two more opinions from the branch, through the secretary's phone.
    const auto t = static_cast<std::int64_t>(w.now());
    write(*ph.secretary, std::string(T::kComments), "c-2",
          {{"org", std::string(kB1)},
           {"target_type", std::string("disclosure")},
           {"target_id", std::string("notice1")},
           {"author_id", std::string("s1")},
           {"text", std::string("会议材料太多，负担太重")},
           {"created_at", t}});
    write(*ph.secretary, std::string(T::kComments), "c-3",
          {{"org", std::string(kB1)},
           {"target_type", std::string("disclosure")},
           {"target_id", std::string("notice1")},
           {"author_id", std::string("s1")},
           {"text", std::string("学习课程清晰")},
           {"created_at", t}});
    w.sync(*ph.secretary);
    zb::server::domain::recompute_analytics(*w.ctx, w.now());

    // Branch b1, 2026 to date (2026-06-30; established 2026-04-01; 6 正式 < 7 → no 支委会
    // obligation; no 党小组):
    //   党员大会 Q2 met (mtg1); 党课 Q2 open (mtg2 rejected); 主题党日 Apr overdue, May overdue,
    //   Jun met (mtg3, mtg4); yearly items open → due 4, met 2 → 500‰ (< 600: red).
    //   Attendance over mtg1, mtg3, mtg4 (mtg2 rejected), 7 party members each: present 5 at
    //   mtg1 (s1 m1 m2 m3 p1), none recorded at mtg3/mtg4 → 5/21 → 238‰ (red).
    //   Study: target per member 32·2700 s·181/365 = 15638400/365 = 42844 s (rounded down), ×7 =
    //   299908 s; studied 3000 s → 10‰ (red). Dues: nothing owed → 1000‰. Last meeting today → 0
    //   days inactive.
    const std::string b1 = std::string(kB1) + "|2026";
    CHECK(w.integer(T::kScorecards, b1, "meetings_permille") == 500);
    CHECK(w.integer(T::kScorecards, b1, "attendance_permille") == 238);
    CHECK(w.integer(T::kScorecards, b1, "study_permille") == 10);
    CHECK(w.integer(T::kScorecards, b1, "dues_permille") == 1000);
    CHECK(w.text(T::kScorecards, b1, "overall") == "red");
    auto fig = nlohmann::json::parse(w.text(T::kScorecards, b1, "figures"));
    CHECK(fig["meetings_due"] == 4);
    CHECK(fig["attendance_expected"] == 21);
    CHECK(fig["study_target_seconds"] == 299908);
    CHECK(w.text(T::kAlerts, "sc|/u/cs/b1|meetings|2026", "severity") == "red");
    CHECK(w.text(T::kAlerts, "sc|/u/cs/b1|study|2026", "severity") == "red");
    CHECK(w.text(T::kAlerts, "due|/u/cs/b1|theme_day|2026-04", "severity") == "yellow");
    CHECK(w.text(T::kAlerts, "due|/u/cs/b1|theme_day|2026-05", "severity") == "yellow");
    CHECK_FALSE(w.ctx->store->cell(T::kAlerts, "due|/u/cs/b1|theme_day|2026-06", "severity"));
    // b2 (from 2026-06-01, nobody yet): nothing due, 29 days since founding < 30 → green.
    CHECK(w.text(T::kScorecards, "/u/cs/b2|2026", "overall") == "green");
    // College and university: ratios of sums — the same figures, 2 branches, 1 red.
    for (const char* unit : {"/u/cs|2026", "/u|2026"}) {
        CHECK(w.integer(T::kScorecards, unit, "branches") == 2);
        CHECK(w.integer(T::kScorecards, unit, "red_branches") == 1);
        CHECK(w.integer(T::kScorecards, unit, "meetings_permille") == 500);
        CHECK(w.integer(T::kScorecards, unit, "attendance_permille") == 238);
    }
    CHECK(w.text(T::kScorecards, "/u|2026", "level") == "university");

    // Opinion, b1, 2026-06 (server receipt month), no identities:
    //   c-1 "支持…收获" +2 → positive; c-2 "太多" "负担" −2 → negative; c-3 "清晰" → positive
    //   net (2 − 1)·1000/3 = 333; topics: meetings (主题党日, 会议) 2, workload 1, learning 1.
    for (const char* unit : {"/u/cs/b1|2026-06", "/u/cs|2026-06", "/u|2026-06"}) {
        CHECK(w.integer(T::kOpinionAggregates, unit, "comments") == 3);
        CHECK(w.integer(T::kOpinionAggregates, unit, "positive") == 2);
        CHECK(w.integer(T::kOpinionAggregates, unit, "negative") == 1);
        CHECK(w.integer(T::kOpinionAggregates, unit, "net_permille") == 333);
        auto topics = nlohmann::json::parse(w.text(T::kOpinionAggregates, unit, "topic_counts"));
        CHECK(topics["meetings"] == 2);
        CHECK(topics["workload"] == 1);
        CHECK(topics["learning"] == 1);
    }
    CHECK(w.text(T::kOpinionAggregates, "/u/cs/b1|2026-06", "topic_counts").find("m1") ==
          std::string::npos);

    // Idempotent: the same data computes to no new writes.
    {
        auto txn = w.ctx->store->begin();
        auto again = zb::server::domain::analytics_writes(*w.ctx, *txn,
                                                          zb::domain::UniversityPolicy{}, w.now());
        for (const auto& x : again)
            INFO(x.table << "/" << x.row << "/" << x.column);
        CHECK(again.empty());
    }

    // The secretary's phone (officer) receives scorecards and alerts; the member's does not.
    w.sync(*ph.secretary);
    w.sync(*ph.member);
    CHECK(ph.secretary->read(T::kScorecards, b1).value().has_value());
    CHECK_FALSE(ph.member->read(T::kScorecards, b1).value().has_value());
    CHECK_FALSE(ph.member->read(T::kAlerts, "sc|/u/cs/b1|study|2026").value().has_value());
}

TEST_CASE("life: a topic spike raises an opinion alert without naming anyone",
          "[life][integration]") {
    LifeWorld w(kJune30Noon);
    seed(w);
    // Comments as synced in March–June (receipt times set as ingest would): dues is mentioned
    // 3, 3, 3 times, then 8 times in June: 8·3·100 = 2400 > 200·9 = 1800 and 8 ≥ 5 → spike.
    std::vector<zb::server::CommandWrite> c;
    int n = 0;
    auto comment = [&](int month, const std::string& text) {
        const std::string id = "k" + std::to_string(++n);
        const auto at = kJune30Noon +
                        (Date::ymd(2026, month, 15).days() - Date::ymd(2026, 6, 30).days()) * kDay;
        c.push_back(put(std::string(T::kComments), id, "org", std::string(kB1)));
        c.push_back(put(std::string(T::kComments), id, "author_id", std::string("m2")));
        c.push_back(put(std::string(T::kComments), id, "text", text));
        c.push_back(put(std::string(T::kComments), id, "receipt_at", at));
    };
    for (int month : {3, 4, 5})
        for (int i = 0; i < 3; ++i)
            comment(month, "党费缴纳的说明");
    for (int i = 0; i < 8; ++i)
        comment(6, "党费标准不清楚");
    w.import(c);
    zb::server::domain::recompute_analytics(*w.ctx, w.now());
    const std::string id = "op|/u/cs/b1|dues|2026-06";
    CHECK(w.text(T::kAlerts, id, "rule_code") == "opinion.spike.dues");
    CHECK(w.text(T::kAlerts, id, "person_id").empty());
    CHECK(w.cell(T::kAlerts, id, "resolved_at").index() == 0);
    CHECK(w.integer(T::kOpinionAggregates, "/u/cs/b1|2026-06", "comments") == 8);
    // May: 3 comments, not a spike (no three predecessors).
    CHECK_FALSE(w.ctx->store->cell(T::kAlerts, "op|/u/cs/b1|dues|2026-05", "rule_code"));
}

TEST_CASE("life: an alert is resolved when its cause passes, and the rerun is quiet",
          "[life][integration]") {
    // b2 was founded 2026-06-01 with nobody in it: at 2026-07-01 it has gone 30 days without a
    // meeting (inactivity yellow, 30 days [S88]) and June's 主题党日 is overdue.
    LifeWorld w(kJune30Noon + kDay);
    seed(w);
    zb::server::domain::recompute_analytics(*w.ctx, w.now());
    const std::string inactive = "sc|/u/cs/b2|inactivity|2026";
    CHECK(w.text(T::kAlerts, inactive, "severity") == "yellow");
    CHECK(w.cell(T::kAlerts, inactive, "resolved_at").index() == 0);
    // A theme day is held and synced; the next run resolves the inactivity alert.
    auto a = w.phone("s2");
    w.enroll(*a, "s2", "branch_secretary", "/u/cs/b2");
    write(*a, std::string(T::kMeetings), "b2-m1",
          {{"org", std::string("/u/cs/b2")},
           {"type", std::string("theme_day")},
           {"topic", std::string("主题党日")},
           {"device_held_at", static_cast<std::int64_t>(w.now())}});
    w.sync(*a);
    w.advance(kMinute);
    zb::server::domain::recompute_analytics(*w.ctx, w.now());
    CHECK(w.integer(T::kAlerts, inactive, "resolved_at") == static_cast<std::int64_t>(w.now()));
    CHECK(w.text(T::kAlerts, "due|/u/cs/b2|theme_day|2026-06", "severity") == "yellow");
    const auto head = w.ctx->store->head();
    zb::server::domain::recompute_analytics(*w.ctx, w.now());
    CHECK(w.ctx->store->head() == head);  // nothing changed, nothing written
}
