// SPDX-License-Identifier: Apache-2.0
// UniversityPolicy defaults and JSON loading. Each key maps to one field; integer fields are range
// checked so that, e.g., a probation extension range of 12–6 months or a zero rounding unit is
// refused when the configuration is loaded.

#include "zb/domain/policy.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

namespace zb::domain {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& what) {
    throw std::invalid_argument("university policy: " + what);
}

template <class Int>
void read_int(const json& obj, const char* key, Int& field, long long lo, long long hi) {
    if (!obj.contains(key)) return;
    const json& v = obj.at(key);
    if (!v.is_number_integer()) bad(std::string(key) + " must be an integer");
    long long x = v.get<long long>();
    if (x < lo || x > hi) bad(std::string(key) + " out of range");
    field = static_cast<Int>(x);
}

const json& section(const json& j, const char* key) {
    static const json empty = json::object();
    if (!j.contains(key)) return empty;
    const json& s = j.at(key);
    if (!s.is_object()) bad(std::string(key) + " must be an object");
    return s;
}

std::string read_string(const json& obj, const char* key, const std::string& fallback) {
    if (!obj.contains(key)) return fallback;
    if (!obj.at(key).is_string()) bad(std::string(key) + " must be a string");
    return obj.at(key).get<std::string>();
}

constexpr long long kBig = 1'000'000'000LL;

}  // namespace

std::vector<MeetingFrequency> OrgLifePolicy::default_frequencies() {
    return {
        {MeetingType::GeneralMeeting, PeriodKind::Quarter, 1, std::nullopt},  // [S2][S4]
        {MeetingType::CommitteeMeeting, PeriodKind::Month, 1, std::nullopt},  // [S2]
        {MeetingType::GroupMeeting, PeriodKind::Month, 1, std::nullopt},      // [S2][S4]
        {MeetingType::PartyLecture, PeriodKind::Quarter, 1, std::nullopt},    // [S4] practice
        {MeetingType::ThemeDay, PeriodKind::Month, 1, std::nullopt},          // [S3]
        {MeetingType::LifeMeeting, PeriodKind::Year, 1, std::nullopt},        // [S5]
        {MeetingType::DemocraticReview, PeriodKind::Year, 1, std::nullopt},   // [S6]
        {MeetingType::HeartToHeartTalk, PeriodKind::Year, 1, std::nullopt},   // [S2]
    };
}

std::vector<PointsRule> LearningPolicy::default_points_rules() {
    // 学习强国 early-2019 rules [S90] with the 2019-03-28 daily max 52 [S91]; dwell minimums are
    // ANALYSIS (an "article read" shorter than 30 s is not reading).
    return {
        {"login", 1, 1, 0, 0},           // 登录 1/day
        {"article", 1, 6, 30, 0},        // each article 1, cap 6
        {"video", 1, 6, 30, 0},          // each video 1, cap 6
        {"article_time", 1, 8, 0, 240},  // 1 per 4 min, cap 8
        {"video_time", 1, 10, 0, 300},   // 1 per 5 min, cap 10
        {"daily_quiz", 2, 6, 0, 0},      // daily quiz, cap 6
        {"comment", 1, 5, 0, 0},         // valid opinion 1, cap 5
        {"share", 1, 3, 0, 0},           // share 1, cap 3
    };
}

std::vector<MeetingFrequency> UniversityPolicy::frequencies_for(BranchKind kind) const {
    std::vector<MeetingFrequency> out;
    for (int t = 0; t < kMeetingTypeCount; ++t) {
        const MeetingFrequency* general = nullptr;
        const MeetingFrequency* specific = nullptr;
        for (const auto& f : org_life.frequencies) {
            if (static_cast<int>(f.type) != t) continue;
            if (!f.branch_kind)
                general = &f;
            else if (*f.branch_kind == kind)
                specific = &f;
        }
        if (specific)
            out.push_back(*specific);
        else if (general)
            out.push_back(*general);
    }
    return out;
}

