// SPDX-License-Identifier: Apache-2.0
// The in-memory fault-injecting VFS (simfs.hpp). Locking follows SQLite's unix VFS closely
// enough for several connections of one process to share a WAL database (the server's writer
// and its readers): file locks SHARED/RESERVED/PENDING/EXCLUSIVE per connection and the eight
// WAL-index locks, shared or exclusive. Shared memory lives in the file's entry and is never
// durable; a reboot starts without it, as after a real power loss.
#include "simfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

namespace zb::sim {
namespace {

constexpr int kSector = 512;

struct Write {
    std::int64_t offset = 0;
    std::vector<std::uint8_t> data;
    std::optional<std::int64_t> truncate;  ///< a truncation instead of a write
};

struct Conn;

struct File {
    std::vector<std::uint8_t> live;
    std::vector<std::uint8_t> durable;
    std::vector<Write> unsynced;
    // locks
    int shared = 0;  // connections holding at least SHARED
    const Conn* reserved = nullptr;
    const Conn* pending = nullptr;
    const Conn* exclusive = nullptr;
    // WAL index
    std::vector<std::unique_ptr<std::uint8_t[]>> shm;
    int shm_region = 0;
    int shm_shared[SQLITE_SHM_NLOCK] = {};
    const Conn* shm_excl[SQLITE_SHM_NLOCK] = {};
    int handles = 0;
};

struct Conn {
    sqlite3_file base;
    std::string path;
    int lock = SQLITE_LOCK_NONE;
    bool delete_on_close = false;
    std::uint16_t shm_shared_mask = 0;
    std::uint16_t shm_excl_mask = 0;
};

struct State {
    std::map<std::string, File, std::less<>> files;
    std::optional<FaultPlan> plan;
    std::uint64_t seen[4] = {};     // per IoKind, files under plan prefix (or all)
    std::uint64_t all_ops[4] = {};  // per IoKind, every file
    std::mt19937_64 rng{1};
    std::uint64_t temp_counter = 0;
    // crash image
    std::string crash_prefix;
    std::map<std::string, std::vector<std::uint8_t>, std::less<>> crash_image;
    bool crash_taken = false;
};

State& st() {
    static State s;
    return s;
}

SimFs* g_fs = nullptr;
std::uint64_t* g_fired = nullptr;
std::uint64_t* g_time = nullptr;

bool under(std::string_view path, std::string_view prefix) {
    return path.substr(0, prefix.size()) == prefix;
}

// Counts an operation; returns the error to report, or SQLITE_OK.
int inject(IoKind kind, const std::string& path) {
    State& s = st();
    ++s.all_ops[static_cast<int>(kind)];
    if (!s.plan || s.plan->kind != kind || !under(path, s.plan->path_prefix)) return SQLITE_OK;
    const std::uint64_t n = ++s.seen[static_cast<int>(kind)];
    if (n < s.plan->nth || (n > s.plan->nth && !s.plan->persistent)) return SQLITE_OK;
    ++*g_fired;
    if (s.plan->error != 0) return s.plan->error;
    switch (kind) {
        case IoKind::Read:
            return SQLITE_IOERR_READ;
        case IoKind::Write:
            return SQLITE_IOERR_WRITE;
        case IoKind::Sync:
            return SQLITE_IOERR_FSYNC;
    }
    return SQLITE_IOERR;
}

void apply_write(std::vector<std::uint8_t>& img, const Write& w, std::size_t limit) {
    if (w.truncate) {
        img.resize(static_cast<std::size_t>(*w.truncate));
        return;
    }
    const auto off = static_cast<std::size_t>(w.offset);
    const std::size_t n = std::min(limit, w.data.size());
    if (img.size() < off + n) img.resize(off + n, 0);
    std::memcpy(img.data() + off, w.data.data(), n);
}

File& file_of(sqlite3_file* f) {
    return st().files.at(reinterpret_cast<Conn*>(f)->path);
}

// ---- io methods ----

int x_close(sqlite3_file* f) {
    Conn* c = reinterpret_cast<Conn*>(f);
    auto it = st().files.find(c->path);
    if (it != st().files.end()) {
        File& file = it->second;
        if (c->lock >= SQLITE_LOCK_SHARED) --file.shared;
        if (file.reserved == c) file.reserved = nullptr;
        if (file.pending == c) file.pending = nullptr;
        if (file.exclusive == c) file.exclusive = nullptr;
        for (int i = 0; i < SQLITE_SHM_NLOCK; ++i) {
            if (c->shm_shared_mask & (1u << i)) --file.shm_shared[i];
            if (file.shm_excl[i] == c) file.shm_excl[i] = nullptr;
        }
        --file.handles;
        if (c->delete_on_close && file.handles == 0) st().files.erase(it);
    }
    c->path.~basic_string();
    return SQLITE_OK;
}

int x_read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
    Conn* c = reinterpret_cast<Conn*>(f);
    if (int rc = inject(IoKind::Read, c->path); rc != SQLITE_OK) return rc;
    const File& file = file_of(f);
    const auto o = static_cast<std::size_t>(off);
    const auto n = static_cast<std::size_t>(amt);
    std::size_t have = o < file.live.size() ? std::min(n, file.live.size() - o) : 0;
    if (have) std::memcpy(buf, file.live.data() + o, have);
    if (have < n) {
        std::memset(static_cast<std::uint8_t*>(buf) + have, 0, n - have);
        return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
}

int x_write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
    Conn* c = reinterpret_cast<Conn*>(f);
    if (int rc = inject(IoKind::Write, c->path); rc != SQLITE_OK) return rc;
    File& file = file_of(f);
    Write w;
    w.offset = off;
    w.data.assign(static_cast<const std::uint8_t*>(buf),
                  static_cast<const std::uint8_t*>(buf) + amt);
    apply_write(file.live, w, w.data.size());
    file.unsynced.push_back(std::move(w));
    return SQLITE_OK;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    Conn* c = reinterpret_cast<Conn*>(f);
    if (int rc = inject(IoKind::Write, c->path); rc != SQLITE_OK) return rc;
    File& file = file_of(f);
    Write w;
    w.truncate = size;
    apply_write(file.live, w, 0);
    file.unsynced.push_back(std::move(w));
    return SQLITE_OK;
}

int x_sync(sqlite3_file* f, int /*flags*/) {
    Conn* c = reinterpret_cast<Conn*>(f);
    if (int rc = inject(IoKind::Sync, c->path); rc != SQLITE_OK) return rc;
    File& file = file_of(f);
    for (const Write& w : file.unsynced)
        apply_write(file.durable, w, w.data.size());
    file.unsynced.clear();
    return SQLITE_OK;
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    *size = static_cast<sqlite3_int64>(file_of(f).live.size());
    return SQLITE_OK;
}

int x_lock(sqlite3_file* f, int level) {
    Conn* c = reinterpret_cast<Conn*>(f);
    File& file = file_of(f);
    if (c->lock >= level) return SQLITE_OK;
    if (level == SQLITE_LOCK_SHARED) {
        if (file.pending || file.exclusive) return SQLITE_BUSY;
        ++file.shared;
        c->lock = SQLITE_LOCK_SHARED;
        return SQLITE_OK;
    }
    if (level == SQLITE_LOCK_RESERVED) {
        if (file.reserved && file.reserved != c) return SQLITE_BUSY;
        file.reserved = c;
        c->lock = SQLITE_LOCK_RESERVED;
        return SQLITE_OK;
    }
    // EXCLUSIVE (through PENDING)
    if (file.pending && file.pending != c) return SQLITE_BUSY;
    file.pending = c;
    if (file.shared > 1 || (file.exclusive && file.exclusive != c)) {
        c->lock = SQLITE_LOCK_PENDING;
        return SQLITE_BUSY;
    }
    file.exclusive = c;
    c->lock = SQLITE_LOCK_EXCLUSIVE;
    return SQLITE_OK;
}

int x_unlock(sqlite3_file* f, int level) {
    Conn* c = reinterpret_cast<Conn*>(f);
    File& file = file_of(f);
    if (c->lock <= level) return SQLITE_OK;
    if (file.exclusive == c) file.exclusive = nullptr;
    if (file.pending == c) file.pending = nullptr;
    if (level < SQLITE_LOCK_RESERVED && file.reserved == c) file.reserved = nullptr;
    if (level == SQLITE_LOCK_NONE && c->lock >= SQLITE_LOCK_SHARED) --file.shared;
    c->lock = level;
    return SQLITE_OK;
}

int x_check_reserved(sqlite3_file* f, int* out) {
    const File& file = file_of(f);
    *out = (file.reserved || file.pending || file.exclusive) ? 1 : 0;
    return SQLITE_OK;
}

int x_file_control(sqlite3_file*, int, void*) {
    return SQLITE_NOTFOUND;
}
int x_sector_size(sqlite3_file*) {
    return kSector;
}
int x_device_characteristics(sqlite3_file*) {
    return 0;  // nothing atomic, no powersafe overwrite: the most conservative disk
}

int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** pp) {
    File& file = file_of(f);
    if (file.shm_region != 0 && file.shm_region != size) return SQLITE_IOERR_SHMMAP;
    file.shm_region = size;
    while (static_cast<int>(file.shm.size()) <= region) {
        if (!extend) {
            *pp = nullptr;
            return SQLITE_OK;
        }
        auto p = std::make_unique<std::uint8_t[]>(static_cast<std::size_t>(size));
        std::memset(p.get(), 0, static_cast<std::size_t>(size));
        file.shm.push_back(std::move(p));
    }
    *pp = file.shm[static_cast<std::size_t>(region)].get();
    return SQLITE_OK;
}

