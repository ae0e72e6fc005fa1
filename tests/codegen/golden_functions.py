"""Three small functions whose IR and emitted NumPy source are held as golden files.

Moving a line here changes the `# file:line` comments in the golden files: regenerate them
with `TRACEGRAD_UPDATE_GOLDEN=1 python -m pytest tests/codegen`.
"""

import numpy as np

import tracegrad


def softmax_cross_entropy(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    logits = h @ params["W2"]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(x.shape[0]), y])


def scalar_function(x, y):
    r = np.sqrt(x * x + y * y)
    return np.sin(r) / r + np.arctan2(y, x) ** 2


def window_features(signal, weights):
    windows = np.stack([signal[:-2], signal[1:-1], signal[2:]], axis=1)
    scores = np.einsum("tk,k->t", windows, weights)
    clipped = np.clip(scores, -1.0, 1.0)
    return {"clipped": clipped, "peak": clipped.argmax(), "total": clipped.sum()}


RNG = np.random.default_rng(0)
GOLDEN_CASES = {
    "softmax_cross_entropy": (
        softmax_cross_entropy,
        (
            {
                "W1": RNG.standard_normal((4, 8)),
                "b1": np.zeros(8),
                "W2": RNG.standard_normal((8, 3)),
            },
            RNG.standard_normal((6, 4)),
            RNG.integers(0, 3, 6),
        ),
    ),
    "scalar_function": (scalar_function, (0.7, -1.3)),
    "window_features": (
        window_features,
        (RNG.standard_normal(10).astype(np.float32), np.array([0.25, 0.5, 0.25], np.float32)),
    ),
}


def elementwise_chain(x):
    """Large enough (800 KB) that the gradient reuses dead buffers and deletes them."""
    return np.sum(np.sin(x) * np.exp(-x * x) + np.log1p(x * x))


def rnn_loss(W, U, h0, xs):
    """An RNN written with tracegrad.scan: its gradient is a pair of `for` loops."""

    def step(h, x):
        h = np.tanh(h @ W + x @ U)
        return h, h

    h, hs = tracegrad.scan(step, h0, xs)
    return np.sum(hs * hs) + np.sum(h)


RNN_ARGS = (
    RNG.standard_normal((4, 4)) * 0.5,
    RNG.standard_normal((3, 4)),
    np.zeros(4),
    RNG.standard_normal((7, 3)),
)
