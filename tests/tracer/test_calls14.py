"""Composite calls (ir/primitives/calls.py): a declared NumPy function is emitted as the call
the user wrote, with its defaults left out, differentiated through its decomposition (or the
rule of its own), and recorded as its plain composition where a param is traced."""

import functools

import numpy as np
import pytest

import tracegrad
from tracegrad.ir.primitives import calls
from tracegrad.tracer.functions.calls import is_static

RNG = np.random.default_rng(14)
X = RNG.normal(size=(3, 4))
BACKENDS = (("numpy", "np"), ("jax", "jnp"))


def source(fn, *args, backend="numpy"):
    return tracegrad.jit(fn, backend=backend).source(*args)


def numerical_gradient(fn, x, step=1e-6):
    gradient = np.zeros_like(x)
    for position in np.ndindex(x.shape):
        unit = np.zeros_like(x)
        unit[position] = step
        gradient[position] = (fn(x + unit) - fn(x - unit)) / (2 * step)
    return gradient


CALLS = [
    (lambda x: np.pad(x, 1), "pad(x, 1)"),
    (lambda x: np.pad(x, [(1, 2), (1, 2)]), "pad(x, (1, 2))"),
    (lambda x: np.pad(x, ((1, 0), (0, 2)), mode="edge"), "pad(x, ((1, 0), (0, 2)), mode='edge')"),
    (lambda x: np.pad(x, 2, constant_values=(1.5, -1)), "pad(x, 2, constant_values=(1.5, -1.0))"),
    (lambda x: np.pad(x, 1, constant_values=np.inf), "pad(x, 1, constant_values={m}.inf)"),
    (lambda x: np.flipud(x), "flip(x, 0)"),
    (lambda x: np.fliplr(x), "flip(x, 1)"),
    (lambda x: np.flip(x, (0, 1)), "flip(x)"),
    (lambda x: np.roll(x, 1, axis=1), "roll(x, 1, axis=1)"),
    (lambda x: np.roll(x, (1, 5), axis=(0, 1)), "roll(x, (1, 5), axis=(0, 1))"),
    (lambda x: np.roll(x, (1, 3), axis=(0, 0)), "roll(x, 4, axis=0)"),
    (lambda x: np.roll(x, -1), "roll(x, -1)"),
    (lambda x: np.tile(x, (2, 1, 3)), "tile(x, (2, 1, 3))"),
    (lambda x: np.kron(x, x[0]), "kron(x, x[0])"),
    (lambda x: np.nan_to_num(x * np.inf, nan=-1.0), "nan_to_num(x * {m}.inf, nan=-1.0)"),
    (lambda x: np.nan_to_num(x, posinf=1), "nan_to_num(x, posinf=1)"),
]


@pytest.mark.parametrize("fn, call", CALLS, ids=[call for _, call in CALLS])
def test_a_declared_call_is_emitted_as_written(fn, call):
    for backend, module in BACKENDS:
        assert f"{module}.{call.format(m=module)}" in source(fn, X, backend=backend)
        np.testing.assert_array_equal(tracegrad.jit(fn, backend=backend)(X), fn(X))


def test_a_call_that_changes_nothing_is_no_call():
    for fn in (lambda x: np.roll(x, 4, axis=1), lambda x: np.roll(x, 12), lambda x: np.pad(x, 0)):
        text = source(fn, X)
        assert "roll" not in text.split("def ")[1] and "np.pad" not in text


LOSSES = [
    lambda x: np.sum(np.sin(np.pad(x, ((1, 2), (0, 1)), mode="reflect")) ** 2),
    lambda x: np.sum(np.pad(x, 1, mode="wrap") ** 3),
    lambda x: np.sum(np.pad(x, (2, 1), constant_values=3.0) ** 2),
    lambda x: np.sum(np.cos(np.roll(x, (1, -2), axis=(0, 1))) * np.flip(x, 1)),
    lambda x: np.sum(np.roll(x, 5) ** 3),
    lambda x: np.sum(np.tile(x, (2, 1, 3)) ** 3),
    lambda x: np.sum(np.sin(np.kron(x[:, :2], x))),
    lambda x: np.sum(np.nan_to_num(x) ** 3),
]


@pytest.mark.parametrize("loss", LOSSES)
def test_gradients_match_finite_differences_on_both_backends(loss):
    expected = numerical_gradient(loss, X)
    for backend, _ in BACKENDS:
        gradient = tracegrad.jit(tracegrad.grad(loss), backend=backend)(X)
        np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-6)
    tangent = RNG.normal(size=X.shape)
    _, pushed = tracegrad.jvp(loss, (X,), (tangent,))
    np.testing.assert_allclose(pushed, np.sum(expected * tangent), rtol=1e-6)


