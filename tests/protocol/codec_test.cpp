// SPDX-License-Identifier: Apache-2.0
// Codec behaviour: round trip of every message type, exact value typing (7, 7.0, "7", h'07'),
// deterministic bytes, the signature payloads, forward-compatible unknown keys, and every
// field-level decoder error (missing, wrong CBOR type, out of range) with its Errc.

#include "zb/protocol/codec.hpp"

#include "cbor_util.hpp"
#include "golden.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace zp = zb::protocol;
using zb::test::bin;
using zb::test::decode_code;
using zb::test::dom_of;
using zb::test::to_cbor;
using zp::Errc;

namespace {

zp::Message round_trip(const zp::Message& m) {
    const auto r = zp::decode(zp::encode(m));
    REQUIRE(r.ok());
    return r.value();
}

zp::Change simple_change(std::uint64_t seq, zp::Value v = zp::Value{std::int64_t{1}}) {
    return zb::test::golden::change("t", "r", "c", zp::Op::Set, std::move(v),
                                    zp::Hlc::make(1000, static_cast<std::uint16_t>(seq)), {}, 9,
                                    seq);
}

zp::Push push_of(std::vector<zp::Change> cs) {
    return zp::Push{cs.front().seq, cs, zp::Bytes(64, 1)};
}

zp::Value value_round_trip(const zp::Value& v) {
    const zp::Message back = round_trip(push_of({simple_change(1, v)}));
    return std::get<zp::Push>(back).changes.at(0).value;
}

}  // namespace

TEST_CASE("every message type round-trips", "[unit][codec]") {
    const auto all = zb::test::golden::messages();
    REQUIRE(all.size() == 23);
    for (std::size_t k = 0; k < all.size(); ++k) {
        const zp::Message& m = all[k];
        INFO(zp::type_name(zp::type_of(m)));
        CHECK(static_cast<std::size_t>(zp::type_of(m)) == k + 1);
        CHECK(round_trip(m) == m);
    }
}

TEST_CASE("default-constructed and boundary messages round-trip", "[unit][codec]") {
    const std::uint64_t u64max = std::numeric_limits<std::uint64_t>::max();
    const std::vector<zp::Message> msgs = {
        zp::Hello{},
        zp::Hello{1, 0xFFFFFFFFu, std::string(1000, 'c'), u64max},
        zp::Welcome{0xFFFFFFFFu, zp::Bytes(32, 0), "", u64max},
        zp::Auth{1, {}, "token"},
        zp::AuthOk{"t", 0, "", "", {}, 0},
        zp::PushAck{1, {}, 0},
        zp::PushAck{u64max, {{u64max, static_cast<Errc>(0xFFFF), "future code"}}, u64max},
        zp::Pull{u64max, 0xFFFFFFFFu},
        zp::Pull{},
        zp::Changes{},
        zp::Notify{u64max},
        zp::ErrorMsg{},
        zp::Goodbye{},
        zp::Wipe{},
        push_of({simple_change(1), simple_change(2), simple_change(u64max)}),
    };
    for (const auto& m : msgs) {
        INFO(zp::type_name(zp::type_of(m)));
        CHECK(round_trip(m) == m);
    }
}

TEST_CASE("values keep their exact type: 7, 7.0, \"7\", h'07', null", "[unit][codec]") {
    const std::vector<zp::Value> vals = {zp::Value{std::int64_t{7}}, zp::Value{7.0},
                                         zp::Value{std::string("7")}, zp::Value{zp::Bytes{7}},
                                         zp::Value{}};
    for (std::size_t k = 0; k < vals.size(); ++k) {
        const zp::Value back = value_round_trip(vals[k]);
        CHECK(back.index() == vals[k].index());
        CHECK(zp::same(back, vals[k]));
        for (std::size_t j = 0; j < vals.size(); ++j) {
            if (j != k) CHECK(!zp::same(back, vals[j]));
        }
    }
}

