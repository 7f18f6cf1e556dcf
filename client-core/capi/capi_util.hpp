// SPDX-License-Identifier: Apache-2.0
// The machinery every C entry point shares: Failure (the one internal exception type), try_call
// (runs one entry point's body, maps every exception to a zb_status and fills zb_error), the
// mapping of the core's, the protocol's and the transport's error codes onto zb_status, and the
// listener registry behind zb_listener tokens. Nothing here is exported.
#pragma once

#include "zb/core/error.hpp"
#include "zb/protocol/result.hpp"
#include "zb/zb.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zb::capi {

/// The one exception the shim throws itself; try_call turns it into a zb_status.
class Failure : public std::exception {
public:
    Failure(zb_status code, std::string message, std::int32_t detail = 0, std::uint32_t flags = 0)
        : code_(code), detail_(detail), flags_(flags), message_(std::move(message)) {}
    const char* what() const noexcept override { return message_.c_str(); }
    zb_status code() const { return code_; }
    std::int32_t detail() const { return detail_; }
    std::uint32_t flags() const { return flags_; }
    const std::string& message() const { return message_; }

private:
    zb_status code_;
    std::int32_t detail_;
    std::uint32_t flags_;
    std::string message_;
};

[[noreturn]] inline void fail(zb_status code, std::string message, std::int32_t detail = 0,
                              std::uint32_t flags = 0) {
    throw Failure(code, std::move(message), detail, flags);
}

/// Writes {ZB_OK, 0, 0, ""} (out may be NULL).
void set_ok(zb_error* out) noexcept;
/// Writes a failure; the message is truncated on a UTF-8 boundary (out may be NULL).
void set_error(zb_error* out, zb_status code, std::int32_t detail, std::uint32_t flags,
               std::string_view message) noexcept;

/// Maps a wire/core error code onto the C status (detail = the wire code).
zb_status status_of(protocol::Errc code) noexcept;
/// Retry hints for a wire/core error code.
std::uint32_t flags_of(protocol::Errc code) noexcept;
/// Throws a Failure for a core/protocol error.
[[noreturn]] void fail_with(const protocol::Error& e);

/// Unwraps a core Result, throwing a Failure for an error.
template <class T>
T take(protocol::Result<T>&& r) {
    if (!r.ok()) fail_with(r.error());
    return std::move(r).value();
}
inline void take(protocol::Result<void>&& r) {
    if (!r.ok()) fail_with(r.error());
}

/// Runs the body of one C entry point. Every exception becomes a status; `out` is always
/// written. The body returns void; it reports failure only by throwing.
template <class F>
zb_status try_call(zb_error* out, F&& body) noexcept {
    try {
        body();
        set_ok(out);
        return ZB_OK;
    } catch (const Failure& e) {
        set_error(out, e.code(), e.detail(), e.flags(), e.message());
        return e.code();
    } catch (const core::StoreError& e) {
        const protocol::Errc c = e.error().code;
        set_error(out, status_of(c), static_cast<std::int32_t>(c), flags_of(c), e.error().message);
        return status_of(c);
    } catch (const std::bad_alloc&) {
        set_error(out, ZB_ERR_NO_MEMORY, 0, 0, "out of memory");
        return ZB_ERR_NO_MEMORY;
    } catch (const std::exception& e) {
        set_error(out, ZB_ERR_INTERNAL, 0, 0, std::string("internal error: ") + e.what());
        return ZB_ERR_INTERNAL;
    } catch (...) {
        set_error(out, ZB_ERR_INTERNAL, 0, 0, "internal error: unknown exception");
        return ZB_ERR_INTERNAL;
    }
}

/// Throws ZB_ERR_MISUSE naming the parameter when `p` is NULL.
template <class P>
void require(const P* p, const char* what) {
    if (p == nullptr) fail(ZB_ERR_MISUSE, std::string(what) + " must not be NULL");
}

/// A zb_str as a string_view; MISUSE when data is NULL with a non-zero size.
std::string_view view(zb_str s, const char* what);
/// Copies bytes into library-allocated zb_bytes (malloc; freed by zb_bytes_free).
zb_bytes make_bytes(std::string_view data);

// ---- listeners --------------------------------------------------------------------------------

