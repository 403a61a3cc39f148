"""Small data sets in the real file formats the trainers read, for the
end-to-end tests (trainer.py, checkpoint_faults.py): gzip (or raw) IDX files
like MNIST's and CIFAR-10 binary batches, with images that are noisy copies
of one random prototype per class, so that a few epochs learn them.
"""
import gzip
import os
import struct

import numpy as np


def write_idx(d, prefix, images, labels, gz=True):
    op = gzip.open if gz else open
    ext = ".gz" if gz else ""
    with op(os.path.join(d, f"{prefix}-images-idx3-ubyte{ext}"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, len(images), 28, 28))
        f.write(images.astype(np.uint8).tobytes())
    with op(os.path.join(d, f"{prefix}-labels-idx1-ubyte{ext}"), "wb") as f:
        f.write(struct.pack(">II", 0x801, len(labels)))
        f.write(labels.astype(np.uint8).tobytes())


def make_mnist_like(d, train=2560, test=500, seed=0):
    """Noisy copies of one random prototype image per class."""
    rng = np.random.RandomState(seed)
    prototypes = rng.rand(10, 784)
    def gen(n):
        y = rng.randint(0, 10, n)
        x = ((0.5 * prototypes[y] + 0.5 * rng.rand(n, 784)) * 255).astype(np.uint8)
        return x, y
    os.makedirs(d, exist_ok=True)
    write_idx(d, "train", *gen(train))
    write_idx(d, "t10k", *gen(test))


def make_cifar_like(d, per_batch=128, test=128, seed=0):
    rng = np.random.RandomState(seed)
    prototypes = rng.rand(10, 3072)
    os.makedirs(d, exist_ok=True)
    def batch(path, n):
        y = rng.randint(0, 10, n).astype(np.uint8)
        x = ((0.5 * prototypes[y] + 0.5 * rng.rand(n, 3072)) * 255).astype(np.uint8)
        with open(path, "wb") as f:
            for i in range(n):
                f.write(bytes([y[i]]) + x[i].tobytes())
    for i in range(1, 6):
        batch(os.path.join(d, f"data_batch_{i}.bin"), per_batch)
    batch(os.path.join(d, "test_batch.bin"), test)
