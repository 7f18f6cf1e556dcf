// SPDX-License-Identifier: Apache-2.0
// Process-wide counters for GET /metrics (Prometheus text exposition format 0.0.4) and the
// figures of GET /health. Lock-free atomics; rendering takes a consistent-enough snapshot.
#pragma once

#include "zb/protocol/messages.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace zb::server {

class Metrics {
public:
    static constexpr std::size_t kTypes = 16;
    static constexpr std::array<double, 10> kLatencyBounds{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                           0.05,  0.1,    0.25,  0.5,  1.0};

    std::atomic<std::int64_t> connections{0};  ///< open now
    std::atomic<std::uint64_t> connections_total{0};
    std::atomic<std::uint64_t> connections_refused{0};
    std::array<std::atomic<std::uint64_t>, kTypes> messages_in{};
    std::array<std::atomic<std::uint64_t>, kTypes> messages_out{};
    std::atomic<std::uint64_t> bytes_in{0};
    std::atomic<std::uint64_t> bytes_out{0};
    std::atomic<std::uint64_t> changes_accepted{0};
    std::atomic<std::uint64_t> changes_rejected{0};
    std::atomic<std::uint64_t> pushes{0};
    std::atomic<std::uint64_t> pulls{0};
    std::atomic<std::uint64_t> pulled_changes{0};
    std::atomic<std::uint64_t> notifies{0};
    std::atomic<std::uint64_t> auth_ok{0};
    std::atomic<std::uint64_t> auth_failures{0};
    std::atomic<std::uint64_t> enrollments{0};
    std::atomic<std::uint64_t> protocol_errors{0};
    std::atomic<std::uint64_t> rate_limited{0};

    void count_in(protocol::MsgType t, std::size_t bytes);
    void count_out(protocol::MsgType t, std::size_t bytes);
    /// Push handling time, seconds (decode to ack queued).
    void observe_push_latency(double seconds);

    std::string prometheus() const;

private:
    std::array<std::atomic<std::uint64_t>, kLatencyBounds.size() + 1> latency_buckets_{};
    std::atomic<std::uint64_t> latency_count_{0};
    std::atomic<std::uint64_t> latency_sum_us_{0};
};

}  // namespace zb::server
