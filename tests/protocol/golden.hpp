// SPDX-License-Identifier: Apache-2.0
// The golden message set: one fixed, realistic message per MsgType, shared by the golden-vector
// test and the generator that writes tests/data/protocol/<name>.{cbor,json}. describe() renders a
// message as readable JSON with full field names (the .json half of each vector).
#pragma once

#include "zb/protocol/codec.hpp"
#include "zb/protocol/messages.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace zb::test::golden {

namespace zp = zb::protocol;

inline constexpr zp::DeviceId kDevice = 0x1122334455667788ULL;
inline constexpr zp::DeviceId kOtherDevice = 0x0A0B0C0D0E0F1011ULL;
inline constexpr std::uint64_t kMillis = 1732000000000ULL;

inline zp::Bytes pattern(std::size_t n, std::uint8_t start, std::uint8_t step) {
    zp::Bytes b(n);
    for (std::size_t i = 0; i < n; ++i)
        b[i] = static_cast<std::uint8_t>(start + i * step);
    return b;
}

inline zp::Change change(std::string table, std::string row, std::string column, zp::Op op,
                         zp::Value value, zp::Hlc hlc, zp::Hlc base, zp::DeviceId origin,
                         std::uint64_t seq) {
    zp::Change c;
    c.table = std::move(table);
    c.row = std::move(row);
    c.column = std::move(column);
    c.op = op;
    c.value = std::move(value);
    c.hlc = hlc;
    c.base = base;
    c.origin = origin;
    c.seq = seq;
    return c;
}

// Every op and every value type, including the integer/real/text/bytes look-alikes of 7 and the
// int64 extremes.
inline std::vector<zp::Change> push_changes() {
    const std::string row = "3f2b9c1e-7d4a-4e8b-9a61-5c0d2e8f4b17";
    auto h = [](std::uint16_t logical) { return zp::Hlc::make(kMillis, logical); };
    const zp::Hlc base = zp::Hlc::make(kMillis - 60000, 2);
    return {
        change("members", row, "name", zp::Op::Set, zp::Value{std::string("王芳")}, h(0), {},
               kDevice, 42),
        change("members", row, "dues_paid", zp::Op::Set, zp::Value{std::int64_t{7}}, h(1), base,
               kDevice, 43),
        change("members", row, "score", zp::Op::Set, zp::Value{7.0}, h(2), base, kDevice, 44),
        change("members", row, "badge", zp::Op::Set, zp::Value{std::string("7")}, h(3), {}, kDevice,
               45),
        change("members", row, "photo", zp::Op::Set, zp::Value{zp::Bytes{7}}, h(4), {}, kDevice,
               46),
        change("members", row, "note", zp::Op::Set, zp::Value{}, h(5), base, kDevice, 47),
        change("members", row, "balance", zp::Op::Set,
               zp::Value{std::numeric_limits<std::int64_t>::min()}, h(6), {}, kDevice, 48),
        change("members", row, "limit", zp::Op::Set,
               zp::Value{std::numeric_limits<std::int64_t>::max()}, h(7), {}, kDevice, 49),
        change("members", row, "ratio", zp::Op::Set, zp::Value{-0.1}, h(8), {}, kDevice, 50),
        change("attendance", "meeting-2024-11", "count", zp::Op::Count, zp::Value{std::int64_t{3}},
               h(9), {}, kDevice, 51),
        change("notes", "note-17", "", zp::Op::Delete, zp::Value{}, h(10), {}, kDevice, 52),
        change("notes", "note-17", "", zp::Op::Restore, zp::Value{}, h(11), {}, kDevice, 53),
        change("dues", "payment-9", "approve", zp::Op::Command,
               zp::Value{std::string(R"({"amount":100})")}, h(12), {}, kDevice, 54),
    };
}

