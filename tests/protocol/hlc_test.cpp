// SPDX-License-Identifier: Apache-2.0
// Hybrid logical clock at its boundaries: logical-counter overflow, physical time going
// backwards, observe() exactly at max_ahead and one millisecond beyond, the end of time, and
// the rendering used in logs.

#include "zb/protocol/hlc.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

using zb::protocol::Errc;
using zb::protocol::Hlc;
using zb::protocol::HlcClock;

namespace {

Hlc tick_ok(HlcClock& c, std::uint64_t now) {
    auto r = c.tick(now);
    REQUIRE(r.ok());
    return *r;
}

}  // namespace

TEST_CASE("hlc layout packs millis and logical", "[unit][hlc]") {
    const Hlc h = Hlc::make(1732000000000ULL, 3);
    CHECK(h.millis() == 1732000000000ULL);
    CHECK(h.logical() == 3);
    CHECK(h.raw == ((1732000000000ULL << 16) | 3));
    CHECK(Hlc::make(5, 0xFFFF) < Hlc::make(6, 0));
    CHECK(Hlc{}.is_zero());
    CHECK(zb::protocol::to_string(h) == "1732000000000.3");
    CHECK(zb::protocol::to_string(Hlc{}) == "0.0");
}

TEST_CASE("tick follows physical time and never repeats", "[unit][hlc]") {
    HlcClock c;
    CHECK(tick_ok(c, 1000) == Hlc::make(1000, 0));
    CHECK(tick_ok(c, 1000) == Hlc::make(1000, 1));
    CHECK(tick_ok(c, 1000) == Hlc::make(1000, 2));
    CHECK(tick_ok(c, 1001) == Hlc::make(1001, 0));
    CHECK(c.last() == Hlc::make(1001, 0));
}

TEST_CASE("tick at time zero still issues a non-zero timestamp", "[unit][hlc]") {
    HlcClock c;
    const Hlc h = tick_ok(c, 0);
    CHECK(!h.is_zero());
    CHECK(h == Hlc::make(0, 1));
}

TEST_CASE("tick does not go backwards when physical time does", "[unit][hlc]") {
    HlcClock c;
    const Hlc a = tick_ok(c, 5000);
    const Hlc b = tick_ok(c, 4000);  // wall clock stepped back one second
    const Hlc d = tick_ok(c, 1);
    CHECK(a < b);
    CHECK(b < d);
    CHECK(b == Hlc::make(5000, 1));
    CHECK(d == Hlc::make(5000, 2));
    CHECK(tick_ok(c, 5001) == Hlc::make(5001, 0));
}

TEST_CASE("logical counter overflow carries into the next millisecond", "[unit][hlc]") {
    HlcClock c;
    c.restore(Hlc::make(7000, 0xFFFE));
    CHECK(tick_ok(c, 7000) == Hlc::make(7000, 0xFFFF));
    const Hlc carried = tick_ok(c, 7000);
    CHECK(carried == Hlc::make(7001, 0));
    CHECK(carried.logical() == 0);
    // Physical time catching up with the borrowed millisecond does not repeat it.
    CHECK(tick_ok(c, 7001) == Hlc::make(7001, 1));
    CHECK(tick_ok(c, 7002) == Hlc::make(7002, 0));
}

TEST_CASE("a full counter at every tick keeps strictly increasing", "[unit][hlc]") {
    HlcClock c;
    Hlc prev = tick_ok(c, 100);
    for (int i = 0; i < 0x10000 + 10; ++i) {
        const Hlc next = tick_ok(c, 100);
        REQUIRE(prev < next);
        prev = next;
    }
    CHECK(prev.millis() == 101);
}

