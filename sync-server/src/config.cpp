// SPDX-License-Identifier: Apache-2.0
// Reading the JSON configuration and the optional schema declaration. Unknown keys are refused so
// that a typo does not silently fall back to a default (e.g. a misspelt "allow_plaintext").
#include "zb/server/config.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

namespace zb::server {

namespace fs = std::filesystem;

std::string Config::db_path() const {
    return (fs::path(data_dir) / "zhibu-server.db").string();
}
std::string Config::master_key_path() const {
    return master_key_file.empty() ? (fs::path(data_dir) / "master.key").string() : master_key_file;
}

static void check_keys(const nlohmann::json& j, const std::set<std::string>& allowed,
                       const std::string& where) {
    if (!j.is_object()) throw std::runtime_error(where + ": expected an object");
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!allowed.count(it.key()))
            throw std::runtime_error(where + ": unknown key \"" + it.key() + "\"");
}

template <class T>
static void get(const nlohmann::json& j, const char* key, T& out) {
    if (j.contains(key)) out = j.at(key).get<T>();
}

static std::string resolve(const std::string& base, const std::string& p) {
    if (p.empty() || fs::path(p).is_absolute()) return p;
    return (fs::path(base) / p).lexically_normal().string();
}

/// "HH:MM" (UTC, 24 h) → minutes after midnight.
static unsigned parse_hhmm(const std::string& s) {
    unsigned h = 0, m = 0;
    if (s.size() != 5 || s[2] != ':' || !std::isdigit(static_cast<unsigned char>(s[0])) ||
        !std::isdigit(static_cast<unsigned char>(s[1])) ||
        !std::isdigit(static_cast<unsigned char>(s[3])) ||
        !std::isdigit(static_cast<unsigned char>(s[4])))
        throw std::runtime_error("nightly.at: expected \"HH:MM\", got \"" + s + "\"");
    h = static_cast<unsigned>((s[0] - '0') * 10 + (s[1] - '0'));
    m = static_cast<unsigned>((s[3] - '0') * 10 + (s[4] - '0'));
    if (h > 23 || m > 59) throw std::runtime_error("nightly.at: no such time \"" + s + "\"");
    return h * 60 + m;
}

static void parse_nightly(const nlohmann::json& n, NightlyConfig& out) {
    check_keys(n,
               {"at", "backup_dir", "keep", "tombstone_retention_days", "history_retention_days",
                "max_offline_days"},
               "nightly");
    out.scheduled = true;
    if (n.contains("at")) out.at_minute = parse_hhmm(n.at("at").get<std::string>());
    get(n, "backup_dir", out.backup_dir);
    get(n, "keep", out.keep);
    get(n, "tombstone_retention_days", out.tombstone_retention_days);
    get(n, "history_retention_days", out.history_retention_days);
    get(n, "max_offline_days", out.max_offline_days);
    if (out.keep == 0) throw std::runtime_error("nightly.keep: must keep at least one backup");
}

