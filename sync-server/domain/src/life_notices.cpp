// SPDX-License-Identifier: Apache-2.0
// Notices, 党务公开 and members' comments on the server (domain.md §7, §9, §12.1.7):
//  * a comment is append-only on the phone; on accept the server scores its sentiment and topics
//    (opinion.hpp) and marks it "pending" — it is moderated after sync by an officer with
//    `comments`/`moderate` (publish or hide, with a note);
//  * `disclosures`/`publish` puts an item up with its scope (党内 "party" / 党外 "public") and a
//    公示 window of working days, after 保密审查 [S107]; feedback arriving outside the window is
//    kept and marked so;
//  * read receipts are counted per disclosure by the analytics (no identities in the count).
#include "life_support.hpp"

#include "zb/domain/opinion.hpp"
#include "zb/domain/tables.hpp"
#include "zb/server/domain/life.hpp"

#include <memory>
#include <set>

namespace zb::server::domain {

namespace T = zb::domain::tables;
using protocol::Errc;
using protocol::make_error;
using protocol::Result;

namespace {

class NoticeObserver final : public AcceptObserver {
public:
    std::vector<CommandWrite> accepted(const CommandContext& ctx,
                                       const std::vector<protocol::Change>& changes) override {
        life::ChangedWrites w(ctx.txn);
        Rows rows(ctx.txn);
        for (const auto& c : changes) {
            if (c.table == T::kComments && c.column == "text" && c.value.index() == 3) {
                const auto& text = std::get<3>(c.value);
                nlohmann::json topics = nlohmann::json::array();
                for (const auto& t : zb::domain::builtin_topics())
                    for (const auto& k : t.keywords)
                        if (text.find(k) != std::string::npos) {
                            topics.push_back(t.code);
                            break;
                        }
                w.set(T::kComments, c.row, "sentiment",
                      std::int64_t{zb::domain::score_sentiment(text).polarity()});
                w.set(T::kComments, c.row, "topics", topics.dump());
                if (rows.text(T::kComments, c.row, "moderation_state").empty())
                    w.set(T::kComments, c.row, "moderation_state", std::string("pending"));
            }
            if (c.table == T::kDisclosureFeedback && c.column == "disclosure_id" &&
                c.value.index() == 3) {
                // Feedback is kept whenever it comes; the officer sees whether it came in time.
                const auto& did = std::get<3>(c.value);
                auto from = rows.date(T::kDisclosures, did, "window_from");
                auto to = rows.date(T::kDisclosures, did, "window_to");
                const auto today = server_date(ctx.now_ms);
                const bool inside = from && to && *from <= today && today <= *to;
                w.set(T::kDisclosureFeedback, c.row, "handled_state",
                      std::string(inside ? "open" : "outside_window"));
            }
        }
        return std::move(w.list());
    }
};

}  // namespace

namespace life {

void disclosure_analytics(const AnalyticsInput& in, ChangedWrites& w) {
    Rows rows(in.txn);
    std::map<std::string, std::set<std::string>> readers;
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kReadReceipts))
        readers[rows.text(T::kReadReceipts, id, "target_id")].insert(
            rows.text(T::kReadReceipts, id, "person_id"));
    for (const auto& id : live_row_ids(in.ctx, in.txn, T::kDisclosures)) {
        auto it = readers.find(id);
        w.set(T::kDisclosures, id, "read_count",
              std::int64_t(it == readers.end() ? 0 : it->second.size()));
    }
}

}  // namespace life

