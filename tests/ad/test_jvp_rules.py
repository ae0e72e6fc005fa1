"""Forward-mode corners the operation table cannot express: exact tangents at ties and at a
zero base, the scatters reverse mode writes (no NumPy function reaches them), composites,
piecewise-constant and integer values, control flow and custom_vjp.

Every JVP rule's check against finite differences along a random tangent, on drawn shapes,
axes and spellings, is a row of tests/ops/table.py (its `draws`, run by
tests/ops/test_drawn.py in both modes, on the same calls as the VJP check).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tracegrad
from tests.ops.checks import assert_jvp_matches_fd
from tests.ops.draws import real_line
from tracegrad.tracer import scatter

from .. import strategies

# --- special values, constant exponents and ties -------------------------------------------


@pytest.mark.parametrize("exponent", [2, 3, 1, 0.5, -1.5, 2.0, -2])
def test_power_constant_exponents(exponent):
    x = np.random.default_rng(1).uniform(0.3, 2.0, (3, 2))
    assert_jvp_matches_fd(lambda x: x**exponent, x)


def test_power_exponent_tangent_at_zero_base_is_zero():
    """d(0 ** y)/dy is taken as 0, not nan (JAX's convention, and the VJP's)."""
    x, y = np.array([0.0, 1.5]), np.array([2.0, 3.0])
    _, tangent = tracegrad.jvp(lambda y: x**y, (y,), (np.ones(2),))
    np.testing.assert_allclose(tangent, [0.0, 1.5**3 * np.log(1.5)], rtol=1e-12)


def test_ties_take_the_mean_of_both_tangents():
    """maximum/minimum at a tie: (tx + ty) / 2, the transpose of the VJP's even split."""
    x = np.array([1.0, -2.0, 3.0])
    y = np.array([1.0, -3.0, 3.5])
    tx, ty = np.array([4.0, 5.0, 6.0]), np.array([2.0, 7.0, 8.0])
    _, tangent = tracegrad.jvp(np.maximum, (x, y), (tx, ty))
    np.testing.assert_array_equal(tangent, [3.0, 5.0, 8.0])
    _, tangent = tracegrad.jvp(np.minimum, (x, y), (tx, None))
    np.testing.assert_array_equal(tangent, [2.0, 0.0, 6.0])


def test_max_with_ties_takes_the_mean_tangent_of_the_winners():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 4.0, 4.0]])
    t = np.array([[3.0, 6.0, 9.0], [1.0, 2.0, 5.0]])
    _, tangent = tracegrad.jvp(lambda x: np.max(x, axis=1), (x,), (t,))
    np.testing.assert_allclose(tangent, [6.0, 3.5], rtol=1e-15)
    _, tangent = tracegrad.jvp(lambda x: np.min(-x), (x,), (t,))
    np.testing.assert_allclose(tangent, -3.5, rtol=1e-15)


def test_tangent_is_the_transpose_of_the_vjp_at_ties():
    """<J t, c> == <t, J^T c> holds at ties too: both modes share ties evenly."""
    x = np.array([[2.0, 2.0, 1.0], [4.0, 4.0, 4.0]])
    t = np.random.default_rng(5).standard_normal(x.shape)
    for fn in (lambda x: np.max(x, axis=1), lambda x: np.maximum(x, x[:, :1])):
        _, tangent = tracegrad.jvp(fn, (x,), (t,))
        _, pullback = tracegrad.vjp(fn, x)
        cotangent = np.random.default_rng(6).standard_normal(np.shape(tangent))
        (transposed,) = pullback(cotangent)
        np.testing.assert_allclose(np.sum(tangent * cotangent), np.sum(t * transposed), rtol=1e-13)


# --- conversions --------------------------------------------------------------------------


def test_astype():
    x = np.random.default_rng(6).standard_normal((2, 3))
    # Through float32: the tangent is rounded to float32 (differences need a large step).
    assert_jvp_matches_fd(lambda x: x.astype(np.float32), x, eps=1e-2, rtol=1e-4, atol=1e-5)
    assert_jvp_matches_fd(lambda x: np.exp(x.astype(np.float64)), x.astype(np.float32), rtol=1e-5)
    _, tangent = tracegrad.jvp(lambda x: x.astype(np.int64), (x,), (np.ones_like(x),))
    assert tangent.dtype == np.int64 and not tangent.any()


# --- the scatters ---------------------------------------------------------------------------


@given(data=st.data())
def test_scatters(data):
    """index_scatter and scatter_add (the transposes of indexing, written by reverse mode)."""
    shape = data.draw(strategies.shapes(min_dims=1, max_dims=2), label="shape")
    key = data.draw(hnp.basic_indices(shape, allow_ellipsis=False), label="key")
    key = key if isinstance(key, tuple) else (key,)
    index = tuple(
        (item.start, item.stop, item.step) if isinstance(item, slice) else item for item in key
    )
    selected = np.zeros(shape)[key].shape
    updates = data.draw(real_line(selected), label="updates")
    assert_jvp_matches_fd(lambda u: scatter.index_scatter(u, shape, index), updates)
    # Non-negative: the NumPy backend takes [-n, 0] for distinct positions and writes the
    # scatter with `=` instead of np.add.at (a codegen bug, reported; not forward mode's).
    indices = (
        data.draw(strategies.index_arrays(shape[0], (shape[0] + 2,)), label="indices") % shape[0]
    )
    updates = data.draw(real_line((shape[0] + 2, *shape[1:])), label="added")
    assert_jvp_matches_fd(lambda u: scatter.scatter_add(u, [indices], shape, (0,)), updates)


