// SPDX-License-Identifier: Apache-2.0
// CBOR encoding and strict decoding of protocol messages (protocol/SPEC.md, "Encoding").
// Encoding builds an nlohmann::json map and serialises it with to_cbor (map keys come out sorted,
// integers in their shortest form, so equal messages give equal bytes). Decoding runs the CBOR
// reader in SAX mode with a DOM builder that enforces every Limit while parsing, then maps the
// DOM onto the message structs. Nothing escapes decode(): all failures become an Error.
// `compressed` (version 4) is handled here too, so every caller gets it: encode() with
// CompressOptions wraps, decode() unwraps. zlib runs one-shot (compress2 / a single bounded
// inflate into a buffer of exactly raw_size), so no state survives a call.

#include "zb/protocol/codec.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include <zlib.h>

namespace zb::protocol {
namespace {

using Json = nlohmann::json;

static_assert(std::variant_size_v<Message> == 23, "one alternative per MsgType");
static_assert(std::is_same_v<std::variant_alternative_t<22, Message>, RelayAck>,
              "relay messages follow in MsgType order");
static_assert(std::is_same_v<std::variant_alternative_t<20, Message>, Chunk>,
              "attachment messages follow in MsgType order");
static_assert(std::is_same_v<std::variant_alternative_t<11, Message>, ErrorMsg>,
              "Message alternatives are in MsgType order");

// Internal failure carrier. Thrown only inside this file and always caught in decode().
struct Failure {
    Errc code;
    std::string message;
};

[[noreturn]] void fail(Errc code, std::string message) {
    throw Failure{code, std::move(message)};
}

// ---------------------------------------------------------------------------------------------
// Encoding

Json encode_value(const Value& v) {
    switch (v.index()) {
        case 0:
            return Json(nullptr);
        case 1:
            return Json(std::get<1>(v));
        case 2:
            return Json(std::get<2>(v));  // NaN is written as the canonical f97e00
        case 3:
            return Json(std::get<3>(v));
        default:
            return Json::binary(Bytes(std::get<4>(v)));
    }
}

Json encode_bytes(const Bytes& b) {
    return Json::binary(Bytes(b));
}

Json encode_change(const Change& c) {
    Json j = Json::object();
    j["tb"] = c.table;
    j["r"] = c.row;
    j["c"] = c.column;
    j["o"] = static_cast<std::uint64_t>(c.op);
    j["v"] = encode_value(c.value);
    j["h"] = c.hlc.raw;
    j["b"] = c.base.raw;
    j["d"] = c.origin;
    j["s"] = c.seq;
    return j;
}

Json encode_change_array(const std::vector<Change>& changes) {
    Json a = Json::array();
    for (const Change& c : changes)
        a.push_back(encode_change(c));
    return a;
}

Json envelope(MsgType t) {
    Json j = Json::object();
    j["t"] = static_cast<std::uint64_t>(t);
    return j;
}

std::uint64_t code_number(Errc c) {
    return static_cast<std::uint64_t>(c);
}

Json to_json(const Hello& m) {
    Json j = envelope(MsgType::Hello);
    j["min"] = m.min_version;
    j["max"] = m.max_version;
    j["cl"] = m.client;
    j["d"] = m.device;
    return j;
}

Json to_json(const Welcome& m) {
    Json j = envelope(MsgType::Welcome);
    j["v"] = m.version;
    j["ch"] = encode_bytes(m.challenge);
    j["sid"] = m.server_id;
    j["now"] = m.server_time_ms;
    return j;
}

Json to_json(const Enroll& m) {
    Json j = envelope(MsgType::Enroll);
    j["code"] = m.code;
    j["pk"] = encode_bytes(m.public_key);
    j["name"] = m.device_name;
    return j;
}

Json to_json(const Enrolled& m) {
    Json j = envelope(MsgType::Enrolled);
    j["d"] = m.device;
    j["p"] = m.person;
    j["role"] = m.role;
    j["org"] = m.org;
    return j;
}

Json to_json(const Auth& m) {
    Json j = envelope(MsgType::Auth);
    j["d"] = m.device;
    j["sig"] = encode_bytes(m.signature);
    j["tok"] = m.token;
    return j;
}

Json to_json(const AuthOk& m) {
    Json j = envelope(MsgType::AuthOk);
    j["tok"] = m.token;
    j["exp"] = m.token_expires_ms;
    j["p"] = m.person;
    j["role"] = m.role;
    Json scopes = Json::array();
    for (const std::string& s : m.scopes)
        scopes.push_back(s);
    j["sc"] = std::move(scopes);
    j["ack"] = m.acked_seq;
    return j;
}

Json to_json(const Push& m) {
    Json j = envelope(MsgType::Push);
    j["b"] = m.batch;
    j["cs"] = encode_change_array(m.changes);
    j["sig"] = encode_bytes(m.signature);
    return j;
}

Json to_json(const PushAck& m) {
    Json j = envelope(MsgType::PushAck);
    j["b"] = m.batch;
    Json results = Json::array();
    for (const ChangeResult& r : m.results) {
        Json e = Json::object();
        e["s"] = r.seq;
        e["c"] = code_number(r.code);
        e["m"] = r.message;
        results.push_back(std::move(e));
    }
    j["rs"] = std::move(results);
    j["ack"] = m.acked_seq;
    return j;
}

Json to_json(const Pull& m) {
    Json j = envelope(MsgType::Pull);
    j["cur"] = m.cursor;
    j["lim"] = m.limit;
    return j;
}

Json to_json(const Changes& m) {
    Json j = envelope(MsgType::Changes);
    j["cs"] = encode_change_array(m.changes);
    j["cur"] = m.cursor;
    j["more"] = m.has_more;
    j["done"] = m.done;
    j["total"] = m.total;
    return j;
}

Json to_json(const Notify& m) {
    Json j = envelope(MsgType::Notify);
    j["cur"] = m.cursor;
    return j;
}

Json to_json(const ErrorMsg& m) {
    Json j = envelope(MsgType::Error);
    j["c"] = code_number(m.code);
    j["m"] = m.message;
    return j;
}

Json to_json(const Goodbye& m) {
    Json j = envelope(MsgType::Goodbye);
    j["c"] = code_number(m.code);
    j["m"] = m.reason;
    return j;
}

Json to_json(const Wipe& m) {
    Json j = envelope(MsgType::Wipe);
    j["m"] = m.reason;
    return j;
}

// Attachments (SPEC.md §14). A manifest is a nested map so its canonical bytes can be hashed on
// their own (manifest_payload).
Json encode_manifest_map(const AttachmentManifest& m) {
    Json j = Json::object();
    Json cs = Json::array();
    for (const Bytes& h : m.chunks)
        cs.push_back(encode_bytes(h));
    j["cs"] = std::move(cs);
    j["sz"] = m.size;
    j["mt"] = m.media_type;
    return j;
}

Json to_json(const PutChunk& m) {
    Json j = envelope(MsgType::PutChunk);
    j["h"] = encode_bytes(m.hash);
    j["data"] = encode_bytes(m.data);
    return j;
}

Json to_json(const PutManifest& m) {
    Json j = envelope(MsgType::PutManifest);
    j["mf"] = encode_manifest_map(m.manifest);
    return j;
}

Json to_json(const BlobAck& m) {
    Json j = envelope(MsgType::BlobAck);
    j["h"] = encode_bytes(m.hash);
    j["c"] = code_number(m.code);
    j["m"] = m.message;
    return j;
}

Json to_json(const GetManifest& m) {
    Json j = envelope(MsgType::GetManifest);
    j["id"] = encode_bytes(m.id);
    j["tb"] = m.table;
    j["r"] = m.row;
    j["c"] = m.column;
    return j;
}

Json to_json(const ManifestMsg& m) {
    Json j = envelope(MsgType::Manifest);
    j["id"] = encode_bytes(m.id);
    j["c"] = code_number(m.code);
    j["mf"] = encode_manifest_map(m.manifest);
    return j;
}

Json to_json(const GetChunk& m) {
    Json j = envelope(MsgType::GetChunk);
    j["id"] = encode_bytes(m.id);
    j["h"] = encode_bytes(m.hash);
    return j;
}

Json to_json(const Chunk& m) {
    Json j = envelope(MsgType::Chunk);
    j["h"] = encode_bytes(m.hash);
    j["c"] = code_number(m.code);
    j["data"] = encode_bytes(m.data);
    return j;
}

// Tiers (SPEC.md §15).
Json to_json(const RelayPush& m) {
    Json j = envelope(MsgType::RelayPush);
    j["b"] = m.batch;
    j["cs"] = encode_change_array(m.changes);
    j["sig"] = encode_bytes(m.signature);
    return j;
}

Json to_json(const RelayAck& m) {
    Json j = envelope(MsgType::RelayAck);
    j["b"] = m.batch;
    Json results = Json::array();
    for (const RelayResult& r : m.results) {
        Json e = Json::object();
        e["d"] = r.origin;
        e["s"] = r.seq;
        e["c"] = code_number(r.code);
        e["m"] = r.message;
        results.push_back(std::move(e));
    }
    j["rs"] = std::move(results);
    return j;
}

// ---------------------------------------------------------------------------------------------
// Decoding, stage 1: CBOR -> bounded DOM

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(const std::string& s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        std::size_t n = 0;
        std::uint32_t cp = 0;
        std::uint32_t min = 0;
        if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1Fu, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0Fu, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (static_cast<std::size_t>(end - p) <= n) return false;
        for (std::size_t i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        p += n + 1;
    }
    return true;
}

// SAX handler for nlohmann's CBOR reader that builds a DOM and refuses, as soon as it is seen,
// anything beyond the limits: declared or counted entries > max_items, depth > max_depth, text
// > max_string, bytes > max_bytes. Returning false stops the reader immediately, so nothing
// beyond the limits is ever allocated and the reader's recursion is bounded by max_depth.
class BoundedDomBuilder {
public:
    explicit BoundedDomBuilder(const Limits& limits) : limits_(limits) {}

