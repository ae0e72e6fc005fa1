"""Benchmark: the gradient of an RNN written with tracegrad.scan, against backpropagation
through time written by hand in NumPy, the same RNN unrolled by a Python loop, and JAX.

    python bench/rnn.py             # prints the table and appends it to bench/results.md
    python bench/rnn.py --quick     # fewer samples: a quick look, not numbers to keep
    python bench/rnn.py --filled    # the RNN that fills an array (issue 15), T = 16, 64, 128

Every gradient is first checked against the hand-written one; then each is timed against it
with alternating samples (run.paired_medians). Not a test: tests/test_bench.py checks the
gradients on tiny sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # as run.py, before NumPy loads BLAS

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import run

import tracegrad

SIZES = {"small": (32, 16, 64, 50), "large": (256, 128, 256, 100)}  # batch, in, hidden, T


def rnn_loss(W, U, h0, xs):
    def step(h, x):
        h = np.tanh(h @ W + x @ U)
        return h, h

    _, hs = tracegrad.scan(step, h0, xs)
    return np.sum(hs * hs) / hs.shape[1]


def rnn_unrolled(W, U, h0, xs):
    h, total = h0, 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] @ U)
        total = total + np.sum(h * h)
    return total / h0.shape[0]


def rnn_hand_grad(W, U, h0, xs):
    """BPTT as one writes it: keep every state, then walk back in time."""
    steps, batch = xs.shape[0], h0.shape[0]
    hs = np.empty((steps + 1, *h0.shape))
    hs[0] = h0
    for t in range(steps):
        hs[t + 1] = np.tanh(hs[t] @ W + xs[t] @ U)
    d_W, d_U = np.zeros_like(W), np.zeros_like(U)
    d_h = np.zeros_like(h0)
    for t in reversed(range(steps)):
        d_h = d_h + 2 * hs[t + 1] / batch
        d_a = d_h * (1 - hs[t + 1] * hs[t + 1])
        d_W += hs[t].T @ d_a
        d_U += xs[t].T @ d_a
        d_h = d_a @ W.T
    return d_W, d_U


def rnn_jax(W, U, h0, xs):
    import jax
    import jax.numpy as jnp

    def step(h, x):
        h = jnp.tanh(h @ W + x @ U)
        return h, h

    _, hs = jax.lax.scan(step, h0, xs)
    return jnp.sum(hs * hs) / hs.shape[1]


def filled_states(W, U, h0, x):
    """The RNN as course code writes it: inputs (batch, T, in), states written into an array
    the function makes, `h[:, t, :] = next_h`."""
    batch, steps, _ = x.shape
    h = np.zeros((batch, steps, h0.shape[1]))
    prev = h0
    for t in range(steps):
        prev = np.tanh(prev @ W + x[:, t, :] @ U)
        h[:, t, :] = prev
    return h


def rnn_filled(W, U, h0, x):
    h = filled_states(W, U, h0, x)
    return np.sum(h * h) / x.shape[0]


def rnn_filled_hand_grad(W, U, h0, x):
    """Its BPTT as the course's authors write it: the states kept in the same (batch, T,
    hidden) array as the forward pass, the inputs' gradient filled step by step."""
    batch, steps, _ = x.shape
    h = filled_states(W, U, h0, x)
    d_W, d_U, d_x = np.zeros_like(W), np.zeros_like(U), np.zeros_like(x)
    d_prev = np.zeros_like(h0)
    for t in reversed(range(steps)):
        state = h[:, t, :]
        d_a = (d_prev + 2 * state / batch) * (1 - state * state)
        d_W += (h[:, t - 1, :] if t else h0).T @ d_a
        d_U += x[:, t, :].T @ d_a
        d_x[:, t, :] = d_a @ U.T
        d_prev = d_a @ W.T
    return d_W, d_U, d_x


def filled_table(steps: tuple[int, ...], repeat: int) -> list[str]:
    """tracegrad's gradient of `rnn_filled` (unrolled: one write and one read per step)
    against the hand-written one, and the first call (trace, differentiate, emit, load)."""
    lines = [
        "| T | hand-written BPTT | tracegrad numpy | ratio | first call | emitted lines |",
        "|---|---|---|---|---|---|",
    ]
    for count in steps:
        W, U, h0, xs = make_args(32, 16, 64, count)
        args = (W, U, h0, xs.transpose(1, 0, 2).copy())
        gradient = tracegrad.grad(rnn_filled, argnums=(0, 1, 3))
        lines.append(
            run.against_hand_written(str(count), gradient, rnn_filled_hand_grad, args, repeat)
        )
        print(lines[-1], flush=True)
    return lines


def make_args(batch: int, n_in: int, hidden: int, steps: int, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((hidden, hidden)) / np.sqrt(hidden),
        rng.standard_normal((n_in, hidden)) / np.sqrt(n_in),
        np.zeros((batch, hidden)),
        rng.standard_normal((steps, batch, n_in)),
    )


def implementations() -> dict[str, Callable]:
    found = {
        "tracegrad numpy (scan)": tracegrad.grad(rnn_loss, argnums=(0, 1)),
        "tracegrad numpy (unrolled)": tracegrad.grad(rnn_unrolled, argnums=(0, 1)),
        "tracegrad jax (scan)": run.blocking(
            tracegrad.jit(tracegrad.grad(rnn_loss, argnums=(0, 1)), backend="jax")
        ),
    }
    import jax

    compiled = jax.jit(jax.grad(rnn_jax, argnums=(0, 1)))

    def reference(*args):
        with jax.enable_x64(True):  # float64 as the others, without changing the setting
            return jax.block_until_ready(compiled(*args))

    found["jax.jit(jax.grad) (lax.scan)"] = reference
    return found


def check(got, expected, where: str) -> None:
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-9, atol=1e-12, err_msg=where)


def table(sizes: dict[str, tuple], repeat: int) -> list[str]:
    lines = ["| size | implementation | hand-written BPTT | it | ratio |", "|---|---|---|---|---|"]
    impls = implementations()
    for label, size in sizes.items():
        args = make_args(*size)
        expected = rnn_hand_grad(*args)
        for name, fn in impls.items():
            check(fn(*args), expected, f"{name} on {label}")
            hand, it = run.paired_medians(rnn_hand_grad, fn, args, repeat)
            lines.append(
                f"| {label} {size} | {name} | {hand * 1e3:.2f} ms | {it * 1e3:.2f} ms "
                f"| {it / hand:.2f}x |"
            )
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--filled", action="store_true", help="the RNN that fills an array")
    options = parser.parse_args()
    if options.filled:
        print("\n".join(filled_table((16, 64, 128), repeat=5 if options.quick else 21)))
        return
    lines = table(SIZES, repeat=5 if options.quick else 21)
    if not options.quick:
        results = Path(__file__).parent / "results.md"
        heading = (
            "\n## RNN gradient with tracegrad.scan (python bench/rnn.py)\n\n"
            "Sizes are (batch, inputs, hidden, steps), float64; ratio to hand-written BPTT.\n\n"
        )
        text = results.read_text() if results.exists() else ""
        text = text.split("\n## RNN gradient with tracegrad.scan")[0].rstrip("\n") + "\n"
        results.write_text(text + heading + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
