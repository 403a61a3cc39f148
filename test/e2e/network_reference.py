#!/usr/bin/python3
"""fgc's training steps on real networks (torchvision ResNet-18, MobileNetV2,
the small ViT) against an independent PyTorch reference.

The reference runs the ONNX file with onnx_torch.py (PyTorch ops, no fgc
code) and builds every rule from the spec (§1.2-§1.3, §2.2, §2.5); from
fgc it takes only what the user sees in `fgc inspect --json`: which nodes
are the layers, their perturbation points and the block outputs.

  exactness   with the same explicit tangents, fgc's update of every trained
              parameter and of batch normalisation's running statistics
              equals the reference's (relative error < 1e-4) for
              fg-a (per-example J of the final loss times u, ReLU mask,
              pulled back through the layer's own nodes from their stored
              input), lg-fg-a (the same with the replicated local losses of
              the point's block, copy (n, p) mapped onto example n and patch
              p of the point, summed over patches where attention mixes the
              tokens; batch normalisation's statistics, which mix the
              examples and positions, map like an elementwise op: copy
              (n, p) still goes to example n and patch p, as for fg-a's
              example n), fg-w
              ((sum J) v), lg-fg-w (each block's pooled local loss,
              stop-gradients between blocks) and readout; batch
              normalisation with the batch's statistics;
  unbiased    fg-a and lg-fg-a estimates averaged over D/4 and D draws (one
              fgc run each: --steps S --tangents K, momentum 1 and learning
              rate 0 sum the S estimates) against the exact gradient at each
              perturbation point (autograd), pulled back the same way. An
              unbiased estimate's squared error (1/cos^2 - 1) falls 4x; FG-A
              must (3-5.3x) wherever the cosine at D/4 is 0.3 or more (below
              that the noise swamps the figure: global FG-A perturbs tens of
              thousands of values per example here, and its cosine at 2000
              draws is ~0.1), and where no batch normalisation maps the loss
              per example (the paths through its statistics from one
              example to the others' losses are left out). LG-FG-A maps a
              patch's loss onto the same position of a convolution's output
              (the spec's spatial-loss estimate), which is not the gradient
              of the summed local losses where a later convolution or
              attention in the block mixes positions: its figures are
              reported, not required.

Usage: network_reference.py --fgc BUILD/bin/fgc --models BUILD/models
           [--nets resnet18,vit] [--draws 2000] [--json FILE]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn.functional as F
import torch.autograd.forward_ad as fwAD

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import onnx_torch  # noqa: E402
from fg_reference import fgc_step, cosine, replicated  # noqa: E402

N = 3          # batch (--batch): no other axis of these networks has size 3
CLASSES = 10
FAILURES = []


def inspect(fgc, path, algo):
    out = subprocess.run([fgc, "inspect", path, "--json", "--algo", algo,
                          "--batch-size", str(N)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


class Net:
    """The ONNX graph plus what `fgc inspect` says about it."""

    def __init__(self, fgc, path, algo):
        self.model = onnx.load(path)
        self.info = inspect(fgc, path, algo)
        g = self.model.graph
        self.inits = {t.name for t in g.initializer}
        self.producer = {o: n for n in g.node for o in n.output}
        self.consumers = {}
        for n in g.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.by_name = {n.name: n for n in g.node}
        # Batch normalisation's running statistics: state, never trained.
        self.stats = {i for n in g.node if n.op_type == "BatchNormalization"
                      for i in n.input[3:5]}
        self.input = g.input[0].name

    def param_of(self, value):
        """The initializer a value reads through Identity/Transpose, or None."""
        while value not in self.inits:
            node = self.producer.get(value)
            if node is None or node.op_type not in ("Identity", "Transpose"):
                return None
            value = node.input[0]
        return value

    def layer_nodes(self, point):
        """The nodes from a layer's node to its perturbation point, and the
        parameter views they read."""
        nodes = [self.by_name[point["node"]]]
        while nodes[-1].name != point["z_node"]:
            nodes.append(self.consumers[nodes[-1].output[0]][0])
        views = []
        for n in nodes:
            for i in n.input:
                v = self.producer.get(i)
                while v is not None and v.op_type in ("Identity", "Transpose") \
                        and self.param_of(v.output[0]):
                    views.insert(0, v)
                    v = self.producer.get(v.input[0])
        return views + nodes

    def params_of(self, nodes):
        return sorted({self.param_of(i) for n in nodes for i in n.input}
                      - {None} - self.stats)

    def relu_after(self, point):
        """The ReLU output whose sign masks the point (after it, or after a
        residual add that follows it), or None."""
        out = self.by_name[point["z_node"]].output[0]
        for _ in range(2):
            users = self.consumers.get(out, [])
            if len(users) != 1:
                return None
            if users[0].op_type == "Relu":
                return users[0].output[0]
            if users[0].op_type != "Add":
                return None
            out = users[0].output[0]
        return None

    def block_of_point(self, point):
        for i, b in enumerate(self.info["blocks"]):
            if any(q["z_node"] == point["z_node"] for q in b["perturbation_points"]):
                return i
        raise KeyError(point["layer"])

    def meets(self, point, op_type, end=None):
        """Whether a node of `op_type` lies between the point and `end` (a
        value name; None: the graph's output)."""
        seen, work = set(), [self.by_name[point["z_node"]].output[0]]
        while work:
            v = work.pop()
            if v in seen or v == end:
                continue
            seen.add(v)
            for n in self.consumers.get(v, []):
                if n.op_type == op_type:
                    return True
                work.append(n.output[0])
        return False

    def feeds_attention(self, point, block):
        """Whether a softmax lies between the point and its block's output:
        attention weights mix the tokens."""
        end = self.by_name[self.info["blocks"][block]["output"]].output[0]
        return self.meets(point, "Softmax", end)

    def to_z(self, point, block, j, z):
        """The spec's activity estimate maps copy (n, p, g) of the block's
        loss onto the same example and patch of z (spatial-loss; G = 1
        here), and sums over the patches where z has no patch axes of the
        block output's sizes or attention mixes its tokens."""
        b = self.info["blocks"][block]
        dims = [int(d) for d in b["output_shape"].split("x")]
        patch = [d for d, c in zip(dims, b["layout"]) if c not in "NCG"]
        n_axis = batch_axis(z)
        # The channel axis: 1 for a convolution's output and its batch
        # normalisation (NCHW), else
        # the last (tokens x features); the rest must be the patch axes.
        nchw = self.by_name[point["z_node"]].op_type in ("Conv", "BatchNormalization")
        c_axis = 1 if nchw else z.dim() - 1
        axes = [a for a in range(z.dim()) if a not in (n_axis, c_axis)]
        j = j.sum(2)                                    # [N, P]
        if [z.shape[a] for a in axes] == patch and not self.feeds_attention(point, block):
            shape = [1] * z.dim()
            shape[n_axis] = N
            for a, d in zip(axes, patch):
                shape[a] = d
            jj = j.reshape([N] + patch)
            order = sorted([n_axis] + axes)
            perm = [([n_axis] + axes).index(a) for a in order]
            return jj.permute(*perm).reshape(shape)
        shape = [1] * z.dim()
        shape[n_axis] = N
        return j.sum(1).reshape(shape)

    def readout_nodes(self):
        """The readout's node and what follows it up to the output."""
        nodes = [self.by_name[self.info["readout"]["node"]]]
        out = self.model.graph.output[0].name
        while nodes[-1].output[0] != out:
            nodes.append(self.consumers[nodes[-1].output[0]][0])
        return nodes


def batch_axis(z):
    return [i for i, d in enumerate(z.shape) if d == N][0]


def head_input(h, layout, groups):
    """A block output as [N, P, G, C/G], layer-normalised per group and
    patch (the head's input, spec §2.3)."""
    order = [layout.index("N")] + [i for i, c in enumerate(layout) if c not in "NCG"] + \
        ([layout.index("G")] if "G" in layout else []) + [layout.index("C")]
    x = h.permute(*order)
    c = x.shape[-1] * (x.shape[-2] if "G" in layout else 1)
    x = x.reshape(x.shape[0], -1, groups, c // groups)
    return F.layer_norm(x, (x.shape[-1],), eps=1e-5)


def local_loss(h, layout, groups, w, b, labels):
    """A block's pooled local loss per example (spec §2.3): the output as
    [N, P, G, C/G], a LayerNorm per group and patch, the mean over patches,
    one linear head, softmax CE."""
    order = [layout.index("N")] + [i for i, c in enumerate(layout) if c not in "NCG"] + \
        ([layout.index("G")] if "G" in layout else []) + [layout.index("C")]
    x = h.permute(*order)
    n = x.shape[0]
    c = x.shape[-1] * (x.shape[-2] if "G" in layout else 1)
    x = x.reshape(n, -1, groups, c // groups)
    x = F.layer_norm(x, (x.shape[-1],), eps=1e-5)
    return F.cross_entropy(x.mean(1).reshape(n, -1) @ w + b, labels, reduction="none")


def forward(net, p, x, labels, noise=None, local=False, keep=None, copies=False):
    """Per-example losses: the final CE, or each block's local CE (the next
    block reads a detached copy). `keep` receives every value."""
    hooks = {}
    points = net.info["perturbation_points"]
    if noise is not None:
        for pt, u in zip(points, noise):
            hooks[pt["z_node"]] = (lambda u: lambda v: v + u)(u)
    outs = {}
    if local:
        for blk in net.info["blocks"]:
            def cut(v, name=blk["name"], prev=hooks.get(blk["output"])):
                v = prev(v) if prev else v
                outs[name] = v
                return v.detach()
            hooks[blk["output"]] = cut
    env = {} if keep is None else keep
    logits = onnx_torch.run(net.model, p, {net.input: x}, hooks, env, training=True)[0]
    if not local:
        return [F.cross_entropy(logits, labels, reduction="none")]
    if copies:  # the replicated losses [N, P, G] (spec §2.2)
        return [replicated(head_input(outs[b["name"]], b["layout"], b["groups"]),
                           p[f"head.{i}.weight"], p[f"head.{i}.bias"], labels)
                for i, b in enumerate(net.info["blocks"])]
    return [local_loss(outs[b["name"]], b["layout"], b["groups"], p[f"head.{i}.weight"],
                       p[f"head.{i}.bias"], labels)
            for i, b in enumerate(net.info["blocks"])]


def pull_back(net, p, env, cots):
    """Each layer's gradient from a cotangent at its perturbation point,
    through its own nodes only, from their stored (detached) inputs."""
    q = {k: v.detach().clone().requires_grad_(v.is_floating_point()) for k, v in p.items()}
    total = 0
    for pt, g in zip(net.info["perturbation_points"], cots):
        nodes = net.layer_nodes(pt)
        local = {k: v.detach() for k, v in env.items()}
        onnx_torch.run(net.model, q, {}, env=local, nodes={n.name for n in nodes},
                       training=True)
        total = total + (local[net.by_name[pt["z_node"]].output[0]] * g).sum()
    names = net.params_of([n for pt in net.info["perturbation_points"]
                           for n in net.layer_nodes(pt)])
    grads = torch.autograd.grad(total, [q[k] for k in names], allow_unused=True)
    return {k: (g if g is not None else torch.zeros_like(q[k])) for k, g in zip(names, grads)}


def exact_head_grads(net, p, env, labels, local):
    """Autograd of the heads' and the readout's batch-mean CE through their
    own ops (their inputs detached)."""
    q = {k: v.detach().clone().requires_grad_(v.is_floating_point()) for k, v in p.items()}
    loss = 0
    names = []
    if local:
        for i, b in enumerate(net.info["blocks"]):
            h = env[net.by_name[b["output"]].output[0]].detach()
            loss = loss + local_loss(h, b["layout"], b["groups"], q[f"head.{i}.weight"],
                                     q[f"head.{i}.bias"], labels).mean()
            names += [f"head.{i}.weight", f"head.{i}.bias"]
    nodes = net.readout_nodes()
    scratch = {k: v.detach() for k, v in env.items()}
    onnx_torch.run(net.model, q, {}, env=scratch, nodes={n.name for n in nodes},
                   training=True)
    loss = loss + F.cross_entropy(scratch[nodes[-1].output[0]], labels)
    names += net.params_of(nodes)
    return dict(zip(names, torch.autograd.grad(loss, [q[k] for k in names])))


def jvp(f, primals, tangents):
    """The tangents of f's outputs (forward mode, torch.autograd.forward_ad)."""
    with fwAD.dual_level():
        outs = f([fwAD.make_dual(a, t) for a, t in zip(primals, tangents)])
        return [fwAD.unpack_dual(o).tangent for o in outs]


def reference(net, algo, p, x, labels, tangents):
    local = algo.startswith("lg")
    points = net.info["perturbation_points"]
    env = {}
    with torch.no_grad():
        forward(net, p, x, labels, local=local, keep=env)
    grads = {}
    if algo.endswith("fg-a"):
        zs = [env[net.by_name[pt["z_node"]].output[0]] for pt in points]
        us = tuple(tangents[f"{pt['layer']}.z.tangent"] for pt in points)
        jt = jvp(lambda nz: forward(net, p, x, labels, nz, local, copies=True),
                 [torch.zeros_like(z) for z in zs], us)
        cots = []
        for pt, z, u in zip(points, zs, us):
            if local:
                blk = net.block_of_point(pt)
                g = net.to_z(pt, blk, jt[blk] / N, z) * u
            else:
                shape = [1] * z.dim()
                shape[batch_axis(z)] = N
                g = (jt[0] / N).reshape(shape) * u
            relu = net.relu_after(pt)
            if relu:
                g = g * (env[relu] > 0)
            cots.append(g)
        grads.update(pull_back(net, p, env, cots))
    elif algo.endswith("fg-w"):
        names = net.params_of([n for pt in points for n in net.layer_nodes(pt)])
        vs = tuple(tangents[f"{k}.tangent"] for k in names)

        def f(values):
            q = dict(p)
            q.update(zip(names, values))
            return forward(net, q, x, labels, None, local)
        jt = jvp(f, [p[k] for k in names], vs)
        # A parameter layers of several blocks share moves all their losses.
        blocks_of = {}
        for i, b in enumerate(net.info["blocks"]):
            for pt in b["perturbation_points"]:
                for k in net.params_of(net.layer_nodes(pt)):
                    blocks_of.setdefault(k, set()).add(i)
        for k, v in zip(names, vs):
            s = sum(jt[b].sum() for b in blocks_of[k]) if local else jt[0].sum()
            grads[k] = s / N * v
    grads.update(exact_head_grads(net, p, env, labels, local))
    return grads


def exact_target(net, algo, p, x, labels):
    """What an unbiased activity estimate converges to: the exact gradient
    of the objective at every perturbation point, pulled back."""
    local = algo.startswith("lg")
    points = net.info["perturbation_points"]
    env = {}
    with torch.no_grad():
        forward(net, p, x, labels, local=local, keep=env)
    noise = [torch.zeros_like(env[net.by_name[pt["z_node"]].output[0]]).requires_grad_(True)
             for pt in points]
    losses = forward(net, p, x, labels, noise, local)
    cots = torch.autograd.grad(sum(l.mean() for l in losses), noise)
    return pull_back(net, p, env, cots)


def params_for(net, seed):
    p = onnx_torch.initializers(net.model)
    g = torch.Generator().manual_seed(seed)
    for i, b in enumerate(net.info["blocks"]):
        c = b["channels"]
        p[f"head.{i}.weight"] = torch.randn(c, CLASSES, generator=g) / np.sqrt(c)
        p[f"head.{i}.bias"] = torch.zeros(CLASSES)
    return p


def trained_names(net, algo):
    points = net.info["perturbation_points"]
    names = set(net.params_of(net.readout_nodes()))
    if algo != "readout":
        names |= set(net.params_of([n for pt in points for n in net.layer_nodes(pt)]))
    if algo.startswith("lg"):
        names |= {f"head.{i}.{w}" for i in range(len(net.info["blocks"]))
                  for w in ("weight", "bias")}
    return sorted(names)


def check_exactness(fgc, path, name, algo, tmp, results):
    net = Net(fgc, path, algo)
    p = params_for(net, 1)
    g = torch.Generator().manual_seed(2)
    x = torch.rand(N, 3, 32, 32, generator=g)
    labels = torch.randint(0, CLASSES, (N,), generator=g)
    tangents = {}
    env = {}
    with torch.no_grad():
        forward(net, p, x, labels, keep=env)
    if algo.endswith("fg-a"):
        for pt in net.info["perturbation_points"]:
            z = env[net.by_name[pt["z_node"]].output[0]]
            tangents[f"{pt['layer']}.z.tangent"] = torch.randn(z.shape, generator=g)
    elif algo.endswith("fg-w"):
        for k in net.params_of([n for pt in net.info["perturbation_points"]
                                for n in net.layer_nodes(pt)]):
            tangents[f"{k}.tangent"] = torch.randn(p[k].shape, generator=g)
    # The reference computes in float64, and once more in float32 to measure
    # how well conditioned each update is: batch normalisation over the 3
    # examples of a 1x1 feature map (ResNet-18's last stage) cancels most
    # of a gradient, which leaves any float32 computation ~1e-3 off. fgc
    # must be within 1e-4, or within 4x the float32 reference's own error.
    def f64(d):
        return {k: v.double() if v.is_floating_point() else v for k, v in d.items()}
    want = reference(net, algo, f64(p), x.double(), labels, f64(tangents))
    want32 = reference(net, algo, p, x, labels, tangents)
    have = fgc_step(fgc, path, algo, p, x, labels, tangents, tmp)
    stats_error = check_running_stats(net, p, x, tmp, env)
    scale = 1e-3 * max(float(w.norm()) for w in want.values())

    def rel(a, b):
        return float((a.double() - b).norm() / max(float(b.norm()), scale, 1e-30))
    worst, worst_excess, missing = 0.0, 0.0, []
    for k in trained_names(net, algo):
        if k not in have or k not in want:
            missing.append(k)
            continue
        err, floor = rel(have[k], want[k]), rel(want32[k], want[k])
        if err > 1e-4 and os.environ.get("VERBOSE"):
            print(f"  {k}: {err:.2e} (float32 reference {floor:.2e}; |want| "
                  f"{float(want[k].norm()):.3e}, |fgc| {float(have[k].norm()):.3e})")
        worst = max(worst, err)
        worst_excess = max(worst_excess, err / max(1e-4, 4 * floor))
    results[f"{name}/{algo}"] = {"worst_relative_error": worst, "parameters": len(want),
                                 "running_stats_error": stats_error}
    ok = worst_excess < 1 and not missing and stats_error < 1e-4
    print(f"exactness {name:13s} {algo:8s} {len(want):4d} parameters, worst relative "
          f"error {worst:.2e}, running statistics {stats_error:.2e}"
          f"{'' if ok else '  FAIL'}{' missing ' + str(missing) if missing else ''}")
    if not ok:
        FAILURES.append(f"{name} {algo}: {worst:.2e} {missing}")


def check_running_stats(net, p, x, tmp, env):
    """The worst relative error of fgc's updated running statistics (the
    step's outputs) against momentum * old + (1 - momentum) * the batch's
    mean and population variance (ONNX) of each BatchNormalization input
    in the training-mode forward pass `env` (a mean's error relative to at
    least the batch's standard deviation); 0 without batch norm."""
    worst = 0.0
    for n in net.model.graph.node:
        if n.op_type != "BatchNormalization":
            continue
        m = onnx_torch.attrs(n).get("momentum", 0.9)
        xin = env[n.input[0]]
        axes = [0] + list(range(2, xin.dim()))
        var = xin.var(axes, unbiased=False)
        # A mean is computed from values of the size of the input's spread,
        # and rounds to that scale: relative to the standard deviation where
        # the true mean is near zero (MobileNetV2's expansion convolutions
        # take a batch-normalised input: their channel means are 0 but for
        # rounding, ~1e-8).
        batch = {n.input[3]: (xin.mean(axes), var.sqrt()), n.input[4]: (var, var)}
        for k, (b, size) in batch.items():
            want = m * p[k] + (1 - m) * b
            safe = "".join(c if c.isalnum() or c in ".-_" else "_" for c in k)
            have = torch.from_numpy(np.load(os.path.join(tmp, "out", safe + ".npy")))
            scale = max(float(want.norm()), (1 - m) * float(size.norm()))
            worst = max(worst, float((have - want).norm()) / scale)
    return worst


def estimate(fgc, path, algo, p, x, labels, draws, tmp, seed):
    """fgc's estimate averaged over `draws` directions: --tangents K per
    step, S steps summed by momentum 1 at learning rate 0."""
    k = min(draws, 100)
    steps = max(1, draws // k)
    est = fgc_step(fgc, path, algo, p, x, labels, {}, tmp, k=k, seed=seed,
                   explicit=False, extra=["--steps", str(steps)], momentum=1)
    return {n: v / steps for n, v in est.items()}


def check_unbiased(fgc, path, name, algo, draws, tmp, results):
    """The cosine with the exact gradient at D/4 and D draws. An unbiased
    estimate's squared error falls like 1/draws, so (1/c^2 - 1) shrinks 4x;
    a biased one levels off. (A cosine near 1 needs draws well above the
    dimension of the perturbation points: tens of thousands per example for
    FG-A here.)"""
    net = Net(fgc, path, algo)
    p = params_for(net, 4)
    g = torch.Generator().manual_seed(5)
    x = torch.rand(N, 3, 32, 32, generator=g)
    labels = torch.randint(0, CLASSES, (N,), generator=g)
    exact = exact_target(net, algo, p, x, labels)
    names = sorted(exact)
    cs = []
    for d, seed in ((draws // 4, 7), (draws, 8)):
        est = estimate(fgc, path, algo, p, x, labels, d, tmp, seed)
        cs.append(cosine([est[n] for n in names], [exact[n] for n in names]))
    ratio = (1 / cs[0] ** 2 - 1) / max(1 / cs[1] ** 2 - 1, 1e-12)
    env = {}
    with torch.no_grad():
        forward(net, p, x, labels, keep=env)
    dim = sum(env[net.by_name[pt["z_node"]].output[0]].numel() // N
              for pt in net.info["perturbation_points"])
    results[f"{name}/{algo}"] = {"draws": [draws // 4, draws], "cosine": cs,
                                 "error_ratio": ratio, "dimension_per_example": dim}
    # Below a cosine of ~0.3 the noise's projection on the gradient is as
    # large as the gradient, and the ratio says nothing: more draws needed.
    measurable = cs[0] >= 0.3
    # Batch normalisation's statistics map per example (like the
    # spatial-loss estimate's positions): the estimate leaves out the paths
    # from one example to the others' losses and is biased there.
    batch_norm = any(n.op_type == "BatchNormalization" for n in net.model.graph.node)
    bar = algo == "fg-a" and measurable and not batch_norm
    ok = not bar or 3.0 < ratio < 5.3
    print(f"unbiased  {name:13s} {algo:8s} cosine {cs[0]:.4f} at {draws // 4} draws, "
          f"{cs[1]:.4f} at {draws}: squared error fell {ratio:.2f}x (4x if "
          f"unbiased){'' if measurable else f'; variance-bound ({dim} perturbed values per example)'}"
          f"{'' if ok else '  FAIL'}")
    if not ok:
        FAILURES.append(f"{name} {algo}: error ratio {ratio:.2f}")


def main():
    global N
    ap = argparse.ArgumentParser()
    ap.add_argument("--fgc", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--nets", default="resnet18,mobilenet_v2,vit")
    ap.add_argument("--algos", default="lg-fg-a,fg-a,lg-fg-w,fg-w,readout")
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=N,
                    help="examples per step: a size no other axis of the networks has "
                         "(the batch axis is found by its size; 3, 5, 7 at 3x32x32)")
    ap.add_argument("--json")
    args = ap.parse_args()
    N = args.batch
    torch.manual_seed(0)
    results = {"exactness": {}, "unbiased": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.nets.split(","):
            path = os.path.join(args.models, f"{name}.opset13.onnx")
            for algo in args.algos.split(","):
                check_exactness(args.fgc, path, name, algo, tmp, results["exactness"])
            if args.draws:
                for algo in ["fg-a", "lg-fg-a"]:
                    check_unbiased(args.fgc, path, name, algo, args.draws, tmp,
                                   results["unbiased"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if FAILURES:
        print("FAILED:", *FAILURES, sep="\n  ")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
