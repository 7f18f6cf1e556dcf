// SPDX-License-Identifier: Apache-2.0
// zhibu-server: the command-line entry point. Subcommands: serve, dev-cert, enroll-code, revoke,
// audit-verify, nightly, backup, restore, history; each has --help. Exit codes: 0 ok, 1 failure
// (including a broken audit chain), 2 usage error.
#include "zb/domain/schema.hpp"
#include "zb/server/backup.hpp"
#include "zb/server/config.hpp"
#include "zb/server/context.hpp"
#include "zb/server/domain/register.hpp"
#include "zb/server/log.hpp"
#include "zb/server/maintenance.hpp"
#include "zb/server/nightly.hpp"
#include "zb/server/scope.hpp"
#include "zb/server/server.hpp"
#include "zb/server/tls.hpp"
#include "zb/server/upstream.hpp"

#if __has_include("zb/server/domain/life.hpp")
#include "zb/server/domain/life.hpp"
#define ZB_HAVE_ANALYTICS 1
#endif

#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace zb::server;

struct Args {
    std::map<std::string, std::string> opts;
    std::vector<std::string> flags;
    bool has(const std::string& k) const { return opts.count(k) || flag(k); }
    bool flag(const std::string& k) const {
        for (const auto& f : flags)
            if (f == k) return true;
        return false;
    }
    std::string get(const std::string& k, const std::string& def = {}) const {
        auto it = opts.find(k);
        return it == opts.end() ? def : it->second;
    }
};

const char* kUsage =
    "usage: zhibu-server <command> [options]\n"
    "commands:\n"
    "  serve         --config F                 run the sync server until SIGINT/SIGTERM\n"
    "  dev-cert      --out DIR [--days N]       make a self-signed development certificate\n"
    "  enroll-code   --config F --person P --role R --org PATH [--ttl-hours N]\n"
    "                                           issue a one-time enrollment code\n"
    "  revoke        --config F --device ID [--wipe]\n"
    "                                           revoke a device (and order a remote wipe)\n"
    "  audit-verify  --config F                 verify the audit log's hash chain\n"
    "  nightly       --config F [--no-backup]   run the nightly job now; prints a JSON report\n"
    "  backup        --config F [--out DIR]     write an encrypted backup now\n"
    "  restore       --config F --backup FILE   restore a backup (server stopped)\n"
    "  history       --config F --table T --row R\n"
    "                                           a row's version history (for undo)\n"
    "run 'zhibu-server <command> --help' for details\n";

const std::map<std::string, std::string> kHelp = {
    {"serve",
     "usage: zhibu-server serve --config F\n"
     "Runs the TLS WebSocket sync server described by the JSON config F (see "
     "sync-server/README.md).\n"
     "GET /health and /metrics are served on the same port. Stops gracefully on SIGINT/SIGTERM.\n"},
    {"dev-cert",
     "usage: zhibu-server dev-cert --out DIR [--days N]\n"
     "Writes DIR/cert.pem and DIR/key.pem (self-signed P-256, CN=localhost, SAN 127.0.0.1) and\n"
     "prints the public key pin: base64 SHA-256 of the SubjectPublicKeyInfo. Development only.\n"},
    {"enroll-code",
     "usage: zhibu-server enroll-code --config F --person P --role R --org PATH [--ttl-hours N]\n"
     "Issues a one-time enrollment code for person P with role R over organisation PATH.\n"
     "Roles: member, branch_secretary, committee_member, college_committee, org_department,\n"
     "auditor. The code is printed once; the server stores only its hash.\n"},
    {"revoke",
     "usage: zhibu-server revoke --config F --device ID [--wipe]\n"
     "Revokes device ID (decimal or 0x-hex). With --wipe the device is told to destroy its\n"
     "replica and keys at its next contact. A running server also checks at every push.\n"},
    {"audit-verify",
     "usage: zhibu-server audit-verify --config F\n"
     "Recomputes the BLAKE2b chain of the audit log; exit 0 if intact, 1 with the first bad\n"
     "entry otherwise.\n"},
    {"nightly",
     "usage: zhibu-server nightly --config F [--no-backup]\n"
     "Runs the nightly job once: horizon, change-log folding, tombstone collection, analytics,\n"
     "encrypted backup and pruning (config \"nightly\"). Progress goes to stderr, the JSON report\n"
     "to stdout. Exit 1 if a step failed. A running server also runs it daily at nightly.at.\n"},
    {"backup",
     "usage: zhibu-server backup --config F [--out DIR]\n"
     "Writes an encrypted online backup of the store to DIR (default nightly.backup_dir) while\n"
     "the server may keep running, and prints its path.\n"},
    {"restore",
     "usage: zhibu-server restore --config F --backup FILE\n"
     "Stop the server first. Verifies FILE completely (key, integrity, no truncation) before\n"
     "touching anything, keeps the current database as <db>.before-restore-<time>, and installs\n"
     "the backup. Devices that synced newer data rebase and push it again when they reconnect.\n"},
    {"history",
     "usage: zhibu-server history --config F --table T --row R\n"
     "Prints the row's accepted changes still in the change log (kept while a row is deleted),\n"
     "oldest first, as JSON lines.\n"},
};

