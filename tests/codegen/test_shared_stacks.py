"""A scan that stacks a carry's new values and the values each step began with (what
reverse mode keeps for the backward loop) fills one buffer of length + 1 states, as BPTT is
written by hand; the two stacks are views of it, and the memory plan treats them as one."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracegrad

from ..catalog.test_grad_catalog import jax_float64


def rnn(W, xs, reverse=False):
    def step(h, x):
        h = np.tanh(h @ W + x)
        return h, h

    _, hs = tracegrad.scan(step, np.zeros(xs.shape[1:]), xs, reverse=reverse)
    return np.sum(hs * hs)


def rnn_jax(W, xs, reverse=False):
    def step(h, x):
        h = jnp.tanh(h @ W + x)
        return h, h

    _, hs = jax.lax.scan(step, jnp.zeros(xs.shape[1:]), xs, reverse=reverse)
    return jnp.sum(hs * hs)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("batch", [2, 600])  # 600 x 64 float64 steps: the memory plan acts
def test_one_buffer_of_states_gives_the_gradient(reverse, batch):
    rng = np.random.default_rng(3)
    W, xs = rng.standard_normal((64, 64)) / 8, rng.standard_normal((5, batch, 64))
    gradient = tracegrad.grad(lambda W, xs: rnn(W, xs, reverse))
    source = gradient.source(W, xs)
    assert "h_states = np.empty((6, " in source
    assert f"h_states[{'5' if reverse else '0'}] = h" in source
    assert ("h_states[t] = " if reverse else "h_states[t + 1] = ") in source
    assert ("h_steps = h_states[1:]" if reverse else "h_steps = h_states[:-1]") in source
    with jax_float64():
        expected = jax.grad(lambda W, xs: rnn_jax(W, xs, reverse))(W, xs)
    xs_copy = xs.copy()
    np.testing.assert_allclose(gradient(W, xs), np.asarray(expected), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(xs, xs_copy)


def test_two_stacks_the_function_returns_never_share_memory():
    def states(W, xs):
        def step(h, x):
            new = np.tanh(h @ W + x)
            return new, (new, h)  # the new state and the one the step began with

        _, (hs, began) = tracegrad.scan(step, np.zeros(2), xs)
        return hs, began

    W, xs = np.eye(2) * 0.5, np.ones((3, 2))
    compiled = tracegrad.jit(states)
    assert "_states" not in compiled.source(W, xs)
    hs, began = compiled(W, xs)
    assert not np.shares_memory(hs, began)
    np.testing.assert_allclose(began[1:], hs[:-1])
