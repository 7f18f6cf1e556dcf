#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Long simulator runs (issue #8): scripts/sim.sh N [FROM] [STEPS] runs N seeds from FROM (default 1)
# with STEPS fault-phase steps each (default 400) in a Release build (build-sim/), split across the
# machine's cores; each failing seed is printed with its replay command. Exit 1 if any seed failed.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:?usage: scripts/sim.sh N [FROM] [STEPS]}
FROM=${2:-1}
STEPS=${3:-400}
BUILD=${ZB_SIM_BUILD:-build-sim}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZB_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" --target zhibu-sim >/dev/null
JOBS=${ZB_SIM_JOBS:-$(nproc)}
PER=$(((N + JOBS - 1) / JOBS))
LOGDIR=$(mktemp -d)
pids=()
for ((j = 0; j < JOBS; j++)); do
  start=$((FROM + j * PER))
  count=$((PER))
  if ((start + count > FROM + N)); then count=$((FROM + N - start)); fi
  ((count > 0)) || continue
  "$BUILD/tests/sim/zhibu-sim" --from "$start" --seeds "$count" --steps "$STEPS" >"$LOGDIR/$j.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
cat "$LOGDIR"/*.log
grep -h "^FAIL" "$LOGDIR"/*.log >/dev/null && status=1
echo "sim.sh: $N seeds from $FROM, $STEPS steps each: $(grep -h '^FAIL' "$LOGDIR"/*.log | wc -l) failed"
rm -rf "$LOGDIR"
exit $status
