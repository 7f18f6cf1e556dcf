// SPDX-License-Identifier: Apache-2.0
// The nightly job and its scheduler (see nightly.hpp). Each step is timed and reported; the job
// itself is recorded in the audit chain (kAuditNightly) with counts only.
#include "zb/server/nightly.hpp"

#include "zb/server/backup.hpp"
#include "zb/server/log.hpp"
#include "zb/server/maintenance.hpp"

#include <chrono>

namespace zb::server {

namespace {

constexpr std::uint64_t kDayMs = 86400000;

std::uint64_t steady_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

}  // namespace

nlohmann::json run_nightly(ServerContext& ctx, const std::vector<NightlyTask>& tasks,
                           const NightlyOptions& options) {
    const NightlyConfig& nc = ctx.config.nightly;
    const std::uint64_t now = ctx.now_ms();
    nlohmann::json rep = {{"started_ms", now}, {"ok", true}, {"errors", nlohmann::json::array()}};
    nlohmann::json durations = nlohmann::json::object();
    auto say = [&](const std::string& line) {
        if (options.progress) options.progress("nightly: " + line);
        log(LogLevel::Info, "nightly", {{"step", line}});
    };
    auto failed = [&](const std::string& step, const std::string& what) {
        rep["ok"] = false;
        rep["errors"].push_back(step + ": " + what);
        say(step + " FAILED: " + what);
    };
    bool collected_ok = true;

    // 1. Horizon and collection.
    std::uint64_t t0 = steady_ms();
    try {
        HorizonInfo h = compute_horizon(*ctx.store, now, nc.max_offline_days * kDayMs);
        rep["horizon"] = {{"horizon", h.horizon},
                          {"head", h.head},
                          {"devices", h.devices},
                          {"stale_devices", h.stale_devices},
                          {"revoked_devices", h.revoked_devices}};
        say("horizon " + std::to_string(h.horizon) + " (head " + std::to_string(h.head) +
            ") over " + std::to_string(h.devices) + " devices; " + std::to_string(h.stale_devices) +
            " offline longer than " + std::to_string(nc.max_offline_days) + " days");
        if (options.collect) {
            CollectParams p;
            p.horizon = h.horizon;
            p.now_ms = now;
            p.tombstone_retention_ms = nc.tombstone_retention_days * kDayMs;
            p.history_retention_ms = nc.history_retention_days * kDayMs;
            p.max_clock_ahead_ms = ctx.config.max_clock_ahead_ms;
            CollectReport c = collect(*ctx.store, p);
            rep["collect"] = {{"changelog_before", c.changelog_before},
                              {"changelog_folded", c.changelog_folded},
                              {"history_kept_for_undo", c.history_kept_for_undo},
                              {"tombstones_collected", c.tombstones_collected},
                              {"tombstones_waiting", c.tombstones_waiting},
                              {"cells_collected", c.cells_collected},
                              {"history_collected", c.history_collected},
                              {"cursor_floor", c.cursor_floor}};
            say("folded " + std::to_string(c.changelog_folded) + " of " +
                std::to_string(c.changelog_before) + " change-log entries; collected " +
                std::to_string(c.tombstones_collected) + " deleted rows (" +
                std::to_string(c.tombstones_waiting) + " still waiting)");
        }
    } catch (const std::exception& e) {
        collected_ok = false;
        failed("collect", e.what());
    }
    durations["collect"] = steady_ms() - t0;

    // 2. Analytics and other registered tasks, each on its own: one failing does not stop others.
    nlohmann::json task_reports = nlohmann::json::array();
    for (const NightlyTask& t : tasks) {
        const std::uint64_t ts = steady_ms();
        bool ok = true;
        try {
            t.run(ctx, now);
        } catch (const std::exception& e) {
            ok = false;
            failed("task " + t.name, e.what());
        }
        task_reports.push_back({{"name", t.name}, {"ok", ok}, {"ms", steady_ms() - ts}});
        if (ok) say("task " + t.name + " done");
    }
    rep["tasks"] = task_reports;

    // 3. Backup and pruning.
    t0 = steady_ms();
    if (options.backup && !nc.backup_dir.empty()) {
        if (!collected_ok) {
            failed("backup", "skipped after a failed collection");
        } else {
            try {
                BackupInfo b = write_backup(ctx.config.db_path(), nc.backup_dir, ctx.master_key,
                                            ctx.config.server_id, ctx.store->server_device(),
                                            ctx.store->head(), now);
                rep["backup"] = {{"path", b.path},
                                 {"bytes", b.file_bytes},
                                 {"db_bytes", b.db_bytes},
                                 {"head", b.head}};
                say("backup " + b.path + " (" + std::to_string(b.file_bytes) + " bytes)");
                auto pruned = prune_backups(nc.backup_dir, nc.keep);
                rep["pruned"] = pruned;
                if (!pruned.empty())
                    say("pruned " + std::to_string(pruned.size()) + " old backups, keeping " +
                        std::to_string(nc.keep));
            } catch (const std::exception& e) {
                failed("backup", e.what());
            }
        }
    }
    durations["backup"] = steady_ms() - t0;

    rep["durations_ms"] = durations;
    rep["finished_ms"] = ctx.now_ms();
    try {
        AuditEntry e;
        e.kind = kAuditNightly;
        e.time_ms = now;
        e.note = std::string("nightly ok=") + (rep["ok"].get<bool>() ? "1" : "0") + " folded=" +
                 std::to_string(rep.value("/collect/changelog_folded"_json_pointer, 0)) +
                 " collected=" +
                 std::to_string(rep.value("/collect/tombstones_collected"_json_pointer, 0));
        ctx.store->append_audit(std::move(e));
    } catch (const std::exception& e) {
        failed("audit", e.what());
    }
    say(rep["ok"].get<bool>() ? "done" : "done with errors");
    return rep;
}

std::uint64_t ms_until_next(std::uint64_t now_ms, unsigned at_minute) {
    const std::uint64_t into_day = now_ms % kDayMs;
    const std::uint64_t at = static_cast<std::uint64_t>(at_minute % 1440) * 60000;
    return at > into_day ? at - into_day : kDayMs - into_day + at;
}

NightlyScheduler::NightlyScheduler(ServerContext& ctx, std::vector<NightlyTask> tasks)
    : ctx_(ctx), tasks_(std::move(tasks)) {}

NightlyScheduler::~NightlyScheduler() {
    stop();
}

void NightlyScheduler::start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) return;
    stop_ = false;
    thread_ = std::thread([this] { loop(); });
}

