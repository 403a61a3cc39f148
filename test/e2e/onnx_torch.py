"""A small ONNX interpreter on PyTorch tensors: an independent reference for
what fgc computes from an ONNX file (no fgc code or output is used).

run(model, params, inputs, hooks) evaluates the graph in node order with
torch ops, so that autograd and functorch differentiate it. `params` maps
initializer names to tensors (the caller decides which require gradients);
`hooks` maps an ONNX node name to a function applied to the node's (first)
output, e.g. adding noise at a perturbation point or detaching at a block
boundary. Covers the operators of the networks test/e2e/network_reference.py
checks (torchvision ResNet-18, MobileNetV2, ViT at opset 13, batch
normalisation in either mode, Dropout as the identity).
"""
import numpy as np
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    out = {}
    for a in node.attribute:
        if a.type == a.INT:
            out[a.name] = a.i
        elif a.type == a.FLOAT:
            out[a.name] = a.f
        elif a.type == a.INTS:
            out[a.name] = list(a.ints)
        elif a.type == a.FLOATS:
            out[a.name] = list(a.floats)
        elif a.type == a.TENSOR:
            out[a.name] = torch.from_numpy(numpy_helper.to_array(a.t).copy())
        elif a.type == a.STRING:
            out[a.name] = a.s.decode()
    return out


def conv(x, w, b, a):
    k = len(w.shape) - 2
    pads = a.get("pads", [0] * (2 * k))
    if pads[:k] != pads[k:]:
        x = F.pad(x, [p for i in reversed(range(k)) for p in (pads[i], pads[i + k])])
        pads = [0] * (2 * k)
    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[k]
    return fn(x, w, b, stride=a.get("strides", [1] * k), padding=pads[:k],
              dilation=a.get("dilations", [1] * k), groups=a.get("group", 1))


def gemm(a_, b_, c, a):
    if a.get("transA", 0):
        a_ = a_.T
    if a.get("transB", 0):
        b_ = b_.T
    y = a.get("alpha", 1.0) * (a_ @ b_)
    return y if c is None else y + a.get("beta", 1.0) * c


