// SPDX-License-Identifier: Apache-2.0
// The "zb-seal" SQLite VFS shim: registration and the per-path key registry through which the
// VFS learns each database's key. Key bytes never travel in a URI or a filename; the opener binds
// the key to the canonical path before sqlite3_open_v2 and keeps the binding while it needs it.
#pragma once

#include "zb/crypto/error.hpp"
#include "zb/crypto/secret_key.hpp"

#include <string>

struct sqlite3_vfs;

namespace zb::crypto {

inline constexpr const char* kVfsName = "zb-seal";

/// Registers the shim (once; not as the default VFS) over the platform default VFS and returns
/// it. Thread-safe. Returns nullptr if SQLite has no default VFS.
sqlite3_vfs* register_seal_vfs();

/// The canonical path SQLite will use for `path` (the lower VFS's xFullPathname).
Result<std::string> canonical_path(const std::string& path);

/// Number of live key bindings for `path` in this process (0 if none).
int key_binding_count(const std::string& path);

/// Keeps `dek` bound to a database path in the process-wide registry for its lifetime.
/// Several bindings of the same key to the same path are reference-counted; binding a different
/// key to a path that is already bound fails with KeyConflict. Move-only. Thread-safe.
class KeyBinding final {
public:
    static Result<KeyBinding> bind(const std::string& path, const SecretKey& dek);
    KeyBinding() = default;
    ~KeyBinding();
    KeyBinding(KeyBinding&& other) noexcept;
    KeyBinding& operator=(KeyBinding&& other) noexcept;
    KeyBinding(const KeyBinding&) = delete;
    KeyBinding& operator=(const KeyBinding&) = delete;

    const std::string& path() const { return path_; }
    /// Number of live bindings for this path in the process (including this one).
    int use_count() const;
    void reset();

private:
    explicit KeyBinding(std::string p) : path_(std::move(p)) {}
    std::string path_;
};

}  // namespace zb::crypto
