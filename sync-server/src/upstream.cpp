// SPDX-License-Identifier: Apache-2.0
// The college side of tiers, without I/O (see upstream.hpp): configuration, the link's durable
// state, the upstream key, and RelayEngine. One request is outstanding at a time (a RelayPush or a
// Pull), so every answer is matched without ids and a crash re-sends at most one page: the relay
// cursor moves only after the RelayAck (the upstream made the page durable), the pull cursor only
// after the page is committed here; both sides are idempotent per (origin, seq) / by merge.
#include "zb/server/upstream.hpp"

#include "sqlite.hpp"

#include "zb/merge/merge.hpp"
#include "zb/server/log.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace zb::server {

using protocol::Change;
using protocol::Errc;
using protocol::Message;
using protocol::Op;

// ---- configuration ----

UpstreamConfig upstream_config_from_json(const nlohmann::json& j, const std::string& data_dir) {
    if (!j.is_object()) throw std::runtime_error("upstream: expected an object");
    UpstreamConfig c;
    auto resolve = [&](const std::string& p) {
        std::filesystem::path path(p);
        return path.is_absolute() ? p : (std::filesystem::path(data_dir) / path).string();
    };
    try {
        if (j.contains("url")) {
            // wss://host:port[/] or ws://host:port (ws only with a loopback host, checked by the
            // transport).
            std::string url = j.at("url").get<std::string>();
            std::string rest;
            if (url.rfind("wss://", 0) == 0) {
                rest = url.substr(6);
            } else if (url.rfind("ws://", 0) == 0) {
                rest = url.substr(5);
                c.plaintext = true;
            } else {
                throw std::runtime_error("upstream.url: expected wss://host:port");
            }
            if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
            auto colon = rest.rfind(':');
            if (colon == std::string::npos) throw std::runtime_error("upstream.url: no port");
            c.host = rest.substr(0, colon);
            c.port = static_cast<std::uint16_t>(std::stoul(rest.substr(colon + 1)));
        }
        if (j.contains("host")) c.host = j.at("host").get<std::string>();
        if (j.contains("port")) c.port = j.at("port").get<std::uint16_t>();
        c.pin = j.value("pin", c.pin);
        c.plaintext = j.value("plaintext", c.plaintext);
        c.enroll_code = j.value("enroll_code", c.enroll_code);
        c.key_file = resolve(j.value("key_file", std::string("upstream.key")));
        c.state_file = resolve(j.value("state_file", std::string("upstream.db")));
        if (j.contains("interval_s"))
            c.interval_ms = j.at("interval_s").get<std::uint64_t>() * 1000;
        c.live = j.value("live", c.live);
        c.relay_batch = j.value("relay_batch", c.relay_batch);
        c.pull_limit = j.value("pull_limit", c.pull_limit);
        c.name = j.value("name", c.name);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("upstream: ") + e.what());
    }
    if (c.host.empty() || c.port == 0) throw std::runtime_error("upstream: host and port required");
    if (c.pin.empty() && !c.plaintext) throw std::runtime_error("upstream: pin required");
    if (c.relay_batch == 0 || c.pull_limit == 0 || c.interval_ms == 0)
        throw std::runtime_error("upstream: relay_batch, pull_limit and interval_s must be > 0");
    return c;
}

// ---- durable state ----

namespace {

const char* kStateSql = R"sql(
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS refusals(
  origin INTEGER NOT NULL, seq INTEGER NOT NULL, code INTEGER NOT NULL, message TEXT NOT NULL,
  tbl TEXT NOT NULL, rid TEXT NOT NULL, col TEXT NOT NULL, op INTEGER NOT NULL,
  hlc INTEGER NOT NULL, time_ms INTEGER NOT NULL, PRIMARY KEY(origin, seq)) WITHOUT ROWID;
)sql";

class SqliteUpstreamState final : public UpstreamState {
public:
    explicit SqliteUpstreamState(const std::string& path) : db_(path) {
        db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
        db_.exec(kStateSql);
    }
    std::uint64_t relay_cursor() override { return get("relay_cursor"); }
    void set_relay_cursor(std::uint64_t c) override { put("relay_cursor", c); }
    std::uint64_t pull_cursor() override { return get("pull_cursor"); }
    void set_pull_cursor(std::uint64_t c) override { put("pull_cursor", c); }
    protocol::DeviceId device() override { return get("device"); }
    void set_device(protocol::DeviceId d) override { put("device", d); }

