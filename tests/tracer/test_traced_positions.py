"""Writes at traced integer positions (issue 15, "works as a scatter"): `dx[np.arange(n), y]
-= 1` with the labels an argument, `out[idx] = v` and `out[idx] += v` where positions repeat
(NumPy keeps the last value written), np.maximum.at / np.minimum.at. Each runs under NumPy,
through tracegrad on both backends, and its gradient is checked against finite differences
in both modes, against a formula, and against jax.grad where JAX has the same program."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad as tg

from ..catalog.numerics import central_difference_grad
from ..catalog.test_grad_catalog import jax_float64

RNG = np.random.default_rng(15)
SCORES = RNG.standard_normal((5, 4))
LABELS = np.array([1, 3, 0, 3, 2])
X = RNG.standard_normal(6)
REPEATS = np.array([1, 4, 1, -5, 0, 4])  # 1 three times (-5 is 1 too), 4 twice
GRID = RNG.standard_normal((3, 2, 4))


def softmax_loss(scores, y):
    """CS231n's softmax loss and its hand-written gradient, with the labels traced."""
    n = scores.shape[0]
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.sum(np.log(p[np.arange(n), y])) / n
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss + np.sum(np.sin(dx))


def softmax_loss_jax(scores, y):
    n = scores.shape[0]
    p = jnp.exp(scores - scores.max(axis=1, keepdims=True))
    p = p / p.sum(axis=1, keepdims=True)
    loss = -jnp.sum(jnp.log(p[jnp.arange(n), y])) / n
    dx = p.at[jnp.arange(n), y].add(-1) / n
    return loss + jnp.sum(jnp.sin(dx))


def last_wins(x, idx):
    out = np.zeros(6)
    out[idx] = x * np.arange(1.0, 7.0)
    return out


def added_once(x, idx):
    out = np.linspace(0.0, 1.0, 6)
    out[idx] += x**2  # buffered: a repeated position gets the last value once
    return out


def two_axes(x, rows, cols):
    out = np.zeros((3, 2, 4))
    out[rows, :, cols] = x[:4, None]  # index arrays apart: their axis comes first in the selection
    out[rows[::-1], 1] += x[2:]
    return out


def maximum_at(x, idx):
    out = np.full(6, -0.5)
    np.maximum.at(out, idx, x)
    return out


def minimum_at(x, idx):
    out = np.ones(6) * 0.25
    np.minimum.at(out, idx, np.sin(3 * x))
    return out


ROWS, COLS = np.array([2, 0, 2, 1]), np.array([3, 3, 3, 0])
CASES = {
    "softmax_loss": (softmax_loss, (SCORES, LABELS)),
    "last_wins": (last_wins, (X, REPEATS)),
    "added_once": (added_once, (X, REPEATS)),
    "two_axes": (two_axes, (X, ROWS, COLS)),
    "maximum_at": (maximum_at, (X, REPEATS)),
    "minimum_at": (minimum_at, (X, REPEATS)),
}


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("name", CASES)
def test_the_value_is_numpys(name, backend):
    fn, args = CASES[name]
    given = tuple(a.copy() for a in args)
    with jax_float64():
        got = tg.jit(fn, backend=backend)(*given)
    np.testing.assert_allclose(np.asarray(got), fn(*args), rtol=1e-13, atol=1e-15)
    for a, b in zip(given, args, strict=True):
        np.testing.assert_array_equal(a, b)  # the caller's arrays are never written


def scalar(fn):
    return lambda x, *rest: np.sum(
        np.cos(fn(x, *rest)) * np.arange(1, fn(x, *rest).size + 1).reshape(np.shape(fn(x, *rest)))
    )


@pytest.mark.parametrize("name", CASES)
def test_the_gradient_matches_finite_differences_in_both_modes(name):
    fn, (x, *rest) = CASES[name]
    loss = scalar(fn) if name != "softmax_loss" else fn
    want = central_difference_grad(lambda v: loss(v, *rest), (x,))
    np.testing.assert_allclose(tg.grad(loss)(x, *rest), want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tg.jacfwd(loss)(x, *rest), want, rtol=1e-6, atol=1e-8)


