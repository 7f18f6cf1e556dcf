// SPDX-License-Identifier: Apache-2.0
// Integration tests of the `zhibu` command-line client: the real binary runs as child processes
// against a real zhibu server (in this process, on 127.0.0.1, domain schema). Two devices enroll,
// one writes offline and syncs, the other syncs and sees it; --help works for every command; bad
// arguments fail with clear messages and the documented exit codes.
#include "run_process.hpp"
#include "temp_dir.hpp"
#include "test_server.hpp"

#include "zb/domain/schema.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr const char* kBranch = "/u/c1/b1";

struct Zhibu {
    std::string home;
    std::map<std::string, std::string> env{{"ZHIBU_PASSPHRASE", ""}, {"ZHIBU_HOME", ""}};

    zb::test::ProcessResult run(std::vector<std::string> args) const {
        std::vector<std::string> argv{ZHIBU_BIN, "--home", home};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = zb::test::run_process(argv, env, 60s);
        UNSCOPED_INFO("zhibu " <<
                      [&] {
                          std::string s;
                          for (const auto& a : args)
                              s += a + " ";
                          return s;
                      }() << "\nexit "
                               << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
        return r;
    }

    /// Run with --json and parse stdout; requires exit 0.
    Json ok(std::vector<std::string> args) const {
        args.insert(args.begin(), "--json");
        auto r = run(args);
        REQUIRE_FALSE(r.timed_out);
        REQUIRE(r.exit_code == 0);
        auto j = Json::parse(r.out);
        REQUIRE(j.at("ok") == true);
        return j;
    }
};

Json enroll(const Zhibu& z, zb::test::TestServer& server, const std::string& person,
            const std::string& role) {
    return z.ok({"enroll", "--server", server.address(), "--pin", server.pin(), "--code",
                 server.issue_code(person, role, kBranch), "--name", person + "-laptop"});
}

std::vector<std::string> command_names() {
    Zhibu z{"/nonexistent-zhibu-home"};
    auto r = z.run({"--help"});
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> names;
    std::istringstream in(r.out);
    std::string line;
    bool in_list = false;
    while (std::getline(in, line)) {
        if (line == "Commands:") {
            in_list = true;
            continue;
        }
        if (!in_list || line.size() < 3) continue;
        auto end = line.find("  ", 2);
        names.push_back(line.substr(2, end - 2));
    }
    return names;
}

}  // namespace

TEST_CASE("zhibu --help works for every command", "[cli]") {
    const auto names = command_names();
    REQUIRE(names.size() >= 20);
    for (const auto& expected : {"enroll",
                                 "login",
                                 "status",
                                 "sync",
                                 "study",
                                 "quiz",
                                 "comment",
                                 "meeting create",
                                 "meeting sign-in",
                                 "meeting minutes",
                                 "meeting vote",
                                 "meeting attach",
                                 "meeting submit",
                                 "dues record",
                                 "conflicts list",
                                 "conflicts resolve",
                                 "rejected list",
                                 "rejected dismiss",
                                 "show",
                                 "wipe"})
        CHECK(std::find(names.begin(), names.end(), expected) != names.end());
    Zhibu z{"/nonexistent-zhibu-home"};
    for (const auto& name : names) {
        std::vector<std::string> args;
        std::istringstream words(name);
        for (std::string w; words >> w;)
            args.push_back(w);
        args.push_back("--help");
        auto r = z.run(args);
        CHECK(r.exit_code == 0);
        CHECK(r.out.rfind("usage: zhibu", 0) == 0);
        CHECK(r.out.find(name) != std::string::npos);
    }
    CHECK(z.run({"help", "sync"}).out.find("--live") != std::string::npos);
}

