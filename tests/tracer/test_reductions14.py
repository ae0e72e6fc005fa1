"""Issue 14's reductions and statistics where the operation table cannot look: NumPy's dtypes
and corner cases (all-NaN slices, ddof past the count, empty axes, 0-d values), ties, the
errors (each naming the user's line), and the emitted text."""

import inspect
import os
import warnings

import numpy as np
import pytest

import tracegrad

X = np.array([[0.5, -0.9, 1.8], [-1.9, 1.2, 1.6]])
NAN = np.array([[np.nan, 1.0, np.nan], [np.nan, 2.0, 3.0]])  # column 0 all NaN


def jitted(fn, *args):
    return tracegrad.jit(fn)(*args)


def same(ours, numpys) -> None:
    """Values, shapes and dtypes exactly NumPy's (NaN where NumPy gives NaN)."""
    ours, numpys = np.asarray(ours), np.asarray(numpys)
    assert ours.dtype == numpys.dtype and ours.shape == numpys.shape
    np.testing.assert_allclose(ours, numpys, rtol=1e-12)


def numpy_quietly(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # All-NaN slice, degrees of freedom
        return fn(*args)


# --- dtypes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.count_nonzero(x),
        lambda x: np.count_nonzero(x > 0, axis=1, keepdims=True),
        lambda x: np.all(x > 0, where=np.array([True, False, True])),
        lambda x: np.any(x, axis=0),
        lambda x: np.mean(x.astype(np.int32), axis=0),
        lambda x: np.nansum(x.astype(np.int8)),
        lambda x: np.nanmean(x.astype(np.float32), axis=1),
        lambda x: np.nanvar(x.astype(np.float32), ddof=1),
        lambda x: np.nanmax(x.astype(np.int64), axis=0),
        lambda x: np.sum(x.astype(np.int32), initial=1.5),  # initial cast to the int result
        lambda x: np.max(x > 0, initial=0),  # a bool max, initial False
        lambda x: np.sum(x, dtype=np.float32),
        lambda x: np.prod(x.astype(np.int16), axis=0, dtype=np.int8),
        lambda x: np.average(x.astype(np.int64), axis=0, weights=[1, 2]),
        lambda x: np.ptp(x.astype(np.int32), axis=1),
        lambda x: np.diff(x > 0),
        lambda x: np.diff(x.astype(np.int32), prepend=0),
        lambda x: np.ediff1d(x.astype(np.float32), to_begin=[np.float64(2.5)]),
        lambda x: np.isnan(x.astype(np.int32)),
        lambda x: np.nan_to_num(x.astype(np.int32)),
        lambda x: np.nan_to_num(np.where(x > 1.5, np.inf, x).astype(np.float32)),
    ],
)
def test_result_types_are_numpys(fn):
    same(jitted(fn, X), fn(X))


def test_zero_d_values_and_python_scalars():
    value = np.array(2.5)
    for fn in (np.nansum, np.nanmax, np.count_nonzero, np.isfinite, np.nan_to_num, np.ptp):
        same(jitted(fn, value), fn(value))
    same(tracegrad.jit(lambda x: np.nanmean(x[0, 0]))(X), np.nanmean(X[0, 0]))
    for fn in (np.isnan, np.nanmax, np.nan_to_num, np.count_nonzero):  # a Python float input
        same(jitted(fn, 2.5), fn(2.5))


