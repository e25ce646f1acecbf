#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: unit tests (plain, ASan+UBSan, TSan for the
# concurrency-heavy ones), end-to-end tests against the real binary, the module dependency check,
# the generated-docs check and a short fuzz run. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
# Let ccache share results between checkouts in different directories (CI clones anew each run).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
step() { printf '\n==== %s (at %ss) ====\n' "$*" "$SECONDS"; }

step "dependencies"
bash scripts/install-deps.sh
bash scripts/preflight.sh

step "module dependency check"
/usr/bin/python3 tools/check_includes.py

step "build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$JOBS"

step "lint: clang-format and clang-tidy on the changes (scripts/lint.sh)"
bash scripts/lint.sh

step "generated docs are current"
build/spate docs compatibility | diff -u docs/compatibility.md - || {
  echo "docs/compatibility.md is stale: run 'build/spate docs compatibility > docs/compatibility.md'"; exit 1; }
build/spate docs configuration | diff -u docs/configuration.md - || {
  echo "docs/configuration.md is stale: run 'build/spate docs configuration > docs/configuration.md'"; exit 1; }
build/spate docs metrics | diff -u docs/metrics.md - || {
  echo "docs/metrics.md is stale: run 'build/spate docs metrics > docs/metrics.md'"; exit 1; }

step "unit tests"
ctest --test-dir build --output-on-failure -j "$JOBS"

step "end-to-end tests"
# Two test files at a time: each starts its own brokers on free ports and data directories.
/usr/bin/python3 -m pytest -q -p no:cacheprovider -n 2 --dist loadfile tests/e2e

# One clang build with ASan+UBSan serves the sanitized unit tests and the fuzz targets (building
# the tree twice under sanitizers took a third of CI's time), and compiles everything with clang's
# warnings as well as GCC's.
step "unit tests under ASan+UBSan (clang)"
CC=clang-14 CXX=clang++-14 cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSPATE_SANITIZE=ON \
  -DSPATE_FUZZ=ON >/dev/null
cmake --build build-sanitize -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-sanitize --output-on-failure -j "$JOBS"

step "concurrency tests under TSan"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSPATE_TSAN=ON >/dev/null
cmake --build build-tsan -j "$JOBS" --target net_tests storage_tests group_tests txn_tests metrics_tests lag_tests security_tests
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/net/net_tests
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/storage/storage_tests
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/group/group_tests
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/txn/txn_tests
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/metrics/metrics_tests
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/lag/lag_tests
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/security/security_tests

step "fuzz request decoding, SASL messages and stored-state decoding (${FUZZ_SECONDS}s per target, under ASan+UBSan)"
for target in fuzz_request_frame fuzz_message_decode fuzz_state_files fuzz_sasl_messages; do
  mkdir -p "build-sanitize/corpus/$target"
  seeds=()
  [ "$target" = fuzz_request_frame ] && seeds=(tests/fuzz/seeds)
  "build-sanitize/tests/fuzz/$target" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -print_final_stats=1 \
    "build-sanitize/corpus/$target" "${seeds[@]}" 2>&1 | tail -n 15
done

echo
echo "all test stages passed in ${SECONDS}s"
