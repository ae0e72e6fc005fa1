"""Common mistakes a NumPy user makes with tracegrad, one table: each mistake either gives
the right result, or a TracegradError whose message names the user's line (the line marked
`# HERE` in the case: the call, or the line of the function that cannot be traced) and says
what to write instead ("Instead: ..."). No internal exception, no silent wrong answer.

A case is a function registered with @mistake (it raises) or @works(expected) (it returns
the correct result). Cases that need another engineer's area are marked xfail(strict=True).
"""

from __future__ import annotations

import inspect
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pytest
import scipy.special

import tracegrad
from tracegrad import TracegradError

BASENAME = os.path.basename(__file__)
MARKER = "# HERE"
RAISES = object()

W = np.array([0.5, -1.0, 2.0])
X = np.linspace(-1.0, 1.0, 6).reshape(2, 3)


@dataclass(frozen=True)
class Mistake:
    name: str
    run: Callable[[], Any]
    expected: Any = RAISES
    xfail: str | None = None


MISTAKES: list[Mistake] = []


def mistake(fn=None, *, xfail: str | None = None):
    """A case that must raise a TracegradError naming its marked line."""

    def register(case):
        MISTAKES.append(Mistake(case.__name__, case, RAISES, xfail))
        return case

    return register(fn) if fn is not None else register


def works(expected: Any, *, xfail: str | None = None):
    """A case that must return `expected` (compared with np.testing.assert_allclose)."""

    def register(case):
        MISTAKES.append(Mistake(case.__name__, case, expected, xfail))
        return case

    return register


def marked_line(case: Callable) -> int:
    lines, start = inspect.getsourcelines(case)
    found = [start + i for i, text in enumerate(lines) if MARKER in text]
    assert len(found) == 1, f"{case.__name__} must mark exactly one line"
    return found[0]


# --- gradients: what is differentiated, and what is returned ------------------------------


@mistake
def argnums_out_of_range():
    def loss(w, x):
        return np.sum(w * x)

    tracegrad.grad(loss, argnums=2)(W, W)  # HERE


@mistake
def negative_argnums_out_of_range():
    def loss(w):
        return np.sum(w)

    tracegrad.grad(loss, argnums=-2)(W)  # HERE


@mistake
def empty_argnums():
    def loss(w):
        return np.sum(w)

    tracegrad.grad(loss, argnums=())(W)  # HERE


@mistake
def argnums_on_a_static_argument():
    def loss(w, scale):
        return np.sum(w) * scale

    tracegrad.grad(loss, argnums=1, static_argnums=1)(W, 2.0)  # HERE


@mistake
def has_aux_without_a_pair():
    def loss(w):
        return np.sum(w * w)

    tracegrad.grad(loss, has_aux=True)(W)  # HERE


@mistake
def has_aux_with_a_triple():
    def loss(w):
        return np.sum(w * w), w, w

    tracegrad.grad(loss, has_aux=True)(W)  # HERE


@mistake
def value_and_grad_has_aux_without_a_pair():
    def loss(w):
        return np.sum(w * w)

    tracegrad.value_and_grad(loss, has_aux=True)(W)  # HERE


@mistake
def tuple_returned_without_has_aux():
    def loss(w):
        return np.sum(w * w), w

    tracegrad.grad(loss)(W)  # HERE


@mistake
def none_returned():
    def loss(w):
        np.sum(w * w)

    tracegrad.grad(loss)(W)  # HERE


@mistake
def non_scalar_loss():
    def loss(w):
        return w * w  # HERE

    tracegrad.grad(loss)(W)


@mistake
def integer_loss():
    def loss(w):
        return np.argmax(w)  # HERE

    tracegrad.grad(loss)(W)


@mistake
def grad_of_a_python_int():
    def loss(w):
        return w * w

    tracegrad.grad(loss)(3)  # HERE


@mistake
def grad_of_an_integer_array():
    def loss(w):
        return np.sum(w * w)

    tracegrad.grad(loss)(np.arange(3))  # HERE


@mistake
def grad_of_a_bool_array():
    def loss(w, x):
        return np.sum(w * x)

    tracegrad.grad(loss, argnums=1)(W, np.ones(3, bool))  # HERE


@mistake
def grad_of_an_integer_leaf_of_a_dict():
    def loss(params):
        return np.sum(params["w"] * params["n"])

    tracegrad.grad(loss)({"w": W, "n": np.arange(3)})  # HERE


@mistake
def grad_of_a_string_argument():
    def loss(w, name):
        return np.sum(w)

    tracegrad.grad(loss, argnums=1)(W, "relu")  # HERE