# --- NaN corner cases --------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.nanmax(x, axis=0),
        lambda x: np.nanmin(x, axis=0, keepdims=True),
        lambda x: np.nanmean(x, axis=0),
        lambda x: np.nanvar(x, axis=0),
        lambda x: np.nanvar(x, axis=0, ddof=2),  # column 1 keeps 2 numbers: ddof 2 is NaN
        lambda x: np.nanstd(x, axis=1, ddof=1),
        lambda x: np.nanmax(x, axis=0, initial=-5.0),  # initial fills an all-NaN column
        lambda x: np.nansum(x, axis=0),
        lambda x: np.nanprod(x, axis=0),
        lambda x: np.nan_to_num(x, nan=-1.0),
    ],
)
def test_all_nan_slices_give_numpys_nan_and_no_error(fn):
    same(numpy_quietly(jitted, fn, NAN), numpy_quietly(fn, NAN))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.nanmax(x, axis=0),
        lambda x: np.nanmean(x, axis=0),
        lambda x: np.nanvar(x, axis=0, ddof=2),
        lambda x: np.nanstd(x, axis=0, ddof=2),
    ],
)
def test_gradients_are_zero_at_nans_and_on_nan_results(fn):
    """A NaN element gets no derivative, nor does a slice whose result is NaN (no 0 / 0)."""

    def loss(x):
        result = fn(x)
        return np.sum(np.where(np.isnan(result), 0.0, result))

    gradient = numpy_quietly(tracegrad.grad(loss), NAN)  # the primal warns as NumPy's does
    assert np.all(np.isfinite(gradient))
    assert np.all(gradient[np.isnan(NAN)] == 0)


def test_ddof_past_the_count_is_nan_for_nanvar_and_inf_for_var():
    two = np.array([1.0, 2.0])
    for fn in (lambda x: np.nanvar(x, ddof=3), lambda x: np.var(x, ddof=3)):
        same(numpy_quietly(jitted, fn, two), numpy_quietly(fn, two))


def test_nan_to_num_derivative_is_one_where_finite_and_zero_where_replaced():
    x = np.array([0.5, np.nan, np.inf, -np.inf, -2.0])
    gradient = tracegrad.grad(lambda v: np.sum(np.nan_to_num(v, posinf=9.0) * 3.0))(x)
    np.testing.assert_array_equal(gradient, [3.0, 0.0, 0.0, 0.0, 3.0])


def test_predicates_carry_no_derivative():
    gradient = tracegrad.grad(lambda v: np.sum(np.where(np.isfinite(v), v * v, 0.0)))(X)
    np.testing.assert_allclose(gradient, 2 * X)


# --- ties, where= and initial= -----------------------------------------------------------


def test_max_ties_split_as_max_does_with_nans_and_initial():
    x = np.array([1.0, np.nan, 1.0, 0.5])
    np.testing.assert_allclose(tracegrad.grad(lambda v: np.nanmax(v))(x), [0.5, 0, 0.5, 0])
    # initial ties with the maximum: the constant takes half
    y = np.array([1.0, 0.5])
    np.testing.assert_allclose(tracegrad.grad(lambda v: np.max(v, initial=1.0))(y), [0.5, 0])
    np.testing.assert_allclose(tracegrad.grad(lambda v: np.max(v, initial=2.0))(y), [0, 0])


def test_where_and_initial_on_every_reduction():
    mask = np.array([[True, False, True], [False, True, True]])
    cases = [
        lambda x: np.sum(x, axis=0, where=mask, initial=1.0),
        lambda x: np.prod(x, where=x > 0, keepdims=True),
        lambda x: np.min(x, axis=1, where=mask, initial=5.0),
        lambda x: np.mean(x, axis=1, where=x > 0),  # a traced mask: a traced count
        lambda x: np.var(x, where=mask, ddof=1),
        lambda x: np.std(x, axis=0, where=mask, correction=0),
        lambda x: np.nanmean(x, where=mask),
        lambda x: np.any(x > 1, axis=0, where=mask[0]),
    ]
    for fn in cases:
        same(jitted(fn, X), fn(X))


def test_max_over_an_empty_axis_with_initial_is_initial():
    empty = np.ones((0, 3))
    same(jitted(lambda x: np.max(x, axis=0, initial=2.0), empty), np.max(empty, 0, initial=2.0))


# --- average, diff, ediff1d --------------------------------------------------------------


def test_average_returned_gives_numpys_sum_of_weights():
    weights = np.array([1.0, 3.0])
    for fn in (
        lambda x: np.average(x, axis=0, weights=weights, returned=True),
        lambda x: np.average(x, axis=1, returned=True),
        lambda x: np.average(x, returned=True),
        lambda x: np.average(x, axis=(1, 0), weights=X.T * X.T + 1, returned=True),
    ):
        for ours, numpys in zip(jitted(fn, X), fn(X), strict=True):
            same(ours, numpys)


