// SPDX-License-Identifier: Apache-2.0
// The zb_db_* shims (zb_db.h): configuration, open/close/free, keys, JSON reads and writes,
// commands, conflicts, rejected changes and change listeners, plus the notification thread and
// the DbState lifecycle they share with zb_sync. Each entry point is one try_call around the
// C++ Replica; no logic of its own beyond argument checks and JSON conversion.

#include "capi_util.hpp"
#include "handles.hpp"
#include "json_values.hpp"

#include "zb/crypto/encrypted_db.hpp"

#include <cstring>
#include <string>
#include <utility>

struct zb_db_config {
    std::string path;
    zb::capi::Secret secret;
};

namespace zb::capi {

[[noreturn]] void fail_crypto(const crypto::Error& e);  // encrypted_opener.cpp

// ---- Notifier -----------------------------------------------------------------------------

void Notifier::post(std::function<void()> fn) noexcept {
    try {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        queue_.push_back(std::move(fn));
        if (!thread_.joinable()) {
            thread_ = std::thread([this] { run(); });
            thread_id_ = thread_.get_id();
        }
        cv_.notify_one();
    } catch (...) {
        // Out of memory or no thread: drop the notification rather than unwind into C.
    }
}

void Notifier::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        auto fn = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        fn();
        lock.lock();
    }
}

bool Notifier::on_notifier_thread() const noexcept {
    std::lock_guard lock(mu_);
    return thread_.joinable() && std::this_thread::get_id() == thread_id_;
}

void Notifier::stop() noexcept {
    std::thread t;
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
        cv_.notify_all();
        t = std::move(thread_);
    }
    if (!t.joinable()) return;
    if (t.get_id() == std::this_thread::get_id()) {
        t.detach();  // freed from inside a callback (documented misuse): let the thread end
    } else {
        t.join();
    }
}

// ---- DbState ------------------------------------------------------------------------------

void DbState::closed_failure() const {
    if (wiped) fail(ZB_ERR_CLOSED, "the replica was wiped");
    fail(ZB_ERR_CLOSED, "the replica is closed");
}

void DbState::drop_client(std::unique_lock<std::mutex>& lock) {
    if (!client) return;
    client->stop();  // aborts a running sync_once promptly
    ops_cv.wait(lock, [this] { return running_ops == 0; });
    // Destroyed with `mu` held: the client thread never takes `mu` (its callbacks only queue),
    // and nobody may reach the Replica directly while the client thread winds down.
    auto doomed = std::move(client);
    session_owner = nullptr;
    doomed.reset();  // joins the client thread (bounded by stop_timeout)
}

void DbState::close() {
    std::unique_lock lock(mu);
    drop_client(lock);
    if (!replica) return;
    auto r = replica->close();
    replica.reset();
    if (!r.ok()) fail_with(r.error());
}

