// SPDX-License-Identifier: Apache-2.0
// zhibu-sim: runs simulator seeds (sim.hpp). `zhibu-sim --seeds N [--from S] [--steps K]
// [--verbose]` runs seeds S .. S+N-1 and prints one line per failing seed with its replay command,
// then a summary; exit status 1 if any seed failed. Long runs: scripts/sim.sh.
#include "sim.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    std::uint64_t seeds = 100, from = 1;
    int steps = zb::sim::SimOptions{}.steps;
    bool verbose = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::uint64_t {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return std::strtoull(argv[++i], nullptr, 10);
        };
        if (a == "--seeds") {
            seeds = next();
        } else if (a == "--from") {
            from = next();
        } else if (a == "--steps") {
            steps = static_cast<int>(next());
        } else if (a == "--verbose") {
            verbose = true;
        } else {
            std::fprintf(stderr, "usage: zhibu-sim --seeds N [--from S] [--steps K] [--verbose]\n");
            return 2;
        }
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t failed = 0;
    zb::sim::SimStats total;
    for (std::uint64_t s = from; s < from + seeds; ++s) {
        zb::sim::SimOptions o;
        o.seed = s;
        o.steps = steps;
        o.verbose = verbose;
        const zb::sim::SimResult r = zb::sim::run_seed(o);
        total.writes += r.stats.writes;
        total.accepted += r.stats.accepted;
        total.rejected += r.stats.rejected;
        total.frames += r.stats.frames;
        total.cuts += r.stats.cuts;
        total.replays += r.stats.replays;
        total.device_crashes += r.stats.device_crashes;
        total.server_crashes += r.stats.server_crashes;
        total.power_losses += r.stats.power_losses;
        if (!r.ok) {
            ++failed;
            std::printf(
                "FAIL seed %llu: %s\n  replay: zhibu-sim --from %llu --seeds 1 --steps %d "
                "--verbose\n",
                static_cast<unsigned long long>(s), r.violation.c_str(),
                static_cast<unsigned long long>(s), steps);
            std::fflush(stdout);
        }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "seeds %llu..%llu: %llu run, %llu failed, %.1f s | changes %llu (accepted %llu, "
        "rejected %llu), frames %llu, cuts %llu, replays %llu, device crashes %llu, "
        "server crashes %llu, power losses %llu\n",
        static_cast<unsigned long long>(from), static_cast<unsigned long long>(from + seeds - 1),
        static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(failed), secs,
        static_cast<unsigned long long>(total.writes),
        static_cast<unsigned long long>(total.accepted),
        static_cast<unsigned long long>(total.rejected),
        static_cast<unsigned long long>(total.frames), static_cast<unsigned long long>(total.cuts),
        static_cast<unsigned long long>(total.replays),
        static_cast<unsigned long long>(total.device_crashes),
        static_cast<unsigned long long>(total.server_crashes),
        static_cast<unsigned long long>(total.power_losses));
    return failed == 0 ? 0 : 1;
}
