"""A fori_loop's index with Python-int bounds promotes as the eager loop's Python int does
(weak): `c + i * 0.1` keeps a float32 carry float32 on every backend, in both AD modes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad

X32 = np.linspace(0.1, 1.0, 3).astype(np.float32)
I32 = np.arange(1, 4, dtype=np.int32)


def step_scaled(i, c):
    return c + i * 0.1


def step_divided(i, c):
    return c * (1 + i / 3) + c * c * i * 0.1


@pytest.mark.parametrize("body, x", [
    (step_scaled, X32),
    (step_divided, X32),
    (lambda i, c: c + i, I32),
    (lambda i, c: c * i - i // 2, I32),
    (lambda i, c: c + np.float32(0.5) * i, X32),
])  # fmt: skip
@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_the_traced_index_promotes_as_the_eager_one(body, x, backend):
    def f(x):
        return tracegrad.fori_loop(1, 4, body, x)

    eager = f(x)
    traced = tracegrad.jit(f, backend=backend)(x)
    assert traced.dtype == eager.dtype == x.dtype
    np.testing.assert_allclose(traced, eager, rtol=1e-6)


def test_the_index_is_a_python_int_in_the_ir():
    graph = tracegrad.trace(lambda x: tracegrad.fori_loop(0, 3, step_scaled, x), X32)
    assert str(graph.nodes[0].params["body"].inputs[0].type) == "int"


# The same source, differentiated by tracegrad and by jax.grad (with jax.lax.fori_loop).
def loss(x, fori_loop=tracegrad.fori_loop):
    return fori_loop(0, 3, step_divided, x).sum()


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_gradients_through_the_weak_index_stay_float32(backend):
    gradient = tracegrad.jit(tracegrad.grad(loss), backend=backend)(X32)
    assert gradient.dtype == np.float32
    x64 = X32.astype(np.float64)
    # By hand: each step is c -> c * (1 + i/3) + 0.1 i c^2, so dc'/dc = 1 + i/3 + 0.2 i c.
    c, derivative = x64, np.ones(3)
    for i in range(3):
        derivative = derivative * (1 + i / 3 + 0.2 * i * c)
        c = c * (1 + i / 3) + 0.1 * i * c * c
    np.testing.assert_allclose(gradient, derivative, rtol=1e-5)
    tracegrad.check_grads(loss, x64)
    with jax.enable_x64(True):
        by_jax = jax.grad(lambda x: loss(x, jax.lax.fori_loop))(jnp.asarray(X32))
    np.testing.assert_allclose(gradient, by_jax, rtol=1e-6)


def test_forward_mode_through_the_weak_index():
    tangent = np.ones(3, np.float32)
    _, out = tracegrad.jvp(loss, (X32,), (tangent,))
    assert np.asarray(out).dtype == np.float32
    np.testing.assert_allclose(out, tracegrad.grad(loss)(X32).sum(), rtol=1e-5)
