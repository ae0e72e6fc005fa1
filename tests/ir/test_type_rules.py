"""Type-rule corners the operation table cannot express: NumPy 2's weak Python scalars
(NEP 50) spelled out, `bool ** int`, and what NumPy computes but tracegrad refuses plainly.

The per-function type-rule checks (random dtypes, shapes, Python scalars, invalid arguments)
are rows' `type_draws` in tests/ops/table.py, run by tests/ops/test_type_rules.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import tracegrad
from tests.ops.numpy_calls import Call, check, traceable


def test_bool_power_operator_is_typed_as_np_power() -> None:
    flags = np.array([True, False])
    traced_exponent = tracegrad.jit(lambda b, n: b**n)
    assert str(traced_exponent.ir(flags, 2).outputs[0].type) == "i64[2]"
    assert traced_exponent(flags, 2).dtype == np.power(flags, 2).dtype == np.int64
    assert (flags**2).dtype == np.int8  # NumPy's operator, for the record
    constant_exponent = tracegrad.jit(lambda b: b**2)  # a constant 2: squared, as NumPy does
    assert constant_exponent(flags).dtype == (flags**2).dtype == np.int8


# --- NEP 50, spelled out ------------------------------------------------------------------

F32, I32 = np.ones(3, np.float32), np.ones(3, np.int32)

NEP50_EXAMPLES = [
    ("float32 array + 2.5 stays float32", lambda x: x + 2.5, (F32,), "f32[3]"),
    ("int32 array * 2.5 becomes float64", lambda x: x * 2.5, (I32,), "f64[3]"),
    ("int32 array + 2 stays int32", lambda x: x + 2, (I32,), "i32[3]"),
    ("a traced Python float meets float32", lambda x, s: x * s, (F32, 2.5), "f32[3]"),
    ("Python float + Python float is a Python float", lambda a, b: a + b, (1.5, 2.5), "float"),
    ("Python int / Python int is a Python float", lambda a, b: a / b, (3, 2), "float"),
    ("Python bool + Python bool is a Python int", lambda a, b: a + b, (True, True), "int"),
    ("Python bool ** 2 is a Python int", lambda a: a**2, (True,), "int"),
    ("a ufunc on Python scalars gives a NumPy scalar", lambda a, b: np.add(a, b), (1, 2), "i64[]"),
    ("np.float32 scalar * 2.5 stays float32", lambda a: a * 2.5, (np.float32(2),), "f32[]"),
    ("a comparison of Python scalars is a Python bool", lambda a, b: a < b, (1, 2.5), "bool"),
]


@pytest.mark.parametrize(
    ("what", "fn", "args", "expected"),
    NEP50_EXAMPLES,
    ids=[example[0] for example in NEP50_EXAMPLES],
)
def test_nep50_weak_scalars(what, fn, args, expected) -> None:
    traced_fn, traced_args = traceable(fn, args)
    assert str(tracegrad.trace(traced_fn, *traced_args).outputs[0].type) == expected
    check(Call(fn, args, what))


# --- what NumPy does and tracegrad refuses, clearly -----------------------------------------

X = np.arange(12.0).reshape(3, 4)
IDX = np.array([0, 2])

UNSUPPORTED = [
    ("pinv's rtol=", lambda x: np.linalg.pinv(x, rtol=1e-3), (X,)),
    ("choose at traced indices", lambda x, i: np.choose(i, [x[0], x[1]]), (X[:, :2], IDX % 2)),
]


@pytest.mark.parametrize(
    ("what", "fn", "args"), UNSUPPORTED, ids=[example[0] for example in UNSUPPORTED]
)
def test_unsupported_forms_raise_trace_error(what, fn, args) -> None:
    fn(*args)  # NumPy computes it...
    with pytest.raises(tracegrad.TraceError):  # ...tracegrad says plainly it cannot
        tracegrad.trace(fn, *args)
