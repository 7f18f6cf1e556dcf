// SPDX-License-Identifier: Apache-2.0
// The hybrid logical clock. tick() issues max(last + 1, now << 16): when the 16-bit logical
// counter is full, raw + 1 carries into the next millisecond, so the clock never goes backwards
// and never repeats. observe() adopts a remote timestamp unless it lies more than max_ahead_ms
// ahead of local physical time, in which case the clock is left untouched (SPEC.md, "Clocks").

#include "zb/protocol/hlc.hpp"

#include <limits>

namespace zb::protocol {

std::string to_string(Hlc h) {
    return std::to_string(h.millis()) + "." + std::to_string(h.logical());
}

Result<Hlc> HlcClock::tick(std::uint64_t now_ms) {
    if (now_ms > last_.millis()) {
        if (now_ms > Hlc::kMaxMillis) {
            return make_error(Errc::ClockOverflow, "physical time " + std::to_string(now_ms) +
                                                       " ms does not fit the 48-bit HLC");
        }
        last_ = Hlc::make(now_ms, 0);
        return last_;
    }
    // Physical time has not advanced (or went backwards): step the logical counter; at 0xFFFF
    // the increment carries into the millisecond part.
    if (last_.raw == std::numeric_limits<std::uint64_t>::max()) {
        return make_error(Errc::ClockOverflow, "HLC exhausted at " + to_string(last_));
    }
    last_.raw += 1;
    return last_;
}

Result<void> HlcClock::observe(Hlc remote, std::uint64_t now_ms) {
    const std::uint64_t limit = now_ms > std::numeric_limits<std::uint64_t>::max() - max_ahead_ms_
                                    ? std::numeric_limits<std::uint64_t>::max()
                                    : now_ms + max_ahead_ms_;
    if (remote.millis() > limit) {
        return make_error(Errc::ClockAhead, "remote timestamp " + to_string(remote) + " is " +
                                                std::to_string(remote.millis() - now_ms) +
                                                " ms ahead of local time (limit " +
                                                std::to_string(max_ahead_ms_) +
                                                " ms); check the device clock");
    }
    if (remote > last_) last_ = remote;
    return {};
}

}  // namespace zb::protocol
