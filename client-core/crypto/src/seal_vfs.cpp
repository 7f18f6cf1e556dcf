// SPDX-License-Identifier: Apache-2.0
// The "zb-seal" VFS shim: page-level authenticated encryption of SQLite's main database file,
// write-ahead log and rollback journal on stock SQLite 3.40, in the manner of ext/misc/cksumvfs.c
// (a shim over the default VFS that uses the per-page reserved bytes). Also the key registry.

/*
** USING
**
**   Do not use this file's functions directly from the replica: EncryptedDb::open() (see
**   encrypted_db.hpp) registers the shim, binds the key and applies the mandatory pragmas.
**   Underneath, it does what any caller of the shim must do:
**
**     register_seal_vfs();                          // once; NOT the default VFS
**     auto b = KeyBinding::bind(path, dek);         // key by canonical path, never in a URI
**     sqlite3_open_v2(path, &db, flags, "zb-seal");
**     sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &n40);  // new db only
**     PRAGMA page_size=4096; PRAGMA journal_mode=WAL;
**     PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0;
**
**   The shim refuses to open a main database whose header reserve byte is not 40, and refuses
**   to write a page 1 whose reserve byte is not 40: it never writes plaintext pages.
**
** FORMAT
**
**   Every page written to the main db (role 'D'), to the WAL (frame payloads, role 'W') and to
**   the rollback journal (page records, role 'J') is sealed by encrypt_page()
**   (page_cipher.hpp): XChaCha20-Poly1305 with a fresh random 24-byte nonce, nonce and 16-byte
**   tag in the last 40 bytes of the page (SQLite's reserved bytes). AD binds the format, the
**   cipher, the role, the page number and the page size. Page 1 keeps bytes 0..31 in clear
**   (magic, page size, reserve byte, change counter, page count) and binds them as AD.
**
**   WAL frame headers stay in clear except bytes 16..23, SQLite's cumulative checksum, which is
**   computed over plaintext and would be a guess-confirmation oracle. The shim XORs it with
**   SipHash(mask key, salt1 | salt2 | frame index) on every header write and removes the mask on
**   every header read. The WAL header (32 bytes) and journal headers are left as SQLite wrote
**   them: they hold sizes, salts and counters, no row data.
**
** IMPLEMENTATION NOTES
**
**   Key lookup. xOpen of a main db looks its canonical name up in the registry filled by
**   KeyBinding::bind() and keeps a shared_ptr to the derived PageKeys. WAL and journal handles
**   find their main db through sqlite3_database_file_object() and share its keys.
**
**   Key check first. xOpen of a main db reads and authenticates page 1 before returning; on
**   failure it returns SQLITE_NOTADB, so sqlite3_open_v2 fails before the pager can look for a
**   hot journal or a WAL to recover: a wrong key never rolls anything back. If the db file is
**   empty but a WAL exists (page 1 only in the WAL), the first frame is authenticated instead.
**
**   Page numbers. Main db: offset / page size + 1. WAL: frame index from the offset, page
**   number from the frame header (cached from the header write that precedes each page write,
**   or read back from the file). Journal: page records are "pgno(4) | page | cksum(4)" after a
**   sector-aligned header, so a page image always starts at an offset = 4 (mod 8) while header
**   fields never sit there with a page-sized length; the page number is the 4 bytes before it.
**
**   Reads. A whole-page read is decrypted in place in SQLite's buffer. A partial read (the
**   100-byte header read, the 16-byte change-counter read at offset 24) reads and authenticates
**   the whole page into a scratch buffer and copies the slice. A tag failure returns
**   SQLITE_IOERR_DATA with the buffer zeroed; unverified bytes are never returned. A read that
**   ends partway through a page at EOF is SQLITE_IOERR_DATA (a torn or truncated page), while a
**   read wholly past EOF is SQLite's ordinary SQLITE_IOERR_SHORT_READ.
**
**   WAL recovery. walIndexRecover() reads whole frames (header + page). If such a frame fails
**   authentication, the shim zeroes the page and flips the salt in the returned header, so
**   SQLite treats the frame as the end of the log, exactly as it treats a frame with a bad
**   checksum (a torn tail after power loss). This drops the frame and those after it, which is
**   what truncating the -wal does anyway (out of scope, see README). Page-only WAL reads (reads
**   of committed frames and checkpoints) fail hard with SQLITE_IOERR_DATA.
**
**   Checkpoint memo. A WAL handle keeps, for up to 1024 frames it sealed, the sealed image and
**   the plaintext (FrameMemo). A page-only read of such a frame whose bytes on disk, frame index
**   and page number are exactly those it wrote returns the plaintext without opening the frame:
**   decryption of those bytes could only give that plaintext. Anything else is opened and
**   authenticated as usual. This saves one of the three cipher passes a page costs between its
**   commit and its checkpoint (seal into the WAL, open from the WAL, seal into the db). The memo
**   is wiped when the log restarts (new WAL header), is truncated, or the handle closes.
**
**   Writes. Page writes are sealed into a per-file scratch buffer (SQLite's buffer is const);
**   if sealing fails nothing is written. Write shapes the shim does not recognise fail closed
**   with SQLITE_IOERR_WRITE rather than reaching the disk in clear.
**
**   Temp files and mmap. TEMP_DB, TEMP_JOURNAL, TRANSIENT_DB and SUBJOURNAL opens fail with
**   SQLITE_CANTOPEN: callers must run PRAGMA temp_store=MEMORY. xFetch returns no mapping and
**   SQLITE_FCNTL_MMAP_SIZE is clamped to 0. The -shm file is the lower VFS's, in clear.
**
**   Threading. The registry is guarded by a mutex. A sqlite3_file belongs to one connection,
**   and SQLite serialises calls on it, so per-file state (scratch, caches) needs no lock.
**   PageKeys are immutable and shared.
**
**   C-style C++: no exceptions escape the callbacks; every path returns SQLITE_* codes.
*/

