"""Reference catalog: realistic plain-NumPy functions with hand-derived gradients.

Every entry is plain data that backend tests can run:

* `fn` is ordinary NumPy user code (operators, `np.` functions, array methods, slicing, Python
  loops over concrete ranges, helper functions) restricted to what the tracer supports.
* `make_args(rng)` builds realistic inputs from a `np.random.Generator` (float64 unless the
  entry is a float32 one; integer labels where a function takes labels).
* `grad` is the gradient of `fn` with respect to argument 0, derived on paper and written out in
  NumPy by hand (no autodiff); it has the pytree structure and leaf shapes/dtypes of `args[0]`
  (a Python float for a Python float argument).  `grad` is None for functions that do not
  return a real scalar.
* `rtol` is the tolerance a backend gradient should meet against `grad`: 1e-10 for float64,
  1e-4 for float32 entries.

`tests/catalog/test_reference.py` checks every `grad` against central finite differences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CATALOG", "CatalogEntry"]


@dataclass(frozen=True)
class CatalogEntry:
    name: str  # short snake_case id, used in test ids
    fn: Callable  # plain NumPy function
    make_args: Callable[[np.random.Generator], tuple]  # realistic inputs
    grad: Callable | None  # hand-derived gradient w.r.t. argument 0 (scalar outputs only)
    scalar_output: bool  # True when fn returns a real scalar
    rtol: float = 1e-10  # gradient tolerance for backends (1e-4 for float32 entries)


# ---------------------------------------------------------------------------------------------
# Helpers written the way users write them (called from the catalog functions, so they are
# traced through as ordinary Python).
# ---------------------------------------------------------------------------------------------


def softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _onehot(y, k, dtype=np.float64):
    return (np.arange(k) == y[:, None]).astype(dtype)


def _normal(rng, *shape, scale=1.0):
    return scale * rng.standard_normal(shape)


def _away_from_zero(rng, *shape, low=0.2, high=1.5):
    """Random signs and magnitudes in [low, high): keeps abs/sign kinks away from the inputs."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


# ---------------------------------------------------------------------------------------------
# Neural-network style functions
# ---------------------------------------------------------------------------------------------


def mlp_softmax_xent(params, x, y):
    h = np.maximum(x @ params["W1"] + params["b1"], 0)
    logits = h @ params["W2"] + params["b2"]
    logits = logits - logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    n = x.shape[0]
    return -np.mean(log_probs[np.arange(n), y])


def _mlp_softmax_xent_grad(params, x, y):
    a = x @ params["W1"] + params["b1"]
    h = np.maximum(a, 0.0)
    logits = h @ params["W2"] + params["b2"]
    p = softmax(logits, axis=1)
    n, k = logits.shape
    dlogits = (p - _onehot(y, k)) / n  # d(-mean log p_y)/dlogits
    dh = dlogits @ params["W2"].T
    da = dh * (a > 0)  # ReLU'
    return {
        "W1": x.T @ da,
        "b1": da.sum(axis=0),
        "W2": h.T @ dlogits,
        "b2": dlogits.sum(axis=0),
    }


def _mlp_softmax_xent_args(rng):
    params = {
        "W1": _normal(rng, 6, 5, scale=0.6),
        "b1": _normal(rng, 5, scale=0.1),
        "W2": _normal(rng, 5, 3, scale=0.6),
        "b2": _normal(rng, 3, scale=0.1),
    }
    x = _normal(rng, 8, 6)
    y = rng.integers(0, 3, size=8)
    return params, x, y


def mlp_tanh_mse(params, x, t):
    W1, b1, W2, b2 = params
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - t) ** 2)


def _mlp_tanh_mse_grad(params, x, t):
    W1, b1, W2, b2 = params
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    dout = 2.0 * (out - t) / out.size
    da = (dout @ W2.T) * (1.0 - h**2)
    return (x.T @ da, da.sum(axis=0), h.T @ dout, dout.sum(axis=0))


def _mlp_tanh_mse_args(rng):
    params = (
        _normal(rng, 4, 6, scale=0.5),
        _normal(rng, 6, scale=0.1),
        _normal(rng, 6, 2, scale=0.5),
        _normal(rng, 2, scale=0.1),
    )
    return params, _normal(rng, 8, 4), _normal(rng, 8, 2)


def linear_regression_list(params, x, t):
    W, b = params
    pred = np.dot(x, W) + b
    return 0.5 * np.sum((pred - t) ** 2) / len(x)


def _linear_regression_list_grad(params, x, t):
    W, b = params
    r = (x @ W + b - t) / x.shape[0]
    return [x.T @ r, r.sum(axis=0)]


