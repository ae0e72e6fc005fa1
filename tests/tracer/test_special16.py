"""scipy.special on traced values (issue 16): every function of the operation table's rows
(tests/ops/rows_special16.py) against jax.grad of the same source over jax.scipy.special;
logsumexp (axis=, b=, keepdims=, return_sign=), softmax and log_softmax against SciPy, finite
differences and JAX; the emitted module imports scipy.special where it calls it."""

from __future__ import annotations

import functools
import types

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jax_linalg
import jax.scipy.special as jax_special
import numpy as np
import pytest
import scipy.special as special

import tracegrad as tg

from ..catalog.numerics import central_difference_grad
from ..catalog.test_grad_catalog import jax_float64
from ..ops.table import ROWS as TABLE
from ..ops.table import sample

ROWS = [
    row
    for row in TABLE
    if row.fn.__module__ in ("tests.ops.rows_special16", "tests.ops.rows_scipy_linalg16")
]


def over_jax(fn):
    """`fn` with `special`, `linalg` and `np` the JAX namespaces: the same source."""
    namespace = {**fn.__globals__, "special": jax_special, "linalg": jax_linalg, "np": jnp}
    return types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)


def weighted(fn):
    return lambda *xs: np.sum(np.sin(fn(*xs)))


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.label)
def test_grad_matches_jax_grad_of_the_same_source(row):
    operands = sample(row, row.samples[-1])
    keywords = row.kwargs[-1]
    fn = functools.partial(row.fn, **keywords) if keywords else row.fn
    ours = tg.grad(weighted(fn), argnums=row.differentiable)(*operands)
    on_jax = over_jax(row.fn)
    if keywords:
        on_jax = functools.partial(on_jax, **keywords)
    if row.label in ("erfcinv", "rgamma"):  # jax.scipy.special lacks them: as emitted there
        on_jax = {
            "erfcinv": lambda x: jax_special.erfinv(1 - x),
            "rgamma": lambda x: 1 / jax_special.gamma(x),
        }[row.label]
    with jax_float64():
        want = jax.grad(lambda *xs: jnp.sum(jnp.sin(on_jax(*xs))), argnums=row.differentiable)(
            *operands
        )
        emitted = tg.jit(tg.grad(weighted(fn), argnums=row.differentiable), backend="jax")
        on_backend = emitted(*operands)
    for got, expected, backend in zip(ours, want, on_backend, strict=True):
        np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(np.asarray(backend), got, rtol=1e-9, atol=1e-12)


X = np.linspace(-2.0, 3.0, 12).reshape(3, 4)
SCALE = np.linspace(-1.0, 1.0, 4)


def normalizers(x):
    value, sign = special.logsumexp(x, axis=1, b=SCALE, return_sign=True)
    return (
        special.logsumexp(x)
        + special.logsumexp(x, axis=0, keepdims=True).sum()
        + np.sum(value * sign)
        + np.sum(special.softmax(x, axis=1) * x)
        + np.sum(special.log_softmax(x, axis=0) * x[::-1])
    )


def test_normalizers_are_scipys_and_differentiate():
    np.testing.assert_allclose(tg.jit(normalizers)(X), normalizers(X), rtol=1e-13)
    numerical = central_difference_grad(normalizers, (X,))
    np.testing.assert_allclose(tg.grad(normalizers)(X), numerical, rtol=1e-6, atol=1e-8)
    with jax_float64():
        want = jax.grad(over_jax(normalizers))(X)
        on_backend = tg.jit(tg.grad(normalizers), backend="jax")(X)
    np.testing.assert_allclose(tg.grad(normalizers)(X), np.asarray(want), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(on_backend), np.asarray(want), rtol=1e-10)


def test_logsumexp_of_infinities_is_scipys():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(
        tg.jit(lambda x: special.logsumexp(x, axis=1))(x), special.logsumexp(x, axis=1)
    )


def test_the_module_imports_scipy_special_where_it_calls_it():
    source = str(tg.grad(lambda x: np.sum(special.gammaln(x))).source(X + 3))
    assert "import scipy.special" in source and "scipy.special.digamma(x)" in source
    plain = str(tg.grad(lambda x: np.sum(np.exp(x))).source(X))
    assert "scipy" not in plain
    with jax_float64():
        on_jax = str(tg.jit(lambda x: special.erf(x), backend="jax").source(X))
    assert "import jax.scipy.special" in on_jax and "jax.scipy.special.erf(x)" in on_jax


def test_polygamma_needs_a_concrete_order():
    with pytest.raises(tg.TraceError) as caught:
        tg.jit(lambda x: special.polygamma(x.astype(int), x))(X)
    assert "concrete integer" in caught.value.message and caught.value.loc.file == __file__
