// SPDX-License-Identifier: Apache-2.0
// Unit tests of the page format (page_cipher.hpp) and SecretKey: round trip, nonce freshness,
// tamper detection on every region of a page, role/page-number/size binding, the clear page-1
// header, and key hygiene (take_bytes wipes the caller's copy).

#include "zb/crypto/page_cipher.hpp"

#include "crypto_test_util.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace zb::crypto;
using zb::crypto::test::test_key;

namespace {

std::vector<unsigned char> sample_page(std::size_t n, unsigned char seed) {
    std::vector<unsigned char> p(n);
    for (std::size_t i = 0; i < n; ++i)
        p[i] = static_cast<unsigned char>(seed + i * 31);
    std::memcpy(p.data(), "SQLite format 3", 16);
    return p;
}

}  // namespace

TEST_CASE("page round trip restores the usable area", "[unit][page]") {
    const auto keys = PageKeys::derive(test_key(1));
    for (std::uint32_t pgno : {1u, 2u, 77u}) {
        auto plain = sample_page(4096, static_cast<unsigned char>(pgno));
        std::vector<unsigned char> sealed(4096), opened(4096);
        REQUIRE(encrypt_page(*keys, FileRole::Db, pgno, plain, sealed));
        REQUIRE(decrypt_page(*keys, FileRole::Db, pgno, sealed, opened));
        CHECK(std::equal(plain.begin(), plain.end() - 40, opened.begin()));
        // In place, both ways.
        auto inplace = plain;
        REQUIRE(encrypt_page(*keys, FileRole::Wal, pgno, inplace, inplace));
        REQUIRE(decrypt_page(*keys, FileRole::Wal, pgno, inplace, inplace));
        CHECK(std::equal(plain.begin(), plain.end() - 40, inplace.begin()));
    }
}

TEST_CASE("page 1 keeps bytes 0..31 in clear and nothing else", "[unit][page]") {
    const auto keys = PageKeys::derive(test_key(2));
    auto plain = sample_page(4096, 9);
    std::vector<unsigned char> sealed(4096);
    REQUIRE(encrypt_page(*keys, FileRole::Db, 1, plain, sealed));
    CHECK(std::equal(plain.begin(), plain.begin() + 32, sealed.begin()));
    CHECK_FALSE(std::equal(plain.begin() + 32, plain.begin() + 64, sealed.begin() + 32));
    REQUIRE(encrypt_page(*keys, FileRole::Db, 2, plain, sealed));
    CHECK_FALSE(std::equal(plain.begin(), plain.begin() + 16, sealed.begin()));
}

TEST_CASE("every write uses a fresh nonce", "[unit][page]") {
    const auto keys = PageKeys::derive(test_key(3));
    auto plain = sample_page(4096, 1);
    std::vector<unsigned char> a(4096), b(4096);
    REQUIRE(encrypt_page(*keys, FileRole::Db, 5, plain, a));
    REQUIRE(encrypt_page(*keys, FileRole::Db, 5, plain, b));
    CHECK(a != b);
    CHECK_FALSE(std::equal(a.end() - 40, a.end() - 16, b.end() - 40));
}

