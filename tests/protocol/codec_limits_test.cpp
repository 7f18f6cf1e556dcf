// SPDX-License-Identifier: Apache-2.0
// Every decoder limit exactly at its boundary and one beyond: frame size, nesting depth (also
// 100000 levels deep, which must stop early rather than recurse), entries per array or map
// (declared and indefinite-length), text and byte string lengths, and changes per batch.

#include "cbor_util.hpp"
#include "golden.hpp"

#include "zb/protocol/codec.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace zp = zb::protocol;
using zb::test::append;
using zb::test::decode_code;
using zb::test::head;
using zp::Errc;

namespace {

// {"t": 11, "cur": 1, "x": <extra>} with the map's entries in canonical order.
zp::Bytes notify_with(const zp::Bytes& extra) {
    zp::Bytes b = {0xA3, 0x63, 'c', 'u', 'r', 0x01, 0x61, 't', 0x0B, 0x61, 'x'};
    append(b, extra);
    return b;
}

zp::Bytes nested_arrays(std::size_t levels) {
    zp::Bytes b(levels, 0x81);
    b.push_back(0x00);
    return b;
}

zp::Bytes array_of_nulls(std::size_t n) {
    zp::Bytes b = head(4, n);
    b.insert(b.end(), n, 0xF6);
    return b;
}

zp::Change change(std::uint64_t seq) {
    return zb::test::golden::change("t", "r", "c", zp::Op::Set, zp::Value{std::int64_t{1}},
                                    zp::Hlc::make(1, 0), {}, 5, seq);
}

std::vector<zp::Change> changes(std::size_t n) {
    std::vector<zp::Change> out;
    for (std::size_t k = 1; k <= n; ++k)
        out.push_back(change(k));
    return out;
}

}  // namespace

TEST_CASE("limits have the documented defaults", "[unit][limits]") {
    const zp::Limits l;
    CHECK(l.max_frame == 4u << 20);
    CHECK(l.max_depth == 6);
    CHECK(l.max_items == 20000);
    CHECK(l.max_string == 256u << 10);
    CHECK(l.max_bytes == 1u << 20);
    CHECK(l.max_batch == 5000);
}

TEST_CASE("frame size limit", "[unit][limits]") {
    const zp::Bytes frame = zp::encode(zp::Wipe{std::string(100, 'w')});
    zp::Limits l;
    l.max_frame = frame.size();
    CHECK(decode_code(frame, l) == Errc::Ok);
    l.max_frame = frame.size() - 1;
    CHECK(decode_code(frame, l) == Errc::TooLarge);

    SECTION("default: exactly 4 MiB decodes, one byte more does not") {
        // A Wipe padded with unknown byte-string fields to exactly 4 MiB.
        zp::Bytes big = {0xA6, 0x61, 'm', 0x60, 0x61, 't', 0x0E};
        const std::size_t target = 4u << 20;
        for (char k : {'a', 'b', 'c', 'd'}) {
            const std::size_t left = target - big.size() - 2;  // minus this key
            const std::size_t len = k == 'd' ? left - head(2, left).size() : (1u << 20) - 8;
            big.push_back(0x61);
            big.push_back(static_cast<std::uint8_t>(k));
            append(big, head(2, len));
            big.insert(big.end(), len, 0xAB);
        }
        REQUIRE(big.size() == target);
        CHECK(decode_code(big) == Errc::Ok);
        zp::Bytes over = big;
        over.push_back(0x00);
        CHECK(decode_code(over) == Errc::TooLarge);  // checked before parsing
        CHECK(decode_code(zp::Bytes(target + 1, 0xFF)) == Errc::TooLarge);
    }
}