int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    Conn* c = reinterpret_cast<Conn*>(f);
    File& file = file_of(f);
    const bool unlock = flags & SQLITE_SHM_UNLOCK;
    const bool excl = flags & SQLITE_SHM_EXCLUSIVE;
    if (unlock) {
        for (int i = offset; i < offset + n; ++i) {
            const auto bit = static_cast<std::uint16_t>(1u << i);
            if (c->shm_shared_mask & bit) {
                --file.shm_shared[i];
                c->shm_shared_mask = static_cast<std::uint16_t>(c->shm_shared_mask & ~bit);
            }
            if (c->shm_excl_mask & bit) {
                file.shm_excl[i] = nullptr;
                c->shm_excl_mask = static_cast<std::uint16_t>(c->shm_excl_mask & ~bit);
            }
        }
        return SQLITE_OK;
    }
    // Check first, then take: all or nothing.
    for (int i = offset; i < offset + n; ++i) {
        const auto bit = static_cast<std::uint16_t>(1u << i);
        if (file.shm_excl[i] && file.shm_excl[i] != c) return SQLITE_BUSY;
        if (excl) {
            const int others = file.shm_shared[i] - ((c->shm_shared_mask & bit) ? 1 : 0);
            if (others > 0) return SQLITE_BUSY;
        }
    }
    for (int i = offset; i < offset + n; ++i) {
        const auto bit = static_cast<std::uint16_t>(1u << i);
        if (excl) {
            file.shm_excl[i] = c;
            c->shm_excl_mask = static_cast<std::uint16_t>(c->shm_excl_mask | bit);
        } else if (!(c->shm_shared_mask & bit)) {
            ++file.shm_shared[i];
            c->shm_shared_mask = static_cast<std::uint16_t>(c->shm_shared_mask | bit);
        }
    }
    return SQLITE_OK;
}