TEST_CASE("numbers round-trip bit-exactly", "[unit][codec]") {
    const std::int64_t i64min = std::numeric_limits<std::int64_t>::min();
    const std::int64_t i64max = std::numeric_limits<std::int64_t>::max();
    for (std::int64_t v :
         {i64min, i64min + 1, std::int64_t{-1}, std::int64_t{0}, std::int64_t{23}, std::int64_t{24},
          std::int64_t{1} << 53, (std::int64_t{1} << 53) + 1, i64max}) {
        INFO(v);
        CHECK(zp::same(value_round_trip(zp::Value{v}), zp::Value{v}));
    }
    for (double v :
         {0.0, -0.0, 0.1, -0.1, 1.5, 7.0, 1e300, -1e-300, 5e-324, 3.4028234663852886e38, 16777217.0,
          std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
          std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min()}) {
        INFO(v);
        const zp::Value back = value_round_trip(zp::Value{v});
        REQUIRE(back.index() == 2);
        CHECK(std::bit_cast<std::uint64_t>(std::get<double>(back)) ==
              std::bit_cast<std::uint64_t>(v));
    }
}

TEST_CASE("NaN travels as the canonical quiet NaN", "[unit][codec]") {
    const double canonical = std::numeric_limits<double>::quiet_NaN();
    const double odd = std::bit_cast<double>(std::uint64_t{0xFFF0000000000123});
    REQUIRE(std::isnan(odd));
    for (double nan : {canonical, -canonical, odd}) {
        const zp::Value back = value_round_trip(zp::Value{nan});
        REQUIRE(back.index() == 2);
        CHECK(std::bit_cast<std::uint64_t>(std::get<double>(back)) == 0x7FF8000000000000u);
    }
    // On the wire: f9 7e00, whatever NaN was encoded.
    const zp::Bytes a = zp::encode(push_of({simple_change(1, zp::Value{canonical})}));
    const zp::Bytes b = zp::encode(push_of({simple_change(1, zp::Value{odd})}));
    CHECK(a == b);
    // A float64 NaN with sign and payload from another encoder decodes canonically too.
    zp::Bytes raw = zp::encode(push_of({simple_change(1, zp::Value{1.5})}));
    const zp::Bytes f32_15{0xFA, 0x3F, 0xC0, 0x00, 0x00};  // how 1.5 is written
    const zp::Bytes wide_nan{0xFB, 0xFF, 0xF0, 0, 0, 0, 0, 0x01, 0x23};
    const auto at = std::search(raw.begin(), raw.end(), f32_15.begin(), f32_15.end());
    REQUIRE(at != raw.end());
    const auto pos = at - raw.begin();
    raw.erase(raw.begin() + pos, raw.begin() + pos + 5);
    raw.insert(raw.begin() + pos, wide_nan.begin(), wide_nan.end());
    const auto r = zp::decode(raw);
    REQUIRE(r.ok());
    const double got = std::get<double>(std::get<zp::Push>(r.value()).changes[0].value);
    CHECK(std::bit_cast<std::uint64_t>(got) == 0x7FF8000000000000u);
}

TEST_CASE("half, single and double floats all decode as reals", "[unit][codec]") {
    // Hand-built change maps with the value encoded three ways.
    for (const zp::Bytes& enc : {zp::Bytes{0xF9, 0x3E, 0x00}, zp::Bytes{0xFA, 0x3F, 0xC0, 0, 0},
                                 zp::Bytes{0xFB, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0}}) {
        auto dom = dom_of(push_of({simple_change(1, zp::Value{std::string("PLACEHOLDER")})}));
        zp::Bytes raw = to_cbor(dom);
        const zp::Bytes needle = zb::test::text_item("PLACEHOLDER");
        auto at = std::search(raw.begin(), raw.end(), needle.begin(), needle.end());
        REQUIRE(at != raw.end());
        const auto pos = at - raw.begin();
        raw.erase(raw.begin() + pos, raw.begin() + pos + static_cast<long>(needle.size()));
        raw.insert(raw.begin() + pos, enc.begin(), enc.end());
        const auto r = zp::decode(raw);
        REQUIRE(r.ok());
        const zp::Value& v = std::get<zp::Push>(r.value()).changes[0].value;
        REQUIRE(v.index() == 2);
        CHECK(std::get<double>(v) == 1.5);
    }
}