#include "zb/crypto/seal_vfs.hpp"

#include "zb/crypto/page_cipher.hpp"

#include <sodium.h>
#include <sqlite3.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace zb::crypto {

namespace {

// ---- key registry ------------------------------------------------------------------------

struct RegistryEntry {
    std::shared_ptr<const PageKeys> keys;
    int refs = 0;
};

std::mutex& registry_mutex() {
    static std::mutex m;
    return m;
}

std::map<std::string, RegistryEntry>& registry() {
    static std::map<std::string, RegistryEntry> r;
    return r;
}

std::shared_ptr<const PageKeys> lookup_keys(const char* name) {
    if (name == nullptr) return nullptr;
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(name);
    return it == registry().end() ? nullptr : it->second.keys;
}

// ---- file state ----------------------------------------------------------------------------

enum class Kind : std::uint8_t { Db, Wal, Journal, Passthrough };

constexpr int kWalHeader = 32;
constexpr int kFrameHeader = 24;

// A WAL frame this handle sealed: the sealed page image it wrote and the plaintext it came from.
// When SQLite reads the frame back (a checkpoint copying it into the db, almost always, through
// the same handle that wrote it) and the bytes on disk are exactly the sealed image, with the
// same frame index and page number, opening them would give exactly `plain`: the memo answers
// instead, and the page costs one seal less. Any other bytes (another writer, a restarted log,
// tampering) miss the memo and are opened and authenticated as usual.
constexpr std::size_t kFrameMemoSlots = 1024;  // SQLite's default wal_autocheckpoint is 1000

struct FrameMemo {
    sqlite3_int64 frame = 0;  // 0: empty
    std::uint32_t pgno = 0;
    std::vector<unsigned char> bytes;  // [sealed image][plaintext], page size each

    // Wipes and frees; used when the log restarts, is truncated or closed. A used memo is only
    // marked empty (frame = 0), its buffer kept for the next frame of that slot.
    void forget() {
        if (!bytes.empty()) sodium_memzero(bytes.data(), bytes.size());
        bytes.clear();
        bytes.shrink_to_fit();
        frame = 0;
    }
};

struct FileState {
    Kind kind = Kind::Passthrough;
    std::shared_ptr<const PageKeys> keys;
    sqlite3_file* main = nullptr;  // for WAL/journal: the main db's SealFile (not owned)
    int page_size = 0;             // 0 until known
    std::vector<unsigned char> scratch;
    // WAL: the last frame header written (so the next page write knows its pgno).
    sqlite3_int64 last_hdr_off = -1;
    std::uint32_t last_hdr_pgno = 0;
    // Journal: the last 4-byte page-number write.
    sqlite3_int64 last_pgno_end = -1;
    std::uint32_t last_pgno = 0;
    // WAL: frames this handle sealed and has not seen read back yet (see FrameMemo).
    std::vector<FrameMemo> memo;

    ~FileState() {
        if (!scratch.empty()) sodium_memzero(scratch.data(), scratch.size());
        forget_frames();
    }
    void forget_frames() {
        for (FrameMemo& m : memo)
            m.forget();
    }
    unsigned char* scratch_for(std::size_t n) {
        if (scratch.size() < n) {
            if (!scratch.empty()) sodium_memzero(scratch.data(), scratch.size());
            scratch.assign(n, 0);
        }
        return scratch.data();
    }
};

struct SealFile {
    sqlite3_file base;  // must be first
    FileState* st;      // owned; freed in xClose
};

sqlite3_vfs* g_lower = nullptr;  // the platform default VFS, set once by register_seal_vfs()

sqlite3_file* lower_file(sqlite3_file* f) {
    return reinterpret_cast<sqlite3_file*>(reinterpret_cast<SealFile*>(f) + 1);
}
FileState& state(sqlite3_file* f) {
    return *reinterpret_cast<SealFile*>(f)->st;
}

std::uint32_t get_be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

bool valid_page_size(std::uint32_t n) {
    return n >= kMinPageSize && n <= kMaxPageSize && (n & (n - 1)) == 0;
}

// Page size from a database header (bytes 16..17, big-endian; 1 means 65536).
int header_page_size(const unsigned char* hdr) {
    std::uint32_t v = (std::uint32_t{hdr[16]} << 8) | hdr[17];
    if (v == 1) v = 65536;
    return valid_page_size(v) ? static_cast<int>(v) : 0;
}

int lower_read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xRead(lo, buf, amt, off);
}
int lower_write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xWrite(lo, buf, amt, off);
}
sqlite3_int64 lower_size(sqlite3_file* f) {
    sqlite3_file* lo = lower_file(f);
    sqlite3_int64 sz = 0;
    if (lo->pMethods->xFileSize(lo, &sz) != SQLITE_OK) return -1;
    return sz;
}

