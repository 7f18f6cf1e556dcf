// SPDX-License-Identifier: Apache-2.0
// Names of the wire error codes, for logs, the CLI and test output. The names match the
// enumerators in result.hpp and the table in protocol/SPEC.md ("Error codes").

#include "zb/protocol/result.hpp"

namespace zb::protocol {

std::string_view errc_name(Errc e) {
    switch (e) {
        case Errc::Ok:
            return "Ok";
        case Errc::Malformed:
            return "Malformed";
        case Errc::TooLarge:
            return "TooLarge";
        case Errc::TooDeep:
            return "TooDeep";
        case Errc::TooMany:
            return "TooMany";
        case Errc::UnknownType:
            return "UnknownType";
        case Errc::MissingField:
            return "MissingField";
        case Errc::WrongType:
            return "WrongType";
        case Errc::BadValue:
            return "BadValue";
        case Errc::VersionUnsupported:
            return "VersionUnsupported";
        case Errc::UnexpectedMessage:
            return "UnexpectedMessage";
        case Errc::HandshakeTimeout:
            return "HandshakeTimeout";
        case Errc::IdleTimeout:
            return "IdleTimeout";
        case Errc::RateLimited:
            return "RateLimited";
        case Errc::ServerBusy:
            return "ServerBusy";
        case Errc::ShuttingDown:
            return "ShuttingDown";
        case Errc::AuthFailed:
            return "AuthFailed";
        case Errc::TokenExpired:
            return "TokenExpired";
        case Errc::TokenInvalid:
            return "TokenInvalid";
        case Errc::DeviceRevoked:
            return "DeviceRevoked";
        case Errc::EnrollCodeInvalid:
            return "EnrollCodeInvalid";
        case Errc::BadBatchSignature:
            return "BadBatchSignature";
        case Errc::Replay:
            return "Replay";
        case Errc::Forbidden:
            return "Forbidden";
        case Errc::OutOfScope:
            return "OutOfScope";
        case Errc::UnknownTable:
            return "UnknownTable";
        case Errc::ServerAuthoritative:
            return "ServerAuthoritative";
        case Errc::RuleViolation:
            return "RuleViolation";
        case Errc::SequenceGap:
            return "SequenceGap";
        case Errc::AppendOnlyViolation:
            return "AppendOnlyViolation";
        case Errc::TypeMismatch:
            return "TypeMismatch";
        case Errc::HashMismatch:
            return "HashMismatch";
        case Errc::NotFound:
            return "NotFound";
        case Errc::StorageFailure:
            return "StorageFailure";
        case Errc::Internal:
            return "Internal";
        case Errc::DiskFull:
            return "DiskFull";
        case Errc::QuotaExceeded:
            return "QuotaExceeded";
        case Errc::CursorExpired:
            return "CursorExpired";
        case Errc::ClockAhead:
            return "ClockAhead";
        case Errc::ClockOverflow:
            return "ClockOverflow";
    }
    // A code from a newer peer: still carried on the wire, named only by its number.
    return "Unknown";
}

}  // namespace zb::protocol
