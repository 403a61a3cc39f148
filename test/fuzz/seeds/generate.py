#!/usr/bin/env python3
"""Writes the fuzzers' seed inputs (checked in; rerun to regenerate).

data/: inputs of fgc-data-fuzzer (see DataFuzzer.cpp for the layout): tiny
IDX image/label pairs and CIFAR-10 batches, plain and gzip.
description/: inputs of fgc-description-fuzzer: a small valid model
description (the format of include/fgc/Runtime/TrainerABI.h).
checkpoint/: inputs of fgc-checkpoint-fuzzer: valid checkpoints (the format
of lib/Runtime/Trainer/CheckpointFormat.cpp) of the fuzzer's fixed model,
with their CRC-32 (first byte 0) and without it (first byte 1: the fuzzer
appends it).
"""
import gzip
import os
import struct
import zlib

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



def checkpoint(epoch, step, with_crc, version=4):
    """A checkpoint of CheckpointFuzzer.cpp's model: fingerprint 1234567, 5
    steps an epoch, tensors b f32[3], w f32[2x3], w.momentum f32[2x3], sums
    loss.block0 and loss.readout. Format 3's records lack the peak RSS."""
    text = 'fgc-checkpoint %d\nfingerprint 1234567\n' % version
    text += 'epoch %d\nstep %d\nglobal %d\nseed 7\n' % (epoch, step,
                                                         epoch * 5 + step)
    text += 'seconds %s\ncorrect %s\n' % ((1.5).hex(), (3.0).hex())
    text += 'sum loss.block0 %s\nsum loss.readout %s\n' % ((0.25).hex(),
                                                           (2.5).hex())
    for e in range(1, epoch + 1):
        fields = [2.3, 0.9, float('nan') if e == 1 else 2.1, 0.8, 1000.0,
                  1.25, 0.01] + ([] if version == 3 else [123456789.0])
        text += 'record %d %s block0 %s\n' % (
            e, ' '.join(v.hex() for v in fields), (0.5).hex())
    tensors = [('b', 3), ('w', 6), ('w.momentum', 6)]
    for name, n in tensors:
        text += 'tensor %s %d\n' % (name, 4 * n)
    body = text.encode() + b'data\n'
    for i, (name, n) in enumerate(tensors):
        body += struct.pack('<%df' % n, *[0.5 * i + k for k in range(n)])
    if not with_crc:
        return bytes([1]) + body
    return bytes([0]) + body + b'crc32 %08x\n' % zlib.crc32(body)


seeds['checkpoint/start'] = checkpoint(0, 0, True, 3)
seeds['checkpoint/epoch2-step3'] = checkpoint(2, 3, True, 3)
seeds['checkpoint/epoch1-step4-nocrc'] = checkpoint(1, 4, False, 3)
seeds['checkpoint/v4-epoch2-step3'] = checkpoint(2, 3, True)
seeds['checkpoint/v4-epoch1-step4-nocrc'] = checkpoint(1, 4, False)

for name, data in seeds.items():
    os.makedirs(os.path.dirname(os.path.join(here, name)), exist_ok=True)
    with open(os.path.join(here, name), 'wb') as f:
        f.write(data)
