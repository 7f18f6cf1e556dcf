// SPDX-License-Identifier: Apache-2.0
// 舆情 aggregates (domain.md §9, [S106]): lexicon sentiment with negation, topic counts per org
// and period without identities, small-group suppression, and spikes at the exact multiple.

#include "zb/domain/opinion.hpp"

#include <catch2/catch.hpp>

using namespace zb::domain;

namespace {
template <class T>
constexpr bool has_author = requires(T c) {
    c.author_id;
};
}  // namespace

TEST_CASE("opinion: lexicon sentiment with negation", "[domain][opinion]") {
    auto s = score_sentiment("非常支持这次活动");
    CHECK(s.positive_hits == 1);
    CHECK(s.polarity() == 1);
    s = score_sentiment("不支持");  // negated positive
    CHECK(s.negative_hits == 1);
    CHECK(s.positive_hits == 0);
    s = score_sentiment("不满意");  // longest match 不满; 意 alone is nothing
    CHECK(s.negative_hits == 1);
    CHECK(s.positive_hits == 0);
    s = score_sentiment("一点也不麻烦");  // negated negative
    CHECK(s.positive_hits == 1);
    CHECK(s.negative_hits == 0);
    CHECK(score_sentiment("没有收获").polarity() == -1);
    s = score_sentiment("形式主义太多，负担重");
    CHECK(s.negative_hits == 3);
    CHECK(score_sentiment("").polarity() == 0);
    CHECK(score_sentiment("今天开会").polarity() == 0);
    // Negation reaches only the next word: "不, 支持" still has a comma in between.
    CHECK(score_sentiment("不，支持").polarity() == 1);
    // Mixed: 1 positive, 1 negative → neutral.
    CHECK(score_sentiment("感谢组织，但是材料负担").polarity() == 0);
}

TEST_CASE("opinion: aggregates per org and period without identities", "[domain][opinion]") {
    STATIC_REQUIRE_FALSE(has_author<OpinionComment>);
    STATIC_REQUIRE_FALSE(has_author<OpinionAggregate>);
    OpinionPolicy p;  // min group 3
    std::vector<OpinionComment> c = {
        {"A", "2025-06", "党费缴纳很方便"},        // dues; positive (方便)
        {"A", "2025-06", "学习材料太多，负担重"},  // learning, workload; negative ×2
        {"A", "2025-06", "会议安排及时"},          // meetings; positive (及时)
        {"B", "2025-06", "支持"},
        {"B", "2025-06", "反对"},
    };
    auto agg = aggregate_opinions(c, p);
    REQUIRE(agg.size() == 2);
    const auto& a = agg[0];
    CHECK(a.org_id == "A");
    CHECK(a.comments == 3);
    CHECK_FALSE(a.suppressed);
    CHECK(a.positive == 2);
    CHECK(a.negative == 1);
    CHECK(a.neutral == 0);
    CHECK(a.net_permille == 333);  // (2 − 1) × 1000 / 3
    CHECK(a.topic_counts.at("dues") == 1);
    CHECK(a.topic_counts.at("learning") == 1);
    CHECK(a.topic_counts.at("workload") == 1);
    CHECK(a.topic_counts.at("meetings") == 1);
    CHECK(a.topic_counts.count("platform") == 0);
    // Two comments in B: only the count is reported.
    const auto& b = agg[1];
    CHECK(b.comments == 2);
    CHECK(b.suppressed);
    CHECK(b.positive == 0);
    CHECK(b.negative == 0);
    CHECK(b.topic_counts.empty());
}

TEST_CASE("opinion: spike above twice the trailing mean", "[domain][opinion]") {
    OpinionPolicy p;  // 200 %, window 3, min count 5
    using Series = std::vector<std::pair<std::string, int>>;
    // Mean of 2,3,1 = 2; 13 > 4 → spike.
    auto s = detect_spikes(Series{{"01", 2}, {"02", 3}, {"03", 1}, {"04", 13}}, p);
    REQUIRE(s.size() == 1);
    CHECK(s[0].period_key == "04");
    CHECK(s[0].trailing_sum == 6);
    // Mean 3: 6 is exactly 2× → no spike; 7 → spike.
    CHECK(detect_spikes(Series{{"01", 3}, {"02", 3}, {"03", 3}, {"04", 6}}, p).empty());
    CHECK(detect_spikes(Series{{"01", 3}, {"02", 3}, {"03", 3}, {"04", 7}}, p).size() == 1);
    // Below the minimum count nothing spikes, even from zero.
    CHECK(detect_spikes(Series{{"01", 0}, {"02", 0}, {"03", 0}, {"04", 4}}, p).empty());
    CHECK(detect_spikes(Series{{"01", 0}, {"02", 0}, {"03", 0}, {"04", 5}}, p).size() == 1);
    // The first `window` periods have no trailing mean.
    CHECK(detect_spikes(Series{{"01", 0}, {"02", 50}}, p).empty());

    // From aggregates: org A's dues topic over four months.
    std::vector<OpinionComment> c;
    const char* months[] = {"2025-03", "2025-04", "2025-05", "2025-06"};
    const int dues_counts[] = {1, 2, 0, 6};
    for (int m = 0; m < 4; ++m) {
        for (int i = 0; i < dues_counts[m]; ++i)
            c.push_back({"A", months[m], "党费"});
        for (int i = 0; i < 3; ++i)
            c.push_back({"A", months[m], "学习"});  // keep groups ≥ 3
    }
    auto agg = aggregate_opinions(c, p);
    auto spikes = topic_spikes(agg, "A", "dues", p);
    REQUIRE(spikes.size() == 1);  // 6 > 2 × mean(1, 2, 0) = 2
    CHECK(spikes[0].period_key == "2025-06");
    CHECK(topic_spikes(agg, "A", "learning", p).empty());
}
