"""A transform inside a traced function whose function closes over the outer traced value:
the inner trace captures it (as JAX does), and the outer derivative flows through it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad as tg

from ..catalog.test_grad_catalog import jax_float64

# name -> (the function with tracegrad's transforms inside, the same with JAX's, d/dx by hand)
CASES = {
    "grad": (
        lambda x: tg.grad(lambda y: x * y**2)(1.0),
        lambda x: jax.grad(lambda y: x * y**2)(1.0),
        lambda x: 2.0,
    ),
    "grad_at_the_outer_value": (
        lambda x: tg.grad(lambda y: x * y**2)(x),
        lambda x: jax.grad(lambda y: x * y**2)(x),
        lambda x: 4 * x,
    ),
    "value_and_grad": (
        lambda x: sum(tg.value_and_grad(lambda y: np.sin(x * y))(0.5)),
        lambda x: sum(jax.value_and_grad(lambda y: jnp.sin(x * y))(0.5)),
        lambda x: 0.5 * np.cos(0.5 * x) + np.cos(0.5 * x) - 0.5 * x * np.sin(0.5 * x),
    ),
    "vjp": (
        lambda x: tg.vjp(lambda y: np.sin(x) * y**2, 2.0)[1](1.0)[0],
        lambda x: jax.vjp(lambda y: jnp.sin(x) * y**2, 2.0)[1](1.0)[0],
        lambda x: 4 * np.cos(x),
    ),
    "jvp": (
        lambda x: tg.jvp(lambda y: x**2 * np.sin(y), (0.5,), (1.0,))[1],
        lambda x: jax.jvp(lambda y: x**2 * jnp.sin(y), (0.5,), (1.0,))[1],
        lambda x: 2 * x * np.cos(0.5),
    ),
    "hessian": (
        lambda x: np.sum(tg.hessian(lambda y: x * np.sum(y**3))(np.array([1.0, 2.0]))),
        lambda x: jnp.sum(jax.hessian(lambda y: x * jnp.sum(y**3))(jnp.array([1.0, 2.0]))),
        lambda x: 18.0,
    ),
    "jacrev": (
        lambda x: np.sum(tg.jacrev(lambda y: x**2 * y)(np.array([1.0, 2.0]))),
        lambda x: jnp.sum(jax.jacrev(lambda y: x**2 * y)(jnp.array([1.0, 2.0]))),
        lambda x: 4 * x,  # the Jacobian is diag(x^2, x^2)
    ),
    "jit": (
        lambda x: tg.jit(lambda y: np.exp(x) * y)(2.0),
        lambda x: jax.jit(lambda y: jnp.exp(x) * y)(2.0),
        lambda x: 2 * np.exp(x),
    ),
    "jit_returning_the_outer_value": (
        lambda x: tg.jit(lambda y: x)(2.0) * x,
        lambda x: jax.jit(lambda y: x)(2.0) * x,
        lambda x: 2 * x,
    ),
    "grad_of_a_cond_reading_x": (
        lambda x: tg.grad(lambda y: tg.cond(y > 0, lambda v: v * x, lambda v: v - x, y) * y)(1.5),
        lambda x: jax.grad(lambda y: jax.lax.cond(y > 0, lambda v: v * x, lambda v: v - x, y) * y)(
            1.5
        ),
        lambda x: 3.0,
    ),
}


def central_difference(f, x: float, h: float = 1e-5) -> float:
    return (float(f(x + h)) - float(f(x - h))) / (2 * h)


@pytest.mark.parametrize("name", list(CASES))
def test_nested_transform_closing_over_the_outer_value(name):
    traced, with_jax, by_hand = CASES[name]
    x = 0.7
    got = tg.grad(traced)(x)
    with jax_float64():
        want = float(jax.grad(with_jax)(x))
    np.testing.assert_allclose(got, by_hand(x), rtol=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(got, central_difference(traced, x), rtol=1e-6)


def test_the_issue_example():
    assert tg.grad(lambda x: tg.grad(lambda y: x * y**2)(1.0))(3.0) == 2.0


def test_under_jit_the_value_is_computed():
    inner = tg.jit(lambda x: tg.grad(lambda y: x * np.sin(y))(0.3) + x)
    np.testing.assert_allclose(inner(2.0), 2.0 * np.cos(0.3) + 2.0)
    np.testing.assert_allclose(inner(3.0), 3.0 * np.cos(0.3) + 3.0)  # a cache hit, new x


def test_a_closing_inner_transform_is_not_cached_with_a_finished_trace():
    """The inner entry reads the outer trace's values: a second outer call must not reuse it."""
    inner_holder: list = []

    def traced(x):
        inner_holder[:] = [tg.grad(lambda y: x * y**3)]
        return inner_holder[0](1.0) + inner_holder[0](2.0)

    assert tg.grad(traced)(5.0) == 3.0 + 12.0
    assert len(inner_holder[0].cache) == 0


def test_a_leaked_outer_value_still_fails_clearly():
    leaked = []
    tg.grad(lambda x: leaked.append(x) or x * 1.0)(1.0)
    with pytest.raises(tg.TraceError, match="finished"):
        tg.grad(lambda y: leaked[0] * y)(2.0)


SCALE = np.array([1.0, 2.0, 3.0])


def test_a_closing_inner_transform_also_reads_captured_arrays_at_each_call():
    """The inner function closes over the outer `x` and reads the global SCALE: both are
    inputs, in their places, and SCALE is read afresh at each call."""

    def outer(x):
        return tg.grad(lambda y: np.sum(SCALE * y) * x + x * y**2)(1.0)

    gradient = tg.grad(outer)
    assert gradient(3.0) == SCALE.sum() + 2.0
    saved = SCALE.copy()
    try:
        SCALE[:] = 5.0
        assert gradient(3.0) == 17.0
    finally:
        SCALE[:] = saved


def reads_scale(y):
    return np.sum(SCALE * y)


def test_vjp_and_jvp_inside_a_traced_function_pass_captured_arrays_in_their_place():
    """A vjp's graph takes the captured SCALE before its cotangent (a jvp's before its
    tangents): inlined, each input gets its own value."""

    def pulled(x):
        return tg.vjp(reads_scale, x)[1](2.0)[0]

    def pushed(x):
        return tg.jvp(reads_scale, (x,), (np.ones(3),))[1]

    np.testing.assert_allclose(tg.jit(pulled)(np.ones(3)), 2.0 * SCALE)
    np.testing.assert_allclose(tg.jit(pushed)(np.ones(3)), SCALE.sum())
