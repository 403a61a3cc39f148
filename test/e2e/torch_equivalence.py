#!/usr/bin/python3
"""Forward equivalence of fgc with the PyTorch reference definitions.

For every model in models/ (and the generated ones), at opsets 13 and 17:
draw random weights and a random input batch with a seeded generator, run the
PyTorch module (models/localmixer.py) and `fgc run MODEL --params DIR` on the
same weights and input, and compare the logits:
    relative error = ||fgc - torch|| / ||torch|| < 1e-5 (float32).
Prints a table, optionally writes it as JSON, exits 1 on any failure.

Usage: torch_equivalence.py --fgc BUILD/bin/fgc --models DIR [--models DIR2]
                            [--batch 8] [--json FILE]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models"))
import localmixer  # noqa: E402

MODELS = ["mlp", "cnn", "s_1_1", "m_1_16", "m_8_16", "l_8_64"]
TOLERANCE = 1e-5


def randomize(model, seed):
    """Every parameter (classifier included) ~ N(0, 1/fan_in), biases too, so
    that no part of the network is trivially zero."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in model.named_parameters():
            fan_in = p.shape[-2] if p.dim() >= 2 else p.shape[-1]
            if p.dim() == 4:  # conv weight [M, C, kh, kw]
                fan_in = p.shape[1] * p.shape[2] * p.shape[3]
            p.copy_(torch.randn(p.shape, generator=g) / np.sqrt(fan_in))


def find_model(dirs, name, opset):
    """The first <dir>/<name>.opset<opset>.onnx that exists, or None."""
    for d in dirs:
        path = os.path.join(d, f"{name}.opset{opset}.onnx")
        if os.path.exists(path):
            return path
    return None


def check(fgc, path, name, batch, seed):
    model, in_shape = localmixer.build(name)
    randomize(model, seed)
    model.eval()
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.rand((batch,) + tuple(in_shape), generator=g)
    with torch.no_grad():
        ref = model(x).numpy()
    with tempfile.TemporaryDirectory() as tmp:
        params = os.path.join(tmp, "params")
        os.mkdir(params)
        for pname, p in model.state_dict().items():
            np.save(os.path.join(params, pname + ".npy"), p.numpy())
        np.save(os.path.join(tmp, "x.npy"), x.numpy())
        out = os.path.join(tmp, "out")
        proc = subprocess.run([fgc, "run", path, "--input", f"image={tmp}/x.npy",
                               "--params", params, "--output-dir", out],
                              capture_output=True, text=True, timeout=900)
        errors = [l for l in proc.stderr.splitlines() if "warning:" not in l]
        if proc.returncode != 0:
            return None, "; ".join(errors) or f"exit {proc.returncode}"
        got = np.load(os.path.join(out, "logits.npy"))
    if got.shape != ref.shape:
        return None, f"shape {got.shape} vs {ref.shape}"
    rel = float(np.linalg.norm(got - ref) / np.linalg.norm(ref))
    return rel, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fgc", required=True)
    ap.add_argument("--models", action="append", required=True,
                    help="a directory with <name>.opset<N>.onnx files (repeatable)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--json")
    args = ap.parse_args()

    rows, failed = [], 0
    for i, name in enumerate(MODELS):
        for opset in (13, 17):
            path = find_model(args.models, name, opset)
            if path is None:
                print(f"{name} opset {opset}: not found in {args.models}")
                failed += 1
                continue
            rel, msg = check(args.fgc, path, name, args.batch, seed=100 + i)
            ok = rel is not None and rel < TOLERANCE
            failed += not ok
            rows.append({"model": name, "opset": opset, "relative_error": rel,
                         "ok": ok, "message": msg})
    print(f"{'model':<10}{'opset':>6}{'rel. error':>14}  result")
    for r in rows:
        err = "-" if r["relative_error"] is None else f"{r['relative_error']:.2e}"
        print(f"{r['model']:<10}{r['opset']:>6}{err:>14}  "
              f"{'ok' if r['ok'] else 'FAIL ' + r['message']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"tolerance": TOLERANCE, "batch": args.batch, "results": rows}, f,
                      indent=1)
    print(f"{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
