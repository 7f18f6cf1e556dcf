#!/usr/bin/env bash
# The README's main job: installs what is missing, builds (Release), starts the Zhibu server on
# its embedded SQLite store with a sample university, and plays the three everyday stories with
# phones syncing over TLS on 127.0.0.1. The server keeps running afterwards for the `zhibu`
# client until Ctrl-C (pass --exit to stop after the stories). Extra flags go to zhibu-demo
# (see `build/sync-server/zhibu-demo --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ZB_BUILD:-$PWD/build}

./scripts/setup.sh
echo "== building Zhibu (Release) in $BUILD"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZB_BUILD_TESTS=OFF \
      -DZB_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target zhibu-demo zhibu-server zhibu_cli

export ZHIBU_CLI="$BUILD/mobile-bindings/cli/zhibu"
exec "$BUILD/sync-server/zhibu-demo" "$@"