def test_the_derivatives_read_as_calls():
    flips = source(tracegrad.grad(lambda x: np.sum(np.flipud(x) * X)), X)
    assert "np.flip(x, 0)" not in flips and "d_x = np.flip(" in flips
    rolls = source(tracegrad.grad(lambda x: np.sum(np.roll(x, 1, axis=1) ** 2)), X)
    assert "np.roll(d_roll, -1, axis=1)" in rolls and "concatenate" not in rolls
    pads = source(tracegrad.grad(lambda x: np.sum(np.cumsum(np.pad(x, (1, 2)), 1) ** 2)), X)
    assert "np.pad(x, (1, 2))" in pads and "d_x = d_pad[1:4, 1:5]" in pads
    # What np.pad kept of x, read back, is x: no pad is computed for this gradient.
    squares = source(tracegrad.grad(lambda x: np.sum(np.pad(x, (1, 2)) ** 2)), X)
    assert "d_x = x * 2" in squares and "pad" not in squares.split("import numpy")[1]
    pushed = tracegrad.jit(lambda x, t: tracegrad.jvp(lambda y: np.pad(y, 1), (x,), (t,)))
    assert "np.pad(t, 1)" in pushed.source(X, X)


def test_a_traced_param_keeps_the_composition():
    def padded(x, value):
        return np.pad(x, 1, constant_values=value)

    text = source(padded, X, 2.0)
    assert "np.pad" not in text and "np.concatenate" in text
    np.testing.assert_array_equal(tracegrad.jit(padded)(X, 2.0), np.pad(X, 1, constant_values=2))
    gradient = tracegrad.grad(lambda x, v: np.sum(padded(x, v) ** 2), argnums=1)(X, 2.0)
    assert gradient == pytest.approx(2 * 2.0 * (np.pad(X, 1).size - X.size))


def test_a_traced_replacement_keeps_the_composition():
    text = source(lambda x, v: np.nan_to_num(x, nan=v), X, 2.0)
    assert "nan_to_num" not in text and "np.isnan(x)" in text


def test_static_params_are_python_values():
    assert is_static((1, (2, 3), "edge", None, 1.5, True))
    assert not is_static(np.int64(1)) and not is_static((1, [2])) and not is_static(1j)


def test_every_call_is_its_numpy_function():
    assert {op.name for op in calls.signatures} >= {"pad", "flip", "roll"}
    for op, signature in calls.signatures.items():  # np.pad, np.linalg.solve
        function = functools.reduce(getattr, signature.function.split("."), np)
        assert function.__name__ == op.name


NAN_X = np.where(RNG.uniform(size=X.shape) < 0.25, np.nan, X)
NAN_CALLS = [
    (lambda x: np.nanmean(x, axis=0), "nanmean(x, axis=0)"),
    (lambda x: np.nansum(x, axis=(0, 1), keepdims=True), "nansum(x, keepdims=True)"),
    (lambda x: np.nanvar(x, axis=-1, ddof=1), "nanvar(x, axis=1, ddof=1)"),
    (lambda x: np.nanstd(x), "nanstd(x)"),
    (lambda x: np.nanmax(x, 1), "nanmax(x, axis=1)"),
    (lambda x: np.nanmin(x, axis=0), "nanmin(x, axis=0)"),
    (lambda x: np.nanprod(x, axis=1), "nanprod(x, axis=1)"),
]


@pytest.mark.parametrize("fn, call", NAN_CALLS, ids=[call for _, call in NAN_CALLS])
def test_nan_reductions_are_calls_differentiated_through_their_compositions(fn, call):
    def loss(x):
        return np.sum(np.sin(fn(x)))

    expected = np.where(np.isnan(NAN_X), 0, numerical_gradient(loss, NAN_X))
    for backend, module in BACKENDS:
        assert f"{module}.{call}" in source(fn, NAN_X, backend=backend)
        gradient = tracegrad.jit(tracegrad.grad(loss), backend=backend)(NAN_X)
        np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-6)


def test_nan_reductions_with_other_keywords_keep_the_composition():
    for fn in (
        lambda x: np.nanmax(x, axis=0, initial=-5.0),
        lambda x: np.nanmean(x, axis=0, where=x > 0),
        lambda x: np.nansum(x, dtype=np.float32),
        lambda x: np.nanmean(x.astype(np.int32)),  # no NaN in integers: the plain mean
    ):
        assert "np.nan" not in source(fn, NAN_X)
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(tracegrad.jit(fn)(NAN_X), fn(NAN_X), rtol=1e-6)


def test_convolve_and_correlate_are_calls_of_two_operands():
    a, v = X[0], X[1, :3]
    for fn, call in (
        (lambda a, v: np.convolve(a, v, mode="same"), "convolve(a, v, mode='same')"),
        (lambda a, v: np.correlate(v, a, 2), "correlate(v, a, mode='full')"),
        (lambda a, v: np.convolve(a, v), "convolve(a, v)"),
    ):
        for backend, module in BACKENDS:
            assert f"{module}.{call}" in source(fn, a, v, backend=backend)
            np.testing.assert_allclose(tracegrad.jit(fn, backend=backend)(a, v), fn(a, v))

        def loss(a, fn=fn):
            return np.sum(np.sin(fn(a, v)))

        gradient = tracegrad.jit(tracegrad.grad(loss), backend="jax")(a)
        np.testing.assert_allclose(gradient, numerical_gradient(loss, a), rtol=1e-6, atol=1e-8)
    integers = source(lambda a: np.convolve(a.astype(np.int64), [1, 2]), a)
    assert "convolve" not in integers.split("def ")[1]  # the composition where not floats
