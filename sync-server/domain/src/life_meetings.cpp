// SPDX-License-Identifier: Apache-2.0
// 三会一课 on the server (domain.md §3, §12.1.1–§12.1.3). The secretary's phone records a meeting
// offline — the meeting row, attendance rows "<meeting>/<person>", the minutes row (id = meeting
// id), vote counts, photos as attachment manifest ids — and syncs. Then:
//  * on accept, the server stamps its receipt time on the meeting, assigns the date the meeting
//    counts for from the device's held time when that is plausible, and flags it otherwise
//    (assign_period: device time is evidence, not truth);
//  * `meetings`/`submit` (the branch) checks the quorum against the server's roster — 预备党员 do
//    not vote [S45], > half of the entitled must be present [S18] — decides each vote, records
//    the thin-record findings, and refuses while the minutes hold an unresolved conflict;
//  * `meetings`/`review` (the level above: 院系党委 or 组织部) approves, or rejects with a reason
//    [S94]; approving a record with blocking findings is refused.
#include "life_support.hpp"

#include "zb/domain/organization.hpp"
#include "zb/domain/orglife.hpp"
#include "zb/domain/tables.hpp"
#include "zb/merge/merge.hpp"
#include "zb/server/domain/life.hpp"

#include <memory>

namespace zb::server::domain {

namespace T = zb::domain::tables;
using protocol::Errc;
using protocol::make_error;
using protocol::Result;
using zb::domain::AttendanceEntry;
using zb::domain::AttendState;
using zb::domain::MeetingRecord;
using zb::domain::MeetingType;
using zb::domain::ReviewFinding;

namespace {

std::string_view finding_code(ReviewFinding f) {
    switch (f) {
        case ReviewFinding::NoTopic:
            return "no_topic";
        case ReviewFinding::MinutesTooShort:
            return "minutes_too_short";
        case ReviewFinding::NoAttendance:
            return "no_attendance";
        case ReviewFinding::QuorumNotReached:
            return "quorum_not_reached";
        case ReviewFinding::NoPhotos:
            return "no_photos";
    }
    return "?";
}

std::string_view flag_code(zb::domain::TimeFlag f) {
    switch (f) {
        case zb::domain::TimeFlag::DeviceAfterReceipt:
            return "device_after_receipt";
        case zb::domain::TimeFlag::BeforeLastSync:
            return "before_last_sync";
        case zb::domain::TimeFlag::TooOld:
            return "too_old";
    }
    return "?";
}

std::optional<AttendState> attend_state(std::string_view s) {
    if (s == "present") return AttendState::Present;
    if (s == "leave") return AttendState::Leave;
    if (s == "absent") return AttendState::Absent;
    if (s == "observer") return AttendState::Observer;
    return std::nullopt;
}

/// What the server knows of a recorded meeting, rebuilt from its own rows and roster.
struct MeetingFacts {
    std::string org;
    MeetingType type = MeetingType::GeneralMeeting;
    MeetingRecord record;
    zb::domain::Quorum quorum;
    int full_members = 0;  ///< 正式党员 of the branch: the base of a vote [S47]
};

Result<MeetingFacts> load_meeting(Rows& rows, const std::string& id,
                                  const zb::domain::OrgLifePolicy& /*policy*/) {
    if (!rows.exists(T::kMeetings, id))
        return make_error(Errc::RuleViolation, "没有这个会议记录: " + id);
    MeetingFacts f;
    f.org = rows.text(T::kMeetings, id, "org");
    auto type = zb::domain::meeting_type_from_string(rows.text(T::kMeetings, id, "type"));
    if (!type)
        return make_error(Errc::BadValue, "会议类型无效: " + rows.text(T::kMeetings, id, "type"));
    f.type = *type;
    f.record.type = *type;
    f.record.topic = rows.text(T::kMeetings, id, "topic");
    f.record.minutes = rows.text(T::kMeetingMinutes, id, "minutes");
    auto photos = rows.json(T::kMeetings, id, "photos", nlohmann::json::array());
    f.record.photos = photos.is_array() ? static_cast<int>(photos.size()) : 0;

    // Attendance by the roster: the server's statuses decide who votes, not the phone's.
    Roster roster = load_roster(rows, f.org);
    f.full_members = roster.full_count();
    std::vector<AttendanceEntry> entries;
    for (const auto& [person, e] : roster.members) {
        if (!zb::domain::is_party_member(e.status)) continue;
        const std::string aid = id + "/" + person;
        AttendanceEntry a{person, e.status, AttendState::Absent};
        if (rows.exists(T::kAttendance, aid)) {
            ++f.record.attendance_records;
            a.state =
                attend_state(rows.text(T::kAttendance, aid, "state")).value_or(AttendState::Absent);
        }
        entries.push_back(std::move(a));
    }
    f.quorum = zb::domain::general_meeting_quorum(entries);  // > half of 正式党员 [S18][S45]
    f.record.entitled_voting = f.quorum.entitled;
    f.record.present_voting = f.quorum.present;
    return f;
}

class MeetingObserver final : public AcceptObserver {
public:
    explicit MeetingObserver(zb::domain::OrgLifePolicy p) : policy_(std::move(p)) {}