@mistake
def hessian_of_a_non_scalar():
    def f(w):
        return w * w  # HERE

    tracegrad.hessian(f)(W)


@mistake
def jacfwd_of_an_integer_argument():
    def f(w):
        return w * 2

    tracegrad.jacfwd(f)(np.arange(3))  # HERE


@works(2 * W)
def grad_of_a_float32_array():
    def loss(w):
        return np.sum(w * w)

    return tracegrad.grad(loss)(W.astype(np.float32))


@works([2 * W, 2 * W])
def list_argument():
    def loss(ws):
        return ws[0] @ ws[0] + ws[1] @ ws[1]

    return tracegrad.grad(loss)([W, W])


class Params(NamedTuple):
    w: np.ndarray
    b: float


@mistake
def namedtuple_argument():
    def loss(p):
        return np.sum(p.w * p.w) + p.b

    tracegrad.grad(loss)(Params(W, 1.0))  # HERE


@works(2 * W)
def namedtuple_fields_as_a_dict():
    def loss(p):
        return np.sum(p["w"] * p["w"]) + p["b"]

    return tracegrad.grad(loss)(Params(W, 1.0)._asdict())["w"]


@works(2 * W)
def bool_flag_argument():
    def loss(w, train):
        if train:
            return np.sum(w * w)
        return np.sum(w)

    return tracegrad.grad(loss)(W, True)


@works(np.ones(3))
def bool_flag_keyword_argument():
    def loss(w, train=True):
        if train:
            return np.sum(w * w)
        return np.sum(w)

    return tracegrad.grad(loss)(W, train=False)


@works(np.maximum(X, 0))
def string_setting_argument():
    def f(x, activation):
        return np.maximum(x, 0) if activation == "relu" else np.tanh(x)

    return tracegrad.jit(f)(X, "relu")


@works(X)
def none_argument():
    def f(x, mask):
        return x if mask is None else x * mask

    return tracegrad.jit(f)(X, None)


@works(2 * W)
def grad_with_keyword_argument():
    def loss(w):
        return np.sum(w * w)

    return tracegrad.grad(loss)(w=W)


# --- Python control flow and conversions on traced values --------------------------------


@mistake
def if_on_a_traced_value():
    def f(x):
        if x.sum() > 0:  # HERE
            return x
        return -x

    tracegrad.jit(f)(X)


@mistake
def while_on_a_traced_value():
    def f(x):
        while x.max() < 10.0:  # HERE
            x = x * 2.0
        return x

    tracegrad.jit(f)(X)


@mistake
def and_of_traced_values():
    def f(x):
        return x if (x.sum() > 0 and x.max() < 3) else -x  # HERE

    tracegrad.jit(f)(X)


@mistake
def float_of_a_traced_value():
    def f(x):
        return x / float(x.max())  # HERE

    tracegrad.jit(f)(X)


@mistake
def int_of_a_traced_value():
    def f(x):
        return x * int(x.sum())  # HERE

    tracegrad.jit(f)(X)


@mistake
def item_of_a_traced_value():
    def f(x):
        return x * x.sum().item()  # HERE

    tracegrad.jit(f)(X)


@mistake
def tolist_of_a_traced_value():
    def f(x):
        return x.tolist()  # HERE

    tracegrad.jit(f)(X)


@mistake
def math_sin_of_a_traced_value():
    def f(x):
        return math.sin(x.sum())  # HERE

    tracegrad.jit(f)(X)


@mistake
def math_exp_in_a_loss():
    def loss(w):
        return math.exp(np.sum(w))  # HERE

    tracegrad.grad(loss)(W)


@mistake
def format_a_traced_value():
    def f(x):
        print(f"{x.sum():.3f}")  # HERE
        return x

    tracegrad.jit(f)(X)


@mistake
def range_of_a_traced_value():
    def f(x):
        total = x
        for _ in range(x.sum()):  # HERE
            total = total + x
        return total

    tracegrad.jit(f)(X)


@mistake
def boolean_mask_indexing():
    def f(x):
        return x[x > 0]  # HERE (its size depends on the data; .sum() of it works)

    tracegrad.jit(f)(X)


@mistake
def len_of_a_0d_value():
    def f(x):
        return x * len(x.sum())  # HERE

    tracegrad.jit(f)(X)


@mistake
def iterate_a_0d_value():
    def f(x):
        return [v for v in x.sum()]  # HERE

    tracegrad.jit(f)(X)


@works(X.sum(axis=0))
def iterate_rows_of_a_traced_value():
    def f(x):
        total = 0.0
        for row in x:
            total = total + row
        return total

    return tracegrad.jit(f)(X)


