// SPDX-License-Identifier: Apache-2.0
// Prometheus text rendering of the server's counters (exposition format 0.0.4).
#include "zb/server/metrics.hpp"

#include <sstream>

namespace zb::server {

void Metrics::count_in(protocol::MsgType t, std::size_t bytes) {
    auto i = static_cast<std::size_t>(t);
    if (i < kTypes) messages_in[i].fetch_add(1, std::memory_order_relaxed);
    bytes_in.fetch_add(bytes, std::memory_order_relaxed);
}

void Metrics::count_out(protocol::MsgType t, std::size_t bytes) {
    auto i = static_cast<std::size_t>(t);
    if (i < kTypes) messages_out[i].fetch_add(1, std::memory_order_relaxed);
    bytes_out.fetch_add(bytes, std::memory_order_relaxed);
}

void Metrics::observe_push_latency(double seconds) {
    std::size_t i = 0;
    while (i < kLatencyBounds.size() && seconds > kLatencyBounds[i])
        ++i;
    latency_buckets_[i].fetch_add(1, std::memory_order_relaxed);
    latency_count_.fetch_add(1, std::memory_order_relaxed);
    latency_sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string Metrics::prometheus() const {
    std::ostringstream o;
    auto counter = [&](const char* name, const char* help, std::uint64_t v) {
        o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n"
          << name << ' ' << v << '\n';
    };
    o << "# HELP zhibu_connections Open connections.\n# TYPE zhibu_connections gauge\n"
      << "zhibu_connections " << connections.load() << '\n';
    counter("zhibu_connections_total", "Accepted connections.", connections_total.load());
    counter("zhibu_connections_refused_total", "Connections refused (busy).",
            connections_refused.load());
    o << "# HELP zhibu_messages_in_total Messages received by type.\n"
         "# TYPE zhibu_messages_in_total counter\n";
    for (std::size_t i = 1; i <= 14; ++i)
        o << "zhibu_messages_in_total{type=\""
          << protocol::type_name(static_cast<protocol::MsgType>(i)) << "\"} "
          << messages_in[i].load() << '\n';
    o << "# HELP zhibu_messages_out_total Messages sent by type.\n"
         "# TYPE zhibu_messages_out_total counter\n";
    for (std::size_t i = 1; i <= 14; ++i)
        o << "zhibu_messages_out_total{type=\""
          << protocol::type_name(static_cast<protocol::MsgType>(i)) << "\"} "
          << messages_out[i].load() << '\n';
    counter("zhibu_bytes_in_total", "Frame bytes received.", bytes_in.load());
    counter("zhibu_bytes_out_total", "Frame bytes sent.", bytes_out.load());
    counter("zhibu_changes_ingested_total", "Changes accepted.", changes_accepted.load());
    counter("zhibu_changes_rejected_total", "Changes rejected.", changes_rejected.load());
    counter("zhibu_pushes_total", "Push batches processed.", pushes.load());
    counter("zhibu_pulls_total", "Pull requests served.", pulls.load());
    counter("zhibu_pulled_changes_total", "Changes sent in pulls.", pulled_changes.load());
    counter("zhibu_notifies_total", "Notify messages queued.", notifies.load());
    counter("zhibu_auth_ok_total", "Successful logins.", auth_ok.load());
    counter("zhibu_auth_failures_total", "Failed logins and enrollments.", auth_failures.load());
    counter("zhibu_enrollments_total", "Devices enrolled.", enrollments.load());
    counter("zhibu_protocol_errors_total", "Sessions ended by a protocol error.",
            protocol_errors.load());
    counter("zhibu_rate_limited_total", "Sessions ended by the rate limit.", rate_limited.load());
    o << "# HELP zhibu_push_latency_seconds Push handling time until the ack is queued.\n"
         "# TYPE zhibu_push_latency_seconds histogram\n";
    std::uint64_t cum = 0;
    for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
        cum += latency_buckets_[i].load();
        o << "zhibu_push_latency_seconds_bucket{le=\"" << kLatencyBounds[i] << "\"} " << cum
          << '\n';
    }
    cum += latency_buckets_[kLatencyBounds.size()].load();
    o << "zhibu_push_latency_seconds_bucket{le=\"+Inf\"} " << cum << '\n';
    o << "zhibu_push_latency_seconds_sum " << static_cast<double>(latency_sum_us_.load()) / 1e6
      << '\n';
    o << "zhibu_push_latency_seconds_count " << latency_count_.load() << '\n';
    return o.str();
}

}  // namespace zb::server
