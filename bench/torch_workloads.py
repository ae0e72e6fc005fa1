"""The benchmark's losses written for PyTorch, differentiated by torch.autograd.

Torch cannot run the NumPy source the other implementations share, so each loss is written
again here, as a torch user would write it, term for term the same function as its NumPy twin
in workloads.py (the benchmark checks the gradients agree before timing them). Importing this
module imports torch: run.py imports it only when torch is installed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch


def mlp_loss(params, x, y):
    h = torch.tanh(x @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    return torch.nn.functional.cross_entropy(logits, y)  # the mean of -log softmax at y


def chain_loss(x):
    return torch.sum(torch.sin(x) * torch.exp(-x * x) + torch.log1p(x * x))


def logistic_loss(w, X, t):
    z = X @ w
    return torch.mean(torch.log1p(torch.exp(-t * z)))


def scalar_chain(n_ops: int) -> Callable:
    def f(x):
        y = x
        for i in range(n_ops // 4):
            y = torch.sin(y) * 0.5 + x * (i % 3 + 1) * 0.01
        return y

    return f


LOSSES = {
    "mlp_small": mlp_loss,
    "mlp_large": mlp_loss,
    "elementwise_chain": chain_loss,
    "logistic_regression": logistic_loss,
    "scalar": scalar_chain(240),
}


def to_torch(value):
    """A NumPy argument (array, float or dict of them) as torch tensors; arrays are shared,
    not copied, so converting costs nothing the timing could see."""
    if isinstance(value, dict):
        return {key: to_torch(leaf) for key, leaf in value.items()}
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    return torch.tensor(value, dtype=torch.float64)


def to_numpy(value):
    if isinstance(value, dict):
        return {key: to_numpy(leaf) for key, leaf in value.items()}
    return value.detach().numpy()


def grad(loss: Callable) -> Callable:
    """Gradient of `loss` with respect to its first argument (a tensor or a dict of them),
    by torch.autograd.grad: the tape is recorded anew on every call, as in eager PyTorch."""

    def gradient(first, *rest):
        if isinstance(first, dict):
            leaves = {key: leaf.detach().requires_grad_() for key, leaf in first.items()}
            grads = torch.autograd.grad(loss(leaves, *rest), list(leaves.values()))
            return dict(zip(leaves, grads, strict=True))
        leaf = first.detach().requires_grad_()
        return torch.autograd.grad(loss(leaf, *rest), leaf)[0]

    return gradient