// A two-chunk learning pack: one full chunk and 16 bytes.
inline zp::AttachmentManifest golden_manifest() {
    return zp::AttachmentManifest{
        {pattern(32, 0x00, 1), pattern(32, 0x10, 1)}, zp::kChunkSize + 16, "application/pdf"};
}

// The golden set in MsgType order; names are type_name() of each message.
inline std::vector<zp::Message> messages() {
    std::vector<zp::Message> out;
    out.emplace_back(zp::Hello{1, 1, "zhibu-android/1.0", kDevice});
    out.emplace_back(zp::Welcome{1, pattern(32, 0x00, 1), "zb-server-1", kMillis});
    out.emplace_back(zp::Enroll{"K7Q2-9XPM", pattern(32, 0xA0, 1), "李伟的手机"});
    out.emplace_back(zp::Enrolled{kDevice, "person-0042", "secretary", "/org/branch-3"});
    out.emplace_back(zp::Auth{kDevice, pattern(64, 0x01, 3), ""});
    out.emplace_back(zp::AuthOk{"tok.v1.9f8e7d6c",
                                kMillis + 3600000,
                                "person-0042",
                                "secretary",
                                {"/org/branch-3", "/org/branch-3/group-1"},
                                41});
    out.emplace_back(zp::Push{42, push_changes(), pattern(64, 0x40, 5)});
    out.emplace_back(zp::PushAck{
        42,
        {{42, zp::Errc::Ok, ""}, {43, zp::Errc::Forbidden, "role member may not write dues_paid"}},
        54});
    out.emplace_back(zp::Pull{1234, 500});
    out.emplace_back(zp::Changes{
        {change("members", "row-1", "name", zp::Op::Set, zp::Value{std::string("Zhang San")},
                zp::Hlc::make(kMillis + 5, 0), {}, kOtherDevice, 7),
         change("members", "row-1", "", zp::Op::Delete, zp::Value{}, zp::Hlc::make(kMillis + 9, 1),
                {}, kOtherDevice, 8)},
        1300,
        true,
        500,
        1500});
    out.emplace_back(zp::Notify{1301});
    out.emplace_back(zp::ErrorMsg{zp::Errc::UnexpectedMessage, "push before auth"});
    out.emplace_back(zp::Goodbye{zp::Errc::ShuttingDown, "server restart"});
    out.emplace_back(zp::Wipe{"device revoked by administrator"});
    // Attachments (protocol 2). The codec does not hash, so the hashes are fixed patterns.
    out.emplace_back(zp::PutChunk{pattern(32, 0x10, 1), pattern(16, 0xC0, 1)});
    out.emplace_back(zp::PutManifest{golden_manifest()});
    out.emplace_back(
        zp::BlobAck{pattern(32, 0x10, 1), zp::Errc::QuotaExceeded, "upload quota of 512 MiB used"});
    out.emplace_back(zp::GetManifest{pattern(32, 0x80, 1), "content", "pack-2024-19th", "pack"});
    out.emplace_back(zp::ManifestMsg{pattern(32, 0x80, 1), zp::Errc::Ok, golden_manifest()});
    out.emplace_back(zp::GetChunk{pattern(32, 0x80, 1), pattern(32, 0x10, 1)});
    out.emplace_back(zp::Chunk{pattern(32, 0x10, 1), zp::Errc::Ok, pattern(16, 0xC0, 1)});
    // Tiers (protocol 3): a college relays two origins' changes with their own seqs.
    out.emplace_back(zp::RelayPush{
        7,
        {change("members", "row-1", "name", zp::Op::Set, zp::Value{std::string("Zhang San")},
                zp::Hlc::make(kMillis + 5, 0), {}, kOtherDevice, 7),
         change("dues", "row-9", "paid", zp::Op::Count, zp::Value{std::int64_t{30}},
                zp::Hlc::make(kMillis + 6, 0), {}, kDevice, 3)},
        pattern(64, 0x20, 7)});
    out.emplace_back(
        zp::RelayAck{7,
                     {{kOtherDevice, 7, zp::Errc::Ok, ""},
                      {kDevice, 3, zp::Errc::OutOfScope, "row is outside the relay's subtree"}}});
    return out;
}