void NightlyScheduler::stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void NightlyScheduler::trigger() {
    {
        std::lock_guard lock(mu_);
        triggered_ = true;
    }
    cv_.notify_all();
}

std::vector<nlohmann::json> NightlyScheduler::reports() const {
    std::lock_guard lock(mu_);
    return reports_;
}

void NightlyScheduler::loop() {
    std::unique_lock lock(mu_);
    const unsigned at = ctx_.config.nightly.at_minute;
    std::uint64_t next_due = ctx_.now_ms() + ms_until_next(ctx_.now_ms(), at);
    while (!stop_) {
        // Waits in steps of at most a minute, so a moved clock (tests, NTP) is noticed.
        const std::uint64_t now = ctx_.now_ms();
        const std::uint64_t wait =
            next_due > now ? std::min<std::uint64_t>(next_due - now, 60000) : 0;
        cv_.wait_for(lock, std::chrono::milliseconds(wait), [&] { return stop_ || triggered_; });
        if (stop_) break;
        const bool scheduled_run = ctx_.config.nightly.scheduled && ctx_.now_ms() >= next_due;
        if (!triggered_ && !scheduled_run) continue;
        triggered_ = false;
        if (scheduled_run) next_due = ctx_.now_ms() + ms_until_next(ctx_.now_ms(), at);
        lock.unlock();
        nlohmann::json rep = run_nightly(ctx_, tasks_);
        lock.lock();
        reports_.push_back(std::move(rep));
        if (reports_.size() > 30) reports_.erase(reports_.begin());
        cv_.notify_all();
    }
}

}  // namespace zb::server
