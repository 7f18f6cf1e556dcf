// SPDX-License-Identifier: Apache-2.0
// The 舆情 aggregates: topic counting by keyword, a small lexicon sentiment, per-unit/period
// aggregation without identities, and trailing-mean spike detection.

#include "zb/domain/opinion.hpp"

#include <algorithm>
#include <array>

namespace zb::domain {

namespace {

struct LexWord {
    std::string_view word;
    int polarity;  // +1 / −1
};

// Built-in lexicon (ANALYSIS; documented in README.md). Kept small on purpose.
constexpr std::array<LexWord, 24> kLexicon = {{
    {"支持", 1},  {"满意", 1},  {"赞同", 1},  {"认同", 1},      {"感谢", 1},  {"点赞", 1},
    {"受益", 1},  {"收获", 1},  {"清晰", 1},  {"方便", 1},      {"及时", 1},  {"很好", 1},
    {"不满", -1}, {"反对", -1}, {"失望", -1}, {"形式主义", -1}, {"麻烦", -1}, {"负担", -1},
    {"敷衍", -1}, {"浪费", -1}, {"太多", -1}, {"卡顿", -1},     {"闪退", -1}, {"难用", -1},
}};

constexpr std::array<std::string_view, 5> kNegators = {"并不", "没有", "不", "没", "未"};

bool starts_with(std::string_view s, std::size_t pos, std::string_view w) {
    return s.size() - pos >= w.size() && s.compare(pos, w.size(), w) == 0;
}

std::size_t cp_len(unsigned char c) {
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 1;  // stray continuation / invalid byte: one unit
}

}  // namespace

const std::vector<Topic>& builtin_topics() {
    static const std::vector<Topic> kTopics = {
        {"learning", {"学习", "学时", "课程", "党课", "答题"}},
        {"dues", {"党费", "缴费", "交费"}},
        {"meetings", {"会议", "开会", "三会一课", "组织生活", "主题党日"}},
        {"development", {"入党", "积极分子", "发展对象", "转正"}},
        {"platform", {"系统", "登录", "卡顿", "闪退", "手机"}},
        {"workload", {"负担", "形式主义", "太多", "材料"}},
    };
    return kTopics;
}

Sentiment score_sentiment(std::string_view text) {
    Sentiment s;
    bool negate = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        // Longest lexicon word at this position.
        const LexWord* best = nullptr;
        for (const auto& w : kLexicon)
            if (starts_with(text, pos, w.word) && (!best || w.word.size() > best->word.size()))
                best = &w;
        if (best) {
            int pol = negate ? -best->polarity : best->polarity;
            (pol > 0 ? s.positive_hits : s.negative_hits) += 1;
            negate = false;
            pos += best->word.size();
            continue;
        }
        bool is_neg = false;
        for (auto n : kNegators) {
            if (starts_with(text, pos, n)) {
                negate = true;
                is_neg = true;
                pos += n.size();
                break;
            }
        }
        if (is_neg) continue;
        negate = false;  // a negator only reaches the word directly after it
        pos += cp_len(static_cast<unsigned char>(text[pos]));
    }
    return s;
}

std::vector<OpinionAggregate> aggregate_opinions(const std::vector<OpinionComment>& comments,
                                                 const OpinionPolicy& p,
                                                 const std::vector<Topic>& topics) {
    std::map<std::pair<std::string, std::string>, OpinionAggregate> groups;
    for (const auto& c : comments) {
        auto& a = groups[{c.org_id, c.period_key}];
        a.org_id = c.org_id;
        a.period_key = c.period_key;
        ++a.comments;
        const int pol = score_sentiment(c.text).polarity();
        if (pol > 0)
            ++a.positive;
        else if (pol < 0)
            ++a.negative;
        else
            ++a.neutral;
        for (const auto& t : topics) {
            const bool hit = std::any_of(
                t.keywords.begin(), t.keywords.end(),
                [&](const std::string& k) { return c.text.find(k) != std::string::npos; });
            if (hit) ++a.topic_counts[t.code];
        }
    }
    std::vector<OpinionAggregate> out;
    for (auto& [key, a] : groups) {
        if (a.comments < p.min_group_size) {
            // Too few comments to publish anything but the count without risking re-identification.
            a.suppressed = true;
            a.positive = a.negative = a.neutral = 0;
            a.topic_counts.clear();
        } else {
            a.net_permille = (a.positive - a.negative) * 1000 / a.comments;
        }
        out.push_back(std::move(a));
    }
    return out;
}

std::vector<SpikeAlert> detect_spikes(const std::vector<std::pair<std::string, int>>& series,
                                      const OpinionPolicy& p) {
    std::vector<SpikeAlert> out;
    const auto w = static_cast<std::size_t>(p.spike_window);
    for (std::size_t i = w; i < series.size(); ++i) {
        int sum = 0;
        for (std::size_t j = i - w; j < i; ++j)
            sum += series[j].second;
        const int count = series[i].second;
        if (count < p.spike_min_count) continue;
        const std::int64_t lhs = std::int64_t{count} * p.spike_window * 100;
        const std::int64_t rhs = std::int64_t{p.spike_multiple_percent} * sum;
        if (lhs > rhs) out.push_back({series[i].first, count, sum});
    }
    return out;
}

std::vector<SpikeAlert> topic_spikes(const std::vector<OpinionAggregate>& aggregates,
                                     const std::string& org_id, const std::string& topic,
                                     const OpinionPolicy& p) {
    std::vector<std::pair<std::string, int>> series;
    for (const auto& a : aggregates) {
        if (a.org_id != org_id) continue;
        auto it = a.topic_counts.find(topic);
        series.emplace_back(a.period_key, it == a.topic_counts.end() ? 0 : it->second);
    }
    std::sort(series.begin(), series.end());
    return detect_spikes(series, p);
}

}  // namespace zb::domain
