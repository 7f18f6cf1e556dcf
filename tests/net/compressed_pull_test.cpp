// SPDX-License-Identifier: Apache-2.0
// Issue #4, "compressed on the wire": a real SyncClient pulls from a real zhibu server over TLS on
// 127.0.0.1 and the Changes pages arrive inside `compressed` (protocol 4, SPEC.md §2, §6.15),
// while the phone ends with exactly the rows written. A client that offers only version 3 (its
// Hello rewritten by the tap) gets every frame plain and the same data.
#include "temp_dir.hpp"
#include "test_server.hpp"

#include "zb/core/replica.hpp"
#include "zb/net/beast_transport.hpp"
#include "zb/net/sync_client.hpp"
#include "zb/protocol/codec.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

using namespace std::chrono_literals;
using zb::core::Replica;
using zb::net::SyncClient;
namespace zp = zb::protocol;

constexpr auto kSyncTimeout = 300s;  // a bound, not a target: 10,000 rows under ASan
constexpr const char* kBranch = "/u/c1/b1";
// ZB_COMPRESSED_ROWS overrides the row count for the wire-size measurement (10,000 in the H9
// report); the default keeps the test fast.
const int kRows = [] {
    const char* env = std::getenv("ZB_COMPRESSED_ROWS");
    return env != nullptr ? std::max(1, std::atoi(env)) : 600;
}();

zb::merge::Schema schema() {
    zb::merge::Schema s(1);
    zb::merge::TableDef notes;
    notes.name = "notes";
    notes.policy = zb::merge::Policy::Lww;
    notes.columns = {{"org", zb::merge::Policy::Lww, false},
                     {"owner", zb::merge::Policy::Lww, false},
                     {"title", zb::merge::Policy::Lww, false},
                     {"body", zb::merge::Policy::Lww, false}};
    notes.org_column = "org";
    notes.owner_column = "owner";
    notes.visibility = zb::merge::Visibility::Org;
    s.add(notes);
    return s;
}

std::uint64_t type_tag(const zp::Bytes& frame) {
    const auto j = nlohmann::json::from_cbor(frame);
    return j.at("t").get<std::uint64_t>();
}

// What a phone's tap saw; shared, since the tap dies with its SyncClient.
struct Counters {
    std::atomic<std::uint64_t> bytes_in{0};
    std::atomic<int> compressed_in{0};
    std::atomic<int> compressed_out{0};
};

// Counts wire frames by their outer type tag and wire bytes; optionally rewrites the client's
// Hello to offer at most `max_version`, the way an older app would.
class CountingTap final : public zb::net::Transport {
public:
    CountingTap(std::unique_ptr<zb::net::Transport> inner, std::shared_ptr<Counters> counters,
                std::uint32_t max_version)
        : inner_(std::move(inner)), n_(std::move(counters)), max_version_(max_version) {}

    void open(const zb::net::Endpoint& endpoint, zb::net::TransportCallbacks cb) override {
        auto user = std::make_shared<zb::net::TransportCallbacks>(std::move(cb));
        zb::net::TransportCallbacks mine;
        mine.on_open = [user] {
            if (user->on_open) user->on_open();
        };
        mine.on_frame = [this, user](zp::Bytes f) {
            n_->bytes_in += f.size();
            if (type_tag(f) == static_cast<std::uint64_t>(zp::MsgType::Compressed))
                ++n_->compressed_in;
            if (user->on_frame) user->on_frame(std::move(f));
        };
        mine.on_closed = [user](zb::net::NetError why) {
            if (user->on_closed) user->on_closed(std::move(why));
        };
        inner_->open(endpoint, std::move(mine));
    }

    void send(zp::Bytes frame) override {
        if (type_tag(frame) == static_cast<std::uint64_t>(zp::MsgType::Compressed))
            ++n_->compressed_out;
        auto m = zp::decode(frame);
        if (m.ok()) {
            if (auto* h = std::get_if<zp::Hello>(&m.value()); h && h->max_version > max_version_) {
                h->max_version = max_version_;
                frame = zp::encode(m.value());
            }
        }
        inner_->send(std::move(frame));
    }

    void close() override { inner_->close(); }

private:
    std::unique_ptr<zb::net::Transport> inner_;
    std::shared_ptr<Counters> n_;
    std::uint32_t max_version_;
};

struct Phone {
    std::unique_ptr<Replica> replica;
    std::shared_ptr<Counters> tap = std::make_shared<Counters>();
    zb::net::ClientOptions options;
};