TEST_CASE("encoding is deterministic and canonical", "[unit][codec]") {
    for (const auto& m : zb::test::golden::messages()) {
        const zp::Bytes a = zp::encode(m);
        const zp::Bytes b = zp::encode(zp::Message(m));
        CHECK(a == b);
        // decode + encode reproduces the same bytes
        CHECK(zp::encode(round_trip(m)) == a);
    }
    // Map keys are sorted, so an input written in another key order re-encodes canonically.
    const zp::Bytes canonical = {0xA2, 0x63, 'c', 'u', 'r', 0x05, 0x61, 't', 0x0B};
    const zp::Bytes other_order = {0xA2, 0x61, 't', 0x0B, 0x63, 'c', 'u', 'r', 0x05};
    const auto r = zp::decode(other_order);
    REQUIRE(r.ok());
    CHECK(zp::encode(r.value()) == canonical);
    // Non-shortest integer heads decode, and re-encode in shortest form.
    const zp::Bytes long_head = {0xA2, 0x63, 'c', 'u', 'r', 0x1B, 0,   0,   0,
                                 0,    0,    0,   0,   5,   0x61, 't', 0x0B};
    const auto r2 = zp::decode(long_head);
    REQUIRE(r2.ok());
    CHECK(zp::encode(r2.value()) == canonical);
}

TEST_CASE("equal messages give equal bytes, different ones differ", "[unit][codec]") {
    const zp::Message a = zp::Notify{7};
    const zp::Message b = zp::Notify{7};
    const zp::Message c = zp::Notify{8};
    CHECK(zp::encode(a) == zp::encode(b));
    CHECK(zp::encode(a) != zp::encode(c));
    CHECK(zp::encode(push_of({simple_change(1, zp::Value{std::int64_t{7}})})) !=
          zp::encode(push_of({simple_change(1, zp::Value{7.0})})));
}

TEST_CASE("auth payload layout", "[unit][codec]") {
    const zp::Bytes challenge = zb::test::golden::pattern(32, 0, 1);
    const zp::Bytes p = zp::auth_payload(challenge, 0x0102030405060708ULL);
    REQUIRE(p.size() == 13 + 32 + 8);
    CHECK(std::string(p.begin(), p.begin() + 13) == "zhibu-auth-v1");
    CHECK(zp::Bytes(p.begin() + 13, p.begin() + 45) == challenge);
    CHECK(zp::Bytes(p.end() - 8, p.end()) == zp::Bytes{8, 7, 6, 5, 4, 3, 2, 1});
    CHECK(zp::auth_payload(challenge, 1) != zp::auth_payload(challenge, 2));
}

TEST_CASE("push payload layout and determinism", "[unit][codec]") {
    const zp::Push push = std::get<zp::Push>(zb::test::golden::messages().at(6));
    const zp::Bytes p = zp::push_payload(push);
    CHECK(std::string(p.begin(), p.begin() + 13) == "zhibu-push-v1");
    CHECK(zp::Bytes(p.begin() + 13, p.begin() + 21) == zp::Bytes{42, 0, 0, 0, 0, 0, 0, 0});
    const zp::Bytes changes = zp::encode_changes(push.changes);
    CHECK(zp::Bytes(p.begin() + 21, p.end()) == changes);
    // The signature is not covered; everything else is.
    zp::Push other = push;
    other.signature = zp::Bytes(64, 0xEE);
    CHECK(zp::push_payload(other) == p);
    other = push;
    other.changes[1].value = zp::Value{7.0};
    CHECK(zp::push_payload(other) != p);
    other = push;
    other.batch = 43;
    CHECK(zp::push_payload(other) != p);
    // encode_changes is the same CBOR as the "cs" array inside the Push message.
    const auto dom = dom_of(push);
    CHECK(to_cbor(dom["cs"]) == changes);
}

TEST_CASE("unknown map keys are ignored", "[unit][codec]") {
    auto dom = dom_of(zp::Pull{5, 10});
    dom["zz"] = {{"nested", {1, 2, 3}}, {"b", bin({1, 2})}};
    dom["a"] = nullptr;
    const auto r = zp::decode(to_cbor(dom));
    REQUIRE(r.ok());
    CHECK(r.value() == zp::Message{zp::Pull{5, 10}});
    auto cdom = dom_of(push_of({simple_change(1)}));
    cdom["cs"][0]["future"] = "x";
    const auto r2 = zp::decode(to_cbor(cdom));
    REQUIRE(r2.ok());
    CHECK(r2.value() == zp::Message{push_of({simple_change(1)})});
}

