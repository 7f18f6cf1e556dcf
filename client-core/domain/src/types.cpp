// SPDX-License-Identifier: Apache-2.0
// Display names (Chinese, UTF-8) and ASCII codes for the shared vocabulary, and calendar periods
// used for compliance and for assigning a record to its month/quarter/half-year/year.

#include "zb/domain/types.hpp"

#include <array>
#include <cstdio>

namespace zb::domain {

std::string_view display_name(MemberStatus s) {
    switch (s) {
        case MemberStatus::Masses:
            return "群众";
        case MemberStatus::Applicant:
            return "入党申请人";
        case MemberStatus::Activist:
            return "入党积极分子";
        case MemberStatus::Candidate:
            return "发展对象";
        case MemberStatus::Probationary:
            return "预备党员";
        case MemberStatus::Full:
            return "正式党员";
        case MemberStatus::Suspended:
            return "停止党籍";
        case MemberStatus::Left:
            return "出党";
        case MemberStatus::Cancelled:
            return "取消预备党员资格";
    }
    return "?";
}

std::string_view display_name(ActorRole r) {
    switch (r) {
        case ActorRole::Member:
            return "党员";
        case ActorRole::Applicant:
            return "申请人";
        case ActorRole::BranchSecretary:
            return "党支部书记";
        case ActorRole::BranchCommittee:
            return "支部委员";
        case ActorRole::CollegeOrganizer:
            return "组织员";
        case ActorRole::CollegeCommittee:
            return "基层党委";
        case ActorRole::UniversityOrgDept:
            return "校党委组织部";
        case ActorRole::System:
            return "系统";
    }
    return "?";
}

namespace {
constexpr std::array<std::string_view, 6> kBranchCodes = {"teacher", "undergraduate", "graduate",
                                                          "joint",   "retired",       "temporary"};
constexpr std::array<std::string_view, kMeetingTypeCount> kMeetingCodes = {
    "general_meeting", "committee_meeting", "group_meeting",     "party_lecture",
    "theme_day",       "life_meeting",      "democratic_review", "heart_to_heart_talk"};
}  // namespace

std::string_view display_name(BranchKind k) {
    switch (k) {
        case BranchKind::Teacher:
            return "教工党支部";
        case BranchKind::Undergraduate:
            return "本科生党支部";
        case BranchKind::Graduate:
            return "研究生党支部";
        case BranchKind::Joint:
            return "师生联合党支部";
        case BranchKind::Retired:
            return "离退休党支部";
        case BranchKind::Temporary:
            return "临时党支部";
    }
    return "?";
}

std::optional<BranchKind> branch_kind_from_string(std::string_view ascii) {
    for (std::size_t i = 0; i < kBranchCodes.size(); ++i)
        if (kBranchCodes[i] == ascii) return static_cast<BranchKind>(i);
    return std::nullopt;
}

std::string_view display_name(MeetingType t) {
    switch (t) {
        case MeetingType::GeneralMeeting:
            return "支部党员大会";
        case MeetingType::CommitteeMeeting:
            return "支部委员会";
        case MeetingType::GroupMeeting:
            return "党小组会";
        case MeetingType::PartyLecture:
            return "党课";
        case MeetingType::ThemeDay:
            return "主题党日";
        case MeetingType::LifeMeeting:
            return "组织生活会";
        case MeetingType::DemocraticReview:
            return "民主评议";
        case MeetingType::HeartToHeartTalk:
            return "谈心谈话";
    }
    return "?";
}

std::string_view code(MeetingType t) {
    return kMeetingCodes[static_cast<std::size_t>(t)];
}

std::optional<MeetingType> meeting_type_from_string(std::string_view ascii) {
    for (std::size_t i = 0; i < kMeetingCodes.size(); ++i)
        if (kMeetingCodes[i] == ascii) return static_cast<MeetingType>(i);
    return std::nullopt;
}

std::optional<PeriodKind> period_kind_from_string(std::string_view ascii) {
    if (ascii == "month") return PeriodKind::Month;
    if (ascii == "quarter") return PeriodKind::Quarter;
    if (ascii == "half_year") return PeriodKind::HalfYear;
    if (ascii == "year") return PeriodKind::Year;
    return std::nullopt;
}

Period period_containing(PeriodKind kind, Date d) {
    const int y = d.year();
    const int m = d.month();
    char buf[32];
    Period p;
    p.kind = kind;
    switch (kind) {
        case PeriodKind::Month:
            p.first = first_day(YearMonth{y, m});
            p.last = last_day(YearMonth{y, m});
            std::snprintf(buf, sizeof buf, "%04d-%02d", y, m);
            break;
        case PeriodKind::Quarter: {
            int q = (m - 1) / 3;
            p.first = first_day(YearMonth{y, q * 3 + 1});
            p.last = last_day(YearMonth{y, q * 3 + 3});
            std::snprintf(buf, sizeof buf, "%04d-Q%d", y, q + 1);
            break;
        }
        case PeriodKind::HalfYear: {
            int h = (m - 1) / 6;
            p.first = first_day(YearMonth{y, h * 6 + 1});
            p.last = last_day(YearMonth{y, h * 6 + 6});
            std::snprintf(buf, sizeof buf, "%04d-H%d", y, h + 1);
            break;
        }
        case PeriodKind::Year:
            p.first = Date::ymd(y, 1, 1);
            p.last = Date::ymd(y, 12, 31);
            std::snprintf(buf, sizeof buf, "%04d", y);
            break;
    }
    p.key = buf;
    return p;
}

}  // namespace zb::domain