def test_average_gradient_in_the_weights():
    weights = np.array([1.0, 2.0, 3.0])
    gradient = tracegrad.grad(lambda w: np.average(X[0], weights=w))(weights)
    expected = (X[0] - np.average(X[0], weights=weights)) / weights.sum()
    np.testing.assert_allclose(gradient, expected)


def test_diff_of_higher_order_and_along_axes():
    for fn in (
        lambda x: np.diff(x, n=3, axis=1),  # longer than the axis: empty, as NumPy
        lambda x: np.diff(x, n=0),
        lambda x: np.diff(x, axis=0, append=x[:1]),
        lambda x: np.diff(x, prepend=[[0.0], [1.0]]),
        lambda x: np.ediff1d(x, to_end=[1, 2]),
    ):
        same(jitted(fn, X), fn(X))


# --- errors ------------------------------------------------------------------------------

BASENAME = os.path.basename(__file__)
MARKER = "# ERROR"


def expect(fn, *args, hint: str, fragment: str) -> None:
    """The TraceError names fn's marked line, says `fragment` and hints `hint`."""
    lines, start = inspect.getsourcelines(fn)
    (line,) = [start + i for i, text in enumerate(lines) if MARKER in text]
    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.jit(fn)(*args)
    message = str(caught.value)
    assert message.startswith(f"{__file__}:{line}: "), message
    assert fragment in message and hint in message.splitlines()[-1], message


def test_max_with_where_needs_initial():
    def f(x):
        return np.max(x, where=x > 0)  # ERROR

    expect(f, X, fragment="needs initial=", hint="initial=")


def test_where_must_be_a_boolean_mask_of_a_broadcasting_shape():
    def integers(x):
        return np.sum(x, where=np.array([1, 0, 1]))  # ERROR

    def too_big(x):
        return np.mean(x[0], where=np.ones((2, 3), bool))  # ERROR

    expect(integers, X, fragment="boolean mask", hint="where=x > 0")
    expect(too_big, X, fragment="does not broadcast", hint="mask")


def test_initial_must_be_a_number():
    def traced(x):
        return np.sum(x, initial=x[0, 0])  # ERROR

    def text(x):
        return np.max(x, initial="low")  # ERROR

    expect(traced, X, fragment="takes a number", hint="np.maximum")
    expect(text, X, fragment="not a value of dtype", hint="number")


def test_ddof_and_correction_together_and_traced_ddof():
    def both(x):
        return np.var(x, ddof=1, correction=1)  # ERROR

    def traced(x):
        return np.nanstd(x, ddof=x[0, 0])  # ERROR

    expect(both, X, fragment="cannot both be given", hint="one of them")
    expect(traced, X, fragment="ddof must be a number", hint="ddof=1")


def test_diff_refusals():
    def zero_d(x):
        return np.diff(x[0, 0])  # ERROR

    def negative(x):
        return np.diff(x, n=-1)  # ERROR

    expect(zero_d, X, fragment="at least one dimension", hint="np.atleast_1d")
    expect(negative, X, fragment="non-negative integer", hint="n=1")


def test_ediff1d_refuses_an_unsafe_to_begin():
    def f(x):
        return np.ediff1d(x.astype(np.int64), to_begin=0.5)  # ERROR

    expect(f, X, fragment="does not convert", hint="astype")


def test_average_refusals():
    def no_axis(x):
        return np.average(x, weights=np.ones(3))  # ERROR

    def wrong_length(x):
        return np.average(x, axis=1, weights=np.ones(2))  # ERROR

    def zero_sum(x):
        return np.average(x, axis=0, weights=np.array([1.0, -1.0]))  # ERROR

    expect(no_axis, X, fragment="needs the axis", hint="axis=")
    expect(wrong_length, X, fragment="do not match", hint="one weight")
    expect(zero_sum, X, fragment="sum to zero", hint="nonzero sum")