void register_notice_life(ServerContext& ctx, const zb::domain::UniversityPolicy& policy) {
    ctx.commands.observe(std::make_shared<NoticeObserver>());

    // comments/moderate {"comment": id, "decision": "publish"|"hide", "note": text}
    add_org_command(ctx, std::string(T::kComments), "moderate",
                    [](const CommandContext& cc, const Args& args,
                       const protocol::Change&) -> Result<std::vector<CommandWrite>> {
                        auto id = args.text("comment");
                        if (!id) return id.error();
                        auto decision = args.text("decision");
                        if (!decision) return decision.error();
                        Rows rows(cc.txn);
                        if (!rows.exists(T::kComments, id.value()))
                            return make_error(Errc::RuleViolation, "没有这条评论: " + id.value());
                        const auto org = rows.text(T::kComments, id.value(), "org");
                        if (!cc.principal.officer())
                            return make_error(Errc::Forbidden, "只有党组织负责人可以审核评论");
                        if (!cc.principal.in_scope(org))
                            return make_error(Errc::OutOfScope, "评论不在本组织范围内");
                        if (decision.value() != "publish" && decision.value() != "hide")
                            return make_error(Errc::BadValue, "decision 只能是 publish 或 hide");
                        const auto note = args.text_or("note", "");
                        if (decision.value() == "hide" && note.empty())
                            return make_error(Errc::BadValue, "隐藏评论必须写明理由");
                        life::ChangedWrites w(cc.txn);
                        w.set(T::kComments, id.value(), "moderation_state",
                              std::string(decision.value() == "publish" ? "published" : "hidden"));
                        w.set(T::kComments, id.value(), "moderation_note", note);
                        return std::move(w.list());
                    });

    // disclosures/publish {"id", "org", "category", "title", "body", "scope": "party"|"public",
    //                      "window_days": n, "secrecy_reviewed": true}
    const int default_window = policy.development.publicity_working_days;  // 5 working days [S46c]
    add_org_command(
        ctx, std::string(T::kDisclosures), "publish",
        [default_window](const CommandContext& cc, const Args& args,
                         const protocol::Change&) -> Result<std::vector<CommandWrite>> {
            auto id = args.text("id");
            if (!id) return id.error();
            auto org = args.text("org");
            if (!org) return org.error();
            auto title = args.text("title");
            if (!title) return title.error();
            const auto scope = args.text_or("scope", "party");
            if (scope != "party" && scope != "public")
                return make_error(Errc::BadValue, "scope 只能是 party (党内) 或 public (党外)");
            if (!cc.principal.officer())
                return make_error(Errc::Forbidden, "只有党组织可以发布公开事项");
            if (!cc.principal.in_scope(org.value()))
                return make_error(Errc::OutOfScope, "不能在本组织范围外发布");
            // 提出 → 审核 (保密审查) → 审批 → 实施 [S107]: no review, no publishing.
            auto reviewed = args.raw().find("secrecy_reviewed");
            if (reviewed == args.raw().end() || !reviewed->is_boolean() || !reviewed->get<bool>())
                return make_error(Errc::RuleViolation, "公开前须经保密审查");
            const auto days = args.integer_opt("window_days").value_or(default_window);
            if (days < 0 || days > 60)
                return make_error(Errc::BadValue, "window_days 超出范围 (0–60)");
            Rows rows(cc.txn);
            if (rows.exists(T::kDisclosures, id.value()))
                return make_error(Errc::RuleViolation, "公开事项已存在: " + id.value());
            const auto today = server_date(cc.now_ms);
            Writes w;
            w.set(T::kDisclosures, id.value(), "org", org.value());
            w.set(T::kDisclosures, id.value(), "category", args.text_or("category", ""));
            w.set(T::kDisclosures, id.value(), "title", title.value());
            w.set(T::kDisclosures, id.value(), "body", args.text_or("body", ""));
            w.set(T::kDisclosures, id.value(), "scope", scope);
            w.set_date(T::kDisclosures, id.value(), "window_from", today);
            w.set_date(T::kDisclosures, id.value(), "window_to",
                       zb::domain::plus_working_days(today, static_cast<int>(days)));
            w.set(T::kDisclosures, id.value(), "approval_state", std::string("published"));
            w.set(T::kDisclosures, id.value(), "secrecy_reviewed_by", cc.principal.person);
            return std::move(w.list());
        });
}

}  // namespace zb::server::domain
