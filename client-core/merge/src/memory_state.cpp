// SPDX-License-Identifier: Apache-2.0
// MemoryState: ordered maps keyed by (table, row, column). Lookups copy the key strings, which is
// fine for tests and the simulator; production replicas implement State over SQLite instead.
#include "zb/merge/memory_state.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <tuple>

namespace zb::merge {
namespace {

std::string hex(const std::uint8_t* p, std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(kDigits[p[i] >> 4]);
        out.push_back(kDigits[p[i] & 0xf]);
    }
    return out;
}

std::string render(const Cell& c) {
    return canonical(c.value) + " @" + std::to_string(c.hlc.raw) + "/" + std::to_string(c.origin) +
           " base " + std::to_string(c.base.raw);
}

}  // namespace

std::string canonical(const Value& v) {
    switch (protocol::type_of(v)) {
        case protocol::ValueType::Null:
            return "null";
        case protocol::ValueType::Integer:
            return "i:" + std::to_string(std::get<std::int64_t>(v));
        case protocol::ValueType::Real: {
            const double d = std::get<double>(v);
            char text[40];
            std::snprintf(text, sizeof text, "%.17g", d);
            char bits[24];
            std::snprintf(bits, sizeof bits, "%016llx",
                          static_cast<unsigned long long>(std::bit_cast<std::uint64_t>(d)));
            return std::string("r:") + text + " (0x" + bits + ")";
        }
        case protocol::ValueType::Text: {
            const auto& s = std::get<std::string>(v);
            return "t:" + std::to_string(s.size()) + ":" + s;
        }
        case protocol::ValueType::Bytes: {
            const auto& b = std::get<protocol::Bytes>(v);
            return "b:" + hex(b.data(), b.size());
        }
    }
    return "?";
}

std::optional<Cell> MemoryState::cell(std::string_view table, std::string_view row,
                                      std::string_view column) {
    auto it = cells_.find(key(table, row, column));
    if (it == cells_.end()) return std::nullopt;
    return it->second;
}

void MemoryState::put_cell(std::string_view table, std::string_view row, std::string_view column,
                           const Cell& c) {
    cells_.insert_or_assign(key(table, row, column), c);
}

RowMeta MemoryState::row(std::string_view table, std::string_view row) {
    auto it = rows_.find(RowKey(table, row));
    return it == rows_.end() ? RowMeta{} : it->second;
}

void MemoryState::put_row(std::string_view table, std::string_view row, const RowMeta& m) {
    rows_.insert_or_assign(RowKey(table, row), m);
}

std::optional<Cell> MemoryState::counter_part(std::string_view table, std::string_view row,
                                              std::string_view column, DeviceId origin) {
    auto it = parts_.find(key(table, row, column));
    if (it == parts_.end()) return std::nullopt;
    auto p = it->second.find(origin);
    if (p == it->second.end()) return std::nullopt;
    return p->second;
}

void MemoryState::put_counter_part(std::string_view table, std::string_view row,
                                   std::string_view column, const Cell& part) {
    parts_[key(table, row, column)].insert_or_assign(part.origin, part);
}

std::int64_t MemoryState::counter_sum(std::string_view table, std::string_view row,
                                      std::string_view column) {
    auto it = parts_.find(key(table, row, column));
    if (it == parts_.end()) return 0;
    // Wrapping addition: totals are untrusted input and signed overflow would be undefined.
    std::uint64_t sum = 0;
    for (const auto& [origin, part] : it->second) {
        if (const auto* total = std::get_if<std::int64_t>(&part.value)) {
            sum += static_cast<std::uint64_t>(*total);
        }
    }
    return static_cast<std::int64_t>(sum);
}

std::vector<Cell> MemoryState::versions(std::string_view table, std::string_view row,
                                        std::string_view column) {
    auto it = versions_.find(key(table, row, column));
    return it == versions_.end() ? std::vector<Cell>{} : it->second;
}

void MemoryState::add_version(std::string_view table, std::string_view row, std::string_view column,
                              const Cell& v) {
    versions_[key(table, row, column)].push_back(v);
}

std::vector<std::pair<std::string, std::string>> MemoryState::rows() const {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(rows_.size());
    for (const auto& [k, meta] : rows_)
        out.push_back(k);
    return out;
}

std::vector<MemoryState::CellKey> MemoryState::cell_keys() const {
    std::vector<CellKey> out;
    out.reserve(cells_.size());
    for (const auto& [k, c] : cells_)
        out.push_back(k);
    return out;
}

std::vector<Conflict> MemoryState::conflicts() const {
    std::vector<Conflict> out;
    for (const auto& [k, vs] : versions_) {
        Cell winner;
        std::vector<Cell> losers = open_conflicts(vs, &winner);
        if (losers.empty()) continue;
        out.push_back(Conflict{k.table, k.row, k.column, std::move(winner), std::move(losers)});
    }
    return out;
}

std::string MemoryState::digest() const {
    std::string out;
    for (const auto& [k, m] : rows_) {
        out += "row " + k.first + "/" + k.second + " deleted " + std::to_string(m.deleted.raw) +
               " alive " + std::to_string(m.alive.raw) + "\n";
    }
    for (const auto& [k, c] : cells_) {
        out += "cell " + k.table + "/" + k.row + "/" + k.column + " = " + render(c) + "\n";
    }
    for (const auto& [k, parts] : parts_) {
        for (const auto& [origin, p] : parts) {
            out += "part " + k.table + "/" + k.row + "/" + k.column + " = " + render(p) + "\n";
        }
    }
    for (const auto& [k, vs] : versions_) {
        std::vector<std::string> lines;
        lines.reserve(vs.size());
        for (const Cell& v : vs) {
            char stamp[64];
            std::snprintf(stamp, sizeof stamp, "%020llu %020llu %020llu ",
                          static_cast<unsigned long long>(v.hlc.raw),
                          static_cast<unsigned long long>(v.origin),
                          static_cast<unsigned long long>(v.base.raw));
            lines.push_back(stamp + canonical(v.value));
        }
        std::sort(lines.begin(), lines.end());
        for (const std::string& l : lines) {
            out += "version " + k.table + "/" + k.row + "/" + k.column + " = " + l + "\n";
        }
    }
    return out;
}

}  // namespace zb::merge
