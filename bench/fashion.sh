#!/usr/bin/env bash
# The Fashion-MNIST results of docs/results.md: fgc trainers for each
# algorithm and the PyTorch backprop baseline, same data, batch 128, SGD
# lr 0.01 momentum 0.9 linear decay (spec §5.3), EPOCHS epochs (default 20).
# Writes bench/results[/TAG]/<model>.<algo>[.seed<S>].jsonl (+ .svg, .log);
# prints one line per run. bench/results_table.py makes the table.
# Usage: bench/fashion.sh [MODELS] [ALGOS]   (e.g. "m_1_16" "lg-fg-a readout")
# Environment: EPOCHS; THREADS (BLAS/trainer threads, default 1); SEEDS (data
# order and tangent seeds, default "0"; seed 0 writes <model>.<algo>.jsonl);
# FLAGS (extra fgc compile flags, e.g. --last-layer-lr 1); BP_FLAGS (extra
# bench/bp_baseline.py flags, e.g. --last-layer-lr 0.1); TAG (a subfolder of
# bench/results for a variant).
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS=${1:-"m_1_16 mlp"}
ALGOS=${2:-"bp lg-fg-a readout fg-a lg-fg-w fg-w"}
EPOCHS=${EPOCHS:-20}
THREADS=${THREADS:-1}
SEEDS=${SEEDS:-0}
FLAGS=${FLAGS:-}
BP_FLAGS=${BP_FLAGS:-}
out=bench/results${TAG:+/$TAG}
mkdir -p "$out"
for m in $MODELS; do
  onnx=models/$m.opset13.onnx
  for a in $ALGOS; do
    exe=$out/train_$m.$a
    if [ "$a" != bp ]; then
      build/bin/fgc compile "$onnx" --batch-size 128 --algo="$a" $FLAGS \
        -o "$exe" 2>/dev/null
    fi
    for s in $SEEDS; do
      run=$out/$m.$a
      [ "$s" = 0 ] || run=$run.seed$s
      if [ "$a" = bp ]; then
        /usr/bin/python3 bench/bp_baseline.py --model "$m" --epochs "$EPOCHS" \
          --threads "$THREADS" --seed "$s" $BP_FLAGS > "$run.jsonl"
      else
        "$exe" --epochs "$EPOCHS" --lr 0.01 --threads "$THREADS" --seed "$s" \
          --metrics "$run.jsonl" > "$run.log" 2>&1 || true
      fi
      tail -1 "$run.jsonl" | /usr/bin/python3 -c "
import json,sys
r=json.loads(sys.stdin.read())
print(f\"$m $a seed $s: epoch {r['epoch']} train error {100*r['train_error']:.2f}% test error {100*r['test_error']:.2f}%\")"
    done
    rm -f "$exe"
  done
done
