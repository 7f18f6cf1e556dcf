// SPDX-License-Identifier: Apache-2.0
// Everyday actions of a member and a branch secretary on the domain schema (zb::domain): study
// sessions, quiz attempts, comments, meetings (create, sign-in, minutes, votes, attachments,
// submission) and dues receipts. Each action is one local write, made offline; `zhibu sync`
// sends it, and the server's verdict shows in `zhibu rejected` if it refuses.
#include "commands.hpp"

#include "zb/domain/tables.hpp"
#include "zb/domain/types.hpp"

#include <sodium.h>

#include <fstream>
#include <iterator>

namespace zb::cli {
namespace {

namespace T = domain::tables;
using core::Values;

std::string t(std::string_view s) {
    return std::string(s);
}

/// The replica and the enrolled identity every action needs.
struct Actor {
    core::Replica& rep;
    DeviceConfig& cfg;
};

Actor actor(Context& ctx) {
    auto& cfg = ctx.device_config();
    return {ctx.open_replica(false), cfg};
}

void written(Context& ctx, const std::string& table, const std::string& row,
             const std::string& what) {
    ctx.out.json["table"] = table;
    ctx.out.json["row"] = row;
    ctx.out.line(what + ": " + table + "/" + row + " (run zhibu sync to send it)");
}

void study(Context& ctx, const Args& a) {
    const std::string content = a.need("content");
    const auto seconds = a.integer("seconds", 1, 24 * 3600);
    const double progress = a.number("progress", 0.0, 1.0);
    auto [rep, cfg] = actor(ctx);
    const auto now = now_ms();
    // The session is the fact the server counts (distinct session ids); it is append-only.
    const std::string session = new_row_id();
    check(rep.write(T::kLearningSessions, session,
                    Values{{"org", cfg.org},
                           {"person_id", cfg.person},
                           {"content_id", content},
                           {"started_at", now - seconds * 1000},
                           {"seconds", seconds},
                           {"device_id", std::to_string(rep.device_id())}}));
    // Progress only moves forward (Max). The record row is created by the server from the
    // sessions (its person_id is server-owned), so progress is written once it exists here.
    const std::string record = cfg.person + ":" + content;
    bool progress_written = false;
    if (check(rep.read(T::kLearningRecords, record))) {
        Values v{{"progress", progress}, {"last_position", seconds}};
        if (progress >= 1.0) {
            auto row = check(rep.read(T::kLearningRecords, record));
            if (row->find("completed_at") == row->end() ||
                protocol::is_null(row->at("completed_at")))
                v["completed_at"] = now;
        }
        check(rep.write(T::kLearningRecords, record, v));
        progress_written = true;
    }
    ctx.out.json["session"] = session;
    ctx.out.json["progress_written"] = progress_written;
    written(ctx, t(T::kLearningSessions), session, "recorded " + std::to_string(seconds) + " s");
    if (!progress_written)
        ctx.out.line(
            "progress is recorded once the server has created the learning record "
            "(after the next sync)");
}

void quiz(Context& ctx, const Args& a) {
    nlohmann::json answers = nlohmann::json::array();
    for (const auto& ans : a.all("answers"))
        answers.push_back(ans);
    for (const auto& ans : a.positionals())
        answers.push_back(ans);
    if (answers.empty()) usage_error("'quiz' needs --answers A [--answers B ...]");
    auto [rep, cfg] = actor(ctx);
    const auto now = now_ms();
    const std::string row = new_row_id();
    check(rep.write(T::kQuizAttempts, row,
                    Values{{"org", cfg.org},
                           {"person_id", cfg.person},
                           {"quiz_id", a.need("quiz")},
                           {"answers", answers.dump()},
                           {"started_at", now},
                           {"finished_at", now}}));
    written(ctx, t(T::kQuizAttempts), row, "quiz attempt saved; the server grades it");
}

void comment(Context& ctx, const Args& a) {
    const std::string text = a.need("text");
    if (text.empty()) usage_error("--text must not be empty");
    auto [rep, cfg] = actor(ctx);
    const std::string row = new_row_id();
    check(rep.write(T::kComments, row,
                    Values{{"org", cfg.org},
                           {"target_type", a.get("target-type").value_or("content")},
                           {"target_id", a.need("target")},
                           {"author_id", cfg.person},
                           {"text", text},
                           {"created_at", now_ms()}}));
    written(ctx, t(T::kComments), row, "comment saved");
}

void meeting_create(Context& ctx, const Args& a) {
    if (a.has("expected")) (void)a.integer("expected", 0, 100000);
    const std::string type = a.need("type");
    if (!domain::meeting_type_from_string(type))
        usage_error(
            "--type must be one of general_meeting, committee_meeting, group_meeting, "
            "party_lecture, theme_day, life_meeting, democratic_review, "
            "heart_to_heart_talk; got '" +
            type + "'");
    auto [rep, cfg] = actor(ctx);
    const std::string row = a.get("id").value_or(new_row_id());
    Values v{{"org", cfg.org},
             {"type", type},
             {"topic", a.need("topic")},
             {"host_id", cfg.person},
             {"recorder_id", cfg.person},
             {"author_id", cfg.person}};
    if (auto p = a.get("planned-at")) v["planned_at"] = *p;
    if (auto p = a.get("place")) v["place"] = *p;
    if (a.has("expected")) v["expected_count"] = a.integer("expected", 0, 100000);
    check(rep.write(T::kMeetings, row, v));
    ctx.out.json["meeting"] = row;
    written(ctx, t(T::kMeetings), row, "meeting created");
}

/// The meeting must exist locally (created here or pulled).
void need_meeting(core::Replica& rep, const std::string& id) {
    if (!check(rep.read(T::kMeetings, id)))
        throw CliError(Exit::Rejected, "not-found",
                       "no meeting '" + id + "' in the replica (zhibu show meetings)");
}

void meeting_sign_in(Context& ctx, const Args& a) {
    auto [rep, cfg] = actor(ctx);
    const std::string meeting = a.need("meeting");
    need_meeting(rep, meeting);
    const std::string person = a.get("person").value_or(cfg.person);
    const std::string row = meeting + ":" + person;
    Values v{{"org", cfg.org},
             {"meeting_id", meeting},
             {"person_id", person},
             {"state", a.get("state").value_or("present")},
             {"recorded_by", cfg.person}};
    auto existing = check(rep.read(T::kAttendance, row));
    if (!existing || existing->find("sign_in_at") == existing->end()) {
        v["sign_in_at"] = now_ms();
        v["method"] = a.get("method").value_or("cli");
    }
    check(rep.write(T::kAttendance, row, v));
    written(ctx, t(T::kAttendance), row, person + " signed in");
}

void meeting_minutes(Context& ctx, const Args& a) {
    auto [rep, cfg] = actor(ctx);
    const std::string meeting = a.need("meeting");
    need_meeting(rep, meeting);
    Values v{{"org", cfg.org}, {"meeting_id", meeting}, {"minutes", a.need("text")}};
    if (auto r = a.get("rectification")) v["rectification_list"] = *r;
    check(rep.write(T::kMeetingMinutes, meeting, v));
    written(ctx, t(T::kMeetingMinutes), meeting, "minutes saved");
}

void meeting_vote(Context& ctx, const Args& a) {
    for (const char* n : {"yes", "no", "abstain"})
        (void)a.integer(n, 0, 100000);
    for (const char* n : {"entitled", "present"})
        if (a.has(n)) (void)a.integer(n, 0, 100000);
    auto [rep, cfg] = actor(ctx);
    const std::string meeting = a.need("meeting");
    need_meeting(rep, meeting);
    const std::string row = new_row_id();
    Values v{{"org", cfg.org},
             {"meeting_id", meeting},
             {"subject_type", a.get("subject-type").value_or("motion")},
             {"subject_id", a.need("subject")},
             {"yes", a.integer("yes", 0, 100000)},
             {"no", a.integer("no", 0, 100000)},
             {"abstain", a.integer("abstain", 0, 100000)}};
    if (a.has("entitled")) v["entitled_count"] = a.integer("entitled", 0, 100000);
    if (a.has("present")) v["present_count"] = a.integer("present", 0, 100000);
    check(rep.write(T::kVotes, row, v));
    written(ctx, t(T::kVotes), row, "vote recorded");
}

void meeting_attach(Context& ctx, const Args& a) {
    auto [rep, cfg] = actor(ctx);
    const std::string meeting = a.need("meeting");
    need_meeting(rep, meeting);
    const std::string path = a.need("file");
    std::ifstream in(path, std::ios::binary);
    if (!in) usage_error("cannot read --file " + path);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    unsigned char hash[crypto_generichash_BYTES];
    crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(data.data()),
                       data.size(), nullptr, 0);
    std::string hex;
    for (unsigned char c : hash) {
        static const char* k = "0123456789abcdef";
        hex += k[c >> 4];
        hex += k[c & 15];
    }
    // The photos cell holds a JSON list of {name, blake2b, size}; the bytes themselves travel
    // through the attachment channel, not the change log.
    auto row = check(rep.read(T::kMeetings, meeting));
    nlohmann::json list = nlohmann::json::array();
    if (auto it = row->find("photos"); it != row->end() && it->second.index() == 3) {
        auto parsed = nlohmann::json::parse(std::get<std::string>(it->second), nullptr, false);
        if (parsed.is_array()) list = parsed;
    }
    const std::string name = std::filesystem::path(path).filename().string();
    list.push_back({{"name", name}, {"blake2b", hex}, {"size", data.size()}});
    check(rep.write(T::kMeetings, meeting, Values{{"photos", list.dump()}}));
    ctx.out.json["blake2b"] = hex;
    written(ctx, t(T::kMeetings), meeting, "attached " + name);
}

void meeting_submit(Context& ctx, const Args& a) {
    auto [rep, cfg] = actor(ctx);
    const std::string meeting = a.need("meeting");
    need_meeting(rep, meeting);
    const auto now = now_ms();
    auto row = check(rep.read(T::kMeetings, meeting));
    Values v;
    if (row->find("held_at") == row->end() || protocol::is_null(row->at("held_at")))
        v["held_at"] = now;
    if (row->find("device_held_at") == row->end() || protocol::is_null(row->at("device_held_at"))) {
        v["device_held_at"] = now;
        v["device_id"] = std::to_string(rep.device_id());
    }
    if (auto s = a.get("summary")) v["summary"] = *s;
    if (!v.empty()) check(rep.write(T::kMeetings, meeting, v));
    // Review state is the server's: ask for it with a command.
    const nlohmann::json args = {{"meeting_id", meeting}, {"org", cfg.org}};
    const auto id = check(rep.submit_command(T::kMeetings, "submit", args.dump()));
    ctx.out.json["command"] = id;
    written(ctx, t(T::kMeetings), meeting, "meeting submitted for review (command " + id + ")");
}

void dues_record(Context& ctx, const Args& a) {
    (void)a.integer("amount-fen", 1, 100'000'000);
    auto [rep, cfg] = actor(ctx);
    const std::string row = new_row_id();
    const std::string person = a.get("person").value_or(cfg.person);
    Values v{{"org", cfg.org},
             {"person_id", person},
             {"branch_id", cfg.org},
             {"months", a.need("months")},
             {"amount_fen", a.integer("amount-fen", 1, 100'000'000)},
             {"paid_at", now_ms()},
             {"method", a.get("method").value_or("cash")},
             {"collector_id", cfg.person}};
    if (auto r = a.get("receipt")) v["receipt_no"] = *r;
    check(rep.write(T::kDuesPayments, row, v));
    written(ctx, t(T::kDuesPayments), row, "dues payment recorded for " + person);
}

}  // namespace