TEST_CASE("zhibu rejects bad arguments with clear errors and exit codes", "[cli]") {
    zb::test::TempDir dir("zb-cli-bad");
    Zhibu z{dir.file("home")};

    auto r = z.run({"frobnicate"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("unknown command 'frobnicate'") != std::string::npos);

    r = z.run({});
    CHECK(r.exit_code == 2);

    r = z.run({"meeting"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("needs a subcommand") != std::string::npos);

    r = z.run({"study", "--content", "c1", "--seconds", "ten", "--progress", "0.5"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--seconds expects an integer") != std::string::npos);

    r = z.run({"study", "--content", "c1", "--seconds", "10", "--progress", "1.5"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--progress must be between") != std::string::npos);

    r = z.run({"sync", "--bogus"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("unknown option --bogus") != std::string::npos);

    r = z.run({"enroll", "--server", "127.0.0.1", "--pin", "x", "--code", "c"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("HOST:PORT") != std::string::npos);

    r = z.run({"enroll", "--server", "127.0.0.1:1", "--pin", "not-a-pin", "--code", "c"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--pin") != std::string::npos);

    r = z.run({"wipe"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--yes") != std::string::npos);

    // Not enrolled: exit 3, and --json carries the same error in machine-readable form.
    r = z.run({"--json", "status"});
    CHECK(r.exit_code == 3);
    auto j = Json::parse(r.out);
    CHECK(j["ok"] == false);
    CHECK(j["error"]["kind"] == "not-enrolled");
    CHECK(j["error"]["exit"] == 3);
}

TEST_CASE("zhibu: two devices, an offline write and a sync", "[cli][integration]") {
    zb::test::TestServer server(zb::domain::make_schema());
    zb::test::TempDir dir("zb-cli-two");
    Zhibu sec{dir.file("secretary")};
    Zhibu mem{dir.file("member")};

    auto e = enroll(sec, server, "s1", "branch_secretary");
    CHECK(e["person"] == "s1");
    CHECK(e["org"] == kBranch);
    enroll(mem, server, "m1", "member");

    // The key file is private.
    struct stat st {};
    REQUIRE(::stat((std::filesystem::path(sec.home) / "replica.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    // A second enrollment into the same home is refused.
    auto again = sec.run(
        {"enroll", "--server", server.address(), "--pin", server.pin(), "--code", "whatever"});
    CHECK(again.exit_code == 2);
    CHECK(again.err.find("already enrolled") != std::string::npos);

    // The secretary works offline: nothing is sent until `sync`.
    sec.ok({"meeting", "create", "--id", "mtg-1", "--type", "general_meeting", "--topic",
            "Study session on the Party constitution", "--place", "Room 204", "--expected", "12"});
    auto status = sec.ok({"status"});
    CHECK(status["outbox"].get<int>() >= 1);
    CHECK(server.context().store->accepted_changes() == 0);

    auto s = sec.ok({"sync"});
    CHECK(s["sync"]["accepted"].get<int>() >= 1);
    CHECK(s["sync"]["rejected"] == 0);
    CHECK(s["sync"]["outbox_left"] == 0);

    auto login = mem.ok({"login"});
    CHECK(login["person"] == "m1");
    CHECK(login["role"] == "member");

    mem.ok({"sync"});
    auto row = mem.ok({"show", "meetings", "mtg-1"});
    CHECK(row["row"]["values"]["topic"] == "Study session on the Party constitution");
    CHECK(row["row"]["values"]["expected_count"] == 12);

    // The member signs in, studies and comments; a minutes write is officers-only on the server.
    mem.ok({"meeting", "sign-in", "--meeting", "mtg-1"});
    mem.ok({"study", "--content", "pack-3", "--seconds", "600", "--progress", "0.4"});
    mem.ok({"comment", "--target", "pack-3", "--text", "Very clear explanation."});
    mem.ok({"meeting", "minutes", "--meeting", "mtg-1", "--text", "I think we decided ..."});
    auto ms = mem.ok({"sync"});
    CHECK(ms["sync"]["rejected"].get<int>() >= 1);
    auto rejected = mem.ok({"rejected", "list"});
    REQUIRE(rejected["rejected"].size() >= 1);
    const auto& first = rejected["rejected"][0];
    CHECK(first["table"] == "meeting_minutes");
    CHECK(first["code_name"] == "Forbidden");
    mem.ok({"rejected", "dismiss", std::to_string(first["id"].get<std::int64_t>())});
    CHECK(mem.ok({"rejected"})["rejected"].size() == rejected["rejected"].size() - 1);

    // The secretary sees the sign-in after syncing.
    sec.ok({"sync"});
    auto attendance = sec.ok({"show", "attendance"});
    bool found = false;
    for (const auto& r : attendance["rows"])
        if (r["values"]["person_id"] == "m1" && r["values"]["meeting_id"] == "mtg-1") found = true;
    CHECK(found);

    // Secretary records the rest of the meeting.
    sec.ok({"meeting", "minutes", "--meeting", "mtg-1", "--text", "Quorum reached."});
    sec.ok({"meeting", "vote", "--meeting", "mtg-1", "--subject", "motion-1", "--yes", "10", "--no",
            "0", "--abstain", "1"});
    sec.ok({"dues", "record", "--person", "m1", "--months", "2026-01", "--amount-fen", "2000"});
    auto fin = sec.ok({"sync"});
    CHECK(fin["sync"]["rejected"] == 0);
    CHECK(sec.ok({"status"})["outbox"] == 0);

    // Wrong pin: typed security error (exit 5), the outbox is kept.
    sec.ok({"comment", "--target", "pack-3", "--text", "kept while the pin is wrong"});
    const auto pending = sec.ok({"status"})["outbox"].get<int>();
    REQUIRE(pending > 0);
    {
        auto cfg_path = std::filesystem::path(sec.home) / "device.json";
        Json cfg;
        std::ifstream(cfg_path) >> cfg;
        const auto good = cfg["pin"];
        cfg["pin"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        std::ofstream(cfg_path) << cfg.dump();
        auto bad = sec.run({"--json", "sync"});
        CHECK(bad.exit_code == 5);
        CHECK(Json::parse(bad.out)["error"]["kind"] == "pin-mismatch");
        cfg["pin"] = good;
        std::ofstream(cfg_path) << cfg.dump();
    }
    CHECK(sec.ok({"status"})["outbox"] == pending);

    // Server down: a network error (exit 4), outbox intact.
    server.stop();
    auto down = sec.run({"sync"});
    CHECK(down.exit_code == 4);
    CHECK(down.err.find("127.0.0.1") != std::string::npos);
    CHECK(sec.ok({"status"})["outbox"] == pending);
}

TEST_CASE("zhibu: a passphrase-protected replica", "[cli][integration]") {
    zb::test::TestServer server(zb::domain::make_schema());
    zb::test::TempDir dir("zb-cli-pass");
    Zhibu z{dir.file("home")};
    z.env["ZHIBU_PASSPHRASE"] = "correct horse battery staple";
    enroll(z, server, "m2", "member");
    CHECK(std::filesystem::exists(std::filesystem::path(z.home) / "replica.db.zbkey"));
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(z.home) / "replica.key"));
    z.ok({"study", "--content", "pack-1", "--seconds", "30", "--progress", "0.1"});

    Zhibu wrong = z;
    wrong.env["ZHIBU_PASSPHRASE"] = "wrong";
    auto r = wrong.run({"status"});
    CHECK(r.exit_code == 7);
    CHECK(r.err.find("passphrase") != std::string::npos);

    Zhibu none = z;
    none.env["ZHIBU_PASSPHRASE"] = "";
    r = none.run({"status"});
    CHECK(r.exit_code == 7);
    CHECK(r.err.find("ZHIBU_PASSPHRASE") != std::string::npos);

    CHECK(z.ok({"sync"})["sync"]["accepted"].get<int>() >= 1);
    z.ok({"wipe", "--yes"});
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path(z.home) / "replica.db"));
    CHECK(z.run({"status"}).exit_code == 3);
}
