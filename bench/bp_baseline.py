#!/usr/bin/python3
"""The backprop baseline for docs/results.md: the same models (models/localmixer.py,
same initialisation), data (Fashion-MNIST IDX, published normalisation, a new
seeded order each epoch, last partial batch dropped), batch, optimizer family
(SGD, momentum 0.9, linear decay to 0) and epochs as the fgc trainers, trained
end to end with PyTorch 1.13 autograd on the CPU. Prints one JSON line per
epoch (the trainers' metrics format).

Usage: bp_baseline.py --model m_1_16|mlp [--epochs 20] [--lr 0.01] [--threads 1]
                      [--seed 0] [--init kaiming|lecun|constant] [--last-layer-lr 1]
                      [--holdout N]

--init re-initialises a LocalMixer per spec section 3.3 (NumPy RandomState(0)),
the counterpart of `fgc compile --init`; without it the model keeps the bundled
models' initialisation (kaiming, RandomState(0)).
--holdout N trains on the first 60000 - N training images and evaluates on
the last N instead of the test set (bench/tune_lr.py).
--last-layer-lr multiplies the learning rate of the final classifier (the
last Linear), as the reference's `last_layer_lr` does in backprop mode when
`bp_last_lr` is set (spec section 5.1); the default 1 trains every layer at lr.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
import localmixer  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    with gzip.open(os.path.join(DATA, name)) as f:
        return np.frombuffer(f.read()[offset:], np.uint8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="m_1_16")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", choices=["kaiming", "lecun", "constant"])
    ap.add_argument("--last-layer-lr", type=float, default=1.0)
    ap.add_argument("--holdout", type=int, default=0,
                    help="train on all but the last N training images and report "
                         "their error as test_error (hyper-parameter tuning)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xs = ((idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255.0 - 0.2860)
          / 0.3530).astype(np.float32)
    ys = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    xt = ((idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255.0 - 0.2860)
          / 0.3530).astype(np.float32)
    yt = idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
    if args.holdout:
        xs, ys, xt, yt = xs[:-args.holdout], ys[:-args.holdout], xs[-args.holdout:], ys[-args.holdout:]
    model, _ = localmixer.build(args.model)
    if args.init:
        if args.model in ("mlp", "cnn"):
            ap.error("--init applies to the LocalMixer models only")
        localmixer.init_reference(model, args.init, 0)
    steps = len(xs) // args.batch
    params = list(model.parameters())  # the classifier's weight and bias come last
    opt = torch.optim.SGD(
        [{"params": params[:-2]},
         {"params": params[-2:], "lr": args.lr * args.last_layer_lr}],
        lr=args.lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: max(0.0, 1 - s / (args.epochs * steps)))
    rng = np.random.RandomState(args.seed)
    xt_t, yt_t = torch.from_numpy(xt), torch.from_numpy(yt)
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        order = rng.permutation(len(xs))
        loss_sum, wrong = 0.0, 0
        model.train()
        for s in range(steps):
            b = order[s * args.batch:(s + 1) * args.batch]
            x, y = torch.from_numpy(xs[b]), torch.from_numpy(ys[b])
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss)
            wrong += int((logits.argmax(1) != y).sum())
        seconds = time.time() - t0
        model.eval()
        with torch.no_grad():
            test_wrong = sum(int((model(xt_t[i:i + 1000]).argmax(1) != yt_t[i:i + 1000]).sum())
                             for i in range(0, len(xt), 1000))
        print(json.dumps({"epoch": epoch, "train_loss": loss_sum / steps,
                          "train_error": wrong / (steps * args.batch),
                          "test_error": test_wrong / len(xt),
                          "examples_per_second": steps * args.batch / seconds,
                          "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
