#!/usr/bin/env bash
# Builds fgc and times JVPs (K = 1, 4, 16; with respect to inputs and to all
# parameters) against the forward pass of the same model, in one process,
# single-threaded, batch 128. Writes bench/results/jvp.json.
#   bench/jvp.sh [--reps N] [MODEL.onnx ...]
set -euo pipefail
cd "$(dirname "$0")/.."
./build.sh
mkdir -p bench/results
args=("$@")
has_model=0
for a in "$@"; do [[ $a == *.onnx ]] && has_model=1; done
[ $has_model = 1 ] || args+=(models/mlp.opset17.onnx models/m_1_16.opset17.onnx)
exec build/bin/fgc-jvp-bench --threads 1 --json bench/results/jvp.json "${args[@]}"
