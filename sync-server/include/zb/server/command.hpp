// SPDX-License-Identifier: Apache-2.0
// Server-authoritative commands (Op::Command): a device asks, the server decides and writes the
// resulting state as server-origin changes. Handlers are registered by (family, name), i.e. the
// change's table and column; the domain engineer provides the real ones. Unknown commands are
// refused with RuleViolation.
#pragma once

#include "zb/protocol/change.hpp"
#include "zb/protocol/result.hpp"
#include "zb/server/scope.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace zb::server {

class StoreTxn;

/// A state change a command produces: written with the server's origin, clock and sequence.
struct CommandWrite {
    std::string table;
    std::string row;
    std::string column;  ///< empty with op Delete/Restore
    protocol::Op op = protocol::Op::Set;
    protocol::Value value;
};

struct CommandContext {
    const Principal& principal;
    StoreTxn& txn;  ///< read the stored state through txn.state() / txn.row_info()
    std::uint64_t now_ms;
};

class CommandHandler {
public:
    virtual ~CommandHandler() = default;
    /// Decide on `cmd` (cmd.value holds the JSON arguments as text). Errors are sent to the device
    /// as the change's rejection (use Forbidden, OutOfScope, RuleViolation, BadValue).
    virtual protocol::Result<std::vector<CommandWrite>> handle(const CommandContext& ctx,
                                                               const protocol::Change& cmd) = 0;
};

/// Derived server writes for device changes the server has just accepted, in the same push
/// transaction: the server's own receipt time on a study session, a meeting's assigned period, a
/// quiz's score. Receipt time is what points caps and periods are computed from (device time is
/// evidence, not truth: domain.md §12.1.2, §12.1.6), and only ingest knows it.
class AcceptObserver {
public:
    virtual ~AcceptObserver() = default;
    /// `accepted`: the batch's changes that were accepted (code Ok), in order; commands excluded.
    virtual std::vector<CommandWrite> accepted(const CommandContext& ctx,
                                               const std::vector<protocol::Change>& accepted) = 0;
};

class CommandRegistry {
public:
    void add(std::string family, std::string name, std::shared_ptr<CommandHandler> h);
    /// nullptr when unknown.
    CommandHandler* find(std::string_view family, std::string_view name) const;
    std::size_t size() const { return handlers_.size(); }

    void observe(std::shared_ptr<AcceptObserver> o) { observers_.push_back(std::move(o)); }
    const std::vector<std::shared_ptr<AcceptObserver>>& observers() const { return observers_; }

private:
    std::map<std::pair<std::string, std::string>, std::shared_ptr<CommandHandler>> handlers_;
    std::vector<std::shared_ptr<AcceptObserver>> observers_;
};

}  // namespace zb::server