    bool null() { return put(Json(nullptr)); }
    bool boolean(bool v) { return put(Json(v)); }
    bool number_integer(Json::number_integer_t v) {
        // The CBOR reader only reports negative integers here; a non-negative value means that
        // -1 - n wrapped around, i.e. the encoded integer was below -2^63.
        if (v >= 0) return stop(Errc::BadValue, "negative integer below -2^63");
        return put(Json(v));
    }
    bool number_unsigned(Json::number_unsigned_t v) { return put(Json(v)); }
    bool number_float(Json::number_float_t v, const Json::string_t& /*unused*/) {
        // Every NaN decodes as the one canonical quiet NaN (SPEC.md, "Values").
        if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
        return put(Json(v));
    }
    bool string(Json::string_t& s) {
        if (!check_text(s, "text string")) return false;
        return put(Json(std::move(s)));
    }
    bool binary(Json::binary_t& b) {
        if (b.size() > limits_.max_bytes) {
            return stop(Errc::TooLarge, "byte string of " + std::to_string(b.size()) +
                                            " bytes exceeds the limit of " +
                                            std::to_string(limits_.max_bytes));
        }
        Bytes raw(b.begin(), b.end());
        return put(Json::binary(std::move(raw)));
    }
    bool start_object(std::size_t declared) { return open(Json::object(), declared, "map"); }
    bool key(Json::string_t& k) {
        if (!check_text(k, "map key")) return false;
        const Json& obj = *stack_.back().node;
        if (obj.contains(k)) return stop(Errc::Malformed, "duplicate map key \"" + k + "\"");
        key_ = std::move(k);
        return true;
    }
    bool end_object() {
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t declared) { return open(Json::array(), declared, "array"); }
    bool end_array() {
        stack_.pop_back();
        return true;
    }
    bool parse_error(std::size_t position, const std::string& /*token*/,
                     const nlohmann::detail::exception& ex) {
        // nlohmann's text reads "[json.exception.parse_error.N] parse error at byte B: syntax
        // error while parsing CBOR <what>: <why>"; keep only "<what>: <why>".
        std::string why = ex.what();
        const std::string marker = "while parsing CBOR ";
        if (const auto at = why.find(marker); at != std::string::npos) {
            why.erase(0, at + marker.size());
        }
        return stop(Errc::Malformed,
                    "invalid CBOR at byte " + std::to_string(position) + ": " + why);
    }

