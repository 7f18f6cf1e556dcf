// SPDX-License-Identifier: Apache-2.0
// The simulator's world and its checks (sim.hpp). Everything random comes from one
// std::mt19937_64 seeded by the run's seed (and libsodium's randomness from a second one), time
// is a number the loop advances, and the network is a set of per-connection FIFO queues whose
// frames the loop delivers in random order across connections, as TCP would: ordered within a
// connection, unordered between them.
//
// Schema (one table per merge policy family, rows named after their organisation so a row never
// changes scope):
//   notices   Org-visible, org column "org": title LWW, likes Counter, body KeepBoth; deletable
//   progress  owner-visible (person): pct Max, note LWW
//   ledger    owner-visible, AppendOnly, not deletable: amount
// Devices: members write notices too, and the server refuses them (Forbidden): rejections are
// part of every run.
#include "sim.hpp"

#include "simfs.hpp"

#include "zb/core/replica.hpp"
#include "zb/core/sync_engine.hpp"
#include "zb/protocol/codec.hpp"
#include "zb/server/config.hpp"
#include "zb/server/context.hpp"
#include "zb/server/ingest.hpp"
#include "zb/server/log.hpp"
#include "zb/server/scope.hpp"
#include "zb/server/session.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace zb::sim {
namespace {

using protocol::Change;
using protocol::Errc;
using protocol::Message;
using protocol::Value;

constexpr std::uint64_t kT0 = 1'760'000'000'000;  // virtual epoch

// ---- deterministic libsodium ----

std::mt19937_64 g_sodium_rng{1};

const char* rb_name() {
    return "zb-sim";
}
std::uint32_t rb_random() {
    return static_cast<std::uint32_t>(g_sodium_rng());
}
void rb_buf(void* const buf, const std::size_t size) {
    auto* p = static_cast<std::uint8_t*>(buf);
    for (std::size_t i = 0; i < size; ++i)
        p[i] = static_cast<std::uint8_t>(g_sodium_rng() >> 17);
}
randombytes_implementation g_rb = {rb_name, rb_random, nullptr, nullptr, rb_buf, nullptr};

// ---- violations ----

struct Violation : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void violate(const std::string& what) {
    throw Violation(what);
}

std::string show(const Value& v) {
    return protocol::to_display(v);
}

// ---- the world ----

struct Link {
    std::uint64_t id = 0;
    std::size_t device = 0;
    std::unique_ptr<server::SessionHandler> handler;
    std::deque<protocol::Bytes> up, down;
    bool server_closed = false;  ///< the server asked to close after `down` drains
};

struct Device {
    std::size_t index = 0;
    std::string person, role, org;
    std::string path;
    std::string enroll_code;
    std::unique_ptr<core::Replica> replica;
    std::unique_ptr<core::SyncEngine> engine;
    protocol::DeviceId id = 0;
    server::Principal principal;
    std::int64_t skew_ms = 0;
    std::uint64_t partitioned_until = 0;
    std::optional<std::uint64_t> link;
    std::uint64_t last_seq = 0;
    std::map<std::uint64_t, Change> changes;  ///< every change this device made, by seq
    std::vector<protocol::Bytes> sent;        ///< frames of earlier sessions, for replays
    std::size_t push_batch = 500;
    std::uint32_t pull_limit = 1000;
};

struct RowKey {
    std::string table, row;
    auto operator<=>(const RowKey&) const = default;
};

class World {
public:
    World(const SimOptions& o) : opt_(o), rng_(o.seed) {}

    SimResult run();

private:
    // randomness
    std::uint64_t pick(std::uint64_t lo, std::uint64_t hi) {
        return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_);
    }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

    void log(const std::string& s) {
        if (opt_.verbose) std::cerr << "[" << (now_ - kT0) << "ms] " << s << "\n";
    }

    // setup
    void open_server();
    void close_server_for_crash();
    void open_device(Device& d);
    void setup();

