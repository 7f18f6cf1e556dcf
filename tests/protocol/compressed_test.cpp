// SPDX-License-Identifier: Apache-2.0
// The `compressed` wrapper (protocol 4, SPEC.md §2 "Compression", §6.15): a large Changes page
// shrinks and round-trips, small and incompressible messages travel plain, and every hostile
// wrapper (bomb, size lie, nesting, unknown algorithm, truncated or padded stream) is refused with
// its typed error. Also the golden vector tests/data/protocol/compressed.{cbor,json}.

#include "cbor_util.hpp"
#include "golden.hpp"

#include "zb/protocol/codec.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace zp = zb::protocol;
using zb::test::bin;
using zb::test::decode_code;
using zb::test::to_cbor;
using zp::Errc;

namespace {

// A realistic pull page: 500 member cells, the shape an initial sync carries.
zp::Changes big_page() {
    zp::Changes page;
    for (std::uint64_t i = 0; i < 500; ++i) {
        const std::string row = "member-" + std::to_string(10000 + i / 5);
        const char* columns[] = {"name", "branch", "joined", "phone", "status"};
        page.changes.push_back(zb::test::golden::change(
            "members", row, columns[i % 5], zp::Op::Set,
            zp::Value{std::string("value of ") + columns[i % 5] + " " + std::to_string(i)},
            zp::Hlc::make(1732000000000ULL + i, 0), {}, 0x1122334455667788ULL, i + 1));
    }
    page.cursor = 500;
    page.has_more = true;
    page.done = 500;
    page.total = 10000;
    return page;
}

std::uint64_t type_tag(const zp::Bytes& frame) {
    return nlohmann::json::from_cbor(frame).at("t").get<std::uint64_t>();
}

zp::Bytes wrapper(std::uint64_t algorithm, std::uint64_t raw_size, const zp::Bytes& body) {
    return to_cbor({{"t", 24}, {"a", algorithm}, {"n", raw_size}, {"z", bin(body)}});
}

}  // namespace

TEST_CASE("a large changes page travels compressed, shrinks, and decodes to itself",
          "[unit][compressed]") {
    const zp::Message page = big_page();
    const zp::Bytes plain = zp::encode(page);
    const zp::Bytes wire = zp::encode(page, zp::CompressOptions{});
    CHECK(type_tag(plain) == 10);
    CHECK(type_tag(wire) == 24);
    INFO("plain " << plain.size() << " bytes, compressed " << wire.size() << " bytes");
    CHECK(wire.size() * 4 < plain.size());  // repetitive CBOR keys and tables: well over 4x

    const auto decoded = zp::decode(wire);
    REQUIRE(decoded.ok());
    CHECK(decoded.value() == page);
    // Deterministic for one zlib build: equal messages give equal frames.
    CHECK(zp::encode(page, zp::CompressOptions{}) == wire);
}

TEST_CASE("small, disabled and incompressible messages travel plain", "[unit][compressed]") {
    const zp::Message notify = zp::Notify{1301};
    CHECK(zp::encode(notify, zp::CompressOptions{}) == zp::encode(notify));

    const zp::Message page = big_page();
    CHECK(zp::encode(page, zp::CompressOptions{0, 6}) == zp::encode(page));
    const std::size_t size = zp::encode(page).size();
    CHECK(zp::encode(page, zp::CompressOptions{size + 1, 6}) == zp::encode(page));
    CHECK(type_tag(zp::encode(page, zp::CompressOptions{size, 6})) == 24);

    // Random-looking chunk bytes do not shrink: the wrapper would be larger, so none is used.
    zp::Bytes noise(64u << 10);
    std::uint32_t x = 2463534242u;
    for (auto& b : noise) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b = static_cast<std::uint8_t>(x);
    }
    const zp::Message chunk = zp::Chunk{zb::test::golden::pattern(32, 1, 1), Errc::Ok, noise};
    const zp::Bytes wire = zp::encode(chunk, zp::CompressOptions{});
    CHECK(wire == zp::encode(chunk));
    CHECK(type_tag(wire) == 21);
}

