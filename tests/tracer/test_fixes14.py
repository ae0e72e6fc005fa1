"""Issue 14's small gaps: the Python-float path of the new ufuncs, 0-d result kinds, list
operands holding tracers, the emission of np.all / np.any, and the ndarray method x.trace()."""

import warnings

import numpy as np
import pytest

import tracegrad

UNARY_MATH = [
    (np.log2, "log2", 3.0),
    (np.log10, "log10", 3.0),
    (np.exp2, "exp2", -1.5),
    (np.cbrt, "cbrt", -2.0),
    (np.fabs, "fabs", -2.0),
    (np.arcsinh, "asinh", -0.7),
    (np.arccosh, "acosh", 1.7),
    (np.arctanh, "atanh", 0.3),
    (np.deg2rad, "radians", 30.0),
    (np.radians, "radians", 30.0),
    (np.rad2deg, "degrees", 0.5),
    (np.degrees, "degrees", 0.5),
]
BINARY_MATH = [(np.hypot, "hypot"), (np.copysign, "copysign"), (np.fmod, "fmod")]


@pytest.mark.parametrize(("ufunc", "name", "x"), UNARY_MATH)
def test_new_unary_ufuncs_compute_with_python_floats(ufunc, name, x):
    compiled = tracegrad.jit(lambda x: ufunc(x) * 2.0)
    assert f"math.{name}(x)" in compiled.source(x)
    result = compiled(x)
    assert type(result) is np.float64
    np.testing.assert_allclose(result, ufunc(np.float64(x)) * 2.0, rtol=1e-15)


@pytest.mark.parametrize(("ufunc", "name"), BINARY_MATH)
def test_new_binary_ufuncs_compute_with_python_floats(ufunc, name):
    compiled = tracegrad.jit(lambda x, y: ufunc(x, y) + 1.0)
    assert f"math.{name}(x, y)" in compiled.source(5.5, -2.0)
    np.testing.assert_allclose(compiled(5.5, -2.0), ufunc(5.5, -2.0) + 1.0, rtol=1e-15)


@pytest.mark.parametrize(
    ("ufunc", "args"),
    [
        (np.log2, (-1.0,)),
        (np.log10, (0.0,)),
        (np.arccosh, (0.5,)),
        (np.arctanh, (1.0,)),
        (np.exp2, (2000.0,)),
        (np.fmod, (1.0, 0.0)),
        (np.fmod, (np.inf, 2.0)),
    ],
)
def test_where_math_raises_the_result_is_numpys_nan_or_inf(ufunc, args):
    compiled = tracegrad.jit(lambda *xs: ufunc(*xs))
    assert "import math" in compiled.source(*(np.float64(x) for x in args))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = compiled(*(np.float64(x) for x in args))
        reference = ufunc(*(np.float64(x) for x in args))
    np.testing.assert_array_equal(ours, reference)
    assert type(ours) is type(reference)


@pytest.mark.parametrize("value", [0.5, np.nan, np.inf, -np.inf])
def test_float_predicates_give_numpy_bools_on_the_python_float_path(value):
    def f(x):
        return np.isnan(x), np.isinf(x), np.isfinite(x), x * np.isfinite(x) + 1.0

    compiled = tracegrad.jit(f)
    source = compiled.source(np.float64(value))
    assert "math.isnan(x)" in source and "math.isfinite(x)" in source
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours, reference = compiled(np.float64(value)), f(np.float64(value))
    for got, expected in zip(ours, reference, strict=True):
        assert type(got) is type(expected)
        np.testing.assert_array_equal(got, expected)


def test_bools_never_meet_arithmetic_that_python_computes_differently():
    """NumPy's bool + bool is a logical or (a bool), Python's is the int 2: NumPy code."""
    source = tracegrad.jit(lambda x: np.isnan(x) + np.isinf(x)).source(1.0)
    assert "import math" not in source


ZERO_D = [np.array(1.5), np.float64(1.5), 1.5]


def same_kind(fn, *args):
    ours, reference = tracegrad.jit(fn)(*args), fn(*args)
    assert type(ours) is type(reference), (type(ours), type(reference))
    np.testing.assert_array_equal(ours, reference)
    assert np.result_type(ours) == np.result_type(reference)