namespace {

std::shared_ptr<DbState> state_of(zb_db* db) {
    require(db, "db");
    if (!db->state) fail(ZB_ERR_MISUSE, "db handle is invalid");
    return db->state;
}

zb_change_origin origin_of(core::ChangeEvent::Source s) {
    switch (s) {
        case core::ChangeEvent::Source::Local:
            return ZB_CHANGE_LOCAL;
        case core::ChangeEvent::Source::Remote:
            return ZB_CHANGE_REMOTE;
        case core::ChangeEvent::Source::Settled:
            return ZB_CHANGE_REJECTED;
    }
    return ZB_CHANGE_REMOTE;
}

/// Forwards the Replica's change events to the notification thread. Runs on whichever thread
/// used the Replica, possibly under DbState::mu, so it only queues.
void install_change_forwarder(const std::shared_ptr<DbState>& state) {
    std::weak_ptr<ChangeListeners> listeners = state->listeners;
    std::weak_ptr<Notifier> notifier = state->notifier;
    state->replica->add_listener([listeners, notifier](const core::ChangeEvent& ev) {
        auto set = listeners.lock();
        auto n = notifier.lock();
        if (!set || !n || set->empty()) return;
        const zb_change_origin origin = origin_of(ev.source);
        n->post([set, rows = ev.rows, origin] {
            for (const auto& r : rows) {
                set->dispatch([&](zb_change_fn fn, void* userdata) {
                    fn(userdata, zb_str{r.table.data(), r.table.size()},
                       zb_str{r.row.data(), r.row.size()}, origin);
                });
            }
        });
    });
}

std::string nonempty(zb_str s, const char* what) {
    std::string v(view(s, what));
    if (v.empty()) fail(ZB_ERR_INVALID_ARGUMENT, std::string(what) + " must not be empty");
    return v;
}

void check_out(zb_bytes* out) {
    require(out, "out_json");
    *out = zb_bytes{nullptr, 0};
}

crypto::SecretKey key_from(const uint8_t* key, size_t size) {
    require(key, "key");
    if (size != ZB_KEY_BYTES) {
        fail(ZB_ERR_INVALID_ARGUMENT, "key must be " + std::to_string(ZB_KEY_BYTES) + " bytes");
    }
    auto r = crypto::SecretKey::from_bytes({key, size});
    if (!r.ok()) fail_crypto(r.error());
    return std::move(r).value();
}

crypto::SecretBuffer passphrase_from(std::string_view p) {
    if (p.empty()) fail(ZB_ERR_INVALID_ARGUMENT, "passphrase must not be empty");
    crypto::SecretBuffer b(p.size());
    std::memcpy(b.data(), p.data(), p.size());
    return b;
}

nlohmann::json cell_json(const merge::Cell& c) {
    return {{"value", value_to_json(c.value)},
            {"hlc", std::to_string(c.hlc.raw)},
            {"origin", std::to_string(c.origin)},
            {"base", std::to_string(c.base.raw)}};
}

nlohmann::json change_json(const protocol::Change& c) {
    return {{"table", c.table},
            {"row", c.row},
            {"column", c.column},
            {"op", static_cast<int>(c.op)},
            {"value", value_to_json(c.value)},
            {"seq", c.seq}};
}

}  // namespace
}  // namespace zb::capi

using namespace zb::capi;  // NOLINT(google-build-using-namespace): entry points only

extern "C" {

// ---- configuration ------------------------------------------------------------------------

ZB_API zb_status zb_db_config_new(zb_db_config** out_config, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(out_config, "out_config");
        *out_config = nullptr;
        *out_config = new zb_db_config();
    });
}

ZB_API void zb_db_config_free(zb_db_config* config) noexcept {
    delete config;
}

ZB_API zb_status zb_db_config_set_path(zb_db_config* config, zb_str path,
                                       zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(config, "config");
        std::string p = nonempty(path, "path");
        if (p.find('\0') != std::string::npos) {
            fail(ZB_ERR_INVALID_ARGUMENT, "path must not contain a NUL byte");
        }
        config->path = std::move(p);
    });
}

ZB_API zb_status zb_db_config_set_key(zb_db_config* config, const uint8_t* key, size_t key_size,
                                      zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(config, "config");
        config->secret.key = key_from(key, key_size);
        config->secret.passphrase.reset();
    });
}

ZB_API zb_status zb_db_config_set_passphrase(zb_db_config* config, zb_str passphrase,
                                             zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(config, "config");
        config->secret.passphrase = passphrase_from(view(passphrase, "passphrase"));
        config->secret.key.reset();
    });
}

// ---- lifecycle ------------------------------------------------------------------------------

