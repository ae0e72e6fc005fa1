"""What the common-mistake errors say (tests/test_common_mistakes.py checks that each names
the user's line and gives a fix; these check that each names the actual cause)."""

import inspect
from typing import NamedTuple

import numpy as np
import pytest
import scipy.special

import tracegrad

W = np.array([0.5, -1.0, 2.0])


def call_line(test, text: str) -> str:
    lines, start = inspect.getsourcelines(test)
    return f"{__file__}:{start + next(i for i, line in enumerate(lines) if text in line)}: "


def square_sum(w):
    return np.sum(w * w)


def test_grad_of_an_integer_argument_says_so():
    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.grad(lambda w: w * w)(3)
    message = str(caught.value)
    assert "integer or boolean argument" in message and "pass floats" in message
    assert "real scalar" not in message  # the cause, not its consequence


def test_a_tuple_without_has_aux_suggests_has_aux():
    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.grad(lambda w: (np.sum(w), w))(W)
    assert "returns a tuple of 2 values" in str(caught.value)
    assert "has_aux=True" in caught.value.hint


def test_none_returned_suggests_returning_the_loss():
    def forgot(w):
        np.sum(w)

    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.grad(forgot)(W)
    assert "returns None" in str(caught.value) and "return loss" in caught.value.hint


def test_a_namedtuple_argument_is_named_as_one():
    class Params(NamedTuple):
        w: np.ndarray

    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.grad(lambda p: np.sum(p.w))(Params(W))
    assert "is a NamedTuple (Params)" in str(caught.value)
    assert "_asdict()" in caught.value.hint


def test_scipy_special_functions_are_named_from_scipy():
    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.jit(scipy.special.kv)(W, W)
    assert "scipy.special.kv has no tracing rule" in str(caught.value)
    assert "np.kv" not in str(caught.value)


def test_argnums_and_has_aux_errors_name_the_call_line():
    with pytest.raises(tracegrad.TraceError) as wrong_argnums:
        tracegrad.grad(square_sum, argnums=1)(W)
    with pytest.raises(tracegrad.TraceError) as no_pair:
        tracegrad.grad(square_sum, has_aux=True)(W)
    test = test_argnums_and_has_aux_errors_name_the_call_line
    assert str(wrong_argnums.value).startswith(call_line(test, "argnums=1)(W)"))
    assert str(no_pair.value).startswith(call_line(test, "has_aux=True)(W)"))


def test_an_unknown_backend_names_its_line():
    with pytest.raises(tracegrad.BackendError) as caught:
        tracegrad.jit(square_sum, backend="torch")
    test = test_an_unknown_backend_names_its_line
    assert str(caught.value).startswith(call_line(test, 'backend="torch"'))


def test_a_custom_vjp_rule_of_the_wrong_arity_names_the_call():
    @tracegrad.custom_vjp
    def product(x, y):
        return x * y

    product.defvjp(lambda x, y: (x * y, (x, y)), lambda residuals, g: (g,))  # one, not two

    def loss(x):
        return np.sum(product(x, x))

    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.grad(loss)(W)
    message = str(caught.value)
    assert message.startswith(call_line(loss, "product(x, x)"))
    assert "2 cotangents" in message and "got a tuple of 1" in message
