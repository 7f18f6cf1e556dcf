// SPDX-License-Identifier: Apache-2.0
// Transfer and mobility rules (domain.md §6). Deadlines use calendar months with end-of-month
// clamping; a deadline day itself is still on time ("within 1 month").

#include "zb/domain/mobility.hpp"

namespace zb::domain {

Date letter_expires_on(Date issued_on, int valid_days) {
    return issued_on.plus_days(valid_days);
}

Date receipt_due(Date reported_on, const MobilityPolicy& p) {
    return reported_on.plus_months(p.receipt_within_months);  // 回执 ≤ 1 month [S61]
}

int months_missing_before_transfer(YearMonth paid_through, Date transfer_on) {
    // "毕业生党员转出前须交至当月" [S62]: paid through the transfer month.
    const auto missing = months_between(paid_through, transfer_on.year_month());
    return missing > 0 ? static_cast<int>(missing) : 0;
}

std::vector<TransferFlag> transfer_flags(const TransferState& t, Date today,
                                         const MobilityPolicy& p) {
    std::vector<TransferFlag> f;
    const Date expires = letter_expires_on(t.issued_on, t.valid_days);
    if (t.reported_on ? *t.reported_on > expires : today > expires)
        f.push_back(TransferFlag::LetterExpired);
    if (t.reported_on) {
        const Date due = receipt_due(*t.reported_on, p);
        if (t.receipt_returned_on ? *t.receipt_returned_on > due : today > due)
            f.push_back(TransferFlag::ReceiptOverdue);
    }
    if (months_missing_before_transfer(t.dues_paid_through, t.issued_on) > 0)
        f.push_back(TransferFlag::DuesNotPaidThrough);
    return f;
}

std::vector<GraduatePlanRow> plan_graduate_batch(const std::vector<GraduateInput>& graduates,
                                                 Date transfer_on, const MobilityPolicy& p) {
    std::vector<GraduatePlanRow> rows;
    for (const auto& g : graduates) {
        GraduatePlanRow r;
        r.person_id = g.person_id;
        switch (g.destination) {
            case GraduateDestination::EmployerWithPartyOrg:
                r.action = GraduateAction::TransferToEmployerOrg;
                break;
            case GraduateDestination::EmployerWithout:
            case GraduateDestination::NotEmployed:
                r.action = GraduateAction::TransferToLocalOrAgency;
                break;
            case GraduateDestination::FurtherStudyDomestic:
                r.action = GraduateAction::TransferToNewUniversity;
                break;
            case GraduateDestination::StudyAbroad:
                r.action = GraduateAction::RetainAbroad;
                break;
            case GraduateDestination::Undecided:
                r.action = p.undecided_graduates_to_origin ? GraduateAction::TransferToOrigin
                                                           : GraduateAction::FollowUp;
                break;
        }
        const bool transfers =
            r.action != GraduateAction::RetainAbroad && r.action != GraduateAction::FollowUp;
        r.needs_receiving_org_name = transfers && g.receiving_org_full_name.empty();
        // Abroad members pay no dues while abroad (LOCAL [S68]) but settle up to departure; every
        // graduate pays up to the current month before leaving [S62].
        r.dues_months_missing = months_missing_before_transfer(g.dues_paid_through, transfer_on);
        rows.push_back(std::move(r));
    }
    return rows;
}

AbroadStatus abroad_status(const AbroadRecord& r, Date today, const MobilityPolicy& p) {
    AbroadStatus s;
    const Date last = r.last_contact_on && *r.last_contact_on > r.departed_on ? *r.last_contact_on
                                                                              : r.departed_on;
    s.next_contact_due = last.plus_months(p.abroad_contact_months);  // every 6 months [S67]
    s.contact_overdue = today > s.next_contact_due;
    s.retention_limit = r.departed_on.plus_years(p.abroad_limit_years);  // ≤ 5 years [S67][S68]
    s.limit_reached = today >= s.retention_limit;
    return s;
}

ContactStatus contact_status(Date last_contact_on, Date today, const MobilityPolicy& p) {
    ContactStatus s;
    s.lost_on = last_contact_on.plus_months(p.lost_contact_months);  // "失去联系6个月以上" [S71]
    s.lost = today >= s.lost_on;
    return s;
}

FlowReportStatus flow_report_status(Date last_report_or_departure, Date today,
                                    const MobilityPolicy& p) {
    FlowReportStatus s;
    s.next_report_due = last_report_or_departure.plus_months(p.flow_report_months);  // [S70]
    s.overdue = today > s.next_report_due;
    return s;
}

bool requires_formal_transfer(Date leave_on, Date expected_return_on, const MobilityPolicy& p) {
    return expected_return_on >= leave_on.plus_months(p.transfer_threshold_months);  // [S60][S69]
}

}  // namespace zb::domain
