// SPDX-License-Identifier: Apache-2.0
// The server's blob store on a real SQLite file: a chunk is verified against its hash and kept
// once however many devices upload it; a wrong hash stores nothing; a device cannot register a
// manifest over chunks it never uploaded (a hash is not a key); the quota refuses without storing;
// the bytes on disk are sealed (a planted marker is not in the file); a tampered chunk is never
// served.
#include "zb/server/blob_store.hpp"

#include "temp_dir.hpp"

#include "zb/protocol/codec.hpp"
#include "zb/server/crypto.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

namespace zp = zb::protocol;
using zb::server::Bytes;
using zp::Errc;

namespace {

Bytes hash_of(const Bytes& data) {
    const auto h = zb::server::blake2b(data);
    return Bytes(h.begin(), h.end());
}

Bytes marked(std::size_t n, const std::string& marker) {
    Bytes b;
    while (b.size() < n)
        b.insert(b.end(), marker.begin(), marker.end());
    b.resize(n);
    return b;
}

bool file_contains(const std::string& path, const std::string& needle) {
    std::ifstream in(path, std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all.find(needle) != std::string::npos;
}

struct Fixture {
    zb::test::TempDir dir{"zb-blob-store"};
    zb::server::SecretKey key;
    std::unique_ptr<zb::server::BlobStore> store;

    explicit Fixture(std::uint64_t quota = 1u << 30) {
        zb::server::crypto_init();
        key = zb::server::SecretKey::generate();
        zb::server::BlobStoreOptions o;
        o.path = dir.file("blobs.db");
        o.master_key = &key;
        o.device_quota = quota;
        store = zb::server::open_blob_store(o);
    }
};

}  // namespace

TEST_CASE("blob store: verified, deduplicated, sealed at rest", "[unit][attach]") {
    Fixture f;
    const std::string marker = "ZB-PLAINTEXT-MARKER-政审材料-";
    const Bytes a = marked(zp::kChunkSize, marker);
    const Bytes b = marked(1000, "second chunk ");
    const Bytes ha = hash_of(a);
    const Bytes hb = hash_of(b);

    REQUIRE(f.store->put_chunk(1, ha, a).ok());
    REQUIRE(f.store->put_chunk(1, ha, a).ok());  // resend after a lost ack
    REQUIRE(f.store->put_chunk(2, ha, a).ok());  // another device, same bytes
    CHECK(f.store->chunk_count().value() == 1);
    CHECK(f.store->stats.chunks_stored == 1);
    CHECK(f.store->stats.dedup_hits == 2);
    CHECK(f.store->usage(1).value() == a.size());
    CHECK(f.store->usage(2).value() == a.size());

    // Wrong hash: refused, nothing stored or claimed.
    auto bad = f.store->put_chunk(1, ha, b);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == Errc::HashMismatch);
    CHECK(f.store->chunk_count().value() == 1);
    CHECK(f.store->usage(1).value() == a.size());

    REQUIRE(f.store->put_chunk(1, hb, b).ok());
    const zp::AttachmentManifest m{{ha, hb}, a.size() + b.size(), "application/pdf"};
    // Device 2 holds a but never uploaded b: it cannot claim the manifest.
    auto theft = f.store->put_manifest(2, m);
    REQUIRE_FALSE(theft.ok());
    CHECK(theft.error().code == Errc::NotFound);
    // A size that disagrees with the chunks actually held.
    auto lie = f.store->put_manifest(1, {{ha, hb}, a.size() + b.size() - 1, "application/pdf"});
    REQUIRE_FALSE(lie.ok());
    CHECK(lie.error().code == Errc::BadValue);

    auto id = f.store->put_manifest(1, m);
    REQUIRE(id.ok());
    CHECK(id.value() == zb::server::manifest_id(m));
    CHECK(f.store->put_manifest(1, m).value() == id.value());  // idempotent
    auto stored = f.store->manifest(id.value());
    REQUIRE(stored.ok());
    REQUIRE(stored.value().has_value());
    CHECK(stored.value()->manifest == m);
    CHECK(stored.value()->uploader == 1);
    CHECK_FALSE(f.store->manifest(ha).value().has_value());

    CHECK(f.store->chunk(ha).value() == a);
    CHECK(f.store->chunk(hb).value() == b);
    auto none = f.store->chunk(hash_of(Bytes{1, 2, 3}));
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().code == Errc::NotFound);

    // The marker is nowhere in the files: every chunk is sealed.
    f.store.reset();
    for (const char* suffix : {"", "-wal"}) {
        const std::string path = f.dir.file("blobs.db") + suffix;
        INFO(path);
        CHECK_FALSE(file_contains(path, "ZB-PLAINTEXT-MARKER"));
    }
}

TEST_CASE("blob store: quota refuses without storing; tampered chunks are not served",
          "[unit][attach]") {
    Fixture f(/*quota=*/3000);
    const Bytes a = marked(2000, "a");
    const Bytes b = marked(2000, "b");
    REQUIRE(f.store->put_chunk(7, hash_of(a), a).ok());
    auto over = f.store->put_chunk(7, hash_of(b), b);
    REQUIRE_FALSE(over.ok());
    CHECK(over.error().code == Errc::QuotaExceeded);
    CHECK(f.store->chunk_count().value() == 1);
    CHECK(f.store->usage(7).value() == 2000);
    REQUIRE(f.store->put_chunk(8, hash_of(b), b).ok());  // another device has its own quota

    // Flip one byte of the sealed body on disk: the chunk fails authentication.
    const std::string path = f.dir.file("blobs.db");
    f.store.reset();
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db,
                             "UPDATE chunks SET sealed = substr(sealed, 1, 40) || CASE WHEN "
                             "substr(sealed, 41, 1) = x'00' THEN x'01' ELSE x'00' END || "
                             "substr(sealed, 42)",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    zb::server::BlobStoreOptions o;
    o.path = path;
    o.master_key = &f.key;
    f.store = zb::server::open_blob_store(o);
    auto got = f.store->chunk(hash_of(a));
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().code == Errc::StorageFailure);
}
