#!/usr/bin/env bash
# Sets up, builds and runs every test suite: lit (dialect, passes, importer,
# models), GoogleTest, the ONNX backend-test import sweep and the importer
# fuzzer. Extra arguments go to ctest (e.g. -R lit, -V).
set -euo pipefail
cd "$(dirname "$0")"
./build.sh
ctest --test-dir build -j"$(nproc)" --output-on-failure "$@"