def _linear_regression_list_args(rng):
    params = [_normal(rng, 5, 2, scale=0.5), _normal(rng, 2, scale=0.1)]
    return params, _normal(rng, 10, 5), _normal(rng, 10, 2)


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = np.var(x, axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def layer_norm_loss(x, gamma, beta, target):
    y = layer_norm(x, gamma, beta)
    return 0.5 * np.sum((y - target) ** 2)


def _layer_norm_loss_grad(x, gamma, beta, target):
    mu = x.mean(axis=-1, keepdims=True)
    s = np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + 1e-5)
    xhat = (x - mu) / s
    dxhat = (gamma * xhat + beta - target) * gamma
    return (
        dxhat
        - dxhat.mean(axis=-1, keepdims=True)
        - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)
    ) / s


def _layer_norm_args(rng):
    x = _normal(rng, 4, 6, scale=2.0) + 0.5
    gamma = 1.0 + _normal(rng, 6, scale=0.2)
    beta = _normal(rng, 6, scale=0.1)
    return x, gamma, beta


def _layer_norm_loss_args(rng):
    return (*_layer_norm_args(rng), _normal(rng, 4, 6))


def attention(q, k, v):
    d = q.shape[-1]
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(d)
    return softmax(scores, axis=-1) @ v


def attention_loss(q, k, v, w):
    return np.sum(attention(q, k, v) * w)


def _attention_loss_grad(q, k, v, w):
    scale = 1.0 / np.sqrt(q.shape[-1])
    p = softmax(np.einsum("bqd,bkd->bqk", q, k) * scale, axis=-1)
    dp = np.einsum("bqe,bke->bqk", w, v)  # dL/dp = w @ v^T
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))  # softmax backward
    return np.einsum("bqk,bkd->bqd", ds, k) * scale


def _attention_args(rng):
    return _normal(rng, 2, 4, 3), _normal(rng, 2, 5, 3), _normal(rng, 2, 5, 2)


def _attention_loss_args(rng):
    return (*_attention_args(rng), _normal(rng, 2, 4, 2))


def rnn_unrolled(params, xs):
    Wx, Wh = params["Wx"], params["Wh"]
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh)
    y = h @ params["w_out"]
    return np.mean(y**2)


def _rnn_unrolled_grad(params, xs):
    Wx, Wh, w_out = params["Wx"], params["Wh"], params["w_out"]
    hs = [np.zeros((xs.shape[1], Wh.shape[0]))]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(xs[t] @ Wx + hs[-1] @ Wh))
    y = hs[-1] @ w_out
    dy = 2.0 * y / y.size
    g_out = hs[-1].T @ dy
    dh = np.outer(dy, w_out)
    gWx, gWh = np.zeros_like(Wx), np.zeros_like(Wh)
    for t in reversed(range(xs.shape[0])):  # backprop through time
        da = dh * (1.0 - hs[t + 1] ** 2)
        gWx += xs[t].T @ da
        gWh += hs[t].T @ da
        dh = da @ Wh.T
    return {"Wx": gWx, "Wh": gWh, "w_out": g_out}


def _rnn_unrolled_args(rng):
    params = {
        "Wx": _normal(rng, 3, 4, scale=0.6),
        "Wh": _normal(rng, 4, 4, scale=0.4),
        "w_out": _normal(rng, 4),
    }
    return params, _normal(rng, 5, 2, 3)


def gelu_tanh(x):
    c = np.sqrt(2.0 / np.pi)
    return np.sum(0.5 * x * (1.0 + np.tanh(c * (x + 0.044715 * x**3))))


def _gelu_tanh_grad(x):
    c = np.sqrt(2.0 / np.pi)
    t = np.tanh(c * (x + 0.044715 * x**3))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t**2) * c * (1.0 + 3 * 0.044715 * x**2)


def elu_activation(x):
    e = np.where(x > 0, x, np.expm1(x))
    return np.sum(e**2)


def _elu_activation_grad(x):
    e = np.where(x > 0, x, np.expm1(x))
    return 2.0 * e * np.where(x > 0, 1.0, np.exp(x))


def relu_regression(W, x, t):
    h = np.maximum(x @ W, 0)
    return np.mean((h - t) ** 2)


def _relu_regression_grad(W, x, t):
    a = x @ W
    h = np.maximum(a, 0.0)
    return x.T @ (2.0 * (h - t) / h.size * (a > 0))


def _relu_regression_args(rng):
    return _normal(rng, 4, 3), _normal(rng, 10, 4), np.abs(_normal(rng, 10, 3))


# ---------------------------------------------------------------------------------------------
# Losses and classical models
# ---------------------------------------------------------------------------------------------


def logistic_regression(w, X, y):
    p = sigmoid(np.dot(X, w))
    ll = y * np.log(p) + (1 - y) * np.log(1 - p)
    return -ll.mean() + 0.5 * 1e-2 * np.sum(w**2)


def _logistic_regression_grad(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - y) / len(y) + 1e-2 * w


