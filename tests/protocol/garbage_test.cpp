// SPDX-License-Identifier: Apache-2.0
// No exception escapes and nothing crashes on hostile input: a seeded loop of 20000 random byte
// strings and mutations of valid messages (bit flips, truncation, splices, inserted heads). Every
// input either fails with a proper decoding error or decodes to a message that round-trips.
// The seed is printed on failure; ZB_GARBAGE_SEED overrides it.

#include "golden.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace zp = zb::protocol;

namespace {

std::uint64_t seed() {
    if (const char* s = std::getenv("ZB_GARBAGE_SEED")) return std::strtoull(s, nullptr, 10);
    return 20241124;
}

zp::Bytes mutate(zp::Bytes b, std::mt19937_64& rng) {
    auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
        switch (rng() % 6) {
            case 0:  // flip a bit
                if (!b.empty()) b[pick(b.size())] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
                break;
            case 1:  // overwrite a byte
                if (!b.empty()) b[pick(b.size())] = static_cast<std::uint8_t>(rng());
                break;
            case 2:  // truncate
                b.resize(pick(b.size() + 1));
                break;
            case 3: {  // insert an interesting CBOR head
                static const std::uint8_t heads[] = {0x9F, 0xBF, 0xFF, 0x5B, 0x7B, 0x9B, 0xBB,
                                                     0x1B, 0x3B, 0xF9, 0xFB, 0xC1, 0xF7, 0x00};
                b.insert(b.begin() + static_cast<long>(pick(b.size() + 1)),
                         heads[rng() % sizeof heads]);
                break;
            }
            case 4: {  // duplicate a slice
                if (b.empty()) break;
                const std::size_t from = pick(b.size());
                const std::size_t len = 1 + pick(std::min<std::size_t>(16, b.size() - from));
                const zp::Bytes slice(b.begin() + static_cast<long>(from),
                                      b.begin() + static_cast<long>(from + len));
                b.insert(b.begin() + static_cast<long>(pick(b.size() + 1)), slice.begin(),
                         slice.end());
                break;
            }
            default:  // erase a byte
                if (!b.empty()) b.erase(b.begin() + static_cast<long>(pick(b.size())));
                break;
        }
    }
    return b;
}

}  // namespace

TEST_CASE("random and mutated inputs never throw, crash or break the round trip",
          "[unit][garbage]") {
    const std::uint64_t s = seed();
    INFO("seed " << s << " (set ZB_GARBAGE_SEED to reproduce)");
    std::mt19937_64 rng(s);
    std::vector<zp::Bytes> valid;
    for (const auto& m : zb::test::golden::messages())
        valid.push_back(zp::encode(m));
    zp::Limits tight;
    tight.max_items = 8;
    tight.max_string = 24;
    tight.max_bytes = 40;
    tight.max_batch = 2;
    tight.max_depth = 4;

    int decoded = 0;
    for (int k = 0; k < 20000; ++k) {
        zp::Bytes in;
        if (k % 4 == 0) {
            in.resize(rng() % 64);
            for (auto& x : in)
                x = static_cast<std::uint8_t>(rng());
        } else {
            in = mutate(valid[rng() % valid.size()], rng);
        }
        for (const zp::Limits& limits : {zp::Limits{}, tight}) {
            zp::Result<zp::Message> r = zp::Error{};
            REQUIRE_NOTHROW(r = zp::decode(in, limits));
            if (!r.ok()) {
                const auto code = static_cast<int>(r.error().code);
                INFO(zb::test::golden::hex(in) << " -> " << r.error().message);
                REQUIRE(code >= 100);
                REQUIRE(code <= 107);
                continue;
            }
            ++decoded;
            zp::Limits again = limits;
            again.max_frame = SIZE_MAX;
            const auto back = zp::decode(zp::encode(r.value()), again);
            INFO(zb::test::golden::hex(in));
            REQUIRE(back.ok());
            REQUIRE(back.value() == r.value());
        }
    }
    // Mutations keep a fair share decodable, so the round-trip check is exercised.
    CHECK(decoded > 1000);
}
