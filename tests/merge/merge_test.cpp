// SPDX-License-Identifier: Apache-2.0
// Edge cases of every merge policy, one behaviour per test: ties on hlc, duplicates, both orders
// of a racing delete and edit, restore, out-of-order counter totals, mixed numeric types under
// max, and the keep-both conflict rules including knowingly superseded versions.
#include "common.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using namespace zb::merge;
using namespace zb::merge::test;
using zb::protocol::Errc;
using zb::protocol::Op;

namespace {

Value shown(MemoryState& st, const std::string& column, const std::string& row = "r1") {
    auto c = st.cell("t", row, column);
    REQUIRE(c.has_value());
    return c->value;
}

bool same(const Value& a, const Value& b) {
    return zb::protocol::same(a, b);
}

}  // namespace

TEST_CASE("schema: policy lookup and names", "[unit][merge]") {
    const Schema s = test_schema();
    CHECK(s.policy("t", "cnt") == Policy::Counter);
    CHECK(s.policy("t", "undeclared") == Policy::Lww);
    CHECK(s.policy("ledger", "anything") == Policy::AppendOnly);
    CHECK(s.policy("no_such_table", "x") == Policy::Lww);
    CHECK(s.table("t")->column("kb")->policy == Policy::KeepBoth);
    CHECK(s.table("t")->column("nope") == nullptr);
    CHECK(policy_name(Policy::Lww) == "lww");
    CHECK(policy_name(Policy::Counter) == "counter");
    CHECK(policy_name(Policy::Max) == "max");
    CHECK(policy_name(Policy::AppendOnly) == "append_only");
    CHECK(policy_name(Policy::KeepBoth) == "keep_both");
    CHECK(policy_name(Policy::Server) == "server");
}

TEST_CASE("validation: malformed changes are refused and leave no trace", "[unit][merge]") {
    const Schema s = test_schema();
    MemoryState st;
    auto refused = [&](const Change& c, Errc code) {
        auto r = apply(s, st, c);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == code);
    };

    Change cmd = set("lww", Value{std::string("{}")}, at(1), 1);
    cmd.op = Op::Command;
    refused(cmd, Errc::UnexpectedMessage);

    Change del = row_op(Op::Delete, at(1), 1);
    del.column = "lww";
    refused(del, Errc::BadValue);
    Change res = row_op(Op::Restore, at(1), 1);
    res.column = "lww";
    refused(res, Errc::BadValue);
    Change del_value = row_op(Op::Delete, at(1), 1);
    del_value.value = std::int64_t{1};
    refused(del_value, Errc::BadValue);

    refused(set("", Value{std::int64_t{1}}, at(1), 1), Errc::BadValue);
    Change cnt_no_column = count(1, at(1), 1);
    cnt_no_column.column.clear();
    refused(cnt_no_column, Errc::BadValue);

    Change real_count = count(1, at(1), 1);
    real_count.value = 1.0;
    refused(real_count, Errc::TypeMismatch);
    Change text_count = count(1, at(1), 1);
    text_count.value = std::string("1");
    refused(text_count, Errc::TypeMismatch);

    refused(set("cnt", Value{std::int64_t{1}}, at(1), 1), Errc::BadValue);  // Set on a counter
    refused(count(1, at(1), 1, "lww"), Errc::BadValue);                     // Count on a register
    refused(set("lww", Value{std::int64_t{1}}, Hlc{}, 1), Errc::BadValue);  // no timestamp
    Change no_row = set("lww", Value{std::int64_t{1}}, at(1), 1);
    no_row.row.clear();
    refused(no_row, Errc::BadValue);
    Change bad_op = set("lww", Value{std::int64_t{1}}, at(1), 1);
    bad_op.op = static_cast<Op>(99);
    refused(bad_op, Errc::BadValue);

    CHECK(st.digest().empty());
}

