// SPDX-License-Identifier: Apache-2.0
// Replay driver for fuzz targets in ordinary builds: feeds every file named on the command line
// (directories are walked, sorted, recursively) to LLVMFuzzerTestOneInput once. A crash or an
// invariant abort fails the ctest; a fixed crash input kept in the corpus stays fixed.
// Usage: replay_<target> [--only=<suffix>] <file|dir>...   (--only filters the paths after it)

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace fs = std::filesystem;

namespace {

bool wanted(const fs::path& p, const std::string& suffix) {
    const std::string name = p.filename().string();
    if (name.empty() || name.front() == '.' || name.rfind("README", 0) == 0) return false;
    return suffix.empty() ||
           (name.size() >= suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0);
}

}  // namespace

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
    std::vector<fs::path> inputs;
    std::string suffix;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind("--only=", 0) == 0) {
            suffix = arg.substr(7);
            continue;
        }
        const fs::path p(arg);
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            for (const auto& e : fs::recursive_directory_iterator(p)) {
                if (e.is_regular_file() && wanted(e.path(), suffix)) inputs.push_back(e.path());
            }
        } else if (fs::is_regular_file(p, ec)) {
            inputs.push_back(p);
        } else {
            std::fprintf(stderr, "replay: %s does not exist, skipped\n", arg.c_str());
        }
    }
    std::sort(inputs.begin(), inputs.end());
    if (inputs.empty()) {
        std::fprintf(stderr, "replay: no inputs\n");
        return 1;
    }
    for (const auto& p : inputs) {
        std::ifstream in(p, std::ios::binary);
        const std::vector<char> raw((std::istreambuf_iterator<char>(in)),
                                    std::istreambuf_iterator<char>());
        std::vector<std::uint8_t> data(raw.begin(), raw.end());
        // A copy of exactly the right size, so ASan catches reads past the end.
        LLVMFuzzerTestOneInput(data.data(), data.size());
    }
    std::printf("replay: %zu inputs, no crash\n", inputs.size());
    return 0;
}