    bool failed() const { return failed_; }
    Error error() const { return Error{code_, message_}; }
    Json& root() { return root_; }

private:
    struct Open {
        Json* node;
        std::size_t count;
    };

    bool stop(Errc code, std::string message) {
        failed_ = true;
        code_ = code;
        message_ = std::move(message);
        return false;
    }

    bool check_text(const std::string& s, const char* what) {
        if (s.size() > limits_.max_string) {
            return stop(Errc::TooLarge, std::string(what) + " of " + std::to_string(s.size()) +
                                            " bytes exceeds the limit of " +
                                            std::to_string(limits_.max_string));
        }
        if (!valid_utf8(s)) return stop(Errc::Malformed, std::string(what) + " is not UTF-8");
        return true;
    }

    // Appends to the innermost open container (or sets the root); returns the stored node.
    Json* store(Json&& v) {
        if (stack_.empty()) {
            root_ = std::move(v);
            return &root_;
        }
        Open& top = stack_.back();
        if (++top.count > limits_.max_items) {
            stop(Errc::TooMany, "more than " + std::to_string(limits_.max_items) + " entries");
            return nullptr;
        }
        if (top.node->is_array()) {
            top.node->push_back(std::move(v));
            return &top.node->back();
        }
        auto& obj = top.node->get_ref<Json::object_t&>();
        auto it = obj.emplace(std::move(key_), std::move(v)).first;
        key_.clear();
        return &it->second;
    }

    bool put(Json&& v) { return store(std::move(v)) != nullptr; }

    bool open(Json&& container, std::size_t declared, const char* what) {
        // Indefinite length arrives as size_t(-1) and is counted entry by entry in store().
        if (declared != static_cast<std::size_t>(-1) && declared > limits_.max_items) {
            return stop(Errc::TooMany, std::string(what) + " declares " + std::to_string(declared) +
                                           " entries, limit " + std::to_string(limits_.max_items));
        }
        if (stack_.size() >= limits_.max_depth) {
            return stop(Errc::TooDeep,
                        "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
        }
        Json* node = store(std::move(container));
        if (node == nullptr) return false;
        stack_.push_back(Open{node, 0});
        return true;
    }

    const Limits& limits_;
    Json root_;
    std::vector<Open> stack_;
    std::string key_;
    bool failed_ = false;
    Errc code_ = Errc::Malformed;
    std::string message_;
};

// ---------------------------------------------------------------------------------------------
// Decoding, stage 2: DOM -> structs

// A decoded CBOR map with typed, range-checked field access. `path` names the map in errors
// ("push.cs[2]").
class Fields {
public:
    Fields(const Json& node, std::string path) : path_(std::move(path)) {
        if (!node.is_object()) fail(Errc::WrongType, path_ + ": expected a map");
        obj_ = &node.get_ref<const Json::object_t&>();
    }

    const std::string& path() const { return path_; }

