// SPDX-License-Identifier: Apache-2.0
// The attachment messages of protocol 2 (SPEC.md §14): round trips, and every malformed or
// oversized form refused by the decoder with its code (a chunk over 256 KiB, a hash of the wrong
// length, a manifest whose size disagrees with its chunk count, a refused answer carrying bytes,
// a half-given referencing cell). Also the id's payload and the text form cells use.
#include "zb/protocol/codec.hpp"
#include "zb/protocol/messages.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace zp = zb::protocol;
using zp::Bytes;
using zp::Errc;

namespace {

Bytes filled(std::size_t n, std::uint8_t v) {
    return Bytes(n, v);
}

zp::AttachmentManifest three_chunks() {
    return zp::AttachmentManifest{
        {filled(32, 1), filled(32, 2), filled(32, 3)}, 2 * zp::kChunkSize + 5, "image/jpeg"};
}

Errc code_of(const nlohmann::json& j) {
    const auto cbor = nlohmann::json::to_cbor(j);
    auto r = zp::decode(Bytes(cbor.begin(), cbor.end()));
    REQUIRE_FALSE(r.ok());
    return r.error().code;
}

nlohmann::json bin(const Bytes& b) {
    return nlohmann::json::binary(Bytes(b));
}

nlohmann::json manifest_json(std::vector<Bytes> chunks, std::uint64_t size, std::string mt) {
    nlohmann::json cs = nlohmann::json::array();
    for (const auto& c : chunks)
        cs.push_back(bin(c));
    return {{"cs", cs}, {"sz", size}, {"mt", mt}};
}

}  // namespace

TEST_CASE("attachment messages round-trip exactly", "[unit][attach]") {
    const std::vector<zp::Message> all = {
        zp::PutChunk{filled(32, 9), filled(zp::kChunkSize, 0x5a)},
        zp::PutManifest{three_chunks()},
        zp::BlobAck{filled(32, 9), Errc::HashMismatch, "chunk bytes do not match its hash"},
        zp::GetManifest{filled(32, 7), "photos", "meeting-1/photo-2", "photo"},
        zp::GetManifest{filled(32, 7), "", "", ""},
        zp::ManifestMsg{filled(32, 7), Errc::Ok, three_chunks()},
        zp::ManifestMsg{filled(32, 7), Errc::OutOfScope, {}},
        zp::GetChunk{filled(32, 7), filled(32, 2)},
        zp::Chunk{filled(32, 2), Errc::Ok, filled(1, 0)},
        zp::Chunk{filled(32, 2), Errc::NotFound, {}},
    };
    for (const auto& m : all) {
        INFO(zp::type_name(zp::type_of(m)));
        const Bytes bytes = zp::encode(m);
        auto back = zp::decode(bytes);
        REQUIRE(back.ok());
        CHECK(back.value() == m);
        CHECK(zp::encode(back.value()) == bytes);
    }
    // A full chunk frame stays far below the frame and byte-string limits.
    CHECK(zp::encode(all[0]).size() < zp::Limits{}.max_bytes);
}

