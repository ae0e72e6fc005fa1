"""Derivatives at the points where a rule's formula divides by zero but the derivative is
finite (np.std of equal values, a norm at 0, x ** 0 at 0, np.prod with zeros), and the
internal exceptions the derivative transforms used to leak. Each is checked against the
hand-derived value, central differences (where the derivative exists) and jax (where jax is
not nan itself)."""

from __future__ import annotations

import re
import types
import warnings
from collections.abc import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad

from ..catalog.numerics import central_difference_grad

X = np.array([1.0, 2.0, 4.0])
EQUAL = np.full(3, 1.5)
ROWS = np.array([[1.5, 1.5, 1.5], [1.0, 2.0, 4.0]])  # one row of equal values, one not


@pytest.fixture(autouse=True)
def no_runtime_warnings() -> Iterator[None]:
    """A nan or inf computed anywhere on the way (0 * inf) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


@pytest.fixture
def jax_x64() -> Iterator[None]:
    with jax.enable_x64(True):  # restores the previous setting after the block
        yield


def on_jax(fn: Callable) -> Callable:
    """The same function's code with `np` bound to jax.numpy."""
    return types.FunctionType(
        fn.__code__, {**fn.__globals__, "np": jnp}, fn.__name__, fn.__defaults__, fn.__closure__
    )


def assert_finite_and_close(actual, expected, rtol: float = 1e-9, atol: float = 1e-12) -> None:
    actual = np.asarray(actual)
    assert np.all(np.isfinite(actual)), actual
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# --- np.std and np.var where the spread is 0 -----------------------------------------------


def std(x):
    return np.std(x)


def var(x):
    return np.var(x)


def std_ddof(x):
    return np.std(x, ddof=1)


def std_rows(x):
    return np.sum(np.std(x, axis=1))


def std_columns_kept(x):
    return np.sum(np.std(x, axis=0, keepdims=True) * np.array([[1.0, 2.0, 3.0]]))


def var_rows(x):
    return np.sum(np.var(x, axis=1))


def hand_std(x: np.ndarray, ddof: int = 0, axis: int | None = None) -> np.ndarray:
    """d std / d x = (x - mean) / ((n - ddof) std), chosen 0 where std is 0."""
    n = x.size if axis is None else x.shape[axis]
    centered = x - x.mean(axis=axis, keepdims=True)
    spread = x.std(axis=axis, ddof=ddof, keepdims=True)
    return np.where(spread == 0, 0.0, centered / ((n - ddof) * np.where(spread == 0, 1, spread)))


