// SPDX-License-Identifier: Apache-2.0
// Replica benchmark: the cost of change capture on the local write path (a plain SQLite insert of
// a row, one transaction each, against Replica::write of the same row, which also stamps an HLC,
// merges, keeps metadata and appends to the outbox), at both durability levels, and remote
// column changes applied per second through merge::apply in pages. Prints ONE table.
// Usage: bench_replica [--rows N] [--remote N] [--dir PATH]   (other arguments are ignored)

#include "zb/core/replica.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using zb::core::Durability;

struct Config {
    int rows = 3000;      // local writes per measurement
    int remote = 200000;  // remote column changes
    std::string dir;
};

/// prefix + decimal number. (Spelled out with append: GCC 12 -O2 warns falsely, -Wrestrict, on
/// "literal" + std::to_string(n).)
std::string cat(const char* prefix, long long n) {
    std::string s(prefix);
    s.append(std::to_string(n));
    return s;
}

struct Rate {
    double wall = 0;  // operations per wall-clock second
    double cpu = 0;   // operations per second of this process's CPU time
};

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void check(int rc, sqlite3* db, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
        std::exit(1);
    }
}

std::string title(int i) {
    return cat("Branch meeting minutes, item ", i);
}

/// Plain SQLite: same columns, same WAL + synchronous level, one transaction per row.
Rate plain_inserts(const std::string& path, int rows, Durability d) {
    sqlite3* db = nullptr;
    check(sqlite3_open(path.c_str(), &db), db, "open");
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr), db, "wal");
    check(sqlite3_exec(
              db, d == Durability::Full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
              nullptr, nullptr, nullptr),
          db, "sync");
    check(sqlite3_exec(db,
                       "CREATE TABLE notes(id TEXT PRIMARY KEY NOT NULL, title, body, org, "
                       "progress) WITHOUT ROWID",
                       nullptr, nullptr, nullptr),
          db, "create");
    sqlite3_stmt *begin, *ins, *commit;
    check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, nullptr), db, "prep");
    check(sqlite3_prepare_v2(db, "INSERT INTO notes VALUES(?1,?2,?3,?4,?5)", -1, &ins, nullptr), db,
          "prep");
    check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr), db, "prep");
    const std::string body(120, 'b');
    const auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    for (int i = 0; i < rows; ++i) {
        check(sqlite3_step(begin), db, "begin");
        sqlite3_reset(begin);
        const std::string id = cat("row-", i);
        const std::string t = title(i);
        sqlite3_bind_text(ins, 1, id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, t.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, body.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 4, "/u/c1/b2", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 5, i);
        check(sqlite3_step(ins), db, "insert");
        sqlite3_reset(ins);
        check(sqlite3_step(commit), db, "commit");
        sqlite3_reset(commit);
    }
    const double s = seconds_since(t0);
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    sqlite3_finalize(begin);
    sqlite3_finalize(ins);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    return Rate{rows / s, rows / cpu};
}

zb::merge::Schema schema() {
    zb::merge::Schema s(1);
    zb::merge::TableDef notes;
    notes.name = "notes";
    notes.columns = {{"title", zb::merge::Policy::Lww, false},
                     {"body", zb::merge::Policy::Lww, false},
                     {"org", zb::merge::Policy::Lww, false},
                     {"progress", zb::merge::Policy::Max, false}};
    s.add(notes);
    zb::merge::TableDef wide;
    wide.name = "wide";
    for (int c = 0; c < 10; ++c)
        wide.columns.push_back({cat("c", c)});
    s.add(wide);
    return s;
}

std::unique_ptr<zb::core::Replica> open(const std::string& path, Durability d) {
    zb::core::Options o;
    o.path = path;
    o.schema = schema();
    o.durability = d;
    auto r = zb::core::Replica::open(std::move(o));
    if (!r) {
        std::fprintf(stderr, "open: %s\n", r.error().message.c_str());
        std::exit(1);
    }
    return std::move(r).value();
}

Rate replica_writes(const std::string& path, int rows, Durability d) {
    auto r = open(path, d);
    const std::string body(120, 'b');
    const auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    for (int i = 0; i < rows; ++i) {
        auto res = r->write("notes", cat("row-", i),
                            {{"title", title(i)},
                             {"body", body},
                             {"org", std::string("/u/c1/b2")},
                             {"progress", std::int64_t{i}}});
        if (!res) {
            std::fprintf(stderr, "write: %s\n", res.error().message.c_str());
            std::exit(1);
        }
    }
    const double wall = seconds_since(t0);
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    return Rate{rows / wall, rows / cpu};
}

