#!/usr/bin/python3
"""Hyper-parameter tuning on a held-out part of the training set
(docs/results.md): the last 10000 Fashion-MNIST training images become a
validation set and each candidate value trains on the other 50000; the value
with the lowest validation error after the last epoch is printed (a diverging
candidate counts as error 1). The test set is never read.

--param lr (the default) tunes the trainer's learning rate, for runs that
diverge at the paper's lr 0.01: one trainer is compiled and run once per
value. Any other --param is an `fgc compile` option (e.g. last-layer-lr, the
readout's learning-rate multiplier): one trainer is compiled per value and
trained at --lr. --algo bp tunes bench/bp_baseline.py instead (its --lr or
--last-layer-lr), on the same split.

Usage: tune_lr.py --model mlp --algo fg-w [--values 0.003,0.001,0.0003] [--epochs 3]
       tune_lr.py --model m_1_16 --algo lg-fg-a --param last-layer-lr \\
                  --values 0.1,0.3,1,3 --epochs 20
"""
import argparse
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

DATA = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
HOLDOUT = 10000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="mlp")
    ap.add_argument("--algo", default="fg-w")
    ap.add_argument("--param", default="lr")
    ap.add_argument("--values", "--lrs", default="0.003,0.001,0.0003")
    ap.add_argument("--lr", default="0.01", help="the learning rate when --param is not lr")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", default="0")
    args = ap.parse_args()
    if args.algo == "bp" and args.param not in ("lr", "last-layer-lr"):
        ap.error("--algo bp tunes lr or last-layer-lr")
    root = os.path.join(HERE, "..")
    tmp = tempfile.mkdtemp()
    try:
        images = gzip.open(os.path.join(DATA, "train-images-idx3-ubyte.gz")).read()[16:]
        labels = gzip.open(os.path.join(DATA, "train-labels-idx1-ubyte.gz")).read()[8:]
        total = len(labels)

        def write(prefix, lo, hi):
            with open(os.path.join(tmp, f"{prefix}-images"), "wb") as f:
                f.write(struct.pack(">IIII", 0x803, hi - lo, 28, 28) + images[lo * 784:hi * 784])
            with open(os.path.join(tmp, f"{prefix}-labels"), "wb") as f:
                f.write(struct.pack(">II", 0x801, hi - lo) + labels[lo:hi])

        write("train", 0, total - HOLDOUT)
        write("val", total - HOLDOUT, total)
        onnx = os.path.join(root, f"models/{args.model}.opset13.onnx")

        def compile_trainer(exe, extra):
            subprocess.run([os.path.join(root, "build/bin/fgc"), "compile", onnx,
                            "--batch-size", "128", "--algo", args.algo, "-o", exe] + extra,
                           check=True, capture_output=True)

        exe = os.path.join(tmp, "train")
        if args.algo != "bp" and args.param == "lr":
            compile_trainer(exe, [])
        best = None
        for value in args.values.split(","):
            metrics = os.path.join(tmp, f"m{value}.jsonl")
            lr = value if args.param == "lr" else args.lr
            if args.algo == "bp":
                extra = [] if args.param == "lr" else ["--last-layer-lr", value]
                with open(metrics, "w") as out:
                    subprocess.run([sys.executable, os.path.join(HERE, "bp_baseline.py"),
                                    "--model", args.model, "--epochs", str(args.epochs),
                                    "--lr", lr, "--seed", args.seed, "--holdout", str(HOLDOUT)]
                                   + extra, stdout=out, stderr=subprocess.DEVNULL)
            else:
                if args.param != "lr":
                    compile_trainer(exe, [f"--{args.param}={value}"])
                subprocess.run([exe, "--train", f"{tmp}/train-images,{tmp}/train-labels",
                                "--test", f"{tmp}/val-images,{tmp}/val-labels",
                                "--dataset", "fashion-mnist", "--epochs", str(args.epochs),
                                "--lr", lr, "--seed", args.seed, "--threads", "1", "--quiet",
                                "--metrics", metrics], capture_output=True)
            rows = [json.loads(l) for l in open(metrics) if l.strip()] if os.path.exists(metrics) else []
            ok = len(rows) == args.epochs and rows[-1]["test_error"] == rows[-1]["test_error"]
            err = rows[-1]["test_error"] if ok else 1.0
            print(json.dumps({"model": args.model, "algo": args.algo, args.param: float(value),
                              "lr": float(lr), "epochs": args.epochs,
                              "validation_error": err}), flush=True)
            if best is None or err < best[1]:
                best = (value, err)
        print(f"best {args.param} {best[0]} (validation error {best[1]:.4f})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