std::size_t usz(int n) {
    return static_cast<std::size_t>(n);
}

// Reads a whole page image; maps "short" outcomes per the IMPLEMENTATION NOTES.
// Returns SQLITE_OK, SQLITE_IOERR_SHORT_READ (nothing there), or an error.
int read_image(sqlite3_file* f, unsigned char* buf, int n, sqlite3_int64 off) {
    int rc = lower_read(f, buf, n, off);
    if (rc == SQLITE_IOERR_SHORT_READ) {
        std::memset(buf, 0, usz(n));
        const sqlite3_int64 size = lower_size(f);
        if (size >= 0 && size <= off) return SQLITE_IOERR_SHORT_READ;
        return SQLITE_IOERR_DATA;  // a partial page: torn or truncated
    }
    return rc;
}

// ---- main database -------------------------------------------------------------------------

// Ensures the main db page size is known: from the file header if the file has one.
int db_page_size(sqlite3_file* f) {
    FileState& st = state(f);
    if (st.page_size != 0) return st.page_size;
    unsigned char hdr[100];
    if (lower_read(f, hdr, sizeof hdr, 0) == SQLITE_OK) st.page_size = header_page_size(hdr);
    return st.page_size;
}

int db_read(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) {
    FileState& st = state(f);
    auto* dst = static_cast<unsigned char*>(out);
    int pgsz = db_page_size(f);
    if (pgsz == 0) {
        // Empty (new) database: SQLite probes the header; let a read past EOF say so.
        const int rc = lower_read(f, out, amt, off);
        if (rc == SQLITE_IOERR_SHORT_READ && lower_size(f) == 0) return rc;
        std::memset(out, 0, usz(amt));
        if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
        return SQLITE_NOTADB;
    }
    const sqlite3_int64 page_off = off - off % pgsz;
    const int in_page = static_cast<int>(off - page_off);
    if (in_page + amt > pgsz) return SQLITE_IOERR_READ;  // spans pages: not a shape SQLite uses
    const auto pgno = static_cast<std::uint32_t>(page_off / pgsz + 1);
    const std::span<unsigned char> page(
        in_page == 0 && amt == pgsz ? dst : st.scratch_for(usz(pgsz)), usz(pgsz));
    int rc = read_image(f, page.data(), pgsz, page_off);
    if (rc == SQLITE_OK && !decrypt_page(*st.keys, FileRole::Db, pgno, page, page)) {
        sqlite3_log(SQLITE_IOERR_DATA, "zb-seal: page %u failed authentication", pgno);
        rc = SQLITE_IOERR_DATA;
    }
    if (page.data() != dst) {
        if (rc == SQLITE_OK) {
            std::memcpy(dst, page.data() + in_page, usz(amt));
        } else {
            std::memset(dst, 0, usz(amt));
        }
        sodium_memzero(page.data(), page.size());
    }
    return rc;
}

int db_write(sqlite3_file* f, const void* in, int amt, sqlite3_int64 off) {
    FileState& st = state(f);
    const auto* src = static_cast<const unsigned char*>(in);
    if (st.page_size == 0) {
        if (!valid_page_size(static_cast<std::uint32_t>(amt))) return SQLITE_IOERR_WRITE;
        st.page_size = amt;
    }
    const int pgsz = st.page_size;
    if (amt != pgsz || off % pgsz != 0) {
        sqlite3_log(SQLITE_IOERR_WRITE, "zb-seal: refusing a %d-byte write at %lld", amt, off);
        return SQLITE_IOERR_WRITE;
    }
    const auto pgno = static_cast<std::uint32_t>(off / pgsz + 1);
    if (pgno == 1 && (src[20] != kReserveBytes || header_page_size(src) != pgsz)) {
        sqlite3_log(SQLITE_IOERR_WRITE, "zb-seal: page 1 reserve byte is %d, not 40", src[20]);
        return SQLITE_IOERR_WRITE;
    }
    unsigned char* buf = st.scratch_for(usz(pgsz));
    if (!encrypt_page(*st.keys, FileRole::Db, pgno, {src, usz(pgsz)}, {buf, usz(pgsz)})) {
        return SQLITE_IOERR_WRITE;
    }
    return lower_write(f, buf, pgsz, off);
}

// ---- WAL -----------------------------------------------------------------------------------