    void record_refusal(const RelayRefusal& r) override {
        // Values stay in the college's own store (and change log); only the address and reason
        // are kept here.
        auto s = db_.prepare(
            "INSERT OR REPLACE INTO refusals(origin,seq,code,message,tbl,rid,col,op,hlc,time_ms) "
            "VALUES(?,?,?,?,?,?,?,?,?,?)");
        s->bind(1, r.change.origin)
            .bind(2, r.change.seq)
            .bind(3, static_cast<int>(r.code))
            .bind(4, std::string_view(r.message))
            .bind(5, std::string_view(r.change.table))
            .bind(6, std::string_view(r.change.row))
            .bind(7, std::string_view(r.change.column))
            .bind(8, static_cast<int>(r.change.op))
            .bind(9, r.change.hlc.raw)
            .bind(10, r.time_ms);
        s->exec();
    }

    std::vector<RelayRefusal> refusals() override {
        auto s = db_.prepare(
            "SELECT origin,seq,code,message,tbl,rid,col,op,hlc,time_ms FROM refusals "
            "ORDER BY time_ms, origin, seq");
        std::vector<RelayRefusal> out;
        while (s->step()) {
            RelayRefusal r;
            r.change.origin = s->u64(0);
            r.change.seq = s->u64(1);
            r.code = static_cast<Errc>(s->i64(2));
            r.message = s->text(3);
            r.change.table = s->text(4);
            r.change.row = s->text(5);
            r.change.column = s->text(6);
            r.change.op = static_cast<Op>(s->i64(7));
            r.change.hlc = protocol::Hlc{s->u64(8)};
            r.time_ms = s->u64(9);
            out.push_back(std::move(r));
        }
        return out;
    }

private:
    std::uint64_t get(const char* k) {
        auto s = db_.prepare("SELECT v FROM meta WHERE k=?");
        s->bind(1, std::string_view(k));
        return s->step() ? s->u64(0) : 0;
    }
    void put(const char* k, std::uint64_t v) {
        auto s = db_.prepare(
            "INSERT INTO meta(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v");
        s->bind(1, std::string_view(k)).bind(2, v);
        s->exec();
    }
    sql::Db db_;
};

}  // namespace

std::unique_ptr<UpstreamState> open_upstream_state(const std::string& path) {
    try {
        return std::make_unique<SqliteUpstreamState>(path);
    } catch (const sql::SqliteError& e) {
        throw std::runtime_error(std::string("upstream state: ") + e.what());
    }
}

// ---- key ----

protocol::DeviceId UpstreamKey::id() const {
    return device_id_from_key(public_key);
}

Bytes UpstreamKey::sign(const Bytes& message) const {
    Bytes sig(crypto_sign_BYTES);
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_key.data());
    return sig;
}

UpstreamKey load_or_create_upstream_key(const std::string& path) {
    crypto_init();
    UpstreamKey k;
    k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
    k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
    if (std::filesystem::exists(path)) {
        std::ifstream in(path, std::ios::binary);
        in.read(reinterpret_cast<char*>(k.secret_key.data()),
                static_cast<std::streamsize>(k.secret_key.size()));
        if (in.gcount() != static_cast<std::streamsize>(k.secret_key.size()) ||
            in.peek() != std::char_traits<char>::eof())
            throw std::runtime_error("upstream key file " + path + ": expected 64 bytes");
        crypto_sign_ed25519_sk_to_pk(k.public_key.data(), k.secret_key.data());
        return k;
    }
    crypto_sign_keypair(k.public_key.data(), k.secret_key.data());
    // Written to a temp file and renamed, so a crash never leaves half a key.
    const std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create upstream key file " + path);
    bool ok = ::write(fd, k.secret_key.data(), k.secret_key.size()) ==
                  static_cast<ssize_t>(k.secret_key.size()) &&
              ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error("cannot write upstream key file " + path);
    return k;
}

// ---- engine ----