int usage_error(const std::string& msg) {
    std::cerr << "zhibu-server: " << msg << "\n" << kUsage;
    return 2;
}

std::unique_ptr<ServerContext> open_context(const Args& a) {
    Config cfg = load_config(a.get("--config"));
    set_log_level(parse_log_level(cfg.log_level));
    // The Party data model (zb_domain) unless the configuration declares its own tables.
    zb::merge::Schema schema =
        cfg.schema_json.is_null() ? zb::domain::make_schema() : schema_from_json(cfg.schema_json);
    auto policy = zb::server::domain::policy_from_config(cfg);
    auto ctx = make_context(std::move(cfg), std::move(schema));
    zb::server::domain::register_domain(*ctx, policy);
    return ctx;
}

/// The nightly job's analytics steps (the Party rules live in zb_server_domain).
std::vector<NightlyTask> nightly_tasks() {
    std::vector<NightlyTask> tasks;
#ifdef ZB_HAVE_ANALYTICS
    tasks.push_back({"recompute_analytics", [](ServerContext& ctx, std::uint64_t now_ms) {
                         zb::server::domain::recompute_analytics(ctx, now_ms);
                     }});
#endif
    return tasks;
}

int cmd_serve(const Args& a) {
    if (!a.has("--config")) return usage_error("serve needs --config");
    auto ctx = open_context(a);
    if (ctx->schema.tables().empty()) log(LogLevel::Warn, "empty_schema", {});
    Server server(*ctx);
    server.start();
    NightlyScheduler nightly(*ctx, nightly_tasks());
    if (ctx->config.nightly.scheduled) nightly.start();
    // Tiers: a college server relays its subtree to the university's and pulls it back down.
    std::unique_ptr<UpstreamLink> upstream;
    if (!ctx->config.upstream_json.is_null()) {
        upstream = std::make_unique<UpstreamLink>(
            *ctx, upstream_config_from_json(ctx->config.upstream_json, ctx->config.data_dir),
            [&server](const CommitInfo& c) { server.publish(c); });
        upstream->start();
    }
    // The port line lets scripts and tests find an ephemeral port.
    std::printf("listening on %s:%u\n", ctx->config.address.c_str(),
                static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    server.run_until_signal();
    if (upstream) upstream->stop();
    return 0;
}

int cmd_dev_cert(const Args& a) {
    if (!a.has("--out")) return usage_error("dev-cert needs --out DIR");
    DevCert c = make_dev_cert(a.get("--out"), std::stoi(a.get("--days", "365")));
    std::printf("certificate: %s\nkey: %s\nspki-sha256-pin: %s\n", c.cert_file.c_str(),
                c.key_file.c_str(), c.spki_pin.c_str());
    return 0;
}

int cmd_enroll_code(const Args& a) {
    for (const char* k : {"--config", "--person", "--role", "--org"})
        if (!a.has(k)) return usage_error(std::string("enroll-code needs ") + k);
    if (!parse_role(a.get("--role"))) return usage_error("unknown role " + a.get("--role"));
    if (!valid_org_path(a.get("--org")))
        return usage_error("bad organisation path " + a.get("--org"));
    auto ctx = open_context(a);
    std::uint64_t ttl_ms = a.has("--ttl-hours")
                               ? std::stoull(a.get("--ttl-hours")) * 3600ull * 1000ull
                               : ctx->config.enroll_code_ttl_ms;
    auto now = ctx->now_ms();
    auto code = ctx->store->issue_enroll_code(
        EnrollGrant{a.get("--person"), a.get("--role"), a.get("--org")}, now + ttl_ms, now);
    if (!code) {
        std::cerr << "enroll-code failed: " << code.error().message << "\n";
        return 1;
    }
    std::printf("%s\n", code.value().c_str());
    return 0;
}

int cmd_revoke(const Args& a) {
    if (!a.has("--config") || !a.has("--device"))
        return usage_error("revoke needs --config and --device");
    auto ctx = open_context(a);
    std::uint64_t id = std::stoull(a.get("--device"), nullptr, 0);
    auto r = ctx->store->revoke(id, a.flag("--wipe"), ctx->now_ms());
    if (!r) {
        std::cerr << "revoke failed: " << r.error().message << "\n";
        return 1;
    }
    std::printf("device %llu revoked%s\n", static_cast<unsigned long long>(id),
                a.flag("--wipe") ? "; wipe ordered" : "");
    return 0;
}

int cmd_nightly(const Args& a) {
    if (!a.has("--config")) return usage_error("nightly needs --config");
    auto ctx = open_context(a);
    NightlyOptions o;
    o.backup = !a.flag("--no-backup");
    o.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    nlohmann::json rep = run_nightly(*ctx, nightly_tasks(), o);
    std::printf("%s\n", rep.dump(2).c_str());
    return rep.value("ok", false) ? 0 : 1;
}

int cmd_backup(const Args& a) {
    if (!a.has("--config")) return usage_error("backup needs --config");
    auto ctx = open_context(a);
    std::string dir = a.get("--out", ctx->config.nightly.backup_dir);
    if (dir.empty()) return usage_error("backup needs --out DIR (no nightly.backup_dir)");
    BackupInfo b = write_backup(ctx->config.db_path(), dir, ctx->master_key, ctx->config.server_id,
                                ctx->store->server_device(), ctx->store->head(), ctx->now_ms());
    std::printf("%s\n", b.path.c_str());
    return 0;
}

int cmd_restore(const Args& a) {
    if (!a.has("--config") || !a.has("--backup"))
        return usage_error("restore needs --config and --backup");
    // No store is opened: the database is replaced underneath, only the key is needed.
    Config cfg = load_config(a.get("--config"));
    crypto_init();
    SecretKey key = load_master_key(cfg.master_key_path(), false);
    try {
        RestoreReport r = restore_backup(a.get("--backup"), cfg.db_path(), key, system_now_ms());
        std::printf(
            "restored %s (created_ms %llu, head %llu); new head %llu; %llu devices will rebase "
            "and re-push%s%s\n",
            r.backup.path.c_str(), static_cast<unsigned long long>(r.backup.created_ms),
            static_cast<unsigned long long>(r.backup.head),
            static_cast<unsigned long long>(r.restored_head),
            static_cast<unsigned long long>(r.devices),
            r.previous.empty() ? "" : "; previous database kept as ", r.previous.c_str());
        return 0;
    } catch (const BackupError& e) {
        std::fprintf(stderr, "zhibu-server restore: %s; nothing was changed\n", e.what());
        return 1;
    }
}

int cmd_history(const Args& a) {
    for (const char* k : {"--config", "--table", "--row"})
        if (!a.has(k)) return usage_error(std::string("history needs ") + k);
    auto ctx = open_context(a);
    for (const HistoryEntry& e :
         row_history(*ctx->store, ctx->master_key, a.get("--table"), a.get("--row"))) {
        nlohmann::json j = {{"column", e.column}, {"op", static_cast<int>(e.op)},
                            {"hlc", e.hlc.raw},   {"millis", e.hlc.millis()},
                            {"origin", e.origin}, {"seq", e.seq},
                            {"person", e.person}};
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) {
                    j["value"] = nullptr;
                } else if constexpr (std::is_same_v<T, zb::protocol::Bytes>) {
                    j["value_base64"] = base64(v);
                } else {
                    j["value"] = v;
                }
            },
            e.value);
        std::printf("%s\n", j.dump().c_str());
    }
    return 0;
}

