"""np.tril and np.triu: pure compositions (a select over np.tri's mask, no primitive of their
own), so their derivatives and both backends come from what they record. Checked against
NumPy's values, the hand-derived gradient (the cotangent's own triangle), finite differences,
forward mode and jax.grad of the same source."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad

RNG = np.random.default_rng(11)
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((3, 4))

USES = {
    "tril": lambda x: np.tril(x),
    "tril k=1": lambda x: np.tril(x, 1),
    "tril k=-2": lambda x: np.tril(x, k=-2),
    "triu": lambda x: np.triu(x),
    "triu k=-1": lambda x: np.triu(x, -1),
    "triu k=3": lambda x: np.triu(x, k=3),
    "tril stack": lambda x: np.tril(np.stack([x, 2 * x])),
    "triu vector": lambda x: np.triu(x[0]),
    "tril ints": lambda x: np.tril((x > 0).astype(np.int32)),
}


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("use", USES.values(), ids=USES.keys())
def test_values_shapes_and_dtypes_are_numpys(use, backend):
    with jax.enable_x64(True):
        ours = np.asarray(tracegrad.jit(use, backend=backend)(X))
    expected = use(X)
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("k", [-1, 0, 2])
def test_gradient_is_the_cotangents_triangle(k):
    lower = tracegrad.grad(lambda x: np.sum(np.tril(x, k) * W))(X)
    upper = tracegrad.grad(lambda x: np.sum(np.triu(x, k) * W))(X)
    rows, columns = np.indices(X.shape)
    np.testing.assert_array_equal(lower, np.where(columns - rows <= k, W, 0.0))
    np.testing.assert_array_equal(upper, np.where(columns - rows >= k, W, 0.0))


def loss(x):
    return np.sum(np.sin(np.tril(x, 1)) * np.triu(x) + np.tril(x) ** 2)


def test_first_and_second_order_against_finite_differences():
    tracegrad.check_grads(loss, X, order=1)
    tracegrad.check_grads(loss, X, order=2, rtol=1e-4)


def test_forward_mode_agrees_with_reverse_mode():
    tangent = RNG.standard_normal(X.shape)
    _, directional = tracegrad.jvp(loss, (X,), (tangent,))
    np.testing.assert_allclose(directional, np.sum(tracegrad.grad(loss)(X) * tangent), rtol=1e-12)


def test_gradient_equals_jax_grad_of_the_same_source():
    as_jax = type(loss)(loss.__code__, {**loss.__globals__, "np": jnp}, loss.__name__)
    with jax.enable_x64(True):
        expected = np.asarray(jax.grad(as_jax)(jnp.asarray(X)))
    np.testing.assert_allclose(tracegrad.grad(loss)(X), expected, rtol=1e-12)


def test_no_primitive_is_recorded_for_them():
    graph = tracegrad.trace(lambda x: np.tril(x), X)
    assert [node.op.name for node in graph.nodes] == ["where"]


def test_errors_name_the_line_and_the_fix():
    with pytest.raises(tracegrad.TraceError, match="k must be an int") as raised:
        tracegrad.jit(lambda x: np.tril(x, k=1.5))(X)
    assert "test_triangles.py" in str(raised.value) and "Python int" in str(raised.value)
    with pytest.raises(tracegrad.TraceError, match="at least one dimension"):
        tracegrad.jit(lambda x: np.triu(np.sum(x)))(X)


def test_equal_masks_are_one_module_constant():
    # np.tril(x) and np.triu(x, 1) select with the same mask (np.tri with k=0): written once.
    source = tracegrad.grad(lambda x: np.sum(np.tril(x) * np.triu(x, 1))).source(X)
    assert source.count(" = np.array(") == 1 and "CONSTANT_1" not in source
