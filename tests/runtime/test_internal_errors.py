"""Internal exceptions that reached users from the runtime, each now a result or a
TracegradError at the user's line."""

import numpy as np
import pytest

import tracegrad
from tracegrad import TraceError, TracegradError


def test_functions_named_like_builtins_compile():
    x = np.array([1.0, 3.0, 2.0])
    assert tracegrad.jit(np.max)(x) == 3.0
    assert tracegrad.jit(np.sum)(x) == 6.0
    np.testing.assert_array_equal(tracegrad.grad(np.sum)(x), np.ones(3))
    np.testing.assert_array_equal(tracegrad.grad(np.max)(x), [0.0, 1.0, 0.0])
    out, vjp_fn = tracegrad.vjp(np.sum, x)
    assert out == 6.0
    np.testing.assert_array_equal(vjp_fn(1.0)[0], np.ones(3))
    assert "def max_1(" in tracegrad.jit(np.max).source(x)  # `max` is a builtin


@pytest.mark.parametrize(
    "transform",
    [tracegrad.jit, tracegrad.grad, tracegrad.value_and_grad, tracegrad.jacfwd, tracegrad.hessian],
)
@pytest.mark.parametrize("value", [3, np.ones(2), "f"])
def test_a_transform_of_a_non_callable_names_the_call_line(transform, value):
    with pytest.raises(TraceError, match="transforms a function") as info:
        transform(value)  # the line named
    assert info.value.loc is not None and info.value.loc.file == __file__
    assert "transform(value)  # the line named" in info.value.loc.text
    assert "not the result of calling it" in str(info.value)


def pick(x, i):
    return x[i] * 2.0  # the indexing line


@pytest.mark.parametrize("make", [tracegrad.jit, lambda f: tracegrad.grad(f)])
def test_a_traced_index_out_of_bounds_names_the_user_line(make):
    f = make(pick)
    np.testing.assert_allclose(np.sum(f(np.ones(3), 2)), 2.0)
    with pytest.raises(
        TracegradError, match="index 5 is out of bounds for axis 0 with size 3"
    ) as info:
        f(np.ones(3), 5)
    assert isinstance(info.value, IndexError)  # code catching NumPy's error still catches it
    assert info.value.loc is not None and info.value.loc.file == __file__
    assert "the indexing line" in info.value.loc.text


def test_an_index_out_of_bounds_inside_a_loop_body_names_its_line():
    def f(x, i):
        return tracegrad.fori_loop(0, 2, lambda k, c: c + x[i], 0.0)  # in the body

    with pytest.raises(IndexError) as info:
        tracegrad.jit(f)(np.ones(3), 7)
    assert isinstance(info.value, TracegradError) and "in the body" in info.value.loc.text