TEST_CASE("envelope errors", "[unit][codec][errors]") {
    CHECK(decode_code({}) == Errc::Malformed);
    CHECK(decode_code(to_cbor(7)) == Errc::Malformed);
    CHECK(decode_code(to_cbor(nlohmann::json::array({1}))) == Errc::Malformed);
    CHECK(decode_code(to_cbor({{"cur", 1}})) == Errc::MissingField);
    CHECK(decode_code(to_cbor({{"t", "11"}})) == Errc::WrongType);
    CHECK(decode_code(to_cbor({{"t", 11.0}})) == Errc::WrongType);
    CHECK(decode_code(to_cbor({{"t", 0}})) == Errc::UnknownType);
    CHECK(decode_code(to_cbor({{"t", 25}})) == Errc::UnknownType);
    CHECK(decode_code(to_cbor({{"t", -1}})) == Errc::UnknownType);
    CHECK(decode_code(to_cbor({{"t", 255}})) == Errc::UnknownType);
    CHECK(decode_code(to_cbor({{"t", 1u << 31}})) == Errc::UnknownType);
    CHECK(decode_code(to_cbor({{"t", 11}, {"cur", 1}})) == Errc::Ok);
}

TEST_CASE("malformed CBOR", "[unit][codec][errors]") {
    const zp::Bytes good = zp::encode(zp::Notify{1});
    SECTION("trailing bytes") {
        zp::Bytes b = good;
        b.push_back(0x00);
        CHECK(decode_code(b) == Errc::Malformed);
        b = good;
        zb::test::append(b, good);
        CHECK(decode_code(b) == Errc::Malformed);
    }
    SECTION("every truncation") {
        const zp::Bytes push = zp::encode(zb::test::golden::messages().at(6));
        for (std::size_t n = 0; n < push.size(); ++n) {
            INFO(n);
            CHECK(decode_code(zp::Bytes(push.begin(), push.begin() + static_cast<long>(n))) ==
                  Errc::Malformed);
        }
    }
    SECTION("duplicate key") {
        const zp::Bytes dup = {0xA3, 0x61, 't',  0x0B, 0x63, 'c', 'u',
                               'r',  0x01, 0x63, 'c',  'u',  'r', 0x02};
        CHECK(decode_code(dup) == Errc::Malformed);
        CHECK(zb::test::decode_message(dup).find("duplicate") != std::string::npos);
    }
    SECTION("non-text map key") {
        const zp::Bytes key = {0xA2, 0x61, 't', 0x0B, 0x01, 0x01};
        CHECK(decode_code(key) == Errc::Malformed);
    }
    SECTION("tags are not accepted") {
        const zp::Bytes tagged = {0xA2, 0x61, 't', 0x0B, 0x63, 'c', 'u', 'r', 0xC1, 0x01};
        CHECK(decode_code(tagged) == Errc::Malformed);
    }
    SECTION("undefined and other simple values") {
        for (std::uint8_t s : {std::uint8_t{0xF7}, std::uint8_t{0xF0}, std::uint8_t{0xF8}}) {
            zp::Bytes b = {0xA2, 0x61, 't', 0x0B, 0x63, 'c', 'u', 'r', s};
            if (s == 0xF8) b.push_back(0x20);
            CHECK(decode_code(b) == Errc::Malformed);
        }
    }
    SECTION("stray break and reserved additional info") {
        CHECK(decode_code({0xFF}) == Errc::Malformed);
        CHECK(decode_code({0xA1, 0x61, 't', 0x1C}) == Errc::Malformed);
    }
    SECTION("invalid UTF-8 in text and keys") {
        for (const zp::Bytes& bad :
             {zp::Bytes{0xC3, 0x28}, zp::Bytes{0xC0, 0x80}, zp::Bytes{0xED, 0xA0, 0x80},
              zp::Bytes{0xF4, 0x90, 0x80, 0x80}, zp::Bytes{0xE4, 0xB8}, zp::Bytes{0x80},
              zp::Bytes{0xF8, 0x88, 0x80, 0x80, 0x80}}) {
            zp::Bytes b = {0xA2, 0x61, 'm'};
            zb::test::append(b, zb::test::head(3, bad.size()));
            zb::test::append(b, bad);
            zb::test::append(b, {0x61, 't', 0x0E});
            CHECK(decode_code(b) == Errc::Malformed);
            zp::Bytes k = {0xA3, 0x61, 'm', 0x60, 0x61, 't', 0x0E};
            zb::test::append(k, zb::test::head(3, bad.size()));
            zb::test::append(k, bad);
            k.push_back(0x00);
            CHECK(decode_code(k) == Errc::Malformed);
        }
        // Valid multi-byte text passes.
        const zp::Bytes ok = zp::encode(zp::Wipe{"\xe4\xb8\xad \xf0\x9f\x98\x80 \xc3\xa9"});
        CHECK(decode_code(ok) == Errc::Ok);
    }
    SECTION("negative integer below -2^63") {
        zp::Bytes b = {0xA2, 0x61, 't', 0x0B, 0x63, 'c', 'u', 'r', 0x3B, 0x80, 0, 0, 0, 0, 0, 0, 0};
        CHECK(decode_code(b) == Errc::BadValue);
        // -2^63 itself is a valid value (but a negative cursor is out of range).
        b[9] = 0x7F;
        for (std::size_t k = 10; k < b.size(); ++k)
            b[k] = 0xFF;
        CHECK(decode_code(b) == Errc::BadValue);
    }
}

