"""Minimal programs for what the differential fuzz test found (tests/fuzz/test_differential.py).

Each found bug stays here as a test once fixed (a strict xfail while it is open). The other
tests pin down a refusal the fuzz generator relies on: tracegrad says clearly, at the user's
line, what to write instead.
"""

from __future__ import annotations

import numpy as np
import pytest

import tracegrad
from tracegrad import TraceError


def here(fn) -> int:
    """The line of `fn`'s body (the functions below are one-liners)."""
    return fn.__code__.co_firstlineno + 1


# --- result types: 0-d results are NumPy scalars or 0-d arrays exactly as NumPy's -----------


def mean_keepdims(x):
    return np.mean(x, keepdims=True)


def sum_all(x):
    return x.sum()


def tanh_and_input(x):
    return np.tanh(x), x


def last_element(x):
    return x[..., -1]


def check_result_types(fn, x) -> None:
    expected = fn(x)
    ours = tracegrad.jit(fn)(x)
    expected, ours = (expected, ours) if isinstance(expected, tuple) else ((expected,), (ours,))
    assert [type(o) for o in ours] == [type(e) for e in expected]


@pytest.mark.parametrize(
    ("fn", "x"),
    [
        pytest.param(mean_keepdims, np.array(0.5, np.float32), id="mean-keepdims-of-0d"),
        pytest.param(sum_all, np.array(0.5), id="sum-of-0d"),
        pytest.param(last_element, np.ones(3), id="ellipsis-int-index-of-1d"),
    ],
)
def test_zero_d_result_types_are_numpys(fn, x):
    check_result_types(fn, x)


def tanh_and_transposed_input(x):
    return np.tanh(x), x.T


def tanh_and_ellipsis_of_input(x):
    return np.tanh(x), x[...]


@pytest.mark.parametrize(
    "fn", [tanh_and_input, tanh_and_transposed_input, tanh_and_ellipsis_of_input]
)
@pytest.mark.parametrize("x", [np.array(0.5), np.float64(0.5)], ids=["0d-array", "np-scalar"])
def test_zero_d_argument_returned_beside_another_result_keeps_its_type(fn, x):
    check_result_types(fn, x)


def transpose_of(x):
    return np.transpose(x)


def squeeze_of(x):
    return np.squeeze(x)


def broadcast_to_0d(x):
    return np.broadcast_to(x, ())


@pytest.mark.parametrize("fn", [transpose_of, squeeze_of, broadcast_to_0d])
def test_shape_function_of_a_python_float_is_a_zero_d_array(fn):
    check_result_types(fn, 1.5)


# --- gradients --------------------------------------------------------------------------------


def prod_of_difference(z):
    return np.prod(z - z)


@pytest.mark.parametrize("z", [1.8, np.array([1.8])], ids=["python-float", "array"])
def test_prod_gradient_at_an_exact_zero_is_finite(z):
    """Found by the fuzz test (NaN, the VJP divided out by x); fixed on main by adrules."""
    with np.errstate(invalid="ignore"):
        d_z = tracegrad.grad(prod_of_difference)(z)
    np.testing.assert_array_equal(d_z, np.zeros_like(z))  # d/dz (z - z) = 0


# --- refusals the generator relies on (it leaves these forms out) ------------------------


BOUND_ASARRAY = np.asarray  # bound before tracing: NumPy's own, which needs the value


def asarray_with_dtype(x):
    return BOUND_ASARRAY(x, dtype=np.float32)


def numpy_scalar_of(x):
    return np.float32(x)


def newaxis_beside_index_array(x):
    return x[None, np.array([0, 1])]


@pytest.mark.parametrize(
    ("fn", "x"),
    [
        (asarray_with_dtype, np.array(0.5)),
        (numpy_scalar_of, np.array(0.5)),
    ],
)
def test_unsupported_forms_are_refused_at_the_users_line(fn, x):
    with pytest.raises(TraceError) as caught:
        tracegrad.jit(fn)(x)
    assert caught.value.loc is not None and caught.value.loc.line == here(fn)
    assert caught.value.loc.file == __file__ and caught.value.hint


def test_newaxis_beside_an_index_array_is_traced_now():
    """Refused until issue 14: the new axis goes where NumPy puts it."""
    x = np.arange(3.0)
    np.testing.assert_array_equal(tracegrad.jit(newaxis_beside_index_array)(x), x[None, [0, 1]])


@pytest.mark.parametrize("fn", [asarray_with_dtype, numpy_scalar_of])
def test_dtype_conversion_refusal_suggests_astype(fn):
    with pytest.raises(TraceError) as caught:
        tracegrad.jit(fn)(np.array(0.5))
    assert "x.astype(np.float32)" in caught.value.hint
    assert "np.asarray is not needed" not in caught.value.hint


def where_of_equal_branches(y):
    return np.where(y > 0, y * 2, y * 2)


def test_where_of_equal_zero_d_branches_is_a_zero_d_array():
    check_result_types(where_of_equal_branches, np.array(-0.65))
