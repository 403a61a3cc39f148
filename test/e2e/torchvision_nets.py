#!/usr/bin/python3
"""Real networks against PyTorch: ResNet-18, MobileNetV2 and a small vision
transformer from torchvision.

For each network of models/torchvision_nets.py exported at build time
(models/export.py: torch seed 0, inference form) at opsets 13 and 17: rebuild
the PyTorch module with the same seed, draw an input batch and a tangent, and
compare
  * `fgc run` with the module's output: relative error < 1e-5 (float32);
  * `fgc jvp --wrt=inputs` with torch.autograd.forward_ad: < 1e-4;
  * `fgc vjp --wrt=params` with autograd's gradient of <u, logits> for a
    random u: worst parameter < 1e-4.
The error is ||fgc - torch|| / ||torch||. Prints a table, exits 1 on any
failure.

Usage: torchvision_nets.py --fgc BUILD/bin/fgc --models BUILD/models [--batch 2]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.autograd.forward_ad as fwAD

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models"))
import torchvision_nets  # noqa: E402

FORWARD_TOLERANCE = 1e-5
JVP_TOLERANCE = 1e-4
VJP_TOLERANCE = 1e-4
# Networks whose VJP is checked (all of them).
VJP_NETS = torchvision_nets.NETS


def rel(got, want):
    return float(np.linalg.norm(got - want) / np.linalg.norm(want))


def fgc(args):
    proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
    errors = [l for l in proc.stderr.splitlines() if "warning:" not in l]
    return proc.returncode == 0, "; ".join(errors) or f"exit {proc.returncode}"


def check(fgc_bin, path, name, batch, seed):
    torch.manual_seed(0)
    model, in_shape = torchvision_nets.build(name)
    model.eval()
    g = torch.Generator().manual_seed(seed)
    x = torch.rand((batch,) + tuple(in_shape), generator=g)
    dx = torch.randn(x.shape, generator=g)
    # Not under no_grad: with gradients enabled and parameters that require
    # them, nn.MultiheadAttention takes its composite path, which forward
    # mode supports (its fused inference kernel does not).
    with fwAD.dual_level():
        y = model(fwAD.make_dual(x, dx))
        want, want_t = (v.detach().numpy() for v in fwAD.unpack_dual(y))
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), x.numpy())
        np.save(os.path.join(tmp, "dx.npy"), dx.numpy())
        ok, msg = fgc([fgc_bin, "run", path, "--input", f"image={tmp}/x.npy",
                       "--output-dir", f"{tmp}/run"])
        if not ok:
            return None, None, msg, None
        forward = rel(np.load(f"{tmp}/run/logits.npy"), want)
        ok, msg = fgc([fgc_bin, "jvp", path, "--wrt=inputs",
                       "--input", f"image={tmp}/x.npy",
                       "--tangent", f"image={tmp}/dx.npy",
                       "--output-dir", f"{tmp}/jvp"])
        if not ok:
            return forward, None, msg, None
        jvp = rel(np.load(f"{tmp}/jvp/logits.tangent.npy"), want_t)
        if name not in VJP_NETS:
            return forward, jvp, "", None
        u = torch.randn(want.shape, generator=g)
        np.save(os.path.join(tmp, "u.npy"), u.numpy())
        ok, msg = fgc([fgc_bin, "vjp", path, "--wrt=params",
                       "--input", f"image={tmp}/x.npy",
                       "--cotangent", f"logits={tmp}/u.npy",
                       "--output-dir", f"{tmp}/vjp"])
        if not ok:
            return forward, jvp, msg, None
        vjp = max(rel(np.load(f"{tmp}/vjp/{n}.grad.npy"), w)
                  for n, w in expected_grads(model, path, x, u).items())
    return forward, jvp, "", vjp


def expected_grads(model, path, x, u):
    """PyTorch autograd's gradient of <u, model(x)> for every initializer of
    the exported file. The exporter stores equal initial values once (the
    unit LayerNorm scales, the zero biases): such an initializer's gradient
    is the sum over the parameters it stands for."""
    import onnx
    from onnx import numpy_helper
    model.zero_grad()
    (model(x) * u).sum().backward()
    inits = {i.name: numpy_helper.to_array(i)
             for i in onnx.load(path).graph.initializer}
    params = dict(model.named_parameters())
    grads = {}
    for n, p in params.items():
        value = p.detach().numpy()
        owner = n if n in inits else next(
            (k for k, v in inits.items() if k in params and v.shape == value.shape
             and np.array_equal(v, value)), None)
        if owner is None:
            continue
        grads[owner] = grads.get(owner, 0) + p.grad.numpy()
    return grads


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fgc", required=True)
    ap.add_argument("--models", required=True,
                    help="the directory export.py wrote the networks to")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--only", help="comma-separated network names")
    args = ap.parse_args()
    rows, failed = [], 0
    only = args.only.split(",") if args.only else torchvision_nets.NETS
    for i, name in enumerate(torchvision_nets.NETS):
        if name not in only:
            continue
        for opset in (13, 17):
            path = os.path.join(args.models, f"{name}.opset{opset}.onnx")
            if not os.path.exists(path):
                rows.append((name, opset, None, None, None,
                             f"{path} not found"))
                failed += 1
                continue
            forward, jvp, msg, vjp = check(args.fgc, path, name, args.batch,
                                           200 + i)
            ok = (forward is not None and forward < FORWARD_TOLERANCE and
                  jvp is not None and jvp < JVP_TOLERANCE and
                  (name not in VJP_NETS or
                   (vjp is not None and vjp < VJP_TOLERANCE)))
            failed += not ok
            rows.append((name, opset, forward, jvp, vjp,
                         "ok" if ok else "FAIL " + msg))
    fmt = lambda v: "-" if v is None else f"{v:.2e}"  # noqa: E731
    print(f"{'network':<14}{'opset':>6}{'forward':>11}{'jvp':>11}{'vjp':>11}"
          "  result")
    for name, opset, forward, jvp, vjp, result in rows:
        print(f"{name:<14}{opset:>6}{fmt(forward):>11}{fmt(jvp):>11}"
              f"{fmt(vjp):>11}  {result}")
    print(f"{len(rows) - failed} passed, {failed} failed (forward < "
          f"{FORWARD_TOLERANCE:g}, jvp < {JVP_TOLERANCE:g}, vjp (parameters, "
          f"worst) < {VJP_TOLERANCE:g})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