int wal_page_size(sqlite3_file* f) {
    FileState& st = state(f);
    if (st.page_size != 0) return st.page_size;
    unsigned char hdr[kWalHeader];
    if (lower_read(f, hdr, kWalHeader, 0) == SQLITE_OK) {
        const std::uint32_t v = get_be32(hdr + 8);
        if (valid_page_size(v)) st.page_size = static_cast<int>(v);
    }
    if (st.page_size == 0 && st.main != nullptr) st.page_size = state(st.main).page_size;
    return st.page_size;
}

void apply_mask(const FileState& st, unsigned char* hdr, sqlite3_int64 frame) {
    unsigned char mask[8];
    wal_checksum_mask(*st.keys, hdr + 8, static_cast<std::uint32_t>(frame), mask);
    for (int i = 0; i < 8; ++i)
        hdr[16 + i] ^= mask[i];
}

void remember_frame(FileState& st, sqlite3_int64 frame, std::uint32_t pgno,
                    const unsigned char* sealed, const unsigned char* plain, int pgsz,
                    bool written) {
    if (st.memo.empty()) st.memo.resize(kFrameMemoSlots);
    FrameMemo& m = st.memo[static_cast<std::size_t>(frame) % kFrameMemoSlots];
    if (!written) {  // whatever the slot held for this frame index is stale now
        if (m.frame == frame) m.frame = 0;
        return;
    }
    m.bytes.resize(2 * usz(pgsz));
    std::memcpy(m.bytes.data(), sealed, usz(pgsz));
    std::memcpy(m.bytes.data() + pgsz, plain, usz(pgsz));
    // What decrypt_page would return: the reserve zeroed.
    std::memset(m.bytes.data() + 2 * usz(pgsz) - kReserveBytes, 0, kReserveBytes);
    m.frame = frame;
    m.pgno = pgno;
}

// The memo's plaintext for a frame whose sealed bytes on disk are exactly what this handle wrote.
// The slot is emptied: a checkpoint reads each frame once.
bool recall_frame(FileState& st, sqlite3_int64 frame, std::uint32_t pgno,
                  const unsigned char* sealed, unsigned char* out, int pgsz) {
    if (st.memo.empty()) return false;
    FrameMemo& m = st.memo[static_cast<std::size_t>(frame) % kFrameMemoSlots];
    if (m.frame != frame || m.pgno != pgno || m.bytes.size() != 2 * usz(pgsz) ||
        std::memcmp(m.bytes.data(), sealed, usz(pgsz)) != 0) {
        return false;
    }
    std::memcpy(out, m.bytes.data() + pgsz, usz(pgsz));
    m.frame = 0;
    return true;
}

int wal_read(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) {
    FileState& st = state(f);
    auto* dst = static_cast<unsigned char*>(out);
    if (off < kWalHeader) {
        if (off + amt > kWalHeader) return SQLITE_IOERR_READ;
        const int rc = lower_read(f, out, amt, off);
        if (rc == SQLITE_OK && off == 0 && amt == kWalHeader) {
            const std::uint32_t v = get_be32(dst + 8);
            if (valid_page_size(v)) st.page_size = static_cast<int>(v);
        }
        return rc;
    }
    const int pgsz = wal_page_size(f);
    if (pgsz == 0) return SQLITE_IOERR_READ;
    const sqlite3_int64 fsz = pgsz + kFrameHeader;
    const sqlite3_int64 rel = (off - kWalHeader) % fsz;
    const sqlite3_int64 frame = (off - kWalHeader) / fsz + 1;
    const sqlite3_int64 frame_off = off - rel;
    if (rel == 0 && amt == fsz) {
        // Whole frame (recovery, checksum rewrite): unmask the header, open the page softly.
        int rc = lower_read(f, out, amt, off);
        if (rc != SQLITE_OK) {
            std::memset(out, 0, usz(amt));
            return rc;
        }
        apply_mask(st, dst, frame);
        const std::span<unsigned char> page(dst + kFrameHeader, usz(pgsz));
        if (!decrypt_page(*st.keys, FileRole::Wal, get_be32(dst), page, page)) {
            sqlite3_log(SQLITE_IOERR_DATA, "zb-seal: WAL frame %lld failed authentication", frame);
            dst[8] ^= 0xff;  // salt mismatch: SQLite ends the log before this frame
        }
        return SQLITE_OK;
    }
    if (rel == kFrameHeader && amt == pgsz) {
        // Page-only read (live frames, checkpoints): one pread of header + page into scratch,
        // then decrypt straight into SQLite's buffer with the pgno from the header.
        unsigned char* frame_buf = st.scratch_for(static_cast<std::size_t>(fsz));
        const int rc = read_image(f, frame_buf, static_cast<int>(fsz), frame_off);
        if (rc != SQLITE_OK) {
            std::memset(out, 0, usz(amt));
            return rc;
        }
        const std::uint32_t pgno = get_be32(frame_buf);
        if (recall_frame(st, frame, pgno, frame_buf + kFrameHeader, dst, pgsz)) return SQLITE_OK;
        if (!decrypt_page(*st.keys, FileRole::Wal, pgno, {frame_buf + kFrameHeader, usz(pgsz)},
                          {dst, usz(pgsz)})) {
            sqlite3_log(SQLITE_IOERR_DATA, "zb-seal: WAL frame %lld (page %u) failed", frame, pgno);
            return SQLITE_IOERR_DATA;
        }
        return SQLITE_OK;
    }
    if (rel + amt <= kFrameHeader) {
        // Part of a frame header (walRewriteChecksums reads the previous checksum).
        unsigned char hdr[kFrameHeader];
        const int rc = lower_read(f, hdr, kFrameHeader, frame_off);
        if (rc != SQLITE_OK) {
            std::memset(out, 0, usz(amt));
            return rc;
        }
        apply_mask(st, hdr, frame);
        std::memcpy(out, hdr + rel, usz(amt));
        return SQLITE_OK;
    }
    return SQLITE_IOERR_READ;
}

