// SPDX-License-Identifier: Apache-2.0
// Organisation and membership rules that are not development or dues (domain.md §2, §5.1):
// the wire codes of statuses and dues categories, which status changes a plain "membership"
// command may make (development statuses only move through the development commands), and the
// branch committee's term with its re-election reminders. Pure, so the phone warns at once and
// the server enforces with the same code.
#pragma once

#include "zb/domain/date.hpp"
#include "zb/domain/dues.hpp"
#include "zb/domain/types.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace zb::domain {

/// ASCII codes used in synced rows and command arguments: "masses", "applicant", "activist",
/// "candidate", "probationary", "full", "suspended", "left", "cancelled".
std::string_view status_code(MemberStatus s);
/// Also accepts the Chinese display names (正式党员, 预备党员 …) that imports carry.
std::optional<MemberStatus> status_from_code(std::string_view code);

/// "employed", "annual_salary", "self_employed", "retired", "student", "graduate", "farmer",
/// "low_income".
std::string_view dues_category_code(DuesCategory c);
/// Also accepts 在职 年薪制 个体 离退休 学生 研究生 农民 低保.
std::optional<DuesCategory> dues_category_from_code(std::string_view code);

/// True for 预备党员 and 正式党员: the statuses that owe dues and belong to the branch's Party
/// members (预备党员 have no vote [S45]).
bool is_party_member(MemberStatus s);

/// May a membership command (not a development step) move a person from `from` to `to`?
/// 停止党籍 applies to 正式党员 (§6.5 [S68]); restoring it returns to 正式党员; 出党 (除名,
/// 自行脱党, 开除) applies to 预备 or 正式党员; 群众 may become 入党申请人 only through the
/// application. Everything on the development path (申请人 → … → 正式党员) is refused here.
bool membership_change_allowed(MemberStatus from, MemberStatus to);

/// Branch committee terms and re-election (§2.2 [S8][S11]).
struct CommitteeTermPolicy {
    int default_term_years = 3;  ///< grassroots branches generally 3 years [S8]
    int min_term_years = 2;      ///< teachers' branches 2 or 3 years [S11]
    int max_term_years = 5;      ///< 村/社区 5 years [S8]; nothing longer
    int notice_months = 6;       ///< the upper org reminds 6 months before the end [S11]
    int request_months = 4;      ///< the branch files its request 4 months before [S11]
};

enum class TermState : std::uint8_t {
    Running = 0,     ///< more than 6 months left
    NoticeDue = 1,   ///< within 6 months of the end: the upper org reminds
    RequestDue = 2,  ///< within 4 months: the branch must have filed its election request
    Expired = 3,     ///< the term is over and no new committee was elected
};

struct TermStatus {
    Date ends_on;
    Date notice_on;
    Date request_on;
    TermState state = TermState::Running;
};

/// Term end = elected_on + term_years (calendar years); states by `today`.
TermStatus committee_term_status(Date elected_on, int term_years, Date today,
                                 const CommitteeTermPolicy& p = {});

}  // namespace zb::domain
