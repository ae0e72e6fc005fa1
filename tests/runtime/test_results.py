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


A0, V, M = np.array(2.0), np.arange(1.0, 4.0), np.arange(6.0).reshape(2, 3)
S64, F32 = np.float64(1.5), np.arange(3, dtype=np.float32)

# (name, function, arguments): each result's Python type, shape and dtype must be NumPy's.
RESULT_TYPES = [
    ("np.sum of a 0-d array", lambda x: np.sum(x), (A0,)),
    ("x.sum() of a 0-d array", lambda x: x.sum(), (A0,)),
    ("np.mean of a 0-d array", lambda x: np.mean(x), (A0,)),
    ("np.sum of a vector", lambda x: np.sum(x), (V,)),
    ("np.max of a vector", lambda x: np.max(x), (V,)),
    ("np.sum of float32", lambda x: np.sum(x), (F32,)),
    ("np.argmax", lambda x: np.argmax(x), (V,)),
    ("np.sum keepdims", lambda x: np.sum(x, keepdims=True), (V,)),
    ("np.sum of a Python float", lambda x: np.sum(x), (1.5,)),
    ("np.linalg.norm", lambda x: np.linalg.norm(x), (V,)),
    ("vector @ vector", lambda x: x @ x, (V,)),
    ("einsum to 0-d", lambda x: np.einsum("i,i->", x, x), (V,)),
    ("x[..., 0]", lambda x: x[..., 0], (V,)),
    ("x[0, ...]", lambda x: x[0, ...], (V,)),
    ("x[0]", lambda x: x[0], (V,)),
    ("x[1, 2]", lambda x: x[1, 2], (M,)),
    ("x[()] of a 0-d array", lambda x: x[()], (A0,)),
    ("x[...] of a 0-d array", lambda x: x[...], (A0,)),
    ("x[traced i]", lambda x, i: x[i], (V, 1)),
    ("0-d array * 2", lambda x: x * 2, (A0,)),
    ("0-d array * 0-d array", lambda x: x * x, (A0,)),
    ("np.tanh of a 0-d array", lambda x: np.tanh(x), (A0,)),
    ("0-d array > 1", lambda x: x > 1, (A0,)),
    ("np.where on 0-d", lambda x: np.where(x > 0, x, 0.0), (A0,)),
    ("reshape to 0-d", lambda x: np.reshape(x, ()), (np.ones(1),)),
    ("astype of a 0-d array", lambda x: x.astype(np.float32), (A0,)),
    ("astype of a NumPy scalar", lambda x: x.astype(np.float32), (S64,)),
    ("NumPy scalar * 2", lambda x: x * 2, (S64,)),
    ("np.tanh of a NumPy scalar", lambda x: np.tanh(x), (S64,)),
    ("a 0-d array as it is", lambda x: x, (A0,)),
    ("a NumPy scalar as it is", lambda x: x, (S64,)),
    ("a Python float * 2", lambda x: x * 2, (1.5,)),
    ("np.tanh of a Python float", lambda x: np.tanh(x), (1.5,)),
    ("a Python int + 1", lambda x: x + 1, (3,)),
    ("a Python float as it is", lambda x: x, (1.5,)),
    ("a float returned", lambda x: 2.0, (V,)),
    ("np.sum(x) + 1.0", lambda x: np.sum(x) + 1.0, (V,)),
    ("sum of 0-d, in a tuple", lambda x: (np.sum(x), x[..., 0], x * 2), (V,)),
]


def describe(value):
    return type(value), np.shape(value), np.asarray(value).dtype


@pytest.mark.parametrize("backend", ["numpy"])
@pytest.mark.parametrize("name", [name for name, _, _ in RESULT_TYPES])
def test_result_types_are_numpy_s(name, backend):
    fn, args = next((fn, args) for n, fn, args in RESULT_TYPES if n == name)
    eager, ours = fn(*args), tracegrad.jit(fn, backend=backend)(*args)
    expected, got = flatten(eager)[0], flatten(ours)[0]
    assert [describe(v) for v in got] == [describe(v) for v in expected]
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b)


def test_0d_results_written_as_numpy_does():
    source = tracegrad.jit(lambda x: (np.sum(x), x[..., 0])).source(A0[None])
    assert "return sum_1[()]" not in source  # a reduction already gives a scalar
    assert "np.asarray(" in source  # x[..., 0] is a 0-d array, as in NumPy
