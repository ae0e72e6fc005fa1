"""`tracegrad.numpy` works on traced values and falls back to NumPy on plain ones."""

import numpy as np
import pytest

import tracegrad
import tracegrad.numpy as tnp


def test_explicit_functions_trace():
    def f(x, W):
        return tnp.sum(tnp.tanh(tnp.matmul(x, W)), axis=1)

    x, W = np.ones((3, 2)), np.full((2, 4), 0.5)
    graph = tracegrad.trace(f, x, W)
    assert [node.op.name for node in graph.nodes] == ["matmul", "tanh", "sum"]
    np.testing.assert_allclose(tracegrad.jit(f)(x, W), f(x, W))


@pytest.mark.parametrize("name", ["tanh", "exp", "sum", "mean", "std", "transpose", "ravel"])
def test_plain_values_get_numpy_results(name):
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(getattr(tnp, name)(x), getattr(np, name)(x))


def test_the_module_lists_what_it_offers():
    for name in ("einsum", "where", "clip", "concatenate", "stack", "take", "norm", "astype"):
        assert name in tnp.__all__ and callable(getattr(tnp, name))
