// SPDX-License-Identifier: Apache-2.0
// Internal POSIX file helpers for zb_crypto: durable atomic replace (temp, fsync, rename, fsync
// directory), fsync of a file or directory, and overwrite-then-unlink for wipe.
// Not installed; used only by key_record.cpp and encrypted_db.cpp.
#pragma once

#include "zb/crypto/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace zb::crypto::detail {

bool file_exists(const std::string& path);
/// Size in bytes, or -1 if the file does not exist.
std::int64_t file_size(const std::string& path);
Result<void> fsync_file(const std::string& path);
Result<void> fsync_parent_dir(const std::string& path);
/// Writes `data` to `<path>.tmp`, fsyncs it, renames it over `path`, fsyncs the directory.
Result<void> write_file_atomic(const std::string& path, std::string_view data);
/// Renames and fsyncs the directory.
Result<void> rename_durable(const std::string& from, const std::string& to);
/// Overwrites the file with random bytes, fsyncs, unlinks. Missing files are not an error.
Result<void> overwrite_and_unlink(const std::string& path);
Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes);

}  // namespace zb::crypto::detail
