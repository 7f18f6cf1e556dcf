// SPDX-License-Identifier: Apache-2.0
// Opinion monitoring (舆情), domain.md §9 数据监测 row and [S106]: keyword/topic counts and a
// lexicon-based sentiment score over comment texts, aggregated per org unit and period WITHOUT
// identities (the input type has no author field), small groups suppressed, and a spike alert when
// a topic's count exceeds a multiple of its trailing mean. The lexicon is deliberately tiny and
// documented in README.md; it flags trends for a human, it does not judge anyone.
#pragma once

#include "zb/domain/policy.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace zb::domain {

/// A comment as the analysis sees it: no author, no id.
struct OpinionComment {
    std::string org_id;
    std::string period_key;  ///< e.g. "2025-06" (server receipt month)
    std::string text;
};

struct Topic {
    std::string code;                   ///< ASCII: "dues", "meetings", …
    std::vector<std::string> keywords;  ///< UTF-8 keywords; any one marks the comment
};
/// The built-in topics (learning, dues, meetings, development, platform, workload).
const std::vector<Topic>& builtin_topics();

struct Sentiment {
    int positive_hits = 0;
    int negative_hits = 0;
    /// −1, 0 or +1: the sign of positive_hits − negative_hits.
    int polarity() const {
        return (positive_hits > negative_hits) - (positive_hits < negative_hits);
    }
};
/// Greedy longest-match scan over the built-in lexicon; a negator (不/没/没有/未/并不) directly
/// before a lexicon word flips its polarity ("不支持" is negative, "不麻烦" positive).
Sentiment score_sentiment(std::string_view text);

struct OpinionAggregate {
    std::string org_id;
    std::string period_key;
    int comments = 0;
    bool suppressed = false;  ///< fewer than min_group_size comments: only `comments` is reported
    int positive = 0;         ///< comments with polarity +1
    int negative = 0;
    int neutral = 0;
    int net_permille = 0;                     ///< (positive − negative) × 1000 / comments
    std::map<std::string, int> topic_counts;  ///< comments mentioning the topic
};

/// Aggregates per (org_id, period_key), sorted by org then period.
std::vector<OpinionAggregate> aggregate_opinions(
    const std::vector<OpinionComment>& comments, const OpinionPolicy& p,
    const std::vector<Topic>& topics = builtin_topics());

struct SpikeAlert {
    std::string period_key;
    int count = 0;
    int trailing_sum = 0;  ///< over the `window` previous periods (mean = sum / window)
};

/// `series`: (period_key, count) in chronological order. A period spikes when it has at least
/// `spike_window` predecessors, count ≥ spike_min_count and
/// count × window × 100 > spike_multiple_percent × trailing_sum (i.e. count > 2.0 × mean).
std::vector<SpikeAlert> detect_spikes(const std::vector<std::pair<std::string, int>>& series,
                                      const OpinionPolicy& p);

/// Convenience: the series of one topic for one org from aggregates (chronological), then spikes.
std::vector<SpikeAlert> topic_spikes(const std::vector<OpinionAggregate>& aggregates,
                                     const std::string& org_id, const std::string& topic,
                                     const OpinionPolicy& p);

}  // namespace zb::domain
