// SPDX-License-Identifier: Apache-2.0
// Home directory handling of the `zhibu` client: key file creation with 0600 permissions (or the
// ZHIBU_PASSPHRASE key record), the replica opened through zb::core::EncryptedOpener, device.json,
// and the mapping of core and transport errors to exit codes.
#include "home.hpp"

#include "zb/core/encrypted_opener.hpp"
#include "zb/crypto/encrypted_db.hpp"
#include "zb/crypto/secret_key.hpp"
#include "zb/domain/schema.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace zb::cli {
namespace {

namespace fs = std::filesystem;

/// Read the 32-byte key file, refusing one that others can read; create it when asked.
crypto::SecretKey load_or_create_key(const fs::path& path, bool create) {
    crypto::init();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        auto key = crypto::SecretKey::generate();
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            throw CliError(Exit::Storage, "storage",
                           "cannot create " + path.string() + ": " + std::strerror(errno));
        const auto bytes = key.bytes();
        const bool ok =
            ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
            ::fsync(fd) == 0;
        ::close(fd);
        if (!ok) throw CliError(Exit::Storage, "storage", "cannot write " + path.string());
        return key;
    }
    if (fd < 0) {
        if (errno == ENOENT)
            throw CliError(
                Exit::NotEnrolled, "not-enrolled",
                "no replica in " + path.parent_path().string() + " (run `zhibu enroll` first)");
        throw CliError(Exit::Storage, "storage",
                       "cannot read " + path.string() + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        ::close(fd);
        throw CliError(Exit::Storage, "storage",
                       path.string() + " is readable by other users; run chmod 600 on it");
    }
    unsigned char buf[crypto::SecretKey::kSize + 1];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n != static_cast<ssize_t>(crypto::SecretKey::kSize))
        throw CliError(Exit::Storage, "storage", path.string() + " is not a 32-byte key file");
    auto key =
        crypto::SecretKey::take_bytes(std::span<unsigned char>(buf, crypto::SecretKey::kSize));
    if (!key) throw CliError(Exit::Storage, "storage", key.error().message);
    return std::move(*key);
}

}  // namespace

