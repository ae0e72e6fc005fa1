"""Derivatives through structured control flow: each checked against a hand-derived formula,
central differences and JAX (`jax.grad` / `jax.jvp` of the same computation written with
`jax.lax`), on both backends.

- an RNN written with `scan`, against the same RNN unrolled and against hand-written BPTT;
- Newton's method for a square root with `fori_loop` (static bounds: reverse mode too);
- a piecewise function with `cond`, both branches taken across the inputs;
- a fixed point found by `while_loop`, differentiated in forward mode (the implicit
  function theorem gives the derivative), and the clear error reverse mode raises;
- a `custom_vjp` log-sum-exp that stays finite where the naive formula overflows.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tracegrad

from ..catalog.numerics import central_difference_grad
from ..catalog.test_grad_catalog import jax_float64
from ..strategies import smooth_arrays

BACKENDS = ["numpy", "jax"]
RNG = np.random.default_rng(7)
T, D, H = 6, 2, 3


def as_numpy(tree):
    return jax.tree_util.tree_map(np.asarray, tree)


def on(backend, staged):
    """A staged transform run by `backend`."""
    return staged if backend == "numpy" else tracegrad.jit(staged, backend="jax")


def grad(fn, backend, **options):
    return on(backend, tracegrad.grad(fn, **options))


def value_and_grad(fn, backend, **options):
    return on(backend, tracegrad.value_and_grad(fn, **options))


def jvp(fn, primals, tangents, backend):
    return on(backend, tracegrad.JVP(fn))(primals, tangents)


# --- an RNN with scan ---------------------------------------------------------------------


def rnn_scan(W, U, h0, xs):
    def step(h, x):
        h = np.tanh(h @ W + x @ U)
        return h, h

    h, hs = tracegrad.scan(step, h0, xs)
    return np.sum(hs * hs) + np.sum(h)


def rnn_unrolled(W, U, h0, xs):
    h, total = h0, 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] @ U)
        total = total + np.sum(h * h)
    return total + np.sum(h)


def rnn_bptt(W, U, h0, xs):
    """The gradient derived by hand: forward, keep every state, then walk back in time."""
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(hs[-1] @ W + xs[t] @ U))
    dW, dU, dxs = np.zeros_like(W), np.zeros_like(U), np.zeros_like(xs)
    dh = np.ones_like(h0)  # from sum(h) of the last state
    for t in reversed(range(xs.shape[0])):
        dh = dh + 2 * hs[t + 1]  # from sum(h_t * h_t)
        da = dh * (1 - hs[t + 1] ** 2)
        dW += np.outer(hs[t], da)
        dU += np.outer(xs[t], da)
        dxs[t] = U @ da
        dh = W @ da
    return dW, dU, dh, dxs


def rnn_jax(W, U, h0, xs):
    def step(h, x):
        h = jnp.tanh(h @ W + x @ U)
        return h, h

    h, hs = jax.lax.scan(step, h0, xs)
    return jnp.sum(hs * hs) + jnp.sum(h)


def rnn_args():
    return (
        RNG.standard_normal((H, H)) * 0.5,
        RNG.standard_normal((D, H)),
        RNG.standard_normal(H),
        RNG.standard_normal((T, D)),
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_scan_rnn_gradient_equals_bptt_unrolled_finite_differences_and_jax(backend):
    args = rnn_args()
    copies = [a.copy() for a in args]
    got = as_numpy(grad(rnn_scan, backend, argnums=(0, 1, 2, 3))(*args))
    expected = rnn_bptt(*args)
    unrolled = tracegrad.grad(rnn_unrolled, argnums=(0, 1, 2, 3))(*args)
    for g, e, u in zip(got, expected, unrolled, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(g, u, rtol=1e-10, atol=1e-12)
    for k in range(4):
        np.testing.assert_allclose(
            got[k], central_difference_grad(rnn_unrolled, args, k), rtol=1e-6, atol=1e-8
        )
    with jax_float64():
        reference = jax.grad(rnn_jax, argnums=(0, 1, 2, 3))(*args)
    for g, r in zip(got, reference, strict=True):
        np.testing.assert_allclose(g, np.asarray(r), rtol=1e-10, atol=1e-12)
    for a, c in zip(args, copies, strict=True):
        np.testing.assert_array_equal(a, c)


def test_scan_rnn_gradient_stays_a_pair_of_loops():
    args = rnn_args()
    source = tracegrad.grad(rnn_scan, argnums=(0, 1)).source(*args)
    assert source.count("for t in range(6):") == 1
    assert source.count("for t in reversed(range(6)):") == 1
    ir = str(tracegrad.grad(rnn_scan, argnums=(0, 1)).ir(*args))
    assert ir.count("= scan ") == 2  # the forward loop and the backward loop


@pytest.mark.parametrize("backend", BACKENDS)
def test_scan_in_reverse_with_a_tuple_carry_and_two_xs(backend):
    a, b = RNG.standard_normal((T, H)), RNG.standard_normal(T)

    def f(a, b, s0):
        def step(carry, x):
            s, p = carry
            row, w = x
            s = s * 0.9 + np.sin(row) * w
            return (s, p * 0.5 + s.sum()), s.sum() * w

        (s, p), ys = tracegrad.scan(step, (s0, 0.0), (a, b), reverse=True)
        return np.sum(s * s) + p + np.sum(ys)

    def f_jax(a, b, s0):
        def step(carry, x):
            s, p = carry
            row, w = x
            s = s * 0.9 + jnp.sin(row) * w
            return (s, p * 0.5 + s.sum()), s.sum() * w

        (s, p), ys = jax.lax.scan(step, (s0, 0.0), (a, b), reverse=True)
        return jnp.sum(s * s) + p + jnp.sum(ys)

    s0 = RNG.standard_normal(H)
    value, got = value_and_grad(f, backend, argnums=(0, 1, 2))(a, b, s0)
    assert np.isclose(float(value), f(a, b, s0))  # eager: the plain Python loop
    with jax_float64():
        reference = jax.grad(f_jax, argnums=(0, 1, 2))(a, b, s0)
    for g, r in zip(as_numpy(got), reference, strict=True):
        np.testing.assert_allclose(g, np.asarray(r), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        np.asarray(got[1]), central_difference_grad(f, (a, b, s0), 1), rtol=1e-6, atol=1e-8
    )


# --- Newton's method with fori_loop -------------------------------------------------------


def newton_sqrt(a):
    return tracegrad.fori_loop(0, 8, lambda i, x: 0.5 * (x + a / x), a)


@pytest.mark.parametrize("backend", BACKENDS)
def test_newton_sqrt_fori_loop_value_and_gradient(backend):
    a = np.array([0.5, 2.0, 9.0, 30.0])
    f = tracegrad.jit(newton_sqrt, backend=backend)
    np.testing.assert_allclose(np.asarray(f(a)), np.sqrt(a), rtol=1e-12)

    def total(a):
        return np.sum(newton_sqrt(a))

    got = np.asarray(grad(total, backend)(a))
    np.testing.assert_allclose(got, 0.5 / np.sqrt(a), rtol=1e-9)  # d sqrt(a) / da
    np.testing.assert_allclose(got, central_difference_grad(total, (a,)), rtol=1e-6)

    def total_jax(a):
        return jnp.sum(jax.lax.fori_loop(0, 8, lambda i, x: 0.5 * (x + a / x), a))

    with jax_float64():
        np.testing.assert_allclose(got, np.asarray(jax.grad(total_jax)(a)), rtol=1e-12)
    _, tangent = jvp(newton_sqrt, (a,), (np.ones_like(a),), backend)
    np.testing.assert_allclose(np.asarray(tangent), 0.5 / np.sqrt(a), rtol=1e-9)


def test_fori_loop_uses_its_index_and_closes_over_a_traced_value():
    def poly(x, c):
        # sum_i c * x**i for i in 0..4, by Horner-free accumulation
        return tracegrad.fori_loop(0, 5, lambda i, acc: acc + c * x**i, np.zeros_like(x))

    x, c = np.array([0.3, -1.2]), 1.5
    got = tracegrad.grad(lambda x, c: np.sum(poly(x, c)), argnums=(0, 1))(x, c)
    np.testing.assert_allclose(got[0], c * (1 + 2 * x + 3 * x**2 + 4 * x**3), rtol=1e-12)
    np.testing.assert_allclose(got[1], np.sum(1 + x + x**2 + x**3 + x**4), rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fori_loop_with_traced_bounds_forward_mode_only(backend):
    def repeat(x, n):
        return tracegrad.fori_loop(0, n, lambda i, y: np.sin(y), x)

    x, n = np.array([0.4, 1.0]), np.int64(3)
    _, tangent = jvp(lambda x: repeat(x, n), (x,), (np.ones(2),), backend)
    y1, y2 = np.sin(x), np.sin(np.sin(x))
    np.testing.assert_allclose(np.asarray(tangent), np.cos(y2) * np.cos(y1) * np.cos(x), rtol=1e-12)
    np.testing.assert_allclose(
        np.asarray(tracegrad.jit(repeat, backend=backend)(x, n)), np.sin(y2), rtol=1e-12
    )
    with pytest.raises(tracegrad.TraceError, match="fori_loop with traced bounds") as error:
        tracegrad.grad(lambda x, n: np.sum(repeat(x, n)))(x, n)
    assert "tracegrad.scan" in str(error.value) and "test_control_flow.py" in str(error.value)


# --- a piecewise function with cond -------------------------------------------------------


def piecewise(x, a):
    def positive(x):
        return np.sin(x) * a

    def negative(x):
        return x * x * a + x

    return tracegrad.cond(np.sum(x) > 0, positive, negative, x)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_piecewise_gradient_in_both_branches(backend, sign):
    x, a = sign * np.array([0.5, 1.5, 0.25]), 1.7

    def loss(x, a):
        return np.sum(piecewise(x, a) ** 2)

    value, (dx, da) = value_and_grad(loss, backend, argnums=(0, 1))(x, a)
    y = np.sin(x) * a if sign > 0 else x * x * a + x
    dy_dx = np.cos(x) * a if sign > 0 else 2 * x * a + 1
    dy_da = np.sin(x) if sign > 0 else x * x
    np.testing.assert_allclose(float(value), np.sum(y**2), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(dx), 2 * y * dy_dx, rtol=1e-12)
    np.testing.assert_allclose(float(da), np.sum(2 * y * dy_da), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(dx), central_difference_grad(loss, (x, a)), rtol=1e-6)

    def loss_jax(x, a):
        y = jax.lax.cond(jnp.sum(x) > 0, lambda x: jnp.sin(x) * a, lambda x: x * x * a + x, x)
        return jnp.sum(y**2)

    with jax_float64():
        reference = jax.grad(loss_jax, argnums=(0, 1))(x, a)
    np.testing.assert_allclose(np.asarray(dx), np.asarray(reference[0]), rtol=1e-12)
    _, tangent = jvp(lambda x: piecewise(x, a), (x,), (np.ones(3),), backend)
    np.testing.assert_allclose(np.asarray(tangent), dy_dx, rtol=1e-12)


def test_cond_stays_an_if_in_the_gradient_source():
    x = np.array([0.5, 1.5])
    source = tracegrad.grad(lambda x: np.sum(piecewise(x, 2.0))).source(x)
    assert source.count("if ") >= 1 and "else:" in source


def test_python_if_on_a_traced_value_names_cond_and_where():
    def f(x):
        if x.sum() > 0:
            return x
        return -x

    with pytest.raises(tracegrad.TraceError) as error:
        tracegrad.grad(lambda x: np.sum(f(x)))(np.ones(2))
    message = str(error.value)
    assert "tracegrad.cond" in message and "np.where" in message
    assert "test_control_flow.py" in message


# --- a fixed point with while_loop, forward mode -------------------------------------------


def fixed_point(a):
    """x = a * cos(x), iterated until it stops moving."""

    def keep_going(state):
        x, previous = state
        return np.abs(x - previous) > 1e-13

    def step(state):
        x, _ = state
        return a * np.cos(x), x

    x, _ = tracegrad.while_loop(keep_going, step, (a * np.cos(a), a))
    return x


@pytest.mark.parametrize("backend", BACKENDS)
def test_while_loop_fixed_point_in_forward_mode(backend):
    a = 0.6
    x, tangent = jvp(fixed_point, (a,), (1.0,), backend)
    x, tangent = float(x), float(tangent)
    assert abs(x - a * np.cos(x)) < 1e-12
    # Implicit function theorem on g(x, a) = x - a cos(x) = 0: dx/da = cos x / (1 + a sin x).
    np.testing.assert_allclose(tangent, np.cos(x) / (1 + a * np.sin(x)), rtol=1e-9)
    eps = 1e-6
    np.testing.assert_allclose(
        tangent, (fixed_point(a + eps) - fixed_point(a - eps)) / (2 * eps), rtol=1e-6
    )

    def fixed_point_jax(a):
        def step(state):
            x, _ = state
            return a * jnp.cos(x), x

        return jax.lax.while_loop(
            lambda s: jnp.abs(s[0] - s[1]) > 1e-13, step, (a * jnp.cos(a), a)
        )[0]

    with jax_float64():
        _, reference = jax.jvp(fixed_point_jax, (a,), (1.0,))
    np.testing.assert_allclose(tangent, float(reference), rtol=1e-9)
    jacobian = on(backend, tracegrad.jacfwd(fixed_point))(np.float64(a))
    np.testing.assert_allclose(float(jacobian), tangent, rtol=1e-12)


def test_while_loop_in_reverse_mode_says_what_to_use():
    with pytest.raises(tracegrad.TraceError, match="while_loop") as error:
        tracegrad.grad(fixed_point)(0.6)
    message = str(error.value)
    assert "tracegrad.scan" in message and "forward mode" in message
    assert "test_control_flow.py" in message


# --- custom_vjp: a stable log-sum-exp ------------------------------------------------------


@tracegrad.custom_vjp
def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_fwd(x):
    m = np.max(x)
    e = np.exp(x - m)
    s = np.sum(e)
    return m + np.log(s), (e, s)


def logsumexp_bwd(residuals, g):
    e, s = residuals
    return (g * e / s,)


logsumexp.defvjp(logsumexp_fwd, logsumexp_bwd)


@pytest.mark.parametrize("backend", BACKENDS)
def test_custom_vjp_logsumexp_is_stable_and_uses_the_rule(backend):
    x = np.array([1000.0, 999.0, 998.5])  # exp overflows: the naive gradient is nan
    value, dx = value_and_grad(lambda x: logsumexp(x) * 2.0, backend)(x)
    softmax = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    np.testing.assert_allclose(
        float(value), 2 * (1000 + np.log(np.sum(np.exp(x - 1000)))), rtol=1e-14
    )
    np.testing.assert_allclose(np.asarray(dx), 2 * softmax, rtol=1e-12)
    assert np.all(np.isfinite(np.asarray(dx)))
    with jax_float64():
        reference = jax.grad(lambda x: jax.nn.logsumexp(x) * 2.0)(x)
    np.testing.assert_allclose(np.asarray(dx), np.asarray(reference), rtol=1e-12)
    small = np.array([0.1, -0.4, 0.3])
    np.testing.assert_allclose(
        np.asarray(grad(logsumexp, backend)(small)),
        central_difference_grad(logsumexp, (small,)),
        rtol=1e-7,
    )


def test_custom_vjp_rule_is_named_in_the_gradient_source():
    source = tracegrad.grad(logsumexp).source(np.array([1.0, 2.0]))
    assert "(logsumexp_bwd)" in source
    primal = tracegrad.jit(logsumexp).source(np.array([1.0, 2.0]))
    assert "# logsumexp: custom VJP logsumexp_bwd" in primal
    assert "(logsumexp_bwd)" not in primal  # the function's own lines, not the rule's


def test_custom_vjp_forward_mode_differentiates_the_function():
    x, t = np.array([0.2, 1.0]), np.array([1.0, -2.0])
    _, tangent = tracegrad.jvp(logsumexp, (x,), (t,))
    softmax = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(float(tangent), softmax @ t, rtol=1e-12)


def test_custom_vjp_errors_name_the_users_line():
    @tracegrad.custom_vjp
    def f(x):
        return np.sin(x)

    with pytest.raises(tracegrad.TraceError, match="defvjp") as error:
        tracegrad.grad(lambda x: np.sum(f(x)))(np.ones(2))
    assert "test_control_flow.py" in str(error.value)
    f.defvjp(lambda x: (np.sin(x), x), lambda x, g: g * np.cos(x))  # not a tuple
    with pytest.raises(tracegrad.TraceError, match="tuple of 1 cotangents"):
        tracegrad.grad(lambda x: np.sum(f(x)))(np.ones(2))


def test_custom_vjp_runs_plainly_outside_tracing():
    x = np.array([1.0, 2.0])
    assert np.isclose(logsumexp(x), np.log(np.exp(1.0) + np.exp(2.0)))


# --- Hessians through loops ----------------------------------------------------------------


def test_hessian_through_a_static_fori_loop_and_a_scan():
    def f(x):
        y = tracegrad.fori_loop(0, 3, lambda i, y: y * x, np.ones_like(x))  # x**3
        _, zs = tracegrad.scan(lambda c, v: (c, np.sin(v)), 0.0, x)
        return np.sum(y) + np.sum(zs)

    x = np.array([0.7, -0.3])
    hessian = tracegrad.hessian(f)(x)
    np.testing.assert_allclose(hessian, np.diag(6 * x - np.sin(x)), rtol=1e-12, atol=1e-14)


# --- properties -----------------------------------------------------------------------------


def reverse_differentiable(x, W, a):
    """scan (both ways), cond and a static fori_loop, summed to a scalar."""

    def step(h, row):
        h = np.tanh(h @ W + row)
        return h, np.sum(h * h)

    h, ys = tracegrad.scan(step, np.zeros(W.shape[1]), x)
    c, zs = tracegrad.scan(
        lambda c, row: (c * 0.5 + np.sin(row) * a, c.sum()), x[0], x, reverse=True
    )
    branch = tracegrad.cond(np.sum(x) > 0, lambda h: np.exp(h) * a, lambda h: h * h + a, h)
    looped = tracegrad.fori_loop(0, 3, lambda i, v: np.cos(v) * a + v * 0.1 * i, h)
    return np.sum(ys) + np.sum(c * zs[0]) + np.sum(branch) + np.sum(looped * looped)


@given(data=st.data())
def test_gradient_through_control_flow_matches_finite_differences(data):
    n, d = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))
    x = data.draw(smooth_arrays((n, d), -2.0, 2.0))
    W = data.draw(smooth_arrays((d, d), -1.0, 1.0))
    a = float(data.draw(smooth_arrays((), -1.5, 1.5)))
    assume(abs(np.sum(x)) > 1e-3)
    got = tracegrad.grad(reverse_differentiable, argnums=(0, 1, 2))(x, W, a)
    for k in range(3):
        np.testing.assert_allclose(
            got[k],
            central_difference_grad(reverse_differentiable, (x, W, a), k),
            rtol=1e-5,
            atol=1e-7,
        )


def test_jacfwd_equals_jacrev_through_scan_and_cond():
    def f(x):
        _, ys = tracegrad.scan(lambda c, v: (c * v + 1.0, np.sin(c * v)), 0.5, x)
        return tracegrad.cond(np.sum(x) > 0, lambda y: y * y, lambda y: -y, ys)

    x = np.array([0.3, -0.7, 1.1])
    forward, backward = tracegrad.jacfwd(f)(x), tracegrad.jacrev(f)(x)
    np.testing.assert_allclose(forward, backward, rtol=1e-12, atol=1e-14)
    assert forward.shape == (3, 3) and np.any(forward != 0)