RelayEngine::RelayEngine(ServerContext& local, UpstreamState& state, const UpstreamConfig& config,
                         const UpstreamKey& key, std::function<void(const CommitInfo&)> publish)
    : local_(local), state_(state), config_(config), key_(key), publish_(std::move(publish)) {}

bool RelayEngine::idle() const {
    return phase_ == Phase::Ready && !relay_out_ && !pull_out_ && !relay_wanted_ && !pull_wanted_;
}

std::vector<Message> RelayEngine::fail(std::string why) {
    stats_.last_error = why;
    log(LogLevel::Warn, "upstream_error", {{"reason", why}});
    close_ = true;
    return {protocol::Goodbye{Errc::Ok, "closing"}};
}

std::vector<Message> RelayEngine::on_open() {
    phase_ = Phase::AwaitWelcome;
    close_ = false;
    relay_out_.reset();
    pull_out_ = false;
    // Relay needs protocol 3; an older upstream is refused at Welcome.
    return {protocol::Hello{3, protocol::kProtocolVersion, "zhibu-college/" + config_.name,
                            state_.device()}};
}

void RelayEngine::on_closed() {
    phase_ = Phase::Closed;
    relay_out_.reset();
    pull_out_ = false;
}

std::vector<Message> RelayEngine::on_wake() {
    relay_wanted_ = true;
    pull_wanted_ = true;
    return pump();
}

bool RelayEngine::is_local(protocol::DeviceId origin) {
    if (origin == local_.store->server_device()) return true;
    auto it = local_origin_.find(origin);
    if (it != local_origin_.end()) return it->second;
    // Device ids are globally unique (BLAKE2b of the key), so "enrolled here" is provenance.
    bool here = local_.store->device(origin).has_value();
    local_origin_.emplace(origin, here);
    return here;
}

std::optional<RelayEngine::Outstanding> RelayEngine::next_relay_batch() {
    // The relay reads the college's own store as a pull over everything ("/") with sensitive
    // columns in full; what is not local is skipped, and the cursor still moves past it.
    Principal p;
    p.device = local_.store->server_device();
    p.role = Role::CollegeServer;
    p.scopes = {"/"};
    std::uint64_t cursor = state_.relay_cursor();
    for (;;) {
        auto page = local_.store->pull(p, cursor, config_.relay_batch);
        if (!page) throw std::runtime_error("local pull failed: " + page.error().message);
        Outstanding o;
        for (auto& c : page->changes)
            if (is_local(c.origin)) o.push.changes.push_back(std::move(c));
        if (!o.push.changes.empty()) {
            o.push.batch = next_batch_++;
            o.push.signature = key_.sign(protocol::relay_payload(o.push));
            o.next_cursor = page->cursor;
            return o;
        }
        if (page->cursor != cursor) state_.set_relay_cursor(page->cursor);
        cursor = page->cursor;
        if (!page->has_more) return std::nullopt;
    }
}

std::vector<Message> RelayEngine::pump() {
    if (phase_ != Phase::Ready || relay_out_ || pull_out_ || close_) return {};
    if (relay_wanted_) {
        relay_out_ = next_relay_batch();
        if (relay_out_) return {relay_out_->push};
        relay_wanted_ = false;
    }
    if (pull_wanted_) {
        pull_out_ = true;
        return {protocol::Pull{state_.pull_cursor(), config_.pull_limit}};
    }
    ++stats_.rounds;
    return {};
}

void RelayEngine::apply_downstream(const std::vector<Change>& changes) {
    if (changes.empty()) return;
    auto txn = local_.store->begin();
    const std::uint64_t head_before = local_.store->head();
    for (const auto& c : changes) {
        if (c.op == Op::Command) continue;  // never sent by a server; ignore defensively
        txn->set_current(&c);
        auto applied = merge::apply(local_.schema, txn->state(), c);
        txn->set_current(nullptr);
        if (!applied) {
            log(LogLevel::Warn, "upstream_change_refused",
                {{"origin", std::to_string(c.origin)},
                 {"seq", c.seq},
                 {"reason", applied.error().message}});
            continue;
        }
        ++stats_.pulled;
    }
    auto touched = txn->touched();
    if (auto ok = txn->commit(); !ok) throw std::runtime_error(ok.error().message);
    if (txn->head() != head_before && publish_) {
        CommitInfo ci;
        ci.cursor = txn->head();
        ci.rows = std::move(touched);
        ci.server_writes = true;  // nobody local wrote it: every reader gets Notify
        publish_(ci);
    }
}

