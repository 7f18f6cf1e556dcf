// SPDX-License-Identifier: Apache-2.0
// Equality of change records. Values compare with same() (type and bits), so 7 and 7.0 differ
// and a NaN equals only the same NaN bit pattern; this is the equality the codec round trip and
// the fuzz invariant rely on.

#include "zb/protocol/change.hpp"

namespace zb::protocol {

bool operator==(const Change& a, const Change& b) {
    return a.table == b.table && a.row == b.row && a.column == b.column && a.op == b.op &&
           same(a.value, b.value) && a.hlc == b.hlc && a.base == b.base && a.origin == b.origin &&
           a.seq == b.seq;
}

}  // namespace zb::protocol