TEST_CASE("end of time yields ClockOverflow and leaves the clock alone", "[unit][hlc]") {
    SECTION("physical time beyond 48 bits") {
        HlcClock c;
        auto r = c.tick(Hlc::kMaxMillis + 1);
        REQUIRE(!r.ok());
        CHECK(r.error().code == Errc::ClockOverflow);
        CHECK(c.last().is_zero());
        CHECK(tick_ok(c, Hlc::kMaxMillis) == Hlc::make(Hlc::kMaxMillis, 0));
    }
    SECTION("last representable timestamp") {
        HlcClock c;
        c.restore(Hlc::make(Hlc::kMaxMillis, 0xFFFE));
        CHECK(tick_ok(c, 0) == Hlc{std::numeric_limits<std::uint64_t>::max()});
        auto r = c.tick(Hlc::kMaxMillis);
        REQUIRE(!r.ok());
        CHECK(r.error().code == Errc::ClockOverflow);
        CHECK(c.last().raw == std::numeric_limits<std::uint64_t>::max());
    }
    SECTION("counter overflow in the last millisecond") {
        HlcClock c;
        c.restore(Hlc::make(Hlc::kMaxMillis - 1, 0xFFFF));
        CHECK(tick_ok(c, 3) == Hlc::make(Hlc::kMaxMillis, 0));
    }
}

TEST_CASE("observe adopts remote time so later ticks exceed it", "[unit][hlc]") {
    HlcClock c(1000);
    REQUIRE(tick_ok(c, 10000) == Hlc::make(10000, 0));
    const Hlc remote = Hlc::make(10500, 7);
    REQUIRE(c.observe(remote, 10000).ok());
    CHECK(c.last() == remote);
    CHECK(tick_ok(c, 10000) == Hlc::make(10500, 8));
    // An older remote timestamp changes nothing.
    REQUIRE(c.observe(Hlc::make(9000, 0), 10000).ok());
    CHECK(c.last() == Hlc::make(10500, 8));
}

TEST_CASE("observe at exactly max_ahead is accepted, one ms beyond is refused", "[unit][hlc]") {
    const std::uint64_t ahead = 5 * 60 * 1000;
    HlcClock c;
    CHECK(c.max_ahead_ms() == ahead);
    REQUIRE(tick_ok(c, 1'000'000) == Hlc::make(1'000'000, 0));

    const Hlc beyond = Hlc::make(1'000'000 + ahead + 1, 0);
    auto r = c.observe(beyond, 1'000'000);
    REQUIRE(!r.ok());
    CHECK(r.error().code == Errc::ClockAhead);
    CHECK(r.error().message.find("ahead") != std::string::npos);
    CHECK(r.error().message.find(std::to_string(ahead)) != std::string::npos);
    CHECK(c.last() == Hlc::make(1'000'000, 0));  // unchanged

    const Hlc edge = Hlc::make(1'000'000 + ahead, 0xFFFF);
    REQUIRE(c.observe(edge, 1'000'000).ok());
    CHECK(c.last() == edge);
    CHECK(tick_ok(c, 1'000'000) == Hlc::make(1'000'000 + ahead + 1, 0));
}

TEST_CASE("observe with max_ahead 0 and near the top of the range", "[unit][hlc]") {
    HlcClock strict(0);
    CHECK(strict.observe(Hlc::make(50, 9), 50).ok());
    CHECK(strict.observe(Hlc::make(51, 0), 50).error().code == Errc::ClockAhead);

    // now + max_ahead saturates instead of wrapping.
    HlcClock wide(std::numeric_limits<std::uint64_t>::max());
    REQUIRE(wide.observe(Hlc::make(Hlc::kMaxMillis, 0xFFFF), 10).ok());
    CHECK(wide.tick(10).error().code == Errc::ClockOverflow);
}

TEST_CASE("restore never moves the clock backwards", "[unit][hlc]") {
    HlcClock c;
    c.restore(Hlc::make(900, 4));
    CHECK(c.last() == Hlc::make(900, 4));
    c.restore(Hlc::make(800, 0));
    CHECK(c.last() == Hlc::make(900, 4));
    CHECK(tick_ok(c, 10) == Hlc::make(900, 5));
}
