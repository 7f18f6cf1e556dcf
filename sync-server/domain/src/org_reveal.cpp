// SPDX-License-Identifier: Apache-2.0
// Revealing one masked field (domain.md §11): an officer whose scope covers the row asks with a
// reason; the server logs the request in the audit chain (kAuditReveal, reason in the note) and in
// the reveals table, and delivers the plaintext in a sensitive column of a row owned by the
// requester, so the pull sends it in full to that requester only (other officers see it masked)
// until expires_at. Without a reason, outside the scope, or for a column that is not sensitive:
// refused.
#include "zb/domain/tables.hpp"
#include "zb/server/domain/org.hpp"

namespace zb::server::domain {

namespace T = zb::domain::tables;
using protocol::Errc;
using protocol::make_error;
using protocol::Result;

namespace {

std::string trimmed(std::string s) {
    const char* ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

}  // namespace

void register_reveal_commands(ServerContext& ctx, std::shared_ptr<const OrgRules> rules) {
    const merge::Schema* schema = &ctx.schema;
    add_org_command(
        ctx, "org", "reveal",
        [rules, schema](const CommandContext& cc, const Args& a,
                        const protocol::Change& cmd) -> Result<std::vector<CommandWrite>> {
            const auto& p = cc.principal;
            if (!p.officer())
                return make_error(Errc::Forbidden, "只有党务干部可以申请查看敏感信息");
            auto table = a.text("table");
            if (!table) return table.error();
            auto row = a.text("row");
            if (!row) return row.error();
            auto column = a.text("column");
            if (!column) return column.error();
            const std::string reason = trimmed(a.text_or("reason", ""));
            if (reason.empty())
                return make_error(Errc::RuleViolation, "查看敏感信息须说明理由 (reason)");
            const merge::TableDef* td = schema->table(table.value());
            const merge::ColumnDef* cd = td ? td->column(column.value()) : nullptr;
            if (!cd || !cd->sensitive)
                return make_error(Errc::BadValue,
                                  "不是敏感字段: " + table.value() + "." + column.value());
            auto info = cc.txn.row_info(table.value(), row.value());
            if (!info) return make_error(Errc::RuleViolation, "没有此记录");
            if (!p.in_scope(info->org))
                return make_error(Errc::OutOfScope, "此记录不在本组织范围内");
            if (!can_read_row(p, td->visibility, info->org, info->owner))
                return make_error(Errc::Forbidden, "无权查看此记录");
            Rows rows(cc.txn);
            auto value = rows.get(table.value(), row.value(), column.value());

            AuditEntry e;
            e.time_ms = cc.now_ms;
            e.kind = kAuditReveal;
            e.device = p.device;
            e.note = "reveal " + table.value() + "/" + row.value() + "/" + column.value() + " by " +
                     p.person + " reason: " + reason;
            cc.txn.append_audit(std::move(e));

            Writes w;
            const auto t = T::kReveals;
            const auto& id = cmd.row;
            w.set(t, id, "org", info->org);
            w.set(t, id, "requester_id", p.person);
            w.set(t, id, "target_table", table.value());
            w.set(t, id, "target_row", row.value());
            w.set(t, id, "target_column", column.value());
            w.set(t, id, "reason", reason);
            w.set(t, id, "revealed_at", static_cast<std::int64_t>(cc.now_ms));
            w.set(t, id, "expires_at", static_cast<std::int64_t>(cc.now_ms + rules->reveal_ttl_ms));
            w.set(t, id, "value", value.value_or(protocol::Value{}));
            return std::move(w.list());
        });
}

}  // namespace zb::server::domain
