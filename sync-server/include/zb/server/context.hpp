// SPDX-License-Identifier: Apache-2.0
// ServerContext: what every session shares (configuration, schema, store, commands, metrics,
// clock). Owned by the Server, or by a test or fuzzer that drives SessionHandler directly.
#pragma once

#include "zb/merge/schema.hpp"
#include "zb/server/blob_store.hpp"
#include "zb/server/command.hpp"
#include "zb/server/config.hpp"
#include "zb/server/crypto.hpp"
#include "zb/server/metrics.hpp"
#include "zb/server/store.hpp"

#include <cstdint>
#include <functional>
#include <memory>

namespace zb::server {

std::uint64_t system_now_ms();

struct ServerContext {
    Config config;
    merge::Schema schema;
    SecretKey master_key;
    std::unique_ptr<ServerStore> store;  ///< opened after schema and master_key are set
    std::unique_ptr<BlobStore> blobs;    ///< attachments (blobs.db); null = refused
    CommandRegistry commands;
    Metrics metrics;
    std::function<std::uint64_t()> now_ms = system_now_ms;  ///< tests may move time
};

/// Build a context: load the master key, open the SQLite store under config.data_dir.
/// Throws std::runtime_error.
std::unique_ptr<ServerContext> make_context(Config config, merge::Schema schema);

}  // namespace zb::server
