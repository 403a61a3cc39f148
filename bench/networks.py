#!/usr/bin/python3
"""Compile-and-train check of networks fgc was not written for: the bundled
torchvision networks (ResNet-18, MobileNetV2, the small ViT) and further
architectures exported here from torchvision (SqueezeNet 1.1 with its conv +
global-pooling classifier, ShuffleNetV2 with channel shuffles, EfficientNet-B0
with squeeze-and-excitation, GoogLeNet with inception concats).

For each network and rule: `fgc inspect` (blocks, sites), `fgc compile
--algo=RULE` into a trainer (timed), and a run on Fashion-MNIST fitted to
3x32x32 (grey replicated, zero-padded; the trainer's --fit=auto) that
prints train and test error per epoch. With --bp, the same network trained
end to end by PyTorch autograd (SGD, momentum 0.9, the same data, fit,
batch, epochs and learning-rate schedule) for comparison. A failure is
listed with its one-line reason. Prints a table and writes JSON to
bench/results/networks.json.

Usage: networks.py --fgc BUILD/bin/fgc --models BUILD/models
         [--nets resnet18,vit,...] [--rules lg-fg-a,fg-a,...] [--epochs 1]
         [--train-images 6000] [--test-images 1000] [--batch 32] [--lr 0.01]
         [--threads 2] [--bp [--bp-eager]] [--validation] [--compile-flags='--last-layer-lr=1']
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/datasets/fashion-mnist"
BUNDLED = ["resnet18", "mobilenet_v2", "vit"]
EXTRA = ["squeezenet1_1", "shufflenet_v2_x0_5", "efficientnet_b0", "googlenet"]


def subset(out, train_n, test_n, validation=False):
    """IDX files of the first train_n / test_n images (training order is the
    trainer's own shuffle). With `validation` the test files hold the
    test_n training images after the first train_n instead (held-out data
    for choosing settings; the test set stays unseen)."""
    os.makedirs(out, exist_ok=True)
    for split, n in (("train", train_n), ("t10k", test_n)):
        source, skip = ("train", train_n) if validation and split == "t10k" else (split, 0)
        for kind, magic, head in (("images-idx3", 0x803, 16), ("labels-idx1", 0x801, 8)):
            raw = gzip.open(os.path.join(DATA, f"{source}-{kind}-ubyte.gz")).read()
            size = 784 if kind.startswith("images") else 1
            header = struct.pack(">II", magic, n) + raw[8:head]
            start = head + skip * size
            with gzip.open(os.path.join(out, f"{split}-{kind}-ubyte.gz"), "wb") as f:
                f.write(header + raw[start:start + n * size])


def torchvision_extra(name):
    """One of the EXTRA torchvision classifiers for 10 classes, with
    torchvision's initialisation from the current torch seed."""
    import torchvision
    kw = {"num_classes": 10}
    if name == "googlenet":
        kw.update(aux_logits=False, init_weights=True)
    if name.startswith("efficientnet"):
        kw.update(stochastic_depth_prob=0.0)  # random ops in training mode
    return getattr(torchvision.models, name)(**kw)


def set_training(module, training):
    """Training or inference mode, with Dropout the identity in both (fgc's
    default)."""
    import torch
    module.train(training)
    for m in module.modules():
        if isinstance(m, torch.nn.Dropout):
            m.eval()


def export(name, path):
    """A torchvision classifier for 10 classes of 3x32x32 at opset 13, from
    training mode as models/export.py does: batch normalisation stays a node
    (eval mode folds it into the convolutions), Dropout is fgc's identity."""
    import warnings
    import torch
    torch.manual_seed(0)
    model = torchvision_extra(name).train()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.rand(2, 3, 32, 32), path, opset_version=13,
                          input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}},
                          training=torch.onnx.TrainingMode.PRESERVE,
                          do_constant_folding=False)


def run(cmd, timeout=7200):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p, time.time() - t


def last_line(p):
    lines = [l for l in (p.stderr + p.stdout).strip().splitlines() if l.strip()]
    return lines[-1] if lines else f"exit {p.returncode}"