void x_shm_barrier(sqlite3_file*) {}

int x_shm_unmap(sqlite3_file* f, int delete_flag) {
    File& file = file_of(f);
    if (delete_flag && file.handles <= 1) {
        file.shm.clear();
        file.shm_region = 0;
    }
    return SQLITE_OK;
}

const sqlite3_io_methods kIo = {
    2,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    nullptr,
    nullptr,
};

// ---- vfs methods ----

int v_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    State& s = st();
    Conn* c = reinterpret_cast<Conn*>(f);
    c->base.pMethods = nullptr;
    std::string path =
        name ? std::string(name) : "/tmp/zb-sim-temp-" + std::to_string(++s.temp_counter);
    auto it = s.files.find(path);
    if (it == s.files.end()) {
        if (!(flags & SQLITE_OPEN_CREATE)) return SQLITE_CANTOPEN;
        it = s.files.emplace(path, File{}).first;
    } else if ((flags & SQLITE_OPEN_EXCLUSIVE) && (flags & SQLITE_OPEN_CREATE)) {
        return SQLITE_CANTOPEN;
    }
    new (&c->path) std::string(std::move(path));
    c->lock = SQLITE_LOCK_NONE;
    c->delete_on_close = (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
    c->shm_shared_mask = 0;
    c->shm_excl_mask = 0;
    ++it->second.handles;
    c->base.pMethods = &kIo;
    if (out_flags) *out_flags = flags;
    return SQLITE_OK;
}

