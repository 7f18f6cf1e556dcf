// SPDX-License-Identifier: Apache-2.0
// Errors of the client core. Every public Replica call reports expected failures through
// zb::core::Result<T> (the protocol's Result, so a rejected write and a rejected push carry the
// same wire-stable Errc). The SyncStore overrides, whose frozen signatures return void, throw
// StoreError instead; nothing else in the public API throws except std::bad_alloc.
#pragma once

#include "zb/protocol/result.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace zb::core {

using protocol::Errc;
using Error = protocol::Error;
template <class T>
using Result = protocol::Result<T>;

/// Thrown only where a signature cannot return a Result (the SyncStore seam) and internally
/// inside the store, where it is caught at the public boundary and turned into a Result.
class StoreError : public std::runtime_error {
public:
    explicit StoreError(Error e) : std::runtime_error(e.message), error_(std::move(e)) {}
    StoreError(Errc code, std::string message) : StoreError(Error{code, std::move(message)}) {}
    const Error& error() const { return error_; }

private:
    Error error_;
};

}  // namespace zb::core