TEST_CASE("validation: a count for an undeclared column merges as a counter", "[unit][merge]") {
    // Forward compatibility: a newer schema declared the column; the op is the only hint we have.
    const Schema s = test_schema();
    MemoryState st;
    CHECK(must_apply(s, st, count(4, at(1), 1, "new_tally")) == Outcome::Applied);
    CHECK(must_apply(s, st, count(3, at(2), 2, "new_tally")) == Outcome::Applied);
    CHECK(same(shown(st, "new_tally"), Value{std::int64_t{7}}));
}

TEST_CASE("lww: newer wins, older and duplicates are absorbed", "[unit][merge]") {
    const Schema s = test_schema();
    MemoryState st;
    CHECK(must_apply(s, st, set("lww", Value{std::string("a")}, at(10), 1)) == Outcome::Applied);
    CHECK(must_apply(s, st, set("lww", Value{std::string("b")}, at(20), 1)) == Outcome::Applied);
    CHECK(must_apply(s, st, set("lww", Value{std::string("old")}, at(15), 2)) == Outcome::Absorbed);
    const std::string before = st.digest();
    CHECK(must_apply(s, st, set("lww", Value{std::string("b")}, at(20), 1)) == Outcome::Absorbed);
    CHECK(st.digest() == before);
    CHECK(same(shown(st, "lww"), Value{std::string("b")}));
}

TEST_CASE("lww: equal hlc is decided by origin in both delivery orders", "[unit][merge]") {
    const Schema s = test_schema();
    const Change low = set("lww", Value{std::string("from 5")}, at(10), 5);
    const Change high = set("lww", Value{std::string("from 9")}, at(10), 9);
    MemoryState a, b;
    must_apply(s, a, low);
    must_apply(s, a, high);
    must_apply(s, b, high);
    CHECK(must_apply(s, b, low) == Outcome::Absorbed);
    CHECK(a == b);
    CHECK(same(shown(a, "lww"), Value{std::string("from 9")}));
    CHECK(a.cell("t", "r1", "lww")->origin == 9);
}

TEST_CASE("lww: a malformed equal stamp still converges", "[unit][merge]") {
    // One origin never reuses an hlc, but if a buggy device does, replicas must still agree.
    const Schema s = test_schema();
    const Change x = set("lww", Value{std::int64_t{1}}, at(10), 5);
    const Change y = set("lww", Value{std::int64_t{2}}, at(10), 5);
    MemoryState a, b;
    must_apply(s, a, x);
    must_apply(s, a, y);
    must_apply(s, b, y);
    must_apply(s, b, x);
    CHECK(a == b);
    CHECK(same(shown(a, "lww"), Value{std::int64_t{2}}));
}

TEST_CASE("server policy merges like lww", "[unit][merge]") {
    const Schema s = test_schema();
    MemoryState st;
    must_apply(s, st, set("srv", Value{std::string("approved")}, at(30), 1));
    CHECK(must_apply(s, st, set("srv", Value{std::string("pending")}, at(20), 1)) ==
          Outcome::Absorbed);
    CHECK(same(shown(st, "srv"), Value{std::string("approved")}));
}

TEST_CASE("rows: delete vs edit, the later wins in both orders", "[unit][merge]") {
    const Schema s = test_schema();
    const Change edit = set("lww", Value{std::string("x")}, at(12), 1);
    const Change del = row_op(Op::Delete, at(10), 2);
    const Change late_del = row_op(Op::Delete, at(14), 2);

    MemoryState a, b;
    CHECK(must_apply(s, a, edit) == Outcome::Applied);
    CHECK(must_apply(s, a, del) == Outcome::Absorbed);  // earlier delete loses to the edit
    CHECK(must_apply(s, b, del) == Outcome::Applied);
    CHECK(b.row("t", "r1").is_deleted());
    CHECK(must_apply(s, b, edit) == Outcome::Applied);  // later edit revives the row
    CHECK(a == b);
    CHECK_FALSE(a.row("t", "r1").is_deleted());

    CHECK(must_apply(s, a, late_del) == Outcome::Applied);
    CHECK(a.row("t", "r1").is_deleted());
    // The deleted row keeps its cells.
    CHECK(same(shown(a, "lww"), Value{std::string("x")}));

    SECTION("restore brings the row back intact") {
        CHECK(must_apply(s, a, row_op(Op::Restore, at(15), 3)) == Outcome::Applied);
        CHECK_FALSE(a.row("t", "r1").is_deleted());
        CHECK(same(shown(a, "lww"), Value{std::string("x")}));
        CHECK(must_apply(s, a, row_op(Op::Restore, at(16), 3)) == Outcome::Absorbed);
    }
    SECTION("an older restore does not undo a newer delete") {
        CHECK(must_apply(s, a, row_op(Op::Restore, at(13), 3)) == Outcome::Absorbed);
        CHECK(a.row("t", "r1").is_deleted());
    }
    SECTION("an older losing edit still counts as alive only up to its hlc") {
        CHECK(must_apply(s, a, set("lww", Value{std::string("y")}, at(11), 4)) ==
              Outcome::Absorbed);
        CHECK(a.row("t", "r1").is_deleted());
    }
}