    // network
    void send_up(Link& l, const std::vector<Message>& msgs);
    void connect(Device& d);
    void cut(std::uint64_t link_id, const char* why);
    void deliver_up(Link& l);
    void deliver_down(Link& l);
    bool step_network();
    void wake_devices();
    Link* link_of(Device& d);

    // faults and work
    void local_write(Device& d);
    void record_changes(Device& d);
    void crash_device(Device& d);
    void crash_server();
    void replay_old_frame(Device& d);

    // end of run
    bool quiet();
    void settle();
    void heal_and_settle();
    void check();

    SimOptions opt_;
    std::mt19937_64 rng_;
    std::uint64_t now_ = kT0;
    std::int64_t server_skew_ = 0;
    server::Config config_;
    merge::Schema schema_;
    std::unique_ptr<server::ServerContext> ctx_;
    std::vector<Device> devices_;
    std::map<std::uint64_t, Link> links_;
    std::uint64_t next_link_ = 1;
    std::set<RowKey> rows_;
    std::string root_;  ///< real directory for the key file; SQLite files under it are virtual
    std::string data_dir_;
    SimStats stats_;
    std::uint64_t frames_traced_ = 0;
};

merge::Schema sim_schema() {
    return server::schema_from_json(nlohmann::json::parse(R"({"tables": [
        {"name": "notices", "columns": [{"name": "org"}, {"name": "title"},
                                         {"name": "likes", "policy": "counter"},
                                         {"name": "body", "policy": "keep_both"}]},
        {"name": "progress", "owner_column": "person", "visibility": "owner",
         "columns": [{"name": "org"}, {"name": "person"}, {"name": "pct", "policy": "max"}, {"name": "note"}]},
        {"name": "ledger", "policy": "append_only", "deletable": false,
         "owner_column": "person", "visibility": "owner",
         "columns": [{"name": "org"}, {"name": "person"}, {"name": "amount"}]}]})"));
}

void World::open_server() {
    ctx_ = server::make_context(config_, schema_);
    ctx_->now_ms = [this] {
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(now_) + server_skew_);
    };
}

void World::open_device(Device& d) {
    core::Options o;
    o.path = d.path;
    o.schema = schema_;
    const std::int64_t* skew = &d.skew_ms;
    o.now_ms = [this, skew] {
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(now_) + *skew);
    };
    o.durability = core::Durability::Full;
    auto r = core::Replica::open(std::move(o));
    if (!r)
        violate("device " + std::to_string(d.index) +
                " cannot reopen its replica: " + r.error().message);
    d.replica = std::move(r.value());
    core::SyncOptions so;
    so.client_name = "zhibu-sim";
    so.device_name = "sim-" + std::to_string(d.index);
    so.enroll_code = d.id == 0 ? d.enroll_code : std::string();
    so.push_batch = d.push_batch;
    so.pull_limit = d.pull_limit;
    so.backoff_min_ms = 500;
    so.backoff_max_ms = 20'000;
    so.jitter_seed = opt_.seed * 131 + d.index;
    so.request_timeout_ms = 30'000;
    so.handshake_timeout_ms = 10'000;
    d.engine = std::make_unique<core::SyncEngine>(*d.replica, so);
}

