// SPDX-License-Identifier: Apache-2.0
// Learning on the server (domain.md §3 ≥ 32 学时 [S102], §9, §12.1.6). A phone studies offline
// and syncs learning_sessions (row id = session id), activity_events (row id = event id) and
// quiz_attempts. Nothing it claims about time or score is trusted:
//  * on accept, each new row gets the server's receipt time; a quiz attempt is graded against the
//    content's answer key, which is never sent to members;
//  * analytics counts study time over DISTINCT session rows by receipt year, and computes points
//    with per-action daily caps, minimum dwell and the daily maximum on SERVER receipt days, so a
//    replayed session (same row: the append-only cells refuse a second write) or a clock-shifted
//    phone cannot add anything; recommendations follow stage, category, assigned content and
//    weak quiz topics.
#include "life_support.hpp"

#include "zb/domain/learning.hpp"
#include "zb/domain/organization.hpp"
#include "zb/domain/tables.hpp"
#include "zb/server/domain/life.hpp"

#include <algorithm>
#include <memory>
#include <set>

namespace zb::server::domain {

namespace T = zb::domain::tables;

namespace {

/// Tables whose rows get the server's receipt time when they first arrive.
constexpr std::string_view kStamped[] = {T::kLearningSessions, T::kActivityEvents, T::kQuizAttempts,
                                         T::kComments, T::kDisclosureFeedback};

struct Grade {
    std::int64_t score = 0;
    std::int64_t max_score = 0;
    std::set<std::string> weak_topics;
};

/// answer_key: [{"q": id, "answer": text, "points": n, "topic": code}]; answers: {id: text}.
std::optional<Grade> grade(const nlohmann::json& key, const nlohmann::json& answers) {
    if (!key.is_array() || !answers.is_object()) return std::nullopt;
    Grade g;
    for (const auto& q : key) {
        if (!q.is_object()) continue;
        const auto id = q.value("q", std::string());
        const auto points = q.value("points", std::int64_t{1});
        g.max_score += points;
        auto it = answers.find(id);
        if (it != answers.end() && *it == q.value("answer", nlohmann::json()))
            g.score += points;
        else if (!q.value("topic", std::string()).empty())
            g.weak_topics.insert(q.value("topic", std::string()));
    }
    return g;
}

class LearningObserver final : public AcceptObserver {
public:
    std::vector<CommandWrite> accepted(const CommandContext& ctx,
                                       const std::vector<protocol::Change>& changes) override {
        life::ChangedWrites w(ctx.txn);
        Rows rows(ctx.txn);
        std::set<std::pair<std::string, std::string>> stamped;
        for (const auto& c : changes) {
            if (std::find(std::begin(kStamped), std::end(kStamped), c.table) == std::end(kStamped))
                continue;
            if (stamped.insert({c.table, c.row}).second && !rows.get(c.table, c.row, "receipt_at"))
                w.set(c.table, c.row, "receipt_at", static_cast<std::int64_t>(ctx.now_ms));
            if (c.table == T::kQuizAttempts && c.column == "answers") {
                const auto quiz = rows.text(T::kQuizAttempts, c.row, "quiz_id");
                auto key = rows.json(T::kContent, quiz, "answer_key", nlohmann::json());
                auto answers = c.value.index() == 3
                                   ? nlohmann::json::parse(std::get<3>(c.value), nullptr, false)
                                   : nlohmann::json();
                auto g = grade(key, answers);
                // No key or unreadable answers: left ungraded (score absent), never guessed.
                if (!g) continue;
                nlohmann::json weak(g->weak_topics);
                w.set(T::kQuizAttempts, c.row, "score", g->score);
                w.set(T::kQuizAttempts, c.row, "max_score", g->max_score);
                w.set(T::kQuizAttempts, c.row, "weak_topics", weak.dump());
            }
        }
        return std::move(w.list());
    }
};

std::vector<zb::domain::StudySession> load_sessions(const life::AnalyticsInput& in, Rows& rows) {
    std::vector<zb::domain::StudySession> out;
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kLearningSessions)) {
        auto receipt = life::as_int(rows.get(T::kLearningSessions, id, "receipt_at"));
        if (!receipt) continue;  // not yet stamped: counted once it is
        zb::domain::StudySession s;
        s.session_id = id;
        s.person_id = rows.text(T::kLearningSessions, id, "person_id");
        s.content_id = rows.text(T::kLearningSessions, id, "content_id");
        s.seconds = life::as_int(rows.get(T::kLearningSessions, id, "seconds")).value_or(0);
        s.server_receipt_ms = *receipt;
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

namespace life {

std::map<std::string, std::int64_t> study_seconds_by_person(const AnalyticsInput& in, int year) {
    Rows rows(in.txn);
    std::map<std::string, std::vector<zb::domain::StudySession>> by_person;
    for (auto& s : load_sessions(in, rows))
        if (Date::from_unix_ms_cst(s.server_receipt_ms).year() == year)
            by_person[s.person_id].push_back(std::move(s));
    std::map<std::string, std::int64_t> out;
    for (const auto& [person, list] : by_person)
        out[person] = zb::domain::distinct_study_seconds(list);
    return out;
}

void learning_analytics(const AnalyticsInput& in, ChangedWrites& w) {
    Rows rows(in.txn);
    const auto& lp = in.policy.learning;
    const auto sessions = load_sessions(in, rows);

    // ---- points: every event on its server receipt day ----
    std::vector<zb::domain::PointsEvent> events;
    for (const auto& s : sessions) {
        const bool video = rows.text(T::kContent, s.content_id, "kind") == "video";
        events.push_back({"ls:" + s.session_id, s.person_id, video ? "video" : "article", s.seconds,
                          s.server_receipt_ms});
        events.push_back({"lt:" + s.session_id, s.person_id, video ? "video_time" : "article_time",
                          s.seconds, s.server_receipt_ms});
    }
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kActivityEvents)) {
        auto receipt = as_int(rows.get(T::kActivityEvents, id, "receipt_at"));
        if (!receipt) continue;
        events.push_back({"ev:" + id, rows.text(T::kActivityEvents, id, "person_id"),
                          rows.text(T::kActivityEvents, id, "action"),
                          as_int(rows.get(T::kActivityEvents, id, "dwell_seconds")).value_or(0),
                          *receipt});
    }
    std::map<std::string, std::set<std::string>> weak_by_person;
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kQuizAttempts)) {
        auto receipt = as_int(rows.get(T::kQuizAttempts, id, "receipt_at"));
        if (!receipt || !rows.get(T::kQuizAttempts, id, "score")) continue;
        const auto person = rows.text(T::kQuizAttempts, id, "person_id");
        events.push_back({"qa:" + id, person, "daily_quiz", 0, *receipt});
        for (auto& t : string_list(rows, T::kQuizAttempts, id, "weak_topics"))
            weak_by_person[person].insert(std::move(t));
    }
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kComments)) {
        auto receipt = as_int(rows.get(T::kComments, id, "receipt_at"));
        // A comment earns its point only once a moderator published it (§12.1.7).
        if (!receipt || rows.text(T::kComments, id, "moderation_state") != "published") continue;
        events.push_back(
            {"cm:" + id, rows.text(T::kComments, id, "author_id"), "comment", 0, *receipt});
    }
    const auto entries = zb::domain::compute_points(events, lp);
    std::set<std::string> written;
    std::map<std::pair<std::string, int>, std::int64_t> points_by_year;
    for (const auto& e : entries) {
        const std::string rid = "pts:" + e.event_id;
        written.insert(rid);
        w.set(T::kPointsEntries, rid, "org", life::branch_of_person(rows, e.person_id));
        w.set(T::kPointsEntries, rid, "person_id", e.person_id);
        w.set(T::kPointsEntries, rid, "action", e.action);
        w.set(T::kPointsEntries, rid, "source_event_id", e.event_id);
        w.set(T::kPointsEntries, rid, "day", e.day.to_string());
        w.set(T::kPointsEntries, rid, "delta", std::int64_t{e.delta});
        points_by_year[{e.person_id, e.day.year()}] += e.delta;
    }
    // An entry a later event set pushed out of a cap (a comment published after the fact moves
    // ahead in receipt order) is zeroed rather than left standing.
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kPointsEntries))
        if (!written.count(id)) w.set(T::kPointsEntries, id, "delta", std::int64_t{0});

    // ---- 学时 per person and year, and learning_records.seconds ----
    std::set<std::string> leaders;
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kPositions))
        if (rows.text(T::kPositions, id, "to_date").empty())
            leaders.insert(rows.text(T::kPositions, id, "person_id"));
    std::set<std::pair<std::string, int>> person_years;
    for (const auto& s : sessions)
        person_years.insert({s.person_id, Date::from_unix_ms_cst(s.server_receipt_ms).year()});
    for (const auto& [py, pts] : points_by_year)
        person_years.insert(py);
    for (const auto& [person, year] : person_years) {
        // ≥ 32 学时 a year [S102]; 56 for 书记/班子 (GK).
        auto y = zb::domain::study_year(sessions, person, year, leaders.count(person) > 0, lp);
        const std::string rid = person + "|" + std::to_string(year);
        w.set(T::kStudyYears, rid, "org", life::branch_of_person(rows, person));
        w.set(T::kStudyYears, rid, "person_id", person);
        w.set(T::kStudyYears, rid, "year", std::int64_t{year});
        w.set(T::kStudyYears, rid, "seconds", y.seconds);
        w.set(T::kStudyYears, rid, "hours_tenths", y.hours_tenths);
        w.set(T::kStudyYears, rid, "target_hours",
              std::int64_t{leaders.count(person) ? lp.leader_annual_hours_target
                                                 : lp.annual_hours_target});
        w.set(T::kStudyYears, rid, "target_met", std::int64_t{y.target_met ? 1 : 0});
        auto it = points_by_year.find({person, year});
        w.set(T::kStudyYears, rid, "points", it == points_by_year.end() ? 0 : it->second);
    }
    std::map<std::pair<std::string, std::string>, std::vector<zb::domain::StudySession>> by_item;
    for (const auto& s : sessions)
        by_item[{s.person_id, s.content_id}].push_back(s);
    std::map<std::string, std::set<std::string>> completed;
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kLearningRecords)) {
        const auto person = rows.text(T::kLearningRecords, id, "person_id");
        const auto content = rows.text(T::kLearningRecords, id, "content_id");
        auto it = by_item.find({person, content});
        if (it != by_item.end())
            w.set(T::kLearningRecords, id, "seconds",
                  zb::domain::distinct_study_seconds(it->second));
        if (rows.get(T::kLearningRecords, id, "completed_at") ||
            as_int(rows.get(T::kLearningRecords, id, "progress")).value_or(0) >= 1000)
            completed[person].insert(content);
    }

    // ---- recommendations: stage, category, assigned content, weak quiz topics ----
    struct Item {
        std::string id, org;
        std::vector<std::string> tags, statuses, categories, persons;
    };
    std::vector<Item> items;
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kContent)) {
        const auto kind = rows.text(T::kContent, id, "kind");
        if (kind != "article" && kind != "video" && kind != "course" && kind != "quiz") continue;
        const auto review = rows.text(T::kContent, id, "review_state");
        if (!review.empty() && review != "published") continue;  // reviewed first [S85]
        Item it;
        it.id = id;
        it.org = rows.text(T::kContent, id, "org");
        it.tags = string_list(rows, T::kContent, id, "tags");
        auto aud = rows.json(T::kContent, id, "audience", nlohmann::json::object());
        auto list = [&](const char* k) {
            std::vector<std::string> v;
            if (aud.is_object() && aud.contains(k) && aud[k].is_array())
                for (const auto& x : aud[k])
                    if (x.is_string()) v.push_back(x.get<std::string>());
            return v;
        };
        it.statuses = list("statuses");
        it.categories = list("categories");
        it.persons = list("persons");
        items.push_back(std::move(it));
    }
    for (const auto& person : live_row_ids(in.ctx, in.txn, T::kMemberships)) {
        const auto branch = rows.text(T::kMemberships, person, "org");
        const auto status = rows.text(T::kMemberships, person, "status");
        const auto category = rows.text(T::kPersons, person, "category");
        auto has = [](const std::vector<std::string>& v, const std::string& x) {
            return std::find(v.begin(), v.end(), x) != v.end();
        };
        std::vector<std::pair<int, nlohmann::json>> scored;
        for (const auto& it : items) {
            if (!covers(it.org, branch)) continue;  // published at the branch or above
            if (completed[person].count(it.id)) continue;
            const bool assigned = has(it.persons, person);
            if (!assigned && !it.persons.empty()) continue;  // assigned to others only
            if (!assigned && !it.statuses.empty() && !has(it.statuses, status)) continue;
            if (!assigned && !it.categories.empty() && !has(it.categories, category)) continue;
            int score = 1;
            nlohmann::json reasons = nlohmann::json::array();
            if (assigned) {
                score += 100;
                reasons.push_back("assigned");
            }
            for (const auto& t : it.tags)
                if (weak_by_person[person].count(t)) {
                    score += 10;
                    reasons.push_back("weak:" + t);
                }
            if (!it.statuses.empty()) {
                score += 2;
                reasons.push_back("stage");
            }
            if (!it.categories.empty()) {
                score += 1;
                reasons.push_back("category");
            }
            scored.push_back({score, {{"content", it.id}, {"reasons", reasons}}});
        }
        std::stable_sort(scored.begin(), scored.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t i = 0; i < scored.size() && i < 5; ++i)
            list.push_back(scored[i].second);
        w.set(T::kRecommendations, person, "org", branch);
        w.set(T::kRecommendations, person, "person_id", person);
        w.set(T::kRecommendations, person, "items", list.dump());
    }
}

}  // namespace life

void register_learning_life(ServerContext& ctx, const zb::domain::UniversityPolicy& /*policy*/) {
    ctx.commands.observe(std::make_shared<LearningObserver>());
}

}  // namespace zb::server::domain
