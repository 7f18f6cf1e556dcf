// SPDX-License-Identifier: Apache-2.0
// The relay messages on the wire (SPEC.md §15): round trips with foreign origins, the strict
// decoder's refusals, and the relay signature's domain separation from a device push.
#include "zb/protocol/codec.hpp"
#include "zb/protocol/messages.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace zp = zb::protocol;

namespace {

zp::Change change(zp::DeviceId origin, std::uint64_t seq, zp::Op op, zp::Value v,
                  std::string column = "title") {
    zp::Change c;
    c.table = "notes";
    c.row = "n-" + std::to_string(seq);
    c.column = op == zp::Op::Delete || op == zp::Op::Restore ? std::string() : std::move(column);
    c.op = op;
    c.value = std::move(v);
    c.hlc = zp::Hlc::make(1732000000000ULL + seq, 0);
    c.base = zp::Hlc::make(1732000000000ULL, 1);
    c.origin = origin;
    c.seq = seq;
    return c;
}

zp::Errc decode_code(const nlohmann::json& j) {
    auto bytes = nlohmann::json::to_cbor(j);
    auto m = zp::decode(bytes);
    return m ? zp::Errc::Ok : m.error().code;
}

nlohmann::json wire_change() {
    return {{"tb", "notes"}, {"r", "n-1"}, {"c", "title"}, {"o", 1}, {"v", "x"},
            {"h", 1},        {"b", 0},     {"d", 9},       {"s", 4}};
}

}  // namespace

TEST_CASE("relay_push and relay_ack round-trip with several origins, unordered seqs",
          "[unit][tiers][codec]") {
    zp::RelayPush p{3,
                    {change(0xAAAA, 9, zp::Op::Set, zp::Value{std::string("标题")}),
                     change(0xBBBB, 2, zp::Op::Count, zp::Value{std::int64_t{-5}}, "n"),
                     change(0xAAAA, 4, zp::Op::Delete, zp::Value{}),
                     change(0xCCCC, 1, zp::Op::Restore, zp::Value{})},
                    zp::Bytes(64, 0x5A)};
    auto back = zp::decode(zp::encode(p));
    REQUIRE(back.ok());
    CHECK(std::get<zp::RelayPush>(back.value()) == p);
    CHECK(zp::type_of(back.value()) == zp::MsgType::RelayPush);

    zp::RelayAck a{3,
                   {{0xAAAA, 9, zp::Errc::Ok, ""},
                    {0xBBBB, 2, zp::Errc::OutOfScope, "outside the subtree"},
                    {0xAAAA, 4, zp::Errc::AppendOnlyViolation, "no"},
                    {0xCCCC, 1, zp::Errc::Ok, ""}}};
    auto back_ack = zp::decode(zp::encode(a));
    REQUIRE(back_ack.ok());
    CHECK(std::get<zp::RelayAck>(back_ack.value()) == a);
    CHECK(zp::type_name(zp::MsgType::RelayAck) == "relay_ack");
}

TEST_CASE("the decoder refuses malformed relay messages with typed errors",
          "[unit][tiers][codec]") {
    const nlohmann::json sig = nlohmann::json::binary(std::vector<std::uint8_t>(64, 1));
    // Baseline: well formed.
    CHECK(decode_code({{"t", 22}, {"b", 1}, {"cs", {wire_change()}}, {"sig", sig}}) ==
          zp::Errc::Ok);
    CHECK(decode_code({{"t", 22}, {"b", 0}, {"cs", {wire_change()}}, {"sig", sig}}) ==
          zp::Errc::BadValue);  // batch 0
    CHECK(decode_code({{"t", 22}, {"b", 1}, {"cs", nlohmann::json::array()}, {"sig", sig}}) ==
          zp::Errc::BadValue);  // no changes
    CHECK(decode_code({{"t", 22},
                       {"b", 1},
                       {"cs", {wire_change()}},
                       {"sig", nlohmann::json::binary(std::vector<std::uint8_t>(63, 1))}}) ==
          zp::Errc::BadValue);  // short signature
    CHECK(decode_code({{"t", 22}, {"b", 1}, {"cs", {wire_change()}}}) == zp::Errc::MissingField);
    auto no_origin = wire_change();
    no_origin["d"] = 0;
    CHECK(decode_code({{"t", 22}, {"b", 1}, {"cs", {no_origin}}, {"sig", sig}}) ==
          zp::Errc::BadValue);

    CHECK(decode_code({{"t", 23}, {"b", 1}, {"rs", {{{"d", 1}, {"s", 1}, {"c", 0}, {"m", ""}}}}}) ==
          zp::Errc::Ok);
    CHECK(decode_code({{"t", 23}, {"b", 1}, {"rs", {{{"d", 0}, {"s", 1}, {"c", 0}, {"m", ""}}}}}) ==
          zp::Errc::BadValue);  // a result names its origin
    CHECK(decode_code({{"t", 23}, {"b", 1}, {"rs", {{{"s", 1}, {"c", 0}, {"m", ""}}}}}) ==
          zp::Errc::MissingField);
    CHECK(
        decode_code({{"t", 23}, {"b", 1}, {"rs", {{{"d", 1}, {"s", 1}, {"c", "0"}, {"m", ""}}}}}) ==
        zp::Errc::WrongType);

    zp::Limits tight;
    tight.max_batch = 1;
    zp::RelayPush two{1,
                      {change(1, 1, zp::Op::Set, zp::Value{std::int64_t{1}}),
                       change(1, 2, zp::Op::Set, zp::Value{std::int64_t{2}})},
                      zp::Bytes(64, 0)};
    auto r = zp::decode(zp::encode(two), tight);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == zp::Errc::TooLarge);
}

TEST_CASE("a relay signature covers a different payload than a push of the same changes",
          "[unit][tiers][codec]") {
    std::vector<zp::Change> cs{change(7, 1, zp::Op::Set, zp::Value{std::string("x")})};
    zp::RelayPush relay{1, cs, zp::Bytes(64, 0)};
    zp::Push push{1, cs, zp::Bytes(64, 0)};
    const zp::Bytes rp = zp::relay_payload(relay);
    const zp::Bytes pp = zp::push_payload(push);
    CHECK(rp != pp);
    const std::string prefix(rp.begin(), rp.begin() + 14);
    CHECK(prefix == "zhibu-relay-v1");
    // Deterministic and bound to the batch number and every field of every change.
    CHECK(zp::relay_payload(relay) == rp);
    zp::RelayPush other = relay;
    other.batch = 2;
    CHECK(zp::relay_payload(other) != rp);
    other = relay;
    other.changes[0].origin = 8;
    CHECK(zp::relay_payload(other) != rp);
}
