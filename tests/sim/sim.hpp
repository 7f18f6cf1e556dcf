// SPDX-License-Identifier: Apache-2.0
// The deterministic simulator (issue #8; reliability.md §3: FoundationDB's simulation,
// TigerBeetle's VOPR, Dropbox Nucleus). One seed gives one run, in one thread, in virtual time:
// the real server logic (SessionHandler over the SQLite ServerStore) and 3–6 real phones
// (Replica + SyncEngine) on the in-memory fault VFS (simfs.hpp), talking through a simulated
// network that delays, reorders across connections, cuts connections at any frame, replays old
// frames and partitions devices; devices and the server crash, with or without power loss; device
// clocks are skewed and jump. After a heal and a quiet period the run checks safety invariants
// (see run_seed) and prints the seed on failure, so every failure replays with
// `zhibu-sim --from <seed> --seeds 1 --verbose`.
#pragma once

#include <cstdint>
#include <string>

namespace zb::sim {

struct SimOptions {
    std::uint64_t seed = 1;
    int steps = 400;       ///< fault-phase steps (each advances virtual time by up to 250 ms)
    bool verbose = false;  ///< narrate the run on stderr
};

struct SimStats {
    std::uint64_t writes = 0;    ///< local writes that produced a change
    std::uint64_t accepted = 0;  ///< changes the server accepted
    std::uint64_t rejected = 0;  ///< changes the server rejected (kept on the phone)
    std::uint64_t frames = 0;    ///< frames delivered
    std::uint64_t cuts = 0;      ///< connections cut
    std::uint64_t replays = 0;   ///< old frames replayed into a new connection
    std::uint64_t device_crashes = 0;
    std::uint64_t server_crashes = 0;
    std::uint64_t power_losses = 0;  ///< crashes that dropped unsynced writes
    std::uint64_t virtual_ms = 0;
};

struct SimResult {
    bool ok = true;
    std::string violation;  ///< the first invariant that failed, with details
    SimStats stats;
};

/// Run one seed. Never throws: an exception escaping the real components is a violation too.
SimResult run_seed(const SimOptions& options);

/// Call before anything initialises libsodium: makes its random numbers come from the seed
/// (keys, challenges, tokens, enrollment codes), so runs replay bit for bit. Registers the
/// in-memory VFS as SQLite's default for this process.
void install_determinism();

}  // namespace zb::sim
