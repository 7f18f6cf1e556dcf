// SPDX-License-Identifier: Apache-2.0
// Private helpers of the life_*.cpp modules: values to and from cells, a writer that emits only
// the cells whose value changes (so analytics reruns are quiet), time keys in CST.
#pragma once

#include "zb/domain/date.hpp"
#include "zb/domain/policy.hpp"
#include "zb/server/command.hpp"
#include "zb/server/domain/org.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zb::server::domain::life {

/// Integer or integer-looking text (devices may send either for times and counts).
std::optional<std::int64_t> as_int(const std::optional<protocol::Value>& v);

/// "YYYY-MM" of a server timestamp, in CST.
std::string month_key(std::uint64_t ms);

/// Writes that skip cells already holding the same value.
class ChangedWrites {
public:
    explicit ChangedWrites(StoreTxn& txn) : txn_(txn) {}
    void set(std::string_view table, std::string_view row, std::string_view column,
             protocol::Value v);
    std::vector<CommandWrite>& list() { return out_; }

private:
    StoreTxn& txn_;
    std::vector<CommandWrite> out_;
};

/// The ancestors of an org path, nearest first, ending with the root ("/u/cs/b1" → "/u/cs",
/// "/u").
std::vector<std::string> ancestors(std::string_view org);

/// A person's branch from memberships, or empty.
std::string branch_of_person(Rows& rows, std::string_view person);

}  // namespace zb::server::domain::life

namespace zb::server::domain::life {

/// Analytics parts, each adding its writes to `w` (life_learning.cpp, life_analytics.cpp).
struct AnalyticsInput {
    ServerContext& ctx;
    StoreTxn& txn;
    const zb::domain::UniversityPolicy& policy;
    std::uint64_t now_ms;
};
void learning_analytics(const AnalyticsInput& in, ChangedWrites& w);
void supervision_analytics(const AnalyticsInput& in, ChangedWrites& w);
void opinion_analytics(const AnalyticsInput& in, ChangedWrites& w);
void disclosure_analytics(const AnalyticsInput& in, ChangedWrites& w);

/// Study seconds per person over distinct sessions with a server receipt in CST year `year`.
std::map<std::string, std::int64_t> study_seconds_by_person(const AnalyticsInput& in, int year);

/// A JSON array of strings from a cell holding a JSON array or comma-separated text.
std::vector<std::string> string_list(Rows& rows, std::string_view table, std::string_view row,
                                     std::string_view column);

}  // namespace zb::server::domain::life