    const Json& need(const char* key) const {
        auto it = obj_->find(key);
        if (it == obj_->end()) fail(Errc::MissingField, name(key) + ": missing");
        return it->second;
    }

    std::uint64_t u64(const char* key) const {
        const Json& v = need(key);
        if (v.is_number_unsigned()) return v.get<std::uint64_t>();
        if (v.is_number_integer()) fail(Errc::BadValue, name(key) + ": negative");
        fail(Errc::WrongType, name(key) + ": expected an unsigned integer");
    }

    std::uint64_t u64_max(const char* key, std::uint64_t max) const {
        const std::uint64_t v = u64(key);
        if (v > max) fail(Errc::BadValue, name(key) + ": " + std::to_string(v) + " out of range");
        return v;
    }

    std::uint64_t nonzero(const char* key) const {
        const std::uint64_t v = u64(key);
        if (v == 0) fail(Errc::BadValue, name(key) + ": must not be 0");
        return v;
    }

    std::uint32_t version(const char* key) const {
        const auto v = static_cast<std::uint32_t>(u64_max(key, 0xFFFFFFFFu));
        if (v == 0) fail(Errc::BadValue, name(key) + ": version 0 does not exist");
        return v;
    }

    Errc errc(const char* key) const { return static_cast<Errc>(u64_max(key, 0xFFFFu)); }

    bool boolean(const char* key) const {
        const Json& v = need(key);
        if (!v.is_boolean()) fail(Errc::WrongType, name(key) + ": expected a boolean");
        return v.get<bool>();
    }

    std::string text(const char* key) const {
        const Json& v = need(key);
        if (!v.is_string()) fail(Errc::WrongType, name(key) + ": expected a text string");
        return v.get<std::string>();
    }

    std::string nonempty_text(const char* key) const {
        std::string s = text(key);
        if (s.empty()) fail(Errc::BadValue, name(key) + ": must not be empty");
        return s;
    }

    Bytes bytes(const char* key) const {
        const Json& v = need(key);
        if (!v.is_binary()) fail(Errc::WrongType, name(key) + ": expected a byte string");
        const auto& b = v.get_binary();
        return Bytes(b.begin(), b.end());
    }

    Bytes bytes_of_size(const char* key, std::size_t size) const {
        Bytes b = bytes(key);
        if (b.size() != size) {
            fail(Errc::BadValue, name(key) + ": expected " + std::to_string(size) + " bytes, got " +
                                     std::to_string(b.size()));
        }
        return b;
    }

    const Json& array(const char* key) const {
        const Json& v = need(key);
        if (!v.is_array()) fail(Errc::WrongType, name(key) + ": expected an array");
        return v;
    }

    Value value(const char* key) const {
        const Json& v = need(key);
        switch (v.type()) {
            case Json::value_t::null:
                return Value{};
            case Json::value_t::number_integer:
                return Value{v.get<std::int64_t>()};
            case Json::value_t::number_unsigned: {
                const auto u = v.get<std::uint64_t>();
                if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                    fail(Errc::BadValue, name(key) + ": integer above 2^63-1");
                }
                return Value{static_cast<std::int64_t>(u)};
            }
            case Json::value_t::number_float:
                return Value{v.get<double>()};
            case Json::value_t::string:
                return Value{v.get<std::string>()};
            case Json::value_t::binary: {
                const auto& b = v.get_binary();
                return Value{Bytes(b.begin(), b.end())};
            }
            default:
                fail(Errc::WrongType, name(key) + ": not a column value");
        }
    }