int v_delete(sqlite3_vfs*, const char* name, int /*sync_dir*/) {
    // Deletes are durable at once: SQLite assumes an atomic unlink (atomiccommit).
    auto& files = st().files;
    auto it = files.find(std::string_view(name));
    if (it == files.end()) return SQLITE_IOERR_DELETE_NOENT;
    if (it->second.handles > 0) {
        // Open elsewhere (unix semantics): the contents go away once the last handle closes;
        // here we keep the entry but empty it, which SQLite only does to its own journals.
        it->second.live.clear();
        it->second.durable.clear();
        it->second.unsynced.clear();
        return SQLITE_OK;
    }
    files.erase(it);
    return SQLITE_OK;
}

int v_access(sqlite3_vfs*, const char* name, int /*flags*/, int* out) {
    *out = st().files.count(std::string(name)) ? 1 : 0;
    return SQLITE_OK;
}

int v_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
    std::string p = name;
    if (p.empty() || p[0] != '/') p = "/" + p;
    if (static_cast<int>(p.size()) + 1 > n) return SQLITE_CANTOPEN;
    std::memcpy(out, p.c_str(), p.size() + 1);
    return SQLITE_OK;
}

int v_randomness(sqlite3_vfs*, int n, char* out) {
    for (int i = 0; i < n; ++i)
        out[i] = static_cast<char>(st().rng() & 0xff);
    return n;
}

int v_sleep(sqlite3_vfs*, int us) {
    return us;  // virtual time: nobody else holds a lock while we wait anyway
}

int v_current_time64(sqlite3_vfs*, sqlite3_int64* out) {
    // Julian day in ms: unix epoch is 2440587.5 days.
    *out = static_cast<sqlite3_int64>(*g_time) + 210866760000000LL;
    return SQLITE_OK;
}

int v_current_time(sqlite3_vfs* v, double* out) {
    sqlite3_int64 ms = 0;
    v_current_time64(v, &ms);
    *out = static_cast<double>(ms) / 86400000.0;
    return SQLITE_OK;
}

int v_last_error(sqlite3_vfs*, int, char*) {
    return 0;
}