def _logistic_regression_args(rng):
    return _normal(rng, 5, scale=0.5), _normal(rng, 20, 5), rng.integers(0, 2, size=20)


def log_sum_exp(x):
    m = np.max(x, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True))
    return np.sum(lse)


def _log_sum_exp_grad(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def huber_loss(pred, target, delta=1.0):
    r = pred - target
    a = np.abs(r)
    return np.mean(np.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta)))


def _huber_loss_grad(pred, target, delta=1.0):
    r = pred - target
    return np.where(np.abs(r) <= delta, r, delta * np.sign(r)) / r.size


def _two_vectors_args(n, scale=1.0):
    def make(rng):
        return _normal(rng, n, scale=scale), _normal(rng, n)

    return make


def clipped_residual(x, t):
    r = np.clip(x - t, -1.0, 1.0)
    return np.mean(r**2)


def _clipped_residual_grad(x, t):
    r = x - t
    inside = (r > -1.0) & (r < 1.0)
    return 2.0 * np.clip(r, -1.0, 1.0) * inside / r.size


def masked_mse(pred, target):
    outlier = np.logical_or(target < -1.5, target > 1.5)
    valid = np.logical_not(outlier)
    sq = np.where(valid, (pred - target) ** 2, np.zeros_like(pred))
    count = valid.astype(pred.dtype).sum()
    return sq.sum() / np.maximum(count, 1.0)


def _masked_mse_grad(pred, target):
    valid = (target >= -1.5) & (target <= 1.5)
    return 2.0 * (pred - target) * valid / max(valid.sum(), 1)


def _masked_mse_args(rng):
    return _normal(rng, 12), _normal(rng, 12, scale=1.3)


def ppo_clip_objective(logp, old_logp, adv):
    ratio = np.exp(logp - old_logp)
    unclipped = ratio * adv
    clipped = np.clip(ratio, 0.8, 1.2) * adv
    return -np.mean(np.minimum(unclipped, clipped))


def _ppo_clip_objective_grad(logp, old_logp, adv):
    ratio = np.exp(logp - old_logp)
    inside = (ratio > 0.8) & (ratio < 1.2)
    d_unclipped = ratio * adv
    d_clipped = ratio * adv * inside
    # Inside the clip range both branches are the same function, so either choice is exact.
    use_unclipped = ratio * adv <= np.clip(ratio, 0.8, 1.2) * adv
    return -np.where(use_unclipped, d_unclipped, d_clipped) / logp.size


def _ppo_clip_objective_args(rng):
    old_logp = -np.abs(_normal(rng, 10)) - 0.5
    logp = old_logp + _normal(rng, 10, scale=0.3)
    return logp, old_logp, _normal(rng, 10)


def multiclass_hinge(W, x, y):
    scores = x @ W
    n = x.shape[0]
    correct = scores[np.arange(n), y]
    margins = np.maximum(0, scores - correct[:, None] + 1.0)
    return (margins.sum(axis=1) - 1.0).mean()


def _multiclass_hinge_grad(W, x, y):
    scores = x @ W
    n, k = scores.shape
    correct = scores[np.arange(n), y]
    active = (scores - correct[:, None] + 1.0 > 0).astype(W.dtype)  # true class column is 1
    onehot = _onehot(y, k)
    dscores = active - onehot * active.sum(axis=1, keepdims=True)
    return x.T @ dscores / n


def _multiclass_hinge_args(rng):
    return _normal(rng, 5, 3, scale=0.5), _normal(rng, 8, 5), rng.integers(0, 3, size=8)


def lasso(w, X, y):
    r = X @ w - y
    return 0.5 * np.mean(r**2) + 0.1 * np.sum(np.abs(w))


def _lasso_grad(w, X, y):
    return X.T @ (X @ w - y) / len(y) + 0.1 * np.sign(w)


def _lasso_args(rng):
    return _away_from_zero(rng, 6), _normal(rng, 15, 6), _normal(rng, 15)


def ridge_quadratic(w, X, y):
    d = X.shape[1]
    A = X.T @ X + 0.5 * np.eye(d)
    b = np.dot(X.T, y)
    return 0.5 * w @ A @ w - b @ w


def _ridge_quadratic_grad(w, X, y):
    return (X.T @ X + 0.5 * np.eye(X.shape[1])) @ w - X.T @ y


def _ridge_quadratic_args(rng):
    return _normal(rng, 4), _normal(rng, 10, 4), _normal(rng, 10)


def poisson_nll(log_rate, counts):
    rate = np.exp(log_rate)
    return np.sum(rate - counts * log_rate)


def _poisson_nll_grad(log_rate, counts):
    return np.exp(log_rate) - counts


def _poisson_nll_args(rng):
    return _normal(rng, 3, 4, scale=0.5) + 1.0, rng.integers(0, 8, size=(3, 4))


