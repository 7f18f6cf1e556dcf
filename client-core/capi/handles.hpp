// SPDX-License-Identifier: Apache-2.0
// What the opaque C handles hold. zb_db wraps a shared DbState (the Replica, the key material,
// the sync client while a session exists, listeners and the notification thread); zb_sync wraps
// a SyncState that keeps the DbState alive. A closed handle keeps its state object, which
// answers ZB_ERR_CLOSED. Not exported: everything here has hidden visibility.
#pragma once

#include "capi_util.hpp"

#include "zb/core/replica.hpp"
#include "zb/crypto/secret_key.hpp"
#include "zb/net/sync_client.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace zb::capi {

/// One library-owned thread per replica that delivers every callback (change, status, progress)
/// in order, so user code never runs on the sync thread or under an internal lock. Started on
/// the first post.
class Notifier {
public:
    Notifier() = default;
    ~Notifier() { stop(); }
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    /// Queues `fn`; drops it if out of memory or stopped (callbacks are best-effort signals).
    void post(std::function<void()> fn) noexcept;
    /// Delivers what is queued, then ends the thread. From the notifier thread itself it only
    /// asks the thread to end after the current callback.
    void stop() noexcept;
    bool on_notifier_thread() const noexcept;

private:
    void run();

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    std::thread thread_;
    std::thread::id thread_id_;
    bool stopping_ = false;
};

/// Key material from the configuration, in guarded memory.
struct Secret {
    std::optional<crypto::SecretKey> key;            ///< raw 256-bit key mode
    std::optional<crypto::SecretBuffer> passphrase;  ///< passphrase mode
    std::string_view passphrase_view() const {
        if (!passphrase) return {};
        return {reinterpret_cast<const char*>(passphrase->data()), passphrase->size()};
    }
};

using ChangeListeners = ListenerSet<zb_change_fn>;

class DbState : public std::enable_shared_from_this<DbState> {
public:
    /// Runs `f(replica)` serialised with every other use: on the sync client's thread while a
    /// session exists (the client owns the Replica then), else under `mu`. ZB_ERR_CLOSED when
    /// closed.
    template <class F>
    auto with_replica(F&& f) -> decltype(f(std::declval<core::Replica&>())) {
        std::lock_guard lock(mu);
        if (!replica) closed_failure();
        if (client) return client->run(f);
        return f(*replica);
    }
    [[noreturn]] void closed_failure() const;

    /// Stops and destroys the sync client (waiting for a running zb_sync_once to return).
    /// Called with `lock` held on `mu`; releases it while waiting.
    void drop_client(std::unique_lock<std::mutex>& lock);
    /// Closes everything; ZB_OK when already closed. Not from the notifier thread.
    void close();

    std::mutex mu;
    std::condition_variable ops_cv;
    std::unique_ptr<core::Replica> replica;  ///< null once closed or wiped
    bool wiped = false;
    std::string path;
    Secret secret;
    /// The session's client. Owned here (not by zb_sync) because it borrows the Replica, which
    /// must outlive it; zb_db_close destroys it first.
    std::unique_ptr<net::SyncClient> client;
    const void* session_owner = nullptr;  ///< the SyncState owning `client`, if any
    int running_ops = 0;                  ///< blocking sync calls in progress on `client`

    std::shared_ptr<ChangeListeners> listeners = std::make_shared<ChangeListeners>();
    std::shared_ptr<Notifier> notifier = std::make_shared<Notifier>();
};

/// Opens the replica at state.path with state.secret (the encrypting opener over zb_crypto).
/// Throws Failure (ZB_ERR_CRYPTO for a wrong key or passphrase).
std::unique_ptr<core::Replica> open_replica(DbState& state);

}  // namespace zb::capi

struct zb_db {
    std::shared_ptr<zb::capi::DbState> state;
};
