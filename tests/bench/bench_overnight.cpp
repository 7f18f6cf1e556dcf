// SPDX-License-Identifier: Apache-2.0
// The overnight merge (issue #8; sync-anchors.md: servers merge the day's offline work at night):
// 10,000 devices come back with 100 offline changes each and push them, one signed Push per
// device, through zb::server::ingest() into the SQLite store on disk (WAL, synchronous=FULL, one
// transaction per batch, the audit chain appended per batch). No network: this measures the merge
// path (signature, scope, policy, merge, change log, audit, fsync). Then every expected cell is
// read back and compared, and the audit chain is verified.
// Each device is a member of one of 100 branches writing its own rows: progress rows (pct: Max,
// note: LWW, minutes: Counter running totals) and append-only ledger rows.
// Usage: bench_overnight [--devices N] [--changes-per-device M] [--dir PATH]
#include "summary.hpp"

#include "zb/server/config.hpp"
#include "zb/server/context.hpp"
#include "zb/server/ingest.hpp"
#include "zb/server/log.hpp"
#include "zb/server/scope.hpp"

#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace zb;
using protocol::Bytes;
using protocol::Change;
using Clock = std::chrono::steady_clock;

double secs(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

merge::Schema schema() {
    return server::schema_from_json(nlohmann::json::parse(R"({"tables": [
        {"name": "progress", "owner_column": "person", "visibility": "owner",
         "columns": [{"name": "org"}, {"name": "person"}, {"name": "pct", "policy": "max"}, {"name": "note"},
                     {"name": "minutes", "policy": "counter"}]},
        {"name": "ledger", "policy": "append_only", "deletable": false,
         "owner_column": "person", "visibility": "owner",
         "columns": [{"name": "org"}, {"name": "person"}, {"name": "amount"}]}]})"));
}

struct Expect {
    std::string table, row, column;
    protocol::Value value;
};