UniversityPolicy UniversityPolicy::from_json(const json& j) {
    if (!j.is_object()) bad("top level must be an object");
    UniversityPolicy p;
    p.name = read_string(j, "name", p.name);

    const json& d = section(j, "dues");
    read_int(d, "rounding_unit_fen", p.dues.rounding_unit_fen, 1, 10000);
    std::string r = read_string(d, "rounding", "half_up");
    if (r == "half_up")
        p.dues.rounding = Rounding::HalfUp;
    else if (r == "down")
        p.dues.rounding = Rounding::Down;
    else if (r == "up")
        p.dues.rounding = Rounding::Up;
    else
        bad("dues.rounding must be half_up, down or up");
    std::string g = read_string(d, "graduate", "fixed");
    if (g == "fixed")
        p.dues.graduate = GraduateDues::FixedStudentRate;
    else if (g == "stipend_bracket")
        p.dues.graduate = GraduateDues::StipendBracket;
    else
        bad("dues.graduate must be fixed or stipend_bracket");
    read_int(d, "student_monthly_fen", p.dues.student_monthly_fen, 0, kBig);
    read_int(d, "farmer_monthly_fen", p.dues.farmer_monthly_fen, 20, 100);  // 0.2–1 元 [S22]
    read_int(d, "low_income_monthly_fen", p.dues.low_income_monthly_fen, 0, kBig);
    read_int(d, "arrears_warning_months", p.dues.arrears_warning_months, 1, 120);
    read_int(d, "arrears_case_months", p.dues.arrears_case_months, 1, 120);
    read_int(d, "max_back_pay_months", p.dues.max_back_pay_months, 0, 120);
    read_int(d, "max_prepay_months", p.dues.max_prepay_months, 0, 120);
    read_int(d, "central_remit_threshold_fen", p.dues.central_remit_threshold_fen, 1, kBig);
    if (p.dues.arrears_warning_months > p.dues.arrears_case_months)
        bad("dues.arrears_warning_months must not exceed arrears_case_months");

    const json& o = section(j, "org_life");
    if (o.contains("frequencies")) {
        const json& arr = o.at("frequencies");
        if (!arr.is_array()) bad("org_life.frequencies must be an array");
        // Each entry replaces the rule with the same (type, branch_kind) or adds one; the other
        // defaults stay. min_count 0 switches an obligation off.
        for (const json& f : arr) {
            if (!f.is_object()) bad("frequency must be an object");
            MeetingFrequency mf;
            auto t = meeting_type_from_string(read_string(f, "type", ""));
            if (!t) bad("frequency.type unknown");
            mf.type = *t;
            auto per = period_kind_from_string(read_string(f, "period", ""));
            if (!per) bad("frequency.period must be month, quarter, half_year or year");
            mf.period = *per;
            read_int(f, "min_count", mf.min_count, 0, 1000);
            if (f.contains("branch_kind")) {
                auto k = branch_kind_from_string(read_string(f, "branch_kind", ""));
                if (!k) bad("frequency.branch_kind unknown");
                mf.branch_kind = *k;
            }
            auto& fs = p.org_life.frequencies;
            auto same = std::find_if(fs.begin(), fs.end(), [&](const MeetingFrequency& e) {
                return e.type == mf.type && e.branch_kind == mf.branch_kind;
            });
            if (same != fs.end())
                *same = mf;
            else
                fs.push_back(mf);
        }
    }
    read_int(o, "min_minutes_chars", p.org_life.min_minutes_chars, 0, 100000);
    read_int(o, "device_time_skew_ms", p.org_life.device_time_skew_ms, 0, kBig);
    read_int(o, "max_offline_days", p.org_life.max_offline_days, 1, 3650);

    const json& dv = section(j, "development");
    auto& D = p.development;
    read_int(dv, "talk_within_months", D.talk_within_months, 1, 120);
    read_int(dv, "activist_min_months", D.activist_min_months, 1, 120);
    read_int(dv, "assessment_every_months", D.assessment_every_months, 1, 120);
    read_int(dv, "training_min_days", D.training_min_days, 0, 365);
    read_int(dv, "training_min_hours", D.training_min_hours, 0, 10000);
    read_int(dv, "approval_within_months", D.approval_within_months, 1, 120);
    read_int(dv, "probation_months", D.probation_months, 1, 120);
    read_int(dv, "extension_min_months", D.extension_min_months, 1, 120);
    read_int(dv, "extension_max_months", D.extension_max_months, 1, 120);
    read_int(dv, "leaving_within_months", D.leaving_within_months, 0, 120);
    read_int(dv, "min_age_years", D.min_age_years, 0, 120);
    read_int(dv, "introducers", D.introducers, 1, 10);
    read_int(dv, "publicity_working_days", D.publicity_working_days, 1, 365);
    read_int(dv, "conversion_application_lead_days", D.conversion_application_lead_days, 0, 365);
    read_int(dv, "due_soon_days", D.due_soon_days, 0, 365);
    if (D.extension_min_months > D.extension_max_months)
        bad("development.extension_min_months must not exceed extension_max_months");

    const json& m = section(j, "mobility");
    read_int(m, "letter_validity_days", p.mobility.letter_validity_days, 1, 3650);
    read_int(m, "receipt_within_months", p.mobility.receipt_within_months, 1, 120);
    read_int(m, "abroad_contact_months", p.mobility.abroad_contact_months, 1, 120);
    read_int(m, "abroad_limit_years", p.mobility.abroad_limit_years, 1, 50);
    read_int(m, "lost_contact_months", p.mobility.lost_contact_months, 1, 120);
    read_int(m, "flow_report_months", p.mobility.flow_report_months, 1, 120);
    read_int(m, "transfer_threshold_months", p.mobility.transfer_threshold_months, 1, 120);
    if (m.contains("undecided_graduates_to_origin")) {
        if (!m.at("undecided_graduates_to_origin").is_boolean())
            bad("undecided_graduates_to_origin must be a boolean");
        p.mobility.undecided_graduates_to_origin =
            m.at("undecided_graduates_to_origin").get<bool>();
    }

    const json& l = section(j, "learning");
    read_int(l, "annual_hours_target", p.learning.annual_hours_target, 0, 10000);
    read_int(l, "leader_annual_hours_target", p.learning.leader_annual_hours_target, 0, 10000);
    read_int(l, "minutes_per_study_hour", p.learning.minutes_per_study_hour, 1, 240);
    read_int(l, "points_daily_max", p.learning.points_daily_max, 0, 100000);
    if (l.contains("points_rules")) {
        const json& arr = l.at("points_rules");
        if (!arr.is_array()) bad("learning.points_rules must be an array");
        p.learning.points_rules.clear();
        for (const json& r2 : arr) {
            if (!r2.is_object()) bad("points rule must be an object");
            PointsRule pr;
            pr.action = read_string(r2, "action", "");
            if (pr.action.empty()) bad("points rule needs an action");
            read_int(r2, "points", pr.points, 0, 100000);
            read_int(r2, "daily_cap", pr.daily_cap, 0, 100000);
            read_int(r2, "min_dwell_seconds", pr.min_dwell_seconds, 0, 86400);
            read_int(r2, "per_seconds", pr.per_seconds, 0, 86400);
            p.learning.points_rules.push_back(pr);
        }
    }

    const json& s = section(j, "supervision");
    auto& S = p.supervision;
    read_int(s, "meetings_yellow_permille", S.meetings_yellow_permille, 0, 1000);
    read_int(s, "meetings_red_permille", S.meetings_red_permille, 0, 1000);
    read_int(s, "attendance_yellow_permille", S.attendance_yellow_permille, 0, 1000);
    read_int(s, "attendance_red_permille", S.attendance_red_permille, 0, 1000);
    read_int(s, "study_yellow_permille", S.study_yellow_permille, 0, 1000);
    read_int(s, "study_red_permille", S.study_red_permille, 0, 1000);
    read_int(s, "dues_yellow_permille", S.dues_yellow_permille, 0, 1000);
    read_int(s, "dues_red_permille", S.dues_red_permille, 0, 1000);
    read_int(s, "development_overdue_yellow", S.development_overdue_yellow, 1, 100000);
    read_int(s, "development_overdue_red", S.development_overdue_red, 1, 100000);
    read_int(s, "inactivity_yellow_days", S.inactivity_yellow_days, 1, 3650);
    read_int(s, "inactivity_red_days", S.inactivity_red_days, 1, 3650);

    const json& op = section(j, "opinion");
    read_int(op, "spike_multiple_percent", p.opinion.spike_multiple_percent, 100, 100000);
    read_int(op, "spike_window", p.opinion.spike_window, 1, 120);
    read_int(op, "spike_min_count", p.opinion.spike_min_count, 1, kBig);
    read_int(op, "min_group_size", p.opinion.min_group_size, 1, kBig);
    return p;
}

