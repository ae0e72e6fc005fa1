"""Issue 14 (indexing, einsum, selection, norms): what the operation table cannot say: the
errors (each at the user's line, with what to write instead), keyword corner cases, NumPy's
behaviour on concrete masks, and the emitted text."""

import numpy as np
import pytest

import tracegrad
from tracegrad.errors import TracegradError

X = np.linspace(0.3, 0.9, 6).reshape(2, 3)
V = np.array([0.5, -1.5, 0.0, 2.0])


def refused(fn, *args) -> TracegradError:
    """The error tracing fn raises: a TracegradError pinned to this file, with a hint."""
    with pytest.raises(TracegradError) as caught:
        tracegrad.jit(fn)(*args)
    error = caught.value
    assert error.loc is not None and error.loc.file == __file__, str(error)
    assert error.hint, str(error)
    return error


def same_as_numpy(fn, *args) -> None:
    result, expected = tracegrad.jit(fn)(*args), fn(*args)
    assert np.shape(result) == np.shape(expected)
    assert np.asarray(result).dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(result, expected, rtol=1e-12)


# --- einsum -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.einsum("...i,...i->...", x, x[0]),
        lambda x: np.einsum("...i,...i", x, x),  # implicit output: the broadcast axes
        lambda x: np.einsum("i...->...", x),
        lambda x: np.einsum(x, [0, 1], x, [0, 1], [0]),
        lambda x: np.einsum(x, [Ellipsis, 1], x[0], [1]),
        lambda x: np.einsum(x, [1, 0]),  # implicit sublist output: sorted labels
        lambda x: np.einsum("Ba", x),  # implicit: character order, capitals first
        lambda x: np.einsum("i j , k j", x, x),  # spaces are ignored
        lambda x: np.einsum("ij,jk", x, x.T, optimize="optimal"),
        lambda x: np.einsum("i,i->", x[0, :1], x[1]),  # a size-1 axis stretches, as in NumPy
    ],
)
def test_einsum_spellings_match_numpy(fn):
    same_as_numpy(fn, X)


@pytest.mark.parametrize(
    ("fn", "fragment"),
    [
        (lambda x: np.einsum("...i->i", x), "drops the axes '...'"),
        (lambda x: np.einsum("i.j", x), "only letters"),
        (lambda x: np.einsum("......i", x), "only letters"),
        (lambda x: np.einsum("ijk", x), "names 3 axes"),
        (lambda x: np.einsum(x, [0, 52]), "sublist label 52"),
        (lambda x: np.einsum(x, ["i", 1]), "sublist label 'i'"),
        (lambda x: np.einsum("i,i", x[0], x[1, :2]), "size 3 in one operand and 2"),
        (lambda x: np.einsum("ij,jk", x), "name 2 operands"),
        (lambda x: np.einsum("ij", x, dtype=np.float32), "dtype=..."),
    ],
)
def test_einsum_mistakes_are_refused_at_the_users_line(fn, fragment):
    assert fragment in str(refused(fn, X))


def test_einsum_emits_explicit_letters_for_every_spelling():
    source = tracegrad.jit(lambda x: np.einsum(x, [0, 1], x, [0, 1], [0])).source(X)
    assert "np.einsum('AB,AB->A', x, x)" in source
    source = tracegrad.jit(lambda x: np.einsum("...i,...i", x, x[0], optimize=True)).source(X)
    assert "np.einsum('ai,i->a'" in source and "optimize" not in source


# --- indexing -----------------------------------------------------------------------------

