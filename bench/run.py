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


def calls_per_sample(fn, *args, min_time: float = 0.02) -> int:
    fn(*args)
    number, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_time:
        fn(*args)
        number += 1
    return max(number, 1)


def paired_medians(first, second, args, repeat: int = 21) -> tuple[float, float]:
    """Median seconds per call of two functions, sampled alternately so that a change in the
    machine's load touches both alike."""
    counts = calls_per_sample(first, *args), calls_per_sample(second, *args)
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, number, into in zip((first, second), counts, samples, strict=True):
            start = time.perf_counter()
            for _ in range(number):
                fn(*args)
            into.append((time.perf_counter() - start) / number)
    return statistics.median(samples[0]), statistics.median(samples[1])


def gradient_table(names: list[str]) -> list[str]:
    rows = ["| workload | hand-written | tracegrad numpy | ratio |", "|---|---|---|---|"]
    for name in names:
        workload = WORKLOADS[name]
        args = workload.make_args(np.random.default_rng(0))
        ours = tracegrad.grad(workload.loss)
        hand, emitted = paired_medians(workload.hand_grad, ours, args)
        rows.append(f"| {name} | {hand * 1e6:.1f} us | {emitted * 1e6:.1f} us "
                    f"| {emitted / hand:.2f}x |")
    return rows


def compile_table() -> list[str]:
    rows = ["| nodes (primal) | adjoint nodes | trace + AD + emit |", "|---|---|---|"]
    tracegrad.grad(scalar_chain(40)).source(0.3)  # warm up: template and caches loaded once
    for n_ops, runs in ((1000, 7), (10000, 3)):
        f = scalar_chain(n_ops)
        times = []
        for _ in range(runs):  # a fresh grad each time: nothing cached between runs
            start = time.perf_counter()
            gradient = tracegrad.grad(f)
            gradient.source(0.3)
            times.append(time.perf_counter() - start)
        primal = len(tracegrad.trace(f, 0.3).nodes)
        adjoint = len(gradient.ir(0.3).nodes)
        rows.append(f"| {primal} | {adjoint} | {statistics.median(times):.3f} s (median of "
                    f"{runs}) |")
    return rows


def main(argv: list[str]) -> None:
    names = argv or list(WORKLOADS)
    for line in [*gradient_table(names), "", *compile_table()]:
        print(line)


if __name__ == "__main__":
    main(sys.argv[1:])
