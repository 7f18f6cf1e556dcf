// SPDX-License-Identifier: Apache-2.0
// Display masking of sensitive fields (domain.md §11: 身份证号 and phone shown masked by default;
// pattern seen in [G5]). Counting is by UTF-8 code point, so a Chinese character is one character
// and is never cut in half. Masking is for display; storage encryption is elsewhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace zb::domain {

enum class MaskKind : std::uint8_t {
    IdNumber = 0,  ///< keep first 4 and last 4 characters
    Phone = 1,     ///< keep first 3 and last 4 characters
};

/// Keeps `keep_head` leading and `keep_tail` trailing code points and replaces every other code
/// point by '*'. If the text is not longer than keep_head + keep_tail, everything is masked (a
/// short value would otherwise be shown in full).
std::string mask_keep(std::string_view text, std::size_t keep_head, std::size_t keep_tail);

std::string mask(std::string_view text, MaskKind kind);
inline std::string mask_id_number(std::string_view text) {
    return mask(text, MaskKind::IdNumber);
}
inline std::string mask_phone(std::string_view text) {
    return mask(text, MaskKind::Phone);
}

}  // namespace zb::domain
