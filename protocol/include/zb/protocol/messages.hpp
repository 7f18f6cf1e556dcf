// SPDX-License-Identifier: Apache-2.0
// Every message of the Zhibu sync protocol as a plain struct. protocol/SPEC.md is normative; this
// header mirrors it. The numeric type tags are wire-stable and never reused.
#pragma once

#include "zb/protocol/change.hpp"
#include "zb/protocol/result.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace zb::protocol {

/// Protocol versions. Version log (newest last; SPEC.md has the prose):
///   1  first version: hello/welcome, enroll, challenge-response auth with tokens, push/ack,
///      pull/changes with progress, notify, error, goodbye, wipe.
inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr std::uint32_t kMinProtocolVersion = 1;

enum class MsgType : std::uint8_t {
    Hello = 1,
    Welcome = 2,
    Enroll = 3,
    Enrolled = 4,
    Auth = 5,
    AuthOk = 6,
    Push = 7,
    PushAck = 8,
    Pull = 9,
    Changes = 10,
    Notify = 11,
    Error = 12,
    Goodbye = 13,
    Wipe = 14,
};

/// Client → server, first message. The server picks the highest version in [min, max] it speaks.
struct Hello {
    std::uint32_t min_version = kMinProtocolVersion;
    std::uint32_t max_version = kProtocolVersion;
    std::string client;   ///< e.g. "zhibu-android/1.0"; informational
    DeviceId device = 0;  ///< 0 before enrollment

    friend bool operator==(const Hello&, const Hello&) = default;
};

/// Server → client answer to Hello: the chosen version and a fresh 32-byte challenge bound to
/// this connection.
struct Welcome {
    std::uint32_t version = kProtocolVersion;
    Bytes challenge;
    std::string server_id;
    std::uint64_t server_time_ms = 0;

    friend bool operator==(const Welcome&, const Welcome&) = default;
};

/// Client → server: enroll a new device with a one-time code from an administrator.
struct Enroll {
    std::string code;
    Bytes public_key;  ///< Ed25519, 32 bytes
    std::string device_name;

    friend bool operator==(const Enroll&, const Enroll&) = default;
};

/// Server → client: the device is enrolled for `person` with `role` over `org`.
struct Enrolled {
    DeviceId device = 0;
    std::string person;
    std::string role;
    std::string org;

    friend bool operator==(const Enrolled&, const Enrolled&) = default;
};

/// Client → server: log in, either by signing the Welcome challenge (auth_payload()) with the
/// device key, or by presenting an unexpired token from an earlier AuthOk. Exactly one of
/// `signature` (64 bytes) and `token` is non-empty.
struct Auth {
    DeviceId device = 0;
    Bytes signature;
    std::string token;

    friend bool operator==(const Auth&, const Auth&) = default;
};

/// Server → client: logged in.
struct AuthOk {
    std::string token;
    std::uint64_t token_expires_ms = 0;
    std::string person;
    std::string role;
    std::vector<std::string> scopes;  ///< organisation paths the device may read
    std::uint64_t acked_seq = 0;      ///< highest device seq the server has durably stored

    friend bool operator==(const AuthOk&, const AuthOk&) = default;
};

/// Client → server: a batch of the device's own changes, ascending seq, signed over
/// push_payload() with the device key.
struct Push {
    std::uint64_t batch = 0;  ///< client-chosen batch id (the first seq in the batch)
    std::vector<Change> changes;
    Bytes signature;

    friend bool operator==(const Push&, const Push&) = default;
};

struct ChangeResult {
    std::uint64_t seq = 0;
    Errc code = Errc::Ok;  ///< Ok = accepted (or already stored); anything else = rejected
    std::string message;

    friend bool operator==(const ChangeResult&, const ChangeResult&) = default;
};

/// Server → client: the outcome of each change of a Push, sent only after it is durable.
struct PushAck {
    std::uint64_t batch = 0;
    std::vector<ChangeResult> results;
    std::uint64_t acked_seq = 0;  ///< every seq <= this is settled (accepted or rejected)

    friend bool operator==(const PushAck&, const PushAck&) = default;
};

/// Client → server: send me state changed after `cursor`, at most `limit` cells.
struct Pull {
    std::uint64_t cursor = 0;
    std::uint32_t limit = 1000;

    friend bool operator==(const Pull&, const Pull&) = default;
};

/// Server → client: a page of changes in the device's scopes. `cursor` is where the next Pull
/// starts; `done`/`total` count cells for the progress of a long (initial) sync.
struct Changes {
    std::vector<Change> changes;
    std::uint64_t cursor = 0;
    bool has_more = false;
    std::uint64_t done = 0;
    std::uint64_t total = 0;

    friend bool operator==(const Changes&, const Changes&) = default;
};

/// Server → client: new data in your scopes up to `cursor`; pull when convenient.
struct Notify {
    std::uint64_t cursor = 0;

    friend bool operator==(const Notify&, const Notify&) = default;
};

struct ErrorMsg {
    Errc code = Errc::Internal;
    std::string message;

    friend bool operator==(const ErrorMsg&, const ErrorMsg&) = default;
};

struct Goodbye {
    Errc code = Errc::Ok;
    std::string reason;

    friend bool operator==(const Goodbye&, const Goodbye&) = default;
};

/// Server → client: this device is revoked; destroy the local replica and its keys.
struct Wipe {
    std::string reason;

    friend bool operator==(const Wipe&, const Wipe&) = default;
};

using Message = std::variant<Hello, Welcome, Enroll, Enrolled, Auth, AuthOk, Push, PushAck, Pull,
                             Changes, Notify, ErrorMsg, Goodbye, Wipe>;

MsgType type_of(const Message& m);
std::string_view type_name(MsgType t);

/// The bytes a device signs to log in: "zhibu-auth-v1" || challenge || device id (8 bytes LE).
Bytes auth_payload(const Bytes& challenge, DeviceId device);
/// The bytes a device signs for a push: "zhibu-push-v1" || batch (8 bytes LE) || the canonical
/// CBOR encoding of the changes array. Deterministic for equal inputs.
Bytes push_payload(const Push& push);

}  // namespace zb::protocol
