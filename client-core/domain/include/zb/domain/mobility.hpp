// SPDX-License-Identifier: Apache-2.0
// Transfers and mobility (组织关系转接 / 党员流动管理), domain.md §6: letter validity, the 回执
// within 1 month, the dues-paid-through check, the graduate batch helper, members abroad (contact
// every 6 months, 5-year limit), 流动党员 yearly reports and 失联 after 6 months without contact.
// These produce flags for officers; none changes a member's status by itself.
#pragma once

#include "zb/domain/date.hpp"
#include "zb/domain/policy.hpp"
#include "zb/domain/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zb::domain {

/// 介绍信 "有效期 N 天" (§6.2 [S61]): we read it as "report no later than issue date + N days"
/// (ANALYSIS; the letter does not say whether the issue day counts).
Date letter_expires_on(Date issued_on, int valid_days);
inline Date letter_expires_on(Date issued_on, const MobilityPolicy& p) {
    return letter_expires_on(issued_on, p.letter_validity_days);
}

enum class TransferFlag : std::uint8_t {
    LetterExpired = 0,       ///< not reported by the expiry date
    ReceiptOverdue = 1,      ///< 回执 not returned within 1 month of reporting [S61]
    DuesNotPaidThrough = 2,  ///< dues not paid up to the transfer month [S62]
};

struct TransferState {
    Date issued_on;
    int valid_days = 90;
    std::optional<Date> reported_on;  ///< member reported to the receiving org
    std::optional<Date> receipt_returned_on;
    YearMonth dues_paid_through{};
};

/// 回执 due date: 1 month after the member reported to the receiving organisation [S61].
Date receipt_due(Date reported_on, const MobilityPolicy& p);

/// Dues must be paid up to the current month before an outgoing transfer [S62]: the months
/// missing between paid_through and the transfer month (0 = fine).
int months_missing_before_transfer(YearMonth paid_through, Date transfer_on);

std::vector<TransferFlag> transfer_flags(const TransferState& t, Date today,
                                         const MobilityPolicy& p);

/// Graduate destinations (§6.4).
enum class GraduateDestination : std::uint8_t {
    EmployerWithPartyOrg = 0,  ///< → the employer's Party organisation [S66]
    EmployerWithout = 1,       ///< → 街道/乡镇 or talent-service agency Party org [S66][S65]
    NotEmployed = 2,           ///< → residence 街道/乡镇 or talent agency [S66]
    FurtherStudyDomestic = 3,  ///< → the new university [G3]
    StudyAbroad = 4,           ///< keep at the university (组通字〔2015〕33号) [S67]
    Undecided = 5,             ///< LOCAL: to 生源地 [S65], otherwise hold and follow up
};

enum class GraduateAction : std::uint8_t {
    TransferToEmployerOrg = 0,
    TransferToLocalOrAgency = 1,
    TransferToNewUniversity = 2,
    RetainAbroad = 3,
    TransferToOrigin = 4,
    FollowUp = 5,  ///< undecided and the university does not send to 生源地
};

struct GraduateInput {
    std::string person_id;
    GraduateDestination destination = GraduateDestination::Undecided;
    std::string receiving_org_full_name;  ///< must be exact for online transfer [S64][S62]
    YearMonth dues_paid_through{};
};

struct GraduatePlanRow {
    std::string person_id;
    GraduateAction action = GraduateAction::FollowUp;
    bool needs_receiving_org_name = false;  ///< transfer with no exact receiving org name
    int dues_months_missing = 0;            ///< pay up to the current month first [S62]
};

/// Plans a graduation batch transferred on `transfer_on`.
std::vector<GraduatePlanRow> plan_graduate_batch(const std::vector<GraduateInput>& graduates,
                                                 Date transfer_on, const MobilityPolicy& p);

/// Members abroad with a retained relationship (§6.5 [S67]).
struct AbroadRecord {
    Date departed_on;
    std::optional<Date> last_contact_on;
};
struct AbroadStatus {
    Date next_contact_due;  ///< last contact (or departure) + 6 months
    bool contact_overdue = false;
    Date retention_limit;        ///< departure + 5 years
    bool limit_reached = false;  ///< flag for a 停止党籍 review; never automatic [S67][S68]
};
AbroadStatus abroad_status(const AbroadRecord& r, Date today, const MobilityPolicy& p);

/// 失联: no contact (org-life attendance, dues payment, report) for ≥ 6 months [S71]. The date the
/// member counts as lost and whether `today` has reached it.
struct ContactStatus {
    Date lost_on;
    bool lost = false;
};
ContactStatus contact_status(Date last_contact_on, Date today, const MobilityPolicy& p);

/// 流动党员 must report to the home branch at least once a year [S70].
struct FlowReportStatus {
    Date next_report_due;
    bool overdue = false;
};
FlowReportStatus flow_report_status(Date last_report_or_departure, Date today,
                                    const MobilityPolicy& p);

/// Away ≥ 6 months at a fairly fixed place → transfer the formal relationship; shorter →
/// 流动党员活动证 / 证明信 [S60][S69].
bool requires_formal_transfer(Date leave_on, Date expected_return_on, const MobilityPolicy& p);

}  // namespace zb::domain
