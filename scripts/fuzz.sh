#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-14 (ASan + UBSan + libFuzzer) in
# build-fuzz and runs one target or all of them for a fixed time each. New inputs go to a scratch
# corpus in the build dir; the checked-in seeds (tests/fuzz/corpus/<target>) are only read.
# Prints executions, time and crashes per target; exits non-zero if any target crashed.
#   scripts/fuzz.sh <target|all> [seconds]      e.g. scripts/fuzz.sh decode 900
# Environment: ZB_FUZZ_BUILD (build dir), ZB_JOBS (build parallelism, default 2),
#              ZB_FUZZ_MAX_LEN (default 8192), ZB_FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${ZB_FUZZ_BUILD:-$ROOT/build-fuzz}
JOBS=${ZB_JOBS:-2}
MAX_LEN=${ZB_FUZZ_MAX_LEN:-8192}

if [ $# -lt 1 ]; then
  echo "usage: $0 <target|all> [seconds]" >&2
  exit 2
fi
WHICH=$1
SECONDS_EACH=${2:-60}

mapfile -t ALL < <(ls tests/fuzz/fuzz_*.cpp | sed -E 's#.*/fuzz_(.*)\.cpp#\1#' | sort)
if [ "$WHICH" = all ]; then
  TARGETS=("${ALL[@]}")
else
  if [ ! -f "tests/fuzz/fuzz_$WHICH.cpp" ]; then
    echo "no such fuzz target: $WHICH (have: ${ALL[*]})" >&2
    exit 2
  fi
  TARGETS=("$WHICH")
fi

echo "== configure $BUILD (clang-14, ZB_BUILD_FUZZ=ON)"
CC=clang-14 CXX=clang++-14 cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DZB_SANITIZE=ON -DZB_BUILD_FUZZ=ON -DZB_BUILD_TESTS=ON -DZB_BUILD_BENCH=OFF >/dev/null
echo "== build ${TARGETS[*]/#/fuzz_}"
cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary=()
for t in "${TARGETS[@]}"; do
  scratch=$BUILD/fuzz-scratch/$t
  artifacts=$BUILD/fuzz-artifacts/$t
  log=$BUILD/fuzz-logs/$t.log
  mkdir -p "$scratch" "$artifacts" "$(dirname "$log")"
  seeds=()
  [ -d "tests/fuzz/corpus/$t" ] && seeds+=("tests/fuzz/corpus/$t")
  echo "== fuzz_$t for ${SECONDS_EACH}s (log: $log)"
  set +e
  # shellcheck disable=SC2086
  "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -max_len="$MAX_LEN" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" ${ZB_FUZZ_ARGS:-} \
    "$scratch" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  secs=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -1)
  crashes=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
            -o -name 'oom-*' -o -name 'slow-unit-*' \) | wc -l)
  tail -n 3 "$log"
  line="fuzz_$t: executions=${execs:-?} seconds=${secs:-?} exec/s=${rate:-?} crashes=$crashes exit=$rc"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    status=1
    line+="  ARTIFACTS: $artifacts (add the input to tests/fuzz/corpus/$t once fixed)"
    grep -m1 -E 'ERROR: |invariant violated|runtime error' "$log" || true
  fi
  summary+=("$line")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