def eager_module(name, model_path):
    """The torchvision module an ONNX file of this script or models/export.py
    was exported from, rebuilt with the export's seed (so with the file's
    initial weights), in training mode with Dropout as the identity (fgc's
    default). Checked against the file: the logits of a few random images,
    run through the ONNX graph by onnx_torch in inference form, must agree."""
    sys.path.insert(0, os.path.join(HERE, "..", "models"))
    import onnx
    import torch
    import onnx_torch
    torch.manual_seed(0)
    if name in BUNDLED:
        import torchvision_nets
        module = torchvision_nets.build(name)[0]
    else:
        module = torchvision_extra(name)
    model = onnx.load(model_path)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        want = onnx_torch.run(model, onnx_torch.initializers(model), {"image": x})[0]
        got = module.eval()(x)
    err = float((got - want).abs().max() / want.abs().max())
    if err > 1e-4:
        raise RuntimeError(f"{name}: the rebuilt module differs from {model_path} "
                           f"(relative error {err:.1e})")
    set_training(module, True)
    return module


def bp_run(name, model_path, data, args):
    """PyTorch autograd with the same data: on the ONNX graph run node by node
    (onnx_torch), or with --bp-eager on the torchvision module itself."""
    sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
    import onnx
    import torch
    import torch.nn.functional as F
    import onnx_torch
    torch.set_num_threads(args.threads)
    model = onnx.load(model_path)
    if args.bp_eager:
        module = eager_module(name, model_path)
        train = list(module.parameters())

        def forward(x, training):
            set_training(module, training)
            return module(x)
    else:
        params = onnx_torch.initializers(model)
        # Batch normalisation's running statistics are state, not trained.
        stats = {i for n in model.graph.node if n.op_type == "BatchNormalization"
                 for i in n.input[3:5]}
        train = [v.requires_grad_(True) for k, v in params.items()
                 if v.is_floating_point() and k not in stats]

        def forward(x, training):
            return onnx_torch.run(model, params, {"image": x},
                                  training="update" if training else False)[0]
    torch.manual_seed(args.seed)

    def load(split):
        imgs = gzip.open(os.path.join(data, f"{split}-images-idx3-ubyte.gz")).read()[16:]
        labs = gzip.open(os.path.join(data, f"{split}-labels-idx1-ubyte.gz")).read()[8:]
        x = torch.tensor(np.frombuffer(imgs, np.uint8).reshape(-1, 1, 28, 28) / 255.0,
                         dtype=torch.float32)
        x = (x - 0.2860) / 0.3530
        x = F.pad(x, (2, 2, 2, 2)).expand(-1, 3, -1, -1).contiguous()
        return x, torch.tensor(np.frombuffer(labs, np.uint8).astype(np.int64))
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    steps = len(xtr) // args.batch
    opt = torch.optim.SGD(train, lr=args.lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 1 - s / (steps * args.epochs))
    rows = []
    for epoch in range(args.epochs):
        order = torch.randperm(len(xtr))
        wrong, t = 0, time.time()
        for s in range(steps):
            idx = order[s * args.batch:(s + 1) * args.batch]
            logits = forward(xtr[idx], True)
            loss = F.cross_entropy(logits, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            wrong += int((logits.argmax(1) != ytr[idx]).sum())
        with torch.no_grad():
            pred = torch.cat([forward(xte[i:i + 256], False).argmax(1)
                              for i in range(0, len(xte), 256)])
        rows.append({"epoch": epoch + 1, "train_error": wrong / (steps * args.batch),
                     "test_error": float((pred != yte).float().mean()),
                     "seconds": time.time() - t})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fgc", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--nets", default=",".join(BUNDLED + EXTRA))
    ap.add_argument("--rules", default="lg-fg-a,fg-a,lg-fg-w,fg-w,readout")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--train-images", type=int, default=6000)
    ap.add_argument("--test-images", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bp", action="store_true")
    ap.add_argument("--bp-eager", action="store_true",
                    help="BP on the torchvision module the file was exported from "
                         "(same initial weights, checked), not the ONNX graph run "
                         "node by node: eager PyTorch's own step time")
    ap.add_argument("--validation", action="store_true",
                    help="evaluate on held-out training images, not the test set")
    ap.add_argument("--compile-flags", default="",
                    help="extra fgc compile flags, e.g. --compile-flags='--last-layer-lr=1'")
    ap.add_argument("--json", default=os.path.join(HERE, "results", "networks.json"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        subset(data, args.train_images, args.test_images, args.validation)
        for name in args.nets.split(","):
            path = os.path.join(args.models, f"{name}.opset13.onnx")
            if name not in BUNDLED:
                path = os.path.join(tmp, f"{name}.onnx")
                try:
                    export(name, path)
                except Exception as e:  # noqa: BLE001
                    rows.append({"net": name, "rule": "-", "error": f"export: {e}"})
                    continue
            p, _ = run([args.fgc, "inspect", path, "--json"])
            info = json.loads(p.stdout) if p.returncode == 0 else None
            blocks = len(info["blocks"]) if info else None
            sites = len(info["perturbation_points"]) if info else None
            for rule in filter(None, args.rules.split(",")):
                row = {"net": name, "rule": rule, "blocks": blocks, "sites": sites}
                exe = os.path.join(tmp, f"train_{name}_{rule}")
                p, secs = run([args.fgc, "compile", path, "--algo", rule, "--batch-size",
                               str(args.batch), "-o", exe] + args.compile_flags.split())
                row["compile_seconds"] = round(secs, 1)
                if p.returncode != 0:
                    row["error"] = "compile: " + last_line(p)
                    rows.append(row)
                    print(row, flush=True)
                    continue
                metrics = os.path.join(tmp, f"{name}_{rule}.jsonl")
                p, secs = run([exe, "--data", data, "--dataset", "fashion-mnist",
                               "--epochs", str(args.epochs), "--lr", str(args.lr),
                               "--threads", str(args.threads), "--seed", str(args.seed),
                               "--metrics", metrics, "--quiet"])
                if p.returncode != 0:
                    row["error"] = "train: " + last_line(p)
                else:
                    epochs = [json.loads(l) for l in open(metrics)]
                    row.update(train_error=epochs[-1]["train_error"],
                               test_error=epochs[-1]["test_error"],
                               first_test_error=epochs[0]["test_error"],
                               test_error_per_epoch=[e["test_error"] for e in epochs],
                               step_ms=1000 * epochs[-1]["seconds"] /
                               (args.train_images // args.batch))
                rows.append(row)
                print(row, flush=True)
            if args.bp:
                row = {"net": name, "rule": "bp (PyTorch)"}
                try:
                    epochs = bp_run(name, path, data, args)
                    row.update(train_error=epochs[-1]["train_error"],
                               test_error=epochs[-1]["test_error"],
                               test_error_per_epoch=[e["test_error"] for e in epochs],
                               step_ms=1000 * epochs[-1]["seconds"] /
                               (args.train_images // args.batch))
                except Exception as e:  # noqa: BLE001
                    row["error"] = f"bp: {e}"
                rows.append(row)
                print(row, flush=True)
    print(f"\n{args.epochs} epoch(s), {args.train_images} training / {args.test_images} test "
          f"Fashion-MNIST images fitted to 3x32x32, batch {args.batch}, lr {args.lr}, "
          f"{args.threads} thread(s)")
    print(f"{'network':<20}{'rule':<14}{'blocks':>7}{'sites':>6}{'compile s':>10}"
          f"{'step ms':>9}{'train err':>10}{'test err':>9}  note")
    for r in rows:
        f = (lambda k, fmt: format(r[k], fmt) if r.get(k) is not None else "-")
        print(f"{r['net']:<20}{r['rule']:<14}{f('blocks', 'd'):>7}{f('sites', 'd'):>6}"
              f"{f('compile_seconds', '.1f'):>10}{f('step_ms', '.1f'):>9}"
              f"{f('train_error', '.3f'):>10}{f('test_error', '.3f'):>9}  {r.get('error', '')}")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"settings": vars(args), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