namespace {

// Decode a message DOM after `edit`; returns the error code.
template <class Edit>
Errc edited(const zp::Message& m, Edit edit) {
    auto dom = dom_of(m);
    edit(dom);
    return decode_code(to_cbor(dom));
}

}  // namespace

TEST_CASE("every required field is required", "[unit][codec][errors]") {
    for (const auto& m : zb::test::golden::messages()) {
        const auto dom = dom_of(m);
        for (const auto& [key, value] : dom.items()) {
            if (key == "t") continue;
            INFO(zp::type_name(zp::type_of(m)) << "." << key);
            CHECK(edited(m, [&](nlohmann::json& d) { d.erase(key); }) == Errc::MissingField);
        }
    }
    const zp::Message push = zb::test::golden::messages().at(6);
    for (const char* key : {"tb", "r", "c", "o", "v", "h", "b", "d", "s"}) {
        INFO(key);
        CHECK(edited(push, [&](nlohmann::json& d) { d["cs"][3].erase(key); }) ==
              Errc::MissingField);
    }
    const zp::Message ack = zb::test::golden::messages().at(7);
    for (const char* key : {"s", "c", "m"}) {
        CHECK(edited(ack, [&](nlohmann::json& d) { d["rs"][1].erase(key); }) == Errc::MissingField);
    }
}

TEST_CASE("every field rejects the wrong CBOR type", "[unit][codec][errors]") {
    // For each field, a value of a type it never takes.
    const std::vector<nlohmann::json> wrong = {
        nullptr, true, "x", 1.5, nlohmann::json::array(), nlohmann::json::object(), bin({1})};
    auto accepts = [](const nlohmann::json& original, const nlohmann::json& w) {
        return original.type() == w.type() ||
               (original.is_number_integer() && w.is_number_integer());
    };
    for (const auto& m : zb::test::golden::messages()) {
        const auto dom = dom_of(m);
        for (const auto& [key, value] : dom.items()) {
            if (key == "t") continue;
            for (const auto& w : wrong) {
                if (accepts(value, w)) continue;
                INFO(zp::type_name(zp::type_of(m)) << "." << key << " = " << w.dump());
                CHECK(edited(m, [&](nlohmann::json& d) { d[key] = w; }) == Errc::WrongType);
            }
        }
    }
    const zp::Message push = zb::test::golden::messages().at(6);
    for (const char* key : {"tb", "r", "c", "o", "h", "b", "d", "s"}) {
        INFO(key);
        CHECK(edited(push, [&](nlohmann::json& d) { d["cs"][0][key] = bin({1}); }) ==
              Errc::WrongType);
    }
    CHECK(edited(push, [](nlohmann::json& d) { d["cs"][0]["v"] = true; }) == Errc::WrongType);
    CHECK(edited(push, [](nlohmann::json& d) { d["cs"][0]["v"] = {1}; }) == Errc::WrongType);
    CHECK(edited(push, [](nlohmann::json& d) { d["cs"][0]["v"] = {{"a", 1}}; }) == Errc::WrongType);
    CHECK(edited(push, [](nlohmann::json& d) { d["cs"][0] = 1; }) == Errc::WrongType);
    const zp::Message auth_ok = zb::test::golden::messages().at(5);
    CHECK(edited(auth_ok, [](nlohmann::json& d) { d["sc"][1] = 5; }) == Errc::WrongType);
    const zp::Message ack = zb::test::golden::messages().at(7);
    CHECK(edited(ack, [](nlohmann::json& d) { d["rs"][0] = "x"; }) == Errc::WrongType);
}

