#!/usr/bin/python3
"""Learning-rate tuning on a held-out part of the training set, for runs that
diverge at the paper's lr 0.01 (docs/results.md): the last 10000 Fashion-MNIST
training images become a validation set, a trainer is compiled once, and each
candidate lr trains for a few epochs on the other 50000; the lr with the lowest
validation error is printed (a diverging candidate counts as error 1).

Usage: tune_lr.py --model mlp --algo fg-w [--lrs 0.003,0.001,0.0003] [--epochs 3]
"""
import argparse
import gzip
import json
import os
import shutil
import struct
import subprocess
import tempfile

DATA = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="mlp")
    ap.add_argument("--algo", default="fg-w")
    ap.add_argument("--lrs", default="0.003,0.001,0.0003")
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    root = os.path.join(HERE, "..")
    tmp = tempfile.mkdtemp()
    try:
        images = gzip.open(os.path.join(DATA, "train-images-idx3-ubyte.gz")).read()[16:]
        labels = gzip.open(os.path.join(DATA, "train-labels-idx1-ubyte.gz")).read()[8:]
        def write(prefix, lo, hi):
            with open(os.path.join(tmp, f"{prefix}-images"), "wb") as f:
                f.write(struct.pack(">IIII", 0x803, hi - lo, 28, 28) + images[lo * 784:hi * 784])
            with open(os.path.join(tmp, f"{prefix}-labels"), "wb") as f:
                f.write(struct.pack(">II", 0x801, hi - lo) + labels[lo:hi])
        write("train", 0, 50000)
        write("val", 50000, 60000)
        exe = os.path.join(tmp, "train")
        subprocess.run([os.path.join(root, "build/bin/fgc"), "compile",
                        os.path.join(root, f"models/{args.model}.opset13.onnx"),
                        "--batch-size", "128", "--algo", args.algo, "-o", exe],
                       check=True, capture_output=True)
        best = None
        for lr in args.lrs.split(","):
            m = os.path.join(tmp, f"m{lr}.jsonl")
            subprocess.run([exe, "--train", f"{tmp}/train-images,{tmp}/train-labels",
                            "--test", f"{tmp}/val-images,{tmp}/val-labels",
                            "--dataset", "fashion-mnist", "--epochs", str(args.epochs),
                            "--lr", lr, "--threads", "1", "--quiet", "--metrics", m],
                           capture_output=True)
            rows = [json.loads(l) for l in open(m)] if os.path.exists(m) else []
            err = rows[-1]["test_error"] if len(rows) == args.epochs else 1.0
            print(json.dumps({"model": args.model, "algo": args.algo, "lr": float(lr),
                              "epochs": args.epochs, "validation_error": err}))
            if best is None or err < best[1]:
                best = (lr, err)
        print(f"best lr {best[0]} (validation error {best[1]:.4f})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
