"""A float64 training loop on the JAX backend stays float64, warning-free, and compiles once,
while JAX's own 64-bit mode stays off for the user's other code."""

import warnings

import numpy as np
import pytest

import tracegrad

jax = pytest.importorskip("jax")

from tracegrad.runtime.jax_backend import jitted_of  # noqa: E402


def loss(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


def train(step, w, x, steps=4):
    for _ in range(steps):
        w = w - 0.1 * step(w, x)  # the README's loop
    return w


def traced_loss(calls):
    def counted(w, x):
        calls.append(1)
        return loss(w, x)

    return counted


def compiles(step):
    (entry,) = step.cache.values()
    return jitted_of(entry.function)._cache_size()


def test_a_float64_loop_stays_float64_without_warnings_and_compiles_once():
    assert not jax.config.jax_enable_x64
    calls = []
    step = tracegrad.jit(tracegrad.grad(traced_loss(calls)), backend="jax")
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal(3), rng.standard_normal((5, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # JAX's truncation warning fails the test
        trained = train(step, w, x)
    assert trained.dtype == np.float64
    assert len(calls) == 1 and len(step.cache) == 1 and compiles(step) == 1
    expected = train(tracegrad.grad(loss), w, x)  # the NumPy backend, in float64
    np.testing.assert_allclose(trained, expected, rtol=1e-13)
    assert not jax.config.jax_enable_x64  # the user's other JAX code keeps float32
    assert jax.numpy.ones(2).dtype == np.float32


def test_a_float64_value_and_grad_dict_loop_stays_float64():
    step = tracegrad.jit(tracegrad.value_and_grad(lambda p, x: loss(p["w"], x)), backend="jax")
    params, x = {"w": np.ones(3)}, np.ones((2, 3)) * 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            value, grads = step(params, x)
            params = {k: params[k] - 0.1 * grads[k] for k in params}
            assert float(value) >= 0.0
    assert params["w"].dtype == np.float64 and len(step.cache) == 1 and compiles(step) == 1


def test_with_jax_64_bit_mode_on_results_stay_jax_arrays():
    step = tracegrad.jit(tracegrad.grad(loss), backend="jax")
    w, x = np.ones(3), np.ones((2, 3))
    with jax.enable_x64(True):
        g = step(w, x)
        assert isinstance(g, jax.Array) and g.dtype == np.float64
        w2 = w - 0.1 * g
        assert w2.dtype == np.float64
        step(w2, x)
    assert len(step.cache) == 1


def test_float32_results_stay_jax_arrays():
    step = tracegrad.jit(tracegrad.grad(loss), backend="jax")
    w, x = np.ones(3, np.float32), np.ones((2, 3), np.float32)
    trained = train(step, w, x)
    assert isinstance(trained, jax.Array) and trained.dtype == np.float32
    assert len(step.cache) == 1 and compiles(step) == 1
