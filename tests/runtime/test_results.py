"""What the emitted NumPy functions hand back: results never share memory where NumPy's would
not (with each other or with the arguments), and their Python types, shapes and dtypes are
NumPy's own."""

import itertools

import numpy as np
import pytest

import tracegrad
from tracegrad.tracer.pytree import flatten

X = np.arange(6.0).reshape(2, 3)

SHARING = {
    "two equal expressions": lambda x: (x * 2, x * 2),
    "a dict of equal expressions": lambda x: {"a": np.ones(2) * x[0, 0], "b": np.ones(2) * x[0, 0]},
    "a view of an equal expression": lambda x: (x * 2, (x * 2)[0]),
    "a transpose of an equal expression": lambda x: [x + 1, (x + 1).T],
    "an identity, transposed": lambda x: (x * 1).T,
    "an identity, reshaped": lambda x: np.reshape(x * 1.0, -1),
    "an identity, indexed": lambda x: (x + 0.0)[1],
    "three in a nest": lambda x: (np.tanh(x), {"k": [np.tanh(x), np.tanh(x)[:, 1]]}),
}


def leaves(tree):
    return [leaf for leaf in flatten(tree)[0] if isinstance(leaf, np.ndarray)]


def assert_no_extra_sharing(results, eager, args):
    ours, theirs = leaves(results), leaves(eager)
    assert len(ours) == len(theirs)
    for (i, a), (j, b) in itertools.combinations(enumerate(ours), 2):
        assert not np.shares_memory(a, b) or np.shares_memory(theirs[i], theirs[j]), (i, j)
    for i, a in enumerate(ours):
        for arg in args:
            assert not np.shares_memory(a, arg), f"result {i} shares the argument's memory"


@pytest.mark.parametrize("name", sorted(SHARING))
def test_results_never_share_memory_where_numpy_s_do_not(name):
    fn = SHARING[name]
    x = X.copy()
    results = tracegrad.jit(fn)(x)
    assert_no_extra_sharing(results, fn(X.copy()), [x])
    first = leaves(results)[0]
    before = [leaf.copy() for leaf in leaves(results)[1:]]
    first[...] = -7.0  # writing into one result leaves the others and the argument be
    for leaf, kept in zip(leaves(results)[1:], before, strict=True):
        np.testing.assert_array_equal(leaf, kept)
    np.testing.assert_array_equal(x, X)


def test_a_gradient_that_is_a_view_of_an_argument_is_a_copy():
    x, y = np.ones((2, 3)), np.arange(6.0).reshape(3, 2)
    d_x = tracegrad.grad(lambda x, y: np.sum(x * y.T))(x, y)
    np.testing.assert_array_equal(d_x, y.T)
    assert not np.shares_memory(d_x, y)
    d_x[...] = 0.0
    np.testing.assert_array_equal(y, np.arange(6.0).reshape(3, 2))


def test_gradients_of_two_arguments_are_two_arrays():
    x, y = np.ones(3), np.ones(3)
    d_x, d_y = tracegrad.grad(lambda x, y: np.sum(np.sin(x + y)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(d_x, np.cos(x + y))
    np.testing.assert_allclose(d_y, np.cos(x + y))
    assert not np.shares_memory(d_x, d_y)


def test_no_copy_where_nothing_is_shared():
    source = tracegrad.jit(lambda x: (x * 2, np.tanh(x), (x + 1).T)).source(X)
    assert ".copy()" not in source