inline std::string hex(const zp::Bytes& b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (std::uint8_t x : b) {
        s += kDigits[x >> 4];
        s += kDigits[x & 0xF];
    }
    return s;
}

inline nlohmann::json describe_value(const zp::Value& v) {
    switch (zp::type_of(v)) {
        case zp::ValueType::Null:
            return nullptr;
        case zp::ValueType::Integer:
            return {{"integer", std::get<std::int64_t>(v)}};
        case zp::ValueType::Real:
            return {{"real", zp::to_display(v)}};
        case zp::ValueType::Text:
            return {{"text", std::get<std::string>(v)}};
        case zp::ValueType::Bytes:
            return {{"bytes", hex(std::get<zp::Bytes>(v))}};
    }
    return nullptr;
}

inline nlohmann::json describe_change(const zp::Change& c) {
    return {{"table", c.table},
            {"row", c.row},
            {"column", c.column},
            {"op", static_cast<int>(c.op)},
            {"value", describe_value(c.value)},
            {"hlc", zp::to_string(c.hlc)},
            {"base", zp::to_string(c.base)},
            {"origin", c.origin},
            {"seq", c.seq}};
}

inline nlohmann::json describe_changes(const std::vector<zp::Change>& cs) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& c : cs)
        a.push_back(describe_change(c));
    return a;
}

inline nlohmann::json errc_json(zp::Errc e) {
    return {{"code", static_cast<int>(e)}, {"name", std::string(zp::errc_name(e))}};
}

