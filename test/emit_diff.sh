#!/usr/bin/env bash
# Compares every `fgc compile --emit=` stage of every bundled model between two
# fgc binaries: the check that a restructuring changed no compiler output.
#
#   test/emit_diff.sh REF_FGC NEW_FGC [WORKDIR]
#
# REF_FGC is an fgc built from the commit before the change (e.g. in a git
# worktree: git worktree add /tmp/ref <commit> && (cd /tmp/ref && ./build.sh)),
# NEW_FGC the one under test. Stages: fg, linalg, mlir and llvm without
# training; local, train, linalg, mlir and llvm for each algorithm. Models:
# models/*.onnx at both opsets (batch 16); the LLVM IR stage is compared at
# opset 17 only, which is enough to cover the back end and keeps the run to a
# few minutes on two cores. Prints one line per difference and a summary;
# exits 1 if any output differs or one binary fails where the other does not.
# With EMIT_DIFF_REUSE_REF=1, REF_FGC's outputs already in WORKDIR are reused.
set -uo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
ref=$1
new=$2
work=${3:-$(mktemp -d)}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work/ref" "$work/new"

same=0
differ=0
compare() { # NAME ARGS...
  local name=$1
  shift
  local rc1
  if [ -n "${EMIT_DIFF_REUSE_REF:-}" ] && [ -f "$work/ref/$name.rc" ]; then
    rc1=$(cat "$work/ref/$name.rc")
  else
    "$ref" compile "$@" -o "$work/ref/$name" 2>"$work/ref/$name.err"
    rc1=$?
    echo $rc1 >"$work/ref/$name.rc"
  fi
  "$new" compile "$@" -o "$work/new/$name" 2>"$work/new/$name.err"
  local rc2=$?
  if [ $rc1 -ne $rc2 ]; then
    echo "DIFFERENT exit status ($rc1 vs $rc2): $name"
    differ=$((differ + 1))
  elif [ $rc1 -ne 0 ]; then
    if cmp -s "$work/ref/$name.err" "$work/new/$name.err"; then
      same=$((same + 1))
    else
      echo "DIFFERENT error: $name"
      differ=$((differ + 1))
    fi
  elif cmp -s "$work/ref/$name" "$work/new/$name"; then
    same=$((same + 1))
  else
    echo "DIFFERENT: $name (diff $work/ref/$name $work/new/$name)"
    differ=$((differ + 1))
  fi
}

for model in "$root"/models/*.onnx; do
  base=$(basename "$model" .onnx)
  stages="fg linalg mlir"
  case $base in *opset17) stages="$stages llvm" ;; esac
  for emit in $stages; do
    compare "$base.$emit" "$model" --batch-size 16 --emit=$emit
  done
  for algo in lg-fg-a fg-a lg-fg-w fg-w readout; do
    for emit in local train linalg $(case $base in *opset17) echo mlir llvm ;; esac); do
      compare "$base.$algo.$emit" "$model" --batch-size 16 --algo=$algo --emit=$emit
    done
  done
  # Option variants that take other paths through the passes.
  compare "$base.k4-adam.train" "$model" --batch-size 16 --algo=lg-fg-a \
    --tangents 4 --optimizer=adam --schedule=warmup-cosine --emit=train
  compare "$base.fgw-k2-adamw.train" "$model" --batch-size 16 --algo=fg-w \
    --tangents 2 --optimizer=adamw --schedule=staircase --explicit-tangents --emit=train
  compare "$base.init.fg" "$model" --batch-size 16 --init=lecun --emit=fg
done
echo "emit_diff: $same identical, $differ different (outputs in $work)"
[ $differ -eq 0 ]
