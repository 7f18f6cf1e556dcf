#!/usr/bin/env bash
# Runs every benchmark in a Release build (no sanitizers) and prints their tables.
# Figures are recorded in docs/PERFORMANCE.md together with this command.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ZB_BENCH_BUILD:-$PWD/build-rel}
./scripts/setup.sh >/dev/null
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZB_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m); $(g++ --version | head -1)"
status=0
for b in "$BUILD"/tests/bench/bench_*; do
  [ -x "$b" ] || continue
  echo
  echo "## $(basename "$b")"
  "$b" "$@" || status=1
done
exit $status
