"""Benchmark: the gradient of a naive convolution and max-pool written with Python loops that
fill arrays element by element (as a course's first convolutional layer is), against the
backward pass its authors write by hand in the same style.

    python bench/conv.py            # prints the table
    python bench/conv.py --quick    # fewer samples

The first call traces the loops (one write per output element), differentiates and emits
the module: its time is the column "first call". Not a test: tests/test_bench.py checks the
gradients on tiny sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # as run.py, before NumPy loads BLAS

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import run

import tracegrad

# batch, channels, height = width, filters; "medium" writes 2048 output elements one by one
SIZES = {"tiny": (1, 2, 4, 2), "small": (2, 3, 8, 4), "medium": (2, 3, 16, 4)}


def convolved(x, w, b):
    """The padded input and the 3x3 convolution (stride 1, padding 1), one output element
    at a time, as a course's first convolutional layer writes it."""
    n, _, height, width = x.shape
    filters = w.shape[0]
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, filters, height, width))
    for i in range(n):
        for f in range(filters):
            for r in range(height):
                for c in range(width):
                    window = padded[i, :, r : r + 3, c : c + 3]
                    out[i, f, r, c] = np.sum(window * w[f]) + b[f]
    return padded, out


def conv_pool(x, w, b):
    """A 3x3 convolution (stride 1, padding 1) and a 2x2 max-pool, loops over every
    output element, then a squared loss."""
    n, _, height, width = x.shape
    filters = w.shape[0]
    _, out = convolved(x, w, b)
    pooled = np.zeros((n, filters, height // 2, width // 2))
    for r in range(height // 2):
        for c in range(width // 2):
            pooled[:, :, r, c] = np.max(
                out[:, :, 2 * r : 2 * r + 2, 2 * c : 2 * c + 2], axis=(2, 3)
            )
    return np.sum(pooled * pooled)


def conv_pool_hand_grad(x, w, b):
    """The authors' backward, loop for loop: the pool's mask routes the gradient, each
    output element's gradient is added into its window of the padded input."""
    n, _, height, width = x.shape
    filters = w.shape[0]
    padded, out = convolved(x, w, b)
    d_out = np.zeros_like(out)
    for r in range(height // 2):
        for c in range(width // 2):
            window = out[:, :, 2 * r : 2 * r + 2, 2 * c : 2 * c + 2]
            top = window.max(axis=(2, 3), keepdims=True)
            d_pooled = 2 * top
            d_out[:, :, 2 * r : 2 * r + 2, 2 * c : 2 * c + 2] += (window == top) * d_pooled
    d_padded, d_w, d_b = np.zeros_like(padded), np.zeros_like(w), np.zeros_like(b)
    for i in range(n):
        for f in range(filters):
            for r in range(height):
                for c in range(width):
                    g = d_out[i, f, r, c]
                    d_padded[i, :, r : r + 3, c : c + 3] += w[f] * g
                    d_w[f] += padded[i, :, r : r + 3, c : c + 3] * g
                    d_b[f] += g
    return d_padded[:, :, 1:-1, 1:-1], d_w, d_b


def make_args(n: int, channels: int, size: int, filters: int, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((n, channels, size, size)),
        rng.standard_normal((filters, channels, 3, 3)) / 3,
        rng.standard_normal(filters),
    )


def table(sizes: dict[str, tuple], repeat: int) -> list[str]:
    lines = [
        "| size | hand-written backward | tracegrad numpy | ratio | first call | emitted lines |",
        "|---|---|---|---|---|---|",
    ]
    for label, size in sizes.items():
        gradient = tracegrad.grad(conv_pool, argnums=(0, 1, 2))
        row = run.against_hand_written(
            f"{label} {size}", gradient, conv_pool_hand_grad, make_args(*size), repeat
        )
        lines.append(row)
        print(row, flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    print("\n".join(table(SIZES, repeat=5 if options.quick else 21)))


if __name__ == "__main__":
    main()
