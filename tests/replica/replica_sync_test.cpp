// SPDX-License-Identifier: Apache-2.0
// The replica as a sync participant: remote pages converge whatever their order and duplication,
// rejected changes roll back to the server's state and are kept with their reason, keep-both
// conflicts are listed and resolved by a syncing write, and data of a newer schema survives an
// older client and lands in its column after the migration that declares it.
#include "fixture.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace zb::test {
namespace {

constexpr std::uint64_t kT0 = 1'699'000'000'000;

/// Every row of every declared table, deleted ones included, plus the open conflicts.
std::string dump(Replica& r) {
    std::string out;
    for (const char* table : {"notes", "ledger"}) {
        const auto rows = r.scan(table, {true}).value();
        for (const auto& row : rows) {
            out += std::string(table) + "/" + row.id + (row.deleted ? " [deleted]" : "") + ":";
            for (const auto& [col, v] : row.values) {
                out += " " + col + "=" + protocol::to_display(v) + "#" + std::to_string(v.index());
            }
            out += "\n";
        }
    }
    const auto conflicts = r.conflicts().value();
    for (const auto& c : conflicts) {
        out += "conflict " + c.table + "/" + c.row + "/" + c.column + " winner " +
               protocol::to_display(c.winner.value) + " losers " + std::to_string(c.losers.size()) +
               "\n";
    }
    return out;
}

/// A random history from three devices over a few rows, covering every client-mergeable policy.
std::vector<Change> random_history(std::mt19937_64& rng, std::size_t n) {
    const std::vector<std::string> rows{"a", "b", "c", "d"};
    std::vector<Change> out;
    std::map<std::pair<std::string, protocol::DeviceId>, std::int64_t> totals;
    for (std::size_t i = 0; i < n; ++i) {
        const protocol::DeviceId origin = 100 + rng() % 3;
        const std::string row = rows[rng() % rows.size()];
        // Distinct stamps per origin; ties across origins are broken by origin.
        const std::uint64_t ms = kT0 + (rng() % 50) * 10 + (origin - 100);
        const int kind = static_cast<int>(rng() % 8);
        Change c;
        switch (kind) {
            case 0:
            case 1:
                c = remote("notes", row, "title", Op::Set, std::string("t") + std::to_string(i), ms,
                           origin);
                break;
            case 2: {
                auto& total = totals[{row, origin}];
                total += static_cast<std::int64_t>(rng() % 5) + 1;
                // Running totals grow with time for one origin: stamp them in order.
                c = remote("notes", row, "views", Op::Count, total, kT0 + 1000 + i * 3 + origin,
                           origin);
                break;
            }
            case 3:
                c = remote("notes", row, "progress", Op::Set,
                           static_cast<std::int64_t>(rng() % 100), ms, origin);
                break;
            case 4:
                c = remote("notes", row, "minutes", Op::Set, std::string("m") + std::to_string(i),
                           ms, origin, rng() % 2 ? Hlc::make(kT0 + (rng() % 50) * 10, 0) : Hlc{});
                break;
            case 5:
                c = remote("notes", row, "", rng() % 2 ? Op::Delete : Op::Restore, {}, ms, origin);
                break;
            case 6:
                c = remote("notes", row, "shiny_new", Op::Set, std::int64_t(i), ms, origin);
                break;
            default:
                c = remote("polls", row, "question", Op::Set, std::string("q"), ms, origin);
                break;
        }
        out.push_back(std::move(c));
    }
    return out;
}

TEST_CASE("remote pages converge in any order, with duplicates, and are idempotent",
          "[replica][sync]") {
    TempDir dir("replica");
    TestClock clock;
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        std::mt19937_64 rng(seed);
        const auto history = random_history(rng, 120);
        auto a = open_replica(dir.file("a" + std::to_string(seed) + ".db"), schema_v1(), clock);
        auto b = open_replica(dir.file("b" + std::to_string(seed) + ".db"), schema_v1(), clock);

        REQUIRE(a->apply_page(page(history, 1)).ok());
        // B: shuffled, a third duplicated, in random page sizes.
        std::vector<Change> shuffled = history;
        for (std::size_t i = 0; i < history.size() / 3; ++i) {
            shuffled.push_back(history[rng() % history.size()]);
        }
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        std::uint64_t cursor = 0;
        for (std::size_t i = 0; i < shuffled.size();) {
            const std::size_t n = std::min<std::size_t>(1 + rng() % 40, shuffled.size() - i);
            std::vector<Change> p(shuffled.begin() + static_cast<std::ptrdiff_t>(i),
                                  shuffled.begin() + static_cast<std::ptrdiff_t>(i + n));
            REQUIRE(b->apply_page(page(p, ++cursor)).ok());
            i += n;
        }
        CHECK(b->pull_cursor() == cursor);
        const std::string da = dump(*a);
        INFO("seed " << seed);
        CHECK(da == dump(*b));
        CHECK(da.find("shiny_new") != std::string::npos);  // unknown column kept
        // Idempotent: everything again changes nothing.
        REQUIRE(a->apply_page(page(history, 2)).ok());
        CHECK(dump(*a) == da);
        // Nothing remote ever enters the outbox.
        CHECK(a->outbox_size().value() == 0);
    }
}