def log_cosh_loss(pred, target):
    return np.mean(np.log(np.cosh(pred - target)))


def _log_cosh_loss_grad(pred, target):
    return np.tanh(pred - target) / pred.size


def cosine_similarity(a, b):
    return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))


def _cosine_similarity_grad(a, b):
    na, nb = np.sqrt(a @ a), np.sqrt(b @ b)
    return b / (na * nb) - (a @ b) * a / (na**3 * nb)


def matrix_factorization(U, V, R):
    pred = np.einsum("ij,jk->ik", U, V)
    return np.sum((pred - R) ** 2)


def _matrix_factorization_grad(U, V, R):
    return 2.0 * (U @ V - R) @ V.T


def _matrix_factorization_args(rng):
    return _normal(rng, 6, 3), _normal(rng, 3, 5), _normal(rng, 6, 5)


def batched_bilinear(a, b):
    return np.sum(np.tanh(np.einsum("bij,bjk->bik", a, b)))


def _batched_bilinear_grad(a, b):
    t = np.tanh(a @ b)
    return (1.0 - t**2) @ b.swapaxes(-1, -2)


def _batched_bilinear_args(rng):
    return _normal(rng, 2, 3, 4, scale=0.7), _normal(rng, 2, 4, 3, scale=0.7)


def quadratic_form_einsum(A, x):
    return np.einsum("ii", A) + 0.5 * np.einsum("ii->", A.T @ A) + x @ np.einsum("ij,j", A, x)


def _quadratic_form_einsum_grad(A, x):
    # d tr(A) = I, d 0.5 tr(A^T A) = A, d x^T A x = x x^T
    return np.eye(A.shape[0]) + A + np.outer(x, x)


def _quadratic_form_einsum_args(rng):
    return _normal(rng, 4, 4), _normal(rng, 4)


def normalized_bilinear(u, M, v):
    return np.einsum("i,ij,j->", u, M, v) / (1.0 + u @ u)


def _normalized_bilinear_grad(u, M, v):
    s = 1.0 + u @ u
    return M @ v / s - 2.0 * u * (u @ M @ v) / s**2


def _normalized_bilinear_args(rng):
    return _normal(rng, 3), _normal(rng, 3, 4), _normal(rng, 4)


def rbf_kernel_sum(x, lengthscale=1.3):
    d2 = np.sum((x[:, None, :] - x[None, ...]) ** 2, axis=-1)
    K = np.exp(-0.5 * d2 / lengthscale**2)
    return K.sum()


def _rbf_kernel_sum_grad(x, lengthscale=1.3):
    diff = x[:, None, :] - x[None, :, :]
    K = np.exp(-0.5 * np.sum(diff**2, axis=-1) / lengthscale**2)
    # each pair (i, j) appears twice in the sum
    return -2.0 * np.einsum("ij,ijd->id", K, diff) / lengthscale**2


# ---------------------------------------------------------------------------------------------
# Optimisation test functions, slicing and shape manipulation
# ---------------------------------------------------------------------------------------------


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def _rosenbrock_grad(x):
    r = x[1:] - x[:-1] ** 2
    g = np.zeros_like(x)
    g[:-1] += -400.0 * x[:-1] * r - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * r
    return g


def smoothness_penalty(x):
    d1 = x[1:] - x[:-1]
    d2 = x[2:] - 2.0 * x[1:-1] + x[:-2]
    anchors = x[0] ** 2 + x[-1] ** 2
    return np.sum(d1**2) + 0.5 * np.sum(d2**2) + anchors + np.sum(x[::3] ** 2)


def _smoothness_penalty_grad(x):
    g = np.zeros_like(x)
    d1 = x[1:] - x[:-1]
    g[1:] += 2.0 * d1
    g[:-1] -= 2.0 * d1
    d2 = x[2:] - 2.0 * x[1:-1] + x[:-2]
    g[2:] += d2
    g[1:-1] -= 2.0 * d2
    g[:-2] += d2
    g[0] += 2.0 * x[0]
    g[-1] += 2.0 * x[-1]
    g[::3] += 2.0 * x[::3]
    return g


def concat_stack_reshape(x, y):
    z = np.concatenate([x, 2.0 * y], axis=0)  # (6, 4)
    s = np.stack([x, np.sin(y)], axis=-1)  # (3, 4, 2)
    r = z.reshape(4, -1)  # (4, 6)
    return np.sum(r[:, ::2] ** 2) + np.sum(s[..., 0] * s[..., 1])


def _concat_stack_reshape_grad(x, y):
    r = np.concatenate([x, 2.0 * y], axis=0).reshape(4, 6)
    gr = np.zeros_like(r)
    gr[:, ::2] = 2.0 * r[:, ::2]
    return gr.reshape(6, 4)[:3] + np.sin(y)


def _concat_stack_reshape_args(rng):
    return _normal(rng, 3, 4), _normal(rng, 3, 4)


