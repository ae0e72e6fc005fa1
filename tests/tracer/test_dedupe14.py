"""The helpers issue 14's families now share (statistics' root_of and squared_deviations,
np.take_along_axis in the sort decompositions, diagonal_offset, promoted_dtype, in_dtype):
what each caller kept of its own (names in errors, signatures, dtypes), where the table
does not look."""

import inspect
import warnings

import numpy as np
import pytest

import tracegrad
import tracegrad.numpy as tnp

X = np.array([[0.5, -0.9, 1.8], [-1.9, 1.2, 1.6]])
NAN = np.array([[np.nan, 1.0, 0.25], [np.nan, 2.0, 3.0]])


def test_the_deviations_take_their_variances_signatures_as_numpy_does():
    for deviation, variance in ((tnp.std, tnp.var), (tnp.nanstd, tnp.nanvar)):
        assert inspect.signature(deviation) == inspect.signature(variance)
        numpys = inspect.signature(deviation.numpy_function).parameters
        assert list(inspect.signature(deviation).parameters) == list(numpys)


@pytest.mark.parametrize("name", ["std", "nanstd"])
def test_a_deviation_names_itself_when_it_refuses_out(name):
    function = getattr(np, name)

    def f(x):
        return function(x, out=x)

    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.jit(f)(X)
    assert f"np.{name}(..., out=...)" in str(caught.value)


@pytest.mark.parametrize("data", [X, NAN])
def test_keyword_only_arguments_reach_the_variance(data):
    def f(x):
        mean = np.nanmean(x, axis=1, keepdims=True)
        return (
            np.nanstd(x, 1, None, None, 1, True, mean=mean),
            np.std(x, axis=0, correction=1),
            x.std(0, None, None, 1),
        )

    ours = tracegrad.jit(f)(data)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # the all-NaN column's mean
        numpys = f(data)
    for got, want in zip(ours, numpys, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_sort_and_partition_gradients_go_back_through_their_permutation():
    x3 = np.arange(24.0).reshape(2, 3, 4)[:, ::-1] * np.array([1.0, -1.0, 0.5, 2.0])
    weights = np.linspace(0.5, 2.0, 24).reshape(2, 3, 4)
    for fn in (
        lambda x: np.sum(np.sort(x, axis=1) * weights),
        lambda x: np.sum(np.partition(x, 1, axis=1) * weights),
    ):
        expected = np.zeros_like(x3)
        order = np.argsort(x3, axis=1) if "sort" in str(fn) else np.argpartition(x3, 1, axis=1)
        np.put_along_axis(expected, order, weights, axis=1)
        np.testing.assert_allclose(tracegrad.grad(fn)(x3), expected)


def test_searchsorted_indexes_by_a_constant_sorter_and_checks_it():
    a = np.array([3.0, 1.0, 2.0])
    sorter = [1, 2, 0]
    ours = tracegrad.jit(lambda v: np.searchsorted(a, v, sorter=sorter))(np.array([1.5, 9.0]))
    np.testing.assert_array_equal(ours, np.searchsorted(a, [1.5, 9.0], sorter=sorter))
    with pytest.raises(tracegrad.TracegradError):
        tracegrad.jit(lambda x: np.searchsorted(x, 2.0, sorter=[0, 1, 5]))(a)


@pytest.mark.parametrize("function", [np.diag, np.diagflat, np.tril, np.triu])
def test_each_diagonal_function_names_itself_for_a_non_integer_k(function):
    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.jit(lambda x: function(x, 1.5))(X)
    assert f"np.{function.__name__}'s k must be an int, not float" in str(caught.value)


def test_promoted_dtypes_keep_python_scalars_weak():
    x32 = X.astype(np.float32)
    cases = [
        lambda x: np.select([x > 0], [x], default=1),
        lambda x: np.choose(np.array([0, 1, 0]), [x, 2.0]),
        lambda x: np.concatenate([x, 1.5], axis=None),
        lambda x: np.clip(x, 0, 1),
        lambda x: np.linspace(x[0, 0], 2, 3),
    ]
    for fn in cases:
        ours, numpys = tracegrad.jit(fn)(x32), fn(x32)
        assert ours.dtype == numpys.dtype == np.float32
        np.testing.assert_allclose(ours, numpys, rtol=1e-6)
