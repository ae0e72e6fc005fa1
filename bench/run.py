"""Benchmark: tracegrad's emitted gradients against a hand-written NumPy gradient.

    python bench/run.py                 # every workload
    python bench/run.py mlp_small       # some of them

Prints the median time of each gradient as a ratio to the hand-written one, the JAX backend's
gradient against jax.jit(jax.grad(f)) and its cache-hit overhead, and the time to
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


def on_jax_numpy(fn):
    """`fn` with `np` bound to jax.numpy: the same source, run by JAX (the reference)."""
    import types

    import jax.numpy as jnp

    return types.FunctionType(fn.__code__, {**fn.__globals__, "np": jnp}, fn.__name__)


def blocking(fn):
    """`fn` waiting for its JAX results (JAX dispatches asynchronously)."""
    import jax

    return lambda *args: jax.block_until_ready(fn(*args))


def jax_table(names: list[str]) -> list[str]:
    """tracegrad's JAX backend against jax.jit(jax.grad(f)) written in jax.numpy, float64."""
    try:
        import jax
    except ImportError:
        return ["(jax is not installed: no JAX comparison)"]
    rows = ["| workload | jax.jit(jax.grad) | tracegrad jax | ratio |", "|---|---|---|---|"]
    for name in names:
        workload = WORKLOADS[name]
        ours = tracegrad.jit(tracegrad.grad(workload.loss), backend="jax")
        with jax.enable_x64(True):
            args = jax.tree.map(jax.numpy.asarray, workload.make_args(np.random.default_rng(0)))
            reference = jax.jit(jax.grad(on_jax_numpy(workload.loss)))

        theirs, mine = blocking(reference), blocking(ours)
        with jax.enable_x64(True):
            for a, b in zip(jax.tree.leaves(mine(*args)), jax.tree.leaves(theirs(*args)),
                            strict=True):  # the same gradient, or the times mean nothing
                np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-12)
            theirs_time, ours_time = paired_medians(theirs, mine, args, repeat=41)
        rows.append(f"| {name} | {theirs_time * 1e6:.1f} us | {ours_time * 1e6:.1f} us "
                    f"| {ours_time / theirs_time:.2f}x |")
    return rows


def overhead_table() -> list[str]:
    """What a cache hit adds over calling the jax.jit function it holds, float32 and 64."""
    try:
        import jax
    except ImportError:
        return []
    rows = ["| dtype | jitted JAX function | tracegrad.jit(backend='jax') | overhead |",
            "|---|---|---|---|"]
    for dtype in (np.float32, np.float64):
        x = np.ones(3, dtype)
        compiled = tracegrad.jit(lambda x: x * 2.0 + 1.0, backend="jax")
        compiled(x)
        entry = next(iter(compiled.cache.values()))
        jitted = getattr(entry.function, "jitted", entry.function)
        with jax.enable_x64(dtype == np.float64):
            x = jax.numpy.asarray(x)
            bare, ours = paired_medians(jitted, compiled, (x,), repeat=31)
        rows.append(f"| {np.dtype(dtype).name} | {bare * 1e6:.2f} us | {ours * 1e6:.2f} us "
                    f"| {(ours - bare) * 1e6:.2f} us |")
    return rows


def main(argv: list[str]) -> None:
    names = argv or list(WORKLOADS)
    tables = [gradient_table(names), jax_table(names), overhead_table(), compile_table()]
    for table in tables:
        print("\n".join(table) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
