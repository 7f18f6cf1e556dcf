// SPDX-License-Identifier: Apache-2.0
// Storage overhead benchmark: plain SQLite (default VFS) against the zb-seal encrypted VFS on one
// workload (WAL, temp_store=MEMORY, mmap_size=0, synchronous=NORMAL, 4 KiB pages): inserts in
// transactions (timed up to and including the checkpoint that moves them into the db file, so
// the checkpoint's open + re-seal of every page is paid by the figure), cached point reads,
// cached full scans and cold-cache full scans. Every phase is timed twice: wall clock and the
// thread's CPU time (user + system, so the kernel's read work is in it). Ratios and targets use
// CPU time: on a shared, oversubscribed machine the wall clock mostly measures the scheduler; the
// wall ratios are printed next to them. Prints machine facts and ONE table. Usage:
// A second table, on the encrypted store as a phone runs it: a plain SQLite insert of a row (one
// transaction each) against Replica::write of the same row (change capture: HLC, merge metadata,
// outbox), both at synchronous=NORMAL, and remote column changes applied per second in pages of
// 1,000 (10 columns per row). Usage:
//   bench_storage [--rows N] [--reads N] [--reps N] [--writes N] [--remote N] [--dir PATH]

#include "summary.hpp"

#include "zb/core/encrypted_opener.hpp"
#include "zb/core/replica.hpp"
#include "zb/crypto/encrypted_db.hpp"

#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Config {
    int rows = 100000;
    int reads = 200000;
    int reps = 3;
    int batch = 1000;
    int writes = 3000;    // replica table: local writes, one transaction each
    int remote = 200000;  // replica table: remote column changes
    std::string dir;
};

/// A rate measured both ways; best of the repetitions is kept for each separately.
struct Rate {
    double wall = 0;  // per wall-clock second
    double cpu = 0;   // per second of this thread's CPU time
};

struct Figures {
    Rate insert;           // rows/s, including the final checkpoint
    Rate point;            // reads/s, cached
    Rate scan_cached;      // rows/s
    Rate scan_cold;        // rows/s
    double open_ms = 1e9;  // open (+ key check) of an existing db
    double file_mb = 0;
};

double thread_cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Wall and CPU clocks started together.
struct Stopwatch {
    Clock::time_point wall0 = Clock::now();
    double cpu0 = thread_cpu_seconds();
    /// Keeps the better of `best` and `n` operations over the elapsed time.
    void record(double n, Rate& best) const {
        const double wall = std::chrono::duration<double>(Clock::now() - wall0).count();
        const double cpu = thread_cpu_seconds() - cpu0;
        best.wall = std::max(best.wall, n / wall);
        best.cpu = std::max(best.cpu, n / std::max(cpu, 1e-9));
    }
};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "bench_storage: %s\n", what.c_str());
    std::exit(1);
}

void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        die(std::string(sql) + ": " + (err ? err : "?"));
    }
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One connection of either kind. The encrypted one owns its EncryptedDb.
class Conn {
public:
    Conn(const std::string& path, const zb::crypto::SecretKey* key) {
        if (key != nullptr) {
            auto r = zb::crypto::EncryptedDb::open(path, *key);
            if (!r.ok()) die("encrypted open: " + r.error().message);
            enc_ = std::move(r.value());
            db_ = enc_.handle();
        } else {
            const bool is_new = !std::filesystem::exists(path);
            if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                nullptr) != SQLITE_OK) {
                die("plain open");
            }
            if (is_new) exec(db_, "PRAGMA page_size=4096");
            exec(db_, "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0;");
            exec(db_, "SELECT count(*) FROM sqlite_schema");
            exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        }
        exec(db_, "PRAGMA cache_size=-131072");  // 128 MiB: the whole db fits
    }
    ~Conn() {
        if (enc_.handle() == nullptr && db_ != nullptr) sqlite3_close_v2(db_);
    }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    sqlite3* db() const { return db_; }

private:
    zb::crypto::EncryptedDb enc_;
    sqlite3* db_ = nullptr;
};

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) die(sqlite3_errmsg(db));
    return st;
}

std::int64_t scan(sqlite3* db) {
    sqlite3_stmt* st = prepare(db, "SELECT id, body FROM kv");
    std::int64_t n = 0;
    std::int64_t bytes = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        bytes += sqlite3_column_bytes(st, 1);
        ++n;
    }
    sqlite3_finalize(st);
    return bytes > 0 ? n : 0;
}

bool drop_os_cache(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return false;
    ::fsync(fd);
    const bool ok = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
    ::close(fd);
    return ok;
}

