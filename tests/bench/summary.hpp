// SPDX-License-Identifier: Apache-2.0
// One machine-readable line per target a benchmark checks. Each benchmark prints its own table
// for the reader; scripts/bench.sh collects these lines from all of them into the one closing
// table issue #8 asks for ("@summary|benchmark|metric|value|target|met").
#pragma once

#include <cstdio>
#include <string>

namespace zb::bench {

inline void summary(const std::string& bench, const std::string& metric, const std::string& value,
                    const std::string& target, bool met) {
    std::printf("@summary|%s|%s|%s|%s|%s\n", bench.c_str(), metric.c_str(), value.c_str(),
                target.c_str(), met ? "yes" : "NO");
    std::fflush(stdout);
}

}  // namespace zb::bench