TEST_CASE("depth limit", "[unit][limits]") {
    // The message map is level 1, so 5 nested arrays reach the default limit of 6.
    CHECK(decode_code(notify_with(nested_arrays(5))) == Errc::Ok);
    CHECK(decode_code(notify_with(nested_arrays(6))) == Errc::TooDeep);
    // Maps count the same way.
    zp::Bytes maps;
    for (int k = 0; k < 5; ++k)
        append(maps, {0xA1, 0x61, 'k'});
    maps.push_back(0x00);
    CHECK(decode_code(notify_with(maps)) == Errc::Ok);
    zp::Bytes deeper = {0xA1, 0x61, 'k'};
    append(deeper, maps);
    CHECK(decode_code(notify_with(deeper)) == Errc::TooDeep);
    // Indefinite-length containers too.
    zp::Bytes indef(6, 0x9F);
    indef.push_back(0x00);
    indef.insert(indef.end(), 6, 0xFF);
    CHECK(decode_code(notify_with(indef)) == Errc::TooDeep);
    SECTION("custom limit") {
        zp::Limits l;
        l.max_depth = 3;
        CHECK(decode_code(notify_with(nested_arrays(2)), l) == Errc::Ok);
        CHECK(decode_code(notify_with(nested_arrays(3)), l) == Errc::TooDeep);
        // A push needs depth 3 (message, change array, change map).
        const zp::Bytes push = zp::encode(zb::test::golden::messages().at(6));
        CHECK(decode_code(push, l) == Errc::Ok);
        l.max_depth = 2;
        CHECK(decode_code(push, l) == Errc::TooDeep);
    }
    SECTION("very deep input stops at the limit instead of recursing") {
        CHECK(decode_code(notify_with(nested_arrays(100000))) == Errc::TooDeep);
        CHECK(decode_code(zp::Bytes(200000, 0x9F)) == Errc::TooDeep);
        zp::Bytes maps_deep;
        for (int k = 0; k < 50000; ++k)
            append(maps_deep, {0xA1, 0x60});
        CHECK(decode_code(maps_deep) == Errc::TooDeep);
    }
}

TEST_CASE("entries per array or map", "[unit][limits]") {
    zp::Limits l;
    l.max_items = 10;
    CHECK(decode_code(notify_with(array_of_nulls(10)), l) == Errc::Ok);
    CHECK(decode_code(notify_with(array_of_nulls(11)), l) == Errc::TooMany);
    SECTION("a declared count is refused before any entry is read") {
        CHECK(decode_code(notify_with(head(4, 11)), l) == Errc::TooMany);
        CHECK(decode_code(notify_with(head(4, 0xFFFFFFFFull)), l) == Errc::TooMany);
        CHECK(decode_code(notify_with(head(5, 0xFFFFFFFFFFull))) == Errc::TooMany);
        CHECK(decode_code(notify_with(head(4, 10)), l) == Errc::Malformed);  // truncated
    }
    SECTION("indefinite length is counted") {
        zp::Bytes ok = {0x9F};
        ok.insert(ok.end(), 10, 0xF6);
        ok.push_back(0xFF);
        CHECK(decode_code(notify_with(ok), l) == Errc::Ok);
        zp::Bytes over = {0x9F};
        over.insert(over.end(), 11, 0xF6);
        over.push_back(0xFF);
        CHECK(decode_code(notify_with(over), l) == Errc::TooMany);
    }
    SECTION("maps count their entries") {
        // The message map itself: t, cur, x and 7 more keys = 10 entries.
        auto message_map = [](std::size_t extra) {
            zp::Bytes b = head(5, 2 + extra);
            append(b, {0x63, 'c', 'u', 'r', 0x01, 0x61, 't', 0x0B});
            for (std::size_t k = 0; k < extra; ++k) {
                append(b, {0x62, 'k', static_cast<std::uint8_t>('a' + k), 0xF6});
            }
            return b;
        };
        CHECK(decode_code(message_map(8), l) == Errc::Ok);
        CHECK(decode_code(message_map(9), l) == Errc::TooMany);
        zp::Bytes indef = {0xBF};
        for (std::size_t k = 0; k < 11; ++k) {
            append(indef, {0x62, 'k', static_cast<std::uint8_t>('a' + k), 0xF6});
        }
        indef.push_back(0xFF);
        CHECK(decode_code(notify_with(indef), l) == Errc::TooMany);
    }
    SECTION("default limit") {
        CHECK(decode_code(notify_with(array_of_nulls(20000))) == Errc::Ok);
        CHECK(decode_code(notify_with(array_of_nulls(20001))) == Errc::TooMany);
    }
    SECTION("scopes are bounded by the same limit") {
        zp::AuthOk ok{"t", 1, "p", "r", std::vector<std::string>(10, "/org"), 0};
        CHECK(decode_code(zp::encode(ok), l) == Errc::Ok);
        ok.scopes.push_back("/org");
        CHECK(decode_code(zp::encode(ok), l) == Errc::TooMany);
    }
}