std::vector<Message> RelayEngine::on_message(const Message& m) {
    using namespace protocol;
    if (const auto* w = std::get_if<Welcome>(&m)) {
        if (phase_ != Phase::AwaitWelcome) return fail("unexpected welcome");
        if (w->version < 3) return fail("upstream does not speak protocol 3 (relay)");
        challenge_ = w->challenge;
        if (state_.device() == 0) {
            if (config_.enroll_code.empty())
                return fail("not enrolled upstream and no enroll_code configured");
            phase_ = Phase::AwaitEnrolled;
            return {Enroll{config_.enroll_code, key_.public_key, config_.name}};
        }
        phase_ = Phase::AwaitAuthOk;
        return {Auth{state_.device(), key_.sign(auth_payload(challenge_, state_.device())), ""}};
    }
    if (const auto* e = std::get_if<Enrolled>(&m)) {
        if (phase_ != Phase::AwaitEnrolled) return fail("unexpected enrolled");
        if (e->device != key_.id()) return fail("upstream assigned an unexpected device id");
        if (e->role != role_name(Role::CollegeServer))
            return fail("enrolled upstream with role " + e->role + ", not college_server");
        state_.set_device(e->device);
        phase_ = Phase::AwaitAuthOk;
        return {Auth{e->device, key_.sign(auth_payload(challenge_, e->device)), ""}};
    }
    if (const auto* ok = std::get_if<AuthOk>(&m)) {
        if (phase_ != Phase::AwaitAuthOk) return fail("unexpected auth_ok");
        if (ok->role != role_name(Role::CollegeServer))
            return fail("upstream role is " + ok->role + ", not college_server");
        scopes_ = ok->scopes;
        phase_ = Phase::Ready;
        ++stats_.sessions;
        relay_wanted_ = pull_wanted_ = true;
        return pump();
    }
    if (const auto* ack = std::get_if<RelayAck>(&m)) {
        if (!relay_out_ || ack->batch != relay_out_->push.batch ||
            ack->results.size() != relay_out_->push.changes.size())
            return fail("relay_ack does not answer the outstanding batch");
        const std::uint64_t now = local_.now_ms();
        for (std::size_t i = 0; i < ack->results.size(); ++i) {
            const auto& r = ack->results[i];
            const Change& c = relay_out_->push.changes[i];
            if (r.origin != c.origin || r.seq != c.seq)
                return fail("relay_ack results out of order");
            ++stats_.relayed;
            if (r.code == Errc::Ok) continue;
            ++stats_.refused;
            state_.record_refusal(RelayRefusal{c, r.code, r.message, now});
            log(LogLevel::Warn, "relay_refused",
                {{"origin", std::to_string(c.origin)},
                 {"seq", c.seq},
                 {"code", static_cast<int>(r.code)},
                 {"reason", r.message}});
        }
        state_.set_relay_cursor(relay_out_->next_cursor);
        relay_out_.reset();
        return pump();
    }
    if (const auto* ch = std::get_if<Changes>(&m)) {
        if (!pull_out_) return fail("changes without a pull");
        apply_downstream(ch->changes);
        state_.set_pull_cursor(ch->cursor);
        pull_out_ = false;
        if (!ch->has_more) pull_wanted_ = false;
        return pump();
    }
    if (const auto* n = std::get_if<Notify>(&m)) {
        if (config_.live && n->cursor > state_.pull_cursor()) pull_wanted_ = true;
        return pump();
    }
    if (const auto* err = std::get_if<ErrorMsg>(&m))
        return fail("upstream error " + std::to_string(static_cast<int>(err->code)) + ": " +
                    err->message);
    if (const auto* bye = std::get_if<Goodbye>(&m)) {
        stats_.last_error = "upstream goodbye: " + bye->reason;
        close_ = true;
        return {};
    }
    if (std::get_if<Wipe>(&m)) return fail("upstream revoked this college server");
    return fail(std::string("unexpected message ") + std::string(type_name(type_of(m))));
}

}  // namespace zb::server