core::Replica& Context::open_replica(bool create) {
    if (replica) return *replica;
    std::error_code ec;
    if (!fs::exists(db_path(), ec)) {
        if (!create)
            throw CliError(Exit::NotEnrolled, "not-enrolled",
                           "no replica in " + home.string() + " (run `zhibu enroll` first)");
        fs::create_directories(home, ec);
        if (ec)
            throw CliError(Exit::Storage, "storage",
                           "cannot create " + home.string() + ": " + ec.message());
        fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
    std::shared_ptr<core::EncryptedOpener> opener;
    const char* pass = std::getenv("ZHIBU_PASSPHRASE");
    const bool has_record = fs::exists(crypto::key_record_path(db_path().string()), ec);
    if (pass && *pass) {
        if (fs::exists(key_path(), ec))
            throw CliError(
                Exit::Storage, "storage",
                "this replica uses a key file, not a passphrase; unset ZHIBU_PASSPHRASE");
        opener = core::EncryptedOpener::with_passphrase(pass);
    } else {
        if (has_record)
            throw CliError(Exit::Storage, "storage",
                           "this replica is protected by a passphrase; set ZHIBU_PASSPHRASE");
        opener = core::EncryptedOpener::with_key(load_or_create_key(key_path(), create));
    }
    core::Options options;
    options.path = db_path().string();
    options.schema = domain::make_schema();
    options.opener = opener;
    auto r = core::Replica::open(std::move(options));
    if (!r) {
        std::string why = r.error().message;
        if (const auto& e = opener->last_error()) {
            if (e->code == crypto::Errc::WrongKey)
                why = "the key does not open this replica (wrong replica.key or passphrase): " +
                      e->message;
            else if (e->code == crypto::Errc::WrongPassphrase)
                why = "wrong passphrase (ZHIBU_PASSPHRASE): " + e->message;
        }
        throw CliError(Exit::Storage, "storage", why);
    }
    replica = std::move(r.value());
    return *replica;
}

DeviceConfig& Context::device_config() {
    if (config) return *config;
    std::ifstream in(config_path());
    if (!in)
        throw CliError(
            Exit::NotEnrolled, "not-enrolled",
            "this device is not enrolled (no " + config_path().string() + "; run `zhibu enroll`)");
    nlohmann::json j;
    try {
        in >> j;
        DeviceConfig c;
        c.server = j.at("server").get<std::string>();
        c.pin = j.value("pin", "");
        c.plaintext = j.value("plaintext", false);
        c.path = j.value("path", "/");
        c.name = j.value("name", "");
        c.device = j.value("device", std::uint64_t{0});
        c.person = j.value("person", "");
        c.role = j.value("role", "");
        c.org = j.value("org", "");
        c.enrolled = j.value("enrolled", false);
        config = c;
    } catch (const std::exception& e) {
        throw CliError(Exit::Storage, "storage",
                       config_path().string() + " is damaged: " + e.what());
    }
    if (!config->enrolled)
        throw CliError(Exit::NotEnrolled, "not-enrolled",
                       "this device is not enrolled (run `zhibu enroll`)");
    return *config;
}

void Context::save_config(const DeviceConfig& c) {
    nlohmann::json j = {{"server", c.server},    {"pin", c.pin},   {"plaintext", c.plaintext},
                        {"path", c.path},        {"name", c.name}, {"device", c.device},
                        {"person", c.person},    {"role", c.role}, {"org", c.org},
                        {"enrolled", c.enrolled}};
    const auto tmp = config_path().string() + ".tmp";
    {
        std::ofstream file(tmp, std::ios::trunc);
        file << j.dump(2) << '\n';
        if (!file) throw CliError(Exit::Storage, "storage", "cannot write " + tmp);
    }
    std::error_code ec;
    fs::rename(tmp, config_path(), ec);
    if (ec) throw CliError(Exit::Storage, "storage", "cannot write " + config_path().string());
    config = c;
}

net::ClientOptions Context::client_options(const DeviceConfig& c) const {
    net::ClientOptions o;
    std::string err;
    if (!net::parse_host_port(c.server, o.endpoint, err)) usage_error(err);
    o.endpoint.plaintext = c.plaintext;
    o.endpoint.path = c.path;
    if (!c.pin.empty()) o.transport.tls.pins.push_back(c.pin);
    o.client_name = "zhibu-cli/0.1";
    o.transport.user_agent = "zhibu-cli/0.1";
    return o;
}

void Context::wipe_all() {
    std::error_code ec;
    if (replica) {
        replica->wipe("wiped by zhibu wipe");
        replica.reset();
    } else if (fs::exists(db_path(), ec)) {
        (void)crypto::wipe(db_path().string());
    }
    fs::remove(key_path(), ec);
    fs::remove(crypto::key_record_path(db_path().string()), ec);
    fs::remove(config_path(), ec);
    config.reset();
}

void throw_net_error(const net::NetError& e) {
    Exit code = Exit::Failure;
    switch (e.code) {
        case net::NetErrc::Ok:
            throw CliError(Exit::Failure, "internal", "no error");
        case net::NetErrc::InvalidArgument:
            code = Exit::Usage;
            break;
        case net::NetErrc::Resolve:
        case net::NetErrc::Connect:
        case net::NetErrc::Timeout:
        case net::NetErrc::Closed:
        case net::NetErrc::Handshake:
            code = Exit::Network;
            break;
        case net::NetErrc::Tls:
        case net::NetErrc::PinMismatch:
            code = Exit::Security;
            break;
        case net::NetErrc::Protocol:
        case net::NetErrc::Server:
        case net::NetErrc::Wiped:
            code = Exit::Refused;
            break;
        case net::NetErrc::NotEnrolled:
            code = Exit::NotEnrolled;
            break;
        case net::NetErrc::Stopped:
        case net::NetErrc::Internal:
            code = Exit::Failure;
            break;
    }
    throw CliError(code, std::string(net::net_errc_name(e.code)), e.to_string());
}

void throw_core_error(const protocol::Error& e) {
    const auto c = static_cast<unsigned>(e.code);
    const bool rule = (c >= 400 && c < 600) || e.code == protocol::Errc::BadValue;
    std::string kind(protocol::errc_name(e.code));
    if (kind.empty()) kind = std::to_string(c);
    throw CliError(rule ? Exit::Rejected : Exit::Storage, kind, e.message);
}

}  // namespace zb::cli
