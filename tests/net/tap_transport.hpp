// SPDX-License-Identifier: Apache-2.0
// A Transport decorator for tests: counts the frames sent and received through the real Beast
// transport and can cut the connection after the N-th received frame, the way a phone loses its
// network in the middle of a sync.
#pragma once

#include "zb/net/transport.hpp"

#include <atomic>
#include <memory>

namespace zb::test {

class TapTransport final : public net::Transport {
public:
    explicit TapTransport(std::unique_ptr<net::Transport> inner) : inner_(std::move(inner)) {}

    void open(const net::Endpoint& endpoint, net::TransportCallbacks cb) override {
        ++opens;
        cut_this_connection_ = false;
        auto user = std::make_shared<net::TransportCallbacks>(std::move(cb));
        net::TransportCallbacks mine;
        mine.on_open = [this, user] {
            ++opened;
            if (user->on_open) user->on_open();
        };
        mine.on_frame = [this, user](protocol::Bytes f) {
            if (cut_this_connection_) return;  // the "network" is gone
            const int n = ++received;
            if (user->on_frame) user->on_frame(std::move(f));
            if (cut_after_frames > 0 && n >= cut_after_frames) {
                cut_after_frames = 0;
                cut_this_connection_ = true;
                inner_->close();
            }
        };
        mine.on_closed = [this, user](net::NetError why) {
            if (cut_this_connection_ && why.ok())
                why = net::make_net_error(net::NetErrc::Closed, "test cut the connection");
            if (user->on_closed) user->on_closed(std::move(why));
        };
        inner_->open(endpoint, std::move(mine));
    }

    void send(protocol::Bytes frame) override {
        ++sent;
        inner_->send(std::move(frame));
    }

    void close() override { inner_->close(); }

    std::atomic<int> opens{0};
    std::atomic<int> opened{0};
    std::atomic<int> sent{0};
    std::atomic<int> received{0};
    std::atomic<int> cut_after_frames{0};  ///< > 0: cut once after this many received frames

private:
    std::unique_ptr<net::Transport> inner_;
    std::atomic<bool> cut_this_connection_{false};
};

}  // namespace zb::test