bool g_fadvise_ok = true;

void run_once(const Config& cfg, const zb::crypto::SecretKey* key, const std::string& path,
              Figures& best) {
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
    std::mt19937_64 rng(42);
    {
        Conn c(path, key);
        exec(c.db(), "CREATE TABLE kv(id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
        sqlite3_stmt* ins = prepare(c.db(), "INSERT INTO kv(id, body) VALUES(?1, ?2)");
        // Row bodies are generated before the clock starts: only SQLite (+ VFS) is timed.
        std::vector<std::string> bodies(static_cast<std::size_t>(cfg.rows), std::string(200, 'x'));
        for (auto& b : bodies) {
            for (auto& ch : b)
                ch = static_cast<char>('a' + rng() % 26);
        }
        const Stopwatch t0;
        for (int i = 0; i < cfg.rows; ++i) {
            if (i % cfg.batch == 0) exec(c.db(), "BEGIN");
            const std::string& body = bodies[static_cast<std::size_t>(i)];
            sqlite3_bind_int64(ins, 1, i + 1);
            sqlite3_bind_text(ins, 2, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE) die("insert");
            sqlite3_reset(ins);
            if (i % cfg.batch == cfg.batch - 1 || i == cfg.rows - 1) exec(c.db(), "COMMIT");
        }
        sqlite3_finalize(ins);
        exec(c.db(), "PRAGMA wal_checkpoint(TRUNCATE)");
        t0.record(cfg.rows, best.insert);

        if (scan(c.db()) != cfg.rows) die("warm scan");  // everything in SQLite's cache now
        sqlite3_stmt* get = prepare(c.db(), "SELECT body FROM kv WHERE id = ?1");
        std::int64_t found = 0;
        const Stopwatch t1;
        for (int i = 0; i < cfg.reads; ++i) {
            sqlite3_bind_int64(get, 1, static_cast<std::int64_t>(rng() % cfg.rows) + 1);
            if (sqlite3_step(get) == SQLITE_ROW) found += sqlite3_column_bytes(get, 0) > 0;
            sqlite3_reset(get);
        }
        t1.record(cfg.reads, best.point);
        sqlite3_finalize(get);
        if (found != cfg.reads) die("point reads missed rows");

        for (int i = 0; i < 3; ++i) {
            const Stopwatch t2;
            if (scan(c.db()) != cfg.rows) die("cached scan");
            t2.record(cfg.rows, best.scan_cached);
        }
    }
    best.file_mb = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
    for (int i = 0; i < 2; ++i) {
        g_fadvise_ok = drop_os_cache(path) && g_fadvise_ok;
        const auto t3 = Clock::now();
        Conn c(path, key);  // a fresh connection: SQLite's page cache is empty
        best.open_ms = std::min(best.open_ms, seconds_since(t3) * 1e3);
        const Stopwatch t4;
        if (scan(c.db()) != cfg.rows) die("cold scan");
        t4.record(cfg.rows, best.scan_cold);
    }
}

std::string compiler() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("gcc ") + __VERSION__;
#else
    return "unknown";
#endif
}

// One line: CPU-time rates, their ratio (judged against the target), and the wall-clock ratio.
void row(const char* metric, const Rate& plain, const Rate& enc, double target) {
    const double ratio = plain.cpu > 0 ? enc.cpu / plain.cpu : 0;
    const double wall_ratio = plain.wall > 0 ? enc.wall / plain.wall : 0;
    char tgt[32] = "-";
    const char* met = "-";
    const char* wall_met = "-";
    if (target > 0) {
        std::snprintf(tgt, sizeof tgt, ">= %.2fx", target);
        met = ratio >= target ? "yes" : "NO";
        wall_met = wall_ratio >= target ? "yes" : "NO";
    }
    std::printf("| %-30s | %12.0f | %12.0f | %6.3fx | %-4s | %6.3fx | %-4s | %-9s |\n", metric,
                plain.cpu, enc.cpu, ratio, met, wall_ratio, wall_met, tgt);
    if (target > 0) {
        char value[64];
        std::snprintf(value, sizeof value, "%.2fx by CPU (%.2fx wall)", ratio, wall_ratio);
        zb::bench::summary("bench_storage", metric, value, tgt, ratio >= target);
    }
}

// ---- replica on the encrypted store -------------------------------------------------------

struct ReplicaFigures {
    Rate plain_insert;  // rows/s, one transaction each
    Rate capture;       // Replica::write rows/s
    Rate remote;        // remote column changes applied/s
};