TEST_CASE("rows: a delete and an edit at the same hlc leave the row alive", "[unit][merge]") {
    const Schema s = test_schema();
    MemoryState st;
    must_apply(s, st, row_op(Op::Delete, at(10), 9));
    must_apply(s, st, set("lww", Value{std::string("x")}, at(10), 1));
    CHECK_FALSE(st.row("t", "r1").is_deleted());
}

TEST_CASE("counter: out-of-order totals keep each origin's latest", "[unit][merge]") {
    const Schema s = test_schema();
    const std::vector<Change> all = {count(1, at(10), 7), count(3, at(20), 7), count(5, at(15), 8),
                                     count(-2, at(30), 9)};
    MemoryState ref;
    for (const Change& c : all)
        must_apply(s, ref, c);
    CHECK(same(shown(ref, "cnt"), Value{std::int64_t{6}}));  // 3 + 5 - 2
    CHECK(ref.cell("t", "r1", "cnt")->hlc == at(30));
    CHECK(ref.cell("t", "r1", "cnt")->origin == 9);

    // Every one of the 24 delivery orders gives the same state.
    std::vector<std::size_t> order = {0, 1, 2, 3};
    int orders = 0;
    do {
        MemoryState st;
        for (std::size_t i : order)
            must_apply(s, st, all[i]);
        CHECK(st == ref);
        ++orders;
    } while (std::next_permutation(order.begin(), order.end()));
    CHECK(orders == 24);

    MemoryState st;
    must_apply(s, st, count(3, at(20), 7));
    CHECK(must_apply(s, st, count(1, at(10), 7)) == Outcome::Absorbed);
    CHECK(must_apply(s, st, count(3, at(20), 7)) == Outcome::Absorbed);
    CHECK(same(shown(st, "cnt"), Value{std::int64_t{3}}));
}

TEST_CASE("max: greatest value across integer and real", "[unit][merge]") {
    const Schema s = test_schema();
    MemoryState st;
    must_apply(s, st, set("max", Value{std::int64_t{5}}, at(10), 1));
    CHECK(must_apply(s, st, set("max", Value{7.5}, at(5), 2)) == Outcome::Applied);
    CHECK(must_apply(s, st, set("max", Value{std::int64_t{7}}, at(50), 3)) == Outcome::Absorbed);
    CHECK(same(shown(st, "max"), Value{7.5}));
    CHECK(must_apply(s, st, set("max", Value{std::int64_t{8}}, at(1), 3)) == Outcome::Applied);
    CHECK(same(shown(st, "max"), Value{std::int64_t{8}}));

    SECTION("numerically equal: the real sorts above the integer, in both orders") {
        MemoryState a, b;
        const Change i = set("max", Value{std::int64_t{7}}, at(20), 1);
        const Change r = set("max", Value{7.0}, at(10), 2);
        must_apply(s, a, i);
        must_apply(s, a, r);
        must_apply(s, b, r);
        must_apply(s, b, i);
        CHECK(a == b);
        CHECK(same(shown(a, "max"), Value{7.0}));
    }
    SECTION("equal values keep the newer stamp") {
        MemoryState a, b;
        const Change x = set("max", Value{std::int64_t{9}}, at(20), 1);
        const Change y = set("max", Value{std::int64_t{9}}, at(20), 2);
        must_apply(s, a, x);
        CHECK(must_apply(s, a, y) == Outcome::Applied);
        must_apply(s, b, y);
        CHECK(must_apply(s, b, x) == Outcome::Absorbed);
        CHECK(a == b);
        CHECK(a.cell("t", "r1", "max")->origin == 2);
    }
}

