#!/usr/bin/env bash
# The README's test command: installs what is missing, builds the sanitizer configuration
# (ASan + UBSan, warnings as errors), checks formatting and exported symbols, runs every test
# except the long ones (labels slow and bench), and a short fuzz pass.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${ZB_TEST_BUILD:-$ROOT/build-asan}
JOBS=${ZB_JOBS:-$(nproc)}

./scripts/setup.sh

echo "== format check (clang-format-14)"
mapfile -t files < <(git ls-files '*.h' '*.hpp' '*.c' '*.cpp' ':!:tests/data/**' 2>/dev/null || true)
if [ ${#files[@]} -gt 0 ]; then
  clang-format-14 --dry-run --Werror "${files[@]}"
fi

echo "== configure + build ($BUILD)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DZB_SANITIZE=ON -DZB_WERROR=ON \
      -DZB_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== tests"
ctest --test-dir "$BUILD" -LE "slow|bench" --output-on-failure -j "$JOBS" --timeout 600 \
  | tee "$BUILD/ctest-summary.log"

echo "== short fuzz pass (clang-14 libFuzzer, 20 s per target)"
ZB_JOBS=$JOBS ./scripts/fuzz.sh all 20

# The closing line CI reads: CTest's counts (the fuzz pass above fails the script on a crash).
total=$(sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/p' "$BUILD/ctest-summary.log")
failed=$(sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/p' "$BUILD/ctest-summary.log")
echo "ctest: $((total - failed)) passed, $failed failed"