def test_nan_functions_refuse_an_integer_dtype_for_floats_and_copy_false():
    def integer_mean(x):
        return np.nanmean(x, dtype=np.int64)  # ERROR

    def in_place(x):
        return np.nan_to_num(x, copy=False)  # ERROR

    expect(integer_mean, X, fragment="floating dtype", hint="float dtype")
    expect(in_place, X, fragment="copy=False", hint="x = np.nan_to_num(x)")


# --- emitted text ------------------------------------------------------------------------


def test_the_predicates_emit_numpys_and_jaxs_own_calls():
    def f(x):
        return np.sum(np.where(np.isnan(x) | np.isinf(x), 0.0, x))

    assert "np.isnan(x)" in tracegrad.jit(f).source(X)
    assert "np.isinf(x)" in tracegrad.jit(f).source(X)
    pytest.importorskip("jax")
    assert "jnp.isnan(x)" in tracegrad.jit(f, backend="jax").source(X)


def test_where_keyword_emits_a_select_and_initial_a_maximum():
    def f(x):
        return np.max(x, axis=0, initial=0.5) + np.sum(x, axis=0, where=x > 0)

    source = tracegrad.jit(f).source(X)
    assert "np.maximum(x.max(axis=0), 0.5)" in source, source
    assert "np.where(x > 0, x, 0)" in source, source


def test_nanmax_with_where_needs_initial_under_its_own_name():
    def f(x):
        return np.nanmax(x, axis=0, where=x > 0)  # ERROR

    expect(f, X, fragment="np.nanmax(..., where=...) needs initial=", hint="initial=")


def test_booleans_have_no_range_as_in_numpy():
    def f(x):
        return np.ptp(x > 0)  # ERROR

    with pytest.raises(TypeError):
        np.ptp(X > 0)
    with pytest.raises(tracegrad.TracegradError) as caught:
        tracegrad.jit(f)(X)
    assert "subtract" in str(caught.value)


def test_add_reduce_takes_where_as_sum_does():
    fn = lambda x: np.add.reduce(x, where=x > 0, keepdims=True)  # noqa: E731
    same(jitted(fn, X), fn(X))


def test_ediff1d_of_booleans_is_refused_as_numpy_refuses_it():
    def f(x):
        return np.ediff1d(np.array([True, False]), to_begin=x[0, :1])  # ERROR

    expect(f, X, fragment="booleans", hint="astype(int)")


def test_average_takes_constant_weights_as_a_list():
    x = np.array([[0.5, 1.5], [2.0, -1.0]])
    fn = lambda v: np.average(v, axis=1, weights=[1.0, 3.0])  # noqa: E731
    np.testing.assert_allclose(tracegrad.jit(fn)(x), fn(x))
    np.testing.assert_allclose(tracegrad.grad(lambda v: np.sum(fn(v)))(x), [[0.25, 0.75]] * 2)


def test_gradient_and_trapezoid_agree_with_numpy_to_the_last_bit_and_refuse_clearly():
    f = np.random.default_rng(3).normal(size=(4, 5))
    for fn in (
        lambda v: np.gradient(v, 0.5, edge_order=2, axis=0),
        lambda v: np.gradient(v)[1],
        lambda v: np.trapezoid(v, x=np.linspace(0.0, 1.0, 5) ** 2),
    ):
        np.testing.assert_array_equal(tracegrad.jit(fn)(f), fn(f))
    # d/df_j of sum(gradient(f)) along a vector of 5 points, edge_order 1, by hand
    by_hand = np.array([-1.5, 0.5, 0.0, -0.5, 1.5])
    np.testing.assert_allclose(tracegrad.grad(lambda v: np.sum(np.gradient(v)))(f[0]), by_hand)
    for fn, fragment in (
        (lambda v: np.gradient(v, np.array([0.0, 1.0, 3.0, 4.0, 9.0]), axis=1), "unevenly"),
        (lambda v: np.gradient(v, edge_order=3), "edge_order=3"),
        (lambda v: np.gradient(v[:1], axis=0), "too few"),
    ):
        with pytest.raises(tracegrad.TraceError, match=fragment):
            tracegrad.jit(fn)(f)