TEST_CASE("append-only: the first write by (hlc, origin) is final", "[unit][merge]") {
    const Schema s = test_schema();
    const Change first = set("app", Value{std::string("first")}, at(10), 2);
    const Change tie_loser = set("app", Value{std::string("tie")}, at(10), 3);
    const Change later = set("app", Value{std::string("later")}, at(20), 1);
    MemoryState a, b;
    must_apply(s, a, first);
    CHECK(must_apply(s, a, later) == Outcome::Absorbed);
    CHECK(must_apply(s, a, tie_loser) == Outcome::Absorbed);
    must_apply(s, b, later);
    must_apply(s, b, tie_loser);
    CHECK(must_apply(s, b, first) == Outcome::Applied);  // a late-arriving earlier insert
    CHECK(a == b);
    CHECK(same(shown(a, "app"), Value{std::string("first")}));
}

TEST_CASE("keep-both: concurrent edits open a conflict in both orders", "[unit][merge]") {
    const Schema s = test_schema();
    const Change x = set("kb", Value{std::string("X")}, at(1), 1);
    const Change a = set("kb", Value{std::string("A")}, at(5), 2, at(1));
    const Change b = set("kb", Value{std::string("B")}, at(6), 3, at(1));
    MemoryState p, q;
    for (const Change& c : {x, a, b})
        must_apply(s, p, c);
    for (const Change& c : {b, a, x})
        must_apply(s, q, c);
    CHECK(p == q);
    CHECK(same(shown(p, "kb"), Value{std::string("B")}));
    Cell winner;
    const auto open = open_conflicts(p.versions("t", "r1", "kb"), &winner);
    REQUIRE(open.size() == 1);
    CHECK(same(open[0].value, Value{std::string("A")}));
    CHECK(same(winner.value, Value{std::string("B")}));
}

TEST_CASE("keep-both: sequential edits have no conflict", "[unit][merge]") {
    const Schema s = test_schema();
    MemoryState st;
    must_apply(s, st, set("kb", Value{std::string("v1")}, at(1), 1));
    must_apply(s, st, set("kb", Value{std::string("v2")}, at(2), 2, at(1)));
    must_apply(s, st, set("kb", Value{std::string("v3")}, at(3), 1, at(2)));
    CHECK(open_conflicts(st.versions("t", "r1", "kb")).empty());
    CHECK(same(shown(st, "kb"), Value{std::string("v3")}));
}

TEST_CASE("keep-both: a knowingly superseded version is not a conflict (X/A/C/D)",
          "[unit][merge]") {
    // X is the original; A edits X; C edits having seen A; D edits X concurrently with A and C.
    const Cell X{Value{std::string("X")}, at(1), 1, Hlc{}};
    const Cell A{Value{std::string("A")}, at(5), 2, at(1)};
    const Cell C{Value{std::string("C")}, at(7), 3, at(5)};
    const Cell D{Value{std::string("D")}, at(6), 4, at(1)};
    std::vector<Cell> vs = {X, A, C, D};

    std::mt19937_64 rng(42);
    for (int i = 0; i < 24; ++i) {
        std::shuffle(vs.begin(), vs.end(), rng);
        Cell winner;
        const auto open = open_conflicts(vs, &winner);
        CHECK(same(winner.value, Value{std::string("C")}));
        REQUIRE(open.size() == 1);
        CHECK(same(open[0].value, Value{std::string("D")}));
    }

    SECTION("if D wins instead, C is open and A (superseded by C) is not") {
        const Cell D2{Value{std::string("D")}, at(8), 4, at(1)};
        Cell winner;
        const auto open = open_conflicts({X, A, C, D2}, &winner);
        CHECK(same(winner.value, Value{std::string("D")}));
        REQUIRE(open.size() == 1);
        CHECK(same(open[0].value, Value{std::string("C")}));
    }
    SECTION("the same rules through apply, in two orders") {
        const Schema s = test_schema();
        auto as_change = [](const Cell& c) { return set("kb", c.value, c.hlc, c.origin, c.base); };
        MemoryState p, q;
        for (const Cell& c : {X, A, C, D})
            must_apply(s, p, as_change(c));
        for (const Cell& c : {D, C, A, X})
            must_apply(s, q, as_change(c));
        CHECK(p == q);
        const auto open = open_conflicts(p.versions("t", "r1", "kb"));
        REQUIRE(open.size() == 1);
        CHECK(same(open[0].value, Value{std::string("D")}));
    }
}

