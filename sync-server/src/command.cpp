// SPDX-License-Identifier: Apache-2.0
// The command registry: (family, name) → handler. Lookups are read-only after start-up.
#include "zb/server/command.hpp"

namespace zb::server {

void CommandRegistry::add(std::string family, std::string name, std::shared_ptr<CommandHandler> h) {
    handlers_[{std::move(family), std::move(name)}] = std::move(h);
}

CommandHandler* CommandRegistry::find(std::string_view family, std::string_view name) const {
    auto it = handlers_.find({std::string(family), std::string(name)});
    return it == handlers_.end() ? nullptr : it->second.get();
}

}  // namespace zb::server