struct Describer {
    nlohmann::json operator()(const zp::Hello& m) const {
        return {{"min_version", m.min_version},
                {"max_version", m.max_version},
                {"client", m.client},
                {"device", m.device}};
    }
    nlohmann::json operator()(const zp::Welcome& m) const {
        return {{"version", m.version},
                {"challenge", hex(m.challenge)},
                {"server_id", m.server_id},
                {"server_time_ms", m.server_time_ms}};
    }
    nlohmann::json operator()(const zp::Enroll& m) const {
        return {
            {"code", m.code}, {"public_key", hex(m.public_key)}, {"device_name", m.device_name}};
    }
    nlohmann::json operator()(const zp::Enrolled& m) const {
        return {{"device", m.device}, {"person", m.person}, {"role", m.role}, {"org", m.org}};
    }
    nlohmann::json operator()(const zp::Auth& m) const {
        return {{"device", m.device}, {"signature", hex(m.signature)}, {"token", m.token}};
    }
    nlohmann::json operator()(const zp::AuthOk& m) const {
        return {{"token", m.token},   {"token_expires_ms", m.token_expires_ms},
                {"person", m.person}, {"role", m.role},
                {"scopes", m.scopes}, {"acked_seq", m.acked_seq}};
    }
    nlohmann::json operator()(const zp::Push& m) const {
        return {{"batch", m.batch},
                {"changes", describe_changes(m.changes)},
                {"signature", hex(m.signature)}};
    }
    nlohmann::json operator()(const zp::PushAck& m) const {
        nlohmann::json rs = nlohmann::json::array();
        for (const auto& r : m.results) {
            rs.push_back({{"seq", r.seq}, {"code", errc_json(r.code)}, {"message", r.message}});
        }
        return {{"batch", m.batch}, {"results", rs}, {"acked_seq", m.acked_seq}};
    }
    nlohmann::json operator()(const zp::Pull& m) const {
        return {{"cursor", m.cursor}, {"limit", m.limit}};
    }
    nlohmann::json operator()(const zp::Changes& m) const {
        return {{"changes", describe_changes(m.changes)},
                {"cursor", m.cursor},
                {"has_more", m.has_more},
                {"done", m.done},
                {"total", m.total}};
    }
    nlohmann::json operator()(const zp::Notify& m) const { return {{"cursor", m.cursor}}; }
    nlohmann::json operator()(const zp::ErrorMsg& m) const {
        return {{"code", errc_json(m.code)}, {"message", m.message}};
    }
    nlohmann::json operator()(const zp::Goodbye& m) const {
        return {{"code", errc_json(m.code)}, {"reason", m.reason}};
    }
    nlohmann::json operator()(const zp::Wipe& m) const { return {{"reason", m.reason}}; }
    static nlohmann::json manifest(const zp::AttachmentManifest& m) {
        nlohmann::json cs = nlohmann::json::array();
        for (const auto& h : m.chunks)
            cs.push_back(hex(h));
        return {{"chunks", cs}, {"size", m.size}, {"media_type", m.media_type}};
    }
    nlohmann::json operator()(const zp::PutChunk& m) const {
        return {{"hash", hex(m.hash)}, {"data", hex(m.data)}};
    }
    nlohmann::json operator()(const zp::PutManifest& m) const {
        return {{"manifest", manifest(m.manifest)}};
    }
    nlohmann::json operator()(const zp::BlobAck& m) const {
        return {{"hash", hex(m.hash)}, {"code", errc_json(m.code)}, {"message", m.message}};
    }
    nlohmann::json operator()(const zp::GetManifest& m) const {
        return {{"id", hex(m.id)}, {"table", m.table}, {"row", m.row}, {"column", m.column}};
    }
    nlohmann::json operator()(const zp::ManifestMsg& m) const {
        return {{"id", hex(m.id)}, {"code", errc_json(m.code)}, {"manifest", manifest(m.manifest)}};
    }
    nlohmann::json operator()(const zp::GetChunk& m) const {
        return {{"id", hex(m.id)}, {"hash", hex(m.hash)}};
    }
    nlohmann::json operator()(const zp::Chunk& m) const {
        return {{"hash", hex(m.hash)}, {"code", errc_json(m.code)}, {"data", hex(m.data)}};
    }
    nlohmann::json operator()(const zp::RelayPush& m) const {
        return {{"batch", m.batch},
                {"changes", describe_changes(m.changes)},
                {"signature", hex(m.signature)}};
    }
    nlohmann::json operator()(const zp::RelayAck& m) const {
        nlohmann::json rs = nlohmann::json::array();
        for (const auto& r : m.results) {
            rs.push_back({{"origin", r.origin},
                          {"seq", r.seq},
                          {"code", errc_json(r.code)},
                          {"message", r.message}});
        }
        return {{"batch", m.batch}, {"results", rs}};
    }
};

/// {"type": "<name>", "type_number": n, "fields": {...}, "cbor_hex": "..."}
inline nlohmann::json describe(const zp::Message& m) {
    const zp::MsgType t = zp::type_of(m);
    return {{"type", std::string(zp::type_name(t))},
            {"type_number", static_cast<int>(t)},
            {"fields", std::visit(Describer{}, m)},
            {"cbor_hex", hex(zp::encode(m))}};
}

// ---- compressed (protocol 4): not a Message alternative, so it has its own vector ----

/// The golden `compressed` wrapper: the golden changes message, deflated at level 6.
inline zp::Compressed compressed_vector() {
    return zp::compress(zp::encode(messages().at(9)), 6);
}

inline nlohmann::json describe_compressed(const zp::Compressed& c) {
    return {{"type", "compressed"},
            {"type_number", static_cast<int>(zp::MsgType::Compressed)},
            {"fields",
             {{"algorithm", static_cast<int>(c.algorithm)},
              {"raw_size", c.raw_size},
              {"body_hex", hex(c.body)},
              {"inner", "changes"}}},
            {"cbor_hex", hex(zp::encode_compressed(c))}};
}

}  // namespace zb::test::golden