def test_the_softmax_gradient_matches_jax_grad():
    with jax_float64():
        want = np.asarray(jax.grad(softmax_loss_jax)(SCORES, LABELS))
        on_jax = tg.jit(tg.grad(softmax_loss), backend="jax")(SCORES, LABELS)
    np.testing.assert_allclose(tg.grad(softmax_loss)(SCORES, LABELS), want, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(on_jax), want, rtol=1e-12)


def test_only_the_last_write_to_a_position_gets_its_cotangent():
    """d/dx sum(w * last_wins(x)): x[i] * (i + 1) lands at REPEATS[i]; only the last write
    to each position counts, so x[0] and x[2] (overwritten by x[3]) get nothing."""
    weights = np.arange(10.0, 16.0)
    gradient = tg.grad(lambda x, idx: np.sum(weights * last_wins(x, idx)))(X, REPEATS)
    winners = np.array([False, False, False, True, True, True])
    expected = np.where(winners, weights[REPEATS] * np.arange(1.0, 7.0), 0.0)
    np.testing.assert_allclose(gradient, expected, rtol=1e-15)
    on_jax = tg.jit(tg.grad(lambda x, idx: np.sum(weights * last_wins(x, idx))), backend="jax")
    with jax_float64():
        np.testing.assert_allclose(np.asarray(on_jax(X, REPEATS)), expected, rtol=1e-15)


def test_maximum_at_shares_a_tie_evenly():
    x = np.array([0.5, 2.0, -1.0, 2.0])
    idx = np.array([0, 1, 0, 1])
    gradient = tg.grad(lambda x, i: np.sum(maximum_at(x, i) * np.arange(1.0, 7.0)))(x, idx)
    # position 0 holds 0.5 (x[0]); position 1 holds 2.0, written by x[1] and x[3]: a tie.
    np.testing.assert_allclose(gradient, [1.0, 1.0, 0.0, 1.0])
    with jax_float64():
        want = jax.grad(lambda x: jnp.sum(jnp.full(6, -0.5).at[idx].max(x) * jnp.arange(1.0, 7.0)))(
            x
        )
    np.testing.assert_allclose(np.asarray(want)[[0, 2]], gradient[[0, 2]])


def test_the_emitted_code_reads_as_written():
    source = str(tg.jit(softmax_loss).source(SCORES, LABELS))
    assert "[np.arange(5), y] = " in source and "np.maximum.at" not in source  # distinct
    source = str(tg.jit(maximum_at).source(X, REPEATS))
    assert "np.maximum.at(out, idx, x)" in source
    source = str(tg.jit(maximum_at, backend="jax").source(X, REPEATS))
    assert ".at[idx].max(x)" in source


def sorted_in_place(x):
    y = x * 2.0
    y.sort()
    z = x - 1.0
    z.partition(2)
    w = x.copy()
    w.put([0, -1], y[:2])
    return y + z[2] * w  # only the kth element's place is NumPy's promise


def put_along_traced(x, idx):
    out = np.zeros((2, 3))
    np.put_along_axis(out, idx, x[:2].reshape(2, 1), axis=1)
    return out


def maximum_at_a_slice(x):
    out = np.zeros(6)
    np.maximum.at(out, slice(1, 4), x[:3])  # no index array: no position repeats
    return out


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (sorted_in_place, (X,)),
        (put_along_traced, (X, np.array([[2], [0]]))),
        (maximum_at_a_slice, (X,)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_in_place_methods_and_functions_are_numpys(fn, args):
    with jax_float64():
        for backend in ("numpy", "jax"):
            got = tg.jit(fn, backend=backend)(*args)
            np.testing.assert_allclose(np.asarray(got), fn(*args), rtol=1e-14)
    loss = scalar(fn)
    want = central_difference_grad(lambda v: loss(v, *args[1:]), (args[0],))
    np.testing.assert_allclose(tg.grad(loss)(*args), want, rtol=1e-6, atol=1e-8)


def test_sorting_an_argument_in_place_says_to_copy_it():
    def sorts_its_argument(x):
        x.sort()
        return x

    with pytest.raises(tg.TraceError) as caught:
        tg.jit(sorts_its_argument)(X)
    assert "x = x.copy()" in caught.value.hint
    assert caught.value.loc.file == __file__