ZB_API zb_status zb_db_open(const zb_db_config* config, zb_db** out_db,
                            zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(out_db, "out_db");
        *out_db = nullptr;
        require(config, "config");
        if (config->path.empty()) fail(ZB_ERR_INVALID_ARGUMENT, "config has no path");
        if (!config->secret.key && !config->secret.passphrase) {
            fail(ZB_ERR_MISUSE, "config has neither a key nor a passphrase");
        }
        auto state = std::make_shared<DbState>();
        state->path = config->path;
        if (config->secret.key) {
            state->secret.key = key_from(config->secret.key->data(), ZB_KEY_BYTES);
        } else {
            state->secret.passphrase = passphrase_from(config->secret.passphrase_view());
        }
        state->replica = open_replica(*state);
        install_change_forwarder(state);
        auto handle = std::make_unique<zb_db>();
        handle->state = std::move(state);
        *out_db = handle.release();
    });
}

ZB_API zb_status zb_db_close(zb_db* db, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto s = state_of(db);
        if (s->notifier->on_notifier_thread()) {
            fail(ZB_ERR_MISUSE, "zb_db_close must not be called from a listener");
        }
        s->close();
    });
}

ZB_API void zb_db_free(zb_db* db) noexcept {
    if (db == nullptr) return;
    if (db->state) {
        try {
            db->state->close();
        } catch (...) {
            // zb_db_free cannot fail: close errors are dropped (call zb_db_close to see them).
        }
        db->state->listeners->clear();
        db->state->notifier->stop();
    }
    delete db;
}

ZB_API zb_status zb_db_rekey(zb_db* db, const uint8_t* new_key, size_t new_key_size,
                             zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto s = state_of(db);
        std::unique_lock lock(s->mu);
        if (!s->replica) s->closed_failure();
        if (s->client) fail(ZB_ERR_BUSY, "free the sync session before rekeying");
        if (s->secret.key) {
            auto fresh = key_from(new_key, new_key_size);
            // The file can only be rewritten with no connection open: close, rotate, reopen.
            take(s->replica->close());
            s->replica.reset();
            auto r = zb::crypto::rekey_file(s->path, *s->secret.key, fresh);
            if (r.ok()) s->secret.key = std::move(fresh);
            s->replica = open_replica(*s);  // with the new key, or the old one after a failure
            install_change_forwarder(s);
            if (!r.ok()) fail_crypto(r.error());
        } else {
            if (new_key != nullptr || new_key_size != 0) {
                fail(ZB_ERR_INVALID_ARGUMENT,
                     "a passphrase replica rotates its own key: pass NULL and 0");
            }
            take(s->replica->close());
            s->replica.reset();
            auto r = zb::crypto::rekey(s->path, s->secret.passphrase_view());
            s->replica = open_replica(*s);
            install_change_forwarder(s);
            if (!r.ok()) fail_crypto(r.error());
        }
    });
}

ZB_API zb_status zb_db_change_passphrase(zb_db* db, zb_str old_passphrase, zb_str new_passphrase,
                                         zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto s = state_of(db);
        auto old_p = view(old_passphrase, "old_passphrase");
        auto new_p = view(new_passphrase, "new_passphrase");
        if (new_p.empty()) fail(ZB_ERR_INVALID_ARGUMENT, "new_passphrase must not be empty");
        std::lock_guard lock(s->mu);
        if (!s->replica) s->closed_failure();
        if (!s->secret.passphrase) {
            fail(ZB_ERR_MISUSE, "this replica was opened with a raw key, not a passphrase");
        }
        auto next = passphrase_from(new_p);
        auto r = zb::crypto::change_passphrase(s->path, old_p, new_p);
        if (!r.ok()) fail_crypto(r.error());
        s->secret.passphrase = std::move(next);
    });
}

ZB_API zb_status zb_db_wipe(zb_db* db, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto s = state_of(db);
        if (s->notifier->on_notifier_thread()) {
            fail(ZB_ERR_MISUSE, "zb_db_wipe must not be called from a listener");
        }
        std::unique_lock lock(s->mu);
        s->drop_client(lock);
        if (!s->replica) s->closed_failure();
        s->replica->wipe("wiped by the app");
        s->replica.reset();
        s->wiped = true;
    });
}

