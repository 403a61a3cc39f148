#!/usr/bin/env bash
# Builds fgc and runs the GEMM benchmark: fgc-generated code vs OpenBLAS in
# the same process, single-threaded. Writes bench/results/gemm.json.
#   bench/gemm.sh [--reps N] [MxKxN ...]
set -euo pipefail
cd "$(dirname "$0")/.."
./build.sh
mkdir -p bench/results
exec build/bin/fgc-gemm-bench --threads 1 --json bench/results/gemm.json "$@"