TEST_CASE("a compression bomb is refused before inflating", "[unit][compressed]") {
    const zp::Bytes plain = zp::encode(big_page());
    const zp::Compressed c = zp::compress(plain);

    SECTION("raw_size above max_frame is TooLarge") {
        zp::Limits small;
        small.max_frame = plain.size() - 1;
        const zp::Bytes wire = zp::encode_compressed(c);
        REQUIRE(wire.size() < small.max_frame);
        CHECK(decode_code(wire, small) == Errc::TooLarge);
        CHECK(decode_code(wrapper(1, (4u << 20) + 1, c.body)) == Errc::TooLarge);
        CHECK(decode_code(wrapper(1, ~std::uint64_t{0}, c.body)) == Errc::TooLarge);
    }
    SECTION("a stream that inflates beyond raw_size is Malformed") {
        // 32 MiB of zeros deflate to ~32 KB; announced as 1000 bytes, inflation stops at 1000.
        const zp::Bytes zeros(32u << 20, 0);
        const zp::Compressed bomb = zp::compress(zeros, 9);
        REQUIRE(bomb.body.size() < (1u << 20));
        CHECK(decode_code(wrapper(1, 1000, bomb.body)) == Errc::Malformed);
        // Announced truthfully, it is still beyond max_frame.
        CHECK(decode_code(wrapper(1, zeros.size(), bomb.body)) == Errc::TooLarge);
    }
    SECTION("raw_size lying in either direction is Malformed") {
        CHECK(decode_code(wrapper(1, c.raw_size - 1, c.body)) == Errc::Malformed);
        CHECK(decode_code(wrapper(1, c.raw_size + 1, c.body)) == Errc::Malformed);
        CHECK(decode_code(wrapper(1, 0, c.body)) == Errc::BadValue);
        REQUIRE(zp::decode(wrapper(1, c.raw_size, c.body)).ok());
    }
}

TEST_CASE("hostile compressed wrappers get typed errors", "[unit][compressed]") {
    const zp::Bytes plain = zp::encode(big_page());
    const zp::Compressed c = zp::compress(plain);

    SECTION("nested wrapper") {
        const zp::Bytes inner = zp::encode_compressed(c);
        CHECK(decode_code(zp::encode_compressed(zp::compress(inner))) == Errc::Malformed);
    }
    SECTION("unknown algorithm") {
        CHECK(decode_code(wrapper(2, c.raw_size, c.body)) == Errc::BadValue);
        CHECK(decode_code(wrapper(0, c.raw_size, c.body)) == Errc::BadValue);
    }
    SECTION("truncated body") {
        const zp::Bytes half(c.body.begin(), c.body.begin() + static_cast<long>(c.body.size() / 2));
        CHECK(decode_code(wrapper(1, c.raw_size, half)) == Errc::Malformed);
        const zp::Bytes no_check(c.body.begin(), c.body.end() - 2);  // adler32 cut short
        CHECK(decode_code(wrapper(1, c.raw_size, no_check)) == Errc::Malformed);
        CHECK(decode_code(wrapper(1, c.raw_size, {})) == Errc::Malformed);
    }
    SECTION("bytes after the stream") {
        zp::Bytes padded = c.body;
        padded.push_back(0);
        CHECK(decode_code(wrapper(1, c.raw_size, padded)) == Errc::Malformed);
    }
    SECTION("corrupt body") {
        zp::Bytes bad = c.body;
        bad[bad.size() / 2] ^= 0xFF;
        CHECK(decode_code(wrapper(1, c.raw_size, bad)) == Errc::Malformed);
    }
    SECTION("inner bytes that are not a message") {
        const zp::Bytes junk = {0xff, 0x00, 0x13};
        const zp::Compressed j = zp::compress(junk);
        CHECK(decode_code(zp::encode_compressed(j)) == Errc::Malformed);
    }
    SECTION("missing and mistyped fields") {
        CHECK(decode_code(to_cbor({{"t", 24}})) == Errc::MissingField);
        CHECK(decode_code(to_cbor({{"t", 24}, {"a", 1}, {"n", 10}})) == Errc::MissingField);
        CHECK(decode_code(to_cbor({{"t", 24}, {"a", 1}, {"n", 10}, {"z", "text"}})) ==
              Errc::WrongType);
    }
    SECTION("the inner message keeps its own limits") {
        zp::Limits tight;
        tight.max_batch = 100;  // the page holds 500 changes
        const zp::Bytes wire = zp::encode(big_page(), zp::CompressOptions{});
        REQUIRE(type_tag(wire) == 24);
        CHECK(decode_code(wire, tight) == Errc::TooLarge);
    }
}

TEST_CASE("golden vector: compressed", "[unit][golden][compressed]") {
    const auto dir = std::filesystem::path(ZB_TEST_DATA_DIR) / "protocol";
    std::ifstream in(dir / "compressed.cbor", std::ios::binary);
    REQUIRE(in.good());
    const zp::Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    const zp::Compressed c = zb::test::golden::compressed_vector();
    CHECK(zb::test::golden::hex(zp::encode_compressed(c)) == zb::test::golden::hex(bytes));
    const auto decoded = zp::decode(bytes);
    REQUIRE(decoded.ok());
    CHECK(decoded.value() == zb::test::golden::messages().at(9));

    std::ifstream json_in(dir / "compressed.json");
    REQUIRE(json_in.good());
    CHECK(nlohmann::json::parse(json_in) == zb::test::golden::describe_compressed(c));
}