sqlite3_vfs g_vfs = {
    2,
    static_cast<int>(sizeof(Conn)),
    512,
    nullptr,
    SimFs::vfs_name(),
    nullptr,
    v_open,
    v_delete,
    v_access,
    v_full_pathname,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    v_randomness,
    v_sleep,
    v_current_time,
    v_last_error,
    v_current_time64,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace

SimFs::SimFs() {
    g_fs = this;
    g_fired = &fired_;
    g_time = &time_ms_;
    sqlite3_initialize();
    if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK)
        throw std::runtime_error("simfs: cannot register the VFS");
}

SimFs& SimFs::instance() {
    static SimFs fs;
    return fs;
}

void SimFs::make_default() {
    if (sqlite3_vfs_register(&g_vfs, 1) != SQLITE_OK)
        throw std::runtime_error("simfs: cannot make the VFS the default");
}

void SimFs::reset() {
    State& s = st();
    for (const auto& [path, f] : s.files) {
        if (f.handles > 0) throw std::logic_error("simfs: reset with an open handle on " + path);
    }
    s.files.clear();
    s.plan.reset();
    std::fill(std::begin(s.seen), std::end(s.seen), 0);
    std::fill(std::begin(s.all_ops), std::end(s.all_ops), 0);
    s.crash_taken = false;
    s.crash_image.clear();
    fired_ = 0;
}

void SimFs::set_seed(std::uint64_t seed) {
    st().rng.seed(seed);
}

void SimFs::arm(FaultPlan plan) {
    State& s = st();
    s.plan = std::move(plan);
    std::fill(std::begin(s.seen), std::end(s.seen), 0);
}

void SimFs::disarm() {
    st().plan.reset();
}

std::uint64_t SimFs::count(IoKind kind) const {
    return st().all_ops[static_cast<int>(kind)];
}

void SimFs::take_crash_image(std::string_view prefix, bool power_loss, std::mt19937_64* tear) {
    State& s = st();
    s.crash_prefix = std::string(prefix);
    s.crash_image.clear();
    for (const auto& [path, f] : s.files) {
        if (!under(path, prefix)) continue;
        if (!power_loss) {
            s.crash_image[path] = f.live;
            continue;
        }
        std::vector<std::uint8_t> img = f.durable;
        if (tear && !f.unsynced.empty()) {
            // The disk wrote some of the unsynced writes, in order, the last one maybe in part.
            const std::size_t n = (*tear)() % (f.unsynced.size() + 1);
            for (std::size_t i = 0; i < n; ++i) {
                const Write& w = f.unsynced[i];
                std::size_t limit = w.data.size();
                if (i + 1 == n && !w.truncate && limit > kSector && ((*tear)() & 1)) {
                    limit = kSector * ((*tear)() % (limit / kSector));
                }
                apply_write(img, w, limit);
            }
        }
        s.crash_image[path] = std::move(img);
    }
    s.crash_taken = true;
}

void SimFs::restore_crash_image() {
    State& s = st();
    if (!s.crash_taken) throw std::logic_error("simfs: no crash image taken");
    for (auto it = s.files.begin(); it != s.files.end();) {
        if (!under(it->first, s.crash_prefix)) {
            ++it;
            continue;
        }
        if (it->second.handles > 0)
            throw std::logic_error("simfs: restore with an open handle on " + it->first);
        it = s.files.erase(it);
    }
    for (auto& [path, img] : s.crash_image) {
        File f;
        f.live = img;
        f.durable = std::move(img);
        s.files.emplace(path, std::move(f));
    }
    s.crash_image.clear();
    s.crash_taken = false;
}

bool SimFs::exists(const std::string& path) const {
    return st().files.count(path) != 0;
}

std::size_t SimFs::open_handles(std::string_view prefix) const {
    std::size_t n = 0;
    for (const auto& [path, f] : st().files) {
        if (under(path, prefix)) n += static_cast<std::size_t>(f.handles);
    }
    return n;
}

std::size_t SimFs::bytes() const {
    std::size_t n = 0;
    for (const auto& [path, f] : st().files)
        n += f.live.size();
    return n;
}

}  // namespace zb::sim
