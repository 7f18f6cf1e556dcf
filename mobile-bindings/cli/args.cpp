// SPDX-License-Identifier: Apache-2.0
// The per-command option parser, help rendering, output helpers and the progress bar of the
// `zhibu` client. Deliberately small: GNU-style long options only, every option declared.
#include "cli.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace zb::cli {

std::optional<std::string> Args::get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

std::string Args::need(const std::string& name) const {
    auto v = get(name);
    if (!v) usage_error("missing --" + name);
    return *v;
}

std::vector<std::string> Args::all(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::int64_t Args::integer(const std::string& name, std::int64_t lo, std::int64_t hi) const {
    const std::string text = need(name);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size())
        usage_error("--" + name + " expects an integer, got '" + text + "'");
    if (v < lo || v > hi)
        usage_error("--" + name + " must be between " + std::to_string(lo) + " and " +
                    std::to_string(hi) + ", got " + text);
    return v;
}

double Args::number(const std::string& name, double lo, double hi) const {
    const std::string text = need(name);
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty() || !std::isfinite(v))
        usage_error("--" + name + " expects a number, got '" + text + "'");
    if (v < lo || v > hi)
        usage_error("--" + name + " must be between " + std::to_string(lo) + " and " +
                    std::to_string(hi) + ", got " + text);
    return v;
}

Args parse_args(const CommandSpec& spec, const std::vector<std::string>& argv) {
    Args args;
    bool options_done = false;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (!options_done && a == "--") {
            options_done = true;
            continue;
        }
        if (!options_done && a.size() > 2 && a.rfind("--", 0) == 0) {
            std::string name = a.substr(2);
            std::optional<std::string> inline_value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                inline_value = name.substr(eq + 1);
                name.resize(eq);
            }
            const OptionSpec* opt = nullptr;
            for (const auto& o : spec.options)
                if (o.name == name) opt = &o;
            if (!opt)
                usage_error("unknown option --" + name + " for '" + spec.name + "' (see zhibu " +
                            spec.name + " --help)");
            auto& slot = args.values_[name];
            if (!slot.empty() && !opt->repeated) usage_error("--" + name + " given twice");
            if (opt->value_name.empty()) {
                if (inline_value) usage_error("--" + name + " takes no value");
                slot.push_back("1");
                continue;
            }
            if (inline_value) {
                slot.push_back(*inline_value);
            } else {
                if (i + 1 >= argv.size()) usage_error("--" + name + " needs a " + opt->value_name);
                slot.push_back(argv[++i]);
            }
            continue;
        }
        if (!options_done && a.size() > 1 && a[0] == '-' && a != "-")
            usage_error("unknown option " + a + " for '" + spec.name + "'");
        args.positionals_.push_back(a);
    }
    for (const auto& o : spec.options)
        if (o.required && !args.has(o.name))
            usage_error("'" + spec.name + "' needs --" + o.name + " " + o.value_name);
    if (args.positionals_.size() < spec.min_positionals)
        usage_error("'" + spec.name + "' needs " + spec.synopsis);
    if (args.positionals_.size() > spec.max_positionals)
        usage_error("unexpected argument '" + args.positionals_[spec.max_positionals] + "' for '" +
                    spec.name + "'");
    return args;
}

std::string command_help(const CommandSpec& spec) {
    std::string s = "usage: zhibu [--home DIR] [--json] " + spec.name;
    for (const auto& o : spec.options) {
        std::string part = "--" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
        if (o.repeated) part += " ...";
        s += o.required ? " " + part : " [" + part + "]";
    }
    if (!spec.synopsis.empty()) s += " " + spec.synopsis;
    s += "\n\n" + spec.summary + "\n";
    if (!spec.description.empty()) s += "\n" + spec.description + "\n";
    if (!spec.options.empty()) {
        s += "\noptions:\n";
        for (const auto& o : spec.options) {
            std::string left = "  --" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
            if (left.size() < 26)
                left.resize(26, ' ');
            else
                left += "  ";
            s += left + o.help + (o.required ? " (required)" : "") + "\n";
        }
    }
    s += "  --help                  show this help\n";
    return s;
}

void Output::line(const std::string& text) const {
    if (!json_mode) std::cout << text << '\n';
}

ProgressBar::ProgressBar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() {
    finish();
}

void ProgressBar::update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_ || total == 0) return;
    constexpr int kWidth = 30;
    const double frac =
        done >= total ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '-');
    std::fprintf(stderr, "\rsync [%s] %llu/%llu %3d%%", bar.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 static_cast<int>(frac * 100));
    std::fflush(stderr);
    drawn_ = true;
}

void ProgressBar::finish() {
    if (drawn_) {
        std::fputc('\n', stderr);
        drawn_ = false;
    }
}

}  // namespace zb::cli
