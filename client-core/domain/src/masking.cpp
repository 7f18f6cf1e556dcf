// SPDX-License-Identifier: Apache-2.0
// UTF-8 aware masking: split into code points (invalid bytes count as one unit each, so malformed
// input never leaks by being skipped), keep head and tail, star the middle.

#include "zb/domain/masking.hpp"

#include <vector>

namespace zb::domain {

namespace {

std::vector<std::string_view> code_points(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 1;
        if ((c & 0xE0) == 0xC0)
            len = 2;
        else if ((c & 0xF0) == 0xE0)
            len = 3;
        else if ((c & 0xF8) == 0xF0)
            len = 4;
        // Only accept the sequence if all continuation bytes are present and well-formed.
        if (len > 1) {
            bool ok = i + len <= s.size();
            for (std::size_t k = 1; ok && k < len; ++k)
                ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
            if (!ok) len = 1;
        }
        out.push_back(s.substr(i, len));
        i += len;
    }
    return out;
}

}  // namespace

std::string mask_keep(std::string_view text, std::size_t keep_head, std::size_t keep_tail) {
    const auto cps = code_points(text);
    const bool show = cps.size() > keep_head + keep_tail;
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < cps.size(); ++i) {
        if (show && (i < keep_head || i >= cps.size() - keep_tail))
            out += cps[i];
        else
            out += '*';
    }
    return out;
}

std::string mask(std::string_view text, MaskKind kind) {
    switch (kind) {
        case MaskKind::IdNumber:
            return mask_keep(text, 4, 4);
        case MaskKind::Phone:
            return mask_keep(text, 3, 4);
    }
    return mask_keep(text, 0, 0);
}

}  // namespace zb::domain