json UniversityPolicy::to_json() const {
    json freqs = json::array();
    for (const auto& f : org_life.frequencies) {
        static const char* kPeriods[] = {"month", "quarter", "half_year", "year"};
        json e = {{"type", std::string(code(f.type))},
                  {"period", kPeriods[static_cast<int>(f.period)]},
                  {"min_count", f.min_count}};
        if (f.branch_kind) {
            static const char* kKinds[] = {"teacher", "undergraduate", "graduate",
                                           "joint",   "retired",       "temporary"};
            e["branch_kind"] = kKinds[static_cast<int>(*f.branch_kind)];
        }
        freqs.push_back(e);
    }
    json rules = json::array();
    for (const auto& r : learning.points_rules)
        rules.push_back({{"action", r.action},
                         {"points", r.points},
                         {"daily_cap", r.daily_cap},
                         {"min_dwell_seconds", r.min_dwell_seconds},
                         {"per_seconds", r.per_seconds}});
    static const char* kRound[] = {"half_up", "down", "up"};
    return json{
        {"name", name},
        {"dues",
         {{"rounding_unit_fen", dues.rounding_unit_fen},
          {"rounding", kRound[static_cast<int>(dues.rounding)]},
          {"graduate",
           dues.graduate == GraduateDues::FixedStudentRate ? "fixed" : "stipend_bracket"},
          {"student_monthly_fen", dues.student_monthly_fen},
          {"farmer_monthly_fen", dues.farmer_monthly_fen},
          {"low_income_monthly_fen", dues.low_income_monthly_fen},
          {"arrears_warning_months", dues.arrears_warning_months},
          {"arrears_case_months", dues.arrears_case_months},
          {"max_back_pay_months", dues.max_back_pay_months},
          {"max_prepay_months", dues.max_prepay_months},
          {"central_remit_threshold_fen", dues.central_remit_threshold_fen}}},
        {"org_life",
         {{"frequencies", freqs},
          {"min_minutes_chars", org_life.min_minutes_chars},
          {"device_time_skew_ms", org_life.device_time_skew_ms},
          {"max_offline_days", org_life.max_offline_days}}},
        {"development",
         {{"talk_within_months", development.talk_within_months},
          {"activist_min_months", development.activist_min_months},
          {"assessment_every_months", development.assessment_every_months},
          {"training_min_days", development.training_min_days},
          {"training_min_hours", development.training_min_hours},
          {"approval_within_months", development.approval_within_months},
          {"probation_months", development.probation_months},
          {"extension_min_months", development.extension_min_months},
          {"extension_max_months", development.extension_max_months},
          {"leaving_within_months", development.leaving_within_months},
          {"min_age_years", development.min_age_years},
          {"introducers", development.introducers},
          {"publicity_working_days", development.publicity_working_days},
          {"conversion_application_lead_days", development.conversion_application_lead_days},
          {"due_soon_days", development.due_soon_days}}},
        {"mobility",
         {{"letter_validity_days", mobility.letter_validity_days},
          {"receipt_within_months", mobility.receipt_within_months},
          {"abroad_contact_months", mobility.abroad_contact_months},
          {"abroad_limit_years", mobility.abroad_limit_years},
          {"lost_contact_months", mobility.lost_contact_months},
          {"flow_report_months", mobility.flow_report_months},
          {"transfer_threshold_months", mobility.transfer_threshold_months},
          {"undecided_graduates_to_origin", mobility.undecided_graduates_to_origin}}},
        {"learning",
         {{"annual_hours_target", learning.annual_hours_target},
          {"leader_annual_hours_target", learning.leader_annual_hours_target},
          {"minutes_per_study_hour", learning.minutes_per_study_hour},
          {"points_daily_max", learning.points_daily_max},
          {"points_rules", rules}}},
        {"supervision",
         {{"meetings_yellow_permille", supervision.meetings_yellow_permille},
          {"meetings_red_permille", supervision.meetings_red_permille},
          {"attendance_yellow_permille", supervision.attendance_yellow_permille},
          {"attendance_red_permille", supervision.attendance_red_permille},
          {"study_yellow_permille", supervision.study_yellow_permille},
          {"study_red_permille", supervision.study_red_permille},
          {"dues_yellow_permille", supervision.dues_yellow_permille},
          {"dues_red_permille", supervision.dues_red_permille},
          {"development_overdue_yellow", supervision.development_overdue_yellow},
          {"development_overdue_red", supervision.development_overdue_red},
          {"inactivity_yellow_days", supervision.inactivity_yellow_days},
          {"inactivity_red_days", supervision.inactivity_red_days}}},
        {"opinion",
         {{"spike_multiple_percent", opinion.spike_multiple_percent},
          {"spike_window", opinion.spike_window},
          {"spike_min_count", opinion.spike_min_count},
          {"min_group_size", opinion.min_group_size}}},
    };
}

}  // namespace zb::domain
