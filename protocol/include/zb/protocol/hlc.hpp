// SPDX-License-Identifier: Apache-2.0
// Hybrid logical clock (HLC): 48 bits of physical milliseconds since the Unix epoch and a 16-bit
// logical counter, packed in one 64-bit integer so that timestamps compare as integers.
// The clock never goes backwards, and it refuses to adopt a remote timestamp that is too far
// ahead of local physical time (protocol/SPEC.md, "Clocks").
#pragma once

#include "zb/protocol/result.hpp"

#include <compare>
#include <cstdint>
#include <string>

namespace zb::protocol {

/// One HLC timestamp. raw = millis << 16 | logical. Zero means "never".
struct Hlc {
    std::uint64_t raw = 0;

    static constexpr std::uint64_t kLogicalBits = 16;
    static constexpr std::uint64_t kLogicalMask = (std::uint64_t{1} << kLogicalBits) - 1;
    static constexpr std::uint64_t kMaxMillis = (std::uint64_t{1} << 48) - 1;

    static constexpr Hlc make(std::uint64_t millis, std::uint16_t logical) {
        return Hlc{(millis << kLogicalBits) | logical};
    }
    constexpr std::uint64_t millis() const { return raw >> kLogicalBits; }
    constexpr std::uint16_t logical() const {
        return static_cast<std::uint16_t>(raw & kLogicalMask);
    }
    constexpr bool is_zero() const { return raw == 0; }

    friend constexpr auto operator<=>(Hlc, Hlc) = default;
    friend constexpr bool operator==(Hlc, Hlc) = default;
};

/// "1732000000000.3" style rendering for logs and the CLI.
std::string to_string(Hlc h);

/// The clock of one node (device or server). Not thread-safe: one owner drives it.
class HlcClock {
public:
    /// max_ahead_ms: how far a remote timestamp may run ahead of local physical time before it is
    /// refused (default 5 minutes).
    explicit HlcClock(std::uint64_t max_ahead_ms = 5 * 60 * 1000) : max_ahead_ms_(max_ahead_ms) {}

    /// A timestamp for a local event at physical time `now_ms`. Strictly greater than every
    /// timestamp this clock has issued or observed. Errors: ClockOverflow at the end of time.
    Result<Hlc> tick(std::uint64_t now_ms);

    /// Observe a remote timestamp. Afterwards tick() returns something greater than `remote`.
    /// Errors: ClockAhead (remote.millis() > now_ms + max_ahead_ms): the clock is left unchanged.
    Result<void> observe(Hlc remote, std::uint64_t now_ms);

    /// The greatest timestamp issued or observed so far.
    Hlc last() const { return last_; }
    /// Restore persisted state (e.g. after a restart); never moves the clock backwards.
    void restore(Hlc persisted) {
        if (persisted > last_) last_ = persisted;
    }
    std::uint64_t max_ahead_ms() const { return max_ahead_ms_; }

private:
    Hlc last_{};
    std::uint64_t max_ahead_ms_;
};

}  // namespace zb::protocol