int wal_write(sqlite3_file* f, const void* in, int amt, sqlite3_int64 off) {
    FileState& st = state(f);
    const auto* src = static_cast<const unsigned char*>(in);
    if (off < kWalHeader) {
        if (off != 0 || amt != kWalHeader) return SQLITE_IOERR_WRITE;
        const std::uint32_t v = get_be32(src + 8);
        if (!valid_page_size(v)) return SQLITE_IOERR_WRITE;
        st.page_size = static_cast<int>(v);
        st.forget_frames();  // a new log generation: every frame index starts over
        return lower_write(f, in, amt, off);
    }
    const int pgsz = wal_page_size(f);
    if (pgsz == 0) return SQLITE_IOERR_WRITE;
    const sqlite3_int64 fsz = pgsz + kFrameHeader;
    const sqlite3_int64 rel = (off - kWalHeader) % fsz;
    const sqlite3_int64 frame = (off - kWalHeader) / fsz + 1;
    if (rel == 0 && amt == kFrameHeader) {
        unsigned char hdr[kFrameHeader];
        std::memcpy(hdr, src, kFrameHeader);
        apply_mask(st, hdr, frame);
        st.last_hdr_off = off;
        st.last_hdr_pgno = get_be32(src);
        return lower_write(f, hdr, kFrameHeader, off);
    }
    if (rel == kFrameHeader && amt == pgsz) {
        const sqlite3_int64 frame_off = off - rel;
        std::uint32_t pgno = 0;
        if (st.last_hdr_off == frame_off) {
            pgno = st.last_hdr_pgno;
        } else {
            unsigned char b[4];
            if (lower_read(f, b, 4, frame_off) != SQLITE_OK) return SQLITE_IOERR_WRITE;
            pgno = get_be32(b);
        }
        if (pgno == 1 && src[20] != kReserveBytes) {
            sqlite3_log(SQLITE_IOERR_WRITE, "zb-seal: page 1 reserve byte is not 40");
            return SQLITE_IOERR_WRITE;
        }
        unsigned char* buf = st.scratch_for(usz(pgsz));
        if (!encrypt_page(*st.keys, FileRole::Wal, pgno, {src, usz(pgsz)}, {buf, usz(pgsz)})) {
            return SQLITE_IOERR_WRITE;
        }
        const int rc = lower_write(f, buf, pgsz, off);
        remember_frame(st, frame, pgno, buf, src, pgsz, rc == SQLITE_OK);
        return rc;
    }
    sqlite3_log(SQLITE_IOERR_WRITE, "zb-seal: refusing a %d-byte WAL write at %lld", amt, off);
    return SQLITE_IOERR_WRITE;
}

// ---- rollback journal ----------------------------------------------------------------------

bool is_journal_page(int amt, sqlite3_int64 off) {
    return off >= 4 && off % 8 == 4 && valid_page_size(static_cast<std::uint32_t>(amt));
}

int journal_read(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) {
    FileState& st = state(f);
    if (!is_journal_page(amt, off)) return lower_read(f, out, amt, off);
    unsigned char b[4];
    int rc = lower_read(f, b, 4, off - 4);
    if (rc != SQLITE_OK) return rc;
    auto* dst = static_cast<unsigned char*>(out);
    rc = read_image(f, dst, amt, off);
    if (rc != SQLITE_OK) return rc;
    const std::span<unsigned char> page(dst, usz(amt));
    if (!decrypt_page(*st.keys, FileRole::Journal, get_be32(b), page, page)) {
        sqlite3_log(SQLITE_IOERR_DATA, "zb-seal: journal record at %lld failed", off);
        return SQLITE_IOERR_DATA;
    }
    return SQLITE_OK;
}

