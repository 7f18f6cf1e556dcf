// SPDX-License-Identifier: Apache-2.0
// Golden vectors in tests/data/protocol, checked in both directions: the checked-in bytes decode
// to the message built here, and encoding that message reproduces the bytes exactly. Any change
// of the encoding fails this test; regenerate deliberately with protocol_golden_gen (golden.hpp)
// and record the change in protocol/SPEC.md.

#include "golden.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

namespace zp = zb::protocol;

namespace {

const std::filesystem::path kDir = std::filesystem::path(ZB_TEST_DATA_DIR) / "protocol";

zp::Bytes read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE(in.good());
    return zp::Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("golden vectors decode to the expected messages and encode to the same bytes",
          "[unit][golden]") {
    for (const auto& expected : zb::test::golden::messages()) {
        const std::string name(zp::type_name(zp::type_of(expected)));
        INFO("vector " << name << " (regenerate only on purpose: protocol_golden_gen)");
        const zp::Bytes bytes = read_bytes(kDir / (name + ".cbor"));

        const auto decoded = zp::decode(bytes);
        REQUIRE(decoded.ok());
        CHECK(decoded.value() == expected);

        const zp::Bytes encoded = zp::encode(expected);
        CHECK(zb::test::golden::hex(encoded) == zb::test::golden::hex(bytes));

        std::ifstream json_in(kDir / (name + ".json"));
        REQUIRE(json_in.good());
        const auto described = nlohmann::json::parse(json_in);
        CHECK(described == zb::test::golden::describe(expected));
    }
}

TEST_CASE("there is exactly one golden vector pair per message type", "[unit][golden]") {
    std::set<std::string> want;
    for (const auto& m : zb::test::golden::messages()) {
        const std::string name(zp::type_name(zp::type_of(m)));
        want.insert(name + ".cbor");
        want.insert(name + ".json");
    }
    want.insert("compressed.cbor");  // the protocol-4 wrapper (compressed_test.cpp)
    want.insert("compressed.json");
    CHECK(want.size() == 48);
    std::set<std::string> have;
    for (const auto& e : std::filesystem::directory_iterator(kDir)) {
        have.insert(e.path().filename().string());
    }
    CHECK(have == want);
}

TEST_CASE("golden push covers every op and value type", "[unit][golden]") {
    const auto push = std::get<zp::Push>(zb::test::golden::messages().at(6));
    std::set<int> ops;
    std::set<std::size_t> types;
    for (const auto& c : push.changes) {
        ops.insert(static_cast<int>(c.op));
        types.insert(c.value.index());
    }
    CHECK(ops == std::set<int>{1, 2, 3, 4, 5});
    CHECK(types == std::set<std::size_t>{0, 1, 2, 3, 4});
}
