// SPDX-License-Identifier: Apache-2.0
// MemoryState is the reference State for tests and the simulator, so its digest must be exact:
// equal only for equal states, independent of arrival order, and type-exact for values.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <limits>

using namespace zb::merge;
using namespace zb::merge::test;

TEST_CASE("memory state: canonical values are type-exact", "[unit][merge]") {
    CHECK(canonical(Value{}) == "null");
    CHECK(canonical(Value{std::int64_t{7}}) == "i:7");
    CHECK(canonical(Value{7.0}) != canonical(Value{std::int64_t{7}}));
    CHECK(canonical(Value{0.0}) != canonical(Value{-0.0}));
    CHECK(canonical(Value{std::string("ab")}) == "t:2:ab");
    CHECK(canonical(Value{zb::protocol::Bytes{0x00, 0xff}}) == "b:00ff");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK(canonical(Value{nan}) == canonical(Value{nan}));
}

TEST_CASE("memory state: digest ignores arrival order of versions", "[unit][merge]") {
    MemoryState a, b;
    const Cell x{Value{std::string("x")}, at(1), 1, Hlc{}};
    const Cell y{Value{std::string("y")}, at(2), 2, at(1)};
    a.add_version("t", "r", "kb", x);
    a.add_version("t", "r", "kb", y);
    b.add_version("t", "r", "kb", y);
    b.add_version("t", "r", "kb", x);
    CHECK(a == b);
    CHECK(a.versions("t", "r", "kb").size() == 2);
}

TEST_CASE("memory state: every stored part shows in the digest", "[unit][merge]") {
    MemoryState a, b;
    CHECK(a == b);
    a.put_row("t", "r", RowMeta{at(1), Hlc{}});
    CHECK_FALSE(a == b);
    b.put_row("t", "r", RowMeta{at(1), Hlc{}});
    CHECK(a == b);
    a.put_counter_part("t", "r", "c", Cell{Value{std::int64_t{2}}, at(3), 4, Hlc{}});
    CHECK_FALSE(a == b);
    b.put_counter_part("t", "r", "c", Cell{Value{std::int64_t{2}}, at(3), 5, Hlc{}});
    CHECK_FALSE(a == b);  // different origin
    a.put_cell("t", "r", "c", Cell{Value{std::int64_t{2}}, at(3), 4, Hlc{}});
    CHECK(a.cell_count() == 1);
    CHECK(a.cell_keys().front().column == "c");
    CHECK(a.rows().size() == 1);
    CHECK(a.counter_sum("t", "r", "c") == 2);
    CHECK(a.counter_sum("t", "r", "missing") == 0);
    CHECK_FALSE(a.counter_part("t", "r", "c", 99).has_value());
    CHECK_FALSE(a.cell("t", "r", "missing").has_value());
    CHECK_FALSE(a.row("t", "missing").is_deleted());
}

TEST_CASE("memory state: counter sums wrap instead of overflowing", "[unit][merge]") {
    MemoryState st;
    st.put_counter_part("t", "r", "c",
                        Cell{Value{std::numeric_limits<std::int64_t>::max()}, at(1), 1, Hlc{}});
    st.put_counter_part("t", "r", "c", Cell{Value{std::int64_t{1}}, at(1), 2, Hlc{}});
    CHECK(st.counter_sum("t", "r", "c") == std::numeric_limits<std::int64_t>::min());
}