TEST_CASE("a rejected change returns the cell to the server's state and is kept",
          "[replica][sync]") {
    TempDir dir("replica");
    TestClock clock;
    auto r = open_replica(dir.file("a.db"), schema_v1(), clock);
    REQUIRE(
        r->apply_page(
             page({remote("notes", "n1", "title", Op::Set, std::string("server"), kT0, 77),
                   remote("notes", "n1", "body", Op::Set, std::string("server body"), kT0, 77)}))
            .ok());
    REQUIRE(r->write("notes", "n1", {{"title", std::string("mine")}}).ok());        // seq 1
    REQUIRE(r->write("notes", "n1", {{"body", std::string("my body")}}).ok());      // seq 2
    REQUIRE(r->write("notes", "n1", {{"title", std::string("mine again")}}).ok());  // seq 3
    auto out = all_pending(*r);
    REQUIRE(out.size() == 3);

    std::vector<core::ChangeEvent> events;
    r->add_listener([&](const core::ChangeEvent& ev) { events.push_back(ev); });

    // Push of seqs 1-2: the title is refused, the body accepted. Seq 3 is still pending, so it is
    // re-applied on top of the server's title.
    protocol::PushAck ack;
    ack.acked_seq = 2;
    ack.results = {{1, core::Errc::Forbidden, "members may not retitle notes"},
                   {2, core::Errc::Ok, ""}};
    r->settle({out[0], out[1]}, ack);
    CHECK(protocol::same(cell(*r, "notes", "n1", "title"), Value{std::string("mine again")}));
    CHECK(protocol::same(cell(*r, "notes", "n1", "body"), Value{std::string("my body")}));
    REQUIRE(events.size() == 1);
    CHECK(events[0].source == core::ChangeEvent::Source::Settled);

    // Meanwhile the server's title moves on (older than our pending write, so it stays hidden).
    REQUIRE(r->apply_page(page({remote("notes", "n1", "title", Op::Set, std::string("server 2"),
                                       kT0 + 5, 77)}))
                .ok());
    CHECK(protocol::same(cell(*r, "notes", "n1", "title"), Value{std::string("mine again")}));

    // Seq 3 is refused too: the title is the server's latest; the accepted body stays.
    ack.acked_seq = 3;
    ack.results = {{3, core::Errc::Forbidden, "still no"}};
    r->settle({out[2]}, ack);
    CHECK(protocol::same(cell(*r, "notes", "n1", "title"), Value{std::string("server 2")}));
    CHECK(protocol::same(cell(*r, "notes", "n1", "body"), Value{std::string("my body")}));
    CHECK(r->outbox_size().value() == 0);

    auto rej = r->rejected().value();
    REQUIRE(rej.size() == 2);
    CHECK(rej[0].change.seq == 1);
    CHECK(rej[0].code == core::Errc::Forbidden);
    CHECK(rej[0].message == "members may not retitle notes");
    CHECK(protocol::same(rej[0].change.value, Value{std::string("mine")}));
    CHECK(rej[0].change.column == "title");
    CHECK(protocol::same(rej[1].change.value, Value{std::string("mine again")}));

    // Settling the same ack again is harmless.
    r->settle({out[2]}, ack);
    CHECK(r->rejected().value().size() == 2);

    REQUIRE(r->dismiss_rejected(rej[0].id).ok());
    CHECK(r->rejected().value().size() == 1);
    CHECK(r->dismiss_rejected(rej[0].id).error().code == core::Errc::BadValue);
}

