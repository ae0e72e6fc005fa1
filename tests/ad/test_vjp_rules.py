"""Reverse-mode corners the operation table cannot express: exact values at ties (the
cotangent is shared evenly), at a zero base, through conversions and repeated indices; no
gradient through integers and booleans; zeros for unused arguments; and the emitted scatter.

Every VJP rule's check against finite differences on drawn shapes, axes and spellings is a
row of tests/ops/table.py (its `draws`, run by tests/ops/test_drawn.py in both modes).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tracegrad
from tests.ops.checks import assert_grad_matches_fd, cotangent_weights
from tests.ops.draws import real_line

from .. import strategies

# --- special values and constant exponents ------------------------------------------------


@pytest.mark.parametrize("exponent", [2, 3, 1, 0.5, -1.5, 2.0, -2])
def test_power_constant_exponents(exponent):
    x = np.random.default_rng(1).uniform(0.3, 2.0, (3, 2))
    assert_grad_matches_fd(lambda x: x**exponent, x)
    assert_grad_matches_fd(lambda x: np.power(x, exponent), x)


def test_power_exponent_gradient_at_zero_base_is_zero():
    """d(0 ** y)/dy is taken as 0, not nan (JAX's convention)."""
    x = np.array([0.0, 1.5])
    y = np.array([2.0, 3.0])
    dy = tracegrad.grad(lambda x, y: np.sum(x**y), argnums=1)(x, y)
    np.testing.assert_allclose(dy, [0.0, 1.5**3 * np.log(1.5)], rtol=1e-12)


# --- conversions: the cotangent rounded through float32 -----------------------------


@given(data=st.data())
def test_astype_float64_to_float32(data):
    """Through float32 the gradient is w rounded to float32, cast back to float64."""
    x = data.draw(strategies.shapes(min_dims=0).flatmap(real_line), label="x")
    w32 = cotangent_weights(x.shape).astype(np.float32)
    gradient = tracegrad.grad(lambda x: np.sum(x.astype(np.float32) * w32))(x)
    assert gradient.dtype == np.float64 and gradient.shape == x.shape
    np.testing.assert_array_equal(gradient, np.broadcast_to(w32, x.shape).astype(np.float64))
    # Differences of a float32 function need a large step: the function is linear anyway.
    assert_grad_matches_fd(lambda x: x.astype(np.float32), x, eps=1e-2, rtol=1e-4, atol=1e-5)


@given(data=st.data())
def test_astype_float32_to_float64(data):
    x = data.draw(strategies.shapes(min_dims=0).flatmap(real_line), label="x").astype(np.float32)
    w = cotangent_weights(x.shape)
    gradient = tracegrad.grad(lambda x: np.sum(np.sin(x.astype(np.float64)) * w))(x)
    assert gradient.dtype == np.float32 and gradient.shape == x.shape
    np.testing.assert_allclose(gradient, np.cos(x.astype(np.float64)) * w, rtol=1e-6)
    assert_grad_matches_fd(lambda x: np.exp(x.astype(np.float64)), x, rtol=1e-5)


# --- indexing -----------------------------------------------------------------------------


def test_repeated_index_counts():
    x = np.arange(4.0)
    gradient = tracegrad.grad(lambda x: np.sum(x[[0, 0, 2, 0, -1, 3]]))(x)
    np.testing.assert_array_equal(gradient, [3.0, 0.0, 1.0, 2.0])


# --- ties: the cotangent is shared evenly (JAX's convention) ------------------------------


def test_maximum_of_equal_arguments_splits_the_cotangent():
    x = np.array([1.0, -2.0, 3.0])
    both = tracegrad.grad(lambda x, y: np.sum(np.maximum(x, y) * 4.0), argnums=(0, 1))(x, x.copy())
    np.testing.assert_array_equal(both[0], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(both[1], [2.0, 2.0, 2.0])
    both = tracegrad.grad(lambda x, y: np.sum(np.minimum(x, y)), argnums=(0, 1))(x, x.copy())
    np.testing.assert_array_equal(both, [[0.5] * 3, [0.5] * 3])
    # Both halves of maximum(x, x) reach x: 0.5 + 0.5.
    np.testing.assert_array_equal(tracegrad.grad(lambda x: np.sum(np.maximum(x, x)))(x), [1.0] * 3)


def test_maximum_partial_ties_with_broadcasting():
    x = np.array([[1.0, 2.0, 3.0], [0.0, 2.0, 5.0]])
    y = np.array([1.0, 2.5, 3.0])
    dx, dy = tracegrad.grad(lambda x, y: np.sum(np.maximum(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(dx, [[0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(dy, [1.5, 2.0, 0.5])


def test_max_with_two_equal_maxima_shares_the_cotangent():
    x = np.array([1.0, 3.0, -2.0, 3.0])
    np.testing.assert_array_equal(tracegrad.grad(lambda x: x.max())(x), [0.0, 0.5, 0.0, 0.5])
    np.testing.assert_array_equal(tracegrad.grad(lambda x: np.max(x) * 2.0)(x), [0, 1, 0, 1])
    y = -x
    np.testing.assert_array_equal(tracegrad.grad(lambda y: np.min(y))(y), [0.0, 0.5, 0.0, 0.5])


def test_max_along_an_axis_with_ties():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 4.0, 4.0]])
    gradient = tracegrad.grad(lambda x: np.sum(x.max(axis=1) * np.array([3.0, 1.0])))(x)
    np.testing.assert_allclose(gradient, [[1.0, 1.0, 1.0], [0.0, 0.5, 0.5]], rtol=1e-15)
    gradient = tracegrad.grad(lambda x: np.sum(np.min(x, axis=0, keepdims=True)))(x)
    np.testing.assert_array_equal(gradient, [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])


# --- no gradient through integers and booleans; zeros for unused arguments ---------------


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda x: np.sum(x * (x > 0)), lambda x: (x > 0).astype(float)),
        (lambda x: np.sum(x * np.floor(x)), lambda x: np.floor(x)),
        (lambda x: np.sum(x * x.astype(np.int64)), lambda x: x.astype(np.int64).astype(float)),
        (lambda x: np.sum(np.sign(x) * x), np.sign),
        (lambda x: np.sum(np.round(x) + np.ceil(x) * 0.0 + x), np.ones_like),
        (lambda x: x[np.argmax(x)] + np.sum(x // 1.0), lambda x: np.eye(x.size)[np.argmax(x)]),
        (
            lambda x: np.sum(np.where(np.logical_and(x > -1, x < 1), x, 0.0)),
            lambda x: ((x > -1) & (x < 1)).astype(float),
        ),
        (lambda x: np.sum(x.astype(np.int32).astype(np.float64)) + np.sum(x), np.ones_like),
    ],
)
def test_integer_and_boolean_intermediates_carry_no_gradient(fn, expected):
    x = np.array([-1.6, -0.3, 0.7, 2.4, 1.2])
    gradient = tracegrad.grad(fn)(x)
    assert gradient.dtype == np.float64 and gradient.shape == x.shape
    np.testing.assert_array_equal(gradient, expected(x))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unused_argument_gets_zeros_of_its_shape_and_dtype(dtype):
    x = np.array([0.5, -1.0, 2.0])
    y = np.ones((2, 3), dtype)
    dy = tracegrad.grad(lambda x, y: np.sum(np.sin(x)), argnums=1)(x, y)
    assert dy.dtype == dtype and dy.shape == (2, 3)
    np.testing.assert_array_equal(dy, 0)
    dx, dy = tracegrad.grad(lambda x, y: np.sum(x**2), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(dx, 2 * x)
    assert dy.dtype == dtype and dy.shape == (2, 3) and not dy.any()


def test_argument_used_only_through_integers_gets_zeros():
    x = np.array([0.5, -1.5, 2.5])
    gradient = tracegrad.grad(lambda x: np.sum(np.floor(x) + (x > 0)))(x)
    assert gradient.dtype == np.float64 and gradient.shape == (3,)
    np.testing.assert_array_equal(gradient, 0)


def test_unused_python_float_and_zero_d_arguments():
    dy = tracegrad.grad(lambda x, y: x * 3.0, argnums=1)(2.0, 5.0)
    assert isinstance(dy, float) and np.result_type(dy) == np.float64 and dy == 0.0
    dy = tracegrad.grad(lambda x, y: np.sum(x), argnums=1)(np.ones(2), np.float32(1.0))
    assert np.shape(dy) == () and np.result_type(dy) == np.float32 and dy == 0


def test_scatter_with_negative_indices_that_repeat_a_position_accumulates():
    """-4 and 0 are one position of a length-4 axis: the gradient adds both updates."""
    gradient = tracegrad.grad(lambda x, w: np.sum(x[np.array([0, -4])] * w))
    np.testing.assert_array_equal(gradient(np.ones(4), np.array([2.0, 3.0])), [5.0, 0, 0, 0])
    assert "np.add.at" in gradient.source(np.ones(4), np.array([2.0, 3.0]))
