// SPDX-License-Identifier: Apache-2.0
// Shared vocabulary of the `zhibu` command-line client: exit codes, the CliError every command
// throws to end with a message and a code, the per-command option parser and the output sink
// (human text or, with --json, one JSON document on stdout).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace zb::cli {

/// Exit codes (stable; documented in `zhibu --help` and README.md).
enum class Exit : int {
    Ok = 0,
    Failure = 1,      ///< an unexpected internal error
    Usage = 2,        ///< unknown command or option, missing or malformed argument
    NotEnrolled = 3,  ///< no enrolled device in the home directory (run `zhibu enroll`)
    Network = 4,      ///< the server could not be reached, timed out or dropped the connection
    Security = 5,     ///< TLS failed or the server's key does not match the pin
    Refused = 6,      ///< the server refused: bad enrollment code, auth failed, revoked, wiped
    Storage = 7,      ///< the local replica cannot be opened (wrong key/passphrase) or written
    Rejected = 8,     ///< the replica refused a local write (unknown table, rule, append-only)
};

/// Thrown by commands; main() prints it and exits with `code`.
class CliError : public std::runtime_error {
public:
    CliError(Exit code, const std::string& kind, const std::string& message)
        : std::runtime_error(message), code_(code), kind_(kind) {}
    Exit code() const { return code_; }
    const std::string& kind() const { return kind_; }

private:
    Exit code_;
    std::string kind_;
};

[[noreturn]] inline void usage_error(const std::string& message) {
    throw CliError(Exit::Usage, "usage", message);
}

/// One option of a command: `--name VALUE` (or `--name=VALUE`), or a flag `--name`.
struct OptionSpec {
    std::string name;
    std::string value_name;  ///< empty for a flag
    std::string help;
    bool required = false;
    bool repeated = false;  ///< may be given several times (values are collected)
};

/// Parsed options and positionals of one command.
class Args {
public:
    bool has(const std::string& name) const { return values_.count(name) != 0; }
    /// The value of an option, or nullopt.
    std::optional<std::string> get(const std::string& name) const;
    /// The value of a required option (the parser has checked it is present).
    std::string need(const std::string& name) const;
    std::vector<std::string> all(const std::string& name) const;
    std::int64_t integer(const std::string& name, std::int64_t lo, std::int64_t hi) const;
    double number(const std::string& name, double lo, double hi) const;
    const std::vector<std::string>& positionals() const { return positionals_; }

    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positionals_;
};

struct Context;

struct CommandSpec {
    std::string name;         ///< "meeting create"
    std::string synopsis;     ///< "[ROW]"
    std::string summary;      ///< one line for the command list
    std::string description;  ///< paragraph for --help
    std::vector<OptionSpec> options;
    std::size_t min_positionals = 0;
    std::size_t max_positionals = 0;
    std::function<void(Context&, const Args&)> run;
};

/// Parse `argv` against `spec`. Throws CliError(Usage) naming the bad option.
Args parse_args(const CommandSpec& spec, const std::vector<std::string>& argv);
/// The --help text of a command.
std::string command_help(const CommandSpec& spec);

/// Where results go. In JSON mode commands fill `json` and main prints it once at the end; in
/// text mode they print as they go.
struct Output {
    bool json_mode = false;
    nlohmann::json json = nlohmann::json::object();
    void line(const std::string& text) const;  ///< text mode only
};

/// A one-line progress bar on stderr (only when stderr is a TTY and not in JSON mode).
class ProgressBar {
public:
    explicit ProgressBar(bool enabled);
    ~ProgressBar();
    void update(std::uint64_t done, std::uint64_t total);
    void finish();

private:
    bool enabled_;
    bool drawn_ = false;
};

}  // namespace zb::cli
