#!/usr/bin/env bash
# Runs every benchmark in a Release build (no sanitizers), prints each one's own table, and closes
# with ONE table of every target (the "@summary" lines the benchmarks print).
# Figures are recorded in docs/PERFORMANCE.md together with this command.
# Arguments are passed to every benchmark; ZB_BENCH_ONLY=bench_server runs just that one.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ZB_BENCH_BUILD:-$PWD/build-rel}
./scripts/setup.sh >/dev/null
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZB_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)"
machine="$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m); $(g++ --version | head -1)"
echo "machine: $machine; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
for b in "$BUILD"/tests/bench/bench_*; do
  [ -x "$b" ] || continue
  name=$(basename "$b")
  if [ -n "${ZB_BENCH_ONLY:-}" ] && [ "$name" != "$ZB_BENCH_ONLY" ]; then continue; fi
  echo
  echo "## $name"
  set +e
  "$b" "$@" | tee >(grep '^@summary|' >>"$summary") | grep -v '^@summary|'
  rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" -eq 0 ] || { echo "$name exited with $rc"; status=1; }
done
sleep 0.2  # let the tee'd summary writers finish
echo
echo "## every target in one table ($machine)"
echo
echo "| benchmark | metric | value | target | met |"
echo "|---|---|---|---|---|"
while IFS='|' read -r _ bench metric value target met; do
  echo "| $bench | $metric | $value | $target | $met |"
done <"$summary"
exit $status