Y = np.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize(
    "key",
    [
        (range(2), [0, 2]),
        (range(1, -1, -1), None),
        ([],),
        (range(0), slice(1, None)),
        ([1, 0],),
        ([0, 1], None),
        ([0, 1], None, [1, 2]),  # None between index arrays: broadcast axes go first
        (None, [0, 1], slice(None), [1, 2]),
        (slice(None), None, [0, 1], [1, 2]),
        (slice(None), [0, 1], None, [1, 2]),
        (None, 0, None, [1, 2]),  # an int counts as an index array beside one
        (Ellipsis, None, [3, 0]),
        ([[0], [1]], None, slice(1, None), [0, 3]),
        (np.array([True, False]), None, [1, 2]),
        (slice(None, None, -1), slice(None, None, -2)),
        (slice(None, None, -1), [2, 0], slice(None, 0, -2)),
    ],
)
def test_index_keys_match_numpy_with_both_derivatives(key):
    weights = np.random.default_rng(0).normal(size=Y[key].shape)

    def loss(y):
        return np.sum(y[key] * weights)

    same_as_numpy(lambda y: y[key], Y)
    expected = np.zeros_like(Y)
    np.add.at(expected, key, weights)  # the cotangent of a read is a scatter-add
    np.testing.assert_array_equal(tracegrad.grad(loss)(Y), expected)
    tangent = np.random.default_rng(1).normal(size=Y.shape)
    _, derivative = tracegrad.jvp(lambda y: y[key], (Y,), (tangent,))
    np.testing.assert_array_equal(derivative, tangent[key])


def test_newaxis_beside_an_index_array_reads_as_a_reshape():
    source = tracegrad.jit(lambda y: y[None, [0, 1]]).source(Y)
    assert "reshape(1, 2, 3, 4)" in source, source


@pytest.mark.parametrize(
    ("fn", "fragment"),
    [
        (lambda y: y[range(3), 0], "out of bounds"),
        (lambda y: y[[0, 1], None, [0, 1, 2]], "do not broadcast"),
        (lambda y: y[[0.5]], "type"),
    ],
)
def test_bad_index_keys_are_refused(fn, fragment):
    assert fragment in str(refused(fn, Y))


# --- take, take_along_axis, select, choose, ix_ ------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.take(x, [0, 7, -8], mode="wrap"),
        lambda x: np.take(x, [-3, 1, 9], axis=1, mode="clip"),  # negative indices clip to 0
        lambda x: np.take(x, 4),
        lambda x: x.take(np.int64(-1), axis=0, mode="raise"),
        lambda x: np.take(x, np.argmax(x, axis=1) + 2, axis=1, mode="wrap"),  # traced indices
        lambda x: np.take(x, np.argmax(x) + 5, mode="clip"),
    ],
)
def test_take_modes_match_numpy(fn):
    same_as_numpy(fn, X)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.take_along_axis(x, np.array([[2], [0]]), axis=1),
        lambda x: np.take_along_axis(x[0], np.array([2, 0, 0]), axis=None),
        lambda x: np.take_along_axis(x, np.argmax(x, axis=0, keepdims=True), axis=0),
        lambda x: np.select([x > 0.5, x > 0.4], [x, 2 * x]),
        lambda x: np.select([x > 0.5, X > 0.4], [x.astype(np.float32), 1.5], default=2),
        lambda x: np.select([x > 0.5], [True], default=0),  # a Python int default: int64
        lambda x: np.choose([[0, 1, 0]], [x[0], 2.0, x]),
        lambda x: np.choose([0, 4, -1], x, mode="wrap"),  # an array's first axis: the choices
        lambda x: np.choose(np.argmax(x, axis=0), [x[0], x[1]], mode="clip"),
        lambda x: x[np.ix_(np.argmax(x, axis=0)[:2], [True, False, True])],
    ],
)
def test_selection_functions_match_numpy(fn):
    same_as_numpy(fn, X)


@pytest.mark.parametrize(
    ("fn", "fragment"),
    [
        (lambda x: np.take(x, [0], mode="bogus"), "mode must be 'raise', 'wrap' or 'clip'"),
        (lambda x: np.take(x, [0, 6]), "out of bounds"),
        (lambda x: np.take_along_axis(x, np.array([0]), axis=1), "1 dimensions and the array 2"),
        (lambda x: np.take_along_axis(x, np.array([[0.0]]), axis=1), "must be integers"),
        (lambda x: np.select([x], [x]), "not boolean"),
        (lambda x: np.select([x > 0], [x, x]), "1 conditions for 2 choices"),
        (lambda x: np.choose([0, 2], [x[0], x[1]]), "out of range for 2 choices"),
        (lambda x: np.choose(np.argmax(x, axis=0), x), "mode='clip'"),
        (lambda x: np.choose([0, 1], [x[0], x[1]], out=x), "out="),
        (lambda x: np.ix_(x > 0.5), "1-dimensional"),
        (lambda x: np.ix_(x[0] > 0.5), "size depends on the data"),
    ],
)
def test_selection_mistakes_are_refused(fn, fragment):
    assert fragment in str(refused(fn, X))


