// SPDX-License-Identifier: Apache-2.0
// Building the shared server context: master key, store, clock.
#include "zb/server/context.hpp"

#include <chrono>
#include <filesystem>

namespace zb::server {

std::uint64_t system_now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

std::unique_ptr<ServerContext> make_context(Config config, merge::Schema schema) {
    crypto_init();
    auto ctx = std::make_unique<ServerContext>();
    ctx->config = std::move(config);
    ctx->schema = std::move(schema);
    std::filesystem::create_directories(ctx->config.data_dir);
    ctx->master_key = load_master_key(ctx->config.master_key_path(), ctx->config.create_master_key);
    SqliteOptions o;
    o.path = ctx->config.db_path();
    o.schema = &ctx->schema;
    o.master_key = &ctx->master_key;
    o.readers = std::max(2u, ctx->config.store_threads);
    ctx->store = open_sqlite_store(o);
    BlobStoreOptions b;
    b.path = (std::filesystem::path(ctx->config.data_dir) / "blobs.db").string();
    b.master_key = &ctx->master_key;
    ctx->blobs = open_blob_store(b);
    return ctx;
}

}  // namespace zb::server
