"""The log-softmax rewrite: recognised only where the user wrote exactly that, forward values
unchanged, gradient right (ties in the max included) and as short as a hand-written one."""

import numpy as np
import pytest

import tracegrad
from tracegrad.ir.passes import recognise_log_softmax


def log_softmax(x):
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))


def loss(x, w):
    return np.sum(log_softmax(x) * w)


def hand_gradient(x, w):
    z = x - x.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return w - p * w.sum(axis=1, keepdims=True)


RNG = np.random.default_rng(0)
X, W = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))


def test_the_pattern_is_recognised():
    graph = recognise_log_softmax(tracegrad.trace(log_softmax, X))
    assert graph.nodes[-1].op.name == "log_softmax"
    assert graph.nodes[-1].params["axis"] == (1,)
    tracegrad.verify(graph)


@pytest.mark.parametrize(
    "variant",
    [
        lambda x: (x - x.max(axis=1, keepdims=True)) - np.log(np.exp(x).sum(axis=1, keepdims=True)),
        lambda x: (
            (x - x.max(axis=0, keepdims=True))
            - np.log(np.exp(x - x.max(axis=0, keepdims=True)).sum(axis=1, keepdims=True))
        ),
        lambda x: (
            (x - x.mean(axis=1, keepdims=True))
            - np.log(np.exp(x - x.mean(axis=1, keepdims=True)).sum(axis=1, keepdims=True))
        ),
    ],
    ids=["exp of the unshifted x", "max over another axis", "mean instead of max"],
)
def test_near_misses_are_left_alone(variant):
    graph = recognise_log_softmax(tracegrad.trace(variant, X))
    assert "log_softmax" not in [node.op.name for node in graph.nodes]


def test_gradient_matches_hand_and_finite_differences():
    np.testing.assert_allclose(tracegrad.grad(loss)(X, W), hand_gradient(X, W), rtol=1e-12)
    tracegrad.check_grads(loss, X, W)


def test_ties_in_the_max_do_not_matter():
    tied = np.array([[1.0, 3.0, 3.0, -1.0], [0.5, 0.5, 0.5, 0.5]])
    weights = RNG.standard_normal(tied.shape)
    np.testing.assert_allclose(
        tracegrad.grad(loss)(tied, weights), hand_gradient(tied, weights), rtol=1e-12
    )


def test_forward_values_are_unchanged_and_the_gradient_is_short():
    value, _ = tracegrad.value_and_grad(loss)(X, W)
    assert value == loss(X, W)  # the same operations in the same order: bit-identical
    source = tracegrad.grad(loss).source(X, W)
    assert ".max(axis=1, keepdims=True)" in source  # the forward pass still shifts by the max
    assert "==" not in source  # and the backward pass has no tie-splitting mask
