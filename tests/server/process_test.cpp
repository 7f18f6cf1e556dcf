// SPDX-License-Identifier: Apache-2.0
// zhibu-server as a child process (fork/exec): the CLI subcommands, and durability across a
// SIGKILL in the middle of a push stream: after a restart on the same data directory every
// acknowledged change is there, none is applied twice, and the audit chain verifies.
#include "server_env.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

using namespace zb;
using namespace zb::protocol;
using namespace zb::test;

namespace {

struct Child {
    pid_t pid = -1;
    FILE* out = nullptr;
    ~Child() { kill_now(); }
    void kill_now(int sig = SIGKILL) {
        if (pid > 0) {
            ::kill(pid, sig);
            int st = 0;
            ::waitpid(pid, &st, 0);
            pid = -1;
        }
        if (out) {
            std::fclose(out);
            out = nullptr;
        }
    }
};

/// Run zhibu-server with args; stdout readable through the returned pipe.
Child spawn(const std::vector<std::string>& args) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::close(fds[0]);
        ::close(fds[1]);
        std::vector<char*> argv;
        std::string exe = ZHIBU_SERVER_EXE;
        argv.push_back(exe.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(exe.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    Child c;
    c.pid = pid;
    c.out = ::fdopen(fds[0], "r");
    return c;
}

/// Run to completion; returns (exit code, stdout).
std::pair<int, std::string> run(const std::vector<std::string>& args) {
    Child c = spawn(args);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, c.out)) > 0)
        out.append(buf, n);
    int st = 0;
    ::waitpid(c.pid, &st, 0);
    c.pid = -1;
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::uint16_t read_port(Child& c) {
    char line[512];
    while (std::fgets(line, sizeof line, c.out)) {
        std::string s(line);
        auto pos = s.find("listening on ");
        if (pos != std::string::npos)
            return static_cast<std::uint16_t>(std::stoi(s.substr(s.rfind(':') + 1)));
    }
    FAIL("zhibu-server did not report its port");
    return 0;
}

}  // namespace

TEST_CASE("zhibu-server CLI: help, dev-cert pin, enroll-code, audit-verify", "[process]") {
    TempDir dir("zb-cli");
    CHECK(run({"--help"}).first == 0);
    for (const char* cmd : {"serve", "dev-cert", "enroll-code", "revoke", "audit-verify"}) {
        auto [code, out] = run({cmd, "--help"});
        CHECK(code == 0);
        CHECK(out.find("usage: zhibu-server") != std::string::npos);
    }
    CHECK(run({"bogus"}).first == 2);
    auto [code, out] = run({"dev-cert", "--out", dir.file("tls")});
    REQUIRE(code == 0);
    auto pin = server::spki_pin_of_cert_file(dir.file("tls") + "/cert.pem");
    CHECK(out.find("spki-sha256-pin: " + pin) != std::string::npos);
    CHECK(pin.size() == 44);

    nlohmann::json cfg = {{"tls", {{"cert", "tls/cert.pem"}, {"key", "tls/key.pem"}}},
                          {"data_dir", "data"},
                          {"schema", test_schema_json()}};
    std::ofstream(dir.file("zhibu.json")) << cfg.dump(2);
    auto [c2, code_out] = run({"enroll-code", "--config", dir.file("zhibu.json"), "--person", "p1",
                               "--role", "member", "--org", "/u/cs/b3", "--ttl-hours", "2"});
    CHECK(c2 == 0);
    CHECK(code_out.size() >= 19);
    CHECK(run({"enroll-code", "--config", dir.file("zhibu.json"), "--person", "p1", "--role",
               "pope", "--org", "/u/cs/b3"})
              .first == 2);
    auto [c3, verify] = run({"audit-verify", "--config", dir.file("zhibu.json")});
    CHECK(c3 == 0);
    CHECK(verify.find("audit chain ok: 1 entries") != std::string::npos);
}

