"""tracegrad.stop_gradient: the value itself, a constant to every derivative."""

import jax
import numpy as np

import tracegrad

X = np.array([0.5, -1.0, 2.0])


def damped(x):
    """d/dx = sg(x) * (2 x): the stopped factor is not differentiated."""
    return np.sum(tracegrad.stop_gradient(x) * x**2)


def test_gradient_treats_the_stopped_value_as_a_constant():
    np.testing.assert_allclose(tracegrad.grad(damped)(X), X * 2 * X, rtol=1e-15)
    # Against central differences of the same function with the factor frozen.
    frozen = X.copy()
    eps = 1e-6
    numeric = [
        (np.sum(frozen * (X + eps * e) ** 2) - np.sum(frozen * (X - eps * e) ** 2)) / (2 * eps)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(tracegrad.grad(damped)(X), numeric, rtol=1e-8)


def test_agrees_with_jax_stop_gradient():
    def on_jax(x):
        return jax.numpy.sum(jax.lax.stop_gradient(x) * x**2)

    with jax.enable_x64(True):
        theirs = np.asarray(jax.grad(on_jax)(X))
    np.testing.assert_allclose(tracegrad.grad(damped)(X), theirs, rtol=1e-15)


def test_second_order_and_forward_mode_stop_too():
    second = tracegrad.grad(lambda x: np.sum(tracegrad.grad(damped)(x)))(X)
    np.testing.assert_allclose(second, 2 * X, rtol=1e-15)  # d/dx sum(2 sg(x) x) = 2 sg(x)
    _, tangent = tracegrad.jvp(damped, (X,), (np.ones(3),))
    np.testing.assert_allclose(tangent, np.sum(2 * X * X), rtol=1e-15)


def test_both_backends_and_the_ir():
    source = tracegrad.jit(tracegrad.grad(damped), backend="jax").source(X)
    assert "jax.lax.stop_gradient(x)" in source
    np.testing.assert_allclose(
        np.asarray(tracegrad.jit(tracegrad.grad(damped), backend="jax")(X)), 2 * X * X
    )
    graph = tracegrad.trace(damped, X)
    assert "= stop_gradient x" in str(graph)
    assert str(tracegrad.parse_graph(str(graph))) == str(graph)


def test_outside_tracing_and_on_pytrees():
    params = {"w": X, "b": 1.5}
    assert tracegrad.stop_gradient(params) == params
    assert tracegrad.stop_gradient(X) is X

    def loss(p):
        frozen = tracegrad.stop_gradient(p)
        return np.sum(frozen["w"] * p["w"]) + frozen["b"] * p["b"]

    gradient = tracegrad.grad(loss)({"w": X, "b": 1.5})
    np.testing.assert_allclose(gradient["w"], X, rtol=1e-15)
    assert gradient["b"] == 1.5


def test_a_returned_stopped_argument_is_a_copy():
    x = X.copy()
    out = tracegrad.jit(tracegrad.stop_gradient)(x)
    np.testing.assert_array_equal(out, x)
    assert not np.shares_memory(out, x)