def evaluate(node, ins, a):
    op = node.op_type
    x = ins[0] if ins else None
    if op == "Conv":
        return conv(x, ins[1], ins[2] if len(ins) > 2 else None, a)
    if op == "BatchNormalization":
        # Batch statistics when training (the population variance, as
        # ONNX), the running ones otherwise; only Y.
        # With "update" the running statistics are updated in place (as
        # PyTorch does: the unbiased variance).
        training = a.get("__training__", False)
        keep = not training or training == "update"
        return F.batch_norm(x, ins[3] if keep else None, ins[4] if keep else None,
                            ins[1], ins[2], training=bool(training),
                            momentum=1 - a.get("momentum", 0.9), eps=a.get("epsilon", 1e-5))
    if op == "Dropout":
        return x  # fgc computes Dropout as the identity
    if op == "Gemm":
        return gemm(x, ins[1], ins[2] if len(ins) > 2 else None, a)
    if op == "MatMul":
        return x @ ins[1]
    if op == "Div" and not x.is_floating_point():
        return torch.div(x, ins[1], rounding_mode="trunc")
    if op in ("Add", "Sub", "Mul", "Div", "Pow"):
        return {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul,
                "Div": torch.div, "Pow": torch.pow}[op](x, ins[1])
    if op == "Relu":
        return F.relu(x)
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
        return torch.clamp(x, lo, hi)
    if op in ("Erf", "Sqrt", "Identity", "Sigmoid", "Tanh", "Exp"):
        return {"Erf": torch.erf, "Sqrt": torch.sqrt, "Identity": lambda t: t,
                "Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "Exp": torch.exp}[op](x)
    if op == "AveragePool":
        k = a["kernel_shape"]
        pads = a.get("pads", [0] * (2 * len(k)))
        return F.avg_pool2d(x, k, a.get("strides", k), pads[:len(k)],
                            ceil_mode=bool(a.get("ceil_mode", 0)),
                            count_include_pad=bool(a.get("count_include_pad", 0)))
    if op == "Split":
        sizes = ins[1].tolist() if len(ins) > 1 and ins[1] is not None else a.get("split")
        return torch.split(x, sizes, dim=a.get("axis", 0))
    if op == "MaxPool":
        k = a["kernel_shape"]
        pads = a.get("pads", [0] * (2 * len(k)))
        return F.max_pool2d(x, k, a.get("strides", k), pads[:len(k)],
                            ceil_mode=bool(a.get("ceil_mode", 0)))
    if op == "GlobalAveragePool":
        return x.mean(dim=tuple(range(2, x.dim())), keepdim=True)
    if op == "Flatten":
        ax = a.get("axis", 1)
        return x.reshape(int(np.prod(x.shape[:ax])), -1)
    if op == "Reshape":
        shape = [int(s) for s in ins[1].tolist()]
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return x.reshape(shape)
    if op == "Transpose":
        return x.permute(*a.get("perm", list(reversed(range(x.dim())))))
    if op == "Concat":
        return torch.cat(ins, dim=a["axis"])
    if op == "Shape":
        return torch.tensor(list(x.shape), dtype=torch.int64)
    if op == "Gather":
        axis = a.get("axis", 0)
        idx = ins[1].long()
        idx = torch.where(idx < 0, idx + x.shape[axis], idx)
        out = torch.index_select(x, axis, idx.reshape(-1))
        return out.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1:])
    if op == "Unsqueeze":
        out = x
        for ax in sorted(int(v) for v in ins[1].tolist()):
            out = out.unsqueeze(ax if ax >= 0 else ax + out.dim() + 1)
        return out
    if op == "Slice":
        starts, ends = ins[1].tolist(), ins[2].tolist()
        axes = ins[3].tolist() if len(ins) > 3 else list(range(len(starts)))
        steps = ins[4].tolist() if len(ins) > 4 else [1] * len(starts)
        idx = [slice(None)] * x.dim()
        for s, e, ax, st in zip(starts, ends, axes, steps):
            n = x.shape[ax]
            s = max(0, min(n, s + n if s < 0 else s))
            e = max(0, min(n, e + n if e < 0 else e))
            idx[ax] = slice(s, e, st)
        return x[tuple(idx)]
    if op == "Softmax":
        return torch.softmax(x, dim=a.get("axis", -1))
    if op == "ReduceMean":
        axes = a.get("axes", list(range(x.dim())))
        return x.mean(dim=tuple(axes), keepdim=bool(a.get("keepdims", 1)))
    if op == "Cast":
        to = {1: torch.float32, 7: torch.int64, 9: torch.bool, 11: torch.float64}[a["to"]]
        return x.to(to)
    if op == "Constant":
        return a["value"]
    if op == "ConstantOfShape":
        v = a.get("value", torch.zeros(1))
        return v.reshape(()).expand(*[int(s) for s in x.tolist()]).clone()
    if op == "Equal":
        return x == ins[1]
    if op == "Where":
        return torch.where(x, ins[1], ins[2])
    if op == "Expand":
        shape = [int(s) for s in ins[1].tolist()]
        return x * torch.ones(shape, dtype=x.dtype)
    raise NotImplementedError(f"onnx_torch: operator {op} (node {node.name})")


def run(model, params, inputs, hooks=None, env=None, nodes=None, training=False):
    """The graph's outputs (in order) given initializer values `params` and
    graph inputs `inputs` (name -> tensor). With `env` (a dict), every
    value is left in it; with `nodes` (names), only those nodes run, on the
    values `env` already holds. With `training`, batch normalisation uses
    the batch's statistics; with training="update" it also updates the
    running statistics in `params` in place."""
    hooks = hooks or {}
    env = {} if env is None else env
    env.update(params)
    env.update(inputs)
    for node in model.graph.node:
        if nodes is not None and node.name not in nodes:
            continue
        ins = [env[n] if n else None for n in node.input]
        a = attrs(node)
        a["__training__"] = training
        out = evaluate(node, ins, a)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if node.name in hooks:
            outs[0] = hooks[node.name](outs[0])
        env.update(zip(node.output, outs))
    return [env[o.name] for o in model.graph.output if o.name in env]


def initializers(model, dtype=torch.float32):
    """Float initializers as tensors; integer ones as int64 tensors."""
    out = {}
    for t in model.graph.initializer:
        v = numpy_helper.to_array(t).copy()
        out[t.name] = torch.from_numpy(v).to(dtype) if v.dtype.kind == "f" \
            else torch.from_numpy(v.astype(np.int64))
    return out
