// SPDX-License-Identifier: Apache-2.0
// A unique temporary directory per test, removed on destruction unless ZB_KEEP_TEMP is set.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace zb::test {

class TempDir {
public:
    explicit TempDir(const std::string& tag = "zb") {
        std::random_device rd;
        auto base = std::filesystem::temp_directory_path();
        for (;;) {
            path_ = base / (tag + "-" + std::to_string(rd()) + std::to_string(rd()));
            if (std::filesystem::create_directory(path_)) break;
        }
    }
    ~TempDir() {
        if (!std::getenv("ZB_KEEP_TEMP")) {
            std::error_code ec;
            std::filesystem::remove_all(path_, ec);
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

}  // namespace zb::test