int cmd_audit_verify(const Args& a) {
    if (!a.has("--config")) return usage_error("audit-verify needs --config");
    auto ctx = open_context(a);
    AuditReport r = ctx->store->verify_audit();
    if (r.ok) {
        std::printf("audit chain ok: %llu entries\n", static_cast<unsigned long long>(r.entries));
        return 0;
    }
    std::printf("audit chain BROKEN at entry %llu: %s\n",
                static_cast<unsigned long long>(r.first_bad), r.message.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    std::string cmd = argv[1];
    Args a;
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        if (k == "--help" || k == "--wipe" || k == "--no-backup") {
            a.flags.push_back(k);
        } else if (k.rfind("--", 0) == 0 && i + 1 < argc) {
            a.opts[k] = argv[++i];
        } else {
            return usage_error("unexpected argument " + k);
        }
    }
    if (!kHelp.count(cmd)) return usage_error("unknown command " + cmd);
    if (a.flag("--help")) {
        std::cout << kHelp.at(cmd);
        return 0;
    }
    try {
        if (cmd == "serve") return cmd_serve(a);
        if (cmd == "dev-cert") return cmd_dev_cert(a);
        if (cmd == "enroll-code") return cmd_enroll_code(a);
        if (cmd == "revoke") return cmd_revoke(a);
        if (cmd == "nightly") return cmd_nightly(a);
        if (cmd == "backup") return cmd_backup(a);
        if (cmd == "restore") return cmd_restore(a);
        if (cmd == "history") return cmd_history(a);
        return cmd_audit_verify(a);
    } catch (const std::exception& e) {
        std::cerr << "zhibu-server " << cmd << ": " << e.what() << "\n";
        return 1;
    }
}