TEST_CASE("text string length", "[unit][limits]") {
    zp::Limits l;
    l.max_string = 16;
    CHECK(decode_code(zp::encode(zp::Wipe{std::string(16, 'x')}), l) == Errc::Ok);
    CHECK(decode_code(zp::encode(zp::Wipe{std::string(17, 'x')}), l) == Errc::TooLarge);
    // keys too
    zp::Bytes key16 = {0xA3, 0x61, 'm', 0x60, 0x61, 't', 0x0E};
    append(key16, zb::test::text_item(std::string(16, 'k')));
    key16.push_back(0xF6);
    CHECK(decode_code(key16, l) == Errc::Ok);
    zp::Bytes key17 = {0xA3, 0x61, 'm', 0x60, 0x61, 't', 0x0E};
    append(key17, zb::test::text_item(std::string(17, 'k')));
    key17.push_back(0xF6);
    CHECK(decode_code(key17, l) == Errc::TooLarge);
    // chunked (indefinite-length) text counts the whole string
    zp::Bytes chunked = {0xA2, 0x61, 'm', 0x7F};
    append(chunked, zb::test::text_item(std::string(9, 'a')));
    append(chunked, zb::test::text_item(std::string(8, 'b')));
    append(chunked, {0xFF, 0x61, 't', 0x0E});
    CHECK(decode_code(chunked, l) == Errc::TooLarge);
    // column values and scopes too
    zp::Changes c{{change(1)}, 1, false, 1, 1};
    c.changes[0].value = zp::Value{std::string(17, 'v')};
    CHECK(decode_code(zp::encode(c), l) == Errc::TooLarge);
    SECTION("default limit") {
        CHECK(decode_code(zp::encode(zp::Wipe{std::string(256u << 10, 'x')})) == Errc::Ok);
        CHECK(decode_code(zp::encode(zp::Wipe{std::string((256u << 10) + 1, 'x')})) ==
              Errc::TooLarge);
    }
}

TEST_CASE("byte string length", "[unit][limits]") {
    zp::Limits l;
    l.max_bytes = 40;
    zp::Changes c{{change(1)}, 1, false, 1, 1};
    c.changes[0].value = zp::Value{zp::Bytes(40, 1)};
    CHECK(decode_code(zp::encode(c), l) == Errc::Ok);
    c.changes[0].value = zp::Value{zp::Bytes(41, 1)};
    CHECK(decode_code(zp::encode(c), l) == Errc::TooLarge);
    // The 64-byte signature of a push needs max_bytes >= 64.
    const zp::Bytes push = zp::encode(zp::Push{1, {change(1)}, zp::Bytes(64, 2)});
    CHECK(decode_code(push, l) == Errc::TooLarge);
    l.max_bytes = 64;
    CHECK(decode_code(push, l) == Errc::Ok);
    SECTION("default limit") {
        c.changes[0].value = zp::Value{zp::Bytes(1u << 20, 1)};
        CHECK(decode_code(zp::encode(c)) == Errc::Ok);
        c.changes[0].value = zp::Value{zp::Bytes((1u << 20) + 1, 1)};
        CHECK(decode_code(zp::encode(c)) == Errc::TooLarge);
    }
}

TEST_CASE("changes per batch", "[unit][limits]") {
    zp::Limits l;
    l.max_batch = 3;
    const zp::Bytes sig(64, 3);
    CHECK(decode_code(zp::encode(zp::Push{1, changes(3), sig}), l) == Errc::Ok);
    CHECK(decode_code(zp::encode(zp::Push{1, changes(4), sig}), l) == Errc::TooLarge);
    CHECK(decode_code(zp::encode(zp::Changes{changes(3), 3, true, 3, 9}), l) == Errc::Ok);
    CHECK(decode_code(zp::encode(zp::Changes{changes(4), 4, true, 4, 9}), l) == Errc::TooLarge);
    std::vector<zp::ChangeResult> results;
    for (std::uint64_t k = 1; k <= 3; ++k)
        results.push_back({k, Errc::Ok, ""});
    CHECK(decode_code(zp::encode(zp::PushAck{1, results, 3}), l) == Errc::Ok);
    results.push_back({4, Errc::Ok, ""});
    CHECK(decode_code(zp::encode(zp::PushAck{1, results, 4}), l) == Errc::TooLarge);
    SECTION("default limit") {
        CHECK(decode_code(zp::encode(zp::Push{1, changes(5000), sig})) == Errc::Ok);
        CHECK(decode_code(zp::encode(zp::Push{1, changes(5001), sig})) == Errc::TooLarge);
    }
}