@works(2 * X)
def np_asarray_of_a_traced_value():
    def f(x):
        return np.asarray(x) * 2  # HERE

    return tracegrad.jit(f)(X)


@works(2 * np.array([X[0, 0], X[1, 1]]))
def np_array_of_traced_scalars():
    def f(x):
        return np.array([x[0, 0], x[1, 1]]) * 2  # HERE

    return tracegrad.jit(f)(X)


BOUND_ARRAY = np.array  # bound before any trace, as `from numpy import array` binds it


@mistake
def np_array_bound_by_name_before_tracing():
    def f(x):
        return BOUND_ARRAY([x[0, 0], x[1, 1]]) * 2  # HERE

    tracegrad.jit(f)(X)


@mistake
def write_a_traced_value_into_a_numpy_array():
    def f(x):
        h = np.tile(np.ones(1), 3)  # computed by a NumPy function: NumPy's own array
        h[0] = x[0, 0]  # HERE
        return h

    tracegrad.jit(f)(X)


@mistake
def item_assignment_into_an_argument():
    def f(x):
        x[0] = 5  # HERE
        return x

    tracegrad.jit(f)(X)


@mistake
def traced_value_as_a_dict_key():
    def f(x):
        table = {x.sum(): 1.0}  # HERE
        return x * len(table)

    tracegrad.jit(f)(X)


# --- unsupported functions ----------------------------------------------------------------


@mistake
def unsupported_numpy_function():
    def f(x):
        return np.unique(x)  # HERE

    tracegrad.jit(f)(X)


@mistake
def unsupported_ufunc():
    def f(x):
        return np.spacing(x)  # HERE

    tracegrad.jit(f)(X)


@mistake
def scipy_special_function():
    def f(x):
        return scipy.special.kv(1, x)  # HERE

    tracegrad.jit(f)(X)


@mistake
def ufunc_method():
    def f(x):
        return np.multiply.reduce(x)  # HERE

    tracegrad.jit(f)(X)


@mistake
def ufunc_keyword():
    def f(x):
        return np.add(x, 1.0, where=x > 0)  # HERE

    tracegrad.jit(f)(X)


@mistake
def missing_ndarray_method():
    def f(x):
        return x.byteswap()  # HERE

    tracegrad.jit(f)(X)


# --- shapes -------------------------------------------------------------------------------


@mistake
def matmul_shape_mismatch():
    def f(x):
        return x @ x  # HERE

    tracegrad.jit(f)(X)


@mistake
def broadcast_mismatch():
    def f(x, w):
        return x + w  # HERE

    tracegrad.jit(f)(X, np.ones(4))


@mistake
def reshape_to_a_wrong_size():
    def f(x):
        return x.reshape(4, 2)  # HERE

    tracegrad.jit(f)(X)


@mistake
def axis_out_of_range():
    def f(x):
        return np.sum(x, axis=2)  # HERE

    tracegrad.jit(f)(X)


@mistake
def concatenate_mismatched_shapes():
    def f(x):
        return np.concatenate([x, x.T])  # HERE

    tracegrad.jit(f)(X)


# --- arguments and returns ----------------------------------------------------------------


@mistake
def string_array_argument():
    def f(x):
        return x

    tracegrad.jit(f)(np.array(["a", "b"]))  # HERE


@mistake
def object_argument():
    class Model:
        pass

    def f(model):
        return 1.0

    tracegrad.jit(f)(Model())  # HERE


@mistake
def returning_an_object():
    class Result:
        def __init__(self, value):
            self.value = value

    def f(x):
        return Result(x * 2)

    tracegrad.jit(f)(X)  # HERE


@mistake
def returning_a_string():
    def f(x):
        return "done"

    tracegrad.jit(f)(X)  # HERE


@mistake
def too_many_arguments():
    def f(x):
        return x * 2

    tracegrad.jit(f)(X, X)  # HERE


@mistake
def unexpected_keyword():
    def f(x):
        return x * 2

    tracegrad.jit(f)(X, scale=2.0)  # HERE


@mistake
def static_argnums_out_of_range():
    def f(x, n):
        return x * n

    tracegrad.jit(f, static_argnums=3)(X, 2)  # HERE


@mistake
def unhashable_static_argument():
    def f(x, sizes):
        return x * len(sizes)

    tracegrad.jit(f, static_argnums=1)(X, [1, 2])  # HERE


@mistake
def unknown_backend():
    tracegrad.jit(np.tanh, backend="torch")  # HERE


@mistake
def jax_option_on_the_numpy_backend():
    tracegrad.jit(np.tanh, device="cpu:0")  # HERE


@mistake
def jit_of_a_non_callable():
    tracegrad.jit(X)(X)  # HERE


