// SPDX-License-Identifier: Apache-2.0
// Session commands of `zhibu`: enroll a device, log in, show local status, sync (once or live,
// with a progress bar on a terminal) and wipe the device. These are the only commands that use
// the network; everything else works on the local replica.
#include "commands.hpp"

#include "zb/net/pin.hpp"
#include "zb/net/sync_client.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace zb::cli {
namespace {

using namespace std::chrono_literals;

std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int) {
    g_interrupted.store(true);
}

std::chrono::milliseconds timeout_of(const Args& a, std::int64_t default_s) {
    if (!a.has("timeout")) return std::chrono::seconds(default_s);
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(a.number("timeout", 0.1, 86400.0) * 1000));
}

void enroll(Context& ctx, const Args& a) {
    DeviceConfig c;
    c.server = a.need("server");
    net::Endpoint ep;
    std::string err;
    if (!net::parse_host_port(c.server, ep, err)) usage_error("--server: " + err);
    c.plaintext = a.has("plaintext");
    if (c.plaintext && !net::is_loopback_host(ep.host))
        usage_error("--plaintext is allowed only for a loopback server (127.0.0.1, ::1)");
    if (auto pin = a.get("pin")) {
        auto norm = net::normalize_pin(*pin);
        if (!norm)
            usage_error(
                "--pin must be a base64 SHA-256 SPKI pin (44 characters), e.g. the one "
                "`zhibu-server dev-cert` prints");
        c.pin = *norm;
    } else if (!c.plaintext) {
        usage_error("'enroll' needs --pin PIN (or --plaintext for a loopback test server)");
    }
    c.name = a.get("name").value_or("zhibu-cli");
    std::error_code ec;
    if (std::filesystem::exists(ctx.config_path(), ec)) {
        try {
            if (ctx.device_config().enrolled)
                throw CliError(Exit::Usage, "already-enrolled",
                               "this home is already enrolled; `zhibu wipe --yes` first or use "
                               "another --home");
        } catch (const CliError& e) {
            if (e.code() != Exit::NotEnrolled) throw;
        }
    }
    auto& replica = ctx.open_replica(true);
    auto options = ctx.client_options(c);
    net::EnrollResult r;
    {
        net::SyncClient client(replica, options);
        r = client.enroll(a.need("code"), c.name, timeout_of(a, 30));
    }
    if (!r.ok()) throw_net_error(r.error);
    c.device = r.enrolled.device;
    c.person = r.enrolled.person;
    c.role = r.enrolled.role;
    c.org = r.enrolled.org;
    c.enrolled = true;
    ctx.save_config(c);
    ctx.out.json["device"] = std::to_string(c.device);
    ctx.out.json["person"] = c.person;
    ctx.out.json["role"] = c.role;
    ctx.out.json["org"] = c.org;
    ctx.out.json["server"] = c.server;
    ctx.out.line("enrolled device " + std::to_string(c.device) + " for " + c.person + " (" +
                 c.role + ", " + c.org + ")");
}

void login(Context& ctx, const Args& a) {
    auto& cfg = ctx.device_config();
    auto& replica = ctx.open_replica(false);
    net::SyncResult r;
    {
        net::SyncClient client(replica, ctx.client_options(cfg));
        r = client.login(timeout_of(a, 30));
    }
    if (!r.ok()) throw_net_error(r.error);
    ctx.out.json["person"] = r.person;
    ctx.out.json["role"] = r.role;
    ctx.out.json["scopes"] = r.scopes;
    ctx.out.line("logged in as " + r.person + " (" + r.role + ")");
    for (const auto& s : r.scopes)
        ctx.out.line("  scope " + s);
}

void status(Context& ctx, const Args&) {
    auto& cfg = ctx.device_config();
    auto& rep = ctx.open_replica(false);
    const auto outbox = check(rep.outbox_size());
    const auto conflicts = check(rep.conflicts()).size();
    const auto rejected = check(rep.rejected()).size();
    const auto pending = check(rep.pending_commands()).size();
    ctx.out.json["server"] = cfg.server;
    ctx.out.json["device"] = std::to_string(rep.device_id());
    ctx.out.json["person"] = cfg.person;
    ctx.out.json["role"] = cfg.role;
    ctx.out.json["org"] = cfg.org;
    ctx.out.json["outbox"] = outbox;
    ctx.out.json["conflicts"] = conflicts;
    ctx.out.json["rejected"] = rejected;
    ctx.out.json["pending_commands"] = pending;
    ctx.out.json["clock"] = protocol::to_string(rep.clock());
    ctx.out.line("device    " + std::to_string(rep.device_id()) + " (" + cfg.name + ")");
    ctx.out.line("person    " + cfg.person + " (" + cfg.role + ", " + cfg.org + ")");
    ctx.out.line("server    " + cfg.server + (cfg.plaintext ? " (plain ws, loopback)" : ""));
    ctx.out.line("outbox    " + std::to_string(outbox) + " change(s) waiting to sync");
    ctx.out.line("conflicts " + std::to_string(conflicts));
    ctx.out.line("rejected  " + std::to_string(rejected));
    ctx.out.line("commands  " + std::to_string(pending) + " pending");
}

nlohmann::json result_json(const net::SyncResult& r) {
    return {{"pushed", r.pushed}, {"accepted", r.accepted},       {"rejected", r.rejected},
            {"pulled", r.pulled}, {"outbox_left", r.outbox_left}, {"connections", r.connections}};
}