Phone make_phone(zb::test::TestServer& server, const zb::test::TempDir& dir,
                 const std::string& person, std::uint32_t max_version) {
    Phone p;
    zb::core::Options o;
    o.path = dir.file(person + ".db");
    o.schema = schema();
    o.opener = zb::core::plain_opener();
    auto r = Replica::open(std::move(o));
    REQUIRE(r.ok());
    p.replica = std::move(r.value());
    p.options.endpoint.host = "127.0.0.1";
    p.options.endpoint.port = server.port();
    p.options.transport.tls.pins = {server.pin()};
    p.options.transport.connect_timeout = 5000ms;
    p.options.stop_timeout = 3000ms;
    p.options.transport_factory = [counters = p.tap, max_version](
                                      boost::asio::io_context& ioc,
                                      const zb::net::TransportOptions& t) {
        return std::unique_ptr<zb::net::Transport>(std::make_unique<CountingTap>(
            zb::net::make_beast_transport(ioc, t), counters, max_version));
    };
    return p;
}

void enroll(zb::test::TestServer& server, Phone& p, const std::string& person,
            const std::string& role) {
    SyncClient client(*p.replica, p.options);
    auto r = client.enroll(server.issue_code(person, role, kBranch), person + "-phone", 20s);
    INFO(r.error.to_string());
    REQUIRE(r.ok());
}

std::string title(int i) {
    return "学习通知 " + std::to_string(i) + ": 三会一课 meeting minutes, branch " + kBranch;
}

void check_rows(Replica& r) {
    auto rows = r.scan("notes");
    REQUIRE(rows.ok());
    CHECK(rows.value().size() == static_cast<std::size_t>(kRows));
    for (int i = 0; i < kRows; i += 1 + kRows / 20) {
        auto row = r.read("notes", "n" + std::to_string(i));
        REQUIRE(row.ok());
        REQUIRE(row.value());
        CHECK(std::get<std::string>(row.value()->at("title")) == title(i));
    }
}

}  // namespace

TEST_CASE("a pull over TLS carries compressed Changes pages and the phone gets every row",
          "[net][integration][compressed]") {
    zb::test::TestServer server(schema());
    zb::test::TempDir dir("zb-net-compressed");
    auto writer = make_phone(server, dir, "s1", zp::kProtocolVersion);
    enroll(server, writer, "s1", "branch_secretary");
    for (int i = 0; i < kRows; ++i) {
        zb::core::Values v;
        v["org"] = std::string(kBranch);
        v["owner"] = std::string("s1");
        v["title"] = title(i);
        v["body"] = std::string("minutes of the branch meeting, item ") + std::to_string(i);
        REQUIRE(writer.replica->write("notes", "n" + std::to_string(i), v).ok());
    }
    {
        SyncClient c(*writer.replica, writer.options);
        auto r = c.sync_once(kSyncTimeout);
        INFO(r.error.to_string());
        REQUIRE(r.ok());
        CHECK(r.outbox_left == 0);
    }
    CHECK(writer.tap->compressed_out > 0);  // large pushes travel compressed too
    CHECK(server.context().store->accepted_changes() == 4u * kRows);

    SECTION("a version-4 phone receives compressed pages") {
        auto reader = make_phone(server, dir, "m1", zp::kProtocolVersion);
        enroll(server, reader, "m1", "member");
        SyncClient c(*reader.replica, reader.options);
        auto r = c.sync_once(kSyncTimeout);
        INFO(r.error.to_string());
        REQUIRE(r.ok());
        CHECK(reader.tap->compressed_in > 0);
        check_rows(*reader.replica);
        WARN("v4 pull of " << kRows << " rows: " << reader.tap->bytes_in << " bytes received");
    }
    SECTION("a version-3 phone receives plain frames only") {
        auto reader = make_phone(server, dir, "m2", 3);
        enroll(server, reader, "m2", "member");
        SyncClient c(*reader.replica, reader.options);
        auto r = c.sync_once(kSyncTimeout);
        INFO(r.error.to_string());
        REQUIRE(r.ok());
        CHECK(reader.tap->compressed_in == 0);
        CHECK(reader.tap->compressed_out == 0);
        check_rows(*reader.replica);
        WARN("v3 pull of " << kRows << " rows: " << reader.tap->bytes_in << " bytes received");
    }
}