@mistake
def grad_of_a_call_instead_of_a_function():
    def loss(w):
        return np.sum(w * w)

    tracegrad.grad(loss(W))(W)  # HERE


@mistake
def hlo_on_the_numpy_backend():
    tracegrad.jit(np.tanh).hlo(X)  # HERE


@mistake
def source_with_missing_arguments():
    def f(x, w):
        return x @ w

    tracegrad.jit(f).source(X)  # HERE


@mistake
def grad_source_of_a_non_scalar():
    def f(x):
        return x * 2  # HERE

    tracegrad.grad(f).source(X)


# --- vjp, jvp and the other transforms ----------------------------------------------------


@mistake
def vjp_cotangent_of_the_wrong_shape():
    _, pullback = tracegrad.vjp(np.tanh, X)
    pullback(np.ones(3))  # HERE


@mistake
def vjp_cotangent_of_the_wrong_structure():
    def f(x):
        return x, x * 2

    _, pullback = tracegrad.vjp(f, X)
    pullback(np.ones_like(X))  # HERE


@mistake
def jvp_tangent_of_the_wrong_shape():
    tracegrad.jvp(np.tanh, (X,), (np.ones(3),))  # HERE


@mistake
def jvp_primals_not_a_tuple():
    tracegrad.jvp(np.tanh, X, np.ones_like(X))  # HERE


@mistake
def hvp_of_a_non_scalar():
    def f(x):
        return x * x  # HERE

    tracegrad.hvp(f, (W,), (W,))


# --- control-flow primitives --------------------------------------------------------------


@mistake
def cond_branches_of_different_shapes():
    def f(x):
        return tracegrad.cond(x.sum() > 0, lambda v: v, lambda v: v.sum(), x)  # HERE

    tracegrad.jit(f)(X)


@mistake
def scan_body_not_returning_a_pair():
    def f(x):
        return tracegrad.scan(lambda c, row: c + row, np.zeros(3), x)  # HERE

    tracegrad.jit(f)(X)


@mistake
def fori_loop_body_changing_the_carry_shape():
    def f(x):
        return tracegrad.fori_loop(0, 3, lambda i, c: c.sum(), x)  # HERE

    tracegrad.jit(f)(X)


@works(X * 8)
def fori_loop_with_a_python_bound():
    def f(x):
        return tracegrad.fori_loop(0, 3, lambda i, c: c * 2, x)

    return tracegrad.jit(f)(X)


# --- custom_vjp ---------------------------------------------------------------------------


def square_with_rule(bwd: Callable):
    @tracegrad.custom_vjp
    def square(x, y):
        return x * y

    def square_fwd(x, y):
        return x * y, (x, y)

    return square.defvjp(square_fwd, bwd)


@mistake
def custom_vjp_bwd_of_the_wrong_arity():
    square = square_with_rule(lambda residuals, g: (g * residuals[1],))

    def loss(x):
        return np.sum(square(x, x))  # HERE

    tracegrad.grad(loss)(W)


@mistake
def custom_vjp_bwd_of_the_wrong_signature():
    square = square_with_rule(lambda g: (g, g))

    def loss(x):
        return np.sum(square(x, x))  # HERE

    tracegrad.grad(loss)(W)


@mistake
def custom_vjp_without_a_rule():
    @tracegrad.custom_vjp
    def square(x):
        return x * x

    def loss(x):
        return np.sum(square(x))  # HERE

    tracegrad.grad(loss)(W)


# --- check_grads and export ----------------------------------------------------------------


@mistake
def check_grads_of_a_non_scalar():
    def f(x):
        return x * 2  # HERE

    tracegrad.check_grads(f, W)


@mistake
def export_with_an_unknown_backend(tmp_path="unused.py"):
    tracegrad.export(np.tanh, X, path=tmp_path, backend="torch")  # HERE


# --- the table, run -----------------------------------------------------------------------


def check_error(error: TracegradError, case: Callable) -> None:
    line = marked_line(case)
    message = str(error)
    named = re.findall(rf"{re.escape(BASENAME)}:(\d+)", message)
    assert str(line) in named, f"the message must name line {line}:\n{message}"
    assert "Instead: " in message, f"the message gives no fix:\n{message}"


def params():
    for case in MISTAKES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.name, marks=marks)


def test_there_are_at_least_60_mistakes():
    assert len(MISTAKES) >= 60


@pytest.mark.parametrize("case", params())
def test_common_mistake(case: Mistake):
    if case.expected is RAISES:
        with pytest.raises(TracegradError) as caught:
            case.run()
        check_error(caught.value, case.run)
    else:
        result = case.run()
        np.testing.assert_allclose(np.asarray(result), np.asarray(case.expected))