def axis_shuffle(x):
    y = np.moveaxis(x, 0, -1)  # (3, 4, 2)
    z = np.expand_dims(y.sum(axis=-1), 0)  # (1, 3, 4)
    w = np.squeeze(z, axis=0).T  # (4, 3)
    coef = np.arange(12).reshape(4, 3) / 12.0
    u = np.transpose(x, (2, 0, 1))  # (4, 2, 3)
    return np.sum(w * coef) + np.sum(u[..., 0] ** 2)


def _axis_shuffle_grad(x):
    coef = np.arange(12).reshape(4, 3) / 12.0
    g = np.broadcast_to(coef.T, x.shape).copy()  # d/dx[b, j, i] of sum_b x[b, j, i] coef[i, j]
    g[:, 0, :] += 2.0 * x[:, 0, :]
    return g


def row_scale_shift(scale, X, shift):
    S = np.broadcast_to(scale, X.shape)
    Z = X * S + shift[None, :]
    return np.mean(np.log1p(np.exp(Z)))


def _row_scale_shift_grad(scale, X, shift):
    Z = X * scale + shift
    return (X / (1.0 + np.exp(-Z))).sum(axis=0) / Z.size


def _row_scale_shift_args(rng):
    return 1.0 + _normal(rng, 5, scale=0.3), _normal(rng, 8, 5), _normal(rng, 5, scale=0.5)


def max_pool(x):
    pooled = np.max(x.reshape(2, 4, 2), axis=-1)
    return np.sum(pooled**2)


def _max_pool_grad(x):
    xr = x.reshape(2, 4, 2)
    m = xr.max(axis=-1, keepdims=True)
    return ((xr == m) * 2.0 * m).reshape(x.shape)


# ---------------------------------------------------------------------------------------------
# Statistics and reductions
# ---------------------------------------------------------------------------------------------


def std_var_stats(x):
    return np.std(x) + np.var(x, axis=0).sum() + x.std(axis=1).mean()


def _std_var_stats_grad(x):
    rows, cols = x.shape
    c_all = x - x.mean()
    g = c_all / (x.size * np.sqrt((c_all**2).mean()))
    g = g + 2.0 * (x - x.mean(axis=0)) / rows
    c_row = x - x.mean(axis=1, keepdims=True)
    row_std = np.sqrt((c_row**2).mean(axis=1, keepdims=True))
    return g + c_row / (cols * row_std) / rows


def _std_var_stats_args(rng):
    return (_normal(rng, 6, 4, scale=1.5),)


def mean_axis_centering(x):
    xc = x - np.mean(x, axis=0, keepdims=True)
    return np.mean(xc**2, axis=(0, 1)) + np.sum(np.mean(x, axis=1) ** 2)


def _mean_axis_centering_grad(x):
    cols = x.shape[1]
    xc = x - x.mean(axis=0, keepdims=True)
    return 2.0 * xc / x.size + 2.0 * x.mean(axis=1, keepdims=True) / cols


def geometric_mean(x):
    gm = np.prod(x, axis=1) ** (1.0 / x.shape[1])
    return np.sum(gm) + 0.1 * np.prod(x)


def _geometric_mean_grad(x):
    n = x.shape[1]
    gm = np.exp(np.log(x).mean(axis=1, keepdims=True))
    return gm / (n * x) + 0.1 * np.exp(np.log(x).sum()) / x


def _geometric_mean_args(rng):
    return (rng.uniform(0.5, 2.0, size=(3, 4)),)


# ---------------------------------------------------------------------------------------------
# Elementwise transcendental functions
# ---------------------------------------------------------------------------------------------


def power_and_log(x):
    return np.sum(
        np.sqrt(x) + x**3 - 2.0 * np.log(x) + np.log1p(x) / x + np.expm1(-x) ** 2 + np.square(x)
    )


def _power_and_log_grad(x):
    return (
        0.5 / np.sqrt(x)
        + 3.0 * x**2
        - 2.0 / x
        + (x / (1.0 + x) - np.log1p(x)) / x**2
        - 2.0 * np.expm1(-x) * np.exp(-x)
        + 2.0 * x
    )


def _positive_args(rng):
    return (rng.uniform(0.2, 2.0, size=10),)


def trig_mix(x):
    return np.sum(
        np.arcsin(x) * np.cos(x)
        - np.arccos(x) ** 2
        + np.arctan(2.0 * x)
        + np.tan(0.5 * x) * np.sin(x)
    )


def _trig_mix_grad(x):
    s = np.sqrt(1.0 - x**2)
    return (
        np.cos(x) / s
        - np.arcsin(x) * np.sin(x)
        + 2.0 * np.arccos(x) / s
        + 2.0 / (1.0 + 4.0 * x**2)
        + 0.5 / np.cos(0.5 * x) ** 2 * np.sin(x)
        + np.tan(0.5 * x) * np.cos(x)
    )


