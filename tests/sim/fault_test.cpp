// SPDX-License-Identifier: Apache-2.0
// Storage faults, SQLite's own way (reliability.md §2.2): across a workload, the Nth read, write
// or sync fails (N = 1, 2, 3 …) on the phone's replica and on the server's store, then the power
// goes out. Each time: the failing call returns a typed error (StorageFailure or DiskFull),
// everything that returned success is still there after the reboot, and PRAGMA integrity_check
// passes. Runs on the in-memory VFS (simfs.hpp), so no disk is touched by SQLite.
#include "sim.hpp"
#include "simfs.hpp"

#include "zb/core/replica.hpp"
#include "zb/server/config.hpp"
#include "zb/server/context.hpp"
#include "zb/server/ingest.hpp"
#include "zb/server/scope.hpp"

#include <catch2/catch.hpp>
#include <sodium.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <unistd.h>

namespace {

using namespace zb;
using sim::FaultPlan;
using sim::IoKind;
using sim::SimFs;

const std::string kRoot = "/tmp/zb-faults-" + std::to_string(::getpid());

std::string integrity(const std::string& path) {
    sqlite3* db = nullptr;
    std::string out = "open failed";
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, SimFs::vfs_name()) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        out = "prepare failed";
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK) {
            out.clear();
            while (sqlite3_step(st) == SQLITE_ROW)
                out += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }
    sqlite3_close_v2(db);
    return out;
}

merge::Schema schema() {
    return server::schema_from_json(nlohmann::json::parse(R"({"tables": [
        {"name": "notes", "columns": [{"name": "org"}, {"name": "body"}, {"name": "n", "policy": "counter"}]}]})"));
}

core::Options replica_options(const std::string& path) {
    core::Options o;
    o.path = path;
    o.schema = schema();
    o.now_ms = [] { return std::uint64_t{1'760'000'000'000}; };
    return o;
}

bool typed_storage_error(protocol::Errc c) {
    return c == protocol::Errc::StorageFailure || c == protocol::Errc::DiskFull;
}

struct FaultCase {
    IoKind kind;
    int error;
    const char* name;
};
const FaultCase kCases[] = {
    {IoKind::Write, 0, "write IOERR"},
    {IoKind::Write, SQLITE_FULL, "write FULL"},
    {IoKind::Sync, 0, "sync IOERR"},
    {IoKind::Read, 0, "read IOERR"},
};

}  // namespace

TEST_CASE("faults: the Nth read, write or sync of the replica fails, then power loss",
          "[unit][faults]") {
    sim::install_determinism();
    SimFs& fs = SimFs::instance();
    const std::string dir = kRoot + "/replica/";
    const std::string path = dir + "replica.db";
    std::uint64_t fired_total = 0;
    for (const FaultCase& fc : kCases) {
        for (std::uint64_t n = 1; n <= 40; ++n) {
            INFO(fc.name << " N=" << n);
            fs.reset();
            std::map<std::string, std::string> committed;  // row -> body that returned success
            {
                auto r = core::Replica::open(replica_options(path));
                REQUIRE(r);
                auto rep = std::move(r.value());
                REQUIRE(rep->write("notes", "base", {{"body", "b"}}));
                committed["base"] = "b";
                fs.arm(FaultPlan{fc.kind, n, fc.error, false, dir});
                for (int i = 0; i < 8; ++i) {
                    const std::string row = "r" + std::to_string(i);
                    const std::string body = "v" + std::to_string(n) + "-" + std::to_string(i);
                    auto w = rep->write("notes", row, {{"body", body}});
                    if (w) {
                        committed[row] = body;
                    } else {
                        REQUIRE(typed_storage_error(w.error().code));
                        REQUIRE_FALSE(w.error().message.empty());
                    }
                }
                fs.disarm();
                fs.take_crash_image(dir, true, nullptr);
            }
            fired_total += fs.fired();
            fs.restore_crash_image();
            REQUIRE(integrity(path) == "ok");
            auto r = core::Replica::open(replica_options(path));
            REQUIRE(r);
            auto rep = std::move(r.value());
            for (const auto& [row, body] : committed) {
                auto v = rep->read("notes", row);
                REQUIRE(v);
                REQUIRE(v.value().has_value());
                REQUIRE(std::get<std::string>(v.value()->at("body")) == body);
            }
            // Every committed write is still queued for the server, once.
            auto out = rep->outbox_size();
            REQUIRE(out);
            CHECK(out.value() == committed.size());
        }
    }
    CHECK(fired_total > 20);  // the loop did hit the workload
    fs.reset();
}

