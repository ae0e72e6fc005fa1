"""Benchmark: the gradient of a Gaussian process's negative log marginal likelihood (the one
examples/gaussian_process.py fits) at n points, against the closed form written by hand in
NumPy and, on the JAX backend, against jax.jit(jax.grad) of the same source over jax.numpy.

    python bench/gp.py             # n = 100, 500
    python bench/gp.py --quick     # fewer samples

Each gradient is first checked against the hand-written one. Not a test: tests/test_bench.py
checks the gradients on a small n.
"""

from __future__ import annotations

import argparse
import os
import sys
import types
from pathlib import Path

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # as run.py, before NumPy loads BLAS

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))

import gaussian_process as gp
import run

import tracegrad

SIZES = (100, 500)


def make_args(n: int, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, n))
    y = np.sin(2 * x) + 0.1 * rng.standard_normal(n)
    return np.log(np.array([1.0, 1.0, 0.05])), x, y


def hand_written(log_params, x, y):
    return (gp.closed_form_gradient(log_params, x, y),)


def over_jax(fn):
    """`fn` (and the kernel it calls) with `np` jax.numpy: the same source."""
    import jax.numpy as jnp

    namespace = dict(fn.__globals__, np=jnp)
    namespace["kernel"] = types.FunctionType(gp.kernel.__code__, namespace, "kernel")
    return types.FunctionType(fn.__code__, namespace, fn.__name__)


def numpy_table(sizes, repeat: int) -> list[str]:
    lines = [
        "| n | hand-written gradient | tracegrad numpy | ratio | first call | emitted lines |",
        "|---|---|---|---|---|---|",
    ]
    for n in sizes:
        gradient = tracegrad.grad(gp.negative_log_likelihood, argnums=(0,))
        lines.append(run.against_hand_written(str(n), gradient, hand_written, make_args(n), repeat))
        print(lines[-1], flush=True)
    return lines


def jax_table(sizes, repeat: int) -> list[str]:
    import jax

    lines = ["| n | jax.jit(jax.grad) | tracegrad jax | ratio |", "|---|---|---|---|"]
    with jax.enable_x64(True):
        for n in sizes:
            args = make_args(n)
            theirs = run.blocking(jax.jit(jax.grad(over_jax(gp.negative_log_likelihood))))
            ours = run.blocking(
                tracegrad.jit(tracegrad.grad(gp.negative_log_likelihood), backend="jax")
            )
            expected = gp.closed_form_gradient(*args)
            for fn in (theirs, ours):
                np.testing.assert_allclose(np.asarray(fn(*args)), expected, rtol=1e-8)
            their_time, our_time = run.paired_medians(theirs, ours, args, repeat)
            lines.append(
                f"| {n} | {their_time * 1e3:.2f} ms | {our_time * 1e3:.2f} ms "
                f"| {our_time / their_time:.2f}x |"
            )
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    repeat = 5 if options.quick else 21
    print("\n".join(numpy_table(SIZES, repeat)))
    print()
    print("\n".join(jax_table(SIZES, repeat)))


if __name__ == "__main__":
    main()
