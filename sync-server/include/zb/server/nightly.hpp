// SPDX-License-Identifier: Apache-2.0
// The nightly job (issue #9): compute the horizon every counted device has pulled past, fold the
// change log and collect old tombstones below it, run the registered analytics tasks, write an
// encrypted backup and prune old ones; with progress lines and a JSON report. It runs on demand
// (`zhibu-server nightly`) or on the configured schedule inside a running server
// (NightlyScheduler). zb_server does not know the Party rules: zhibu-server's main registers them
// as named tasks (e.g. zb::server::domain::recompute_analytics), keeping the dependency one-way.
#pragma once

#include "zb/server/context.hpp"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace zb::server {

/// A named step run after collection, before the backup (recompute scorecards, alerts, points).
struct NightlyTask {
    std::string name;
    std::function<void(ServerContext&, std::uint64_t now_ms)> run;
};

struct NightlyOptions {
    bool backup = true;   ///< write (and prune) a backup when the configuration names a directory
    bool collect = true;  ///< fold the change log and collect tombstones
    /// One line per step as it happens ("nightly: horizon 1234 over 57 devices").
    std::function<void(const std::string&)> progress;
};

/// Runs the whole job once. Never throws: a failed step is recorded in the report ("ok": false,
/// "errors") and the remaining steps still run, except that no backup is written after a failed
/// collection (the store may be mid-way; the previous backups stay). The report's members:
/// started_ms, finished_ms, ok, errors, horizon{...}, collect{...}, tasks[{name, ok, ms}],
/// backup{path, bytes, head, ms}, pruned[], durations_ms{...}.
nlohmann::json run_nightly(ServerContext& ctx, const std::vector<NightlyTask>& tasks,
                           const NightlyOptions& options = {});

/// Milliseconds from `now_ms` to the next `at_minute` (UTC minutes after midnight); in (0, 1 day].
std::uint64_t ms_until_next(std::uint64_t now_ms, unsigned at_minute);

/// Runs the job daily at config.nightly.at_minute on its own thread while a server runs. The
/// store serialises the job's short transactions with pushes, so sync goes on meanwhile.
class NightlyScheduler {
public:
    NightlyScheduler(ServerContext& ctx, std::vector<NightlyTask> tasks);
    ~NightlyScheduler();  ///< stops and joins
    NightlyScheduler(const NightlyScheduler&) = delete;
    NightlyScheduler& operator=(const NightlyScheduler&) = delete;

    void start();
    void stop();
    /// Run now on the scheduler's thread (on demand from a running server); returns at once.
    void trigger();
    /// Reports of completed runs (latest last), for tests and /metrics.
    std::vector<nlohmann::json> reports() const;

private:
    void loop();

    ServerContext& ctx_;
    std::vector<NightlyTask> tasks_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool triggered_ = false;
    std::vector<nlohmann::json> reports_;
    std::thread thread_;
};

}  // namespace zb::server
