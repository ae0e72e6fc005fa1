"""Composites' decompositions: a mode with no rule of its own for a composite differentiates
through the composite's decomposition, and gets the gradient (and tangent) of the same
computation: checked against finite differences and jax.grad / jax.jvp of the same source."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad
from tracegrad.ad import decompositions, jvp_rules, vjp_rules
from tracegrad.ir.primitives import primitives

from ..catalog.numerics import central_difference_grad
from ..catalog.test_grad_catalog import jax_float64

RNG = np.random.default_rng(3)
X, W = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))


def log_softmax_loss(x, w, xp=np):
    z = x - x.max(axis=1, keepdims=True)
    return xp.sum((z - xp.log(xp.sum(xp.exp(z), axis=1, keepdims=True))) * w)


def norm_loss(x, w, xp=np):
    return xp.sum(xp.linalg.norm(x, axis=1) * w[:, 0])


CASES = {"log_softmax": log_softmax_loss, "root_sum_squares": norm_loss}


@pytest.fixture(params=sorted(CASES))
def without_rules(request, monkeypatch):
    """The composite with its decomposition and no VJP or JVP rule of its own."""
    op = primitives[request.param]
    monkeypatch.delitem(vjp_rules, op)
    monkeypatch.delitem(jvp_rules, op)
    assert op in decompositions
    return request.param


def test_reverse_mode_differentiates_through_the_decomposition(without_rules):
    loss = CASES[without_rules]
    got = tracegrad.grad(loss, argnums=(0, 1))(X, W)
    for argnum in (0, 1):
        expected = central_difference_grad(loss, (X, W), argnum)
        np.testing.assert_allclose(got[argnum], expected, rtol=1e-6, atol=1e-8)
    with jax_float64():
        reference = jax.grad(lambda x, w: loss(x, w, jnp), argnums=(0, 1))(X, W)
    for mine, theirs in zip(got, reference, strict=True):
        np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-12, atol=1e-14)


def test_forward_mode_differentiates_through_the_decomposition(without_rules):
    loss = CASES[without_rules]
    tangents = (RNG.standard_normal(X.shape), RNG.standard_normal(W.shape))
    value, tangent = tracegrad.jvp(loss, (X, W), tangents)
    with jax_float64():
        jax_value, jax_tangent = jax.jvp(lambda x, w: loss(x, w, jnp), (X, W), tangents)
    np.testing.assert_allclose(value, float(jax_value), rtol=1e-12)
    np.testing.assert_allclose(tangent, float(jax_tangent), rtol=1e-10)


def test_each_decomposition_computes_its_composite():
    log_softmax = decompositions[primitives["log_softmax"]]
    z = X - X.max(axis=1, keepdims=True)
    expected = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(log_softmax(X, axis=(1,)), expected, rtol=1e-12)
    root_sum_squares = decompositions[primitives["root_sum_squares"]]
    np.testing.assert_allclose(
        root_sum_squares(X, axis=(1,), keepdims=False, divisor=1),
        np.linalg.norm(X, axis=1),
        rtol=1e-12,
    )


def test_without_a_rule_or_a_decomposition_the_error_names_the_primitive(monkeypatch):
    op = primitives["log_softmax"]
    monkeypatch.delitem(vjp_rules, op)
    monkeypatch.delitem(decompositions, op)
    with pytest.raises(tracegrad.TraceError, match="no rule for the primitive log_softmax"):
        tracegrad.grad(log_softmax_loss)(X, W)
