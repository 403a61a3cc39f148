#!/usr/bin/python3
"""Trainer executables end to end, on generated data sets of the real file
formats (gzip IDX and CIFAR-10 binary batches):

  * the MLP trainer learns (test error well below chance) and its exported
    ONNX model passes onnx.checker and gives, under `fgc run`, exactly the
    trainer's test error;
  * interrupt and resume: SIGINT in the middle of epoch 2, then --resume,
    ends with the same weights, bit for bit, as an uninterrupted run;
  * a diverging run (huge learning rate) stops with a clear message and
    leaves the last good checkpoint as it was;
  * bad input: missing and truncated files, images of the wrong size, labels
    out of range, an unwritable checkpoint directory, a corrupt checkpoint
    and a checkpoint of another model give one-line errors and exit 1;
  * LocalMixer M/8/16 trains on CIFAR-10-format batches and its loss goes
    down.

Usage: trainer.py --fgc BUILD/bin/fgc --models DIR
"""
import argparse
import gzip
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

from datasets import make_cifar_like, make_mnist_like

FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)


def initializers(path):
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fgc", required=True)
    ap.add_argument("--models", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    try:
        data = os.path.join(tmp, "data")
        make_mnist_like(data)
        exe = os.path.join(tmp, "train_mlp")
        p = run([args.fgc, "compile", os.path.join(args.models, "mlp.opset17.onnx"),
                 "--batch-size", "64", "--algo", "lg-fg-a", "-o", exe])
        check(p.returncode == 0 and os.access(exe, os.X_OK),
              f"fgc compile --algo=lg-fg-a -o EXE ({p.stderr.strip()[-200:]})")
        common = [exe, "--data", data, "--dataset", "mnist", "--threads", "1",
                  "--lr", "0.005", "--quiet"]
        # LocalMixer M/1/16 (the opset-13 export, which onnx.checker accepts:
        # PyTorch's opset-17 LayerNormalization without Scale does not).
        exe13 = os.path.join(tmp, "train_m116")
        p = run([args.fgc, "compile", os.path.join(args.models, "m_1_16.opset13.onnx"),
                 "--batch-size", "64", "--algo", "lg-fg-a", "-o", exe13])
        check(p.returncode == 0, f"M/1/16 trainer compiles ({p.stderr.strip()[-200:]})")
        # Each parameter is embedded once (the parameter table; the embedded
        # ONNX model keeps only the initializers' names and shapes).
        if os.path.exists(exe13):
            binary = open(exe13, "rb").read()
            params = initializers(os.path.join(args.models, "m_1_16.opset13.onnx"))
            counts = sorted({binary.count(v.astype("<f4").tobytes())
                             for v in params.values()
                             if v.dtype == np.float32 and v.size >= 64 and v.std() > 0})
            check(counts == [1], f"each parameter's values appear once in the "
                  f"trainer (counts {counts})")
        common13 = [exe13, "--data", data, "--dataset", "mnist", "--threads", "1",
                    "--lr", "0.01", "--quiet"]

        # OpenBLAS's kernels (Runtime/Call.h, useNativeBlasKernels): a user's
        # OPENBLAS_CORETYPE is kept; without one, OpenBLAS's fallback to its
        # SSE3 Prescott kernels on a CPU with AVX2 or AVX-512 (one it does
        # not know) is replaced by re-executing with native ones.
        env = dict(os.environ, OPENBLAS_VERBOSE="2")
        env.pop("OPENBLAS_CORETYPE", None)
        p = run(common + ["--epochs", "1", "--max-steps", "1"], env=env)
        cores = re.findall(r"Core: (\w+)", p.stdout + p.stderr)
        with open("/proc/cpuinfo") as f:
            flags = set(re.search(r"flags\s*:\s*(.*)", f.read()).group(1).split())
        fallback = cores[:1] == ["Prescott"] and bool(flags & {"avx2", "avx512f"})
        check(p.returncode == 0 and cores and
              (cores == [cores[0]] if not fallback else
               cores[1:] == ["SkylakeX" if "avx512f" in flags else "Haswell"]),
              f"OpenBLAS kernels: {' then '.join(cores) or 'none printed'}")
        p = run(common + ["--epochs", "1", "--max-steps", "1"],
                env=dict(env, OPENBLAS_CORETYPE="Prescott"))
        cores = re.findall(r"Core: (\w+)", p.stdout + p.stderr)
        check(p.returncode == 0 and cores == ["Prescott"],
              f"OPENBLAS_CORETYPE=Prescott is kept: {cores}")

        # Learning, metrics, export.
        ck = os.path.join(tmp, "ck_a")
        onnx_a = os.path.join(tmp, "a.onnx")
        metrics = os.path.join(tmp, "m.jsonl")
        p = run(common13 + ["--epochs", "3", "--checkpoint-dir", ck, "--export", onnx_a,
                            "--metrics", metrics])
        check(p.returncode == 0, f"training runs ({p.stderr.strip()})")
        rows = [json.loads(l) for l in open(metrics)] if os.path.exists(metrics) else []
        check(len(rows) == 3 and all(k in rows[0] for k in
              ["epoch", "train_loss", "train_error", "test_error",
               "examples_per_second", "seconds", "peak_rss_mb"]),
              "metrics: one JSON object per epoch")
        if rows:
            # The kernel's high-water mark: at least the trainer's code and
            # libraries, never falling.
            check(all(r["peak_rss_mb"] > 5 for r in rows) and
                  rows[0]["peak_rss_mb"] <= rows[-1]["peak_rss_mb"],
                  f"metrics: peak RSS per epoch, growing "
                  f"{[r['peak_rss_mb'] for r in rows]}")
            check(rows[-1]["test_error"] < 0.2,
                  f"M/1/16 learns: test error {rows[-1]['test_error']:.3f} after 3 "
                  f"epochs (chance 0.9)")
        check(os.path.exists(metrics + ".svg"), "SVG plot written")
        if os.path.exists(onnx_a):
            onnx.checker.check_model(onnx.load(onnx_a))
            check(True, "exported model passes onnx.checker")
            # fgc run on the test set: the same test error.
            with gzip.open(os.path.join(data, "t10k-images-idx3-ubyte.gz")) as f:
                x = np.frombuffer(f.read()[16:], np.uint8).reshape(-1, 1, 28, 28)
            with gzip.open(os.path.join(data, "t10k-labels-idx1-ubyte.gz")) as f:
                y = np.frombuffer(f.read()[8:], np.uint8)
            xn = ((x / 255.0 - 0.1307) / 0.3081).astype(np.float32)
            np.save(os.path.join(tmp, "x.npy"), xn)
            p = run([args.fgc, "run", onnx_a, "--input", f"image={tmp}/x.npy",
                     "--output-dir", os.path.join(tmp, "out")])
            logits = np.load(os.path.join(tmp, "out", "logits.npy"))
            err = float(np.mean(np.argmax(logits, 1) != y))
            check(rows and abs(err - rows[-1]["test_error"]) < 1e-12,
                  f"fgc run on the export: test error {err:.4f} = trainer's "
                  f"{rows[-1]['test_error'] if rows else None}")

        # Interrupt and resume against an uninterrupted run.
        ref_onnx, res_onnx = os.path.join(tmp, "ref.onnx"), os.path.join(tmp, "res.onnx")
        big = os.path.join(tmp, "big")
        # Epoch 2 must outlast the signal's delay: 600 steps (~1 s at the
        # MLP's 1.7 ms per step with AVX-512 BLAS kernels).
        make_mnist_like(big, train=38400, test=100, seed=1)
        base = [exe, "--data", big, "--dataset", "mnist", "--threads", "1",
                "--lr", "0.005", "--epochs", "2", "--seed", "5"]
        p = run(base + ["--quiet", "--export", ref_onnx])
        ck_b = os.path.join(tmp, "ck_b")
        proc = subprocess.Popen(base + ["--checkpoint-dir", ck_b],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t0 = time.time()
        while not os.path.exists(os.path.join(ck_b, "checkpoint.fgc")) and \
                proc.poll() is None and time.time() - t0 < 300:
            time.sleep(0.05)
        time.sleep(0.1)  # into epoch 2
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=300)
        interrupted = "interrupted" in out and proc.returncode == 130
        check(interrupted, f"SIGINT mid-epoch writes a checkpoint and exits 130 "
                           f"(exit {proc.returncode}: {out.strip().splitlines()[-1:]})")
        p = run(base + ["--checkpoint-dir", ck_b, "--resume", "--export", res_onnx,
                        "--quiet"])
        check(p.returncode == 0, f"--resume finishes ({p.stderr.strip()})")
        if os.path.exists(res_onnx) and os.path.exists(ref_onnx):
            a, b = initializers(ref_onnx), initializers(res_onnx)
            same = all(np.array_equal(a[k], b[k]) for k in a)
            check(same, "interrupted + resumed run ends with the weights of the "
                        "uninterrupted one, bit for bit")
        # A resumed run measures divergence against the losses where training
        # began (the checkpoint's first epoch: a mean of ~2000 here), not its
        # own first step nor the latest epoch's mean (~0.004): by epoch 2 the
        # MLP's readout loss is ~1e-7 at one step and 1e-2 at another, which
        # is no divergence.
        ck_d = os.path.join(tmp, "ck_d")
        run(base + ["--checkpoint-dir", ck_d, "--max-steps", "650", "--quiet"])
        p = run(base + ["--checkpoint-dir", ck_d, "--resume", "--divergence-factor", "1.5",
                        "--quiet"])
        check(p.returncode == 0, "a resumed run's divergence is measured against the "
                                 f"checkpoint's first epoch ({p.stderr.strip()})")

        # Divergence: the last good checkpoint stays.
        # (the MLP: no normalisation keeps its activations bounded)
        ck_n = os.path.join(tmp, "ck_n")
        run(common + ["--epochs", "1", "--checkpoint-dir", ck_n])
        before = open(os.path.join(ck_n, "checkpoint.fgc"), "rb").read()
        p = run(common + ["--epochs", "5", "--checkpoint-dir", ck_n, "--resume",
                          "--lr", "1e9"])
        kept = open(os.path.join(ck_n, "checkpoint.fgc"), "rb").read() == before
        check(p.returncode == 1 and "not finite" in p.stderr and kept,
              f"NaN/Inf stops training, checkpoint kept ({p.stderr.strip()})")

        # Bad input.
        bad = os.path.join(tmp, "bad")
        os.makedirs(bad)
        def bad_case(what, cmd, expect):
            p = run(cmd)
            lines = p.stderr.strip().splitlines()
            check(p.returncode == 1 and len(lines) == 1 and expect in p.stderr,
                  f"{what}: {p.stderr.strip()}")
        bad_case("missing data", common + ["--data", bad], "missing")
        shutil.copy(os.path.join(data, "train-labels-idx1-ubyte.gz"), bad)
        shutil.copy(os.path.join(data, "t10k-images-idx3-ubyte.gz"), bad)
        shutil.copy(os.path.join(data, "t10k-labels-idx1-ubyte.gz"), bad)
        raw = gzip.open(os.path.join(data, "train-images-idx3-ubyte.gz")).read()
        with gzip.open(os.path.join(bad, "train-images-idx3-ubyte.gz"), "wb") as f:
            f.write(raw[:5000])
        bad_case("truncated images", common + ["--data", bad], "truncated")
        small = os.path.join(tmp, "small")
        os.makedirs(small)
        with gzip.open(os.path.join(small, "train-images-idx3-ubyte.gz"), "wb") as f:
            f.write(struct.pack(">IIII", 0x803, 100, 32, 32) + bytes(100 * 1024))
        for n in ["train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                  "t10k-labels-idx1-ubyte.gz"]:
            shutil.copy(os.path.join(data, n), small)
        with gzip.open(os.path.join(small, "train-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(struct.pack(">II", 0x801, 100) + bytes(100))
        bad_case("image size", common + ["--data", small, "--fit", "none"],
                 "the model takes 1x28x28 (--fit=none)")
        p = run([c for c in common if c != "--quiet"] + ["--data", small, "--max-steps", "1"])
        check(p.returncode == 0 and "data: training images fitted to the model's input, "
              "1x32x32 -> 1x28x28: resized bilinearly" in p.stdout,
              "32x32 images resized to the model's 28x28")
        lab = os.path.join(tmp, "lab")
        shutil.copytree(data, lab)
        with gzip.open(os.path.join(lab, "t10k-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(struct.pack(">II", 0x801, 500) + bytes([12] * 500))
        bad_case("label range", common + ["--data", lab], "out of range")
        bad_case("unwritable checkpoint dir",
                 common + ["--checkpoint-dir", "/proc/fgc-no-such-dir"], "cannot write")
        corrupt = os.path.join(tmp, "corrupt")
        os.makedirs(corrupt)
        open(os.path.join(corrupt, "checkpoint.fgc"), "wb").write(b"garbage")
        bad_case("corrupt checkpoint",
                 common + ["--checkpoint-dir", corrupt, "--resume"], "not an fgc checkpoint")
        other = os.path.join(tmp, "train_other")
        run([args.fgc, "compile", os.path.join(args.models, "mlp.opset17.onnx"),
             "--batch-size", "64", "--algo", "lg-fg-w", "-o", other])
        bad_case("checkpoint of another model",
                 [other, "--data", data, "--checkpoint-dir", ck, "--resume", "--quiet"],
                 "another model")
        bad_case("unknown option", common + ["--epoch", "3"], "unknown option")

        # M/8/16 on CIFAR-10-format batches.
        cifar = os.path.join(tmp, "cifar")
        make_cifar_like(cifar)
        exe8 = os.path.join(tmp, "train_m816")
        p = run([args.fgc, "compile", os.path.join(args.models, "m_8_16.opset17.onnx"),
                 "--batch-size", "32", "--algo", "lg-fg-a", "-o", exe8])
        check(p.returncode == 0, f"M/8/16 trainer compiles ({p.stderr.strip()[-200:]})")
        m8 = os.path.join(tmp, "m8.jsonl")
        p = run([exe8, "--data", cifar, "--epochs", "3", "--lr", "0.01", "--quiet",
                 "--metrics", m8, "--threads", "2"])
        rows = [json.loads(l) for l in open(m8)] if os.path.exists(m8) else []
        check(p.returncode == 0 and len(rows) == 3 and
              rows[-1]["loss_block0"] < rows[0]["loss_block0"],
              "M/8/16 trains on CIFAR-10-format data and its local loss goes down "
              f"({[round(r.get('loss_block0', 0), 4) for r in rows]}; {p.stderr.strip()})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