void sync(Context& ctx, const Args& a) {
    auto& cfg = ctx.device_config();
    auto& replica = ctx.open_replica(false);
    ProgressBar bar(!ctx.out.json_mode);
    net::SyncClient client(replica, ctx.client_options(cfg));
    client.on_progress([&bar](std::uint64_t done, std::uint64_t total) {
        if (total >= 200) bar.update(done, total);  // only long syncs get a bar
    });
    if (!a.has("live")) {
        auto r = client.sync_once(timeout_of(a, 120));
        bar.finish();
        if (!r.ok()) throw_net_error(r.error);
        ctx.out.json["sync"] = result_json(r);
        ctx.out.line("synced: pushed " + std::to_string(r.pushed) + " (" +
                     std::to_string(r.accepted) + " accepted, " + std::to_string(r.rejected) +
                     " rejected), pulled " + std::to_string(r.pulled));
        if (r.rejected > 0) ctx.out.line("see `zhibu rejected` for the refused changes");
        return;
    }
    // Live: stay connected until SIGINT/SIGTERM or --timeout.
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    const bool json = ctx.out.json_mode;
    client.on_status([json](net::SyncStatus s, const net::NetError& e) {
        if (json) return;
        std::string line = "status: " + std::string(net::sync_status_name(s));
        if (!e.ok()) line += " (" + e.to_string() + ")";
        std::fprintf(stderr, "%s\n", line.c_str());
    });
    std::atomic<std::uint64_t> remote_rows{0};
    client.on_change([&remote_rows](const core::ChangeEvent& ev) {
        if (ev.source == core::ChangeEvent::Source::Remote) remote_rows += ev.rows.size();
    });
    if (auto e = client.start_live(); !e.ok()) throw_net_error(e);
    const auto deadline = std::chrono::steady_clock::now() + timeout_of(a, 86400);
    while (!g_interrupted.load() && std::chrono::steady_clock::now() < deadline &&
           client.status() != net::SyncStatus::Failed)
        std::this_thread::sleep_for(50ms);
    const bool failed = client.status() == net::SyncStatus::Failed;
    client.stop();
    const auto totals = client.totals();
    ctx.out.json["sync"] = result_json(totals);
    ctx.out.json["remote_rows"] = remote_rows.load();
    if (failed) throw_net_error(totals.error);
    ctx.out.line("live sync ended: " + std::to_string(remote_rows.load()) +
                 " row update(s) received");
}

void wipe(Context& ctx, const Args& a) {
    if (!a.has("yes"))
        usage_error("wipe destroys the replica, its key and unsynced changes; repeat with --yes");
    std::error_code ec;
    const bool had = std::filesystem::exists(ctx.db_path(), ec);
    if (had) {
        try {
            ctx.open_replica(false);
        } catch (const CliError&) {
            // A replica we cannot open is still wiped (files overwritten and removed).
        }
    }
    ctx.wipe_all();
    ctx.out.json["wiped"] = had;
    ctx.out.line(had ? "wiped " + ctx.home.string() : "nothing to wipe in " + ctx.home.string());
}

}  // namespace

void add_session_commands(std::vector<CommandSpec>& out) {
    out.push_back(
        {"enroll",
         "",
         "enroll this device with a one-time code from an administrator",
         "Creates the encrypted replica in the home directory (key in replica.key, or wrapped "
         "under ZHIBU_PASSPHRASE), connects over TLS checking the server's key pin, and binds "
         "the device key to the person named by the code.",
         {{"server", "HOST:PORT", "the sync server", true},
          {"pin", "PIN", "base64 SHA-256 of the server's public key (SPKI)"},
          {"code", "CODE", "the one-time enrollment code", true},
          {"name", "NAME", "a name for this device (default zhibu-cli)"},
          {"plaintext", "", "plain ws:// instead of TLS (loopback test servers only)"},
          {"timeout", "S", "give up after S seconds (default 30)"}},
         0,
         0,
         enroll});
    out.push_back({"login",
                   "",
                   "log in to the server and show who the server says you are",
                   "Connects, authenticates with the device key and disconnects.",
                   {{"timeout", "S", "give up after S seconds (default 30)"}},
                   0,
                   0,
                   login});
    out.push_back({"status",
                   "",
                   "show the device, the outbox, conflicts and rejections (offline)",
                   "",
                   {},
                   0,
                   0,
                   status});
    out.push_back(
        {"sync",
         "",
         "push local changes and pull the server's",
         "Without --live: connect, push the whole outbox, pull until up to date, disconnect; a "
         "dropped connection is resumed. With --live: stay connected and pull on every server "
         "notification until Ctrl-C or --timeout. A bar shows progress on long syncs when stderr "
         "is a terminal.",
         {{"live", "", "stay connected"},
          {"timeout", "S", "seconds (default 120; with --live, how long to stay)"}},
         0,
         0,
         sync});
    out.push_back({"wipe",
                   "",
                   "destroy the local replica, its key and the device configuration",
                   "Unsynced changes are lost. The server's copy is unaffected; enroll again with "
                   "a new code.",
                   {{"yes", "", "confirm", false}},
                   0,
                   0,
                   wipe});
}

}  // namespace zb::cli
