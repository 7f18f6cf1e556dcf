// SPDX-License-Identifier: Apache-2.0
// Message type tags and names, and the two byte strings that devices sign: the login payload
// (bound to the connection's challenge) and the push payload (bound to the exact changes).
// Both are domain-separated by an ASCII prefix so a signature for one can never pass as the other.

#include "zb/protocol/messages.hpp"

#include "zb/protocol/codec.hpp"

#include <string_view>

namespace zb::protocol {
namespace {

constexpr std::string_view kAuthDomain = "zhibu-auth-v1";
constexpr std::string_view kPushDomain = "zhibu-push-v1";

void append_le64(Bytes& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

MsgType type_of(const Message& m) {
    return static_cast<MsgType>(m.index() + 1);
}

std::string_view type_name(MsgType t) {
    switch (t) {
        case MsgType::Hello:
            return "hello";
        case MsgType::Welcome:
            return "welcome";
        case MsgType::Enroll:
            return "enroll";
        case MsgType::Enrolled:
            return "enrolled";
        case MsgType::Auth:
            return "auth";
        case MsgType::AuthOk:
            return "auth_ok";
        case MsgType::Push:
            return "push";
        case MsgType::PushAck:
            return "push_ack";
        case MsgType::Pull:
            return "pull";
        case MsgType::Changes:
            return "changes";
        case MsgType::Notify:
            return "notify";
        case MsgType::Error:
            return "error";
        case MsgType::Goodbye:
            return "goodbye";
        case MsgType::Wipe:
            return "wipe";
    }
    return "unknown";
}

Bytes auth_payload(const Bytes& challenge, DeviceId device) {
    Bytes out(kAuthDomain.begin(), kAuthDomain.end());
    out.insert(out.end(), challenge.begin(), challenge.end());
    append_le64(out, device);
    return out;
}

Bytes push_payload(const Push& push) {
    Bytes out(kPushDomain.begin(), kPushDomain.end());
    append_le64(out, push.batch);
    const Bytes changes = encode_changes(push.changes);
    out.insert(out.end(), changes.begin(), changes.end());
    return out;
}

}  // namespace zb::protocol