def _trig_mix_args(rng):
    return (rng.uniform(-0.9, 0.9, size=9),)


def hyperbolic_features(x):
    return np.sum(np.sinh(x) * np.cosh(x) - np.tanh(x) ** 2)


def _hyperbolic_features_grad(x):
    t = np.tanh(x)
    return np.cosh(x) ** 2 + np.sinh(x) ** 2 - 2.0 * t * (1.0 - t**2)


def polar_arctan2(xy):
    x, y = xy[:, 0], xy[:, 1]
    r = np.sqrt(x**2 + y**2)
    theta = np.arctan2(y, x)
    return np.sum(theta**2 + r)


def _polar_arctan2_grad(xy):
    x, y = xy[:, 0], xy[:, 1]
    r2 = x**2 + y**2
    theta = np.arctan2(y, x)
    r = np.sqrt(r2)
    return np.stack([-2.0 * theta * y / r2 + x / r, 2.0 * theta * x / r2 + y / r], axis=1)


def _polar_args(rng):
    """Points at radius 0.5..2 and angle within (-2.5, 2.5): away from the arctan2 branch cut."""
    radius = rng.uniform(0.5, 2.0, size=6)
    angle = rng.uniform(-2.5, 2.5, size=6)
    return (np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1),)


# ---------------------------------------------------------------------------------------------
# Scalar functions of Python floats
# ---------------------------------------------------------------------------------------------


def scalar_poly_trig(x, y):
    return x * np.sin(y) + x**2 / (1.0 + y * y)


def _scalar_poly_trig_grad(x, y):
    return float(np.sin(y) + 2.0 * x / (1.0 + y * y))


def scalar_polar(x, y):
    r = np.sqrt(x * x + y * y)
    theta = np.arctan2(y, x)
    return r * np.cos(theta) ** 2 + theta * np.exp(-x)


def _scalar_polar_grad(x, y):
    r2 = x * x + y * y
    r = np.sqrt(r2)
    theta = np.arctan2(y, x)
    dr, dtheta = x / r, -y / r2
    c, s = np.cos(theta), np.sin(theta)
    return float(dr * c**2 - 2.0 * r * c * s * dtheta + dtheta * np.exp(-x) - theta * np.exp(-x))


def _scalar_polar_args(rng):
    return float(rng.uniform(0.3, 2.0)), float(rng.uniform(-2.0, 2.0))


def scalar_hyperbolic(x, y):
    return np.sinh(x) * y + np.cosh(x * y) - np.tanh(x) / (1.0 + y**2)


def _scalar_hyperbolic_grad(x, y):
    return float(np.cosh(x) * y + np.sinh(x * y) * y - (1.0 - np.tanh(x) ** 2) / (1.0 + y**2))


def _two_floats_args(rng):
    return float(rng.uniform(-1.5, 1.5)), float(rng.uniform(-1.5, 1.5))


# ---------------------------------------------------------------------------------------------
# float32 entries
# ---------------------------------------------------------------------------------------------


def f32_softmax_regression(W, x, y):
    logits = x @ W
    logits = logits - logits.max(axis=-1, keepdims=True)
    p = np.exp(logits)
    p = p / p.sum(axis=-1, keepdims=True)
    n = len(y)
    return -np.log(p[np.arange(n), y]).mean()


def _f32_softmax_regression_grad(W, x, y):
    p = softmax(x @ W, axis=-1)
    return x.T @ (p - _onehot(y, W.shape[1], W.dtype)) / len(y)


def _f32_softmax_regression_args(rng):
    W = 0.5 * rng.standard_normal((6, 4), dtype=np.float32)
    x = rng.standard_normal((8, 6), dtype=np.float32)
    return W, x, rng.integers(0, 4, size=8)


def f32_rms_norm(x, g, w):
    ms = np.mean(x**2, axis=-1, keepdims=True)
    y = x / np.sqrt(ms + 1e-6) * g
    return np.sum(y * w)


def _f32_rms_norm_grad(x, g, w):
    u = w * g
    r = np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-6)
    return u / r - x * (u * x).sum(axis=-1, keepdims=True) / (x.shape[-1] * r**3)


def _f32_rms_norm_args(rng):
    x = rng.standard_normal((4, 8), dtype=np.float32)
    g = 1.0 + 0.2 * rng.standard_normal(8, dtype=np.float32)
    w = rng.standard_normal((4, 8), dtype=np.float32)
    return x, g, w


def f32_mlp_tanh(params, x, t):
    h = np.tanh(x @ params["W"] + params["b"])
    pred = h @ params["v"]
    return 0.5 * np.mean((pred - t) ** 2)


