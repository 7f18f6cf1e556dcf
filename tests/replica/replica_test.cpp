// SPDX-License-Identifier: Apache-2.0
// Local behaviour of the replica on real SQLite files: typed reads and writes, the outbox and its
// gap-free seqs across reopen, the HLC across reopen with a clock that went backwards, deletes,
// counters and max, refused writes, commands, listeners, identity and wipe.
#include "fixture.hpp"

#include <sodium.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

namespace zb::test {
namespace {

TEST_CASE("write then read keeps exact value types", "[replica]") {
    TempDir dir("replica");
    TestClock clock;
    auto r = open_replica(dir.file("a.db"), schema_v1(), clock);
    Values v{{"title", std::string("Branch meeting")},
             {"body", protocol::Bytes{0, 1, 2}},
             {"org", std::int64_t{7}},
             {"progress", 7.0}};
    REQUIRE(r->write("notes", "n1", v).ok());
    Values got = read_row(*r, "notes", "n1");
    CHECK(same_values(got, v));
    CHECK(std::holds_alternative<std::int64_t>(got["org"]));
    CHECK(std::holds_alternative<double>(got["progress"]));

    // Apps query the declared table directly.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.file("a.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT title, typeof(progress) FROM notes WHERE id='n1'", -1,
                               &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) ==
          "Branch meeting");
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) == "real");
    sqlite3_finalize(st);
    sqlite3_close(db);

    auto missing = r->read("notes", "nope");
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->has_value());
    CHECK(r->read("nosuch", "x").error().code == core::Errc::UnknownTable);
}

TEST_CASE("outbox holds every change with contiguous seqs across reopen", "[replica]") {
    TempDir dir("replica");
    TestClock clock;
    const std::string path = dir.file("a.db");
    protocol::DeviceId device = 0;
    {
        auto r = open_replica(path, schema_v1(), clock);
        device = r->device_id();
        REQUIRE(r->write("notes", "n1", {{"title", std::string("a")}, {"body", std::string("b")}})
                    .ok());
        REQUIRE(r->write("notes", "n2", {{"title", std::string("c")}}).ok());
        REQUIRE(r->close().ok());
    }
    auto r = open_replica(path, schema_v1(), clock);
    CHECK(r->device_id() == device);
    REQUIRE(r->remove("notes", "n1").ok());
    REQUIRE(r->increment("notes", "n2", "views", 4).ok());

    std::vector<Change> out = all_pending(*r);
    REQUIRE(out.size() == 5);
    for (std::size_t i = 0; i < out.size(); ++i) {
        CHECK(out[i].seq == i + 1);
        CHECK(out[i].origin == device);
        if (i > 0) CHECK(out[i].hlc > out[i - 1].hlc);
    }
    CHECK(out[0].table == "notes");
    CHECK(out[0].row == "n1");
    CHECK(out[2].row == "n2");
    CHECK(out[3].op == Op::Delete);
    CHECK(out[3].column.empty());
    CHECK(out[4].op == Op::Count);
    CHECK(protocol::same(out[4].value, Value{std::int64_t{4}}));
    CHECK(r->outbox_size().value() == 5);

    // Paging by seq, and the SyncStore view of the same outbox.
    auto tail = r->outbox(3, 1);
    REQUIRE(tail.size() == 1);
    CHECK(tail[0].seq == 4);

    // An ack settles a prefix; the rest stays, and seqs keep counting after reopen.
    protocol::PushAck ack;
    ack.acked_seq = 3;
    r->settle({out[0], out[1], out[2]}, ack);
    CHECK(r->outbox_size().value() == 2);
    // A pushed change the ack does not cover (no result, seq above acked_seq) stays queued.
    r->settle({out[3]}, ack);
    CHECK(r->outbox_size().value() == 2);
    CHECK(r->outbox(0, 10).front().seq == 4);
    REQUIRE(r->close().ok());
    r = open_replica(path, schema_v1(), clock);
    REQUIRE(r->write("notes", "n3", {{"title", std::string("d")}}).ok());
    out = all_pending(*r);
    REQUIRE(out.size() == 3);
    CHECK(out[0].seq == 4);
    CHECK(out[2].seq == 6);

    // Settling everything empties the outbox; the next seq still continues.
    ack.acked_seq = 6;
    r->settle(out, ack);
    CHECK(r->outbox_size().value() == 0);
    REQUIRE(r->close().ok());
    r = open_replica(path, schema_v1(), clock);
    REQUIRE(r->write("notes", "n4", {{"title", std::string("e")}}).ok());
    out = all_pending(*r);
    REQUIRE(out.size() == 1);
    CHECK(out[0].seq == 7);
}

