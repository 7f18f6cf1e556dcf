// SPDX-License-Identifier: Apache-2.0
// Table definitions for the synced model (domain.md §12). The §12 "sync" column maps to merge
// policies as follows: LWW → Lww; APPEND → AppendOnly with deletable = false for ledgers; SERVER →
// Server (devices send Op::Command, §12.1.4); SINGLE (one author, conflicts to manual review,
// §12.1.1) → KeepBoth; learning progress → Max (§12.1.6). Sensitive columns follow §11.1.

#include "zb/domain/schema.hpp"
#include "zb/domain/tables.hpp"

#include <string>
#include <utility>

namespace zb::domain {

namespace {

using merge::ColumnDef;
using merge::Policy;
using merge::TableDef;
using merge::Visibility;

ColumnDef col(std::string name, Policy p, bool sensitive = false) {
    ColumnDef c;
    c.name = std::move(name);
    c.policy = p;
    c.sensitive = sensitive;
    return c;
}

/// Columns that all share one policy.
void cols(TableDef& t, Policy p, std::initializer_list<const char*> names) {
    for (const char* n : names)
        t.columns.push_back(col(n, p));
}

TableDef table(std::string_view name, Policy p, Visibility v, std::string owner, bool deletable) {
    TableDef t;
    t.name = std::string(name);
    t.policy = p;
    t.org_column = "org";  // every table carries the row's organisation path in "org"
    t.owner_column = std::move(owner);
    t.visibility = v;
    t.deletable = deletable;
    // The org path decides who may read a row, so a device never moves a row between
    // organisations: server tables keep it server-owned; device-created rows fix it at insert.
    t.columns.push_back(col("org", p == Policy::Server ? Policy::Server : Policy::AppendOnly));
    return t;
}

}  // namespace

std::vector<TableDef> schema_tables() {
    namespace T = tables;
    const auto S = Policy::Server;
    const auto L = Policy::Lww;
    const auto A = Policy::AppendOnly;
    const auto K = Policy::KeepBoth;
    const auto M = Policy::Max;
    std::vector<TableDef> out;

    // organizations — §12 Organization: SERVER. The org tree is maintained by 校党委组织部 online
    // (§10.3); branches are dissolved, never deleted.
    {
        auto t = table(T::kOrganizations, S, Visibility::Org, "", false);
        cols(t, S,
             {"parent_id", "level", "kind", "name", "full_name_for_letters", "external_code",
              "established_at", "dissolved_at"});
        out.push_back(std::move(t));
    }
    // committee_terms — §12 CommitteeTerm: SERVER (elections approved by the upper 党委, §2.2
    // [S9]).
    {
        auto t = table(T::kCommitteeTerms, S, Visibility::Org, "", false);
        cols(t, S, {"elected_meeting_id", "elected_at", "term_years", "ends_at", "approved_by"});
        out.push_back(std::move(t));
    }
    // positions — §12 Position: SERVER (书记/副书记 approved upstream, §2.2 [S9]). Who holds a post
    // is branch-visible (§11.2 "party post" R for other members).
    {
        auto t = table(T::kPositions, S, Visibility::Org, "person_id", false);
        cols(t, S, {"person_id", "post", "from_date", "to_date", "approval_ref"});
        out.push_back(std::move(t));
    }
    // persons — §12 Person: "LWW (self-editable subset), SERVER for identity". 身份证号, phone and
    // address are sensitive (§11.1); phone/address are self-editable contact data (§10.1).
    {
        auto t = table(T::kPersons, L, Visibility::Owner, "person_id", false);
        t.columns.front().policy = S;  // a person's branch changes only by a server-side transfer
        cols(t, S,
             {"person_id", "name", "gender", "ethnicity", "birth_date", "student_or_staff_no",
              "category", "college", "class_grade"});
        t.columns.push_back(col("id_number", S, true));
        t.columns.push_back(col("phone", L, true));
        t.columns.push_back(col("address", L, true));
        cols(t, L, {"education", "native_place"});
        out.push_back(std::move(t));
    }
    // memberships — §12 Membership: SERVER; status changes are commands (§12.1.4).
    {
        auto t = table(T::kMemberships, S, Visibility::Owner, "person_id", false);
        cols(t, S,
             {"person_id", "status", "status_since", "branch_id", "group_id", "joined_at",
              "full_member_at", "flow_state", "last_contact_at"});
        // The member's own dues ledger summary (JSON: payment id, months, amount) kept by the
        // server's dues.pay handler; never a base (§11.2).
        cols(t, S, {"dues_ledger"});
        out.push_back(std::move(t));
    }
    // membership_status_history — written by the server when it applies a command; a ledger.
    {
        auto t = table(T::kMembershipStatusHistory, S, Visibility::Owner, "person_id", false);
        cols(
            t, S,
            {"person_id", "from_status", "to_status", "effective_on", "command_id", "approved_by"});
        out.push_back(std::move(t));
    }
    // development_cases — §12 DevelopmentCase: SERVER (validate_transition runs there). The 政审
    // result is sensitive (§11.1 "Very high").
    {
        auto t = table(T::kDevelopmentCases, S, Visibility::Owner, "person_id", false);
        cols(t, S, {"person_id",        "branch_id",
                    "current_step",     "status",
                    "applied_on",       "talked_on",
                    "activist_on",      "candidate_on",
                    "contacts",         "introducers",
                    "training_days",    "training_hours",
                    "training_cert_no", "pre_review_on",
                    "probationary_on",  "admission_approved_on",
                    "extension_months", "conversion_meeting_on",
                    "full_member_on",   "outcome"});
        t.columns.push_back(col("political_review_result", S, true));
        cols(t, S, {"political_review_on"});
        // The rest of validate_transition's input (half-yearly assessment dates, extensions used,
        // the expected leaving date) so the server rebuilds a case from its own row.
        cols(t, S, {"assessments", "extension_count", "expected_leave_on"});
        out.push_back(std::move(t));
    }
    // development_steps — §12 StepRecord: "APPEND (drafts LWW)". A step record is an immutable
    // 纪实 entry; only the opinion draft is edited before it is filed. due_at is computed by the
    // server's deadline engine (§5.2).
    {
        auto t = table(T::kDevelopmentSteps, A, Visibility::Owner, "person_id", false);
        cols(t, A,
             {"case_id", "person_id", "step_no", "done_at", "actor_id", "opinion", "vote_id",
              "attachments", "signoffs"});
        cols(t, L, {"opinion_draft"});
        cols(t, S, {"due_at", "status"});
        out.push_back(std::move(t));
    }
    // political_reviews — 政审 material (§5.2 step 10 content; §11.1 "Very high"): SERVER,
    // officers only, every content column sensitive; never cached offline unless pinned (§12.1.9).
    {
        auto t = table(T::kPoliticalReviews, S, Visibility::Officers, "person_id", false);
        cols(t, S, {"case_id", "person_id", "reviewed_on", "reviewer_org"});
        for (const char* c : {"attitude", "political_history", "law_abiding", "family_situation",
                              "social_relations", "conclusion"})
            t.columns.push_back(col(c, S, true));
        out.push_back(std::move(t));
    }
    // meetings — §12 Meeting: SINGLE (the secretary's device owns the draft, §12.1.1) → KeepBoth:
    // a second device's concurrent edit is kept as a conflict, never silently merged. The device's
    // own held time is append-only evidence; period_key, quorum_ok and the review state are the
    // server's (§12.1.2 "the server recomputes period_key"; review by the 院系, §10.3).
    {
        auto t = table(T::kMeetings, K, Visibility::Org, "", true);
        cols(t, K,
             {"type", "topic", "agenda", "planned_at", "held_at", "place", "host_id", "recorder_id",
              "expected_count", "present_count", "decisions", "photos", "summary", "author_id"});
        cols(t, A, {"device_held_at", "device_id"});
        cols(t, S, {"period_key", "quorum_ok", "state", "review_note"});
        // The server's receipt time of the device's held time and the implausibility flags it
        // found (assign_period); the 院系 reviewer sees them (§12.1.2).
        cols(t, S, {"received_at", "time_flags"});
        out.push_back(std::move(t));
    }
    // meeting_minutes — the full 纪要, split from meetings because §11.2 makes 支委会 minutes
    // officers-only; members read the published summary column of meetings. SINGLE → KeepBoth.
    {
        auto t = table(T::kMeetingMinutes, K, Visibility::Officers, "", true);
        cols(t, K, {"meeting_id", "minutes", "rectification_list"});
        out.push_back(std::move(t));
    }
    // attendance — §12 Attendance: "APPEND (latest state per person by clock)". One row per
    // (meeting, person); the state is the latest by HLC → Lww. The first sign-in time and method
    // are evidence → AppendOnly. Rows are never deleted (absence is a state).
    {
        auto t = table(T::kAttendance, L, Visibility::Owner, "person_id", false);
        cols(t, L, {"meeting_id", "person_id", "state", "leave_reason", "recorded_by"});
        cols(t, A, {"sign_in_at", "method"});
        out.push_back(std::move(t));
    }
    // votes — §12 Vote: SINGLE → KeepBoth for the counts; `passed` is computed by the server
    // (vote_passes, §12.1.3). Counts only: a secret ballot is never stored (§11.2). Officers:
    // development votes concern a named person and caches stay minimal (§12.1.9).
    {
        auto t = table(T::kVotes, K, Visibility::Officers, "", false);
        cols(t, K,
             {"meeting_id", "subject_type", "subject_id", "entitled_count", "present_count",
              "written_opinions", "yes", "no", "abstain"});
        cols(t, S, {"passed"});
        out.push_back(std::move(t));
    }
    // evaluations — §12 Evaluation (民主评议): SINGLE → KeepBoth; the grade is the server's, which
    // checks 优秀 ≤ 1/3 (§3 [S6]).
    {
        auto t = table(T::kEvaluations, K, Visibility::Owner, "person_id", false);
        cols(t, K,
             {"year", "person_id", "self_text", "tally_excellent", "tally_qualified", "tally_basic",
              "tally_unqualified", "decided_by_meeting"});
        cols(t, S, {"grade"});
        out.push_back(std::move(t));
    }
    // talks — §12 Talk (谈心谈话): APPEND; the summary is restricted → officers.
    {
        auto t = table(T::kTalks, A, Visibility::Officers, "", false);
        cols(t, A, {"year", "person_a", "person_b", "talked_on", "summary"});
        out.push_back(std::move(t));
    }
    // dues_profiles — §12 DuesProfile: SERVER (money is server-authoritative, §12.1.5). The base is
    // sensitive income data (§11.1).
    {
        auto t = table(T::kDuesProfiles, S, Visibility::Owner, "person_id", false);
        cols(t, S,
             {"person_id", "year", "category", "rate_bp", "monthly_amount_fen", "reduction_fen",
              "reduction_approved_by", "effective_from"});
        t.columns.push_back(col("base_amount_fen", S, true));
        out.push_back(std::move(t));
    }
    // dues_payments — §12 DuesPayment: APPEND (a cash receipt recorded offline is a ledger entry);
    // the server's check of amount vs profile (check_payment) is written in server columns.
    {
        auto t = table(T::kDuesPayments, A, Visibility::Owner, "person_id", false);
        cols(t, A,
             {"person_id", "branch_id", "months", "amount_fen", "paid_at", "method", "collector_id",
              "proxy_payer", "receipt_no"});
        cols(t, S, {"check_state", "expected_fen", "difference_fen", "receipt_at"});
        out.push_back(std::move(t));
    }
    // dues_remittances / dues_expenses — §12: SERVER, officers (branch/党委 ledgers).
    {
        auto t = table(T::kDuesRemittances, S, Visibility::Officers, "", false);
        cols(t, S, {"period", "amount_fen", "remitted_to", "voucher"});
        out.push_back(std::move(t));
    }
    {
        auto t = table(T::kDuesExpenses, S, Visibility::Officers, "", false);
        cols(t, S, {"period", "amount_fen", "category", "voucher"});
        out.push_back(std::move(t));
    }
    // transfers — §12 Transfer: SERVER (letters, 回执, online system, §6).
    {
        auto t = table(T::kTransfers, S, Visibility::Owner, "person_id", false);
        cols(t, S,
             {"person_id", "direction", "from_org", "to_org_name", "to_org_code", "reason",
              "channel", "letter_serial", "issued_at", "valid_days", "dues_paid_through",
              "reported_at", "receipt_returned_at", "state", "archive_docs"});
        out.push_back(std::move(t));
    }
    // flow_records — §12 FlowRecord / AbroadRetention: SERVER.
    {
        auto t = table(T::kFlowRecords, S, Visibility::Owner, "person_id", false);
        cols(t, S,
             {"person_id", "kind", "place", "from_date", "expected_return", "card_no",
              "last_contact_at", "next_contact_due"});
        out.push_back(std::move(t));
    }
    // contact_logs — §12 "(contact logs APPEND)".
    {
        auto t = table(T::kContactLogs, A, Visibility::Owner, "person_id", false);
        cols(t, A,
             {"flow_record_id", "person_id", "contacted_at", "channel", "note", "recorded_by"});
        out.push_back(std::move(t));
    }
    // documents — §12 Document (archive): APPEND (immutable versions; a new version is a new row).
    {
        auto t = table(T::kDocuments, A, Visibility::Owner, "person_id", false);
        cols(t, A,
             {"person_id", "doc_type", "file_hash", "stored_at", "retention", "confidentiality",
              "supersedes", "version", "fields"});
        out.push_back(std::move(t));
    }
    // content — §12 Content: SERVER (reviewed before publishing, §9 [S85]).
    {
        auto t = table(T::kContent, S, Visibility::Org, "", true);
        cols(t, S,
             {"kind", "title", "body", "audience", "tags", "duration_seconds", "publish_at",
              "review_state"});
        // A quiz's answers: sensitive, so it is sent to no member (content has no owner) and the
        // server grades attempts itself (§12 QuizAttempt).
        t.columns.push_back(col("answer_key", S, true));
        out.push_back(std::move(t));
    }
    // learning_records — §12 LearningRecord: "progress = max; seconds = sum of distinct sessions".
    // progress → Max (monotone, §12.1.6). seconds → Server: recomputed from learning_sessions by
    // distinct session id. A Counter (per-device running totals) was rejected: a session replayed
    // from a restored backup on a re-registered device (new device id) would be counted twice.
    {
        auto t = table(T::kLearningRecords, L, Visibility::Owner, "person_id", false);
        // The member's device creates the row, so who and what are fixed at insert (AppendOnly);
        // the seconds are the server's.
        cols(t, A, {"person_id", "content_id"});
        cols(t, S, {"seconds"});
        cols(t, M, {"progress"});
        cols(t, A, {"completed_at"});  // first completion is the fact that counts
        cols(t, L, {"last_position"});
        out.push_back(std::move(t));
    }
    // learning_sessions — one row per session, row id = session id: the same session synced twice
    // is the same row, so "distinct sessions" holds by construction. Ledger.
    {
        auto t = table(T::kLearningSessions, A, Visibility::Owner, "person_id", false);
        cols(t, A, {"person_id", "content_id", "started_at", "seconds", "device_id"});
        cols(t, S, {"receipt_at"});  // the server's day decides the study year
        out.push_back(std::move(t));
    }
    // quiz_attempts — §12 QuizAttempt: APPEND; the server grades (score) so answers cannot be
    // re-scored on a device.
    {
        auto t = table(T::kQuizAttempts, A, Visibility::Owner, "person_id", false);
        cols(t, A, {"person_id", "quiz_id", "answers", "started_at", "finished_at"});
        cols(t, S, {"score", "max_score", "weak_topics", "receipt_at"});
        out.push_back(std::move(t));
    }
    // activity_events — the point-earning events (login, read, share…) a device reports; APPEND,
    // row id = event id (replays dedupe); receipt_at is the server's day used for caps (§12.1.6).
    {
        auto t = table(T::kActivityEvents, A, Visibility::Owner, "person_id", false);
        cols(t, A, {"person_id", "action", "target_id", "dwell_seconds", "device_time"});
        cols(t, S, {"receipt_at"});
        out.push_back(std::move(t));
    }
    // points_rules — §12 PointsRule: SERVER (university policy).
    {
        auto t = table(T::kPointsRules, S, Visibility::Org, "", true);
        cols(t, S, {"action", "points", "daily_cap", "min_dwell_seconds", "per_seconds"});
        out.push_back(std::move(t));
    }
    // points_entries — §12 PointsEntry: "computed on server at merge (device clocks untrusted)".
    {
        auto t = table(T::kPointsEntries, S, Visibility::Owner, "person_id", false);
        cols(t, S, {"person_id", "action", "source_event_id", "day", "delta"});
        out.push_back(std::move(t));
    }
    // comments — §12 Comment: "APPEND; moderation SERVER" (§12.1.7). Sentiment and topics are the
    // server's 舆情 analysis (opinion.hpp); published comments are branch-visible.
    {
        auto t = table(T::kComments, A, Visibility::Org, "author_id", false);
        cols(t, A, {"target_type", "target_id", "author_id", "text", "created_at"});
        cols(t, S, {"moderation_state", "sentiment", "topics", "receipt_at", "moderation_note"});
        out.push_back(std::move(t));
    }
    // disclosures — §12 Disclosure (公开/公示): SERVER (保密审查 before publishing, §7 [S107]).
    {
        auto t = table(T::kDisclosures, S, Visibility::Org, "", false);
        cols(t, S,
             {"category", "title", "body", "scope", "window_from", "window_to", "approval_state",
              "secrecy_reviewed_by"});
        cols(t, S, {"read_count"});  // distinct readers, from read_receipts (no identities)
        out.push_back(std::move(t));
    }
    // disclosure_feedback — feedback during a 公示 window: APPEND. Owner-visible: the member who
    // wrote it and the officers above read it, nobody else (it may name third parties). Officers-
    // only would refuse the members who are the point of a 公示.
    {
        auto t = table(T::kDisclosureFeedback, A, Visibility::Owner, "author_id", false);
        cols(t, A, {"disclosure_id", "author_id", "text", "created_at"});
        cols(t, S, {"handled_state", "receipt_at"});
        out.push_back(std::move(t));
    }
    // read_receipts — row per (person, item): first read is a fact (AppendOnly); last read only
    // moves forward (Max).
    {
        auto t = table(T::kReadReceipts, M, Visibility::Owner, "person_id", true);
        cols(t, A, {"person_id", "target_id", "first_read_at"});
        cols(t, M, {"last_read_at"});
        out.push_back(std::move(t));
    }
    // alerts — §12 Alert (督导): SERVER, computed nightly (supervision.hpp); officers.
    {
        auto t = table(T::kAlerts, S, Visibility::Officers, "", false);
        cols(t, S,
             {"subject_org", "person_id", "rule_code", "severity", "period_key", "raised_at",
              "resolved_at"});
        out.push_back(std::move(t));
    }
    // commands — the status-change commands a device submitted (§12.1.4) and their outcome, so
    // the device can show "pending approval". The request is append-only; the outcome the server's.
    {
        auto t = table(T::kCommands, A, Visibility::Owner, "submitter_id", false);
        cols(t, A, {"submitter_id", "family", "command", "args", "submitted_at"});
        cols(t, S, {"state", "result_message", "applied_at"});
        out.push_back(std::move(t));
    }
    // branch_rosters — the server's index of a branch (row id = the branch's org path): members
    // and their statuses as JSON, so commands can count 正式党员 entitled to vote (§5.2 step 15
    // [S47]) and check branch size (§2.2 [S8]) without scanning. Officers only.
    {
        auto t = table(T::kBranchRosters, S, Visibility::Officers, "", false);
        cols(t, S, {"members", "full_count", "member_count", "teacher_count", "updated_at"});
        out.push_back(std::move(t));
    }
    // reveals — an officer's request to see one masked field (§11): the plaintext goes into
    // `value` (sensitive), readable in full only by the requester (the owner), with an expiry;
    // the request and its reason stay as the log the auditor reads with the audit chain.
    {
        auto t = table(T::kReveals, S, Visibility::Owner, "requester_id", false);
        cols(t, S,
             {"requester_id", "target_table", "target_row", "target_column", "reason",
              "revealed_at", "expires_at"});
        t.columns.push_back(col("value", S, true));
        out.push_back(std::move(t));
    }
    // study_years — 学时 per person and CST year, computed by the server from distinct sessions
    // (§3 ≥ 32 学时 [S102]) with the points total of the year; the member reads their own.
    {
        auto t = table(T::kStudyYears, S, Visibility::Owner, "person_id", false);
        cols(t, S,
             {"person_id", "year", "seconds", "hours_tenths", "target_hours", "target_met",
              "points"});
        out.push_back(std::move(t));
    }
    // recommendations — per member, from stage, category, assigned topics and weak quiz areas.
    {
        auto t = table(T::kRecommendations, S, Visibility::Owner, "person_id", false);
        cols(t, S, {"person_id", "items"});
        out.push_back(std::move(t));
    }
    // scorecards — 督导 per branch, college and university (supervision.hpp); officers.
    {
        auto t = table(T::kScorecards, S, Visibility::Officers, "", false);
        cols(t, S,
             {"level", "period_key", "figures", "meetings_permille", "attendance_permille",
              "study_permille", "dues_permille", "overall", "branches", "red_branches",
              "yellow_branches"});
        out.push_back(std::move(t));
    }
    // opinion_aggregates — 舆情 per org unit and month, without identities (opinion.hpp).
    {
        auto t = table(T::kOpinionAggregates, S, Visibility::Officers, "", false);
        cols(t, S,
             {"period_key", "comments", "suppressed", "positive", "negative", "neutral",
              "net_permille", "topic_counts"});
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace zb::domain