// ---- data -----------------------------------------------------------------------------------

ZB_API zb_status zb_db_write(zb_db* db, zb_str table, zb_str row, zb_str json_values,
                             zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto s = state_of(db);
        const std::string t(view(table, "table"));
        const std::string r = nonempty(row, "row");
        const auto values = values_from_json(view(json_values, "json_values"));
        s->with_replica([&](zb::core::Replica& rep) { take(rep.write(t, r, values)); });
    });
}

ZB_API zb_status zb_db_increment(zb_db* db, zb_str table, zb_str row, zb_str column, int64_t delta,
                                 zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto s = state_of(db);
        const std::string t(view(table, "table"));
        const std::string r = nonempty(row, "row");
        const std::string c = nonempty(column, "column");
        s->with_replica([&](zb::core::Replica& rep) { take(rep.increment(t, r, c, delta)); });
    });
}

ZB_API zb_status zb_db_read(zb_db* db, zb_str table, zb_str row, zb_bytes* out_json,
                            zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        check_out(out_json);
        auto s = state_of(db);
        const std::string t(view(table, "table"));
        const std::string r(view(row, "row"));
        auto values = s->with_replica([&](zb::core::Replica& rep) { return take(rep.read(t, r)); });
        if (!values) fail(ZB_ERR_NOT_FOUND, "no such row");
        *out_json = make_bytes(dump(values_to_json(*values)));
    });
}

ZB_API zb_status zb_db_query(zb_db* db, zb_str table, zb_bytes* out_json_array,
                             zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        check_out(out_json_array);
        auto s = state_of(db);
        const std::string t(view(table, "table"));
        auto rows = s->with_replica([&](zb::core::Replica& rep) { return take(rep.scan(t)); });
        auto arr = nlohmann::json::array();
        for (const auto& row : rows) {
            arr.push_back({{"id", row.id}, {"values", values_to_json(row.values)}});
        }
        *out_json_array = make_bytes(dump(arr));
    });
}

ZB_API zb_status zb_db_remove(zb_db* db, zb_str table, zb_str row, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto s = state_of(db);
        const std::string t(view(table, "table"));
        const std::string r = nonempty(row, "row");
        s->with_replica([&](zb::core::Replica& rep) { take(rep.remove(t, r)); });
    });
}

ZB_API zb_status zb_db_restore(zb_db* db, zb_str table, zb_str row, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto s = state_of(db);
        const std::string t(view(table, "table"));
        const std::string r = nonempty(row, "row");
        s->with_replica([&](zb::core::Replica& rep) { take(rep.restore(t, r)); });
    });
}

ZB_API zb_status zb_db_submit_command(zb_db* db, zb_str family, zb_str name, zb_str json_args,
                                      zb_bytes* out_command_id, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        if (out_command_id != nullptr) *out_command_id = zb_bytes{nullptr, 0};
        auto s = state_of(db);
        const std::string f = nonempty(family, "family");
        const std::string n = nonempty(name, "name");
        const std::string a(view(json_args, "json_args"));
        if (!nlohmann::json::accept(a)) fail(ZB_ERR_INVALID_ARGUMENT, "json_args is not JSON");
        auto id = s->with_replica(
            [&](zb::core::Replica& rep) { return take(rep.submit_command(f, n, a)); });
        if (out_command_id != nullptr) *out_command_id = make_bytes(id);
    });
}

ZB_API zb_status zb_db_commands(zb_db* db, zb_bytes* out_json, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        check_out(out_json);
        auto s = state_of(db);
        auto cmds = s->with_replica([&](zb::core::Replica& rep) { return take(rep.commands()); });
        auto arr = nlohmann::json::array();
        for (const auto& c : cmds) {
            static constexpr const char* kStatus[] = {"pending", "accepted", "rejected"};
            arr.push_back({{"id", c.id},
                           {"family", c.family},
                           {"name", c.name},
                           {"args", c.args_json},
                           {"seq", c.seq},
                           {"status", kStatus[static_cast<int>(c.status) % 3]},
                           {"code", static_cast<int>(c.code)},
                           {"message", c.message}});
        }
        *out_json = make_bytes(dump(arr));
    });
}

