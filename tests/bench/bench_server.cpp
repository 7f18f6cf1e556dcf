// SPDX-License-Identifier: Apache-2.0
// Sync-server benchmark; prints one table (metric | value | target | met):
//   1. ingest: column changes per second through ingest() and the SQLite store (no network);
//   2. initial sync of 100,000 records (2 cells each) to a fresh device over loopback TLS;
//   3. push-to-other-device latency (push sent → Notify read) with 1,000 devices connected;
//   4. server RSS per idle connection (TLS + WebSocket + Hello), server in a forked child.
// Usage: bench_server [--records N] [--devices N] [--idle N] [--only mem|ingest|sync]
#include "summary.hpp"

#include "zb/protocol/codec.hpp"
#include "zb/server/config.hpp"
#include "zb/server/context.hpp"
#include "zb/server/ingest.hpp"
#include "zb/server/server.hpp"
#include "zb/server/tls.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace zb;
using namespace zb::protocol;
using Clock = std::chrono::steady_clock;

double secs(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

struct Keys {
    Bytes pk = Bytes(crypto_sign_PUBLICKEYBYTES);
    Bytes sk = Bytes(crypto_sign_SECRETKEYBYTES);
    Keys() { crypto_sign_keypair(pk.data(), sk.data()); }
    Bytes sign(const Bytes& m) const {
        Bytes s(crypto_sign_BYTES);
        crypto_sign_detached(s.data(), nullptr, m.data(), m.size(), sk.data());
        return s;
    }
};

/// A minimal blocking client (TLS WebSocket, one message per binary frame).
struct Client {
    using Ws = websocket::stream<beast::ssl_stream<tcp::socket>>;
    std::unique_ptr<Ws> ws;
    Bytes challenge;

    Client(net::io_context& ioc, ssl::context& ctx, std::uint16_t port) {
        ws = std::make_unique<Ws>(ioc, ctx);
        beast::get_lowest_layer(*ws).connect(
            tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        ws->next_layer().handshake(ssl::stream_base::client);
        websocket::permessage_deflate pmd;
        pmd.client_enable = true;
        ws->set_option(pmd);
        ws->read_message_max(64u << 20);
        ws->binary(true);
        ws->handshake("localhost", "/sync");
    }
    void send(const Message& m) {
        auto b = encode(m);
        ws->write(net::buffer(b));
    }
    Message recv() {
        beast::flat_buffer buf;
        ws->read(buf);
        auto d = buf.data();
        auto m = decode(std::span(static_cast<const std::uint8_t*>(d.data()), d.size()));
        if (!m) throw std::runtime_error("decode: " + m.error().message);
        return m.value();
    }
    template <class T>
    T expect() {
        for (;;) {
            Message m = recv();
            if (auto* t = std::get_if<T>(&m)) return *t;
            if (std::holds_alternative<Notify>(m)) continue;
            throw std::runtime_error("unexpected " + std::string(type_name(type_of(m))));
        }
    }
    void hello() {
        send(Hello{});
        challenge = expect<Welcome>().challenge;
    }
    DeviceId login(const std::string& code, const Keys& k) {
        hello();
        send(Enroll{code, k.pk, "bench"});
        auto e = expect<Enrolled>();
        Auth a;
        a.device = e.device;
        a.signature = k.sign(auth_payload(challenge, e.device));
        send(a);
        expect<AuthOk>();
        return e.device;
    }
};

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

merge::Schema bench_schema() {
    return server::schema_from_json(nlohmann::json::parse(
        R"({"tables": [{"name": "notices", "columns": [{"name": "title"}]}]})"));
}

server::Config bench_config(const std::string& dir, const server::DevCert& cert) {
    server::Config c;
    c.address = "127.0.0.1";
    c.port = 0;
    c.cert_file = cert.cert_file;
    c.key_file = cert.key_file;
    c.data_dir = dir;
    c.log_level = "error";
    c.threads = 2;
    c.store_threads = 2;
    c.limits.max_connections = 100000;
    c.shutdown_grace_ms = 2000;
    return c;
}

std::string code_for(server::ServerContext& ctx, const std::string& person, const std::string& role,
                     const std::string& org) {
    auto n = ctx.now_ms();
    return ctx.store->issue_enroll_code({person, role, org}, n + 3600000, n).value();
}

/// Enroll directly in the store and return the principal (ingest bench, no network).
server::Principal store_device(server::ServerContext& ctx, const Keys& k) {
    auto code = code_for(ctx, "writer", "org_department", "/u");
    auto d = ctx.store->enroll(code, k.pk, "bench", ctx.now_ms()).value();
    return server::make_principal(d.id, d.person, server::Role::OrgDepartment, d.org);
}

/// Ingest `rows` notices (org + title) in batches of 5000 changes; returns seconds spent.
double ingest_rows(server::ServerContext& ctx, const Keys& k, const server::Principal& p,
                   std::size_t rows, std::uint64_t& seq, const std::string& org_prefix) {
    double spent = 0;
    std::uint64_t ms = now_ms();
    std::size_t row = 0;
    while (row < rows) {
        Push push;
        push.batch = seq;
        for (std::size_t i = 0; i < 2500 && row < rows; ++i, ++row) {
            for (int col = 0; col < 2; ++col) {
                Change c;
                c.table = "notices";
                c.row = "r" + std::to_string(row);
                c.column = col ? "title" : "org";
                c.value = col ? Value{"title of row " + std::to_string(row)}
                              : Value{org_prefix + std::to_string(row % 50)};
                c.hlc = Hlc::make(ms, static_cast<std::uint16_t>(row & 0xffff));
                c.origin = p.device;
                c.seq = seq++;
                push.changes.push_back(std::move(c));
            }
        }
        push.signature = k.sign(push_payload(push));
        auto t0 = Clock::now();
        auto r = server::ingest(ctx, p, push);
        spent += secs(Clock::now() - t0);
        if (!r || r->accepted != push.changes.size()) throw std::runtime_error("ingest failed");
        ++ms;
    }
    return spent;
}

long rss_kb(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

struct Row {
    std::string metric, value, target;
    bool met;
};

}  // namespace

int main(int argc, char** argv) {
    std::size_t records = 100000, devices = 1000, idle = 10000;
    std::string only;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--only") only = argv[i + 1];
        if (k == "--records") records = std::stoul(argv[i + 1]);
        if (k == "--devices") devices = std::stoul(argv[i + 1]);
        if (k == "--idle") idle = std::stoul(argv[i + 1]);
    }
    if (sodium_init() < 0) return 1;
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    std::vector<Row> rows;
    auto dir =
        std::filesystem::temp_directory_path() / ("zb-bench-server-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto cert = server::make_dev_cert((dir / "tls").string());
    char buf[256];

    auto wanted = [&](const char* part) { return only.empty() || only == part; };

    // ---- 4 first: memory per idle connection, server in a child forked before any thread ----
    if (wanted("mem")) {
        std::size_t n = idle;
        const std::size_t fd_room =
            rl.rlim_cur > 200 ? static_cast<std::size_t>(rl.rlim_cur) - 200 : 0;
        std::string note;
        if (n > fd_room) {
            note = " (fd limit " + std::to_string(rl.rlim_cur) + ")";
            n = fd_room;
        }
        int pfd[2];
        if (pipe(pfd) != 0) return 1;
        pid_t child = fork();
        if (child == 0) {
            close(pfd[0]);
            auto ctx =
                server::make_context(bench_config((dir / "mem").string(), cert), bench_schema());
            server::Server srv(*ctx);
            srv.start();
            std::uint16_t port = srv.port();
            if (write(pfd[1], &port, sizeof port) != sizeof port) _exit(1);
            srv.run_until_signal();
            _exit(0);
        }
        close(pfd[1]);
        std::uint16_t port = 0;
        if (read(pfd[0], &port, sizeof port) != sizeof port) return 1;
        net::io_context ioc;
        ssl::context ctx{ssl::context::tls_client};
        ctx.set_verify_mode(ssl::verify_none);
        std::vector<std::unique_ptr<Client>> conns;
        {  // warm up allocator arenas and the session machinery
            Client w(ioc, ctx, port);
            w.hello();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        long before = rss_kb(child);
        std::size_t opened = 0;
        try {
            for (; opened < n; ++opened) {
                conns.push_back(std::make_unique<Client>(ioc, ctx, port));
                conns.back()->hello();
            }
        } catch (const std::exception& e) {
            note += " (stopped at " + std::to_string(opened) + ": " + e.what() + ")";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        long after = rss_kb(child);
        double per =
            opened ? static_cast<double>(after - before) * 1024.0 / static_cast<double>(opened) : 0;
        conns.clear();
        kill(child, SIGTERM);
        int st = 0;
        waitpid(child, &st, 0);
        std::snprintf(buf, sizeof buf, "%.1f KB", per / 1024.0);
        rows.push_back(
            {"server RSS per idle connection, " + std::to_string(opened) + " conns" + note, buf,
             "<= 20 KB", per <= 20 * 1024});
    }

    // ---- 1: ingest ----
    if (wanted("ingest")) {
        auto ctx =
            server::make_context(bench_config((dir / "ingest").string(), cert), bench_schema());
        Keys k;
        auto p = store_device(*ctx, k);
        std::uint64_t seq = 1;
        ingest_rows(*ctx, k, p, 5000, seq, "/u/c/b");  // warm-up
        const std::size_t n_rows = 100000;
        double t = ingest_rows(*ctx, k, p, n_rows, seq, "/u/c/b");
        double rate = static_cast<double>(n_rows * 2) / t;
        std::snprintf(buf, sizeof buf, "%.0f changes/s", rate);
        rows.push_back(
            {"ingest (store path, batches of 5000)", buf, ">= 100000/s", rate >= 100000});
    }

    // ---- 2 and 3: initial sync and notify latency over loopback TLS ----
    if (wanted("sync")) {
        auto ctx =
            server::make_context(bench_config((dir / "sync").string(), cert), bench_schema());
        Keys writer;
        auto p = store_device(*ctx, writer);
        std::uint64_t seq = 1;
        ingest_rows(*ctx, writer, p, records, seq, "/u/c/b");
        server::Server srv(*ctx);
        srv.start();
        net::io_context ioc;
        ssl::context sctx{ssl::context::tls_client};
        sctx.load_verify_file(cert.cert_file);
        sctx.set_verify_mode(ssl::verify_peer);
        {
            Keys k;
            auto code = code_for(*ctx, "reader", "college_committee", "/u/c");
            auto t0 = Clock::now();
            Client c(ioc, sctx, srv.port());
            c.login(code, k);
            std::uint64_t cursor = 0, cells = 0;
            for (;;) {
                c.send(Pull{cursor, 5000});
                auto page = c.expect<Changes>();
                cells += page.changes.size();
                cursor = page.cursor;
                if (!page.has_more) break;
            }
            double t = secs(Clock::now() - t0);
            std::snprintf(buf, sizeof buf, "%.2f s (%llu cells)", t,
                          static_cast<unsigned long long>(cells));
            rows.push_back({"initial sync of " + std::to_string(records) + " records, TLS", buf,
                            "<= 3 s", t <= 3.0});
        }
        // 1,000 connected members, one per branch; an officer pushes into one branch at a time.
        std::vector<std::unique_ptr<Client>> members;
        for (std::size_t i = 0; i < devices; ++i) {
            Keys k;
            auto code =
                code_for(*ctx, "m" + std::to_string(i), "member", "/u/l/b" + std::to_string(i));
            members.push_back(std::make_unique<Client>(ioc, sctx, srv.port()));
            members.back()->login(code, k);
        }
        Keys ok;
        Client officer(ioc, sctx, srv.port());
        auto off_id = officer.login(code_for(*ctx, "off", "org_department", "/u"), ok);
        std::vector<double> lat;
        std::uint64_t oseq = 1, ms = now_ms();
        for (int s = 0; s < 300; ++s) {
            std::size_t target = (static_cast<std::size_t>(s) * 7919) % devices;
            Push push;
            push.batch = oseq;
            for (int col = 0; col < 2; ++col) {
                Change c;
                c.table = "notices";
                c.row = "live" + std::to_string(s);
                c.column = col ? "title" : "org";
                c.value =
                    col ? Value{std::string("hello")} : Value{"/u/l/b" + std::to_string(target)};
                c.hlc = Hlc::make(++ms, 0);
                c.origin = off_id;
                c.seq = oseq++;
                push.changes.push_back(c);
            }
            push.signature = ok.sign(push_payload(push));
            auto t0 = Clock::now();
            officer.send(push);
            members[target]->expect<Notify>();
            lat.push_back(secs(Clock::now() - t0) * 1000.0);
            officer.expect<PushAck>();
        }
        std::sort(lat.begin(), lat.end());
        double p50 = lat[lat.size() / 2], p99 = lat[lat.size() * 99 / 100];
        std::snprintf(buf, sizeof buf, "p50 %.1f ms, p99 %.1f ms", p50, p99);
        rows.push_back({"push-to-other-device latency, " + std::to_string(devices) + " connected",
                        buf, "p99 <= 50 ms", p99 <= 50.0});
        members.clear();
        srv.stop();
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);

    std::printf("| metric | value | target | met |\n|---|---|---|---|\n");
    for (auto& r : rows)
        std::printf("| %s | %s | %s | %s |\n", r.metric.c_str(), r.value.c_str(), r.target.c_str(),
                    r.met ? "yes" : "no");
    for (auto& r : rows)
        if (!r.target.empty() && r.target != "-")
            zb::bench::summary("bench_server", r.metric, r.value, r.target, r.met);
    return 0;
}
