// SPDX-License-Identifier: Apache-2.0
// Masking of 身份证号 (first 4 + last 4) and phone numbers (first 3 + last 4), counted in UTF-8
// code points so Chinese characters are kept whole, with short and malformed input fully masked.

#include "zb/domain/masking.hpp"

#include <catch2/catch.hpp>

using namespace zb::domain;

TEST_CASE("masking: ID numbers keep first 4 and last 4", "[domain][masking]") {
    CHECK(mask_id_number("110101199003071234") == "1101**********1234");  // 18 → 10 stars
    CHECK(mask_id_number("11010119900307123X") == "1101**********123X");
    CHECK(mask_id_number("123456789") == "1234*6789");  // 9: one star
    CHECK(mask_id_number("12345678") == "********");    // 8 would show everything
    CHECK(mask_id_number("") == "");
}

TEST_CASE("masking: phones keep first 3 and last 4", "[domain][masking]") {
    CHECK(mask_phone("13812348000") == "138****8000");
    CHECK(mask_phone("+8613812348000") == "+86*******8000");
    CHECK(mask_phone("1234567") == "*******");
    CHECK(mask(std::string_view("13812348000"), MaskKind::Phone) == "138****8000");
}

TEST_CASE("masking: Chinese characters count as one each", "[domain][masking]") {
    // 10 characters: 中华人民 | 共和 | 国万岁啊.
    CHECK(mask_id_number("中华人民共和国万岁啊") == "中华人民**国万岁啊");
    // Mixed ASCII and Chinese (港澳台居民 style numbers may carry letters).
    CHECK(mask_id_number("证件号码H1234567") == "证件号码****4567");
    CHECK(mask_phone("电话一三八零零零零八零零零") == "电话一******八零零零");
    CHECK(mask_id_number("张三丰的证件号码") == "********");  // 8 characters → all masked
    // Truncated UTF-8 (two bytes of a three-byte character) is masked unit by unit.
    CHECK(mask_id_number(std::string("\xE4\xB8", 2)) == "**");
    CHECK(mask_keep("abcdef", 0, 0) == "******");
}