    std::vector<CommandWrite> accepted(const CommandContext& ctx,
                                       const std::vector<protocol::Change>& changes) override {
        life::ChangedWrites w(ctx.txn);
        Rows rows(ctx.txn);
        for (const auto& c : changes) {
            if (c.table != T::kMeetings || c.column != "device_held_at") continue;
            auto device_ms = life::as_int(c.value);
            if (!device_ms) continue;
            // The device's previous sync is not known per change; 0 leaves only the receipt-time
            // checks (after receipt; older than max_offline_days).
            auto a = zb::domain::assign_period(*device_ms, static_cast<std::int64_t>(ctx.now_ms), 0,
                                               policy_);
            nlohmann::json flags = nlohmann::json::array();
            for (auto f : a.flags)
                flags.push_back(std::string(flag_code(f)));
            w.set(T::kMeetings, c.row, "received_at", static_cast<std::int64_t>(ctx.now_ms));
            w.set(T::kMeetings, c.row, "period_key", a.date.to_string());
            w.set(T::kMeetings, c.row, "time_flags", flags.dump());
            if (rows.text(T::kMeetings, c.row, "state").empty())
                w.set(T::kMeetings, c.row, "state", std::string("held"));
        }
        return std::move(w.list());
    }

private:
    zb::domain::OrgLifePolicy policy_;
};

}  // namespace

void register_meeting_life(ServerContext& ctx, const zb::domain::UniversityPolicy& policy) {
    auto org_life = std::make_shared<const zb::domain::OrgLifePolicy>(policy.org_life);
    ctx.commands.observe(std::make_shared<MeetingObserver>(policy.org_life));

    // meetings/submit {"meeting": id, "votes": [vote ids]} — the branch files its record.
    add_org_command(
        ctx, std::string(T::kMeetings), "submit",
        [org_life](const CommandContext& cc, const Args& args,
                   const protocol::Change&) -> Result<std::vector<CommandWrite>> {
            auto id = args.text("meeting");
            if (!id) return id.error();
            Rows rows(cc.txn);
            auto f = load_meeting(rows, id.value(), *org_life);
            if (!f) return f.error();
            const auto& p = cc.principal;
            if (p.role != Role::BranchSecretary && p.role != Role::CommitteeMember)
                return make_error(Errc::Forbidden, "只有支部书记或支委可以提交会议记录");
            if (!p.in_scope(f.value().org))
                return make_error(Errc::OutOfScope, "会议不在本支部范围内");
            const auto state = rows.text(T::kMeetings, id.value(), "state");
            if (state == "submitted" || state == "approved")
                return make_error(Errc::RuleViolation, "会议记录已提交 (" + state + ")");
            // A keep-both conflict in the minutes is a person's decision, not ours
            // (§12.1.1): the record waits until the secretary resolves it.
            auto versions = cc.txn.state().versions(T::kMeetingMinutes, id.value(), "minutes");
            if (!merge::open_conflicts(versions).empty())
                return make_error(Errc::RuleViolation, "会议纪要有未解决的并发修改冲突, 请先处理");
            auto findings = zb::domain::review_meeting(f.value().record, *org_life);
            nlohmann::json codes = nlohmann::json::array();
            for (auto x : findings)
                codes.push_back(std::string(finding_code(x)));
            life::ChangedWrites w(cc.txn);
            w.set(T::kMeetings, id.value(), "state", std::string("submitted"));
            w.set(T::kMeetings, id.value(), "quorum_ok",
                  std::int64_t{f.value().quorum.reached ? 1 : 0});
            w.set(T::kMeetings, id.value(), "review_note",
                  nlohmann::json{{"findings", codes},
                                 {"entitled", f.value().quorum.entitled},
                                 {"present", f.value().quorum.present}}
                      .dump());
            // Votes: counts only (secret ballots, §11.2); passed = yes > half of the
            // branch's 正式党员 entitled to vote [S47], whatever the phone counted.
            if (auto it = args.raw().find("votes"); it != args.raw().end() && it->is_array()) {
                for (const auto& v : *it) {
                    if (!v.is_string())
                        return make_error(Errc::BadValue, "votes: 表决编号必须是文本");
                    const auto vid = v.get<std::string>();
                    if (rows.text(T::kVotes, vid, "meeting_id") != id.value())
                        return make_error(Errc::RuleViolation, "表决不属于此会议: " + vid);
                    const auto yes = rows.integer(T::kVotes, vid, "yes").value_or(0);
                    const auto no = rows.integer(T::kVotes, vid, "no").value_or(0);
                    const auto abstain = rows.integer(T::kVotes, vid, "abstain").value_or(0);
                    if (yes < 0 || no < 0 || abstain < 0 ||
                        yes + no + abstain > f.value().quorum.present)
                        return make_error(Errc::RuleViolation,
                                          "表决票数超过到会有表决权的党员数: " + vid);
                    const bool passed =
                        zb::domain::quorum_reached(f.value().full_members, static_cast<int>(yes));
                    w.set(T::kVotes, vid, "passed", std::int64_t{passed ? 1 : 0});
                }
            }
            return std::move(w.list());
        });

    // meetings/review {"meeting": id, "decision": "approve"|"reject", "reason": text} — the
    // level above checks the record (平阴 practice [S94]).
    add_org_command(
        ctx, std::string(T::kMeetings), "review",
        [org_life](const CommandContext& cc, const Args& args,
                   const protocol::Change&) -> Result<std::vector<CommandWrite>> {
            auto id = args.text("meeting");
            if (!id) return id.error();
            auto decision = args.text("decision");
            if (!decision) return decision.error();
            Rows rows(cc.txn);
            auto f = load_meeting(rows, id.value(), *org_life);
            if (!f) return f.error();
            const auto& p = cc.principal;
            if (p.role != Role::CollegeCommittee && p.role != Role::OrgDepartment)
                return make_error(Errc::Forbidden, "会议记录由上级党组织审核");
            if (!p.in_scope(f.value().org) || p.org == f.value().org)
                return make_error(Errc::OutOfScope, "只能审核下级支部的会议记录");
            if (rows.text(T::kMeetings, id.value(), "state") != "submitted")
                return make_error(Errc::RuleViolation, "会议记录尚未提交或已审核");
            auto findings = zb::domain::review_meeting(f.value().record, *org_life);
            nlohmann::json note{{"by", p.person}, {"decision", decision.value()}};
            life::ChangedWrites w(cc.txn);
            if (decision.value() == "approve") {
                if (zb::domain::should_reject(findings)) {
                    std::string why;
                    for (auto x : findings)
                        if (x != ReviewFinding::NoPhotos)
                            why +=
                                std::string(why.empty() ? "" : ", ") + std::string(finding_code(x));
                    return make_error(Errc::RuleViolation, "记录不完整, 不能通过 (" + why + ")");
                }
                w.set(T::kMeetings, id.value(), "state", std::string("approved"));
            } else if (decision.value() == "reject") {
                auto reason = args.text("reason");
                if (!reason) return make_error(Errc::BadValue, "退回会议记录必须写明理由");
                note["reason"] = reason.value();
                w.set(T::kMeetings, id.value(), "state", std::string("rejected"));
            } else {
                return make_error(Errc::BadValue, "decision 只能是 approve 或 reject");
            }
            w.set(T::kMeetings, id.value(), "review_note", note.dump());
            return std::move(w.list());
        });
}

}  // namespace zb::server::domain