def _f32_mlp_tanh_grad(params, x, t):
    h = np.tanh(x @ params["W"] + params["b"])
    dpred = (h @ params["v"] - t) / len(t)
    da = np.outer(dpred, params["v"]) * (1 - h**2)
    return {"W": x.T @ da, "b": da.sum(axis=0), "v": h.T @ dpred}


def _f32_mlp_tanh_args(rng):
    params = {
        "W": 0.5 * rng.standard_normal((3, 5), dtype=np.float32),
        "b": 0.1 * rng.standard_normal(5, dtype=np.float32),
        "v": rng.standard_normal(5, dtype=np.float32),
    }
    return (
        params,
        rng.standard_normal((8, 3), dtype=np.float32),
        rng.standard_normal(8, dtype=np.float32),
    )


# ---------------------------------------------------------------------------------------------
# Non-scalar outputs (arrays, tuples and dicts of arrays)
# ---------------------------------------------------------------------------------------------


def polar_coords(xy):
    r = np.sqrt(np.sum(xy**2, axis=1))
    theta = np.arctan2(xy[:, 1], xy[:, 0])
    unit = xy / r[:, None]
    return r, theta, unit


def mlp_forward_dict(params, x):
    hidden = np.tanh(x @ params["W1"] + params["b1"])
    logits = hidden @ params["W2"] + params["b2"]
    return {"hidden": hidden, "logits": logits, "probs": softmax(logits, axis=-1)}


def _mlp_forward_dict_args(rng):
    params, x, _ = _mlp_softmax_xent_args(rng)
    return params, x


def classify(W, x, threshold=0.5):
    probs = softmax(x @ W, axis=-1)
    labels = np.argmax(probs, axis=-1)
    confidence = probs.max(axis=-1)
    entropy = -(probs * np.log(probs)).sum(axis=-1)
    accept = np.logical_and(confidence >= threshold, entropy < 1.0)
    decisions = np.where(accept, labels, np.full_like(labels, -1))
    return labels, confidence, decisions


def _classify_args(rng):
    return _normal(rng, 5, 3, scale=1.2), _normal(rng, 10, 5)


def summary_stats(x):
    return {
        "floor": np.floor(x * 4.0) / 4.0,
        "ceil": np.ceil(x),
        "round": np.round(x * 2.0) / 2.0,
        "sign": np.sign(x),
        "col_min": x.min(axis=0),
        "col_argmin": np.argmin(x, axis=0),
        "row_max": np.max(x, axis=1, keepdims=True),
        "abs_total": np.abs(x).sum(axis=(0, 1)),
    }


def polynomial_features(x):
    feats = np.stack([x, x**2, np.sin(x)], axis=1)
    return np.concatenate([np.ones((len(x), 1)), feats], axis=1)


def unit_vector(v):
    return v / np.linalg.norm(v)


# ---------------------------------------------------------------------------------------------
# The catalog
# ---------------------------------------------------------------------------------------------


def _one(*shape, scale=1.0):
    def make(rng):
        return (_normal(rng, *shape, scale=scale),)

    return make


def _scalar(name, fn, make_args, grad, rtol=1e-10):
    return CatalogEntry(name, fn, make_args, grad, True, rtol)


def _array(name, fn, make_args):
    return CatalogEntry(name, fn, make_args, None, False)


