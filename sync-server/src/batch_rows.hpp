// SPDX-License-Identifier: Apache-2.0
// The write-scope check of one batch, shared by device pushes (ingest.cpp) and college relays
// (relay_ingest.cpp): a change is checked against its row as stored before the batch and as it
// will be after the change. A new row's org and owner may come from later changes of the same
// batch, but only from writes that will not be refused on their own (no timestamp, clock too far
// ahead): a refused owner write must not vouch for the row it names.
#pragma once

#include "zb/merge/schema.hpp"
#include "zb/protocol/change.hpp"
#include "zb/server/scope.hpp"
#include "zb/server/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zb::server {

class BatchRows {
public:
    BatchRows(const merge::Schema& schema, const std::vector<protocol::Change>& batch,
              std::uint64_t now_ms, std::uint64_t max_clock_ahead_ms);

    /// May `p` make change `c` to a row of `table`? Errors: OutOfScope, Forbidden (scope.hpp).
    protocol::Result<void> check_write(const Principal& p, const merge::TableDef& table,
                                       StoreTxn& txn, const protocol::Change& c);

private:
    struct Key {
        std::string table, row;
        auto operator<=>(const Key&) const = default;
    };
    std::map<Key, RowInfo> lookahead_;              ///< org/owner the batch gives each row
    std::map<Key, std::optional<RowInfo>> stored_;  ///< each row as it was before the batch
};

}  // namespace zb::server
