#!/usr/bin/env python3
"""Writes the fuzzers' seed inputs (checked in; rerun to regenerate).

data/: inputs of fgc-data-fuzzer (see DataFuzzer.cpp for the layout): tiny
IDX image/label pairs and CIFAR-10 batches, plain and gzip.
description/: inputs of fgc-description-fuzzer: a small valid model
description (the format of include/fgc/Runtime/TrainerABI.h).
"""
import gzip
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def gz(b):
    return gzip.compress(b, compresslevel=9, mtime=0)


def idx_input(images, labels):
    # Byte 0 even: loadIdx; bytes 1-2: the image file's length.
    return bytes([0]) + struct.pack('<H', len(images)) + images + labels


def idx_images(count, rows, cols):
    pixels = bytes((i * 37) % 256 for i in range(count * rows * cols))
    return struct.pack('>IIII', 0x803, count, rows, cols) + pixels


def idx_labels(count):
    return struct.pack('>II', 0x801, count) + bytes(i % 10 for i in range(count))


def cifar(records):
    out = b''
    for r in range(records):
        out += bytes([r % 10]) + bytes((r * 7 + k) % 256 for k in range(3072))
    return out


seeds = {
    'data/idx-3x4x4': idx_input(idx_images(3, 4, 4), idx_labels(3)),
    'data/idx-2x28x28': idx_input(idx_images(2, 28, 28), idx_labels(2)),
    'data/idx-3x4x4-gz': idx_input(gz(idx_images(3, 4, 4)), gz(idx_labels(3))),
    'data/idx-2x28x28-gz': idx_input(gz(idx_images(2, 28, 28)),
                                     gz(idx_labels(2))),
    # Byte 0 odd: loadCifar (bit 1: the batch twice).
    'data/cifar-1': bytes([1]) + cifar(1),
    'data/cifar-1-gz': bytes([1]) + gz(cifar(1)),
    'data/cifar-2-gz-twice': bytes([3]) + gz(cifar(2)),
}

description = b"""fgc-trainer 1
fact model tiny model.onnx
fact algorithm backprop
fact batch 2
fact classes 10
fact tangents 1
fact optimizer sgd
fact momentum 9.000000e-01
fact weight-decay 0.000000e+00
fact head-lr 1.000000e+00
fact last-layer-lr 1.000000e-01
fact schedule linear
fact spatial-loss true
fact modular-loss true
fact blocks b0 b1
function train_step
arg input x f32 4 2 1 2 2
arg input y i64 1 2
arg param w f32 2 4 3
arg param b f64 1 3
arg output loss f32 0
function eval_step
arg input x f32 4 2 1 2 2
arg output logits f32 2 2 3
tensor model w f32 0 48 2 4 3
tensor head b f64 48 24 1 3
onnx 72 8
data
"""
description += bytes(range(72)) + b'ONNXONNX'
seeds['description/tiny'] = description

for name, data in seeds.items():
    with open(os.path.join(here, name), 'wb') as f:
        f.write(data)