TEST_CASE("keep-both: a resolution clears every open conflict", "[unit][merge]") {
    const Schema s = test_schema();
    MemoryState st;
    must_apply(s, st, set("kb", Value{std::string("X")}, at(1), 1));
    must_apply(s, st, set("kb", Value{std::string("A")}, at(5), 2, at(1)));
    must_apply(s, st, set("kb", Value{std::string("B")}, at(6), 3, at(1)));
    must_apply(s, st, set("kb", Value{std::string("C")}, at(7), 4, at(1)));
    CHECK(open_conflicts(st.versions("t", "r1", "kb")).size() == 2);

    const auto listed = st.conflicts();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].column == "kb");
    CHECK(same(listed[0].winner.value, Value{std::string("C")}));
    REQUIRE(listed[0].losers.size() == 2);
    CHECK(same(listed[0].losers[0].value, Value{std::string("A")}));

    // The resolver saw every version: base = the greatest hlc seen.
    CHECK(must_apply(s, st, set("kb", Value{std::string("merged")}, at(9), 2, at(7))) ==
          Outcome::Applied);
    CHECK(open_conflicts(st.versions("t", "r1", "kb")).empty());
    CHECK(st.conflicts().empty());
    CHECK(same(shown(st, "kb"), Value{std::string("merged")}));

    // A version that raced the resolution reopens a conflict.
    CHECK(must_apply(s, st, set("kb", Value{std::string("late")}, at(8), 5, at(1))) ==
          Outcome::Absorbed);
    const auto open = open_conflicts(st.versions("t", "r1", "kb"));
    REQUIRE(open.size() == 1);
    CHECK(same(open[0].value, Value{std::string("late")}));
}

TEST_CASE("keep-both: duplicates neither add versions nor conflicts", "[unit][merge]") {
    const Schema s = test_schema();
    MemoryState st;
    const Change a = set("kb", Value{std::string("A")}, at(5), 2);
    const Change b = set("kb", Value{std::string("B")}, at(6), 3);
    must_apply(s, st, a);
    must_apply(s, st, b);
    CHECK(must_apply(s, st, a) == Outcome::Absorbed);
    CHECK(must_apply(s, st, b) == Outcome::Absorbed);
    CHECK(st.versions("t", "r1", "kb").size() == 2);

    // open_conflicts tolerates a caller passing duplicated versions.
    const Cell ca{a.value, a.hlc, a.origin, a.base};
    const Cell cb{b.value, b.hlc, b.origin, b.base};
    const auto open = open_conflicts({ca, cb, ca, cb, cb});
    REQUIRE(open.size() == 1);
    CHECK(same(open[0].value, Value{std::string("A")}));
    CHECK(open_conflicts({}).empty());
}

TEST_CASE("keep-both: losers are listed in ascending (hlc, origin)", "[unit][merge]") {
    const std::vector<Cell> vs = {{Value{std::string("c")}, at(7), 1, Hlc{}},
                                  {Value{std::string("a")}, at(5), 9, Hlc{}},
                                  {Value{std::string("b")}, at(5), 10, Hlc{}},
                                  {Value{std::string("w")}, at(9), 1, Hlc{}}};
    const auto open = open_conflicts(vs);
    REQUIRE(open.size() == 3);
    CHECK(open[0].origin == 9);
    CHECK(open[1].origin == 10);
    CHECK(open[2].hlc == at(7));
}
