// SPDX-License-Identifier: Apache-2.0
// Encoders and strict decoders for the store's BLOB formats (FORMAT.md, "Blobs"). Stamps (hlc,
// origin) are fixed 8-byte little-endian because they are near 2^63 and varints would not save
// anything; counts, lengths and the usually-zero base use LEB128 varints.
#include "store/codec.hpp"

#include "zb/core/error.hpp"

#include <cstring>
#include <type_traits>
#include <variant>

namespace zb::core::store {
namespace {

[[noreturn]] void corrupt() {
    throw StoreError(Errc::StorageFailure, "corrupt metadata blob");
}

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
    bool done() const { return pos_ == in_.size(); }
    std::uint8_t u8() {
        if (pos_ >= in_.size()) corrupt();
        return in_[pos_++];
    }
    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            const std::uint8_t b = u8();
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        corrupt();
    }
    std::uint64_t fixed64() {
        if (in_.size() - pos_ < 8) corrupt();
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= static_cast<std::uint64_t>(in_[pos_ + i]) << (8 * i);
        pos_ += 8;
        return v;
    }
    std::span<const std::uint8_t> bytes() {
        const std::uint64_t n = varint();
        if (n > in_.size() - pos_) corrupt();
        auto s = in_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    std::string str() {
        auto b = bytes();
        return std::string(b.begin(), b.end());
    }
    protocol::Value value() {
        switch (u8()) {
            case 0:
                return protocol::Value{};
            case 1: {
                const std::uint64_t z = varint();
                // zig-zag: small negative totals stay short
                return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
            }
            case 2: {
                const std::uint64_t bits = fixed64();
                double d;
                std::memcpy(&d, &bits, sizeof d);
                return d;
            }
            case 3:
                return str();
            case 4: {
                auto b = bytes();
                return protocol::Bytes(b.begin(), b.end());
            }
            default:
                corrupt();
        }
    }
    merge::Cell cell(bool* had_value) {
        merge::Cell c;
        const std::uint8_t flags = u8();
        if (flags & ~0x3u) corrupt();
        c.hlc.raw = fixed64();
        c.origin = fixed64();
        if (flags & 0x2) c.base.raw = varint();
        *had_value = (flags & 0x1) != 0;
        if (*had_value) c.value = value();
        return c;
    }

private:
    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
};

Shadow read_shadow(Reader& r) {
    Shadow s;
    bool had = false;
    s.pending = r.varint();
    s.meta.deleted.raw = r.fixed64();
    s.meta.alive.raw = r.fixed64();
    for (std::uint64_t n = r.varint(); n > 0; --n) {
        std::string col = r.str();
        s.cells[col] = r.cell(&had);
    }
    for (std::uint64_t n = r.varint(); n > 0; --n) {
        std::string col = r.str();
        merge::Cell c = r.cell(&had);
        s.parts[{col, c.origin}] = c;
    }
    for (std::uint64_t n = r.varint(); n > 0; --n) {
        std::string col = r.str();
        s.versions[col].push_back(r.cell(&had));
    }
    return s;
}

}  // namespace

void Writer::value(const protocol::Value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                u8(0);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                u8(1);
                const auto u = static_cast<std::uint64_t>(x);
                varint((u << 1) ^ (x < 0 ? ~std::uint64_t{0} : 0));
            } else if constexpr (std::is_same_v<T, double>) {
                u8(2);
                std::uint64_t bits;
                std::memcpy(&bits, &x, sizeof bits);
                fixed64(bits);
            } else if constexpr (std::is_same_v<T, std::string>) {
                u8(3);
                str(x);
            } else {
                u8(4);
                varint(x.size());
                out_.insert(out_.end(), x.begin(), x.end());
            }
        },
        v);
}

void Writer::cell(const merge::Cell& c, bool with_value) {
    u8(static_cast<std::uint8_t>((with_value ? 0x1 : 0) | (c.base.is_zero() ? 0 : 0x2)));
    fixed64(c.hlc.raw);
    fixed64(c.origin);
    if (!c.base.is_zero()) varint(c.base.raw);
    if (with_value) value(c.value);
}

void write_shadow(Writer& w, const Shadow& s) {
    w.varint(s.pending);
    w.fixed64(s.meta.deleted.raw);
    w.fixed64(s.meta.alive.raw);
    w.varint(s.cells.size());
    for (const auto& [col, c] : s.cells) {
        w.str(col);
        w.cell(c, true);
    }
    w.varint(s.parts.size());
    for (const auto& [key, c] : s.parts) {
        w.str(key.first);
        w.cell(c, true);
    }
    std::size_t nv = 0;
    for (const auto& [col, vs] : s.versions)
        nv += vs.size();
    w.varint(nv);
    for (const auto& [col, vs] : s.versions) {
        for (const auto& c : vs) {
            w.str(col);
            w.cell(c, true);
        }
    }
}

RowMetaBlob decode_row_meta(std::span<const std::uint8_t> blob) {
    RowMetaBlob out;
    if (blob.empty()) return out;
    Reader r(blob);
    if (r.u8() != 1) corrupt();
    for (std::uint64_t n = r.varint(); n > 0; --n) {
        std::string col = r.str();
        bool had = false;
        merge::Cell c = r.cell(&had);
        out.inline_values[col] = had;
        out.cells.emplace(std::move(col), std::move(c));
    }
    if (r.u8() == 1) out.shadow = read_shadow(r);
    if (!r.done()) corrupt();
    return out;
}

std::vector<std::uint8_t> encode_outbox(const std::vector<protocol::Change>& changes) {
    Writer w;
    w.varint(changes.size());
    for (const auto& c : changes) {
        w.u8(static_cast<std::uint8_t>(c.op));
        w.str(c.column);
        w.cell(merge::Cell{c.value, c.hlc, 0, c.base}, true);
    }
    return w.take();
}

std::vector<protocol::Change> decode_outbox(std::span<const std::uint8_t> blob,
                                            const std::string& table, const std::string& row,
                                            protocol::DeviceId origin, std::uint64_t first_seq) {
    Reader r(blob);
    std::vector<protocol::Change> out;
    const std::uint64_t n = r.varint();
    if (n > blob.size()) corrupt();
    out.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        protocol::Change c;
        c.op = static_cast<protocol::Op>(r.u8());
        c.column = r.str();
        bool had = false;
        merge::Cell cell = r.cell(&had);
        c.value = std::move(cell.value);
        c.hlc = cell.hlc;
        c.base = cell.base;
        c.table = table;
        c.row = row;
        c.origin = origin;
        c.seq = first_seq + i;
        out.push_back(std::move(c));
    }
    if (!r.done()) corrupt();
    return out;
}

std::vector<std::uint8_t> encode_change(const protocol::Change& c) {
    Writer w;
    w.str(c.table);
    w.str(c.row);
    w.varint(c.seq);
    w.u8(static_cast<std::uint8_t>(c.op));
    w.str(c.column);
    w.cell(merge::Cell{c.value, c.hlc, c.origin, c.base}, true);
    return w.take();
}

}  // namespace zb::core::store