TEST_CASE("SIGKILL mid-stream: every acknowledged change survives, none applied twice",
          "[process]") {
    TempDir dir("zb-kill");
    server::make_dev_cert(dir.file("tls"));
    nlohmann::json cfg = {{"listen", {{"address", "127.0.0.1"}, {"port", 0}}},
                          {"tls", {{"cert", "tls/cert.pem"}, {"key", "tls/key.pem"}}},
                          {"data_dir", "data"},
                          {"log_level", "error"},
                          {"schema", test_schema_json()}};
    const std::string conf = dir.file("zhibu.json");
    std::ofstream(conf) << cfg.dump(2);
    auto [rc, code_out] = run({"enroll-code", "--config", conf, "--person", "sec", "--role",
                               "branch_secretary", "--org", "/u/cs/b3"});
    REQUIRE(rc == 0);
    std::string code = code_out.substr(0, code_out.find('\n'));

    Device dev;
    dev.keys = DeviceKeys::generate();
    std::vector<Push> sent;
    std::uint64_t acked = 0;
    {
        Child srv = spawn({"serve", "--config", conf});
        auto port = read_port(srv);
        TestClient c(port, dir.file("tls") + "/cert.pem");
        c.hello();
        c.enroll(code, dev.keys);
        c.auth_sig(dev.keys);
        // Acked batches, then more pushes in flight when the server dies.
        for (int b = 0; b < 40; ++b) {
            std::vector<Change> changes;
            for (int i = 0; i < 25; ++i) {
                std::string row = "n" + std::to_string(b * 25 + i);
                changes.push_back(dev.set("notices", row, "org", std::string("/u/cs/b3")));
                changes.push_back(dev.set("notices", row, "title", "v" + std::to_string(b)));
            }
            sent.push_back(c.make_push(dev.keys, changes));
            c.send(sent.back());
            if (b < 30) acked = c.expect<PushAck>().acked_seq;
        }
        srv.kill_now(SIGKILL);
    }
    REQUIRE(acked == 30 * 50);
    std::uint64_t after_restart = 0;
    {
        Child srv = spawn({"serve", "--config", conf});
        auto port = read_port(srv);
        {
            TestClient c(port, dir.file("tls") + "/cert.pem");
            c.hello();
            auto ok = c.auth_sig(dev.keys);
            CHECK(ok.acked_seq >= acked);  // some in-flight batches may have committed, too
            after_restart = ok.acked_seq;
            CHECK(after_restart % 50 == 0);  // a batch is one transaction: never half of one
            std::uint64_t cursor = 0;
            std::set<std::string> cells;
            for (auto& ch : pull_all(c, cursor))
                CHECK(cells.insert(ch.row + "/" + ch.column).second);
            CHECK(cells.size() == after_restart);
            // The device retries everything: re-acknowledged, not re-applied, the rest applied.
            for (auto& p : sent) {
                c.send(p);
                auto ack = c.expect<PushAck>();
                for (auto& r : ack.results)
                    CHECK(r.code == Errc::Ok);
            }
        }
        srv.kill_now(SIGTERM);
    }
    server::Config c;
    c.tls = false;
    c.data_dir = dir.file("data");
    auto ctx = server::make_context(c, test_schema());
    CHECK(ctx->store->accepted_changes() == 40 * 50);
    auto [vrc, verify] = run({"audit-verify", "--config", conf});
    CHECK(vrc == 0);
    INFO(verify);
}

TEST_CASE("revoke from a separate process closes the running server's live sessions", "[process]") {
    TempDir dir("zb-revoke");
    server::make_dev_cert(dir.file("tls"));
    nlohmann::json cfg = {{"listen", {{"address", "127.0.0.1"}, {"port", 0}}},
                          {"tls", {{"cert", "tls/cert.pem"}, {"key", "tls/key.pem"}}},
                          {"data_dir", "data"},
                          {"log_level", "error"},
                          {"schema", test_schema_json()}};
    const std::string conf = dir.file("zhibu.json");
    std::ofstream(conf) << cfg.dump(2);
    auto code_for = [&](const std::string& person) {
        auto [rc, out] = run({"enroll-code", "--config", conf, "--person", person, "--role",
                              "member", "--org", "/u/cs/b3"});
        REQUIRE(rc == 0);
        return out.substr(0, out.find('\n'));
    };
    const std::string plain_code = code_for("m1"), wipe_code = code_for("m2"),
                      kept_code = code_for("m3");

    Child srv = spawn({"serve", "--config", conf});
    auto port = read_port(srv);
    const std::string ca = dir.file("tls") + "/cert.pem";
    auto login = [&](const std::string& code, DeviceKeys& keys) {
        keys = DeviceKeys::generate();
        auto c = std::make_unique<TestClient>(port, ca, true, 15000);
        c->hello();
        keys.id = c->enroll(code, keys).device;
        c->auth_sig(keys);
        return c;
    };
    DeviceKeys k1, k2, k3;
    auto plain = login(plain_code, k1);
    auto wiped = login(wipe_code, k2);
    auto kept = login(kept_code, k3);

    // Another process writes the revocations; the running server was not told.
    CHECK(run({"revoke", "--config", conf, "--device", std::to_string(k1.id)}).first == 0);
    CHECK(run({"revoke", "--config", conf, "--device", std::to_string(k2.id), "--wipe"}).first ==
          0);

    auto m1 = plain->recv();  // within the client's 15 s receive timeout
    REQUIRE(m1);
    auto* bye = std::get_if<Goodbye>(&*m1);
    REQUIRE(bye);
    CHECK(bye->code == Errc::DeviceRevoked);
    CHECK(plain->closed_by_server());

    auto m2 = wiped->recv();
    REQUIRE(m2);
    CHECK(std::holds_alternative<Wipe>(*m2));
    CHECK(wiped->closed_by_server());

    // The device that was not revoked keeps its session and can still sync.
    auto page = kept->pull(0);
    CHECK_FALSE(page.has_more);
    srv.kill_now(SIGTERM);
}