TEST_CASE("HLC never goes backwards across reopen, even when the wall clock does", "[replica]") {
    TempDir dir("replica");
    const std::string path = dir.file("a.db");
    TestClock clock;
    Hlc before;
    {
        auto r = open_replica(path, schema_v1(), clock);
        REQUIRE(r->write("notes", "n1", {{"title", std::string("x")}}).ok());
        before = r->clock();
        // Settle so the outbox no longer proves the clock: the persisted value must.
        protocol::PushAck ack;
        ack.acked_seq = 1;
        r->settle(all_pending(*r), ack);
    }
    *clock.ms -= 3'600'000;  // the phone's clock jumped back an hour
    auto r = open_replica(path, schema_v1(), clock);
    CHECK(r->clock() >= before);
    REQUIRE(r->write("notes", "n1", {{"title", std::string("y")}}).ok());
    auto out = all_pending(*r);
    REQUIRE(out.size() == 1);
    CHECK(out[0].hlc > before);
    CHECK(protocol::same(cell(*r, "notes", "n1", "title"), Value{std::string("y")}));
}

TEST_CASE("delete is a tombstone that keeps cells; restore brings the row back", "[replica]") {
    TempDir dir("replica");
    TestClock clock;
    auto r = open_replica(dir.file("a.db"), schema_v1(), clock);
    REQUIRE(r->write("notes", "n1", {{"title", std::string("keep me")}}).ok());
    REQUIRE(r->write("notes", "n2", {{"title", std::string("other")}}).ok());
    REQUIRE(r->remove("notes", "n1").ok());

    CHECK_FALSE(r->read("notes", "n1").value().has_value());
    Values kept = read_row(*r, "notes", "n1", true);
    CHECK(protocol::same(kept["title"], Value{std::string("keep me")}));
    auto rows = r->scan("notes").value();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].id == "n2");
    auto all = r->scan("notes", {true}).value();
    REQUIRE(all.size() == 2);
    CHECK(all[0].deleted);

    REQUIRE(r->restore("notes", "n1").ok());
    Values back = read_row(*r, "notes", "n1");
    CHECK(protocol::same(back["title"], Value{std::string("keep me")}));
    auto out = all_pending(*r);
    REQUIRE(out.size() == 4);
    CHECK(out[2].op == Op::Delete);
    CHECK(out[3].op == Op::Restore);

    // A remote delete older than the restore does not win; a newer one does.
    REQUIRE(r->apply_page(page({remote("notes", "n1", "", Op::Delete, {}, 1'600'000'000'000, 9)}))
                .ok());
    CHECK(r->read("notes", "n1").value().has_value());
    const std::uint64_t later = r->clock().millis() + 10;
    REQUIRE(r->apply_page(page({remote("notes", "n1", "", Op::Delete, {}, later, 9)})).ok());
    CHECK_FALSE(r->read("notes", "n1").value().has_value());

    // Ledgers refuse deletes.
    REQUIRE(r->write("ledger", "l1", {{"amount", std::int64_t{5}}}).ok());
    CHECK(r->remove("ledger", "l1").error().code == core::Errc::RuleViolation);
}

TEST_CASE("counter and max columns merge local and remote writes", "[replica]") {
    TempDir dir("replica");
    TestClock clock;
    auto r = open_replica(dir.file("a.db"), schema_v1(), clock);
    REQUIRE(r->increment("notes", "n1", "views", 2).ok());
    REQUIRE(r->increment("notes", "n1", "views", 3).ok());
    CHECK(protocol::same(cell(*r, "notes", "n1", "views"), Value{std::int64_t{5}}));

    const std::uint64_t t = 1'699'000'000'000;
    auto other = remote("notes", "n1", "views", Op::Count, std::int64_t{10}, t, 9);
    REQUIRE(r->apply_page(page({other, other})).ok());
    CHECK(protocol::same(cell(*r, "notes", "n1", "views"), Value{std::int64_t{15}}));
    // An older running total of the same origin changes nothing.
    REQUIRE(
        r->apply_page(page({remote("notes", "n1", "views", Op::Count, std::int64_t{4}, t - 5, 9)}))
            .ok());
    CHECK(protocol::same(cell(*r, "notes", "n1", "views"), Value{std::int64_t{15}}));
    REQUIRE(r->increment("notes", "n1", "views", -1).ok());
    CHECK(protocol::same(cell(*r, "notes", "n1", "views"), Value{std::int64_t{14}}));
    auto out = all_pending(*r);
    CHECK(protocol::same(out.back().value, Value{std::int64_t{4}}));  // this device's total
    CHECK(r->write("notes", "n1", {{"views", std::int64_t{1}}}).error().code ==
          core::Errc::BadValue);

    REQUIRE(r->write("notes", "n1", {{"progress", std::int64_t{50}}}).ok());
    REQUIRE(r->apply_page(
                 page({remote("notes", "n1", "progress", Op::Set, std::int64_t{30}, t + 1, 9)}))
                .ok());
    CHECK(protocol::same(cell(*r, "notes", "n1", "progress"), Value{std::int64_t{50}}));
    REQUIRE(r->apply_page(
                 page({remote("notes", "n1", "progress", Op::Set, std::int64_t{70}, t + 2, 9)}))
                .ok());
    CHECK(protocol::same(cell(*r, "notes", "n1", "progress"), Value{std::int64_t{70}}));
    REQUIRE(r->write("notes", "n1", {{"progress", std::int64_t{60}}}).ok());
    CHECK(protocol::same(cell(*r, "notes", "n1", "progress"), Value{std::int64_t{70}}));
}