TEST_CASE("a forked child never reuses the parent's nonces", "[unit][page]") {
    const auto keys = PageKeys::derive(test_key(8));
    auto plain = sample_page(4096, 1);
    std::vector<unsigned char> sealed(4096);
    REQUIRE(encrypt_page(*keys, FileRole::Db, 5, plain, sealed));  // the batch is now filled
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::vector<unsigned char> child(4096);
        const bool ok = encrypt_page(*keys, FileRole::Db, 5, plain, child);
        const auto n = write(fds[1], child.data() + 4056, 24);
        _exit(ok && n == 24 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    unsigned char child_nonce[24] = {};
    REQUIRE(read(fds[0], child_nonce, 24) == 24);
    close(fds[0]);
    close(fds[1]);
    REQUIRE(encrypt_page(*keys, FileRole::Db, 5, plain, sealed));
    CHECK(WIFEXITED(status));
    CHECK(std::memcmp(child_nonce, sealed.data() + 4056, 24) != 0);
}

TEST_CASE("any flipped byte, wrong page, role, size or key fails authentication", "[unit][page]") {
    const auto keys = PageKeys::derive(test_key(4));
    const auto other = PageKeys::derive(test_key(5));
    auto plain = sample_page(4096, 3);
    std::vector<unsigned char> sealed(4096), out(4096);
    REQUIRE(encrypt_page(*keys, FileRole::Db, 1, plain, sealed));
    // header (clear, bound as AD), body, nonce, tag
    for (std::size_t off :
         {0ul, 20ul, 31ul, 32ul, 2000ul, 4055ul, 4056ul, 4079ul, 4080ul, 4095ul}) {
        auto bad = sealed;
        bad[off] ^= 1;
        INFO("offset " << off);
        CHECK_FALSE(decrypt_page(*keys, FileRole::Db, 1, bad, out));
        CHECK(std::all_of(out.begin(), out.end(), [](unsigned char c) { return c == 0; }));
    }
    CHECK_FALSE(decrypt_page(*keys, FileRole::Db, 2, sealed, out));
    CHECK_FALSE(decrypt_page(*keys, FileRole::Wal, 1, sealed, out));
    CHECK_FALSE(decrypt_page(*keys, FileRole::Journal, 1, sealed, out));
    CHECK_FALSE(decrypt_page(*other, FileRole::Db, 1, sealed, out));
    std::vector<unsigned char> small(2048);
    CHECK_FALSE(decrypt_page(*keys, FileRole::Db, 1, std::span(sealed).first(2048), small));
    CHECK_FALSE(decrypt_page(*keys, FileRole::Db, 0, sealed, out));
    std::vector<unsigned char> tiny(10);
    CHECK_FALSE(decrypt_page(*keys, FileRole::Db, 3, tiny, tiny));
    CHECK(decrypt_page(test_key(4), FileRole::Db, 1, sealed, out));
}

TEST_CASE("other page sizes work and are bound", "[unit][page]") {
    const auto keys = PageKeys::derive(test_key(6));
    for (std::size_t n : {512ul, 1024ul, 65536ul}) {
        auto plain = sample_page(n, 8);
        std::vector<unsigned char> sealed(n), out(n);
        REQUIRE(encrypt_page(*keys, FileRole::Journal, 9, plain, sealed));
        REQUIRE(decrypt_page(*keys, FileRole::Journal, 9, sealed, out));
        CHECK(std::equal(plain.begin(), plain.end() - 40, out.begin()));
    }
}

TEST_CASE("WAL checksum mask depends on salts and frame", "[unit][page]") {
    const auto keys = PageKeys::derive(test_key(7));
    unsigned char salts[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    unsigned char m1[8], m2[8], m3[8];
    wal_checksum_mask(*keys, salts, 1, m1);
    wal_checksum_mask(*keys, salts, 2, m2);
    salts[0] ^= 1;
    wal_checksum_mask(*keys, salts, 1, m3);
    CHECK(std::memcmp(m1, m2, 8) != 0);
    CHECK(std::memcmp(m1, m3, 8) != 0);
}

TEST_CASE("SecretKey copies into guarded memory and wipes on take", "[unit][key]") {
    std::array<unsigned char, 32> raw{};
    raw.fill(0xab);
    auto k = SecretKey::take_bytes(raw);
    REQUIRE(k.ok());
    CHECK(std::all_of(raw.begin(), raw.end(), [](unsigned char c) { return c == 0; }));
    CHECK(k->bytes()[0] == 0xab);
    CHECK(k->equals(SecretKey::from_bytes(std::vector<unsigned char>(32, 0xab)).value()));
    CHECK_FALSE(SecretKey::from_bytes(std::vector<unsigned char>(31, 1)).ok());
    const auto g1 = SecretKey::generate();
    const auto g2 = SecretKey::generate();
    CHECK_FALSE(g1.equals(g2));
    SecretKey moved = std::move(k.value());
    CHECK(moved.bytes()[31] == 0xab);
}