TEST_CASE("a rejected insert and a rejected delete are undone", "[replica][sync]") {
    TempDir dir("replica");
    TestClock clock;
    auto r = open_replica(dir.file("a.db"), schema_v1(), clock);
    REQUIRE(
        r->apply_page(page({remote("notes", "kept", "title", Op::Set, std::string("t"), kT0, 77)}))
            .ok());
    REQUIRE(r->write("notes", "fresh", {{"title", std::string("new row")}}).ok());
    REQUIRE(r->remove("notes", "kept").ok());
    REQUIRE(r->increment("notes", "kept", "views", 3).ok());
    auto out = all_pending(*r);
    REQUIRE(out.size() == 3);
    protocol::PushAck ack;
    ack.acked_seq = 3;
    ack.results = {{1, core::Errc::OutOfScope, "no"},
                   {2, core::Errc::Forbidden, "no"},
                   {3, core::Errc::Forbidden, "no"}};
    r->settle(out, ack);
    CHECK_FALSE(r->read("notes", "fresh").value().has_value());
    Values kept = read_row(*r, "notes", "kept");
    CHECK(protocol::same(kept["title"], Value{std::string("t")}));
    CHECK(kept.find("views") == kept.end());
    CHECK(r->rejected().value().size() == 3);
}

// Counter changes carry the device's running total, so a rejected increment is also inside every
// later total of the same counter: those must shed it, locally and in what is pushed next.
TEST_CASE("a rejected increment leaves the later pending totals of the counter",
          "[replica][sync]") {
    TempDir dir("replica");
    TestClock clock;
    auto r = open_replica(dir.file("a.db"), schema_v1(), clock);
    REQUIRE(
        r->apply_page(page({remote("notes", "n1", "views", Op::Count, std::int64_t{10}, kT0, 77)}))
            .ok());
    REQUIRE(r->increment("notes", "n1", "views", 5).ok());                 // seq 1, total 5
    REQUIRE(r->increment("notes", "n1", "views", 3).ok());                 // seq 2, total 8
    REQUIRE(r->write("notes", "n1", {{"title", std::string("t")}}).ok());  // seq 3
    REQUIRE(r->increment("notes", "n1", "views", 2).ok());                 // seq 4, total 10
    REQUIRE(r->increment("notes", "n2", "views", 7).ok());                 // seq 5, another row
    auto out = all_pending(*r);
    REQUIRE(out.size() == 5);
    CHECK(protocol::same(cell(*r, "notes", "n1", "views"), Value{std::int64_t{20}}));

    // Seq 1 is refused while 2..5 wait: the 5 leaves the value and the later totals.
    protocol::PushAck ack;
    ack.acked_seq = 1;
    ack.results = {{1, core::Errc::Forbidden, "no"}};
    r->settle({out[0]}, ack);
    CHECK(protocol::same(cell(*r, "notes", "n1", "views"), Value{std::int64_t{15}}));
    auto later = all_pending(*r);
    REQUIRE(later.size() == 4);
    CHECK(later[0].seq == 2);
    CHECK(protocol::same(later[0].value, Value{std::int64_t{3}}));
    CHECK(protocol::same(later[1].value, Value{std::string("t")}));
    CHECK(later[2].seq == 4);
    CHECK(protocol::same(later[2].value, Value{std::int64_t{5}}));
    CHECK(protocol::same(later[3].value, Value{std::int64_t{7}}));  // other row untouched
    CHECK(later[0].hlc == out[1].hlc);  // the same changes, re-stated, not new ones
    // The rejection record keeps what was actually pushed.
    REQUIRE(r->rejected().value().size() == 1);
    CHECK(protocol::same(r->rejected().value()[0].change.value, Value{std::int64_t{5}}));

    // The next increment continues from the corrected total, and it survives a reopen.
    REQUIRE(r->increment("notes", "n1", "views", 1).ok());  // seq 6, total 6
    r.reset();
    r = open_replica(dir.file("a.db"), schema_v1(), clock);
    later = all_pending(*r);
    REQUIRE(later.size() == 5);
    CHECK(protocol::same(later[4].value, Value{std::int64_t{6}}));
    CHECK(protocol::same(cell(*r, "notes", "n1", "views"), Value{std::int64_t{16}}));

    // Seq 2 accepted and seq 4 refused in one ack: only seq 4's own 2 goes.
    ack.acked_seq = 4;
    ack.results = {{2, core::Errc::Ok, ""}, {4, core::Errc::Forbidden, "no"}};
    r->settle({later[0], later[1], later[2]}, ack);
    CHECK(protocol::same(cell(*r, "notes", "n1", "views"), Value{std::int64_t{14}}));
    later = all_pending(*r);
    REQUIRE(later.size() == 2);
    CHECK(later[1].seq == 6);
    CHECK(protocol::same(later[1].value, Value{std::int64_t{4}}));

    // Everything settles: the local value is the server's (10 + 3 + 1).
    ack.acked_seq = 6;
    ack.results = {};
    r->settle(later, ack);
    CHECK(r->outbox_size().value() == 0);
    CHECK(protocol::same(cell(*r, "notes", "n1", "views"), Value{std::int64_t{14}}));
    CHECK(protocol::same(cell(*r, "notes", "n2", "views"), Value{std::int64_t{7}}));
}

