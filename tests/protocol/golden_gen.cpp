// SPDX-License-Identifier: Apache-2.0
// Regenerates the protocol golden vectors: for every message of golden.hpp it writes
// <name>.cbor (the exact encoding) and <name>.json (describe()) into the given directory.
// Run it only on purpose, after a deliberate encoding change that SPEC.md records:
//   build/tests/protocol/protocol_golden_gen tests/data/protocol

#include "golden.hpp"

#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <tests/data/protocol>\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    for (const auto& m : zb::test::golden::messages()) {
        const std::string name(zb::protocol::type_name(zb::protocol::type_of(m)));
        const zb::protocol::Bytes bytes = zb::protocol::encode(m);
        std::ofstream cbor(dir + "/" + name + ".cbor", std::ios::binary | std::ios::trunc);
        cbor.write(reinterpret_cast<const char*>(bytes.data()),
                   static_cast<std::streamsize>(bytes.size()));
        std::ofstream json(dir + "/" + name + ".json", std::ios::trunc);
        json << zb::test::golden::describe(m).dump(2) << "\n";
        if (!cbor || !json) {
            std::fprintf(stderr, "cannot write %s/%s.*\n", dir.c_str(), name.c_str());
            return 1;
        }
        std::printf("%-10s %5zu bytes\n", name.c_str(), bytes.size());
    }
    const zb::protocol::Compressed c = zb::test::golden::compressed_vector();
    const zb::protocol::Bytes bytes = zb::protocol::encode_compressed(c);
    std::ofstream cbor(dir + "/compressed.cbor", std::ios::binary | std::ios::trunc);
    cbor.write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    std::ofstream json(dir + "/compressed.json", std::ios::trunc);
    json << zb::test::golden::describe_compressed(c).dump(2) << "\n";
    if (!cbor || !json) {
        std::fprintf(stderr, "cannot write %s/compressed.*\n", dir.c_str());
        return 1;
    }
    std::printf("%-10s %5zu bytes\n", "compressed", bytes.size());
    return 0;
}