void add_domain_commands(std::vector<CommandSpec>& out) {
    out.push_back({"study",
                   "",
                   "record a study session on a piece of content",
                   "Appends a learning session (the server sums distinct sessions) and raises the "
                   "progress of the learning record (progress only moves forward).",
                   {{"content", "ID", "the content id", true},
                    {"seconds", "N", "seconds studied (1..86400)", true},
                    {"progress", "P", "progress reached, 0.0..1.0", true}},
                   0,
                   0,
                   study});
    out.push_back({"quiz",
                   "[ANSWER...]",
                   "submit a quiz attempt (graded by the server)",
                   "",
                   {{"quiz", "ID", "the quiz id", true},
                    {"answers", "A", "one answer; repeat for each question", false, true}},
                   0,
                   64,
                   quiz});
    out.push_back({"comment",
                   "",
                   "comment on content, a notice or a disclosure",
                   "",
                   {{"target", "ID", "what the comment is about", true},
                    {"text", "T", "the comment", true},
                    {"target-type", "TYPE", "content (default), disclosure, notice"}},
                   0,
                   0,
                   comment});
    out.push_back(
        {"meeting create",
         "",
         "create a meeting (secretary)",
         "Meeting fields merge keep-both: a concurrent edit on another device becomes a conflict.",
         {{"type", "TYPE", "general_meeting, committee_meeting, group_meeting, party_lecture, ...",
           true},
          {"topic", "TEXT", "the topic", true},
          {"planned-at", "WHEN", "planned date and time (ISO 8601)"},
          {"place", "PLACE", "where"},
          {"expected", "N", "members expected"},
          {"id", "ID", "row id (default: a new UUID)"}},
         0,
         0,
         meeting_create});
    out.push_back({"meeting sign-in",
                   "",
                   "sign in to a meeting (yourself, or --person)",
                   "",
                   {{"meeting", "ID", "the meeting", true},
                    {"person", "PERSON", "who signs in (secretary recording for a member)"},
                    {"state", "STATE", "present (default), leave, absent"},
                    {"method", "M", "how: cli (default), qr, manual"}},
                   0,
                   0,
                   meeting_sign_in});
    out.push_back({"meeting minutes",
                   "",
                   "write the minutes of a meeting (secretary)",
                   "Minutes merge keep-both: see `zhibu conflicts` after concurrent edits.",
                   {{"meeting", "ID", "the meeting", true},
                    {"text", "T", "the minutes", true},
                    {"rectification", "T", "rectification list"}},
                   0,
                   0,
                   meeting_minutes});
    out.push_back({"meeting vote",
                   "",
                   "record the counts of a vote (secretary)",
                   "",
                   {{"meeting", "ID", "the meeting", true},
                    {"subject", "ID", "what was voted on", true},
                    {"subject-type", "TYPE", "motion (default), development, ..."},
                    {"yes", "N", "votes for", true},
                    {"no", "N", "votes against", true},
                    {"abstain", "N", "abstentions", true},
                    {"entitled", "N", "members entitled to vote"},
                    {"present", "N", "members present"}},
                   0,
                   0,
                   meeting_vote});
    out.push_back({"meeting attach",
                   "",
                   "attach a file (photo, sign-in sheet) to a meeting",
                   "Records the file's name, size and BLAKE2b hash in the meeting's photos list.",
                   {{"meeting", "ID", "the meeting", true}, {"file", "PATH", "the file", true}},
                   0,
                   0,
                   meeting_attach});
    out.push_back({"meeting submit",
                   "",
                   "mark a meeting held and submit it for review",
                   "Stamps held_at on this device and queues a server command meetings/submit.",
                   {{"meeting", "ID", "the meeting", true}, {"summary", "T", "published summary"}},
                   0,
                   0,
                   meeting_submit});
    out.push_back({"dues record",
                   "",
                   "record a dues payment (receipt ledger, append-only)",
                   "",
                   {{"months", "LIST", "months paid, e.g. 2026-01,2026-02", true},
                    {"amount-fen", "N", "amount in fen (1 yuan = 100 fen)", true},
                    {"person", "PERSON", "who paid (default: yourself)"},
                    {"method", "M", "cash (default), transfer, wechat, alipay"},
                    {"receipt", "NO", "receipt number"}},
                   0,
                   0,
                   dues_record});
}

}  // namespace zb::cli
