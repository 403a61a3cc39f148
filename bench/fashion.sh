#!/usr/bin/env bash
# The Fashion-MNIST results of docs/results.md: fgc trainers for each
# algorithm and the PyTorch backprop baseline, same data, batch 128, SGD
# lr 0.01 momentum 0.9 linear decay (spec §5.3), EPOCHS epochs (default 20).
# Writes bench/results/<model>.<algo>.jsonl (+ .svg) and .log; prints a table.
# Usage: bench/fashion.sh [MODELS] [ALGOS]   (e.g. "m_1_16" "lg-fg-a readout")
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS=${1:-"m_1_16 mlp"}
ALGOS=${2:-"bp lg-fg-a readout fg-a lg-fg-w fg-w"}
EPOCHS=${EPOCHS:-20}
THREADS=${THREADS:-1}
# FLAGS: extra fgc compile flags (e.g. --last-layer-lr 1); TAG: their name
# in the result files (bench/results/<TAG>/...).
FLAGS=${FLAGS:-}
out=bench/results${TAG:+/$TAG}
mkdir -p "$out"
for m in $MODELS; do
  onnx=models/$m.opset13.onnx
  for a in $ALGOS; do
    if [ "$a" = bp ]; then
      /usr/bin/python3 bench/bp_baseline.py --model "$m" --epochs "$EPOCHS" \
        --threads "$THREADS" > "$out/$m.bp.jsonl"
    else
      build/bin/fgc compile "$onnx" --batch-size 128 --algo="$a" $FLAGS \
        -o "$out/train_$m.$a" 2>/dev/null
      "$out/train_$m.$a" --epochs "$EPOCHS" --lr 0.01 --threads "$THREADS" \
        --metrics "$out/$m.$a.jsonl" > "$out/$m.$a.log" 2>&1 || true
      rm -f "$out/train_$m.$a"
    fi
    tail -1 "$out/$m.$a.jsonl" | /usr/bin/python3 -c "
import json,sys
r=json.loads(sys.stdin.read())
print(f\"$m $a: epoch {r['epoch']} train error {100*r['train_error']:.2f}% test error {100*r['test_error']:.2f}%\")"
  done
done
