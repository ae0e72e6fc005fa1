"""Benchmark workloads: each a plain-NumPy loss, its inputs, and its gradient written by hand
the way a careful person would (the baseline every ratio is measured against)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    loss: Callable
    make_args: Callable[[np.random.Generator], tuple]
    hand_grad: Callable  # gradient with respect to argument 0, same structure


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


WORKLOADS = {
    "mlp_small": Workload("mlp_small", mlp_loss, mlp_args(32, 64, 128, 10), mlp_hand_grad),
    "mlp_large": Workload("mlp_large", mlp_loss, mlp_args(1024, 784, 1024, 10), mlp_hand_grad),
    "elementwise_chain": Workload(
        "elementwise_chain", chain_loss, lambda rng: (rng.standard_normal(10**6),),
        chain_hand_grad,
    ),
    "logistic_regression": Workload(
        "logistic_regression", logistic_loss,
        lambda rng: (rng.standard_normal(100) * 0.1, rng.standard_normal((10**5, 100)),
                     rng.choice([-1.0, 1.0], 10**5)),
        logistic_hand_grad,
    ),
}


def scalar_chain(n_ops: int) -> Callable:
    """A scalar function of a Python float with about `n_ops` operations."""

    def f(x):
        y = x
        for i in range(n_ops // 4):
            y = np.sin(y) * 0.5 + x * (i % 3 + 1) * 0.01
        return y

    return f