/// Type-erased owner of listeners, so one zb_listener token type serves every kind.
class ListenerOwner {
public:
    virtual ~ListenerOwner() = default;
    virtual void remove(std::uint64_t id) noexcept = 0;
};

/// One registered callback. userdata_free runs in the destructor, i.e. once the entry was
/// removed and no dispatch holds it any more: exactly once, after the last call.
template <class Fn>
struct ListenerEntry {
    Fn fn = nullptr;
    void* userdata = nullptr;
    zb_userdata_free_fn userdata_free = nullptr;
    std::atomic<bool> removed{false};

    ListenerEntry(Fn f, void* u, zb_userdata_free_fn uf) : fn(f), userdata(u), userdata_free(uf) {}
    ~ListenerEntry() {
        if (userdata_free != nullptr) userdata_free(userdata);
    }
    ListenerEntry(const ListenerEntry&) = delete;
    ListenerEntry& operator=(const ListenerEntry&) = delete;
};

/// A set of listeners of one callback type. Dispatch works on a snapshot taken under the lock
/// and calls out with no lock held, so callbacks may add or remove listeners.
template <class Fn>
class ListenerSet final : public ListenerOwner {
public:
    using Entry = ListenerEntry<Fn>;

    std::uint64_t add(Fn fn, void* userdata, zb_userdata_free_fn userdata_free) {
        // userdata_free is attached only once nothing can throw any more: if registration
        // fails, the caller keeps ownership of userdata (zb_base.h, "Callbacks").
        auto entry = std::make_shared<Entry>(fn, userdata, nullptr);
        std::lock_guard lock(mu_);
        const std::uint64_t id = next_ + 1;
        entries_.emplace(id, entry);
        next_ = id;
        entry->userdata_free = userdata_free;
        return id;
    }

    void remove(std::uint64_t id) noexcept override {
        std::shared_ptr<Entry> victim;
        {
            std::lock_guard lock(mu_);
            auto it = entries_.find(id);
            if (it == entries_.end()) return;
            victim = std::move(it->second);
            entries_.erase(it);
        }
        victim->removed.store(true);
        // `victim` is released here, outside the lock; if a dispatch still holds the entry,
        // userdata_free runs when that call ends.
    }

    bool empty() {
        std::lock_guard lock(mu_);
        return entries_.empty();
    }

    /// Removes every listener (owner shutting down).
    void clear() noexcept {
        std::map<std::uint64_t, std::shared_ptr<Entry>> old;
        {
            std::lock_guard lock(mu_);
            old.swap(entries_);
        }
        for (auto& [id, e] : old)
            e->removed.store(true);
    }

    /// Calls `call(fn, userdata)` for every listener not removed.
    template <class Call>
    void dispatch(Call&& call) noexcept {
        std::vector<std::shared_ptr<Entry>> snapshot;
        try {
            std::lock_guard lock(mu_);
            snapshot.reserve(entries_.size());
            for (auto& [id, e] : entries_)
                snapshot.push_back(e);
        } catch (...) {
            return;  // out of memory: drop this notification rather than unwind into C
        }
        for (auto& e : snapshot) {
            if (!e->removed.load()) call(e->fn, e->userdata);
        }
    }

private:
    std::mutex mu_;
    std::uint64_t next_ = 0;
    std::map<std::uint64_t, std::shared_ptr<Entry>> entries_;
};

}  // namespace zb::capi

/// The token behind zb_listener: a weak reference to the owning set and the entry id, so removing
/// after the owner was freed is harmless.
struct zb_listener {
    std::weak_ptr<zb::capi::ListenerOwner> owner;
    std::uint64_t id = 0;
};

namespace zb::capi {

/// Registers a listener and hands out a token; the shared part of every *_add_*_listener.
template <class Fn>
void add_listener(const std::shared_ptr<ListenerSet<Fn>>& set, Fn fn, void* userdata,
                  zb_userdata_free_fn userdata_free, zb_listener** out_token) {
    // Allocate the token first so that a failure leaves userdata with the caller.
    auto token = std::make_unique<zb_listener>();
    token->owner = set;
    token->id = set->add(fn, userdata, userdata_free);
    *out_token = token.release();
}

}  // namespace zb::capi