def test_scatters_appear_in_forward_over_reverse():
    """The Hessian of a function that indexes differentiates the scatter its gradient holds."""
    index = np.array([0, 2, 2, 1])
    x = np.array([0.3, -1.2, 0.8])
    hessian = tracegrad.hessian(lambda x: np.sum(x[index] ** 3) + np.sum(x[1:] ** 3))(x)
    counts = np.bincount(index, minlength=3) + np.array([0, 1, 1])
    np.testing.assert_allclose(hessian, np.diag(6 * x * counts), rtol=1e-14)
    ops = {
        node.op.name
        for node in tracegrad.hessian(lambda x: np.sum(x[index] ** 3) + np.sum(x[1:] ** 3))
        .ir(x, optimize=False)
        .nodes
    }
    assert {"index_scatter", "gather", "index"} <= ops
    assert ops & {"scatter_add", "gather_add"}  # the gather's scatter, or added into a buffer


def test_log_softmax_is_differentiated_as_one_piece():
    def log_softmax(x):
        z = x - x.max(axis=1, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))

    x = np.random.default_rng(7).standard_normal((3, 4))
    assert_jvp_matches_fd(log_softmax, x)
    graph = tracegrad.JVP(log_softmax).ir((x,), (x,), optimize=False)
    assert "log_softmax" in {node.op.name for node in graph.nodes}
    # The tangent rows of a log-softmax are orthogonal to its probabilities: sum(p * t) = 0.
    value, tangent = tracegrad.jvp(log_softmax, (x,), (np.cos(x),))
    np.testing.assert_allclose(np.sum(np.exp(value) * tangent, axis=1), 0, atol=1e-14)


# --- no tangent through integers, booleans and piecewise-constant ops --------------------------


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda x: x * (x > 0), lambda x: (x > 0).astype(float)),
        (lambda x: x * np.floor(x), np.floor),
        (lambda x: x * np.ceil(x) + np.round(x), np.ceil),
        (lambda x: np.sign(x) * x, np.sign),
        (lambda x: x * x.astype(np.int64), lambda x: x.astype(np.int64).astype(float)),
        (lambda x: x * (x // 1.0) + x % 1.0, lambda x: x // 1.0 + 1.0),
        (
            lambda x: np.where(np.logical_and(x > -1, np.logical_not(x >= 1)), x, 0.0),
            lambda x: ((x > -1) & (x < 1)).astype(float),
        ),
    ],
)
def test_piecewise_constant_and_integer_values_carry_no_tangent(fn, expected):
    """The tangent of a product `x * g(x)` with a piecewise-constant g is g(x) t."""
    x = np.array([-1.6, -0.3, 0.7, 2.4, 1.2])
    t = np.random.default_rng(8).standard_normal(x.shape)
    _, tangent = tracegrad.jvp(fn, (x,), (t,))
    assert tangent.dtype == np.float64 and tangent.shape == x.shape
    np.testing.assert_allclose(tangent, expected(x) * t, rtol=1e-15)


def test_argmax_and_argmin_carry_no_tangent_but_index_one():
    x = np.array([-1.6, -0.3, 0.7, 2.4, 1.2])
    t = np.random.default_rng(9).standard_normal(x.shape)
    _, tangent = tracegrad.jvp(lambda x: x[np.argmax(x)] - x[np.argmin(x)], (x,), (t,))
    assert tangent == t[3] - t[0]


def test_integer_and_boolean_outputs_get_zero_tangents_of_their_dtype():
    x = np.array([0.5, -1.5, 2.5])
    (above, index), (d_above, d_index) = tracegrad.jvp(
        lambda x: (x > 0, np.argmax(x)), (x,), (np.ones(3),)
    )
    assert above.tolist() == [True, False, True] and index == 2
    assert d_above.dtype == np.bool_ and d_above.shape == (3,) and not d_above.any()
    assert d_index.dtype == np.int64 and d_index == 0


# --- control flow -------------------------------------------------------------------------


def control_flow(x, W, a):
    """Every control-flow primitive, each reading a value of the enclosing function."""

    def step(h, row):
        h = np.tanh(h @ W + row)
        return h, np.sum(h * h)

    h, ys = tracegrad.scan(step, np.zeros(W.shape[1]), x)
    swept = tracegrad.scan(
        lambda c, row: (c * 0.5 + np.sin(row) * a, c.sum()), x[0], x, reverse=True
    )
    branch = tracegrad.cond(np.sum(x) > 0, lambda h: np.exp(h) * a, lambda h: h * h + a, h)
    looped = tracegrad.fori_loop(0, 3, lambda i, v: np.cos(v) * a + v * 0.1, h)
    grown = tracegrad.while_loop(
        lambda s: s[1] < 4, lambda s: (np.sin(s[0]) + a, s[1] + 1), (h, 0)
    )[0]
    return {
        "scan carry": h,
        "scan ys": ys,
        "reversed scan carry": swept[0],
        "reversed scan ys": swept[1],
        "cond": branch,
        "fori_loop": looped,
        "while_loop": grown,
    }


@given(data=st.data())
def test_control_flow(data):
    n, d = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))
    x = data.draw(strategies.smooth_arrays((n, d), -2.0, 2.0))
    W = data.draw(strategies.smooth_arrays((d, d), -1.0, 1.0))
    a = float(data.draw(strategies.smooth_arrays((), -1.5, 1.5)))
    assume(abs(np.sum(x)) > 1e-3)  # away from the cond's switch
    assert_jvp_matches_fd(control_flow, x, W, a, argnums=(0, 1, 2))


def test_custom_vjp_jvp_differentiates_the_function():
    @tracegrad.custom_vjp
    def softplus(x):
        return np.log1p(np.exp(x))

    softplus.defvjp(lambda x: (softplus(x), x), lambda x, g: (g / (1 + np.exp(-x)),))
    assert_jvp_matches_fd(softplus, np.array([-1.0, 0.3, 2.0]))
