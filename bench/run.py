"""Benchmark: tracegrad's emitted gradients against a hand-written NumPy gradient.

    python bench/run.py                 # every workload
    python bench/run.py mlp_small       # some of them

Prints the median time of each gradient as a ratio to the hand-written one, and the time to
trace, differentiate and emit functions of 1,000 and 10,000 nodes. Benchmarks are not tests:
no test asserts a time.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from workloads import WORKLOADS, scalar_chain

import tracegrad


def median_seconds(fn, *args, repeat: int = 7, min_time: float = 0.2) -> float:
    fn(*args)
    start = time.perf_counter()
    number = 0
    while time.perf_counter() - start < min_time / repeat or number < 1:
        fn(*args)
        number += 1
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn(*args)
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def gradient_table(names: list[str]) -> list[str]:
    rows = ["| workload | hand-written | tracegrad numpy | ratio |", "|---|---|---|---|"]
    for name in names:
        workload = WORKLOADS[name]
        args = workload.make_args(np.random.default_rng(0))
        ours = tracegrad.grad(workload.loss)
        hand = median_seconds(workload.hand_grad, *args)
        emitted = median_seconds(ours, *args)
        rows.append(f"| {name} | {hand * 1e6:.1f} us | {emitted * 1e6:.1f} us "
                    f"| {emitted / hand:.2f}x |")
    return rows


def compile_table() -> list[str]:
    rows = ["| nodes (primal) | adjoint nodes | trace + AD + emit |", "|---|---|---|"]
    for n_ops in (1000, 10000):
        f = scalar_chain(n_ops)
        start = time.perf_counter()
        gradient = tracegrad.grad(f)
        source = gradient.source(0.3)
        elapsed = time.perf_counter() - start
        primal = len(tracegrad.trace(f, 0.3).nodes)
        adjoint = len(gradient.ir(0.3).nodes)
        assert source
        rows.append(f"| {primal} | {adjoint} | {elapsed:.3f} s |")
    return rows


def main(argv: list[str]) -> None:
    names = argv or list(WORKLOADS)
    for line in [*gradient_table(names), "", *compile_table()]:
        print(line)


if __name__ == "__main__":
    main(sys.argv[1:])