TEST_CASE("out-of-range values are BadValue", "[unit][codec][errors]") {
    const auto all = zb::test::golden::messages();
    const zp::Message &hello = all[0], &welcome = all[1], &enroll = all[2], &enrolled = all[3],
                      &auth = all[4], &auth_ok = all[5], &push = all[6], &ack = all[7],
                      &pull = all[8], &changes = all[9], &error = all[11], &goodbye = all[12];
    using J = nlohmann::json;
    auto set = [](const char* k, J v) { return [k, v](J& d) { d[k] = v; }; };

    // versions: 0 does not exist, max >= min, 32 bits
    CHECK(edited(hello, set("min", 0)) == Errc::BadValue);
    CHECK(edited(hello, set("max", 0)) == Errc::BadValue);
    CHECK(edited(hello, [](J& d) {
              d["min"] = 3;
              d["max"] = 2;
          }) == Errc::BadValue);
    CHECK(edited(hello, set("max", 0x100000000ull)) == Errc::BadValue);
    CHECK(edited(hello, set("d", -1)) == Errc::BadValue);
    CHECK(edited(welcome, set("v", 0)) == Errc::BadValue);
    // fixed-size byte strings
    CHECK(edited(welcome, set("ch", bin(zp::Bytes(31, 0)))) == Errc::BadValue);
    CHECK(edited(welcome, set("ch", bin(zp::Bytes(33, 0)))) == Errc::BadValue);
    CHECK(edited(enroll, set("pk", bin(zp::Bytes(31, 0)))) == Errc::BadValue);
    CHECK(edited(enroll, set("pk", bin({}))) == Errc::BadValue);
    CHECK(edited(enroll, set("code", "")) == Errc::BadValue);
    CHECK(edited(enrolled, set("d", 0)) == Errc::BadValue);
    // auth: exactly one of a 64-byte signature and a token
    CHECK(edited(auth, set("sig", bin(zp::Bytes(63, 0)))) == Errc::BadValue);
    CHECK(edited(auth, set("sig", bin(zp::Bytes(65, 0)))) == Errc::BadValue);
    CHECK(edited(auth, set("tok", "t")) == Errc::BadValue);
    CHECK(edited(auth, set("sig", bin({}))) == Errc::BadValue);
    CHECK(edited(auth, [](J& d) {
              d["sig"] = bin({});
              d["tok"] = "t";
          }) == Errc::Ok);
    CHECK(edited(auth, set("d", 0)) == Errc::BadValue);
    CHECK(edited(auth_ok, set("tok", "")) == Errc::BadValue);
    // push
    CHECK(edited(push, set("b", 0)) == Errc::BadValue);
    CHECK(edited(push, set("sig", bin(zp::Bytes(63, 0)))) == Errc::BadValue);
    CHECK(edited(push, set("cs", J::array())) == Errc::BadValue);
    CHECK(edited(push, [](J& d) { d["cs"][2]["s"] = 43; }) == Errc::BadValue);  // repeats 43
    CHECK(edited(push, [](J& d) { d["cs"][2]["s"] = 40; }) == Errc::BadValue);  // descends
    // change fields
    auto change_set = [](const char* k, J v) { return [k, v](J& d) { d["cs"][0][k] = v; }; };
    CHECK(edited(push, change_set("o", 0)) == Errc::BadValue);
    CHECK(edited(push, change_set("o", 6)) == Errc::BadValue);
    CHECK(edited(push, change_set("o", 255)) == Errc::BadValue);
    CHECK(edited(push, change_set("o", -1)) == Errc::BadValue);
    CHECK(edited(push, change_set("h", 0)) == Errc::BadValue);
    CHECK(edited(push, change_set("d", 0)) == Errc::BadValue);
    CHECK(edited(push, change_set("s", 0)) == Errc::BadValue);
    CHECK(edited(push, change_set("tb", "")) == Errc::BadValue);
    CHECK(edited(push, change_set("r", "")) == Errc::BadValue);
    CHECK(edited(push, change_set("c", "")) == Errc::BadValue);  // set without column
    CHECK(edited(push, change_set("v", 0x8000000000000000ull)) == Errc::BadValue);
    CHECK(edited(push, change_set("v", 0x7FFFFFFFFFFFFFFFull)) == Errc::Ok);
    CHECK(edited(push, change_set("b", 0)) == Errc::Ok);  // base 0 = none
    // row operations carry no column and no value
    CHECK(edited(push, [](J& d) { d["cs"][10]["c"] = "x"; }) == Errc::BadValue);
    CHECK(edited(push, [](J& d) { d["cs"][10]["v"] = 1; }) == Errc::BadValue);
    CHECK(edited(push, [](J& d) { d["cs"][11]["v"] = ""; }) == Errc::BadValue);
    // count carries an integer, command carries text
    CHECK(edited(push, [](J& d) { d["cs"][9]["v"] = 3.0; }) == Errc::BadValue);
    CHECK(edited(push, [](J& d) { d["cs"][9]["v"] = nullptr; }) == Errc::BadValue);
    CHECK(edited(push, [](J& d) { d["cs"][9]["c"] = ""; }) == Errc::BadValue);
    CHECK(edited(push, [](J& d) { d["cs"][12]["v"] = bin({1}); }) == Errc::BadValue);
    CHECK(edited(push, [](J& d) { d["cs"][12]["c"] = ""; }) == Errc::BadValue);
    // acks, pulls, errors
    CHECK(edited(ack, set("b", 0)) == Errc::BadValue);
    CHECK(edited(ack, [](J& d) { d["rs"][0]["s"] = 0; }) == Errc::BadValue);
    CHECK(edited(ack, [](J& d) { d["rs"][0]["c"] = 0x10000; }) == Errc::BadValue);
    CHECK(edited(ack, [](J& d) { d["rs"][0]["c"] = -1; }) == Errc::BadValue);
    CHECK(edited(pull, set("lim", 0)) == Errc::BadValue);
    CHECK(edited(pull, set("lim", 0x100000000ull)) == Errc::BadValue);
    CHECK(edited(pull, set("cur", -5)) == Errc::BadValue);
    CHECK(edited(changes, [](J& d) { d["cs"][0]["h"] = 0; }) == Errc::BadValue);
    CHECK(edited(error, set("c", 0)) == Errc::BadValue);
    CHECK(edited(error, set("c", 0x10000)) == Errc::BadValue);
    CHECK(edited(goodbye, set("c", 0)) == Errc::Ok);
    CHECK(edited(goodbye, set("c", 0x10000)) == Errc::BadValue);
}

TEST_CASE("decode error messages name the field", "[unit][codec][errors]") {
    const zp::Message push = zb::test::golden::messages().at(6);
    auto dom = dom_of(push);
    dom["cs"][4]["o"] = 9;
    const std::string msg = zb::test::decode_message(to_cbor(dom));
    CHECK(msg.find("push.cs[4].o") != std::string::npos);
    dom = dom_of(push);
    dom.erase("sig");
    CHECK(zb::test::decode_message(to_cbor(dom)) == "push.sig: missing");
}

TEST_CASE("type names", "[unit][codec]") {
    CHECK(zp::type_name(zp::MsgType::Hello) == "hello");
    CHECK(zp::type_name(zp::MsgType::AuthOk) == "auth_ok");
    CHECK(zp::type_name(zp::MsgType::PushAck) == "push_ack");
    CHECK(zp::type_name(zp::MsgType::Wipe) == "wipe");
    CHECK(zp::type_name(static_cast<zp::MsgType>(0)) == "unknown");
    CHECK(zp::type_name(static_cast<zp::MsgType>(25)) == "unknown");
    CHECK(zp::type_of(zp::Message{zp::ErrorMsg{}}) == zp::MsgType::Error);
}