TEST_CASE("oversized and malformed attachment messages are refused", "[unit][attach]") {
    const Bytes h = filled(32, 1);
    // put_chunk: data over 256 KiB, empty data, a 31-byte hash, text instead of bytes.
    CHECK(code_of({{"t", 15}, {"h", bin(h)}, {"data", bin(filled(zp::kChunkSize + 1, 0))}}) ==
          Errc::BadValue);
    CHECK(code_of({{"t", 15}, {"h", bin(h)}, {"data", bin({})}}) == Errc::BadValue);
    CHECK(code_of({{"t", 15}, {"h", bin(filled(31, 1))}, {"data", bin(filled(4, 0))}}) ==
          Errc::BadValue);
    CHECK(code_of({{"t", 15}, {"h", bin(h)}, {"data", "text"}}) == Errc::WrongType);
    CHECK(code_of({{"t", 15}, {"h", bin(h)}}) == Errc::MissingField);
    // A byte string beyond max_bytes never reaches the message layer.
    CHECK(code_of({{"t", 15}, {"h", bin(h)}, {"data", bin(filled((1u << 20) + 1, 0))}}) ==
          Errc::TooLarge);

    // put_manifest: size too small / too large for the chunk count, no chunks, a short hash,
    // a media type over 255 bytes, a map that is not a manifest.
    CHECK(code_of({{"t", 16}, {"mf", manifest_json({h, h}, zp::kChunkSize, "a/b")}}) ==
          Errc::BadValue);
    CHECK(code_of({{"t", 16}, {"mf", manifest_json({h}, zp::kChunkSize + 1, "a/b")}}) ==
          Errc::BadValue);
    CHECK(code_of({{"t", 16}, {"mf", manifest_json({}, 0, "")}}) == Errc::BadValue);
    CHECK(code_of({{"t", 16}, {"mf", manifest_json({filled(16, 1)}, 10, "a/b")}}) ==
          Errc::BadValue);
    CHECK(code_of({{"t", 16}, {"mf", manifest_json({h}, 10, std::string(256, 'x'))}}) ==
          Errc::BadValue);
    CHECK(code_of({{"t", 16}, {"mf", 7}}) == Errc::WrongType);
    {
        nlohmann::json mf = manifest_json({h}, 10, "a/b");
        mf["cs"] = nlohmann::json::array({"not bytes"});
        CHECK(code_of({{"t", 16}, {"mf", mf}}) == Errc::WrongType);
    }
    // More chunk hashes than a manifest may hold (decoder limit raised so the array is read).
    {
        std::vector<Bytes> many(zp::kMaxManifestChunks + 1, h);
        const auto cbor = nlohmann::json::to_cbor(
            {{"t", 16}, {"mf", manifest_json(many, many.size() * zp::kChunkSize, "a/b")}});
        auto r = zp::decode(Bytes(cbor.begin(), cbor.end()));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::TooLarge);
    }

    // get_manifest: a referencing cell given in part.
    CHECK(code_of({{"t", 18}, {"id", bin(h)}, {"tb", "photos"}, {"r", ""}, {"c", "photo"}}) ==
          Errc::BadValue);
    // manifest: a refusal that still carries chunks; an Ok with an empty manifest.
    CHECK(code_of({{"t", 19}, {"id", bin(h)}, {"c", 401}, {"mf", manifest_json({h}, 10, "a/b")}}) ==
          Errc::BadValue);
    CHECK(code_of({{"t", 19}, {"id", bin(h)}, {"c", 0}, {"mf", manifest_json({}, 0, "")}}) ==
          Errc::BadValue);
    // chunk: a refusal carrying bytes, an Ok without bytes, a code beyond u16.
    CHECK(code_of({{"t", 21}, {"h", bin(h)}, {"c", 507}, {"data", bin(filled(3, 1))}}) ==
          Errc::BadValue);
    CHECK(code_of({{"t", 21}, {"h", bin(h)}, {"c", 0}, {"data", bin({})}}) == Errc::BadValue);
    CHECK(code_of({{"t", 21}, {"h", bin(h)}, {"c", 70000}, {"data", bin({})}}) == Errc::BadValue);
    // get_chunk and blob_ack need both hashes.
    CHECK(code_of({{"t", 20}, {"id", bin(h)}}) == Errc::MissingField);
    CHECK(code_of({{"t", 17}, {"h", bin(filled(33, 0))}, {"c", 0}, {"m", ""}}) == Errc::BadValue);
}

TEST_CASE("manifest payload, validity and the text reference", "[unit][attach]") {
    const auto m = three_chunks();
    CHECK(zp::valid_manifest(m));
    const Bytes p = zp::manifest_payload(m);
    const std::string prefix = "zhibu-manifest-v1";
    REQUIRE(p.size() > prefix.size());
    CHECK(std::string(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(prefix.size())) == prefix);
    CHECK(Bytes(p.begin() + static_cast<std::ptrdiff_t>(prefix.size()), p.end()) ==
          zp::encode_manifest(m));
    auto other = m;
    other.media_type = "image/png";
    CHECK(zp::manifest_payload(other) != p);  // same bytes, other type: another id

    // Boundaries of fixed-size chunking.
    CHECK(zp::valid_manifest({{filled(32, 1)}, 1, ""}));
    CHECK(zp::valid_manifest({{filled(32, 1)}, zp::kChunkSize, ""}));
    CHECK_FALSE(zp::valid_manifest({{filled(32, 1)}, 0, ""}));
    CHECK_FALSE(zp::valid_manifest({{filled(32, 1), filled(32, 2)}, zp::kChunkSize, ""}));

    const Bytes id = filled(32, 0xab);
    const std::string ref = zp::attachment_ref(id);
    std::string want;
    for (int i = 0; i < 32; ++i)
        want += "ab";
    CHECK(ref == want);
    CHECK(zp::parse_attachment_ref(zp::Value{ref}) == id);
    std::string upper = ref;
    upper[0] = 'A';
    CHECK(zp::parse_attachment_ref(zp::Value{upper}).empty());
    CHECK(zp::parse_attachment_ref(zp::Value{ref.substr(1)}).empty());
    CHECK(zp::parse_attachment_ref(zp::Value{id}).empty());  // bytes are not a reference
    CHECK(zp::parse_attachment_ref(zp::Value{}).empty());
}