// One device's offline day: exactly `n` changes (n >= 10), and what the server must end with.
std::vector<Change> offline_day(const std::string& person, const std::string& org,
                                protocol::DeviceId dev, std::uint64_t t0, std::size_t n,
                                std::vector<Expect>& expect) {
    std::vector<Change> out;
    std::uint64_t seq = 0;
    auto add = [&](const std::string& table, const std::string& row, const std::string& col,
                   protocol::Op op, protocol::Value v) {
        Change c;
        c.table = table;
        c.row = row;
        c.column = col;
        c.op = op;
        c.value = std::move(v);
        c.origin = dev;
        c.seq = ++seq;
        c.hlc = protocol::Hlc::make(t0 + seq * 7, 0);
        out.push_back(std::move(c));
    };
    const int kRows = 4;
    for (int r = 0; r < kRows; ++r) {
        const std::string row = person + "-pr" + std::to_string(r);
        add("progress", row, "org", protocol::Op::Set, org);
        add("progress", row, "person", protocol::Op::Set, person);
    }
    std::map<std::string, std::int64_t> pct, minutes;
    std::map<std::string, std::string> note;
    std::size_t ledger = 0;
    for (std::size_t i = out.size(); out.size() < n; ++i) {
        const std::string row = person + "-pr" + std::to_string(i % kRows);
        switch (i % 5) {
            case 0: {
                const std::int64_t v = static_cast<std::int64_t>((i * 37) % 101);
                pct[row] = std::max(pct[row], v);
                add("progress", row, "pct", protocol::Op::Set, v);
                break;
            }
            case 1:
                note[row] = "n" + std::to_string(i);
                add("progress", row, "note", protocol::Op::Set, note[row]);
                break;
            case 2:
                minutes[row] += static_cast<std::int64_t>(i % 9 + 1);
                add("progress", row, "minutes", protocol::Op::Count, minutes[row]);
                break;
            default: {
                if (n - out.size() < 3) {  // no room for a whole ledger row: one more note
                    note[row] = "n" + std::to_string(i);
                    add("progress", row, "note", protocol::Op::Set, note[row]);
                    break;
                }
                const std::string lrow = person + "-lg" + std::to_string(ledger++);
                add("ledger", lrow, "org", protocol::Op::Set, org);
                add("ledger", lrow, "person", protocol::Op::Set, person);
                const auto amount = static_cast<std::int64_t>(100 + i);
                add("ledger", lrow, "amount", protocol::Op::Set, amount);
                expect.push_back({"ledger", lrow, "amount", amount});
                break;
            }
        }
    }
    for (auto& [row, v] : pct)
        expect.push_back({"progress", row, "pct", v});
    for (auto& [row, v] : note)
        expect.push_back({"progress", row, "note", v});
    for (auto& [row, v] : minutes)
        expect.push_back({"progress", row, "minutes", v});
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t devices = 10'000, per_device = 100;
    std::string dir;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--devices") {
            devices = std::strtoull(argv[i + 1], nullptr, 10);
        } else if (a == "--changes-per-device") {
            per_device = std::max<std::size_t>(10, std::strtoull(argv[i + 1], nullptr, 10));
        } else if (a == "--dir") {
            dir = argv[i + 1];
        }
    }
    if (sodium_init() < 0) return 1;
    server::set_log_level(server::LogLevel::Off);
    if (dir.empty()) dir = "/tmp/zb-bench-overnight-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir);

    server::Config c;
    c.tls = false;
    c.data_dir = dir;
    c.log_level = "off";
    auto ctx = server::make_context(c, schema());
    const std::uint64_t now = server::system_now_ms();

    // Enrollment (not timed): one key and one device record per phone.
    std::printf("enrolling %zu devices ...\n", devices);
    std::fflush(stdout);
    struct Dev {
        Bytes sk;
        server::Principal p;
    };
    std::vector<Dev> devs;
    devs.reserve(devices);
    for (std::size_t i = 0; i < devices; ++i) {
        Bytes pk(crypto_sign_PUBLICKEYBYTES), sk(crypto_sign_SECRETKEYBYTES);
        crypto_sign_keypair(pk.data(), sk.data());
        const std::string person = "m" + std::to_string(i);
        const std::string org = "/u/c" + std::to_string(i % 10) + "/b" + std::to_string(i % 100);
        auto code = ctx->store->issue_enroll_code({person, "member", org}, now + 3'600'000, now);
        auto d = ctx->store->enroll(code.value(), pk, "phone", now);
        if (!d) {
            std::fprintf(stderr, "enroll failed: %s\n", d.error().message.c_str());
            return 1;
        }
        devs.push_back(
            {sk, server::make_principal(d.value().id, person, server::Role::Member, org)});
    }

    // The night: every device pushes its day. Only ingest() is timed (building and signing the
    // batches is the phones' work).
    std::vector<Expect> expect;
    expect.reserve(devices * 40);
    Clock::duration merge_time{};
    double merge_cpu =
        0;  // process CPU time of ingest(): the figure a loaded machine distorts least
    std::uint64_t accepted = 0, rejected = 0;
    for (std::size_t i = 0; i < devices; ++i) {
        const Dev& d = devs[i];
        protocol::Push push;
        push.changes = offline_day(d.p.person, d.p.org, d.p.device, now - 8 * 3'600'000 + i,
                                   per_device, expect);
        push.batch = push.changes.front().seq;
        const Bytes payload = protocol::push_payload(push);
        push.signature.resize(crypto_sign_BYTES);
        crypto_sign_detached(push.signature.data(), nullptr, payload.data(), payload.size(),
                             d.sk.data());
        const auto t = Clock::now();
        const std::clock_t c0 = std::clock();
        auto r = server::ingest(*ctx, d.p, push);
        merge_cpu += static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
        merge_time += Clock::now() - t;
        if (!r) {
            std::fprintf(stderr, "ingest failed: %s\n", r.error().message.c_str());
            return 1;
        }
        accepted += r.value().accepted;
        rejected += r.value().rejected;
    }

    // Verification: every expected cell, the totals, the audit chain.
    const auto tv = Clock::now();
    std::size_t wrong = 0;
    for (const Expect& e : expect) {
        auto cell = ctx->store->cell(e.table, e.row, e.column);
        if (!cell || !protocol::same(cell->value, e.value)) {
            if (++wrong <= 5)
                std::fprintf(stderr, "mismatch %s/%s/%s: %s, expected %s\n", e.table.c_str(),
                             e.row.c_str(), e.column.c_str(),
                             cell ? protocol::to_display(cell->value).c_str() : "absent",
                             protocol::to_display(e.value).c_str());
        }
    }
    const bool totals_ok = accepted == devices * per_device && rejected == 0 &&
                           ctx->store->accepted_changes() == devices * per_device;
    const server::AuditReport audit = ctx->store->verify_audit();
    const auto verify_time = Clock::now() - tv;

    const double total = secs(merge_time) + secs(verify_time);
    const double changes = static_cast<double>(devices * per_device);
    const bool ok = wrong == 0 && totals_ok && audit.ok;
    std::printf("\n| metric | value | target | met |\n| --- | --- | --- | --- |\n");
    std::printf("| overnight merge: %zu devices x %zu changes, ingest() time | %.2f s | | |\n",
                devices, per_device, secs(merge_time));
    std::printf("| merge throughput | %.0f changes/s | | |\n", changes / secs(merge_time));
    std::printf("| ingest() CPU time (process) | %.2f s | | |\n", merge_cpu);
    std::printf(
        "| verification (%zu cells read back, audit chain of %llu entries) | %.2f s | | |\n",
        expect.size(), static_cast<unsigned long long>(audit.entries), secs(verify_time));
    std::printf("| merged and verified | %.2f s | <= 20 s | %s |\n", total,
                total <= 20.0 && ok ? "yes" : "no");
    std::printf(
        "| correctness: accepted %llu, rejected %llu, wrong cells %zu, audit %s | %s | all "
        "correct | %s |\n",
        static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(rejected), wrong,
        audit.ok ? "ok" : "BROKEN", ok ? "correct" : "WRONG", ok ? "yes" : "no");
    {
        char what[96], value[64];
        std::snprintf(what, sizeof what, "overnight merge, %zu devices x %zu changes, verified",
                      devices, per_device);
        std::snprintf(value, sizeof value, "%.2f s (%s)", total, ok ? "correct" : "WRONG");
        zb::bench::summary("bench_overnight", what, value, "<= 20 s", total <= 20.0 && ok);
    }
    ctx.reset();
    std::filesystem::remove_all(dir);
    return ok ? 0 : 1;
}
