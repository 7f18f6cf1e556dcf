// SPDX-License-Identifier: Apache-2.0
// SessionHandler: one connection's protocol state machine, without sockets (sans-I/O). The
// network session feeds it decoded messages and sends what it returns; the fuzzer and tests drive
// it directly. handle() blocks on the store: the server calls it on the store thread pool.
// States: AwaitHello → Handshaken (Enroll allowed) → Authenticated (Push, Pull); any other message
// is UnexpectedMessage and ends the session.
#pragma once

#include "zb/protocol/messages.hpp"
#include "zb/server/blob_store.hpp"
#include "zb/server/context.hpp"
#include "zb/server/ingest.hpp"
#include "zb/server/scope.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zb::server {

struct Reply {
    std::vector<protocol::Message> messages;
    bool close = false;                ///< close the connection after sending `messages`
    std::optional<CommitInfo> commit;  ///< notify other sessions
};

class SessionHandler {
public:
    enum class State : std::uint8_t { AwaitHello, Handshaken, Authenticated, Closed };

    SessionHandler(ServerContext& ctx, std::string peer);

    /// Handle one decoded client message. Never throws (internal failures become ErrorMsg).
    Reply handle(const protocol::Message& m);
    /// A frame that did not decode: ErrorMsg with the decoder's code, and close.
    Reply on_decode_error(const protocol::Error& e);
    /// An error the transport decided on (rate limit, busy …): ErrorMsg and close.
    Reply fail(protocol::Errc code, std::string message);

    State state() const { return state_; }
    const std::optional<Principal>& principal() const { return principal_; }
    const std::string& peer() const { return peer_; }

private:
    Reply handle_hello(const protocol::Hello& m);
    Reply handle_enroll(const protocol::Enroll& m);
    Reply handle_auth(const protocol::Auth& m);
    Reply handle_push(const protocol::Push& m);
    Reply handle_pull(const protocol::Pull& m);
    Reply refuse_revoked(const DeviceRecord& d);
    bool session_expired(Reply& r);

    ServerContext& ctx_;
    std::string peer_;
    State state_ = State::AwaitHello;
    protocol::Bytes challenge_;
    std::optional<Principal> principal_;
    std::uint64_t session_expires_ms_ = 0;
    // progress of the current pull sequence
    std::uint64_t pull_next_ = 0;
    std::uint64_t pull_total_ = 0;
    std::uint64_t pull_done_ = 0;
    bool pull_active_ = false;
    BlobSession blobs_;  ///< attachment requests and their grants (blob_store.hpp)
};

}  // namespace zb::server
