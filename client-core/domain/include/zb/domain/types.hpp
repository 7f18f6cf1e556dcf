// SPDX-License-Identifier: Apache-2.0
// Vocabulary shared by the rule modules: member statuses, roles, branch kinds, meeting types and
// period kinds (domain.md §2, §3, §5.1). Display names are the Chinese terms used in the documents;
// the enumerator names are what code and the wire use.
#pragma once

#include "zb/domain/date.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zb::domain {

/// domain.md §5.1 and §12 Membership.status.
enum class MemberStatus : std::uint8_t {
    Masses = 0,        ///< 群众
    Applicant = 1,     ///< 入党申请人
    Activist = 2,      ///< 入党积极分子
    Candidate = 3,     ///< 发展对象
    Probationary = 4,  ///< 预备党员
    Full = 5,          ///< 正式党员
    Suspended = 6,     ///< 停止党籍
    Left = 7,          ///< 出党 (除名/自行脱党/开除)
    Cancelled = 8,     ///< 取消预备党员资格
};
std::string_view display_name(MemberStatus s);

/// Who acts (domain.md §2.2, §10). Collective bodies are represented by the officer who records
/// their decision: a 支部大会 decision is submitted by the branch secretary with the vote attached.
enum class ActorRole : std::uint8_t {
    Member = 0,           ///< 党员 (self-service only)
    Applicant = 1,        ///< 申请人/积极分子/发展对象 (restricted user)
    BranchSecretary = 2,  ///< 党支部书记 (or 副书记), records 支委会/支部大会 decisions
    BranchCommittee = 3,   ///< 支部委员 (组织委员 etc.) acting for the 支委会
    CollegeOrganizer = 4,  ///< 院系 组织员
    CollegeCommittee = 5,  ///< 院系 (基层) 党委/党总支 书记·副书记, records 党委 decisions
    UniversityOrgDept = 6,  ///< 校党委组织部
    System = 7,             ///< the server itself (computed records)
};
std::string_view display_name(ActorRole r);

/// Branch kinds (domain.md §2.1 level 3).
enum class BranchKind : std::uint8_t {
    Teacher = 0,        ///< 教工党支部
    Undergraduate = 1,  ///< 本科生党支部
    Graduate = 2,       ///< 研究生党支部
    Joint = 3,          ///< 师生联合党支部
    Retired = 4,        ///< 离退休党支部
    Temporary = 5,      ///< 临时党支部
};
std::string_view display_name(BranchKind k);
std::optional<BranchKind> branch_kind_from_string(std::string_view ascii);

/// Meeting types (domain.md §3 table; §12 Meeting.type).
enum class MeetingType : std::uint8_t {
    GeneralMeeting = 0,    ///< 支部党员大会
    CommitteeMeeting = 1,  ///< 支部委员会
    GroupMeeting = 2,      ///< 党小组会
    PartyLecture = 3,      ///< 党课
    ThemeDay = 4,          ///< 主题党日
    LifeMeeting = 5,       ///< 组织生活会
    DemocraticReview = 6,  ///< 民主评议 (党员)
    HeartToHeartTalk = 7,  ///< 谈心谈话
};
inline constexpr int kMeetingTypeCount = 8;
std::string_view display_name(MeetingType t);
/// ASCII code used in JSON and period keys: "general_meeting", "committee_meeting", …
std::string_view code(MeetingType t);
std::optional<MeetingType> meeting_type_from_string(std::string_view ascii);

/// Calendar periods for obligations (domain.md §12: "period keys by calendar month/quarter/year").
enum class PeriodKind : std::uint8_t { Month = 0, Quarter = 1, HalfYear = 2, Year = 3 };
std::optional<PeriodKind> period_kind_from_string(std::string_view ascii);

/// One concrete period: its kind, first and last day and its key ("2025-06", "2025-Q2",
/// "2025-H1", "2025").
struct Period {
    PeriodKind kind = PeriodKind::Month;
    Date first;
    Date last;
    std::string key;
};
/// The period of `kind` that contains `d`.
Period period_containing(PeriodKind kind, Date d);

}  // namespace zb::domain
