"""Jacobians and Hessians: jacfwd (one JVP per input element) equals jacrev (one VJP per
output element) and central differences; Hessians (jacfwd of grad) equal second derivatives
derived by hand; hvp equals the Hessian times the vector; the JAX backend; the errors."""

from __future__ import annotations

import numpy as np
import pytest

import tracegrad

from ..catalog.functions import CATALOG
from ..catalog.numerics import (
    assert_same_structure,
    central_difference_grad,
    tree_leaves,
)

ENTRIES = {entry.name: entry for entry in CATALOG}

# Catalog functions and the arguments to differentiate (the others are labels or constants).
JACOBIAN_CASES = {
    "layer_norm": (0, 1, 2),
    "attention": (0, 1, 2),
    "polar_coords": 0,
    "mlp_forward_dict": (0, 1),
    "classify": 0,  # integer outputs too: their blocks are zeros
    "summary_stats": 0,  # floor, ceil, round, sign, argmin: zeros; min, max, abs: one-hot
    "polynomial_features": 0,
    "unit_vector": 0,
    "rnn_unrolled": (0, 1),
    "scalar_polar": (0, 1),  # Python floats
    "f32_mlp_tanh": 0,  # float32
}


@pytest.mark.parametrize("name", sorted(JACOBIAN_CASES))
def test_jacfwd_equals_jacrev(name):
    entry, argnums = ENTRIES[name], JACOBIAN_CASES[name]
    args = entry.make_args(np.random.default_rng(0))
    forward = tracegrad.jacfwd(entry.fn, argnums)(*args)
    reverse = tracegrad.jacrev(entry.fn, argnums)(*args)
    assert_same_structure(forward, reverse)
    outputs = tree_leaves(entry.fn(*args))
    chosen = (argnums,) if isinstance(argnums, int) else argnums
    inputs = [leaf for i in chosen for leaf in tree_leaves(args[i])]
    expected_shapes = [np.shape(o) + np.shape(i) for o in outputs for i in inputs]
    assert [np.shape(b) for b in tree_leaves(forward)] == expected_shapes
    rtol = 1e-4 if name.startswith("f32") else 1e-12
    for a, b in zip(tree_leaves(forward), tree_leaves(reverse), strict=True):
        scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("name", ["layer_norm", "polar_coords", "mlp_forward_dict"])
def test_jacobian_equals_central_differences(name):
    """Row by row: the gradient of each output element, by differences. The blocks come
    output leaf first, then argument, then argument leaf."""
    entry, argnums = ENTRIES[name], JACOBIAN_CASES[name]
    args = entry.make_args(np.random.default_rng(1))
    blocks = iter(tree_leaves(tracegrad.jacfwd(entry.fn, argnums)(*args)))
    chosen = (argnums,) if isinstance(argnums, int) else argnums
    for o, output in enumerate(tree_leaves(entry.fn(*args))):
        rows: list[list] = []  # per argument leaf, the rows of its block
        for m in range(np.size(output)):

            def element(*call_args, o=o, m=m):
                return np.ravel(tree_leaves(entry.fn(*call_args))[o])[m]

            leaves = [
                leaf
                for i in chosen
                for leaf in tree_leaves(central_difference_grad(element, args, i))
            ]
            rows.append([np.ravel(leaf) for leaf in leaves])
        for k, block in enumerate(zip(*rows, strict=True)):
            ours = next(blocks)
            numerical = np.reshape(np.stack(block), np.shape(ours))
            np.testing.assert_allclose(
                ours, numerical, rtol=1e-6, atol=1e-8, err_msg=f"output {o}, argument leaf {k}"
            )
    assert next(blocks, None) is None


def test_jacobian_structure_follows_outputs_then_arguments():
    def f(params, x):
        return {"y": params["a"] * x, "z": np.sum(params["b"] ** 2) * x}

    params = {"a": np.array([1.0, 2.0]), "b": np.array([[0.5, -1.0]])}
    x = np.array([3.0, -4.0])
    jacobian = tracegrad.jacfwd(f, argnums=(0, 1))(params, x)
    assert set(jacobian) == {"y", "z"}
    (d_params, dx) = jacobian["y"]
    assert set(d_params) == {"a", "b"} and d_params["b"].shape == (2, 1, 2)
    np.testing.assert_array_equal(d_params["a"], np.diag(x))
    np.testing.assert_array_equal(dx, np.diag(params["a"]))
    np.testing.assert_array_equal(jacobian["z"][0]["b"][:, 0, :], np.outer(x, 2 * params["b"]))
    reverse = tracegrad.jacrev(f, argnums=(0, 1))(params, x)
    for a, b in zip(tree_leaves(jacobian), tree_leaves(reverse), strict=True):
        np.testing.assert_array_equal(a, b)
    assert tracegrad.jacfwd(f)(params, x)["y"]["a"].shape == (2, 2)  # one argnum: no tuple