void World::setup() {
    SimFs& fs = SimFs::instance();
    fs.reset();
    fs.set_seed(opt_.seed);
    fs.set_time_ms(now_);
    g_sodium_rng.seed(opt_.seed ^ 0x5eed5eedULL);

    // The master key file is real (the server reads it with iostreams); the databases are not.
    root_ = "/tmp/zb-sim-" + std::to_string(::getpid());
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
    data_dir_ = root_ + "/srv";
    config_ = server::Config{};
    config_.tls = false;
    config_.data_dir = data_dir_;
    config_.log_level = "off";
    config_.limits.max_pull_limit = 64;
    schema_ = sim_schema();
    open_server();

    const int n = static_cast<int>(pick(3, 6));
    const char* branches[] = {"/u/c1/b1", "/u/c1/b2"};
    for (int i = 0; i < n; ++i) {
        Device d;
        d.index = static_cast<std::size_t>(i);
        d.person = "p" + std::to_string(i);
        const auto kind = pick(0, 9);
        if (kind < 6) {
            d.role = "member";
            d.org = branches[pick(0, 1)];
        } else if (kind < 9) {
            d.role = "branch_secretary";
            d.org = branches[pick(0, 1)];
        } else {
            d.role = "college_committee";
            d.org = "/u/c1";
        }
        d.path = root_ + "/dev" + std::to_string(i) + "/replica.db";
        d.push_batch = pick(1, 25);
        d.pull_limit = static_cast<std::uint32_t>(pick(1, 40));
        d.skew_ms = static_cast<std::int64_t>(pick(0, 120'000)) - 60'000;
        d.enroll_code = ctx_->store
                            ->issue_enroll_code(server::EnrollGrant{d.person, d.role, d.org},
                                                now_ + 86'400'000ull * 30, now_)
                            .value();
        devices_.push_back(std::move(d));
    }
    for (Device& d : devices_)
        open_device(d);
    log("setup: " + std::to_string(n) + " devices");
}

// ---- network ----

Link* World::link_of(Device& d) {
    if (!d.link) return nullptr;
    auto it = links_.find(*d.link);
    return it == links_.end() ? nullptr : &it->second;
}

void World::send_up(Link& l, const std::vector<Message>& msgs) {
    for (const Message& m : msgs) {
        protocol::Bytes b = protocol::encode(m);
        if (std::holds_alternative<protocol::Push>(m) ||
            std::holds_alternative<protocol::Pull>(m)) {
            Device& d = devices_[l.device];
            if (d.sent.size() < 64) d.sent.push_back(b);
        }
        l.up.push_back(std::move(b));
    }
}

void World::connect(Device& d) {
    Link l;
    l.id = next_link_++;
    l.device = d.index;
    l.handler = std::make_unique<server::SessionHandler>(*ctx_, "sim-" + std::to_string(d.index));
    d.link = l.id;
    auto [it, ok] = links_.emplace(l.id, std::move(l));
    send_up(it->second, d.engine->on_connected(now_));
    log("dev" + std::to_string(d.index) + " connects (link " + std::to_string(it->first) + ")");
}

void World::cut(std::uint64_t link_id, const char* why) {
    auto it = links_.find(link_id);
    if (it == links_.end()) return;
    Device& d = devices_[it->second.device];
    links_.erase(it);
    d.link.reset();
    if (d.engine) d.engine->on_disconnected(now_);
    log("dev" + std::to_string(d.index) + " link " + std::to_string(link_id) + " closed: " + why);
}

void World::deliver_up(Link& l) {
    protocol::Bytes frame = std::move(l.up.front());
    l.up.pop_front();
    ++stats_.frames;
    if (l.server_closed) return;
    auto decoded = protocol::decode(frame);
    if (!decoded)
        violate("the server could not decode a frame the engine sent: " + decoded.error().message);
    if (opt_.verbose && frames_traced_++ < 400000)
        log("  up   link " + std::to_string(l.id) + ": " +
            std::string(protocol::type_name(protocol::type_of(decoded.value()))));
    server::Reply r = l.handler->handle(decoded.value());
    for (const Message& m : r.messages)
        l.down.push_back(protocol::encode(m));
    if (r.close) l.server_closed = true;
    if (r.commit) {
        const protocol::Bytes notify = protocol::encode(protocol::Notify{r.commit->cursor});
        for (auto& [id, other] : links_) {
            if (id == l.id || other.server_closed) continue;
            const auto& p = other.handler->principal();
            if (other.handler->state() == server::SessionHandler::State::Authenticated && p &&
                server::notify_wanted(*p, *r.commit)) {
                other.down.push_back(notify);
            }
        }
    }
}

void World::deliver_down(Link& l) {
    protocol::Bytes frame = std::move(l.down.front());
    l.down.pop_front();
    ++stats_.frames;
    Device& d = devices_[l.device];
    auto decoded = protocol::decode(frame);
    if (!decoded)
        violate("the engine got an undecodable frame from the server: " + decoded.error().message);
    const std::uint64_t id = l.id;
    if (opt_.verbose && frames_traced_++ < 400000) {
        std::string extra;
        if (auto* ch = std::get_if<protocol::Changes>(&decoded.value()))
            extra = " cursor " + std::to_string(ch->cursor) + " more " +
                    std::to_string(ch->has_more) + " n " + std::to_string(ch->changes.size()) +
                    " local " + std::to_string(d.replica->pull_cursor());
        if (auto* nt = std::get_if<protocol::Notify>(&decoded.value()))
            extra = " cursor " + std::to_string(nt->cursor);
        if (auto* em = std::get_if<protocol::ErrorMsg>(&decoded.value())) extra = " " + em->message;
        log("  down link " + std::to_string(l.id) + ": " +
            std::string(protocol::type_name(protocol::type_of(decoded.value()))) + extra);
    }
    auto out = d.engine->on_message(decoded.value(), now_);
    send_up(l, out);
    if (d.engine->should_close()) cut(id, "engine closed");
}

bool World::step_network() {
    // One frame of one random connection that has something to carry.
    std::vector<std::pair<std::uint64_t, bool>> ready;  // (link, downwards)
    for (auto& [id, l] : links_) {
        if (!l.up.empty()) ready.emplace_back(id, false);
        if (!l.down.empty()) ready.emplace_back(id, true);
        if (l.server_closed && l.down.empty()) ready.emplace_back(id, true);
    }
    if (ready.empty()) return false;
    auto [id, down] = ready[pick(0, ready.size() - 1)];
    Link& l = links_.at(id);
    if (down && l.down.empty()) {
        cut(id, "server closed");
    } else if (down) {
        deliver_down(l);
    } else {
        deliver_up(l);
    }
    return true;
}

void World::wake_devices() {
    for (Device& d : devices_) {
        if (!d.engine) continue;
        if (Link* l = link_of(d)) {
            if (d.engine->next_wakeup_ms() <= now_) {
                const std::uint64_t id = l->id;
                send_up(*l, d.engine->on_timer(now_));
                if (d.engine->should_close()) cut(id, "engine timeout");
            }
        } else if (d.engine->wants_connection(now_)) {
            if (d.partitioned_until > now_) {
                d.engine->on_disconnected(now_);  // a failed attempt
            } else {
                connect(d);
            }
        }
    }
}

// ---- work and faults ----

void World::record_changes(Device& d) {
    auto pending = d.replica->pending(d.last_seq, 10'000);
    if (!pending) violate("outbox read failed: " + pending.error().message);
    for (Change& c : pending.value()) {
        d.last_seq = std::max(d.last_seq, c.seq);
        if (d.changes.count(c.seq)) violate("seq " + std::to_string(c.seq) + " reused");
        d.changes.emplace(c.seq, std::move(c));
        ++stats_.writes;
    }
}

void World::local_write(Device& d) {
    static const char* orgs[] = {"/u/c1/b1", "/u/c1/b2", "/u/c1"};
    const auto what = pick(0, 9);
    core::Result<void> r;
    if (what <= 4) {
        // A notice: most devices touch their own branch; some try elsewhere.
        const std::string org = chance(0.8) ? d.org : orgs[pick(0, 2)];
        const std::string row = "n" + std::to_string(pick(0, 3)) + "@" + org;
        rows_.insert({"notices", row});
        const auto op = pick(0, 9);
        if (op <= 3) {
            r = d.replica->write("notices", row,
                                 {{"org", org}, {"title", "t" + std::to_string(pick(0, 999))}});
        } else if (op <= 5) {
            auto cur = d.replica->read("notices", row, true);
            if (cur && cur.value()) {
                r = d.replica->increment("notices", row, "likes",
                                         static_cast<std::int64_t>(pick(1, 5)));
            } else {
                r = d.replica->write("notices", row, {{"org", org}, {"body", "first"}});
            }
        } else if (op <= 7) {
            r = d.replica->write("notices", row,
                                 {{"org", org}, {"body", "b" + std::to_string(pick(0, 999))}});
        } else if (op == 8) {
            r = d.replica->remove("notices", row);
        } else {
            r = d.replica->restore("notices", row);
        }
    } else if (what <= 7) {
        const std::string row = "pr" + std::to_string(pick(0, 2)) + "@" + d.person;
        rows_.insert({"progress", row});
        r = d.replica->write("progress", row,
                             {{"org", d.org},
                              {"person", d.person},
                              {"pct", static_cast<std::int64_t>(pick(0, 100))},
                              {"note", "n" + std::to_string(pick(0, 99))}});
    } else {
        const std::string row = "lg" + std::to_string(d.last_seq + 1) + "@" + d.person;
        rows_.insert({"ledger", row});
        r = d.replica->write("ledger", row,
                             {{"org", d.org},
                              {"person", d.person},
                              {"amount", static_cast<std::int64_t>(pick(1, 500))}});
    }
    record_changes(d);
    if (!r) log("dev" + std::to_string(d.index) + " local write refused: " + r.error().message);
    if (!r) return;  // a local refusal (e.g. restore of a live row): nothing to sync
    if (Link* l = link_of(d)) {
        const std::uint64_t id = l->id;
        send_up(*l, d.engine->on_local_change(now_));
        if (d.engine->should_close()) cut(id, "engine closed");
    } else {
        d.engine->on_local_change(now_);
    }
}

void World::crash_device(Device& d) {
    const bool power = chance(0.5);
    ++stats_.device_crashes;
    if (power) ++stats_.power_losses;
    SimFs& fs = SimFs::instance();
    const std::string prefix = root_ + "/dev" + std::to_string(d.index) + "/";
    fs.take_crash_image(prefix, power, power && chance(0.5) ? &rng_ : nullptr);
    if (d.link) {
        links_.erase(*d.link);
        d.link.reset();
    }
    d.engine.reset();
    d.replica.reset();
    fs.restore_crash_image();
    log("dev" + std::to_string(d.index) + (power ? " loses power" : " crashes"));
    open_device(d);
    // Changes that survived are the ones a user saw saved (durability FULL): none may vanish.
    auto pending = d.replica->pending(0, 100'000);
    if (!pending) violate("outbox unreadable after a crash: " + pending.error().message);
}

void World::crash_server() {
    const bool power = chance(0.7);
    ++stats_.server_crashes;
    if (power) ++stats_.power_losses;
    SimFs& fs = SimFs::instance();
    fs.take_crash_image(data_dir_ + "/", power, power && chance(0.5) ? &rng_ : nullptr);
    std::vector<std::uint64_t> ids;
    for (auto& [id, l] : links_)
        ids.push_back(id);
    for (std::uint64_t id : ids)
        cut(id, "server crashed");
    ctx_.reset();
    fs.restore_crash_image();
    log(power ? "server loses power" : "server crashes");
    open_server();
}

void World::replay_old_frame(Device& d) {
    Link* l = link_of(d);
    if (!l || d.sent.empty()) return;
    l->up.push_back(d.sent[pick(0, d.sent.size() - 1)]);
    ++stats_.replays;
}

// ---- the run ----

bool World::quiet() {
    for (auto& [id, l] : links_) {
        if (!l.up.empty() || !l.down.empty() || l.server_closed) return false;
    }
    for (Device& d : devices_) {
        if (!d.link || d.engine->status().state != core::SyncState::Idle) return false;
        auto n = d.replica->outbox_size();
        if (!n || n.value() != 0) return false;
    }
    return true;
}

void World::settle() {
    for (int i = 0; i < 100'000; ++i) {
        if (quiet()) return;
        if (!step_network()) {
            std::uint64_t next = core::SyncEngine::kNever;
            for (Device& d : devices_)
                next = std::min(next, d.engine->next_wakeup_ms());
            if (next == core::SyncEngine::kNever)
                violate("stuck: nothing in flight and no device wants to act");
            now_ = std::max(now_ + 1, next);
            SimFs::instance().set_time_ms(now_);
        }
        wake_devices();
    }
    std::ostringstream s;
    s << "liveness: no quiet state after the heal;";
    for (Device& d : devices_) {
        s << " dev" << d.index << "=" << core::sync_state_name(d.engine->status().state) << "(err "
          << static_cast<int>(d.engine->status().error) << " " << d.engine->status().error_message
          << ")";
    }
    violate(s.str());
}

void World::heal_and_settle() {
    for (Device& d : devices_)
        d.partitioned_until = 0;
    // Liveness after the faults stop (reliability.md §1.4: safety always, liveness only after a
    // fault-free quiet period): every device reconnects, pushes and pulls.
    settle();
    // Then the head of the log is announced to everyone once, as the server's live
    // notifications would have done for the last commits, and the devices pull what they miss.
    const protocol::Bytes notify = protocol::encode(protocol::Notify{ctx_->store->head()});
    for (auto& [id, l] : links_)
        l.down.push_back(notify);
    settle();
}

SimResult World::run() {
    SimResult result;
    try {
        setup();
        // Enrollment happens before the faults (a lost Enrolled needs a new code by design).
        heal_and_settle();
        for (Device& d : devices_) {
            d.id = d.replica->device_id();
            d.principal =
                server::make_principal(d.id, d.person, *server::parse_role(d.role), d.org);
        }
        for (int step = 0; step < opt_.steps; ++step) {
            now_ += pick(1, 250);
            SimFs::instance().set_time_ms(now_);
            const auto a = pick(0, 999);
            if (a < 300) {
                step_network();
            } else if (a < 500) {
                for (int k = 0; k < 4; ++k)
                    step_network();
            } else if (a < 700) {
                local_write(devices_[pick(0, devices_.size() - 1)]);
            } else if (a < 760) {
                if (!links_.empty()) {
                    auto it = links_.begin();
                    std::advance(it, static_cast<long>(pick(0, links_.size() - 1)));
                    ++stats_.cuts;
                    cut(it->first, "network cut");
                }
            } else if (a < 780) {
                Device& d = devices_[pick(0, devices_.size() - 1)];
                d.partitioned_until = now_ + pick(1'000, 30'000);
                if (d.link) cut(*d.link, "partitioned");
                log("dev" + std::to_string(d.index) + " partitioned");
            } else if (a < 800) {
                Device& d = devices_[pick(0, devices_.size() - 1)];
                d.skew_ms += static_cast<std::int64_t>(pick(0, 1'200'000)) - 600'000;
                log("dev" + std::to_string(d.index) + " clock jumps to skew " +
                    std::to_string(d.skew_ms));
            } else if (a < 812) {
                crash_device(devices_[pick(0, devices_.size() - 1)]);
            } else if (a < 818) {
                crash_server();
            } else if (a < 830) {
                replay_old_frame(devices_[pick(0, devices_.size() - 1)]);
            } else {
                wake_devices();
            }
            wake_devices();
        }
        heal_and_settle();
        check();
    } catch (const Violation& v) {
        result.ok = false;
        result.violation = v.what();
    } catch (const std::exception& e) {
        result.ok = false;
        result.violation = std::string("exception escaped a component: ") + e.what();
    }
    stats_.virtual_ms = now_ - kT0;
    result.stats = stats_;
    // Tear down before the next seed reuses the filesystem.
    links_.clear();
    for (Device& d : devices_) {
        d.engine.reset();
        d.replica.reset();
    }
    ctx_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
    return result;
}

// ---- the checks ----

struct Expected {
    // per cell
    std::optional<Change> lww;                     ///< greatest (hlc, origin) Set
    std::map<protocol::DeviceId, Change> counter;  ///< per origin, greatest hlc Count
    std::optional<Value> max;
    // per row
    protocol::Hlc deleted, alive;
};

bool later(const Change& a, const Change& b) {
    return merge::newer(a.hlc, a.origin, b.hlc, b.origin);
}

void World::check() {
    // 1. Every change a device made was settled by the server, once, and the phone knows how.
    std::map<std::pair<RowKey, std::string>, Expected> cells;
    std::map<RowKey, Expected> rowstate;
    std::uint64_t accepted = 0;
    for (Device& d : devices_) {
        auto rej = d.replica->rejected();
        if (!rej) violate("rejected() failed: " + rej.error().message);
        std::map<std::uint64_t, core::Rejected> kept;
        for (auto& r : rej.value())
            kept.emplace(r.change.seq, r);
        auto txn = ctx_->store->begin();
        for (auto& [seq, c] : d.changes) {
            auto logged = txn->logged(d.id, seq);
            const std::string who = "dev" + std::to_string(d.index) + " seq " +
                                    std::to_string(seq) + " (" + c.table + "/" + c.row + "/" +
                                    c.column + ")";
            if (!logged) violate("acknowledged change lost: the server has no result for " + who);
            if (logged->code != Errc::Ok) {
                auto k = kept.find(seq);
                if (k == kept.end())
                    violate("rejected write not kept on the phone: " + who + " code " +
                            std::to_string(static_cast<int>(logged->code)) + " " + logged->message);
                if (k->second.code != logged->code || k->second.message.empty())
                    violate("rejected write kept with the wrong reason: " + who);
                ++stats_.rejected;
                if (opt_.verbose) log("rejected " + who + ": " + logged->message);
                continue;
            }
            if (kept.count(seq)) violate("accepted change listed as rejected on the phone: " + who);
            ++accepted;
            ++stats_.accepted;
            const RowKey rk{c.table, c.row};
            Expected& rs = rowstate[rk];
            if (c.op == protocol::Op::Delete) {
                rs.deleted = std::max(rs.deleted, c.hlc);
                continue;
            }
            rs.alive = std::max(rs.alive, c.hlc);
            if (c.op == protocol::Op::Restore) continue;
            Expected& e = cells[{rk, c.column}];
            if (c.op == protocol::Op::Count) {
                auto it = e.counter.find(c.origin);
                if (it == e.counter.end() || c.hlc > it->second.hlc) e.counter[c.origin] = c;
            } else {
                if (!e.lww || later(c, *e.lww)) e.lww = c;
                if (!e.max || protocol::compare(c.value, *e.max) > 0) e.max = c.value;
            }
        }
        if (kept.size() > 0) {
            for (auto& [seq, r] : kept) {
                if (!d.changes.count(seq)) violate("phone keeps a rejection for an unknown seq");
            }
        }
    }
    // 2. Nothing applied twice, nothing phantom: the server's accepted log is exactly ours.
    if (ctx_->store->accepted_changes() != accepted) {
        violate("server accepted " + std::to_string(ctx_->store->accepted_changes()) +
                " changes, the devices' logs account for " + std::to_string(accepted));
    }
    // 3. Per-policy values on the server, against the oracle.
    std::map<std::pair<RowKey, std::string>, Value> want;
    for (auto& [key, e] : cells) {
        const auto& [rk, col] = key;
        const merge::Policy pol = schema_.policy(rk.table, col);
        Value v;
        if (pol == merge::Policy::Counter) {
            std::int64_t sum = 0;
            for (auto& [origin, c] : e.counter)
                sum += std::get<std::int64_t>(c.value);
            v = sum;
        } else if (pol == merge::Policy::Max) {
            v = *e.max;
        } else {
            v = e.lww->value;
        }
        want[key] = v;
        auto cell = ctx_->store->cell(rk.table, rk.row, col);
        if (!cell || !protocol::same(cell->value, v))
            violate("server value of " + rk.table + "/" + rk.row + "/" + col + " is " +
                    (cell ? show(cell->value) : "absent") + ", the " +
                    std::to_string(static_cast<int>(pol)) + " policy says " + show(v));
    }
    // 4. Every device: converged to those values for every row it may read; deletes agree; no row
    // outside its scope.
    for (Device& d : devices_) {
        for (const auto& [name, table] : schema_.tables()) {
            auto rows = d.replica->scan(name, core::ScanOptions{true});
            if (!rows) violate("scan failed: " + rows.error().message);
            std::set<std::string> seen;
            for (const core::RowView& rv : rows.value()) {
                seen.insert(rv.id);
                const RowKey rk{name, rv.id};
                auto orgv = rv.values.find(table.org_column);
                const std::string org =
                    orgv != rv.values.end() && std::holds_alternative<std::string>(orgv->second)
                        ? std::get<std::string>(orgv->second)
                        : std::string();
                std::string owner;
                if (!table.owner_column.empty()) {
                    auto ow = rv.values.find(table.owner_column);
                    if (ow != rv.values.end() && std::holds_alternative<std::string>(ow->second))
                        owner = std::get<std::string>(ow->second);
                }
                const bool accepted_row = rowstate.count(rk) != 0;
                if (accepted_row &&
                    !server::can_read_row(d.principal, table.visibility, org, owner))
                    violate("dev" + std::to_string(d.index) + " (" + d.role + " " + d.org +
                            ") holds " + name + "/" + rv.id + " outside its scope");
                if (!accepted_row) {
                    // Only its own refused writes can leave a local trace of a row the server
                    // never accepted; such a row must hold no value.
                    for (auto& [col, v] : rv.values) {
                        if (!protocol::is_null(v))
                            violate("dev" + std::to_string(d.index) + " keeps value " + show(v) +
                                    " in " + name + "/" + rv.id + "/" + col +
                                    " that the server never accepted");
                    }
                    continue;
                }
                const Expected& rs = rowstate.at(rk);
                if (rv.deleted != (rs.deleted > rs.alive))
                    violate("dev" + std::to_string(d.index) + " has " + name + "/" + rv.id +
                            (rv.deleted ? " deleted" : " alive") +
                            ", the accepted deletes/writes say otherwise");
                for (auto& [key, v] : want) {
                    if (key.first != rk) continue;
                    auto got = rv.values.find(key.second);
                    if (got == rv.values.end() || !protocol::same(got->second, v))
                        violate("dev" + std::to_string(d.index) + " did not converge: " + name +
                                "/" + rv.id + "/" + key.second + " = " +
                                (got == rv.values.end() ? "absent" : show(got->second)) +
                                ", expected " + show(v));
                }
            }
            // Rows it may read must be there.
            for (auto& [rk, rs] : rowstate) {
                if (rk.table != name || seen.count(rk.row)) continue;
                std::string org, owner;
                auto oc = ctx_->store->cell(name, rk.row, table.org_column);
                if (oc && std::holds_alternative<std::string>(oc->value))
                    org = std::get<std::string>(oc->value);
                if (!table.owner_column.empty()) {
                    auto wc = ctx_->store->cell(name, rk.row, table.owner_column);
                    if (wc && std::holds_alternative<std::string>(wc->value))
                        owner = std::get<std::string>(wc->value);
                }
                if (server::can_read_row(d.principal, table.visibility, org, owner))
                    violate("dev" + std::to_string(d.index) + " misses " + name + "/" + rk.row +
                            " it may read");
            }
        }
    }
    auto audit = ctx_->store->verify_audit();
    if (!audit.ok)
        violate("audit chain broken at " + std::to_string(audit.first_bad) + ": " + audit.message);
}

}  // namespace

void install_determinism() {
    static std::once_flag once;
    std::call_once(once, [] {
        randombytes_set_implementation(&g_rb);
        if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
        SimFs::instance().make_default();
        server::set_log_level(server::LogLevel::Off);
    });
}

SimResult run_seed(const SimOptions& options) {
    install_determinism();
    World w(options);
    return w.run();
}

}  // namespace zb::sim