TEST_CASE("faults: the Nth read, write or sync of the server store fails, then power loss",
          "[unit][faults]") {
    sim::install_determinism();
    SimFs& fs = SimFs::instance();
    const std::string data = kRoot + "/srv";
    std::uint64_t fired_total = 0;
    for (const FaultCase& fc : kCases) {
        for (std::uint64_t n = 1; n <= 30; ++n) {
            INFO(fc.name << " N=" << n);
            fs.reset();
            std::error_code ec;
            std::filesystem::remove_all(kRoot, ec);
            server::Config c;
            c.tls = false;
            c.data_dir = data;
            c.log_level = "off";
            auto ctx = server::make_context(c, schema());
            protocol::Bytes pk(crypto_sign_PUBLICKEYBYTES), sk(crypto_sign_SECRETKEYBYTES);
            crypto_sign_keypair(pk.data(), sk.data());
            const std::uint64_t now = 1'760'000'000'000;
            ctx->now_ms = [now] { return now; };
            auto code = ctx->store->issue_enroll_code({"p1", "branch_secretary", "/u/b"},
                                                      now + 1'000'000, now);
            REQUIRE(code);
            auto dev = ctx->store->enroll(code.value(), pk, "phone", now);
            REQUIRE(dev);
            const auto p =
                server::make_principal(dev.value().id, "p1", server::Role::BranchSecretary, "/u/b");

            std::map<std::string, std::string> acked;  // row -> body the server acknowledged
            std::uint64_t seq = 0, acked_seq = 0;
            fs.arm(FaultPlan{fc.kind, n, fc.error, false, data + "/"});
            for (int b = 0; b < 6; ++b) {
                protocol::Push push;
                std::map<std::string, std::string> batch;
                for (int i = 0; i < 3; ++i) {
                    protocol::Change ch;
                    ch.table = "notes";
                    ch.row = "r" + std::to_string(b) + "-" + std::to_string(i);
                    ch.column = "body";
                    ch.value = "v" + std::to_string(n);
                    ch.hlc = protocol::Hlc::make(now - 1000 + seq, 0);
                    ch.origin = dev.value().id;
                    ch.seq = acked_seq + 1 + static_cast<std::uint64_t>(i);
                    batch[ch.row] = std::get<std::string>(ch.value);
                    push.changes.push_back(ch);
                    protocol::Change org = ch;
                    org.column = "org";
                    org.value = "/u/b";
                    push.changes.push_back(org);
                }
                for (std::size_t k = 0; k < push.changes.size(); ++k)
                    push.changes[k].seq = acked_seq + 1 + k;
                seq += push.changes.size();
                push.batch = push.changes.front().seq;
                const protocol::Bytes payload = protocol::push_payload(push);
                push.signature.resize(crypto_sign_BYTES);
                crypto_sign_detached(push.signature.data(), nullptr, payload.data(), payload.size(),
                                     sk.data());
                auto r = server::ingest(*ctx, p, push);
                if (!r) {
                    REQUIRE(typed_storage_error(r.error().code));
                    continue;  // the phone would resend the same batch
                }
                REQUIRE(r.value().ack.acked_seq == push.changes.back().seq);
                for (const auto& res : r.value().ack.results)
                    REQUIRE(res.code == protocol::Errc::Ok);
                acked_seq = r.value().ack.acked_seq;
                for (auto& [row, body] : batch)
                    acked[row] = body;
            }
            fs.disarm();
            fs.take_crash_image(data + "/", true, nullptr);
            ctx.reset();
            fired_total += fs.fired();
            fs.restore_crash_image();
            REQUIRE(integrity(c.db_path()) == "ok");
            auto again = server::make_context(c, schema());
            for (const auto& [row, body] : acked) {
                auto cell = again->store->cell("notes", row, "body");
                REQUIRE(cell.has_value());
                REQUIRE(std::get<std::string>(cell->value) == body);
            }
            auto d = again->store->device(dev.value().id);
            REQUIRE(d.has_value());
            CHECK(d->acked_seq >= acked_seq);  // a batch whose commit failed may survive
            CHECK(again->store->verify_audit().ok);
        }
    }
    CHECK(fired_total > 20);
    fs.reset();
    std::error_code ec;
    std::filesystem::remove_all(kRoot, ec);
}