int journal_write(sqlite3_file* f, const void* in, int amt, sqlite3_int64 off) {
    FileState& st = state(f);
    const auto* src = static_cast<const unsigned char*>(in);
    if (amt == 4) {
        st.last_pgno_end = off + 4;
        st.last_pgno = get_be32(src);
        return lower_write(f, in, amt, off);
    }
    if (!is_journal_page(amt, off)) return lower_write(f, in, amt, off);
    std::uint32_t pgno = 0;
    if (st.last_pgno_end == off) {
        pgno = st.last_pgno;
    } else {
        unsigned char b[4];
        if (lower_read(f, b, 4, off - 4) != SQLITE_OK) return SQLITE_IOERR_WRITE;
        pgno = get_be32(b);
    }
    unsigned char* buf = st.scratch_for(usz(amt));
    if (!encrypt_page(*st.keys, FileRole::Journal, pgno, {src, usz(amt)}, {buf, usz(amt)})) {
        return SQLITE_IOERR_WRITE;
    }
    return lower_write(f, buf, amt, off);
}

// ---- io methods ----------------------------------------------------------------------------

int x_close(sqlite3_file* f) {
    auto* sf = reinterpret_cast<SealFile*>(f);
    sqlite3_file* lo = lower_file(f);
    const int rc = lo->pMethods != nullptr ? lo->pMethods->xClose(lo) : SQLITE_OK;
    std::unique_ptr<FileState> owned(sf->st);
    sf->st = nullptr;
    return rc;
}

int x_read(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) {
    switch (state(f).kind) {
        case Kind::Db:
            return db_read(f, out, amt, off);
        case Kind::Wal:
            return wal_read(f, out, amt, off);
        case Kind::Journal:
            return journal_read(f, out, amt, off);
        case Kind::Passthrough:
            break;
    }
    return lower_read(f, out, amt, off);
}

int x_write(sqlite3_file* f, const void* in, int amt, sqlite3_int64 off) {
    switch (state(f).kind) {
        case Kind::Db:
            return db_write(f, in, amt, off);
        case Kind::Wal:
            return wal_write(f, in, amt, off);
        case Kind::Journal:
            return journal_write(f, in, amt, off);
        case Kind::Passthrough:
            break;
    }
    return lower_write(f, in, amt, off);
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    if (state(f).kind == Kind::Wal) state(f).forget_frames();
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xTruncate(lo, size);
}
int x_sync(sqlite3_file* f, int flags) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xSync(lo, flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xFileSize(lo, size);
}
int x_lock(sqlite3_file* f, int level) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xLock(lo, level);
}
int x_unlock(sqlite3_file* f, int level) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xUnlock(lo, level);
}
int x_check_reserved_lock(sqlite3_file* f, int* out) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xCheckReservedLock(lo, out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
    sqlite3_file* lo = lower_file(f);
    if (op == SQLITE_FCNTL_MMAP_SIZE && arg != nullptr) {
        auto* want = static_cast<sqlite3_int64*>(arg);
        if (*want > 0) *want = 0;  // memory-mapped reads would bypass decryption
    }
    if (op == SQLITE_FCNTL_VFSNAME && arg != nullptr) {
        *static_cast<char**>(arg) = sqlite3_mprintf("%s", kVfsName);
        return SQLITE_OK;
    }
    return lo->pMethods->xFileControl(lo, op, arg);
}
int x_sector_size(sqlite3_file* f) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xSectorSize(lo);
}
int x_device_characteristics(sqlite3_file* f) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xDeviceCharacteristics(lo);
}
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** pp) {
    sqlite3_file* lo = lower_file(f);
    if (lo->pMethods->iVersion < 2 || lo->pMethods->xShmMap == nullptr) return SQLITE_IOERR;
    return lo->pMethods->xShmMap(lo, region, size, extend, pp);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xShmLock(lo, offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
    sqlite3_file* lo = lower_file(f);
    lo->pMethods->xShmBarrier(lo);
}
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
    sqlite3_file* lo = lower_file(f);
    return lo->pMethods->xShmUnmap(lo, delete_flag);
}
int x_fetch(sqlite3_file*, sqlite3_int64, int, void** pp) {
    *pp = nullptr;  // never map: SQLite must read through x_read
    return SQLITE_OK;
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
    sqlite3_file* lo = lower_file(f);
    if (p == nullptr && lo->pMethods->iVersion >= 3 && lo->pMethods->xUnfetch != nullptr) {
        return lo->pMethods->xUnfetch(lo, off, nullptr);
    }
    return SQLITE_OK;
}

const sqlite3_io_methods kIoMethods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

// ---- open-time key check -------------------------------------------------------------------

// Authenticates the first frame of "<db>-wal" when the db file is still empty.
int check_wal_only(const char* db_name, const PageKeys& keys) {
    const std::string wal = std::string(db_name) + "-wal";
    std::ifstream in(wal, std::ios::binary);
    if (!in) return SQLITE_OK;
    unsigned char hdr[kWalHeader];
    if (!in.read(reinterpret_cast<char*>(hdr), kWalHeader)) return SQLITE_OK;
    const std::uint32_t pgsz = get_be32(hdr + 8);
    if (!valid_page_size(pgsz)) return SQLITE_NOTADB;
    std::vector<unsigned char> frame(pgsz + kFrameHeader);
    if (!in.read(reinterpret_cast<char*>(frame.data()), static_cast<std::streamsize>(frame.size())))
        return SQLITE_OK;  // no complete frame: nothing SQLite could recover either
    const std::span<unsigned char> page(frame.data() + kFrameHeader, pgsz);
    const bool ok = decrypt_page(keys, FileRole::Wal, get_be32(frame.data()), page, page);
    sodium_memzero(frame.data(), frame.size());
    return ok ? SQLITE_OK : SQLITE_NOTADB;
}