TEST_CASE("refused local writes leave nothing behind", "[replica]") {
    TempDir dir("replica");
    TestClock clock;
    auto r = open_replica(dir.file("a.db"), schema_v1(), clock);
    auto e = r->write("notes", "n1", {{"status", std::string("approved")}});
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == core::Errc::ServerAuthoritative);
    CHECK(e.error().message.find("command") != std::string::npos);
    CHECK(r->write("notes", "n1", {{"nosuch", std::int64_t{1}}}).error().code ==
          core::Errc::BadValue);
    CHECK(r->write("nosuch", "n1", {{"a", std::int64_t{1}}}).error().code ==
          core::Errc::UnknownTable);
    CHECK(r->write("notes", "", {{"title", std::int64_t{1}}}).error().code == core::Errc::BadValue);

    REQUIRE(r->write("notes", "n1", {{"signed", std::string("first")}}).ok());
    CHECK(r->write("notes", "n1", {{"signed", std::string("second")}, {"title", std::string("t")}})
              .error()
              .code == core::Errc::AppendOnlyViolation);
    // The refused write changed nothing, not even the other column or the outbox.
    CHECK(protocol::same(cell(*r, "notes", "n1", "signed"), Value{std::string("first")}));
    CHECK(protocol::is_null(cell(*r, "notes", "n1", "title")));
    CHECK(r->outbox_size().value() == 1);
    auto out = all_pending(*r);
    REQUIRE(out.size() == 1);
    CHECK(out[0].seq == 1);
    // Seqs stay gap-free after refusals.
    REQUIRE(r->write("notes", "n1", {{"title", std::string("t")}}).ok());
    CHECK(all_pending(*r).back().seq == 2);
}

TEST_CASE("commands are queued, then settled as accepted or rejected", "[replica]") {
    TempDir dir("replica");
    TestClock clock;
    auto r = open_replica(dir.file("a.db"), schema_v1(), clock);
    auto id1 = r->submit_command("dues", "pay", R"({"amount":5})");
    auto id2 = r->submit_command("dues", "pay", R"({"amount":-1})");
    REQUIRE(id1.ok());
    REQUIRE(id2.ok());
    auto pending = r->pending_commands().value();
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].id == *id1);
    CHECK(pending[0].status == core::CommandStatus::Pending);

    auto out = all_pending(*r);
    REQUIRE(out.size() == 2);
    CHECK(out[0].op == Op::Command);
    CHECK(out[0].table == "dues");
    CHECK(out[0].column == "pay");
    CHECK(protocol::same(out[0].value, Value{std::string(R"({"amount":5})")}));

    protocol::PushAck ack;
    ack.acked_seq = 2;
    ack.results = {{1, core::Errc::Ok, ""}, {2, core::Errc::RuleViolation, "negative amount"}};
    r->settle(out, ack);
    CHECK(r->pending_commands().value().empty());
    auto all = r->commands().value();
    REQUIRE(all.size() == 2);
    CHECK(all[0].status == core::CommandStatus::Accepted);
    CHECK(all[1].status == core::CommandStatus::Rejected);
    CHECK(all[1].message == "negative amount");
    auto rej = r->rejected().value();
    REQUIRE(rej.size() == 1);
    CHECK(rej[0].change.op == Op::Command);
    CHECK(r->outbox_size().value() == 0);
}

