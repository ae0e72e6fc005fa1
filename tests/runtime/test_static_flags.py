"""Python bool, str and None arguments are static, as jax.grad leaves them concrete: `if train:`
runs, their values join the cache key, and ints and floats stay traced."""

import numpy as np
import pytest

import tracegrad

W = np.array([0.5, -1.0, 2.0])


def loss(w, train):
    if train:
        return np.sum(w * w)
    return np.sum(w)


def test_a_bool_flag_is_static_for_grad():
    step = tracegrad.grad(loss)
    np.testing.assert_allclose(step(W, True), 2 * W)
    np.testing.assert_allclose(step(W, False), np.ones(3))
    assert len(step.cache) == 2  # one entry per value: True and False never share code


def test_a_bool_flag_passed_by_keyword():
    step = tracegrad.grad(loss)
    np.testing.assert_allclose(step(W, train=False), np.ones(3))
    np.testing.assert_allclose(step(W, train=True), 2 * W)
    np.testing.assert_allclose(step(w=W, train=True), 2 * W)


def test_a_string_and_none_are_static_for_jit():
    def layer(x, activation, mask):
        y = np.maximum(x, 0) if activation == "relu" else np.tanh(x)
        return y if mask is None else y * mask

    staged = tracegrad.jit(layer)
    np.testing.assert_allclose(staged(W, "relu", None), np.maximum(W, 0))
    np.testing.assert_allclose(staged(W, "tanh", None), np.tanh(W))
    np.testing.assert_allclose(staged(W, "tanh", W), np.tanh(W) * W)
    assert len(staged.cache) == 3


def test_ints_and_floats_stay_traced():
    def scaled(w, scale):
        return np.sum(w) * scale

    staged = tracegrad.jit(scaled)
    assert staged(W, 2.0) == pytest.approx(3.0) and staged(W, 3.0) == pytest.approx(4.5)
    assert staged(W, 2) == pytest.approx(3.0) and staged(W, 4) == pytest.approx(6.0)
    assert len(staged.cache) == 2  # one per type (float, int), not per value
    assert tracegrad.grad(scaled, argnums=1)(W, 2.0) == pytest.approx(1.5)


def test_a_static_flag_matches_jax_grad():
    jax = pytest.importorskip("jax")
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        expected = jax.grad(loss)(W, False)
    finally:
        jax.config.update("jax_enable_x64", previous)
    np.testing.assert_allclose(tracegrad.grad(loss)(W, False), np.asarray(expected))


def test_a_flag_cannot_be_differentiated():
    with pytest.raises(tracegrad.TraceError, match="is a bool, which tracegrad keeps static"):
        tracegrad.grad(loss, argnums=1)(W, True)