TEST_CASE("keep-both conflict is listed, and its resolution syncs", "[replica][sync]") {
    TempDir dir("replica");
    TestClock clock;
    auto a = open_replica(dir.file("a.db"), schema_v1(), clock);
    REQUIRE(a->write("notes", "m1", {{"minutes", std::string("A's minutes")}}).ok());
    const Change mine = all_pending(*a).front();
    // Another secretary wrote concurrently (had not seen A's version: base 0), a bit later.
    const Change theirs = remote("notes", "m1", "minutes", Op::Set, std::string("B's minutes"),
                                 mine.hlc.millis() + 1, 99);
    REQUIRE(a->apply_page(page({theirs})).ok());
    CHECK(protocol::same(cell(*a, "notes", "m1", "minutes"), Value{std::string("B's minutes")}));

    auto open = a->conflicts().value();
    REQUIRE(open.size() == 1);
    CHECK(open[0].column == "minutes");
    CHECK(protocol::same(open[0].winner.value, Value{std::string("B's minutes")}));
    REQUIRE(open[0].losers.size() == 1);
    CHECK(protocol::same(open[0].losers[0].value, Value{std::string("A's minutes")}));

    REQUIRE(a->resolve("notes", "m1", "minutes", std::string("merged minutes")).ok());
    CHECK(a->conflicts().value().empty());
    CHECK(protocol::same(cell(*a, "notes", "m1", "minutes"), Value{std::string("merged minutes")}));
    auto out = all_pending(*a);
    REQUIRE(out.size() == 2);
    const Change resolution = out.back();
    CHECK(resolution.base == theirs.hlc);  // the greatest hlc seen

    // Another replica receives all three versions in a different order and ends resolved too.
    auto c = open_replica(dir.file("c.db"), schema_v1(), clock);
    REQUIRE(c->apply_page(page({resolution, theirs, mine})).ok());
    CHECK(c->conflicts().value().empty());
    CHECK(protocol::same(cell(*c, "notes", "m1", "minutes"), Value{std::string("merged minutes")}));
    CHECK(dump(*a) == dump(*c));
}

