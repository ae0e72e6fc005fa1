"""np.cumsum and np.cumprod: values on both backends, derivatives in both modes and to second
order, checked against hand-derived formulas, finite differences and jax.grad of the same
source. cumsum is a linear primitive (its JVP is itself, its VJP a hand-written transpose);
cumprod is a composite whose derivatives come from its decomposition (a scan), exact at zeros."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((3, 4))
WITH_ZEROS = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 0.0, 3.0, -1.0], [2.0, -0.5, 1.0, 4.0]])

USES = {
    "cumsum flat": lambda x: np.cumsum(x),
    "cumsum axis 0": lambda x: np.cumsum(x, axis=0),
    "cumsum method axis -1": lambda x: x.cumsum(axis=-1),
    "cumsum float32": lambda x: np.cumsum(x, axis=1, dtype=np.float32),
    "cumprod flat": lambda x: np.cumprod(x),
    "cumprod axis 1": lambda x: np.cumprod(x, axis=1),
    "cumprod method axis 0": lambda x: x.cumprod(axis=0),
}


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("use", USES.values(), ids=USES.keys())
def test_values_and_dtypes_are_numpys(use, backend):
    with jax.enable_x64(True):
        ours = tracegrad.jit(use, backend=backend)(X)
    expected = use(X)
    assert np.asarray(ours).dtype == expected.dtype and np.shape(ours) == expected.shape
    np.testing.assert_allclose(np.asarray(ours), expected, rtol=1e-6)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_integers_and_bools_widen_as_numpy(backend):
    def f(x):
        small = (x > 0).astype(np.int8)
        return np.cumsum(small, axis=0), np.cumprod(x > -1), np.cumsum(small, dtype=np.int8)

    with jax.enable_x64(True):
        ours = tracegrad.jit(f, backend=backend)(X)
    for a, b in zip(ours, f(X), strict=True):
        assert np.asarray(a).dtype == b.dtype
        np.testing.assert_array_equal(np.asarray(a), b)


def test_errors_name_the_line():
    with pytest.raises(tracegrad.TraceError, match="axis 2 is out of bounds"):
        tracegrad.jit(lambda x: np.cumsum(x, axis=2))(X)
    with pytest.raises(tracegrad.TraceError, match="out="):
        tracegrad.jit(lambda x: np.cumsum(x, out=x))(X)


def reverse_cumsum(w, axis):
    return np.flip(np.cumsum(np.flip(w, axis), axis=axis), axis)


def cumprod_gradient(x, w):
    """d/dx_i of sum_j w_j prod_{k<=j} x_k, by the definition (no division: exact at 0)."""
    gradient = np.zeros_like(x)
    for i, j in itertools.product(range(x.size), repeat=2):
        if j >= i:
            others = [x[k] for k in range(j + 1) if k != i]
            gradient[i] += w[j] * np.prod(others)
    return gradient


@pytest.mark.parametrize("axis", [0, 1])
def test_cumsum_gradient_is_the_reversed_running_sum(axis):
    gradient = tracegrad.grad(lambda x: np.sum(np.cumsum(x, axis=axis) * W))(X)
    np.testing.assert_allclose(gradient, reverse_cumsum(W, axis), rtol=1e-12)


@pytest.mark.parametrize("row", range(3))
def test_cumprod_gradient_at_zeros_is_the_definitions(row):
    x, w = WITH_ZEROS[row], W[row]
    gradient = tracegrad.grad(lambda x: np.sum(np.cumprod(x) * w))(x)
    np.testing.assert_allclose(gradient, cumprod_gradient(x, w), rtol=1e-12, atol=1e-14)


LOSSES = {
    "cumsum": lambda x: np.sum(np.sin(np.cumsum(x, axis=1)) * W),
    "cumprod": lambda x: np.sum(np.cumprod(x, axis=0) * W),
    "cumprod flat": lambda x: np.sum(np.tanh(np.cumprod(x)) * W.ravel()),
}


@pytest.mark.parametrize("loss", LOSSES.values(), ids=LOSSES.keys())
@pytest.mark.parametrize("x", [X, WITH_ZEROS], ids=["random", "zeros"])
def test_first_and_second_order_against_finite_differences(loss, x):
    tracegrad.check_grads(loss, x, order=1)
    tracegrad.check_grads(loss, x, order=2, rtol=1e-4)


@pytest.mark.parametrize("loss", LOSSES.values(), ids=LOSSES.keys())
def test_gradient_equals_jax_grad_of_the_same_source(loss):
    with jax.enable_x64(True):
        expected = np.asarray(jax.grad(_as_jax(loss))(jnp.asarray(WITH_ZEROS)))
    np.testing.assert_allclose(tracegrad.grad(loss)(WITH_ZEROS), expected, rtol=1e-10)


def _as_jax(loss):
    """The same function with `np` bound to jax.numpy."""
    globals_ = {**loss.__globals__, "np": jnp}
    return type(loss)(loss.__code__, globals_, loss.__name__, loss.__defaults__, loss.__closure__)


@pytest.mark.parametrize("use", USES.values(), ids=USES.keys())
def test_forward_mode_against_finite_differences(use):
    float32 = use(X).dtype == np.float32  # computed in float32: a coarser difference
    eps, rtol = (1e-2, 1e-3) if float32 else (1e-6, 1e-6)
    tangent = RNG.standard_normal(X.shape)
    _, ours = tracegrad.jvp(use, (WITH_ZEROS,), (tangent,))
    numerical = (use(WITH_ZEROS + eps * tangent) - use(WITH_ZEROS - eps * tangent)) / (2 * eps)
    np.testing.assert_allclose(ours, numerical, rtol=rtol, atol=rtol * 1e-2)


def test_emitted_gradients_read_as_written_by_hand():
    cumsum = str(tracegrad.grad(lambda x: np.sum(np.cumsum(x, axis=0) ** 2)).source(X))
    assert "cumsum = np.cumsum(d_cumsum[::-1], axis=0)" in cumsum
    assert "d_x = cumsum[::-1]" in cumsum
    cumprod = str(tracegrad.grad(lambda x: np.sum(np.cumprod(x, axis=0) ** 2)).source(X))
    assert "for t in reversed(range(3)):" in cumprod and "np.cumprod(x, axis=0)" in cumprod