int check_main(sqlite3_file* f, const char* name) {
    FileState& st = state(f);
    const sqlite3_int64 size = lower_size(f);
    if (size < 0) return SQLITE_IOERR_FSTAT;
    if (size == 0) return check_wal_only(name, *st.keys);
    unsigned char hdr[100];
    if (size < 100 || lower_read(f, hdr, sizeof hdr, 0) != SQLITE_OK) return SQLITE_NOTADB;
    if (std::memcmp(hdr, "SQLite format 3", 16) != 0) return SQLITE_NOTADB;
    if (hdr[20] != kReserveBytes) {
        sqlite3_log(SQLITE_NOTADB, "zb-seal: %s has reserve %d, not 40: refused", name, hdr[20]);
        return SQLITE_NOTADB;
    }
    const int pgsz = header_page_size(hdr);
    if (pgsz == 0 || size < pgsz) return SQLITE_NOTADB;
    unsigned char* page = st.scratch_for(usz(pgsz));
    const std::span<unsigned char> p(page, usz(pgsz));
    // No SQLite lock is held yet, so a checkpoint in another connection may be rewriting page 1
    // right now: retry a failed check twice before calling the key wrong.
    bool ok = false;
    for (int attempt = 0; attempt < 3 && !ok; ++attempt) {
        if (attempt > 0) g_lower->xSleep(g_lower, 2000);
        ok = lower_read(f, page, pgsz, 0) == SQLITE_OK &&
             decrypt_page(*st.keys, FileRole::Db, 1, p, p);
    }
    sodium_memzero(page, usz(pgsz));
    if (!ok) return SQLITE_NOTADB;
    st.page_size = pgsz;
    return SQLITE_OK;
}

// ---- vfs methods ---------------------------------------------------------------------------

int v_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    auto* sf = reinterpret_cast<SealFile*>(f);
    sf->base.pMethods = nullptr;
    sf->st = nullptr;
    std::unique_ptr<FileState> st(new (std::nothrow) FileState());
    if (!st) return SQLITE_NOMEM;
    constexpr int kTypeBits = SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TRANSIENT_DB |
                              SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_TEMP_JOURNAL |
                              SQLITE_OPEN_SUBJOURNAL | SQLITE_OPEN_SUPER_JOURNAL | SQLITE_OPEN_WAL;
    const int type = flags & kTypeBits;
    switch (type) {
        case SQLITE_OPEN_MAIN_DB:
            st->kind = Kind::Db;
            st->keys = lookup_keys(name);
            if (!st->keys) {
                sqlite3_log(SQLITE_CANTOPEN, "zb-seal: no key bound for %s", name ? name : "?");
                return SQLITE_CANTOPEN;
            }
            break;
        case SQLITE_OPEN_WAL:
        case SQLITE_OPEN_MAIN_JOURNAL: {
            st->kind = type == SQLITE_OPEN_WAL ? Kind::Wal : Kind::Journal;
            sqlite3_file* main = name ? sqlite3_database_file_object(name) : nullptr;
            if (main == nullptr || main->pMethods != &kIoMethods) return SQLITE_CANTOPEN;
            st->main = main;
            st->keys = state(main).keys;
            break;
        }
        case SQLITE_OPEN_SUPER_JOURNAL:  // holds child journal names only
            st->kind = Kind::Passthrough;
            break;
        default:  // TEMP_DB, TEMP_JOURNAL, TRANSIENT_DB, SUBJOURNAL: fail closed
            sqlite3_log(SQLITE_CANTOPEN,
                        "zb-seal: on-disk temp file refused (flags 0x%x); "
                        "use PRAGMA temp_store=MEMORY",
                        flags);
            return SQLITE_CANTOPEN;
    }
    sqlite3_file* lo = lower_file(f);
    int rc = g_lower->xOpen(g_lower, name, lo, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (lo->pMethods != nullptr) lo->pMethods->xClose(lo);
        return rc;
    }
    sf->st = st.release();
    sf->base.pMethods = &kIoMethods;
    if (sf->st->kind == Kind::Db) {
        rc = check_main(f, name);
        if (rc != SQLITE_OK) {
            x_close(f);
            sf->base.pMethods = nullptr;
            return rc;
        }
    }
    return SQLITE_OK;
}