TEST_CASE("newer-schema data is preserved and lands in its column after migration",
          "[replica][sync]") {
    TempDir dir("replica");
    TestClock clock;
    const std::string path = dir.file("a.db");
    const Change color =
        remote("notes", "n1", "color", Op::Set, protocol::Bytes{0xde, 0xad}, kT0, 77);
    const Change question =
        remote("polls", "p1", "question", Op::Set, std::string("Venue?"), kT0, 77);
    {
        auto r = open_replica(path, schema_v1(), clock);
        REQUIRE(r->apply_page(
                     page({color, question,
                           remote("notes", "n1", "title", Op::Set, std::string("t"), kT0, 77)}))
                    .ok());
        // The v1 client cannot write it, but keeps it through its own writes to the row.
        REQUIRE(r->write("notes", "n1", {{"title", std::string("local")}}).ok());
        Values v = read_row(*r, "notes", "n1");
        CHECK(protocol::same(v["color"], Value{protocol::Bytes{0xde, 0xad}}));
        CHECK(r->write("notes", "n1", {{"color", std::int64_t{1}}}).error().code ==
              core::Errc::BadValue);
        // A rejection of the local write restores the preserved cell too.
        protocol::PushAck ack;
        ack.acked_seq = 1;
        ack.results = {{1, core::Errc::Forbidden, "no"}};
        r->settle(all_pending(*r), ack);
        CHECK(protocol::same(cell(*r, "notes", "n1", "title"), Value{std::string("t")}));
        CHECK(protocol::same(cell(*r, "notes", "n1", "color"), Value{protocol::Bytes{0xde, 0xad}}));
    }

    // Version 2 declares notes.color and the polls table, and adds an index.
    merge::Schema v2(2);
    const merge::Schema v1 = schema_v1();
    for (const auto& [name, def] : v1.tables()) {
        merge::TableDef t = def;
        if (name == "notes") t.columns.push_back({"color", Policy::Lww, false});
        v2.add(t);
    }
    merge::TableDef polls;
    polls.name = "polls";
    polls.columns = {{"question", Policy::Lww, false}};
    v2.add(polls);
    std::vector<core::Migration> migs{{2, {"CREATE INDEX notes_color ON notes(color)"}}};
    auto r = open_replica(path, v2, clock, migs);

    CHECK(protocol::same(cell(*r, "notes", "n1", "color"), Value{protocol::Bytes{0xde, 0xad}}));
    CHECK(protocol::same(cell(*r, "polls", "p1", "question"), Value{std::string("Venue?")}));
    // The promoted cells kept their stamps: a re-delivery is absorbed, an older write loses.
    REQUIRE(r->apply_page(page({color, remote("notes", "n1", "color", Op::Set, std::string("older"),
                                              kT0 - 1, 5)}))
                .ok());
    CHECK(protocol::same(cell(*r, "notes", "n1", "color"), Value{protocol::Bytes{0xde, 0xad}}));
    // Now a real column, queryable by the app, and the migration ran.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    auto scalar = [&](const char* sql) {
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_step(st) == SQLITE_ROW);
        std::string s = sqlite3_column_type(st, 0) == SQLITE_NULL
                            ? "null"
                            : reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return s;
    };
    CHECK(scalar("SELECT hex(color) FROM notes WHERE id='n1'") == "DEAD");
    CHECK(scalar("SELECT question FROM polls WHERE id='p1'") == "Venue?");
    CHECK(scalar("SELECT count(*) FROM sqlite_schema WHERE name='notes_color'") == "1");
    CHECK(scalar("SELECT value FROM _zb_meta WHERE key='schema_version'") == "2");
    CHECK(scalar("SELECT count(*) FROM _zb_extra_rows") == "0");
    sqlite3_close(db);
    REQUIRE(r->write("notes", "n1", {{"color", std::string("red")}}).ok());

    // Reopening v2 runs nothing twice (the index exists; CREATE INDEX would fail).
    REQUIRE(r->close().ok());
    r = open_replica(path, v2, clock, migs);
    CHECK(protocol::same(cell(*r, "notes", "n1", "color"), Value{std::string("red")}));
    // And an older app build still opens the file and keeps the column it does not know.
    REQUIRE(r->close().ok());
    r = open_replica(path, schema_v1(), clock);
    CHECK(protocol::same(cell(*r, "notes", "n1", "color"), Value{std::string("red")}));
    REQUIRE(r->write("notes", "n1", {{"title", std::string("v1 again")}}).ok());
    CHECK(protocol::same(cell(*r, "notes", "n1", "color"), Value{std::string("red")}));
}

}  // namespace
}  // namespace zb::test
