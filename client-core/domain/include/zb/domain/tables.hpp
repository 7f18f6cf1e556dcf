// SPDX-License-Identifier: Apache-2.0
// Table names of the synced data model (domain.md §12), as constants so that the replica, the
// server and the rules never spell a table name twice. Every table has an "org" column holding the
// row's organisation path; see schema.hpp for policies, owners and visibility.
#pragma once

#include <string_view>

namespace zb::domain::tables {

// Organisation (§12 Organization, CommitteeTerm, Position)
inline constexpr std::string_view kOrganizations = "organizations";
inline constexpr std::string_view kCommitteeTerms = "committee_terms";
inline constexpr std::string_view kPositions = "positions";
// People and membership (§12 Person, Membership)
inline constexpr std::string_view kPersons = "persons";
inline constexpr std::string_view kMemberships = "memberships";
inline constexpr std::string_view kMembershipStatusHistory = "membership_status_history";
// Development (§12 DevelopmentCase, StepRecord; 政审 material split out for sensitivity)
inline constexpr std::string_view kDevelopmentCases = "development_cases";
inline constexpr std::string_view kDevelopmentSteps = "development_steps";
inline constexpr std::string_view kPoliticalReviews = "political_reviews";
// Organisational life (§12 Meeting, Attendance, Vote, Evaluation, Talk)
inline constexpr std::string_view kMeetings = "meetings";
inline constexpr std::string_view kMeetingMinutes = "meeting_minutes";
inline constexpr std::string_view kAttendance = "attendance";
inline constexpr std::string_view kVotes = "votes";
inline constexpr std::string_view kEvaluations = "evaluations";
inline constexpr std::string_view kTalks = "talks";
// Dues (§12 DuesProfile, DuesPayment, DuesRemittance / DuesExpense)
inline constexpr std::string_view kDuesProfiles = "dues_profiles";
inline constexpr std::string_view kDuesPayments = "dues_payments";
inline constexpr std::string_view kDuesRemittances = "dues_remittances";
inline constexpr std::string_view kDuesExpenses = "dues_expenses";
// Mobility (§12 Transfer, FlowRecord / AbroadRetention and their contact logs)
inline constexpr std::string_view kTransfers = "transfers";
inline constexpr std::string_view kFlowRecords = "flow_records";
inline constexpr std::string_view kContactLogs = "contact_logs";
// Archive (§12 Document)
inline constexpr std::string_view kDocuments = "documents";
// Learning (§12 Content, LearningRecord, QuizAttempt, PointsRule / PointsEntry)
inline constexpr std::string_view kContent = "content";
inline constexpr std::string_view kLearningRecords = "learning_records";
inline constexpr std::string_view kLearningSessions = "learning_sessions";
inline constexpr std::string_view kQuizAttempts = "quiz_attempts";
inline constexpr std::string_view kActivityEvents = "activity_events";
inline constexpr std::string_view kPointsRules = "points_rules";
inline constexpr std::string_view kPointsEntries = "points_entries";
inline constexpr std::string_view kStudyYears = "study_years";
inline constexpr std::string_view kRecommendations = "recommendations";
// Interaction and openness (§12 Comment, Disclosure)
inline constexpr std::string_view kComments = "comments";
inline constexpr std::string_view kDisclosures = "disclosures";
inline constexpr std::string_view kDisclosureFeedback = "disclosure_feedback";
inline constexpr std::string_view kReadReceipts = "read_receipts";
// Supervision and commands (§12 Alert; §12.1.4 status changes are commands)
inline constexpr std::string_view kAlerts = "alerts";
inline constexpr std::string_view kCommands = "commands";
inline constexpr std::string_view kScorecards = "scorecards";
inline constexpr std::string_view kOpinionAggregates = "opinion_aggregates";
// Server indexes and sensitive reveals (§11, issue #5)
inline constexpr std::string_view kBranchRosters = "branch_rosters";
inline constexpr std::string_view kReveals = "reveals";

inline constexpr std::string_view kAll[] = {
    kOrganizations,
    kCommitteeTerms,
    kPositions,
    kPersons,
    kMemberships,
    kMembershipStatusHistory,
    kDevelopmentCases,
    kDevelopmentSteps,
    kPoliticalReviews,
    kMeetings,
    kMeetingMinutes,
    kAttendance,
    kVotes,
    kEvaluations,
    kTalks,
    kDuesProfiles,
    kDuesPayments,
    kDuesRemittances,
    kDuesExpenses,
    kTransfers,
    kFlowRecords,
    kContactLogs,
    kDocuments,
    kContent,
    kLearningRecords,
    kLearningSessions,
    kQuizAttempts,
    kActivityEvents,
    kPointsRules,
    kPointsEntries,
    kComments,
    kDisclosures,
    kDisclosureFeedback,
    kReadReceipts,
    kAlerts,
    kCommands,
    kBranchRosters,
    kReveals,
    kStudyYears,
    kRecommendations,
    kScorecards,
    kOpinionAggregates,
};

}  // namespace zb::domain::tables
