// SPDX-License-Identifier: Apache-2.0
// CI's share of the simulator: 500 seeds of 80 fault-phase steps each (issue #8), sized to stay
// well under 3 minutes under ASan; zhibu-sim and scripts/sim.sh run longer seeds.
// ZB_SIM_SEEDS / ZB_SIM_FROM / ZB_SIM_STEPS change the range; a failure names the seed and the
// command that replays it.
#include "sim.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

namespace {
std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}
}  // namespace

TEST_CASE("sim: 500 seeds keep every invariant", "[sim]") {
    const std::uint64_t from = env_or("ZB_SIM_FROM", 1);
    const std::uint64_t n = env_or("ZB_SIM_SEEDS", 500);
    const std::uint64_t steps = env_or("ZB_SIM_STEPS", 80);
    std::uint64_t changes = 0, rejected = 0, crashes = 0;
    for (std::uint64_t s = from; s < from + n; ++s) {
        zb::sim::SimOptions o;
        o.seed = s;
        o.steps = static_cast<int>(steps);
        const zb::sim::SimResult r = zb::sim::run_seed(o);
        INFO("seed " << s << ": " << r.violation << "\n  replay: zhibu-sim --from " << s
                     << " --seeds 1 --steps " << steps << " --verbose");
        REQUIRE(r.ok);
        changes += r.stats.writes;
        rejected += r.stats.rejected;
        crashes += r.stats.device_crashes + r.stats.server_crashes;
    }
    // The runs did real work: changes, rejections and crashes all happened.
    CHECK(changes > n);
    CHECK(rejected > 0);
    CHECK(crashes > 0);
}