    std::string name(const char* key) const { return path_ + "." + key; }

private:
    const Json::object_t* obj_ = nullptr;
    std::string path_;
};

constexpr std::size_t kChallengeSize = 32;
constexpr std::size_t kPublicKeySize = 32;
constexpr std::size_t kSignatureSize = 64;

Change decode_change(const Json& node, const std::string& path) {
    const Fields f(node, path);
    Change c;
    c.table = f.nonempty_text("tb");
    c.row = f.nonempty_text("r");
    c.column = f.text("c");
    const std::uint64_t op = f.u64("o");
    if (op < static_cast<std::uint64_t>(Op::Set) || op > static_cast<std::uint64_t>(Op::Command)) {
        fail(Errc::BadValue, f.name("o") + ": unknown op " + std::to_string(op));
    }
    c.op = static_cast<Op>(op);
    c.value = f.value("v");
    c.hlc = Hlc{f.nonzero("h")};
    c.base = Hlc{f.u64("b")};
    c.origin = f.nonzero("d");
    c.seq = f.nonzero("s");

    switch (c.op) {
        case Op::Set:
            if (c.column.empty()) fail(Errc::BadValue, f.name("c") + ": set needs a column");
            break;
        case Op::Delete:
        case Op::Restore:
            if (!c.column.empty())
                fail(Errc::BadValue, f.name("c") + ": row operation has a column");
            if (!is_null(c.value))
                fail(Errc::BadValue, f.name("v") + ": row operation has a value");
            break;
        case Op::Count:
            if (c.column.empty()) fail(Errc::BadValue, f.name("c") + ": count needs a column");
            if (type_of(c.value) != ValueType::Integer) {
                fail(Errc::BadValue, f.name("v") + ": count value must be an integer");
            }
            break;
        case Op::Command:
            if (c.column.empty()) fail(Errc::BadValue, f.name("c") + ": command needs a name");
            if (type_of(c.value) != ValueType::Text) {
                fail(Errc::BadValue, f.name("v") + ": command arguments must be text");
            }
            break;
    }
    return c;
}

std::vector<Change> decode_changes(const Fields& f, const char* key, const Limits& limits) {
    const Json& a = f.array(key);
    if (a.size() > limits.max_batch) {
        fail(Errc::TooLarge, f.name(key) + ": " + std::to_string(a.size()) +
                                 " changes exceed the batch limit of " +
                                 std::to_string(limits.max_batch));
    }
    std::vector<Change> out;
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        out.push_back(decode_change(a[i], f.name(key) + "[" + std::to_string(i) + "]"));
    }
    return out;
}

Hello decode_hello(const Fields& f, const Limits&) {
    Hello m;
    m.min_version = f.version("min");
    m.max_version = f.version("max");
    if (m.max_version < m.min_version) fail(Errc::BadValue, f.name("max") + ": below min");
    m.client = f.text("cl");
    m.device = f.u64("d");
    return m;
}

Welcome decode_welcome(const Fields& f, const Limits&) {
    Welcome m;
    m.version = f.version("v");
    m.challenge = f.bytes_of_size("ch", kChallengeSize);
    m.server_id = f.text("sid");
    m.server_time_ms = f.u64("now");
    return m;
}

Enroll decode_enroll(const Fields& f, const Limits&) {
    Enroll m;
    m.code = f.nonempty_text("code");
    m.public_key = f.bytes_of_size("pk", kPublicKeySize);
    m.device_name = f.text("name");
    return m;
}

Enrolled decode_enrolled(const Fields& f, const Limits&) {
    Enrolled m;
    m.device = f.nonzero("d");
    m.person = f.text("p");
    m.role = f.text("role");
    m.org = f.text("org");
    return m;
}

Auth decode_auth(const Fields& f, const Limits&) {
    Auth m;
    m.device = f.nonzero("d");
    m.signature = f.bytes("sig");
    m.token = f.text("tok");
    if (m.signature.empty() == m.token.empty()) {
        fail(Errc::BadValue, f.path() + ": exactly one of sig and tok must be set");
    }
    if (!m.signature.empty() && m.signature.size() != kSignatureSize) {
        fail(Errc::BadValue,
             f.name("sig") + ": expected 64 bytes, got " + std::to_string(m.signature.size()));
    }
    return m;
}

AuthOk decode_auth_ok(const Fields& f, const Limits&) {
    AuthOk m;
    m.token = f.nonempty_text("tok");
    m.token_expires_ms = f.u64("exp");
    m.person = f.text("p");
    m.role = f.text("role");
    const Json& scopes = f.array("sc");
    m.scopes.reserve(scopes.size());
    for (std::size_t i = 0; i < scopes.size(); ++i) {
        if (!scopes[i].is_string()) {
            fail(Errc::WrongType, f.name("sc") + "[" + std::to_string(i) + "]: expected text");
        }
        m.scopes.push_back(scopes[i].get<std::string>());
    }
    m.acked_seq = f.u64("ack");
    return m;
}

Push decode_push(const Fields& f, const Limits& limits) {
    Push m;
    m.batch = f.nonzero("b");
    m.changes = decode_changes(f, "cs", limits);
    if (m.changes.empty()) fail(Errc::BadValue, f.name("cs") + ": a push carries changes");
    for (std::size_t i = 1; i < m.changes.size(); ++i) {
        if (m.changes[i].seq <= m.changes[i - 1].seq) {
            fail(Errc::BadValue, f.name("cs") + "[" + std::to_string(i) + "].s: not ascending");
        }
    }
    m.signature = f.bytes_of_size("sig", kSignatureSize);
    return m;
}

PushAck decode_push_ack(const Fields& f, const Limits& limits) {
    PushAck m;
    m.batch = f.nonzero("b");
    const Json& rs = f.array("rs");
    if (rs.size() > limits.max_batch) {
        fail(Errc::TooLarge, f.name("rs") + ": " + std::to_string(rs.size()) +
                                 " results exceed the batch limit of " +
                                 std::to_string(limits.max_batch));
    }
    m.results.reserve(rs.size());
    for (std::size_t i = 0; i < rs.size(); ++i) {
        const Fields r(rs[i], f.name("rs") + "[" + std::to_string(i) + "]");
        ChangeResult cr;
        cr.seq = r.nonzero("s");
        cr.code = r.errc("c");
        cr.message = r.text("m");
        m.results.push_back(std::move(cr));
    }
    m.acked_seq = f.u64("ack");
    return m;
}

Pull decode_pull(const Fields& f, const Limits&) {
    Pull m;
    m.cursor = f.u64("cur");
    m.limit = static_cast<std::uint32_t>(f.u64_max("lim", 0xFFFFFFFFu));
    if (m.limit == 0) fail(Errc::BadValue, f.name("lim") + ": must not be 0");
    return m;
}

Changes decode_changes_msg(const Fields& f, const Limits& limits) {
    Changes m;
    m.changes = decode_changes(f, "cs", limits);
    m.cursor = f.u64("cur");
    m.has_more = f.boolean("more");
    m.done = f.u64("done");
    m.total = f.u64("total");
    return m;
}

Notify decode_notify(const Fields& f, const Limits&) {
    Notify m;
    m.cursor = f.u64("cur");
    return m;
}

ErrorMsg decode_error(const Fields& f, const Limits&) {
    ErrorMsg m;
    m.code = f.errc("c");
    if (m.code == Errc::Ok) fail(Errc::BadValue, f.name("c") + ": an error cannot be Ok");
    m.message = f.text("m");
    return m;
}

Goodbye decode_goodbye(const Fields& f, const Limits&) {
    Goodbye m;
    m.code = f.errc("c");
    m.reason = f.text("m");
    return m;
}

Wipe decode_wipe(const Fields& f, const Limits&) {
    Wipe m;
    m.reason = f.text("m");
    return m;
}

// ---- attachments ----

Bytes hash_field(const Fields& f, const char* key) {
    return f.bytes_of_size(key, kHashSize);
}

// A manifest map. `empty_ok`: the empty manifest of a refused Manifest answer is allowed.
AttachmentManifest decode_manifest(const Fields& f, const char* key, bool empty_ok) {
    const Fields mf(f.need(key), f.name(key));
    AttachmentManifest m;
    const Json& cs = mf.array("cs");
    if (cs.size() > kMaxManifestChunks) {
        fail(Errc::TooLarge, mf.name("cs") + ": " + std::to_string(cs.size()) +
                                 " chunks exceed the limit of " +
                                 std::to_string(kMaxManifestChunks));
    }
    m.chunks.reserve(cs.size());
    for (std::size_t i = 0; i < cs.size(); ++i) {
        const std::string at = mf.name("cs") + "[" + std::to_string(i) + "]";
        if (!cs[i].is_binary()) fail(Errc::WrongType, at + ": expected a byte string");
        const auto& b = cs[i].get_binary();
        if (b.size() != kHashSize) fail(Errc::BadValue, at + ": expected 32 bytes");
        m.chunks.emplace_back(b.begin(), b.end());
    }
    m.size = mf.u64("sz");
    m.media_type = mf.text("mt");
    const bool empty = m.chunks.empty() && m.size == 0 && m.media_type.empty();
    if (!(empty_ok && empty) && !valid_manifest(m)) {
        fail(Errc::BadValue, mf.path() + ": chunk count, size and media type do not agree");
    }
    return m;
}

Bytes chunk_data(const Fields& f, const char* key, bool empty) {
    Bytes d = f.bytes(key);
    if (empty ? !d.empty() : (d.empty() || d.size() > kChunkSize)) {
        fail(Errc::BadValue,
             f.name(key) + ": " + std::to_string(d.size()) +
                 (empty ? " bytes in a refused chunk" : " bytes; a chunk holds 1 … 262144 bytes"));
    }
    return d;
}

PutChunk decode_put_chunk(const Fields& f, const Limits&) {
    PutChunk m;
    m.hash = hash_field(f, "h");
    m.data = chunk_data(f, "data", false);
    return m;
}

PutManifest decode_put_manifest(const Fields& f, const Limits&) {
    PutManifest m;
    m.manifest = decode_manifest(f, "mf", false);
    return m;
}

BlobAck decode_blob_ack(const Fields& f, const Limits&) {
    BlobAck m;
    m.hash = hash_field(f, "h");
    m.code = f.errc("c");
    m.message = f.text("m");
    return m;
}

GetManifest decode_get_manifest(const Fields& f, const Limits&) {
    GetManifest m;
    m.id = hash_field(f, "id");
    m.table = f.text("tb");
    m.row = f.text("r");
    m.column = f.text("c");
    // Either a full cell address or none at all (the uploader's own manifest).
    if (m.table.empty() != m.row.empty() || m.table.empty() != m.column.empty()) {
        fail(Errc::BadValue, f.path() + ": tb, r and c are all set or all empty");
    }
    return m;
}

ManifestMsg decode_manifest_msg(const Fields& f, const Limits&) {
    ManifestMsg m;
    m.id = hash_field(f, "id");
    m.code = f.errc("c");
    m.manifest = decode_manifest(f, "mf", m.code != Errc::Ok);
    if (m.code != Errc::Ok && !m.manifest.chunks.empty()) {
        fail(Errc::BadValue, f.name("mf") + ": a refused manifest is empty");
    }
    return m;
}

GetChunk decode_get_chunk(const Fields& f, const Limits&) {
    GetChunk m;
    m.id = hash_field(f, "id");
    m.hash = hash_field(f, "h");
    return m;
}

Chunk decode_chunk(const Fields& f, const Limits&) {
    Chunk m;
    m.hash = hash_field(f, "h");
    m.code = f.errc("c");
    m.data = chunk_data(f, "data", m.code != Errc::Ok);
    return m;
}

// ---- tiers ----

RelayPush decode_relay_push(const Fields& f, const Limits& limits) {
    RelayPush m;
    m.batch = f.nonzero("b");
    m.changes = decode_changes(f, "cs", limits);
    if (m.changes.empty()) fail(Errc::BadValue, f.name("cs") + ": a relay push carries changes");
    m.signature = f.bytes_of_size("sig", kSignatureSize);
    return m;
}

RelayAck decode_relay_ack(const Fields& f, const Limits& limits) {
    RelayAck m;
    m.batch = f.nonzero("b");
    const Json& rs = f.array("rs");
    if (rs.size() > limits.max_batch) {
        fail(Errc::TooLarge, f.name("rs") + ": " + std::to_string(rs.size()) +
                                 " results exceed the batch limit of " +
                                 std::to_string(limits.max_batch));
    }
    m.results.reserve(rs.size());
    for (std::size_t i = 0; i < rs.size(); ++i) {
        const Fields r(rs[i], f.name("rs") + "[" + std::to_string(i) + "]");
        RelayResult rr;
        rr.origin = r.nonzero("d");
        rr.seq = r.nonzero("s");
        rr.code = r.errc("c");
        rr.message = r.text("m");
        m.results.push_back(std::move(rr));
    }
    return m;
}

Message decode_message(const Json& root, const Limits& limits) {
    if (!root.is_object()) fail(Errc::Malformed, "a message is a CBOR map");
    const Fields top(root, "message");
    const Json& t = top.need("t");
    if (!t.is_number_integer()) fail(Errc::WrongType, "message.t: expected an integer");
    const std::uint64_t type = t.is_number_unsigned() ? t.get<std::uint64_t>() : 0;
    if (type == static_cast<std::uint64_t>(MsgType::Compressed)) {
        fail(Errc::Malformed, "compressed: a compressed message may not wrap another one");
    }
    if (type < 1 || type > static_cast<std::uint64_t>(MsgType::RelayAck)) {
        fail(Errc::UnknownType, "message.t: unknown message type " + t.dump());
    }
    const auto mt = static_cast<MsgType>(type);
    const Fields f(root, std::string(type_name(mt)));
    switch (mt) {
        case MsgType::Hello:
            return decode_hello(f, limits);
        case MsgType::Welcome:
            return decode_welcome(f, limits);
        case MsgType::Enroll:
            return decode_enroll(f, limits);
        case MsgType::Enrolled:
            return decode_enrolled(f, limits);
        case MsgType::Auth:
            return decode_auth(f, limits);
        case MsgType::AuthOk:
            return decode_auth_ok(f, limits);
        case MsgType::Push:
            return decode_push(f, limits);
        case MsgType::PushAck:
            return decode_push_ack(f, limits);
        case MsgType::Pull:
            return decode_pull(f, limits);
        case MsgType::Changes:
            return decode_changes_msg(f, limits);
        case MsgType::Notify:
            return decode_notify(f, limits);
        case MsgType::Error:
            return decode_error(f, limits);
        case MsgType::Goodbye:
            return decode_goodbye(f, limits);
        case MsgType::Wipe:
            return decode_wipe(f, limits);
        case MsgType::PutChunk:
            return decode_put_chunk(f, limits);
        case MsgType::PutManifest:
            return decode_put_manifest(f, limits);
        case MsgType::BlobAck:
            return decode_blob_ack(f, limits);
        case MsgType::GetManifest:
            return decode_get_manifest(f, limits);
        case MsgType::Manifest:
            return decode_manifest_msg(f, limits);
        case MsgType::GetChunk:
            return decode_get_chunk(f, limits);
        case MsgType::Chunk:
            return decode_chunk(f, limits);
        case MsgType::RelayPush:
            return decode_relay_push(f, limits);
        case MsgType::RelayAck:
            return decode_relay_ack(f, limits);
        case MsgType::Compressed:
            break;  // refused above
    }
    fail(Errc::UnknownType, "message.t: unknown message type");
}

// ---- compressed (SPEC.md §6.15) ----

Json to_json(const Compressed& m) {
    Json j = envelope(MsgType::Compressed);
    j["a"] = static_cast<std::uint64_t>(m.algorithm);
    j["n"] = m.raw_size;
    j["z"] = encode_bytes(m.body);
    return j;
}

bool is_compressed(const Json& root) {
    if (!root.is_object()) return false;
    auto it = root.find("t");
    return it != root.end() && it->is_number_unsigned() &&
           it->get<std::uint64_t>() == static_cast<std::uint64_t>(MsgType::Compressed);
}

Compressed decode_compressed(const Json& root, const Limits& limits) {
    const Fields f(root, "compressed");
    Compressed m;
    const std::uint64_t algorithm = f.u64("a");
    if (algorithm != static_cast<std::uint64_t>(Compression::Zlib)) {
        fail(Errc::BadValue,
             f.name("a") + ": unknown compression algorithm " + std::to_string(algorithm));
    }
    m.algorithm = Compression::Zlib;
    m.raw_size = f.u64("n");
    // Refused before a single byte is inflated: the bomb never gets a buffer.
    if (m.raw_size > limits.max_frame) {
        fail(Errc::TooLarge, f.name("n") + ": " + std::to_string(m.raw_size) +
                                 " bytes exceed the frame limit of " +
                                 std::to_string(limits.max_frame));
    }
    if (m.raw_size == 0) fail(Errc::BadValue, f.name("n") + ": must not be 0");
    m.body = f.bytes("z");
    return m;
}

// One bounded inflate: the output buffer is exactly raw_size bytes, so a stream that would
// produce more stops there (and is refused) instead of growing anything.
Bytes inflate_body(const Compressed& m) {
    Bytes out(static_cast<std::size_t>(m.raw_size));
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK) fail(Errc::TooLarge, "compressed: no memory for inflate");
    zs.next_in = const_cast<Bytef*>(m.body.data());  // zlib's API is not const-correct
    zs.avail_in = static_cast<uInt>(m.body.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&zs, Z_FINISH);
    const std::size_t produced = out.size() - zs.avail_out;
    const std::size_t unused = zs.avail_in;
    const std::string why = zs.msg != nullptr ? std::string(" (") + zs.msg + ")" : std::string();
    inflateEnd(&zs);
    if (rc == Z_MEM_ERROR) fail(Errc::TooLarge, "compressed: no memory for inflate");
    if (rc == Z_STREAM_END) {
        if (produced != out.size()) {
            fail(Errc::Malformed, "compressed: inflates to " + std::to_string(produced) +
                                      " bytes, not the announced " + std::to_string(out.size()));
        }
        if (unused != 0) fail(Errc::Malformed, "compressed: bytes after the zlib stream");
        return out;
    }
    if (rc == Z_BUF_ERROR && produced == out.size() && unused != 0) {
        fail(Errc::Malformed, "compressed: inflates to more than the announced " +
                                  std::to_string(out.size()) + " bytes");
    }
    fail(Errc::Malformed, "compressed: invalid or truncated zlib stream" + why);
}

