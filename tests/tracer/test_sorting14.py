"""Sorting and order statistics: hand-derived gradients, NumPy's corner cases (NaN, inf,
dtypes, ties), the errors, and what the emitted code reads like."""

import numpy as np
import pytest

import tracegrad
from tracegrad import TraceError

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 6))
V = RNG.normal(size=7)


def test_gradient_of_a_sort_goes_back_through_the_permutation():
    w = np.arange(1.0, 8.0)
    gradient = tracegrad.grad(lambda v: np.sum(np.sort(v) * w))(V)
    expected = np.empty_like(V)
    expected[np.argsort(V)] = w  # the i-th smallest element gets weight w[i]
    np.testing.assert_array_equal(gradient, expected)


def test_gradient_of_the_median_picks_the_middle():
    odd = tracegrad.grad(lambda v: np.median(v))(V)
    np.testing.assert_array_equal(odd, np.argsort(np.argsort(V)) == 3)
    even = tracegrad.grad(lambda v: np.median(v))(V[:6])
    ranks = np.argsort(np.argsort(V[:6]))
    np.testing.assert_array_equal(even, np.where((ranks == 2) | (ranks == 3), 0.5, 0.0))


def test_gradient_of_a_quantile_is_the_interpolation_weights():
    # 7 values, q = 0.4: virtual index 2.4, so 0.6 of the 3rd smallest and 0.4 of the 4th
    gradient = tracegrad.grad(lambda v: np.quantile(v, 0.4))(V)
    ranks = np.argsort(np.argsort(V))
    np.testing.assert_allclose(gradient, np.select([ranks == 2, ranks == 3], [0.6, 0.4], 0.0))


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.median(x, axis=1),
        lambda x: np.quantile(x, 0.3, axis=1),
        lambda x: np.percentile(x, [20, 90], axis=1),
        lambda x: np.quantile(x, 0.5, method="lower", axis=1),
    ],
)
def test_a_slice_holding_a_nan_gives_nan_as_numpy(fn, backend, float64_jax):
    x = X.copy()
    x[1, 2] = np.nan
    result = np.asarray(tracegrad.jit(fn, backend=backend)(x))
    np.testing.assert_array_equal(result, fn(x))
    assert np.isnan(result[..., 1]).all() and not np.isnan(result[..., 0]).any()


def test_an_infinite_neighbour_gives_numpys_nan():
    x = np.array([1.0, 2.0, np.inf])
    with np.errstate(invalid="ignore"):
        expected = np.quantile(x, 0.5)
        result = tracegrad.jit(lambda v: np.quantile(v, 0.5))(x)
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize(
    "values, q",
    [
        (np.arange(6, dtype=np.float32), 0.3),  # a Python q takes the data's float dtype
        (np.arange(6, dtype=np.float32), np.array([0.3])),  # an array q keeps its own
        (np.arange(6), 0.3),  # integers interpolate in float64
        (np.arange(6), 1),  # an integer q on integers picks an element: no interpolation
        (np.arange(6, dtype=np.float16), 0.7),
    ],
)
def test_dtypes_and_shapes_are_numpys(values, q):
    for fn in (lambda v: np.quantile(v, q), lambda v: np.median(v)):
        result = tracegrad.jit(fn)(values)
        expected = fn(values)
        assert np.asarray(result).dtype == np.asarray(expected).dtype
        np.testing.assert_array_equal(result, expected)


def test_integer_sorts_and_searches_keep_numpys_dtypes():
    a = np.array([3, 1, 2])
    for fn in (np.sort, np.argsort, lambda v: np.searchsorted(np.sort(v), 2)):
        result, expected = tracegrad.jit(fn)(a), fn(a)
        assert np.asarray(result).dtype == np.asarray(expected).dtype
        np.testing.assert_array_equal(result, expected)


def test_the_jax_backend_gives_numpys_index_dtype(float64_jax):
    fn = lambda v: np.argpartition(v, 2) + np.searchsorted(np.sort(v), v)  # noqa: E731
    compiled = tracegrad.jit(fn, backend="jax")
    assert np.asarray(compiled(V)).dtype == fn(V).dtype
    assert ".astype(jnp.int64)" in compiled.source(V)


def test_methods_and_keywords():
    x = X
    f = tracegrad.jit(
        lambda x: x.argsort(axis=0) + x.argpartition(1) + x[0].searchsorted(x[1], side="right")
    )
    expected = x.argsort(axis=0) + x.argpartition(1) + x[0].searchsorted(x[1], side="right")
    np.testing.assert_array_equal(f(x), expected)


def test_searchsorted_with_a_sorter():
    fn = lambda a, v: np.searchsorted(a, v, sorter=np.argsort(a))  # noqa: E731
    np.testing.assert_array_equal(tracegrad.jit(fn)(V, X), fn(V, X))


def test_the_emitted_code_calls_what_the_user_wrote():
    source = tracegrad.jit(lambda x: np.sort(x, axis=0) + np.partition(x, 2)).source(X)
    assert "np.sort(x, axis=0)" in source and "np.partition(x, 2)" in source
    gradient = tracegrad.grad(lambda v: np.sum(np.sort(v) ** 2)).source(V)
    assert "np.add.at(d_v, np.argsort(v)," in gradient
    assert 'kind="stable"' in tracegrad.jit(lambda v: np.argsort(v, stable=True)).source(V)


def test_forward_mode_agrees_with_reverse_mode():
    fn = lambda v: np.sum(np.quantile(v, [0.2, 0.7]) * np.array([1.0, -2.0]))  # noqa: E731
    direction = RNG.normal(size=V.shape)
    _, tangent = tracegrad.jvp(fn, (V,), (direction,))
    np.testing.assert_allclose(tangent, tracegrad.grad(fn)(V) @ direction)


@pytest.mark.parametrize(
    "fn, match",
    [
        (lambda x: np.sort(x, kind="bogo"), "kind='bogo' is not a sorting kind"),
        (lambda x: np.sort(x, kind="stable", stable=True), "not both"),
        (lambda x: np.sort(x, order="a"), r"order=\.\.\.\) is not supported"),
        (lambda x: np.sort(x[0, 0]), "a 0-d value has no axis"),
        (lambda x: np.partition(x, 9), "kth=9 must be Python integers"),
        (lambda x: np.partition(x, x[0, 0]), "must be Python integers"),
        (lambda x: np.quantile(x, x[0, 0]), "with traced q"),
        (lambda x: np.quantile(x, 1.5), r"q must be in the range \[0, 1\]"),
        (lambda x: np.percentile(x, 150), r"q must be in the range \[0, 100\]"),
        (lambda x: np.quantile(x, 0.5, method="inverted_cdf"), "method='inverted_cdf'"),
        (lambda x: np.searchsorted(x, 0.5), "must be a vector"),
        (lambda x: x.sort(), "in place"),
    ],
)
def test_errors_name_the_line_and_say_what_to_write(fn, match):
    with pytest.raises(TraceError, match=match) as raised:
        tracegrad.jit(fn)(X)
    assert "test_sorting14.py" in str(raised.value)
