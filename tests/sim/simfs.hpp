// SPDX-License-Identifier: Apache-2.0
// zb_simfs: an in-memory SQLite VFS for the deterministic simulator and the storage-fault tests.
// Every file keeps two images, what the process sees (live) and what survived the last xSync
// (durable, with the log of writes since), so a "power loss" can drop exactly what a real disk
// may drop, optionally tearing the unsynced writes at sector granularity (reliability.md §2.2:
// SQLite's crash VFS, test6.c, reorders and corrupts unsynced writes). It can fail the Nth read,
// write or sync of files under a path prefix with SQLITE_IOERR_* or SQLITE_FULL (SQLite's own
// anomaly-testing method). Time and randomness asked of the VFS come from the simulator, never
// from the host. Single-threaded: the simulator and the fault tests use it from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace zb::sim {

/// Which I/O a fault plan counts.
enum class IoKind : std::uint8_t { Read = 1, Write = 2, Sync = 3 };

struct FaultPlan {
    IoKind kind = IoKind::Write;
    std::uint64_t nth = 1;    ///< the nth matching operation fails (1 = the next one)
    int error = 0;            ///< SQLite result code; 0 = the usual SQLITE_IOERR_<kind>
    bool persistent = false;  ///< keep failing every matching operation after the nth
    std::string path_prefix;  ///< only files whose path starts with this
};

/// The filesystem. Registered with SQLite once (not as the default VFS) under vfs_name().
class SimFs {
public:
    static SimFs& instance();
    static constexpr const char* vfs_name() { return "zb-sim"; }

    /// Make it SQLite's default VFS for this process, so components that open files by path
    /// (the server store, the plain replica opener) land on it without knowing.
    void make_default();

    /// Forget every file (no handle may be open under it), every fault and every counter.
    void reset();
    /// Seed for xRandomness; virtual time for xCurrentTime.
    void set_seed(std::uint64_t seed);
    void set_time_ms(std::uint64_t ms) { time_ms_ = ms; }

    /// Arm one fault plan (replacing any other). fired() counts failures it produced.
    void arm(FaultPlan plan);
    void disarm();
    std::uint64_t fired() const { return fired_; }
    /// Operations of a kind on files under `prefix` since reset().
    std::uint64_t count(IoKind kind) const;

    /// A crash of whatever uses files under `prefix`. Takes the image a reboot would find now:
    /// with `power_loss`, each file's durable image plus (when `tear` is given) a random prefix
    /// of its unsynced writes, the last one possibly torn at a 512-byte boundary; without it
    /// (an app crash), the live image. The caller then destroys its connections (whatever they
    /// write while closing is lost) and calls restore_crash_image().
    void take_crash_image(std::string_view prefix, bool power_loss, std::mt19937_64* tear);
    /// Replace every file under the prefix by the crash image; drops their shared memory.
    /// Throws std::logic_error if a handle is still open on one of them.
    void restore_crash_image();

    bool exists(const std::string& path) const;
    std::size_t open_handles(std::string_view prefix) const;
    /// Total bytes held (live images), for sanity limits.
    std::size_t bytes() const;

    class Impl;

private:
    SimFs();
    std::uint64_t time_ms_ = 0;
    std::uint64_t fired_ = 0;
};

}  // namespace zb::sim
