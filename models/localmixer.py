"""Reference PyTorch definitions of the networks in models/.

This module is the project's reference implementation of the LocalMixer architecture of
"Scaling Forward Gradient With Local Losses" (Ren et al., ICLR 2023; see
shared/spec/algorithm.md section 3) and of the two small baselines (an MLP and a CNN).
Later tests import it to compare fgc against PyTorch on the same weights.

Only the model is defined here: local heads, stop-gradients and perturbation points are
added by the compiler (fg-localize), not by the exported graph.
"""
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LN_EPS = 1e-5


def layer_norm(x, width):
    """Parameter-free LayerNorm over the last axis of size `width` (no gamma/beta, eps
    1e-5). The width is passed as a Python int so that export keeps it static."""
    return F.layer_norm(x, (width,), eps=LN_EPS)


@dataclass(frozen=True)
class MixerConfig:
    name: str
    image_size: int      # Hi = Wi
    in_channels: int     # Ci
    num_patches: int     # patches per side; P = num_patches ** 2
    channels: int        # C (= hidden width H)
    groups: int          # G
    blocks: int          # NBLK
    classes: int = 10

    @property
    def tokens(self):
        return self.num_patches ** 2

    @property
    def patch_size(self):
        return self.image_size // self.num_patches

    @property
    def patch_dim(self):
        return self.patch_size ** 2 * self.in_channels


CONFIGS = {
    "s_1_1": MixerConfig("LocalMixer S/1/1", 28, 1, 1, 256, 1, 1),
    "m_1_16": MixerConfig("LocalMixer M/1/16", 28, 1, 1, 512, 16, 1),
    "m_8_16": MixerConfig("LocalMixer M/8/16", 32, 3, 8, 512, 16, 4),
    "l_8_64": MixerConfig("LocalMixer L/8/64", 32, 3, 8, 2048, 64, 4),
}


class GroupedLinear(nn.Module):
    """Per-group FC: [..., G, Cin/G] -> [..., G, Cout/G] with weight [G, Cin/G, Cout/G]."""

    def __init__(self, groups, cin, cout):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(groups, cin // groups, cout // groups))
        self.bias = nn.Parameter(torch.zeros(groups, cout // groups))

    def forward(self, x):  # x: [B, P, G, h]
        b, p, g, h = x.shape
        y = torch.matmul(x.permute(2, 0, 1, 3).reshape(g, b * p, h), self.weight)
        return y.reshape(g, b, p, -1).permute(1, 2, 0, 3) + self.bias


class TokenLinear(nn.Module):
    """FC over the token axis shared by all channels: weight [P, P], bias [P]."""

    def __init__(self, tokens):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(tokens, tokens))
        self.bias = nn.Parameter(torch.zeros(tokens))

    def forward(self, x):  # x: [B, P, C] -> [B, P, C]
        y = torch.matmul(x.transpose(1, 2), self.weight) + self.bias  # [B, C, P]
        return y.transpose(1, 2)


class Linear(nn.Module):
    """Dense FC with weight [Cin, Cout] (the reference code's layout), bias [Cout]."""

    def __init__(self, cin, cout):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(cin, cout))
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x):
        return torch.matmul(x, self.weight) + self.bias


class Block(nn.Module):
    def __init__(self, cfg, first):
        super().__init__()
        self.cfg, self.first = cfg, first
        c, g = cfg.channels, cfg.groups
        if first:
            self.dense = Linear(cfg.patch_dim, c)
        else:
            self.token = TokenLinear(cfg.tokens)
            self.dense = Linear(c, c)
        self.grouped = GroupedLinear(g, c, c)

    def forward(self, x):
        cfg = self.cfg
        b, p = x.shape[0], cfg.tokens
        c, g = cfg.channels, cfg.groups
        if self.first:                            # x: [B, P, D]
            h = layer_norm(x, cfg.patch_dim)      # begin_ln
        else:                                     # x: [B, P, G, C/G]
            residual = x
            h = layer_norm(x.reshape(b, p, c), c)                  # begin_ln
            h = F.relu(layer_norm(self.token(h), c))               # token mixing, LN over C
            h = layer_norm(h, c)                                   # middle_ln
        h = F.relu(layer_norm(self.dense(h), c))                   # dense + post-LN
        h = layer_norm(h.reshape(b, p, g, c // g), c // g)         # middle_ln per group
        h = layer_norm(self.grouped(h), c // g)                    # grouped + post-LN
        if not self.first:
            h = h + residual
        return F.relu(h)


class LocalMixer(nn.Module):
    """LocalMixer (spec section 3). Input: images [B, Ci, Hi, Wi] (NCHW, already
    normalised per channel); output: logits [B, classes]. Patchify is part of the graph."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.blocks = nn.ModuleList([Block(cfg, i == 0) for i in range(cfg.blocks)])
        self.classifier = Linear(cfg.channels, cfg.classes)

    def patchify(self, x):
        cfg = self.cfg
        n, ps, ci = cfg.num_patches, cfg.patch_size, cfg.in_channels
        b = x.shape[0]
        x = x.reshape(b, ci, n, ps, n, ps).permute(0, 2, 4, 3, 5, 1)  # [B, n, n, ps, ps, Ci]
        return x.reshape(b, cfg.tokens, cfg.patch_dim)                   # (row, col, channel)

    def forward(self, x):
        h = self.patchify(x)
        for blk in self.blocks:
            h = blk(h)
        h = h.reshape(h.shape[0], self.cfg.tokens, self.cfg.channels).mean(dim=1)
        return self.classifier(layer_norm(h, self.cfg.channels))                            # last_layer_ln


class MLP(nn.Module):
    """784-256-256-10 ReLU MLP on 28x28x1 images."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 256), nn.Linear(256, 256), nn.Linear(256, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class SmallCNN(nn.Module):
    """Conv/ReLU/MaxPool x2 -> GlobalAveragePool -> Linear, for 28x28x1 images."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def init_reference(model, scheme="kaiming", seed=0):
    """Spec section 3.3: each weight is scale * N(0,1) drawn in order from one
    RandomState(seed); biases zero; fan_in = second-to-last dim; the final classifier is
    zero-initialised."""
    rng = np.random.RandomState(seed)
    params = [(n, p) for n, p in model.named_parameters()]
    with torch.no_grad():
        for i, (name, p) in enumerate(params):
            if name.endswith("bias"):
                p.zero_()
                continue
            if name.startswith("classifier"):
                p.zero_()
                continue
            fan_in = p.shape[-2] if p.dim() >= 2 else p.shape[-1]
            scale = {"kaiming": min(2 / math.sqrt(fan_in), 0.1),
                     "lecun": min(1 / math.sqrt(fan_in), 0.1),
                     "constant": 0.1}[scheme]
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32) * scale))
    return model


def build(name):
    """Returns (model, input shape without batch) for a models/ name."""
    if name == "mlp":
        return MLP(), (1, 28, 28)
    if name == "cnn":
        return SmallCNN(), (1, 28, 28)
    cfg = CONFIGS[name]
    return init_reference(LocalMixer(cfg)), (cfg.in_channels, cfg.image_size, cfg.image_size)


def count_params(model):
    return sum(p.numel() for p in model.parameters())