ZB_API zb_status zb_db_pending_count(zb_db* db, int64_t* out_count, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(out_count, "out_count");
        auto s = state_of(db);
        auto n = s->with_replica([&](zb::core::Replica& rep) { return take(rep.outbox_size()); });
        *out_count = static_cast<int64_t>(n);
    });
}

// ---- conflicts and rejected changes
// --------------------------------------------------------------

ZB_API zb_status zb_db_conflicts(zb_db* db, zb_bytes* out_json, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        check_out(out_json);
        auto s = state_of(db);
        auto cs = s->with_replica([&](zb::core::Replica& rep) { return take(rep.conflicts()); });
        auto arr = nlohmann::json::array();
        for (const auto& c : cs) {
            auto losers = nlohmann::json::array();
            for (const auto& l : c.losers)
                losers.push_back(cell_json(l));
            arr.push_back({{"table", c.table},
                           {"row", c.row},
                           {"column", c.column},
                           {"winner", cell_json(c.winner)},
                           {"losers", losers}});
        }
        *out_json = make_bytes(dump(arr));
    });
}

ZB_API zb_status zb_db_resolve_conflict(zb_db* db, zb_str table, zb_str row, zb_str column,
                                        zb_str json_value, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto s = state_of(db);
        const std::string t(view(table, "table"));
        const std::string r = nonempty(row, "row");
        const std::string c = nonempty(column, "column");
        const auto v = value_from_json_text(view(json_value, "json_value"));
        s->with_replica([&](zb::core::Replica& rep) { take(rep.resolve(t, r, c, v)); });
    });
}

ZB_API zb_status zb_db_rejected(zb_db* db, zb_bytes* out_json, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        check_out(out_json);
        auto s = state_of(db);
        auto rs = s->with_replica([&](zb::core::Replica& rep) { return take(rep.rejected()); });
        auto arr = nlohmann::json::array();
        for (const auto& r : rs) {
            auto j = change_json(r.change);
            j["id"] = r.id;
            j["code"] = static_cast<int>(r.code);
            j["status"] = zb_status_name(status_of(r.code));
            j["message"] = r.message;
            arr.push_back(std::move(j));
        }
        *out_json = make_bytes(dump(arr));
    });
}

ZB_API zb_status zb_db_dismiss_rejected(zb_db* db, int64_t id, zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        auto s = state_of(db);
        s->with_replica([&](zb::core::Replica& rep) {
            auto r = rep.dismiss_rejected(id);
            if (!r.ok() && r.error().code == zb::core::Errc::BadValue) {
                fail(ZB_ERR_NOT_FOUND, "no rejected change with id " + std::to_string(id));
            }
            take(std::move(r));
        });
    });
}

// ---- listeners ----------------------------------------------------------------------------

ZB_API zb_status zb_db_add_listener(zb_db* db, zb_change_fn fn, void* userdata,
                                    zb_userdata_free_fn userdata_free, zb_listener** out_token,
                                    zb_error* out_error) noexcept {
    return try_call(out_error, [&] {
        require(out_token, "out_token");
        *out_token = nullptr;
        auto s = state_of(db);
        if (fn == nullptr) fail(ZB_ERR_MISUSE, "fn must not be NULL");
        {
            std::lock_guard lock(s->mu);
            if (!s->replica) s->closed_failure();
        }
        add_listener(s->listeners, fn, userdata, userdata_free, out_token);
    });
}

ZB_API void zb_listener_remove(zb_listener* token) noexcept {
    if (token == nullptr) return;
    if (auto owner = token->owner.lock()) owner->remove(token->id);
    delete token;
}

}  // extern "C"