def test_jacobian_source_stacks_one_jvp_per_column():
    def f(x):
        y = np.sin(x) * x
        return y

    x = np.array([0.1, 0.2, 0.3])
    source = tracegrad.jacfwd(f).source(x)
    assert source == tracegrad.jacfwd(f).source(x)
    assert "def jacfwd_f(x):" in source and "np.stack([" in source and "dy_dx" in source
    assert "def jacrev_f(x):" in tracegrad.jacrev(f).source(x)
    np.testing.assert_allclose(
        tracegrad.jacfwd(f)(x), np.diag(np.cos(x) * x + np.sin(x)), rtol=1e-15
    )


# --- Hessians against second derivatives written out by hand ---------------------------------

# The hand-derived Hessians of the reverse-over-reverse tests, now checked forward over
# reverse too.
from .test_second_order import (  # noqa: E402
    log_sum_exp,
    log_sum_exp_hessian,
    normalized_cubic,
    normalized_cubic_hessian,
    rosenbrock,
    rosenbrock_hessian,
    tanh_layer,
    tanh_layer_hessian,
)

RNG = np.random.default_rng(7)
A = RNG.standard_normal((4, 4))
M = RNG.standard_normal((3, 4)) * 0.6


def quadratic_form(x):
    return x @ A @ x


def softplus_regression(w):
    # f = sum log(1 + exp(X w)); H = X^T diag(s (1 - s)) X with s = sigmoid(X w)
    return np.sum(np.log1p(np.exp(M @ w)))


def softplus_regression_hessian(w):
    s = 1 / (1 + np.exp(-(M @ w)))
    return M.T @ np.diag(s * (1 - s)) @ M


HESSIANS = {
    "quadratic_form": (quadratic_form, lambda x: A + A.T),
    "log_sum_exp": (log_sum_exp, log_sum_exp_hessian),
    "rosenbrock": (rosenbrock, rosenbrock_hessian),
    "tanh_layer": (tanh_layer, tanh_layer_hessian),
    "normalized_cubic": (normalized_cubic, normalized_cubic_hessian),
    "softplus_regression": (softplus_regression, softplus_regression_hessian),
}


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_hessian_equals_the_hand_derived_one(name):
    f, hessian = HESSIANS[name]
    for seed in (0, 1):
        x = np.random.default_rng(seed).uniform(-1.2, 1.2, 4)
        H = tracegrad.hessian(f)(x)
        assert H.shape == (4, 4) and H.dtype == np.float64
        np.testing.assert_allclose(H, hessian(x), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_hvp_equals_hessian_times_vector(name):
    f, hessian = HESSIANS[name]
    rng = np.random.default_rng(3)
    x, v = rng.uniform(-1.2, 1.2, 4), rng.standard_normal(4)
    (product,) = tracegrad.hvp(f, (x,), (v,))
    np.testing.assert_allclose(product, tracegrad.hessian(f)(x) @ v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(product, hessian(x) @ v, rtol=1e-11, atol=1e-11)


def two_arguments(x, y):
    return np.sum(x**2 * y) + np.sum(y**3)


def test_hessian_blocks_of_two_arguments_and_their_hvp():
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.3, -0.7])
    (xx, xy), (yx, yy) = tracegrad.hessian(two_arguments, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(xx, np.diag(2 * y), rtol=1e-15)
    np.testing.assert_allclose(xy, np.diag(2 * x), rtol=1e-15)
    np.testing.assert_allclose(yx, np.diag(2 * x), rtol=1e-15)
    np.testing.assert_allclose(yy, np.diag(6 * y), rtol=1e-15)
    vx, vy = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 0.25])
    hx, hy = tracegrad.hvp(two_arguments, (x, y), (vx, vy))
    np.testing.assert_allclose(hx, xx @ vx + xy @ vy, rtol=1e-15)
    np.testing.assert_allclose(hy, yx @ vx + yy @ vy, rtol=1e-15)
    # A None tangent holds that argument constant: the Hessian in x alone.
    hx, none = tracegrad.hvp(two_arguments, (x, y), (vx, None))
    assert none is None
    np.testing.assert_allclose(hx, xx @ vx, rtol=1e-15)
    assert "def hvp_two_arguments(x, y, x_dot):" in tracegrad.HVP(two_arguments).source(
        (x, y), (vx, None)
    )


