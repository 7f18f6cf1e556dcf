// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the message decoder (reliability.md ). Each input is decoded
// twice: with the default Limits and with tight ones, small enough that every limit (frame,
// items, string, bytes, batch) is reachable within -max_len. Whatever decodes must survive the
// round trip: decode(encode(m)) == m, and encoding is a fixed point. A violation aborts.

#include "zb/protocol/codec.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>

namespace {

namespace zp = zb::protocol;

zp::Limits tight_limits() {
    zp::Limits l;
    l.max_frame = 4096;
    l.max_depth = 4;
    l.max_items = 24;
    l.max_string = 64;
    l.max_bytes = 80;
    l.max_batch = 4;
    return l;
}

[[noreturn]] void invariant_failed(const char* what, const zp::Error* e) {
    std::fprintf(stderr, "fuzz_decode invariant violated: %s%s%s\n", what, e ? ": " : "",
                 e ? e->message.c_str() : "");
    std::abort();
}

void check(std::span<const std::uint8_t> in, const zp::Limits& limits) {
    const auto first = zp::decode(in, limits);
    if (!first.ok()) {
        const zp::Errc code = first.error().code;
        if (code == zp::Errc::Ok || code == zp::Errc::Internal) {
            invariant_failed("decode failed without a proper error code", &first.error());
        }
        return;
    }
    const zp::Bytes encoded = zp::encode(first.value());
    // The canonical encoding may be longer than a non-canonical input (a half float is written
    // as float32), so only the frame limit is lifted for the second decode.
    zp::Limits again = limits;
    again.max_frame = std::numeric_limits<std::size_t>::max();
    const auto second = zp::decode(encoded, again);
    if (!second.ok()) invariant_failed("re-encoded message does not decode", &second.error());
    if (!(second.value() == first.value()))
        invariant_failed("round trip changed the message", nullptr);
    if (zp::encode(second.value()) != encoded)
        invariant_failed("encoding is not a fixed point", nullptr);
    if (const auto* push = std::get_if<zp::Push>(&first.value())) {
        if (zp::push_payload(*push).empty()) invariant_failed("empty push payload", nullptr);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> in(data, size);
    check(in, zp::Limits{});
    check(in, tight_limits());
    return 0;
}
