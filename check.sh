#!/usr/bin/env bash
# Sets up, builds and runs every test suite: lit (dialect, passes, importer,
# models), GoogleTest, the ONNX backend-test sweep, the PyTorch checks, the
# trainer end-to-end tests and the fuzzers. Extra arguments go to ctest
# (e.g. -R lit, -V).
#   ./check.sh              the Release build (build/), every suite
#   ./check.sh --sanitize   the ASan+UBSan build (build-asan/), the suites
#                           labelled "sanitize": lit, GoogleTest, fuzzers,
#                           trainer end-to-end and checkpoint faults
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = --sanitize ]; then
  shift
  ./build.sh --sanitize
  # Leaks are reported by the fuzzers (libFuzzer's own leak check); in the
  # tools, LLVM's and MLIR's process-lifetime globals would drown them.
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
  export UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}"
  ctest --test-dir build-asan -L sanitize -j"$(nproc)" --output-on-failure "$@"
  exit
fi
./build.sh
ctest --test-dir build -j"$(nproc)" --output-on-failure "$@"
