#!/usr/bin/python3
"""Exports the models of models/ to ONNX at opsets 13 and 17 with PyTorch 1.13.

Usage: /usr/bin/python3 models/export.py [--out DIR] [--only NAME,...] [--opsets 13,17]

Files are named <name>.opset<N>.onnx. The batch dimension is exported as the symbolic
dimension "batch"; fgc fixes it with --batch-size. Weights are deterministic (torch seed 0
for the MLP/CNN and the torchvision networks, spec section 3.3 init for the LocalMixers).
The torchvision networks (torchvision_nets.py) are exported from training mode: batch
normalisation stays a node with its running statistics as initializers (fgc trains it
with the batch's statistics and updates them), not folded into the convolutions, and the
initializers keep PyTorch's parameter names.
"""
import argparse
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import localmixer  # noqa: E402

ALL = ["mlp", "cnn", "s_1_1", "m_1_16", "m_8_16", "l_8_64", "resnet18", "mobilenet_v2",
       "vit"]
TORCHVISION = ["resnet18", "mobilenet_v2", "vit"]


def build(name):
    """(model, input shape) of any name in ALL."""
    if name in TORCHVISION:
        import torchvision_nets  # needs python3-torchvision
        return torchvision_nets.build(name)
    return localmixer.build(name)


def export(name, opset, out_dir):
    torch.manual_seed(0)
    model, in_shape = build(name)
    # Train mode (kept through export by TrainingMode.PRESERVE) stops torch 1.13 from
    # de-duplicating initializers with equal values (the zero biases of different layers
    # would otherwise become one shared parameter) and from folding batch normalisation
    # into the convolutions (which eval mode does even without constant folding): the
    # torchvision networks keep their BatchNormalization nodes (training_mode = 1, which
    # fgc trains with batch statistics and evaluates with the running ones) and their
    # Dropout (fgc: the identity). The LocalMixers have neither.
    model.train(True)
    # Tracing runs the model once, which in training mode moves batch
    # normalisation's running statistics: the file gets the values from
    # before, those of the model build() makes.
    buffers = {k: v.clone() for k, v in model.state_dict().items()
               if k.endswith(("running_mean", "running_var"))}
    x = torch.randn(2, *in_shape)
    path = os.path.join(out_dir, f"{name}.opset{opset}.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _export(model, x, path, opset, fold=name not in TORCHVISION)
        except torch.onnx.errors.CheckerError as e:
            # PyTorch 1.13 quirk: at opset 17 a parameter-free layer_norm is written as
            # LayerNormalization with an empty Scale input, which the ONNX checker rejects
            # after the file is written. fgc imports it (Scale = 1); keep the file.
            if "LayerNormalization" not in str(e):
                raise
    if buffers:
        _restore(path, buffers)
    print(f"{path}: {localmixer.count_params(model)} parameters")


def _restore(path, values):
    """Overwrites the initializers named in `values` (name -> tensor)."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    for i, t in enumerate(m.graph.initializer):
        if t.name in values:
            m.graph.initializer[i].CopyFrom(
                numpy_helper.from_array(values[t.name].numpy(), t.name))
    onnx.save(m, path)


def _export(model, x, path, opset, fold):
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "batch"},
                                                             "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=fold)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--only", default=",".join(ALL))
    ap.add_argument("--opsets", default="13,17")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.only.split(","):
        if name not in ALL:
            sys.exit(f"export.py: unknown model '{name}' (known: {', '.join(ALL)})")
        for opset in args.opsets.split(","):
            export(name, int(opset), args.out)


if __name__ == "__main__":
    main()
