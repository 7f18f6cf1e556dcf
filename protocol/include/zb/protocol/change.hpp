// SPDX-License-Identifier: Apache-2.0
// Change records: the unit of sync. Each records one column write (or a row-level operation) with
// its HLC, the device that made it and that device's sequence number (protocol/SPEC.md, "Changes").
#pragma once

#include "zb/protocol/hlc.hpp"
#include "zb/protocol/value.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace zb::protocol {

/// Devices are named by a 64-bit id derived from their Ed25519 public key (the first 8 bytes of
/// BLAKE2b-256 of the key, little-endian), so ids are unique without coordination. 0 = none.
using DeviceId = std::uint64_t;

enum class Op : std::uint8_t {
    Set = 1,      ///< set `column` to `value` (LWW, max, keep-both; append-only insert per column)
    Delete = 2,   ///< row-level tombstone; `column` is empty, `value` null
    Restore = 3,  ///< row-level undelete; `column` is empty, `value` null
    Count = 4,  ///< counter: `value` is the origin device's running total for the column (Integer)
    Command = 5,  ///< server-authoritative command: `table` names the command family, `column` the
                  ///< command, `value` its arguments as JSON text; the server answers with state
};

struct Change {
    std::string table;
    std::string row;     ///< row id, unique within the table (UUID text or a natural key)
    std::string column;  ///< empty for row-level operations
    Op op = Op::Set;
    Value value;
    Hlc hlc;   ///< when the write happened, on its origin's clock
    Hlc base;  ///< HLC of the cell version the writer saw when it wrote (0 = none);
               ///< used by keep-both to tell a concurrent edit from a later one
    DeviceId origin = 0;
    std::uint64_t seq = 0;  ///< origin's sequence number: 1, 2, 3 … without gaps

    friend bool operator==(const Change&, const Change&);
};

/// A batch pushed by one device: its changes in ascending seq order.
struct ChangeBatch {
    DeviceId device = 0;
    std::vector<Change> changes;
};

}  // namespace zb::protocol