def test_select_emits_nested_where_with_the_first_condition_outermost():
    source = tracegrad.jit(lambda x: np.select([x > 0.5, x < 0.4], [x, -x], default=0.0)).source(X)
    assert "np.where(x < 0.4, -x, 0.0)" in source and "np.where(x > 0.5, x, where)" in source


# --- np.linalg.norm ----------------------------------------------------------------------


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_singular_value_matrix_norms_are_numpys(ord):
    """Issue 16: the matrix norms of the singular values, and their gradients."""
    np.testing.assert_allclose(
        tracegrad.jit(lambda x: np.linalg.norm(x, ord=ord))(X), np.linalg.norm(X, ord=ord)
    )
    u, _, vh = np.linalg.svd(X, full_matrices=False)
    k = {2: 0, -2: -1}.get(ord)
    expected = u @ vh if k is None else np.outer(u[:, k], vh[k])
    np.testing.assert_allclose(
        tracegrad.grad(lambda x: np.linalg.norm(x, ord=ord))(X), expected, atol=1e-12
    )


@pytest.mark.parametrize(
    ("fn", "fragment"),
    [
        (lambda x: np.linalg.norm(x[0], "fro"), "not a norm order for vectors"),
        (lambda x: np.linalg.norm(x, 3), "not a norm order for matrices"),
        (lambda x: np.linalg.norm(x[None], 1), "needs a vector or a matrix"),
        (lambda x: np.linalg.norm(x, axis=(0, 1, 1)), "one axis (vectors) or two"),
        (lambda x: np.linalg.norm(x, axis=(1, -1)), "names one axis twice"),
        (lambda x: np.linalg.norm(x, axis=[0, 1]), "a tuple of integers"),
        (lambda x: np.linalg.norm(x, axis=2), "out of bounds"),
    ],
)
def test_norm_mistakes_are_refused(fn, fragment):
    assert fragment in str(refused(fn, X))


@pytest.mark.parametrize("ord", [None, 0, 1, 2, np.inf, -np.inf, 3, -1, 0.5])
def test_vector_norms_of_integers_and_float32_keep_numpy_dtypes(ord):
    same_as_numpy(lambda v: np.linalg.norm(v.astype(np.float32) + 3, ord), V)
    same_as_numpy(lambda v: np.linalg.norm((v > -2).astype(np.int64), ord) * v, V)


def test_the_count_norm_has_a_zero_gradient():
    np.testing.assert_array_equal(tracegrad.grad(lambda v: np.linalg.norm(v, 0))(V), 0 * V)


def test_the_two_norm_keeps_its_derivative_at_zero():
    np.testing.assert_array_equal(tracegrad.grad(lambda v: np.linalg.norm(v))(0 * V), 0 * V)


# --- functions whose result's shape depends on the values --------------------------------


@pytest.mark.parametrize(
    ("fn", "name"),
    [
        (lambda x: np.nonzero(x), "np.nonzero"),
        (lambda x: x.nonzero(), "x.nonzero"),
        (lambda x: np.flatnonzero(x), "np.flatnonzero"),
        (lambda x: np.argwhere(x > 0.5), "np.argwhere"),
        (lambda x: np.unique(x), "np.unique"),
        (lambda x: np.extract(x > 0.5, x), "np.extract"),
        (lambda x: np.where(x > 0.5), "np.where(condition)"),
        (lambda x: x[x > 0.5], "boolean-mask indexing"),
    ],
)
def test_data_shaped_results_are_refused_with_a_shape_keeping_alternative(fn, name):
    error = refused(fn, X)
    assert name in error.message
    assert "np.where(" in error.hint or "np.sum(" in error.hint


def test_concrete_masks_and_arrays_still_work_as_numpy():
    mask = X > 0.5

    def f(x):
        (rows, cols) = np.nonzero(mask)  # concrete: NumPy runs it
        return x[mask] + x[rows, cols] + np.unique(X)[-len(rows) :] + np.flatnonzero(mask)

    same_as_numpy(f, X)