CATALOG: tuple[CatalogEntry, ...] = (
    # neural networks
    _scalar("mlp_softmax_xent", mlp_softmax_xent, _mlp_softmax_xent_args, _mlp_softmax_xent_grad),
    _scalar("mlp_tanh_mse", mlp_tanh_mse, _mlp_tanh_mse_args, _mlp_tanh_mse_grad),
    _scalar(
        "linear_regression_list",
        linear_regression_list,
        _linear_regression_list_args,
        _linear_regression_list_grad,
    ),
    _scalar("layer_norm_loss", layer_norm_loss, _layer_norm_loss_args, _layer_norm_loss_grad),
    _scalar("attention_loss", attention_loss, _attention_loss_args, _attention_loss_grad),
    _scalar("rnn_unrolled", rnn_unrolled, _rnn_unrolled_args, _rnn_unrolled_grad),
    _scalar("gelu_tanh", gelu_tanh, _one(12, scale=1.5), _gelu_tanh_grad),
    _scalar("elu_activation", elu_activation, _one(3, 5), _elu_activation_grad),
    _scalar("relu_regression", relu_regression, _relu_regression_args, _relu_regression_grad),
    # losses and classical models
    _scalar(
        "logistic_regression",
        logistic_regression,
        _logistic_regression_args,
        _logistic_regression_grad,
    ),
    _scalar("log_sum_exp", log_sum_exp, _one(4, 6, scale=2.0), _log_sum_exp_grad),
    _scalar("huber_loss", huber_loss, _two_vectors_args(12, scale=2.0), _huber_loss_grad),
    _scalar(
        "clipped_residual",
        clipped_residual,
        _two_vectors_args(10, scale=1.5),
        _clipped_residual_grad,
    ),
    _scalar("masked_mse", masked_mse, _masked_mse_args, _masked_mse_grad),
    _scalar(
        "ppo_clip_objective",
        ppo_clip_objective,
        _ppo_clip_objective_args,
        _ppo_clip_objective_grad,
    ),
    _scalar("multiclass_hinge", multiclass_hinge, _multiclass_hinge_args, _multiclass_hinge_grad),
    _scalar("lasso", lasso, _lasso_args, _lasso_grad),
    _scalar("ridge_quadratic", ridge_quadratic, _ridge_quadratic_args, _ridge_quadratic_grad),
    _scalar("poisson_nll", poisson_nll, _poisson_nll_args, _poisson_nll_grad),
    _scalar("log_cosh_loss", log_cosh_loss, _two_vectors_args(9, scale=2.0), _log_cosh_loss_grad),
    _scalar("cosine_similarity", cosine_similarity, _two_vectors_args(7), _cosine_similarity_grad),
    # einsum contractions
    _scalar(
        "matrix_factorization",
        matrix_factorization,
        _matrix_factorization_args,
        _matrix_factorization_grad,
    ),
    _scalar("batched_bilinear", batched_bilinear, _batched_bilinear_args, _batched_bilinear_grad),
    _scalar(
        "quadratic_form_einsum",
        quadratic_form_einsum,
        _quadratic_form_einsum_args,
        _quadratic_form_einsum_grad,
    ),
    _scalar(
        "normalized_bilinear",
        normalized_bilinear,
        _normalized_bilinear_args,
        _normalized_bilinear_grad,
    ),
    _scalar("rbf_kernel_sum", rbf_kernel_sum, _one(6, 2), _rbf_kernel_sum_grad),
    # optimisation test functions, slicing, shapes
    _scalar("rosenbrock", rosenbrock, _one(8, scale=0.8), _rosenbrock_grad),
    _scalar("smoothness_penalty", smoothness_penalty, _one(12), _smoothness_penalty_grad),
    _scalar(
        "concat_stack_reshape",
        concat_stack_reshape,
        _concat_stack_reshape_args,
        _concat_stack_reshape_grad,
    ),
    _scalar("axis_shuffle", axis_shuffle, _one(2, 3, 4), _axis_shuffle_grad),
    _scalar("row_scale_shift", row_scale_shift, _row_scale_shift_args, _row_scale_shift_grad),
    _scalar("max_pool", max_pool, _one(2, 8), _max_pool_grad),
    # statistics and reductions
    _scalar("std_var_stats", std_var_stats, _std_var_stats_args, _std_var_stats_grad),
    _scalar(
        "mean_axis_centering",
        mean_axis_centering,
        _one(5, 4),
        _mean_axis_centering_grad,
    ),
    _scalar("geometric_mean", geometric_mean, _geometric_mean_args, _geometric_mean_grad),
    # elementwise transcendental functions
    _scalar("power_and_log", power_and_log, _positive_args, _power_and_log_grad),
    _scalar("trig_mix", trig_mix, _trig_mix_args, _trig_mix_grad),
    _scalar("hyperbolic_features", hyperbolic_features, _one(8), _hyperbolic_features_grad),
    _scalar("polar_arctan2", polar_arctan2, _polar_args, _polar_arctan2_grad),
    # scalar functions of Python floats
    _scalar("scalar_poly_trig", scalar_poly_trig, _two_floats_args, _scalar_poly_trig_grad),
    _scalar("scalar_polar", scalar_polar, _scalar_polar_args, _scalar_polar_grad),
    _scalar("scalar_hyperbolic", scalar_hyperbolic, _two_floats_args, _scalar_hyperbolic_grad),
    # float32
    _scalar(
        "f32_softmax_regression",
        f32_softmax_regression,
        _f32_softmax_regression_args,
        _f32_softmax_regression_grad,
        rtol=1e-4,
    ),
    _scalar("f32_rms_norm", f32_rms_norm, _f32_rms_norm_args, _f32_rms_norm_grad, rtol=1e-4),
    _scalar("f32_mlp_tanh", f32_mlp_tanh, _f32_mlp_tanh_args, _f32_mlp_tanh_grad, rtol=1e-4),
    # non-scalar outputs
    _array("layer_norm", layer_norm, _layer_norm_args),
    _array("attention", attention, _attention_args),
    _array("polar_coords", polar_coords, _polar_args),
    _array("mlp_forward_dict", mlp_forward_dict, _mlp_forward_dict_args),
    _array("classify", classify, _classify_args),
    _array("summary_stats", summary_stats, _one(4, 5)),
    _array("polynomial_features", polynomial_features, _one(5)),
    _array("unit_vector", unit_vector, _one(6)),
)