def hand_var(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    n = x.size if axis is None else x.shape[axis]
    return 2 * (x - x.mean(axis=axis, keepdims=True)) / n


@pytest.mark.parametrize(
    "fn, x, expected",
    [
        (std, EQUAL, np.zeros(3)),
        (var, EQUAL, np.zeros(3)),
        (std_ddof, EQUAL, np.zeros(3)),
        (std, X, hand_std(X)),
        (std_ddof, X, hand_std(X, ddof=1)),
        (std_rows, ROWS, hand_std(ROWS, axis=1)),
        (var_rows, ROWS, hand_var(ROWS, axis=1)),
        (std_columns_kept, np.ones((2, 3)), np.zeros((2, 3))),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_std_and_var_gradients_are_zero_where_the_spread_is_zero(fn, x, expected):
    gradient = tracegrad.grad(fn)(x)
    assert_finite_and_close(gradient, expected)
    assert_finite_and_close(tracegrad.jit(tracegrad.grad(fn), backend="jax")(x), expected)


def test_std_gradient_agrees_with_differences_and_jax_away_from_zero(jax_x64):
    for fn, x in ((std, X), (std_ddof, X), (var_rows, ROWS)):
        gradient = tracegrad.grad(fn)(x)
        assert_finite_and_close(gradient, central_difference_grad(fn, (x,)), rtol=1e-6)
        assert_finite_and_close(gradient, np.asarray(jax.grad(on_jax(fn))(x)))
    # Where one row's spread is 0, jax is nan in that row; ours is 0 there, jax's elsewhere.
    ours, theirs = tracegrad.grad(std_rows)(ROWS), np.asarray(jax.grad(on_jax(std_rows))(ROWS))
    assert np.isnan(theirs[0]).all()
    assert_finite_and_close(ours[1], theirs[1])
    assert_finite_and_close(ours[0], np.zeros(3))


def test_std_forward_mode_and_hessian_at_zero_spread(jax_x64):
    _, tangent = tracegrad.jvp(std, (EQUAL,), (X,))
    assert tangent == 0.0
    _, tangent = tracegrad.jvp(std, (X,), (X,))
    assert_finite_and_close(tangent, hand_std(X) @ X)
    # Away from 0 the Hessian is jax's; at 0 it is finite (std has a kink there).
    assert_finite_and_close(tracegrad.hessian(std)(X), np.asarray(jax.hessian(on_jax(std))(X)))
    assert np.all(np.isfinite(tracegrad.hessian(std)(EQUAL)))


# --- np.linalg.norm at 0 ----------------------------------------------------------------


def half_squared_norm(r):
    return 0.5 * np.linalg.norm(r) ** 2


def norm(r):
    return np.linalg.norm(r)


def norm_by_hand(r):
    return np.sqrt(np.sum(r * r))


def test_half_squared_norm_gradient_is_r_also_at_zero(jax_x64):
    zero = np.zeros(3)
    assert_finite_and_close(tracegrad.grad(half_squared_norm)(zero), zero)
    assert_finite_and_close(tracegrad.grad(half_squared_norm)(X), X)
    assert_finite_and_close(tracegrad.hessian(half_squared_norm)(zero), np.eye(3))
    assert np.isnan(np.asarray(jax.grad(on_jax(half_squared_norm))(zero))).all()  # be better
    assert_finite_and_close(
        tracegrad.grad(half_squared_norm)(X),
        central_difference_grad(half_squared_norm, (X,)),
        rtol=1e-6,
    )


@pytest.mark.parametrize("fn", [norm, norm_by_hand])
def test_norm_gradient_is_the_zero_subgradient_at_zero(fn, jax_x64):
    zero = np.zeros(3)
    assert_finite_and_close(tracegrad.grad(fn)(zero), zero)
    assert tracegrad.jvp(fn, (zero,), (X,))[1] == 0.0
    assert_finite_and_close(tracegrad.grad(fn)(X), X / np.sqrt(21))
    assert_finite_and_close(tracegrad.grad(fn)(X), np.asarray(jax.grad(on_jax(fn))(X)))
    rows = np.array([[0.0, 0.0], [3.0, 4.0]])
    gradient = tracegrad.grad(lambda r: np.sum(np.linalg.norm(r, axis=1)))(rows)
    assert_finite_and_close(gradient, [[0.0, 0.0], [0.6, 0.8]])


def test_a_sum_of_squares_used_twice_is_not_recomputed_and_stays_right():
    def f(r):
        s = np.sum(r * r)
        return s + np.sqrt(s)

    gradient = tracegrad.grad(f)(X)
    assert_finite_and_close(gradient, 2 * X + X / np.sqrt(21))
    graph = tracegrad.grad(f).ir(X, optimize=False)
    assert "root_sum_squares" not in {node.op.name for node in graph.nodes}


def test_the_gradient_of_std_reads_like_the_forward_code():
    source = tracegrad.grad(std).source(X)
    assert "np.sqrt(np.sum(subtract * subtract) / 3)" in source
    assert "np.where(" in source  # the subgradient choice, on the reduced value only


# --- powers at 0 --------------------------------------------------------------------------

ZEROS = np.zeros(3)


@pytest.mark.parametrize(
    "exponent, slope, curvature",
    [
        (0, 0.0, 0.0),
        (0.0, 0.0, 0.0),
        (1, 1.0, 0.0),
        (1.0, 1.0, 0.0),
        (2, 0.0, 2.0),
        (3, 0.0, 0.0),
    ],
)
def test_power_derivatives_at_zero(exponent, slope, curvature):
    def power_sum(x):
        return np.sum(x**exponent)

    def power(x):
        return x**exponent

    assert_finite_and_close(tracegrad.grad(power_sum)(ZEROS), np.full(3, slope))
    assert tracegrad.grad(power)(0.0) == slope  # Python floats: no ZeroDivisionError
    assert tracegrad.jvp(power, (0.0,), (1.0,))[1] == slope
    assert_finite_and_close(tracegrad.jvp(power, (ZEROS,), (np.ones(3),))[1], np.full(3, slope))
    assert tracegrad.hessian(power)(0.0) == curvature
    assert_finite_and_close(tracegrad.hessian(power_sum)(ZEROS), np.eye(3) * curvature)
    assert_finite_and_close(tracegrad.grad(power_sum)(X), exponent * X ** (exponent - 1.0))


def test_power_with_a_traced_exponent_of_zero():
    x, y = np.array([0.0, 0.0, 2.0]), np.array([0.0, 1.0, 2.0])
    dx, dy = tracegrad.grad(lambda x, y: np.sum(x**y), argnums=(0, 1))(x, y)
    assert_finite_and_close(dx, [0.0, 1.0, 4.0])
    assert_finite_and_close(dy, [0.0, 0.0, 4 * np.log(2)])


def test_power_with_a_constant_exponent_of_one_adds_no_node():
    graph = tracegrad.grad(lambda x: np.sum(x**1)).ir(X)
    assert not graph.nodes  # d(x ** 1) = 1: folded to ones


# --- np.prod with zeros ---------------------------------------------------------------------


def prod(x):
    return np.prod(x)


def hand_prod_gradient(x: np.ndarray) -> np.ndarray:
    return np.array([np.prod(np.delete(x, i)) for i in range(x.size)])


def hand_prod_hessian(x: np.ndarray) -> np.ndarray:
    n = x.size
    return np.array(
        [[0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(n)] for i in range(n)]
    )


@pytest.mark.parametrize(
    "x",
    [
        [0.0, 2.0, 3.0],
        [0.0, 0.0, 3.0],
        [0.0, 0.0, 0.0],
        [1.0, 2.0, 3.0],
        [2.0, 0.0, 3.0, 0.0],
        [0.0, 2.0, -3.0, 5.0],
        [0.0],
    ],
    ids=str,
)
def test_prod_gradient_jvp_and_hessian_with_zeros(x, jax_x64):
    x = np.array(x)
    gradient = tracegrad.grad(prod)(x)
    assert_finite_and_close(gradient, hand_prod_gradient(x))
    assert_finite_and_close(gradient, central_difference_grad(prod, (x,)), rtol=1e-6, atol=1e-9)
    tangent = np.arange(1.0, x.size + 1)
    assert_finite_and_close(
        tracegrad.jvp(prod, (x,), (tangent,))[1], hand_prod_gradient(x) @ tangent
    )
    hessian = tracegrad.hessian(prod)(x)
    assert_finite_and_close(hessian, hand_prod_hessian(x))
    assert_finite_and_close(hessian, np.asarray(jax.hessian(on_jax(prod))(x)))


def test_prod_gradient_along_an_axis_with_zeros():
    a = np.array([[0.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 3.0]])
    rows = tracegrad.grad(lambda a: np.sum(np.prod(a, axis=1)))(a)
    assert_finite_and_close(rows, np.stack([hand_prod_gradient(row) for row in a]))
    columns = tracegrad.grad(lambda a: np.sum(np.prod(a, axis=0, keepdims=True)))(a)
    assert_finite_and_close(columns, np.stack([hand_prod_gradient(c) for c in a.T]).T)
    hessian = tracegrad.hessian(lambda a: np.sum(np.prod(a, axis=1)))(a).reshape(9, 9)
    for i in range(3):  # block diagonal: one product per row
        block = hessian[3 * i : 3 * i + 3, 3 * i : 3 * i + 3]
        assert_finite_and_close(block, hand_prod_hessian(a[i]))
    assert_finite_and_close(
        tracegrad.jit(tracegrad.grad(lambda a: np.sum(np.prod(a, axis=1))), backend="jax")(a), rows
    )


# --- internal exceptions ----------------------------------------------------------------------


def test_vjp_of_an_output_that_does_not_depend_on_the_input():
    out, pullback = tracegrad.vjp(lambda x: np.ones(3), X)
    np.testing.assert_array_equal(out, np.ones(3))
    np.testing.assert_array_equal(pullback(np.ones(3))[0], np.zeros(3))
    _, pullback = tracegrad.vjp(lambda x: 2.0, 1.5)
    assert pullback(1.0)[0] == 0.0


@pytest.mark.parametrize("piecewise", [np.floor, np.ceil, np.sign])
def test_second_derivatives_through_piecewise_constant_functions(piecewise):
    def f(x):
        return piecewise(x) * x

    assert tracegrad.grad(tracegrad.grad(f))(1.5) == 0.0
    assert tracegrad.hessian(f)(1.5) == 0.0
    _, pullback = tracegrad.vjp(tracegrad.grad(lambda x: np.sum(piecewise(x))), X)
    np.testing.assert_array_equal(pullback(np.ones(3))[0], np.zeros(3))


def test_reciprocal_at_zero_is_infinite_as_in_numpy():
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert tracegrad.grad(lambda x: 1.0 / x)(0.0) == -np.inf
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert tracegrad.jit(lambda x: 1.0 / x)(0.0) == np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.float64(1.0) / np.float64(0.0) == np.inf  # what NumPy gives
    assert tracegrad.jit(lambda x: 1.0 / x)(2.0) == 0.5  # the Python-float code still runs


def test_vjp_of_a_function_taking_star_args():
    def f(*args):
        return np.sum(args[0] * args[1])

    def g(w, *args):
        return np.sum(w * args[0] * args[1])

    a, b = np.ones(3), np.full(3, 2.0)
    da, db = tracegrad.vjp(f, a, b)[1](1.0)
    np.testing.assert_array_equal(da, b)
    np.testing.assert_array_equal(db, a)
    cotangents = tracegrad.vjp(g, a, b, X)[1](1.0)
    assert [list(c) for c in cotangents] == [list(b * X), list(a * X), list(a * b)]


def test_vjp_inside_grad():
    def inner(x):
        y, pullback = tracegrad.vjp(np.sin, x)
        return pullback(x)[0] * y  # x cos(x) sin(x)

    def loss(x):
        return np.sum(inner(x))

    expected = np.cos(X) * np.sin(X) + X * np.cos(2 * X)
    assert_finite_and_close(tracegrad.grad(loss)(X), expected)
    assert_finite_and_close(tracegrad.grad(loss)(X), central_difference_grad(loss, (X,)), rtol=1e-6)


def test_hessian_of_a_python_float_through_abs():
    def f(x):
        return np.abs(x) * x

    assert tracegrad.hessian(f)(0.5) == 2.0
    assert tracegrad.hessian(f)(-0.5) == -2.0
    assert tracegrad.hessian(f)(np.float64(0.5)) == 2.0


def test_prod_away_from_zeros_costs_what_it_did():
    """The zeros are counted only in a branch taken where a product is 0; otherwise the
    gradient is prod / x, one division, as before."""
    text = tracegrad.grad(prod).source(X)
    branch, otherwise = text.split("else:")
    assert "    if " in branch and "x == 0" in branch
    assert re.match(r"\s+\w+ = \w+ / x  #", otherwise.split("\n")[1])
