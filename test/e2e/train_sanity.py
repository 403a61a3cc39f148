#!/usr/bin/python3
"""Every algorithm's compiled @train_step runs for a few steps on one fixed
batch of random data and lowers its losses (a sanity check of the whole
step: directions, estimates, optimizer, state feedback; not an accuracy bar).

For each model and algorithm: `fgc run --function=train_step --steps S` on
one batch; the local losses (lg-*) or the readout loss (others) at the last
step must be below the first step's. FG-W averages 16 directions per step
(its single-draw estimate is too noisy to show progress in a few steps on
a fixed batch; that is the method, see fg_reference.py --full).

Usage: train_sanity.py --fgc BUILD/bin/fgc --models DIR
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

RUNS = [  # (model, algo, steps, lr, extra flags)
    ("mlp", "lg-fg-a", 15, 0.005, []),
    ("mlp", "fg-a", 15, 0.005, []),
    ("mlp", "lg-fg-w", 15, 0.01, ["--tangents", "16"]),
    ("mlp", "fg-w", 15, 0.01, ["--tangents", "16"]),
    ("mlp", "readout", 15, 0.05, ["--last-layer-lr", "1"]),
    ("m_1_16", "lg-fg-a", 15, 0.05, []),
    ("m_1_16", "fg-a", 15, 0.05, []),
    ("m_1_16", "lg-fg-w", 15, 0.01, ["--tangents", "16"]),
    ("m_1_16", "fg-w", 15, 0.01, ["--tangents", "16"]),
    ("m_1_16", "readout", 15, 0.05, ["--last-layer-lr", "1"]),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fgc", required=True)
    ap.add_argument("--models", required=True)
    args = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.RandomState(0)
        inputs = {"image": rng.rand(32, 1, 28, 28).astype(np.float32),
                  "labels": rng.randint(0, 10, 32).astype(np.int64),
                  "step": np.array(0, np.int64), "seed": np.array(1, np.int64)}
        for model, algo, steps, lr, extra in RUNS:
            inputs["lr"] = np.array(lr, np.float32)
            cmd = [args.fgc, "run", os.path.join(args.models, f"{model}.opset17.onnx"),
                   "--algo", algo, "--function", "train_step", "--steps", str(steps),
                   "--output-dir", os.path.join(tmp, "out"), "--threads", "1"] + extra
            for name, v in inputs.items():
                f = os.path.join(tmp, name + ".npy")
                np.save(f, v)
                cmd += ["--input", f"{name}={f}"]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                failures.append(f"{model} {algo}: {proc.stderr.strip()}")
                continue
            rows = []
            for line in proc.stdout.splitlines():
                fields = dict(f.split("=") for f in line.split()[2:])
                rows.append({k: float(v) for k, v in fields.items()})
            keys = [k for k in rows[0] if k.startswith("loss.block")] or ["loss.readout"]
            first = sum(rows[0][k] for k in keys)
            last = sum(rows[-1][k] for k in keys)
            ok = last < first and np.isfinite(last)
            print(f"{model:7s} {algo:8s} {'+'.join(keys)}: {first:.4f} -> {last:.4f} "
                  f"after {steps} steps {'ok' if ok else 'FAILED'}")
            if not ok:
                failures.append(f"{model} {algo}: loss {first:.4f} -> {last:.4f}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