/// Remote pages of 1000 column changes; `per_row` columns of one row are adjacent in a page, as
/// a server sends a row's changed cells together.
Rate remote_apply(const std::string& path, int total, int per_row) {
    auto r = open(path, Durability::Full);
    const std::uint64_t ms = 1'700'000'000'000;
    std::vector<zb::protocol::Changes> pages;
    zb::protocol::Changes page;
    for (int i = 0; i < total; ++i) {
        zb::protocol::Change c;
        c.table = "wide";
        c.row = cat("r", i / per_row);
        c.column = cat("c", i % per_row);
        c.op = zb::protocol::Op::Set;
        c.value = std::string("value ") + std::to_string(i);
        c.hlc = zb::protocol::Hlc::make(ms + static_cast<std::uint64_t>(i % 1000), 0);
        c.origin = 1000 + static_cast<std::uint64_t>(i % 7);
        c.seq = static_cast<std::uint64_t>(i) + 1;
        page.changes.push_back(std::move(c));
        if (page.changes.size() == 1000 || i + 1 == total) {
            page.cursor = pages.size() + 1;
            pages.push_back(std::move(page));
            page = {};
        }
    }
    const auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    for (const auto& p : pages) {
        auto res = r->apply_page(p);
        if (!res) {
            std::fprintf(stderr, "apply: %s\n", res.error().message.c_str());
            std::exit(1);
        }
    }
    const double wall = seconds_since(t0);
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    return Rate{total / wall, total / cpu};
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    for (int i = 1; i + 1 < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rows")
            cfg.rows = std::atoi(argv[++i]);
        else if (a == "--remote")
            cfg.remote = std::atoi(argv[++i]);
        else if (a == "--dir")
            cfg.dir = argv[++i];
    }
    namespace fs = std::filesystem;
    const fs::path dir = cfg.dir.empty()
                             ? fs::temp_directory_path() / (cat("zb-bench-replica-", ::getpid()))
                             : fs::path(cfg.dir);
    fs::create_directories(dir);
    auto file = [&](const char* name) {
        fs::path p = dir / name;
        for (const char* sfx : {"", "-wal", "-shm"})
            fs::remove(p.string() + sfx);
        return p.string();
    };

    const Rate plain_full = plain_inserts(file("plain-full.db"), cfg.rows, Durability::Full);
    const Rate rep_full = replica_writes(file("rep-full.db"), cfg.rows, Durability::Full);
    const Rate plain_norm = plain_inserts(file("plain-norm.db"), cfg.rows, Durability::Normal);
    const Rate rep_norm = replica_writes(file("rep-norm.db"), cfg.rows, Durability::Normal);
    const Rate remote10 = remote_apply(file("remote10.db"), cfg.remote, 10);
    const Rate remote1 = remote_apply(file("remote1.db"), cfg.remote, 1);
    fs::remove_all(dir);

    struct Line {
        std::string metric, value, target;
        bool met;
    };
    char buf[128];
    auto fmt = [&](const char* f, double v) {
        std::snprintf(buf, sizeof buf, f, v);
        return std::string(buf);
    };
    const double ratio_full = rep_full.wall / plain_full.wall;
    const double ratio_norm = rep_norm.wall / plain_norm.wall;
    const std::vector<Line> lines{
        {"plain insert, synchronous=FULL (rows/s)", fmt("%.0f", plain_full.wall), "-", true},
        {"replica write, synchronous=FULL (rows/s)", fmt("%.0f", rep_full.wall), "-", true},
        {"write ratio replica/plain, FULL", fmt("%.2f", ratio_full), ">= 0.50", ratio_full >= 0.5},
        {"plain insert, synchronous=NORMAL (rows/s)", fmt("%.0f", plain_norm.wall), "-", true},
        {"replica write, synchronous=NORMAL (rows/s)", fmt("%.0f", rep_norm.wall), "-", true},
        {"write ratio replica/plain, NORMAL", fmt("%.2f", ratio_norm), ">= 0.50",
         ratio_norm >= 0.5},
        {"  CPU us per plain insert, NORMAL", fmt("%.1f", 1e6 / plain_norm.cpu), "-", true},
        {"  CPU us per replica write, NORMAL", fmt("%.1f", 1e6 / rep_norm.cpu), "-", true},
        {"remote changes applied/s (10 cols per row)", fmt("%.0f", remote10.wall), ">= 100000",
         remote10.wall >= 100000},
        {"  same, per CPU-second", fmt("%.0f", remote10.cpu), "-", true},
        {"remote changes applied/s (1 col per row)", fmt("%.0f", remote1.wall), "-", true},
        {"  same, per CPU-second", fmt("%.0f", remote1.cpu), "-", true},
    };
    std::printf("rows=%d remote=%d (4-column rows, 120 B body; pages of 1000 changes)\n", cfg.rows,
                cfg.remote);
    std::printf("| %-44s | %12s | %10s | %-4s |\n", "metric", "value", "target", "met");
    std::printf("|%s|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(14, '-').c_str(),
                std::string(12, '-').c_str(), std::string(6, '-').c_str());
    bool all = true;
    for (const auto& l : lines) {
        std::printf("| %-44s | %12s | %10s | %-4s |\n", l.metric.c_str(), l.value.c_str(),
                    l.target.c_str(), l.target == "-" ? "" : (l.met ? "yes" : "NO"));
        all = all && l.met;
    }
    return all ? 0 : 1;
}
