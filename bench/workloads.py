"""Benchmark workloads: each a plain-NumPy loss, its inputs, and its gradient written by hand
the way a careful person would (the baseline every ratio is measured against)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    loss: Callable
    make_args: Callable[[np.random.Generator], tuple]
    hand_grad: Callable  # gradient with respect to argument 0, same structure
    about: str  # what the sizes are, for the report
    make_tiny_args: Callable[[np.random.Generator], tuple]  # same shapes' kinds, tiny: tests

    def tiny(self) -> Workload:
        """This workload on its tiny inputs: the correctness test checks every implementation
        on them in seconds, where the benchmark's own sizes take minutes."""
        return replace(self, make_args=self.make_tiny_args)


def mlp_loss(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(x.shape[0]), y])


def mlp_hand_grad(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    n = x.shape[0]
    p[np.arange(n), y] -= 1.0
    d_logits = p / n
    d_h = d_logits @ params["W2"].T
    d_pre = d_h * (1.0 - h * h)
    return {
        "W1": x.T @ d_pre,
        "b1": d_pre.sum(axis=0),
        "W2": h.T @ d_logits,
        "b2": d_logits.sum(axis=0),
    }


def mlp_args(batch: int, n_in: int, n_hidden: int, n_out: int):
    def make(rng: np.random.Generator) -> tuple:
        params = {
            "W1": rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in),
            "b1": np.zeros(n_hidden),
            "W2": rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden),
            "b2": np.zeros(n_out),
        }
        return params, rng.standard_normal((batch, n_in)), rng.integers(0, n_out, batch)

    return make


def chain_loss(x):
    return np.sum(np.sin(x) * np.exp(-x * x) + np.log1p(x * x))


def chain_hand_grad(x):
    e = np.exp(-x * x)
    return np.cos(x) * e - 2.0 * x * np.sin(x) * e + 2.0 * x / (1.0 + x * x)


def logistic_loss(w, X, t):
    z = X @ w
    return np.mean(np.log1p(np.exp(-t * z)))


def logistic_hand_grad(w, X, t):
    z = X @ w
    s = -t / (1.0 + np.exp(t * z))
    return X.T @ s / X.shape[0]


def scalar_chain(n_ops: int) -> Callable:
    """A scalar function of a Python float with about `n_ops` operations."""

    def f(x):
        y = x
        for i in range(n_ops // 4):
            y = np.sin(y) * 0.5 + x * (i % 3 + 1) * 0.01
        return y

    return f


def scalar_chain_hand_grad(n_ops: int) -> Callable:
    """d/dx of `scalar_chain(n_ops)`, in forward mode: with one scalar input, carrying the
    derivative alongside the value is one pass and no tape, what a person writes by hand."""

    def grad(x):
        y, dy = x, 1.0
        for i in range(n_ops // 4):
            c = (i % 3 + 1) * 0.01  # the value below is rounded as the loss rounds it
            y, dy = np.sin(y) * 0.5 + x * (i % 3 + 1) * 0.01, np.cos(y) * 0.5 * dy + c
        return dy

    return grad


def logistic_args(n: int, d: int):
    def make(rng: np.random.Generator) -> tuple:
        return rng.standard_normal(d) * 0.1, rng.standard_normal((n, d)), rng.choice([-1.0, 1.0], n)

    return make


def chain_args(n: int):
    return lambda rng: (rng.standard_normal(n),)


def scalar_args(rng: np.random.Generator) -> tuple:
    return (float(rng.uniform(-1.0, 1.0)),)


WORKLOADS = {
    "mlp_small": Workload(
        "mlp_small",
        mlp_loss,
        mlp_args(32, 64, 128, 10),
        mlp_hand_grad,
        "MLP 64-128-10, tanh, softmax cross-entropy, batch 32",
        mlp_args(4, 5, 6, 3),
    ),
    "mlp_large": Workload(
        "mlp_large",
        mlp_loss,
        mlp_args(1024, 784, 1024, 10),
        mlp_hand_grad,
        "MLP 784-1024-10, tanh, softmax cross-entropy, batch 1024",
        mlp_args(8, 7, 9, 4),
    ),
    "elementwise_chain": Workload(
        "elementwise_chain",
        chain_loss,
        chain_args(10**6),
        chain_hand_grad,
        "sum(sin(x) exp(-x^2) + log1p(x^2)) over 10^6 values",
        chain_args(10),
    ),
    "logistic_regression": Workload(
        "logistic_regression",
        logistic_loss,
        logistic_args(10**5, 100),
        logistic_hand_grad,
        "mean log1p(exp(-t Xw)), X of 10^5 x 100",
        logistic_args(20, 5),
    ),
    "scalar": Workload(
        "scalar",
        scalar_chain(240),
        scalar_args,
        scalar_chain_hand_grad(240),
        "scalar_chain(240), about 240 operations on one Python float; the hand-written "
        "gradient calls np.sin and np.cos on Python floats",
        scalar_args,
    ),
}