// Parse one CBOR item under the limits (the frame itself, or the inflated inner message).
Json parse_bounded(std::span<const std::uint8_t> bytes, const Limits& limits) {
    if (bytes.size() > limits.max_frame) {
        fail(Errc::TooLarge, "frame of " + std::to_string(bytes.size()) +
                                 " bytes exceeds the limit of " + std::to_string(limits.max_frame));
    }
    if (bytes.empty()) fail(Errc::Malformed, "empty frame");
    BoundedDomBuilder dom(limits);
    const bool parsed = Json::sax_parse(bytes.data(), bytes.data() + bytes.size(), &dom,
                                        Json::input_format_t::cbor, /*strict=*/true);
    if (dom.failed()) {
        const Error e = dom.error();
        fail(e.code, e.message);
    }
    if (!parsed) fail(Errc::Malformed, "invalid CBOR");
    return std::move(dom.root());
}

}  // namespace

Bytes encode(const Message& m) {
    const Json j = std::visit([](const auto& msg) { return to_json(msg); }, m);
    return Json::to_cbor(j);
}

Bytes encode(const Message& m, const CompressOptions& options) {
    Bytes plain = encode(m);
    if (options.threshold == 0 || plain.size() < options.threshold) return plain;
    // A body above the default byte-string limit would be refused by a default receiver; such a
    // message barely compresses anyway, so it travels plain.
    Compressed c = compress(plain, options.level);
    if (c.body.size() > Limits{}.max_bytes) return plain;
    Bytes wrapped = encode_compressed(c);
    if (wrapped.size() >= plain.size()) return plain;
    return wrapped;
}

