// SPDX-License-Identifier: Apache-2.0
// `zhibu`: the command-line client of the Zhibu platform, for administrators, the demo and
// testers. It runs on the same core as the phones (encrypted replica, sync engine, transport):
// `zhibu [--home DIR] [--json] <command> [options]`. See README.md for exit codes.
#include "cli.hpp"
#include "commands.hpp"
#include "home.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

using zb::cli::CliError;
using zb::cli::CommandSpec;
using zb::cli::Exit;

const char* kGlobalHelp = R"(usage: zhibu [--home DIR] [--json] <command> [options]

Global options:
  --home DIR   the device directory (default: $ZHIBU_HOME, else ~/.zhibu); holds the encrypted
               replica, its key (replica.key, mode 0600) and device.json
  --json       machine-readable output: one JSON object on stdout ({"ok": true, ...} or
               {"ok": false, "error": {"kind", "message", "exit"}})
  --help       this help; `zhibu <command> --help` describes a command

The replica key: a random 256-bit key in DIR/replica.key (0600), or, when ZHIBU_PASSPHRASE is set
at enrollment, a key wrapped under that passphrase (Argon2id) in DIR/replica.db.zbkey. Phones keep
the key in the platform keystore instead.

Exit codes:
  0 ok   1 internal failure   2 usage error   3 not enrolled   4 network (unreachable, timeout)
  5 security (TLS, pin mismatch)   6 refused by the server (code, auth, revoked, wiped)
  7 local storage (wrong key or passphrase, I/O)   8 write refused by a local rule

Commands:
)";

std::string default_home() {
    if (const char* h = std::getenv("ZHIBU_HOME"); h && *h) return h;
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.zhibu";
    return ".zhibu";
}

void print_error(const zb::cli::Output& out, const CliError& e) {
    std::cerr << "zhibu: error: " << e.what() << '\n';
    if (out.json_mode) {
        nlohmann::json j = {
            {"ok", false},
            {"error",
             {{"kind", e.kind()}, {"message", e.what()}, {"exit", static_cast<int>(e.code())}}}};
        std::cout << j.dump() << std::endl;
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    zb::cli::Context ctx;
    std::string home = default_home();
    std::size_t i = 0;
    try {
        // Global options come before the command.
        for (; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (a == "--json") {
                ctx.out.json_mode = true;
            } else if (a == "--home") {
                if (i + 1 >= args.size()) zb::cli::usage_error("--home needs a DIR");
                home = args[++i];
            } else if (a.rfind("--home=", 0) == 0) {
                home = a.substr(7);
            } else if (a == "--help" || a == "-h" || a == "help") {
                if (a == "help" && i + 1 < args.size()) {
                    // `zhibu help sync` = `zhibu sync --help`
                    std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1,
                                                  args.end());
                    rest.push_back("--help");
                    args.resize(i);
                    args.insert(args.end(), rest.begin(), rest.end());
                    break;
                }
                std::cout << kGlobalHelp;
                for (const auto& c : zb::cli::all_commands()) {
                    std::string left = "  " + c.name;
                    if (left.size() < 22) left.resize(22, ' ');
                    std::cout << left << c.summary << '\n';
                }
                return 0;
            } else if (a.rfind("-", 0) == 0) {
                zb::cli::usage_error("unknown global option " + a + " (see zhibu --help)");
            } else {
                break;
            }
        }
        if (home.empty()) zb::cli::usage_error("--home needs a non-empty DIR");
        ctx.home = home;
        if (i >= args.size()) zb::cli::usage_error("no command given (see zhibu --help)");

        // Longest match: "meeting create" before "meeting".
        const auto commands = zb::cli::all_commands();
        const CommandSpec* spec = nullptr;
        std::size_t used = 0;
        for (const auto& c : commands) {
            std::size_t words =
                1 + static_cast<std::size_t>(std::count(c.name.begin(), c.name.end(), ' '));
            if (i + words > args.size()) continue;
            std::string joined = args[i];
            for (std::size_t w = 1; w < words; ++w)
                joined += " " + args[i + w];
            if (joined == c.name && words > used) {
                spec = &c;
                used = words;
            }
        }
        if (!spec) {
            std::string known;
            for (const auto& c : commands)
                if (c.name.rfind(args[i] + " ", 0) == 0)
                    known += (known.empty() ? "" : ", ") + c.name;
            if (!known.empty())
                zb::cli::usage_error("'" + args[i] + "' needs a subcommand: " + known);
            zb::cli::usage_error("unknown command '" + args[i] + "' (see zhibu --help)");
        }
        std::vector<std::string> rest(args.begin() + static_cast<long>(i + used), args.end());
        for (const auto& r : rest) {
            if (r == "--help" || r == "-h") {
                std::cout << zb::cli::command_help(*spec);
                return 0;
            }
            if (r == "--") break;
        }
        const auto parsed = zb::cli::parse_args(*spec, rest);
        spec->run(ctx, parsed);
        if (ctx.out.json_mode) {
            ctx.out.json["ok"] = true;
            std::cout << ctx.out.json.dump() << std::endl;
        }
        return 0;
    } catch (const CliError& e) {
        print_error(ctx.out, e);
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        print_error(ctx.out, CliError(Exit::Failure, "internal", e.what()));
        return static_cast<int>(Exit::Failure);
    }
}