@pytest.mark.parametrize("x", ZERO_D, ids=["array", "numpy_scalar", "python"])
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.positive(x),
        lambda x: np.conj(x),
        lambda x: np.conjugate(x),
        lambda x: np.imag(x),
        lambda x: np.real(x),
        lambda x: np.imag(np.sin(x)),
        lambda x: np.imag(np.reshape(x, ())),
        lambda x: np.flip(x),
        lambda x: np.nan_to_num(x),
        lambda x: np.nanmax(x),
        lambda x: np.median(x),
        lambda x: np.quantile(x, 0.3),
        lambda x: np.zeros_like(x),
        lambda x: np.full_like(x, 2.0),
        lambda x: np.copy(x),
        lambda x: np.array(x),
        lambda x: np.pad(x, 1),
        lambda x: np.tensordot(x, x, axes=0),
    ],
)
def test_0d_results_are_the_kind_numpy_gives(fn, x):
    """A NumPy scalar where NumPy's function gives one, a 0-d array where it gives that."""
    same_kind(fn, x)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.median(x),
        lambda x: np.percentile(x, 30.0),
        lambda x: np.nanmin(x),
        lambda x: np.nanvar(x, ddof=1),
        lambda x: np.tensordot(x, x, axes=1),
    ],
)
def test_0d_results_of_arrays_are_the_kind_numpy_gives(fn):
    same_kind(fn, np.arange(5.0))


def test_a_numpy_scalar_result_reads_as_one_at_the_return_only():
    source = tracegrad.jit(lambda x: np.median(x) * 2 + np.median(x)).source(np.ones(5))
    assert "[()]" not in source  # the sum is a ufunc's result, a scalar already
    assert tracegrad.jit(lambda x: np.median(x)).source(np.ones(5)).count("[()]") == 1


def lists_in_ufuncs(x, a):
    return (
        x * [a, 1.0],
        np.add(x, (a, 1.0)),
        [a, 2] - x,
        np.maximum([[a], [x[0]]], x),
        np.where(x > 0, [a, 1.0], 0.0),
    )


def test_lists_holding_traced_values_are_arrays_in_ufuncs():
    x = np.array([0.5, 2.0])
    ours, reference = tracegrad.jit(lists_in_ufuncs)(x, 3.0), lists_in_ufuncs(x, 3.0)
    for got, expected in zip(ours, reference, strict=True):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def test_the_gradient_flows_through_a_list_operand():
    gradient = tracegrad.grad(lambda x, a: np.sum(x * [a, a * a]), argnums=(0, 1))
    dx, da = gradient(np.array([0.5, 2.0]), 3.0)
    np.testing.assert_allclose(dx, [3.0, 9.0])
    np.testing.assert_allclose(da, 0.5 + 2.0 * 2 * 3.0)


def test_a_float32_value_in_a_list_is_promoted_as_numpy_promotes_the_list():
    x = np.ones(2, np.float32)
    ours = tracegrad.jit(lambda x, a: x * [a, 1.0])(x, np.float32(2.0))
    assert ours.dtype == (x * [np.float32(2.0), 1.0]).dtype


def test_a_ragged_list_operand_raises_np_arrays_trace_error():
    with pytest.raises(tracegrad.TraceError, match="different shapes") as error:
        tracegrad.jit(lambda x: np.add(x, [x, [1.0]]))(np.ones(2))
    assert "test_fixes14.py" in str(error.value)


def truth_reductions(m):
    ok = np.all(m, axis=1)
    seen = np.any(m > 0)
    return ok, seen, m.all(), np.max(m * 1.0)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_np_all_and_any_are_emitted_as_all_and_any(backend):
    m = np.array([[True, False, True], [True, True, True]])
    compiled = tracegrad.jit(truth_reductions, backend=backend)
    source = compiled.source(m)
    assert "ok = m.all(axis=1)" in source and ".any()" in source and "all_1 = m.all()" in source
    assert ".min(" not in source and ".max()" in source  # a max of floats stays a max
    for got, expected in zip(compiled(m), truth_reductions(m), strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_the_ndarray_method_trace_is_np_trace(backend):
    x = np.arange(12.0).reshape(3, 4)
    compiled = tracegrad.jit(lambda x: x.trace() + x.trace(offset=1), backend=backend)
    np.testing.assert_allclose(compiled(x), x.trace() + x.trace(offset=1))
    gradient = tracegrad.grad(lambda x: x.trace(offset=-1) * 2.0)(x)
    np.testing.assert_array_equal(gradient, 2.0 * np.eye(3, 4, k=-1))