int v_delete(sqlite3_vfs*, const char* name, int sync_dir) {
    return g_lower->xDelete(g_lower, name, sync_dir);
}
int v_access(sqlite3_vfs*, const char* name, int flags, int* out) {
    return g_lower->xAccess(g_lower, name, flags, out);
}
int v_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
    return g_lower->xFullPathname(g_lower, name, n, out);
}
void* v_dl_open(sqlite3_vfs*, const char* path) {
    return g_lower->xDlOpen(g_lower, path);
}
void v_dl_error(sqlite3_vfs*, int n, char* msg) {
    g_lower->xDlError(g_lower, n, msg);
}
void (*v_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
    return g_lower->xDlSym(g_lower, h, sym);
}
void v_dl_close(sqlite3_vfs*, void* h) {
    g_lower->xDlClose(g_lower, h);
}
int v_randomness(sqlite3_vfs*, int n, char* out) {
    return g_lower->xRandomness(g_lower, n, out);
}
int v_sleep(sqlite3_vfs*, int us) {
    return g_lower->xSleep(g_lower, us);
}
int v_current_time(sqlite3_vfs*, double* t) {
    return g_lower->xCurrentTime(g_lower, t);
}
int v_get_last_error(sqlite3_vfs*, int n, char* msg) {
    return g_lower->xGetLastError(g_lower, n, msg);
}
int v_current_time_int64(sqlite3_vfs*, sqlite3_int64* t) {
    return g_lower->xCurrentTimeInt64(g_lower, t);
}
int v_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) {
    return g_lower->xSetSystemCall(g_lower, name, p);
}
sqlite3_syscall_ptr v_get_system_call(sqlite3_vfs*, const char* name) {
    return g_lower->xGetSystemCall(g_lower, name);
}
const char* v_next_system_call(sqlite3_vfs*, const char* name) {
    return g_lower->xNextSystemCall(g_lower, name);
}

sqlite3_vfs g_vfs = {
    3,         // iVersion (lowered to the lower VFS's at registration)
    0,         // szOsFile, set at registration
    0,         // mxPathname, set at registration
    nullptr,   // pNext
    kVfsName,  // zName
    nullptr,   // pAppData
    v_open,
    v_delete,
    v_access,
    v_full_pathname,
    v_dl_open,
    v_dl_error,
    v_dl_sym,
    v_dl_close,
    v_randomness,
    v_sleep,
    v_current_time,
    v_get_last_error,
    v_current_time_int64,
    v_set_system_call,
    v_get_system_call,
    v_next_system_call,
};

}  // namespace

sqlite3_vfs* register_seal_vfs() {
    static std::once_flag once;
    std::call_once(once, [] {
        init();
        g_lower = sqlite3_vfs_find(nullptr);
        if (g_lower == nullptr) return;
        g_vfs.iVersion = g_lower->iVersion < 3 ? g_lower->iVersion : 3;
        g_vfs.szOsFile = static_cast<int>(sizeof(SealFile)) + g_lower->szOsFile;
        g_vfs.mxPathname = g_lower->mxPathname;
        if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK) g_lower = nullptr;
    });
    return g_lower != nullptr ? &g_vfs : nullptr;
}

Result<std::string> canonical_path(const std::string& path) {
    if (register_seal_vfs() == nullptr) return make_error(Errc::Internal, "no default VFS");
    std::string out(usz(g_lower->mxPathname + 1), '\0');
    const int rc =
        g_lower->xFullPathname(g_lower, path.c_str(), g_lower->mxPathname + 1, out.data());
    if (rc != SQLITE_OK && rc != SQLITE_OK_SYMLINK) {
        return make_error(Errc::Io, "cannot resolve " + path, rc);
    }
    out.resize(std::strlen(out.c_str()));
    return out;
}

Result<KeyBinding> KeyBinding::bind(const std::string& path, const SecretKey& dek) {
    if (dek.empty()) return make_error(Errc::InvalidArgument, "empty key");
    auto canon = canonical_path(path);
    if (!canon) return canon.error();
    auto keys = PageKeys::derive(dek);
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto& e = registry()[canon.value()];
    if (e.refs > 0 && !e.keys->same_as(*keys)) {
        return make_error(Errc::KeyConflict, "another key is bound to " + canon.value());
    }
    if (e.refs == 0) e.keys = std::move(keys);
    ++e.refs;
    return KeyBinding(std::move(canon.value()));
}

int key_binding_count(const std::string& path) {
    auto canon = canonical_path(path);
    if (!canon) return 0;
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(canon.value());
    return it == registry().end() ? 0 : it->second.refs;
}

KeyBinding::~KeyBinding() {
    reset();
}

KeyBinding::KeyBinding(KeyBinding&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
}

KeyBinding& KeyBinding::operator=(KeyBinding&& other) noexcept {
    if (this != &other) {
        reset();
        path_ = std::move(other.path_);
        other.path_.clear();
    }
    return *this;
}

void KeyBinding::reset() {
    if (path_.empty()) return;
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(path_);
    if (it != registry().end() && --it->second.refs <= 0) registry().erase(it);
    path_.clear();
}

int KeyBinding::use_count() const {
    if (path_.empty()) return 0;
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(path_);
    return it == registry().end() ? 0 : it->second.refs;
}

}  // namespace zb::crypto