def test_hessian_of_a_dict_and_of_a_matrix():
    def f(p):
        return np.sum(np.exp(p["a"]) * p["b"])

    p = {"a": np.array([0.1, -0.4]), "b": np.array([2.0, 3.0])}
    H = tracegrad.hessian(f)(p)
    e = np.exp(p["a"])
    np.testing.assert_allclose(H["a"]["a"], np.diag(e * p["b"]), rtol=1e-15)
    np.testing.assert_allclose(H["a"]["b"], np.diag(e), rtol=1e-15)
    np.testing.assert_allclose(H["b"]["a"], np.diag(e), rtol=1e-15)
    np.testing.assert_array_equal(H["b"]["b"], np.zeros((2, 2)))
    X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    H = tracegrad.hessian(lambda X: np.sum(X**3))(X)
    assert H.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(H.reshape(6, 6), np.diag(6 * X.ravel()), rtol=1e-15)


def test_hessian_of_a_python_float_function():
    f = lambda x: x**3 * np.sin(x)  # noqa: E731
    x = 0.7
    expected = 6 * x * np.sin(x) + 6 * x**2 * np.cos(x) - x**3 * np.sin(x)
    assert tracegrad.hessian(f)(x) == pytest.approx(expected, rel=1e-13)


# --- the JAX backend --------------------------------------------------------------------------


def test_hessian_and_hvp_on_the_jax_backend():
    from tracegrad.runtime.jax_backend import result_class  # imports jax

    x, v = np.array([0.3, -0.8, 1.1, 0.4]), np.array([1.0, -2.0, 0.5, 0.25])
    on_jax = tracegrad.jit(tracegrad.hessian(normalized_cubic), backend="jax")
    H = on_jax(x)
    assert isinstance(H, result_class(H.dtype)) and H.dtype == np.float64
    np.testing.assert_allclose(np.asarray(H), normalized_cubic_hessian(x), rtol=1e-11)
    assert "def hessian_normalized_cubic(x):" in on_jax.source(x)
    assert "jnp.stack(" in on_jax.source(x)
    hvp = tracegrad.jit(lambda x, v: tracegrad.hvp(normalized_cubic, (x,), (v,)), backend="jax")
    np.testing.assert_allclose(
        np.asarray(hvp(x, v)[0]), normalized_cubic_hessian(x) @ v, rtol=1e-11
    )


# --- errors -----------------------------------------------------------------------------------


def expect_error(call, *fragments):
    with pytest.raises(tracegrad.TraceError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(__file__ + ":"), message  # a line of the user's (this file)
    assert "Instead: " in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def vector_valued(x):
    return np.sin(x) * 2.0  # the output's line


def test_hessian_and_hvp_of_a_non_scalar_function():
    x = np.ones(3)
    message = expect_error(
        lambda: tracegrad.hessian(vector_valued)(x),
        "hessian needs vector_valued to return a real scalar",
        "f64[3]",
        "jacfwd or jacrev",
    )
    assert "np.sin(x) * 2.0" in message  # the line that computed the output
    expect_error(
        lambda: tracegrad.hvp(vector_valued, (x,), (x,)),
        "hvp needs vector_valued to return a real scalar",
    )


def test_derivatives_with_respect_to_integers():
    def f(x, n):
        return np.sum(x * n)

    x, n = np.ones(3), np.arange(3)
    for transform in (tracegrad.jacfwd, tracegrad.jacrev, tracegrad.hessian):
        expect_error(
            lambda transform=transform: transform(f, argnums=1)(x, n),
            "cannot differentiate f with respect to n",
            "i64[3]",
        )
    expect_error(
        lambda: tracegrad.hvp(f, (x, n), (x, n)),
        "n holds i64[3] values",
        "pass None as its tangent",
    )
    expect_error(lambda: tracegrad.hvp(f, (x, n), (None, None)), "was given no tangent")
    (hx, none) = tracegrad.hvp(f, (x, n), (x, None))
    assert none is None and not hx.any()