Compressed compress(std::span<const std::uint8_t> encoded, int level) {
    Compressed c;
    c.algorithm = Compression::Zlib;
    c.raw_size = encoded.size();
    uLongf len = compressBound(static_cast<uLong>(encoded.size()));
    c.body.resize(static_cast<std::size_t>(len));
    const int rc =
        compress2(c.body.data(), &len, encoded.data(), static_cast<uLong>(encoded.size()), level);
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc != Z_OK) throw std::invalid_argument("compress: zlib level out of range");
    c.body.resize(static_cast<std::size_t>(len));
    return c;
}

Bytes encode_compressed(const Compressed& c) {
    return Json::to_cbor(to_json(c));
}

Bytes encode_changes(const std::vector<Change>& changes) {
    return Json::to_cbor(encode_change_array(changes));
}

Bytes encode_manifest(const AttachmentManifest& m) {
    return Json::to_cbor(encode_manifest_map(m));
}

Result<Message> decode(std::span<const std::uint8_t> bytes, const Limits& limits) {
    try {
        const Json root = parse_bounded(bytes, limits);
        if (!is_compressed(root)) return decode_message(root, limits);
        const Bytes inner = inflate_body(decode_compressed(root, limits));
        // decode_message refuses a `compressed` inside: wrappers never nest.
        return decode_message(parse_bounded(inner, limits), limits);
    } catch (const Failure& f) {
        return make_error(f.code, f.message);
    } catch (const std::bad_alloc&) {
        return make_error(Errc::TooLarge, "out of memory while decoding");
    } catch (const std::exception& e) {
        return make_error(Errc::Malformed, std::string("decoder: ") + e.what());
    } catch (...) {
        return make_error(Errc::Internal, "decoder: unknown exception");
    }
}

}  // namespace zb::protocol
