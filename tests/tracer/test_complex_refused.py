"""Complex values are refused (they gave wrong numbers silently), with the user's line."""

from __future__ import annotations

import numpy as np
import pytest

import tracegrad as tg
from tracegrad import TraceError

Z = np.array([1 + 2j, 3 - 1j])

# Every transform, given a complex argument.
TRANSFORMS = {
    "jit": lambda f, z: tg.jit(f)(z),
    "jit_jax": lambda f, z: tg.jit(f, backend="jax")(z),
    "grad": lambda f, z: tg.grad(lambda v: np.sum(np.abs(f(v))))(z),
    "value_and_grad": lambda f, z: tg.value_and_grad(lambda v: np.sum(np.abs(f(v))))(z),
    "vjp": lambda f, z: tg.vjp(f, z),
    "jvp": lambda f, z: tg.jvp(f, (z,), (z,)),
    "jacfwd": lambda f, z: tg.jacfwd(f)(z),
    "jacrev": lambda f, z: tg.jacrev(f)(z),
    "hessian": lambda f, z: tg.hessian(lambda v: np.sum(np.abs(f(v))))(z),
}

FUNCTIONS = {
    "norm": np.linalg.norm,
    "var": np.var,
    "abs": np.abs,
}


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_a_complex_argument_is_refused_by_every_transform(transform, function):
    with pytest.raises(TraceError, match="complex") as caught:
        TRANSFORMS[transform](FUNCTIONS[function], Z)
    error = caught.value
    assert error.loc is not None and error.loc.file == __file__
    assert "later version" in error.hint


@pytest.mark.parametrize(
    "argument", [1j, np.complex128(1j), np.complex64(1j), Z.astype(np.complex64), [Z]]
)
def test_complex_python_numpy_scalars_and_containers_are_refused(argument):
    with pytest.raises(TraceError, match=r"argument x.* is complex"):
        tg.jit(lambda x: x)(argument)


# Values created inside a real function: each names its own line.
def times_1j(x):
    return np.sum(np.abs(x * 1j))


def as_complex(x):
    return np.sum(np.abs(x.astype(complex)))


def with_complex_constant(x):
    return np.sum(np.abs(x + np.array([1j, 2.0])))


def complex_in_a_branch(x):
    return tg.cond(np.sum(x) > 0, lambda v: np.abs(v * 1j), lambda v: v, x)


@pytest.mark.parametrize(
    ("function", "text"),
    [
        (times_1j, "x * 1j"),
        (as_complex, "astype(complex)"),
        (with_complex_constant, "1j, 2.0"),
        (complex_in_a_branch, "v * 1j"),
    ],
)
@pytest.mark.parametrize("transform", ["jit", "grad"])
def test_a_complex_value_made_inside_is_refused_at_its_line(function, text, transform):
    staged = tg.jit(function) if transform == "jit" else tg.grad(lambda x: np.sum(function(x)))
    with pytest.raises(TraceError, match="complex") as caught:
        staged(np.ones(2))
    assert caught.value.loc.file == __file__ and text in caught.value.loc.text


def test_real_functions_of_real_values_still_work():
    x = np.array([3.0, -4.0])
    np.testing.assert_allclose(tg.jit(np.linalg.norm)(x), 5.0)
    np.testing.assert_allclose(tg.grad(np.linalg.norm)(x), x / 5.0)