TEST_CASE("listeners run after commit with the changed rows", "[replica]") {
    TempDir dir("replica");
    TestClock clock;
    const std::string path = dir.file("a.db");
    auto r = open_replica(path, schema_v1(), clock);
    std::vector<core::ChangeEvent> events;
    bool visible_elsewhere = false;
    auto id = r->add_listener([&](const core::ChangeEvent& ev) {
        events.push_back(ev);
        // Committed: another connection already sees the row.
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM notes", -1, &st, nullptr) ==
                SQLITE_OK);
        REQUIRE(sqlite3_step(st) == SQLITE_ROW);
        visible_elsewhere = sqlite3_column_int(st, 0) > 0;
        sqlite3_finalize(st);
        sqlite3_close(db);
        // And the replica may be used from inside the callback.
        CHECK(r->read("notes", ev.rows.front().row).ok());
    });
    REQUIRE(r->write("notes", "n1", {{"title", std::string("x")}}).ok());
    REQUIRE(events.size() == 1);
    CHECK(visible_elsewhere);
    CHECK(events[0].source == core::ChangeEvent::Source::Local);
    CHECK(events[0].rows == std::vector<core::ChangeEvent::RowRef>{{"notes", "n1"}});

    REQUIRE(
        r->apply_page(
             page({remote("notes", "n2", "title", Op::Set, std::string("r"), 1'699'000'000'000, 9),
                   remote("notes", "n2", "body", Op::Set, std::string("s"), 1'699'000'000'000, 9)}))
            .ok());
    REQUIRE(events.size() == 2);
    CHECK(events[1].source == core::ChangeEvent::Source::Remote);
    CHECK(events[1].rows == std::vector<core::ChangeEvent::RowRef>{{"notes", "n2"}});

    // A refused write notifies nobody; a removed listener hears nothing.
    CHECK_FALSE(r->write("notes", "n1", {{"status", std::string("x")}}).ok());
    r->remove_listener(id);
    REQUIRE(r->write("notes", "n1", {{"title", std::string("y")}}).ok());
    CHECK(events.size() == 2);
}

TEST_CASE("identity: device id from the public key, signatures verify, enrollment", "[replica]") {
    TempDir dir("replica");
    TestClock clock;
    const std::string path = dir.file("a.db");
    protocol::Bytes pk;
    {
        auto r = open_replica(path, schema_v1(), clock);
        core::DeviceIdentity id = r->identity();
        CHECK(id.device == 0);  // not enrolled yet
        REQUIRE(id.public_key.size() == crypto_sign_PUBLICKEYBYTES);
        pk = id.public_key;
        std::uint8_t h[32];
        crypto_generichash(h, sizeof h, pk.data(), pk.size(), nullptr, 0);
        protocol::DeviceId expect = 0;
        for (int i = 7; i >= 0; --i)
            expect = (expect << 8) | h[i];
        CHECK(r->device_id() == expect);

        protocol::Bytes msg{'h', 'i'};
        protocol::Bytes sig = r->sign(msg);
        REQUIRE(sig.size() == crypto_sign_BYTES);
        CHECK(crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) == 0);
        r->set_enrolled(protocol::Enrolled{expect, "p1", "member", "/u/c1"});
        CHECK(r->identity().device == expect);
    }
    auto r = open_replica(path, schema_v1(), clock);
    CHECK(r->identity().public_key == pk);
    CHECK(r->identity().device == r->device_id());
}

TEST_CASE("wipe removes the files and closes the replica", "[replica]") {
    TempDir dir("replica");
    TestClock clock;
    const std::string path = dir.file("a.db");
    auto r = open_replica(path, schema_v1(), clock);
    REQUIRE(r->write("notes", "n1", {{"title", std::string("secret")}}).ok());
    CHECK(std::filesystem::exists(path));
    r->wipe("device revoked");
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK_FALSE(std::filesystem::exists(path + "-wal"));
    CHECK_FALSE(std::filesystem::exists(path + "-shm"));
    CHECK(r->write("notes", "n1", {{"title", std::string("x")}}).error().code ==
          core::Errc::StorageFailure);
    CHECK_THROWS_AS(r->sign({1}), core::StoreError);
}

TEST_CASE("a schema using reserved names is refused", "[replica]") {
    TempDir dir("replica");
    merge::Schema s(1);
    merge::TableDef t;
    t.name = "notes";
    t.columns = {{"id", Policy::Lww, false}};
    s.add(t);
    core::Options o;
    o.path = dir.file("a.db");
    o.schema = s;
    auto r = Replica::open(std::move(o));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == core::Errc::BadValue);
}

}  // namespace
}  // namespace zb::test