void fresh(const std::string& path) {
    for (const char* sfx : {"", "-wal", "-shm"})
        std::filesystem::remove(path + sfx);
}

std::string numbered(const char* prefix, long long n) {
    std::string s(prefix);
    s.append(std::to_string(n));
    return s;
}

zb::merge::Schema replica_schema() {
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
        wide.columns.push_back({numbered("c", c)});
    s.add(wide);
    return s;
}

std::unique_ptr<zb::core::Replica> open_replica(const std::string& path) {
    fresh(path);
    zb::core::Options o;
    o.path = path;
    o.schema = replica_schema();
    o.durability = zb::core::Durability::Normal;
    o.opener = zb::core::EncryptedOpener::with_key(zb::crypto::SecretKey::generate());
    auto r = zb::core::Replica::open(std::move(o));
    if (!r) die("replica open: " + r.error().message);
    return std::move(r).value();
}

void run_replica_once(const Config& cfg, ReplicaFigures& best) {
    const std::string body(120, 'b');
    {  // plain insert of the same row into the same kind of file, one transaction each
        const std::string path = cfg.dir + "/plain-rows.db";
        fresh(path);
        const auto key = zb::crypto::SecretKey::generate();
        Conn c(path, &key);
        exec(c.db(), "PRAGMA synchronous=NORMAL");
        exec(c.db(),
             "CREATE TABLE notes(id TEXT PRIMARY KEY NOT NULL, title, body, org, progress) "
             "WITHOUT ROWID");
        sqlite3_stmt* ins = prepare(c.db(), "INSERT INTO notes VALUES(?1,?2,?3,?4,?5)");
        const Stopwatch t;
        for (int i = 0; i < cfg.writes; ++i) {
            exec(c.db(), "BEGIN IMMEDIATE");
            const std::string id = numbered("row-", i);
            const std::string title = numbered("Branch meeting minutes, item ", i);
            sqlite3_bind_text(ins, 1, id.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 2, title.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 3, body.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 4, "/u/c1/b2", -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(ins, 5, i);
            if (sqlite3_step(ins) != SQLITE_DONE) die("plain row insert");
            sqlite3_reset(ins);
            exec(c.db(), "COMMIT");
        }
        t.record(cfg.writes, best.plain_insert);
        sqlite3_finalize(ins);
    }
    {
        auto r = open_replica(cfg.dir + "/capture.db");
        const Stopwatch t;
        for (int i = 0; i < cfg.writes; ++i) {
            auto res = r->write("notes", numbered("row-", i),
                                {{"title", numbered("Branch meeting minutes, item ", i)},
                                 {"body", body},
                                 {"org", std::string("/u/c1/b2")},
                                 {"progress", std::int64_t{i}}});
            if (!res) die("replica write: " + res.error().message);
        }
        t.record(cfg.writes, best.capture);
    }
    {
        auto r = open_replica(cfg.dir + "/remote.db");
        std::vector<zb::protocol::Changes> pages;
        zb::protocol::Changes page;
        const std::uint64_t ms = 1'700'000'000'000;
        for (int i = 0; i < cfg.remote; ++i) {
            zb::protocol::Change c;
            c.table = "wide";
            c.row = numbered("r", i / 10);
            c.column = numbered("c", i % 10);
            c.op = zb::protocol::Op::Set;
            c.value = numbered("value ", i);
            c.hlc = zb::protocol::Hlc::make(ms + static_cast<std::uint64_t>(i % 1000), 0);
            c.origin = 1000 + static_cast<std::uint64_t>(i % 7);
            c.seq = static_cast<std::uint64_t>(i) + 1;
            page.changes.push_back(std::move(c));
            if (page.changes.size() == 1000 || i + 1 == cfg.remote) {
                page.cursor = pages.size() + 1;
                pages.push_back(std::move(page));
                page = {};
            }
        }
        const Stopwatch t;
        for (const auto& p : pages) {
            auto res = r->apply_page(p);
            if (!res) die("apply: " + res.error().message);
        }
        t.record(cfg.remote, best.remote);
    }
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--rows")
            cfg.rows = std::atoi(argv[i + 1]);
        else if (a == "--reads")
            cfg.reads = std::atoi(argv[i + 1]);
        else if (a == "--reps")
            cfg.reps = std::atoi(argv[i + 1]);
        else if (a == "--writes")
            cfg.writes = std::atoi(argv[i + 1]);
        else if (a == "--remote")
            cfg.remote = std::atoi(argv[i + 1]);
        else if (a == "--dir")
            cfg.dir = argv[i + 1];
        else
            die("unknown argument " + a);
    }
    if (cfg.rows <= 0 || cfg.reads <= 0 || cfg.reps <= 0 || cfg.writes <= 0 || cfg.remote <= 0) {
        die("counts must be positive");
    }
    if (cfg.dir.empty()) {
        cfg.dir = (std::filesystem::temp_directory_path() /
                   ("zb-bench-storage-" + std::to_string(::getpid())))
                      .string();
    }
    std::filesystem::create_directories(cfg.dir);
    zb::crypto::init();
    const auto key = zb::crypto::SecretKey::generate();

    Figures plain, enc;
    for (int r = 0; r < cfg.reps; ++r) {  // interleaved, best of reps: robust on a shared box
        run_once(cfg, nullptr, cfg.dir + "/plain.db", plain);
        run_once(cfg, &key, cfg.dir + "/enc.db", enc);
    }
    ReplicaFigures rep;
    for (int r = 0; r < cfg.reps; ++r)
        run_replica_once(cfg, rep);
    std::filesystem::remove_all(cfg.dir);

    std::printf("bench_storage: plain SQLite (default VFS) vs zb-seal (XChaCha20-Poly1305 VFS)\n");
    std::printf("machine: nproc=%u, compiler=%s, build=%s\n", std::thread::hardware_concurrency(),
                compiler().c_str(),
#ifdef NDEBUG
                "release (NDEBUG)"
#else
                "debug (numbers not meaningful)"
#endif
    );
    std::printf("libraries: SQLite %s, libsodium %s\n", sqlite3_libversion(),
                sodium_version_string());
    std::printf(
        "workload: %d rows x ~210 B, %d-row transactions, %d cached point reads, "
        "WAL, synchronous=NORMAL, 4 KiB pages, cache 128 MiB, best of %d interleaved "
        "runs; cold = both files fsynced, dropped from the OS cache with "
        "posix_fadvise(DONTNEED)%s, then a new connection (empty SQLite cache) scans\n",
        cfg.rows, cfg.batch, cfg.reads, cfg.reps, g_fadvise_ok ? "" : " (FAILED)");
    std::printf(
        "rates per CPU-second of the benchmark thread; 'wall' = the same ratio by wall clock\n");
    std::printf("| %-30s | %12s | %12s | %7s | %-4s | %7s | %-4s | %-9s |\n", "metric", "plain",
                "encrypted", "ratio", "met?", "wall", "met?", "target");
    std::printf(
        "|--------------------------------|--------------|--------------|---------|------|"
        "---------|------|-----------|\n");
    row("insert+checkpoint (rows/s)", plain.insert, enc.insert, 0.90);
    row("point read, cached (reads/s)", plain.point, enc.point, 0.95);
    row("full scan, cached (rows/s)", plain.scan_cached, enc.scan_cached, 0);
    row("full scan, cold (rows/s)", plain.scan_cold, enc.scan_cold, 0.50);
    std::printf(
        "open existing db: plain %.2f ms, encrypted %.2f ms; file size: plain %.1f MB, "
        "encrypted %.1f MB\n",
        plain.open_ms, enc.open_ms, plain.file_mb, enc.file_mb);

    std::printf(
        "\nreplica on the encrypted store (synchronous=NORMAL): %d local writes of a 4-column row "
        "(120 B body), one transaction each; %d remote column changes in pages of 1000, 10 "
        "columns per row; best of %d\n",
        cfg.writes, cfg.remote, cfg.reps);
    std::printf("| %-30s | %12s | %12s | %7s | %-4s | %7s | %-4s | %-9s |\n", "metric",
                "plain insert", "capture", "ratio", "met?", "wall", "met?", "target");
    std::printf(
        "|--------------------------------|--------------|--------------|---------|------|"
        "---------|------|-----------|\n");
    row("write with capture (rows/s)", rep.plain_insert, rep.capture, 0.50);
    const bool remote_met = rep.remote.cpu >= 100000;
    std::printf("| %-30s | %12s | %12.0f | %7s | %-4s | %7.0f | %-4s | %-9s |\n",
                "remote changes applied (/s)", "-", rep.remote.cpu, "-", remote_met ? "yes" : "NO",
                rep.remote.wall, rep.remote.wall >= 100000 ? "yes" : "NO", ">= 100000");
    zb::bench::summary("bench_storage", "remote column changes applied (/CPU-s)",
                       std::to_string(static_cast<long long>(rep.remote.cpu)), ">= 100000",
                       remote_met);
    return 0;
}