Config config_from_json(const nlohmann::json& j, const std::string& base_dir) {
    Config c;
    try {
        check_keys(j,
                   {"server_id", "listen", "tls", "allow_plaintext", "data_dir", "master_key_file",
                    "create_master_key", "threads", "store_threads", "token_ttl_s",
                    "enroll_code_ttl_hours", "max_clock_ahead_ms", "shutdown_grace_ms", "log_level",
                    "limits", "schema", "policy", "nightly", "upstream"},
                   "config");
        get(j, "server_id", c.server_id);
        if (j.contains("listen")) {
            const auto& l = j.at("listen");
            check_keys(l, {"address", "port"}, "listen");
            get(l, "address", c.address);
            get(l, "port", c.port);
        }
        if (j.contains("tls")) {
            const auto& t = j.at("tls");
            check_keys(t, {"enabled", "cert", "key"}, "tls");
            get(t, "enabled", c.tls);
            get(t, "cert", c.cert_file);
            get(t, "key", c.key_file);
        }
        get(j, "allow_plaintext", c.allow_plaintext);
        get(j, "data_dir", c.data_dir);
        get(j, "master_key_file", c.master_key_file);
        get(j, "create_master_key", c.create_master_key);
        get(j, "threads", c.threads);
        get(j, "store_threads", c.store_threads);
        if (j.contains("token_ttl_s"))
            c.token_ttl_ms = j.at("token_ttl_s").get<std::uint64_t>() * 1000;
        if (j.contains("enroll_code_ttl_hours"))
            c.enroll_code_ttl_ms = j.at("enroll_code_ttl_hours").get<std::uint64_t>() * 3600 * 1000;
        get(j, "max_clock_ahead_ms", c.max_clock_ahead_ms);
        get(j, "shutdown_grace_ms", c.shutdown_grace_ms);
        get(j, "log_level", c.log_level);
        if (j.contains("limits")) {
            const auto& l = j.at("limits");
            check_keys(l,
                       {"max_frame", "max_batch", "max_connections", "max_pull_limit",
                        "handshake_timeout_ms", "idle_timeout_ms", "rate_messages_per_s",
                        "rate_burst_messages", "rate_bytes_per_s", "rate_burst_bytes",
                        "max_send_queue_bytes"},
                       "limits");
            auto& L = c.limits;
            get(l, "max_frame", L.max_frame);
            get(l, "max_batch", L.max_batch);
            get(l, "max_connections", L.max_connections);
            get(l, "max_pull_limit", L.max_pull_limit);
            get(l, "handshake_timeout_ms", L.handshake_timeout_ms);
            get(l, "idle_timeout_ms", L.idle_timeout_ms);
            get(l, "rate_messages_per_s", L.rate_messages_per_s);
            get(l, "rate_burst_messages", L.rate_burst_messages);
            get(l, "rate_bytes_per_s", L.rate_bytes_per_s);
            get(l, "rate_burst_bytes", L.rate_burst_bytes);
            get(l, "max_send_queue_bytes", L.max_send_queue_bytes);
        }
        if (j.contains("nightly")) parse_nightly(j.at("nightly"), c.nightly);
        if (j.contains("schema")) c.schema_json = j.at("schema");
        if (j.contains("policy")) c.policy_json = j.at("policy");
        if (j.contains("upstream")) c.upstream_json = j.at("upstream");
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("config: ") + e.what());
    }
    c.data_dir = resolve(base_dir, c.data_dir);
    c.cert_file = resolve(base_dir, c.cert_file);
    c.key_file = resolve(base_dir, c.key_file);
    c.master_key_file = resolve(base_dir, c.master_key_file);
    if (!j.contains("nightly") || !j.at("nightly").contains("backup_dir"))
        c.nightly.backup_dir = (fs::path(c.data_dir) / "backups").string();
    else if (!c.nightly.backup_dir.empty())
        c.nightly.backup_dir = resolve(base_dir, c.nightly.backup_dir);
    if (c.threads == 0) c.threads = 1;
    if (c.store_threads == 0) c.store_threads = 1;
    if (c.tls && (c.cert_file.empty() || c.key_file.empty()))
        throw std::runtime_error("config: tls.cert and tls.key are required when tls is enabled");
    return c;
}

Config load_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read config file: " + path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("config " + path + ": " + e.what());
    }
    auto base = fs::absolute(fs::path(path)).parent_path().string();
    return config_from_json(j, base);
}

static merge::Policy parse_policy(const std::string& s) {
    static const std::pair<const char*, merge::Policy> kPolicies[] = {
        {"lww", merge::Policy::Lww},
        {"counter", merge::Policy::Counter},
        {"max", merge::Policy::Max},
        {"append_only", merge::Policy::AppendOnly},
        {"keep_both", merge::Policy::KeepBoth},
        {"server", merge::Policy::Server}};
    for (const auto& [name, p] : kPolicies)
        if (s == name) return p;
    throw std::runtime_error("schema: unknown policy \"" + s + "\"");
}

merge::Schema schema_from_json(const nlohmann::json& j) {
    try {
        check_keys(j, {"version", "tables"}, "schema");
        merge::Schema s(j.value("version", 1u));
        for (const auto& t : j.at("tables")) {
            check_keys(t,
                       {"name", "policy", "org_column", "owner_column", "visibility", "deletable",
                        "columns"},
                       "schema table");
            merge::TableDef td;
            td.name = t.at("name").get<std::string>();
            if (t.contains("policy")) td.policy = parse_policy(t.at("policy").get<std::string>());
            get(t, "org_column", td.org_column);
            get(t, "owner_column", td.owner_column);
            get(t, "deletable", td.deletable);
            std::string vis = t.value("visibility", "org");
            if (vis == "org") {
                td.visibility = merge::Visibility::Org;
            } else if (vis == "owner") {
                td.visibility = merge::Visibility::Owner;
            } else if (vis == "officers") {
                td.visibility = merge::Visibility::Officers;
            } else {
                throw std::runtime_error("schema: unknown visibility \"" + vis + "\"");
            }
            if (t.contains("columns")) {
                for (const auto& col : t.at("columns")) {
                    check_keys(col, {"name", "policy", "sensitive"}, "schema column");
                    merge::ColumnDef cd;
                    cd.name = col.at("name").get<std::string>();
                    cd.policy = col.contains("policy")
                                    ? parse_policy(col.at("policy").get<std::string>())
                                    : td.policy;
                    get(col, "sensitive", cd.sensitive);
                    td.columns.push_back(std::move(cd));
                }
            }
            s.add(std::move(td));
        }
        return s;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("schema: ") + e.what());
    }
}

}  // namespace zb::server
