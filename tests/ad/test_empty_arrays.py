"""Empty operands: values, gradients, their shapes and dtypes agree with NumPy (and jax.grad of
the same source) on both backends, for the common operations: elementwise, reductions over
axes, matmul/dot/outer/einsum, reshape and indexing."""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad

E03 = np.zeros((0, 3))
E20 = np.zeros((2, 0))
E0 = np.zeros(0)
FULL = np.arange(6.0).reshape(2, 3) + 1


def on_jax(fn: Callable) -> Callable:
    return types.FunctionType(
        fn.__code__, {**fn.__globals__, "np": jnp}, fn.__name__, fn.__defaults__, fn.__closure__
    )


@pytest.fixture(autouse=True)
def jax_x64() -> Iterator[None]:
    with jax.enable_x64(True):  # restores the previous setting after the block
        yield


# Each function of one array argument, with the (possibly empty) argument it is called on.
def times_two(x):
    return x * 2


def exp_plus_row(x):
    return np.exp(x) + np.ones(3)


def broadcast_column(x):
    return x * np.ones((4, 1, 1))


def sum_rows(x):
    return np.sum(x, axis=0)


def sum_columns_kept(x):
    return np.sum(x, axis=1, keepdims=True)


def mean_rows(x):
    return np.mean(x, axis=0)


def max_rows(x):
    return np.max(x, axis=0)


def prod_over_empty_axis(x):
    return np.prod(x, axis=1)


def matmul_empty_constant(x):
    return x @ np.zeros((0, 1))


def matmul_of_empty_slices(x):
    return x[:, :0] @ x[:0, :]


def matmul_empty_by_full(x):
    return x[:0] @ x.T


def vector_dot_empty(x):
    return np.dot(x[0, :0], x[1, :0])


def outer_of_empty_slice(x):
    return np.outer(x[0, :0], x[1])


def einsum_empty(x):
    return np.einsum("ij,kj->ik", x[:, :0], x[:, :0])


def reshape_empty(x):
    return np.reshape(x, (3, 0, 1))


def index_empty_rows(x):
    return x[1:, :]


def index_past_the_end(x):
    return x[5:, 1]


CASES = [
    (times_two, E03),
    (exp_plus_row, E03),
    (broadcast_column, E03),
    (sum_rows, E03),
    (sum_columns_kept, E03),
    (mean_rows, E03),
    (max_rows, E20),
    (prod_over_empty_axis, E20),
    (matmul_empty_constant, E20),
    (matmul_of_empty_slices, FULL),
    (matmul_empty_by_full, FULL),
    (vector_dot_empty, FULL),
    (outer_of_empty_slice, FULL),
    (einsum_empty, FULL),
    (reshape_empty, E03),
    (index_empty_rows, E03),
    (index_past_the_end, FULL),
]
IDS = [fn.__name__ for fn, _ in CASES]


def assert_same_array(actual, expected) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert (actual.shape, actual.dtype) == (expected.shape, expected.dtype)
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("fn, x", CASES, ids=IDS)
def test_values_match_numpy(fn, x, backend):
    expected = fn(x)
    assert_same_array(tracegrad.jit(fn, backend=backend)(x), expected)


def total(fn: Callable) -> Callable:
    def loss(x):
        return np.sum(fn(x) * 3.0)

    return loss


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("fn, x", CASES, ids=IDS)
def test_gradients_have_the_argument_shape_and_match_jax(fn, x, backend):
    loss = total(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a mean over nothing is nan
        expected = np.asarray(jax.grad(on_jax(total(on_jax(fn))))(x))
    gradient = tracegrad.jit(tracegrad.grad(loss), backend=backend)(x)
    assert_same_array(gradient, expected)
    assert np.asarray(gradient).shape == x.shape


def test_the_reported_cases():
    gradient = tracegrad.grad(lambda x: np.sum(x * 2))(E03)
    assert gradient.shape == (0, 3)
    assert tracegrad.jit(lambda x: x @ np.zeros((0, 1)))(E20).shape == (2, 1)
    assert tracegrad.grad(lambda x: np.sum(np.outer(x[:0], x)))(np.ones(3)).shape == (3,)


def test_the_emitted_constant_keeps_its_shape():
    source = tracegrad.grad(lambda x: np.sum(x * 2)).source(E03)
    assert "np.zeros((0, 3))" in source
    assert "np.array([])" not in source


def test_vjp_and_jvp_of_empty_values():
    out, pullback = tracegrad.vjp(times_two, E03)
    assert out.shape == (0, 3)
    assert_same_array(pullback(E03)[0], E03)
    value, tangent = tracegrad.jvp(sum_rows, (E03,), (E03,))
    assert_same_array(value, np.zeros(3))
    assert_same_array(tangent, np.zeros(3))
    assert tracegrad.hessian(lambda x: np.sum(x * x))(E0).shape == (0, 0)


def test_reducing_an_empty_axis_without_identity_is_an_error_at_the_users_line():
    with pytest.raises(tracegrad.TracegradError, match=r"test_empty_arrays\.py"):
        tracegrad.jit(lambda x: np.max(x, axis=1))(E20)
    with pytest.raises(ValueError):
        np.max(E20, axis=1)  # NumPy refuses it too


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("fn", [times_two, sum_rows, matmul_empty_by_full, index_empty_rows])
def test_float32_empty_values_and_gradients_keep_their_dtype(fn, backend):
    x = np.ones((2, 3), np.float32) if fn is matmul_empty_by_full else E03.astype(np.float32)
    assert_same_array(tracegrad.jit(fn, backend=backend)(x), fn(x))
    gradient = tracegrad.jit(tracegrad.grad(total(fn)), backend=backend)(x)
    assert_same_array(gradient, np.zeros_like(x) if x.size == 0 else gradient)
    assert (gradient.shape, gradient.dtype) == (x.shape, np.float32)
