"""Tracer layer: NumPy's ufuncs and the elementwise functions around them (np.where,
np.clip, np.round, np.real, ...), each over one elementwise primitive or a few."""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir import Primitive, TensorType
from ...ir.primitive import Group, Trait
from ...ir.primitives import elementwise
from .. import inplace
from ..context import constant_literal, find_trace, is_captured
from ..source import caller_location
from .common import bind, promoted_dtype, reject, type_of
from .conversions import as_array, astype, made_as_scalar, numpy_scalar, zero_d_array
from .registry import implements

__all__ = [
    "abs", "absolute", "add", "arccos", "arcsin", "arctan", "arctan2", "around",
    "bitwise_and", "bitwise_or", "bitwise_xor", "ceil", "clip", "conj", "conjugate", "cos",
    "cosh", "divide", "equal", "exp", "expm1", "floor", "floor_divide", "greater",
    "greater_equal", "imag", "invert", "left_shift", "less", "less_equal", "log", "log1p",
    "logical_and", "logical_not", "logical_or", "maximum", "minimum", "mod", "multiply",
    "negative", "not_equal", "positive", "power", "real", "remainder", "right_shift", "round",
    "sign", "sin", "sinh", "sqrt", "square", "subtract", "tan", "tanh", "true_divide", "where",
]  # fmt: skip


def as_scalar_if_uniform(op, operands: tuple) -> tuple:
    """A constant array of one repeated value becomes that Python number, where broadcasting
    the number gives the same result type (`ones(n) / y` is `1.0 / y`): no array is built on
    each call, and the line reads as a person writes it."""
    if len(operands) < 2:
        return operands
    simplified = list(operands)
    for i, x in enumerate(operands):
        if type(x) is not np.ndarray or x.size == 0 or x.dtype.kind not in "biuf" or is_captured(x):
            continue
        flat = x.reshape(-1)
        if not (flat == flat[0]).all():
            continue
        candidate = [*simplified[:i], flat[0].item(), *simplified[i + 1 :]]
        before = op.infer(tuple(type_of(y) for y in simplified), {})
        after = op.infer(tuple(type_of(y) for y in candidate), {})
        if before == after:
            simplified = candidate
    return tuple(simplified)


def bind_elementwise(op: Primitive, *operands: Any) -> Any:
    return bind(op, *as_scalar_if_uniform(op, operands))


def ufunc_function(
    op: Primitive,
    ufunc: np.ufunc,
    aliases: tuple[str, ...] = (),
    same: tuple[np.ufunc, ...] = (),
    module: str = __name__,
) -> Callable:
    """The tracing function of a ufunc that is one primitive, registered for the ufunc (and
    for `same`, NumPy's other ufuncs that compute it: np.degrees is np.rad2deg's twin);
    `module`: the front-end module it belongs to (scipy.special's are special's)."""

    def function(*operands):
        return bind(op, *as_scalar_if_uniform(op, operands))

    function.__name__ = function.__qualname__ = ufunc.__name__
    function.__module__ = module
    function.__doc__ = f"np.{ufunc.__name__}, traced as the `{op.name}` primitive."
    return implements(ufunc, *same, aliases=aliases, derivative=derivative_of(op))(function)


def derivative_of(op: Primitive) -> str:
    """What the primitive's traits say of its derivative (a registry.DERIVATIVES key)."""
    if op.group in (Group.COMPARISON, Group.LOGICAL):
        return "none"
    return "zero" if op.has(Trait.PIECEWISE_CONSTANT) else "yes"


negative = ufunc_function(elementwise.neg, np.negative)
absolute = abs = ufunc_function(elementwise.abs_, np.absolute, aliases=("abs",))
sign = ufunc_function(elementwise.sign, np.sign)
exp = ufunc_function(elementwise.exp, np.exp)
expm1 = ufunc_function(elementwise.expm1, np.expm1)
log = ufunc_function(elementwise.log, np.log)
log1p = ufunc_function(elementwise.log1p, np.log1p)
sqrt = ufunc_function(elementwise.sqrt, np.sqrt)
square = ufunc_function(elementwise.square, np.square)
sin = ufunc_function(elementwise.sin, np.sin)
cos = ufunc_function(elementwise.cos, np.cos)
tan = ufunc_function(elementwise.tan, np.tan)
arcsin = ufunc_function(elementwise.arcsin, np.arcsin)
arccos = ufunc_function(elementwise.arccos, np.arccos)
arctan = ufunc_function(elementwise.arctan, np.arctan)
sinh = ufunc_function(elementwise.sinh, np.sinh)
cosh = ufunc_function(elementwise.cosh, np.cosh)
tanh = ufunc_function(elementwise.tanh, np.tanh)
floor = ufunc_function(elementwise.floor, np.floor)
ceil = ufunc_function(elementwise.ceil, np.ceil)
add = ufunc_function(elementwise.add, np.add)
subtract = ufunc_function(elementwise.subtract, np.subtract)


def is_one(x: Any) -> bool:
    """A concrete number that is exactly 1 everywhere (multiplying by it changes nothing).
    Anything else, strings and ragged lists included, is left for `bind` to judge."""
    if type(x) in PYTHON_NUMBERS:  # the common case, kept cheap: NumPy's answer, no array
        return x == 1
    if getattr(x, "ir_var", None) is not None or is_captured(x) or find_trace([x]) is not None:
        return False  # traced, or a list holding traced values (`x * [a, 1.0]`)
    try:
        array = np.asarray(x)
    except ValueError:  # a ragged nested list
        return False
    return array.dtype.kind in "biufc" and array.size > 0 and bool(np.all(array == 1))


PYTHON_NUMBERS = frozenset({bool, int, float, complex})


def unchanged(op, traced: Any, other: Any) -> bool:
    """`op(traced, other)` would equal `traced`, type included: skip the node (x * 1 is x,
    but int32 x / 1 is float64)."""
    if not is_one(other) or getattr(traced, "ir_var", None) is None:
        return False
    traced_type = traced.ir_var.type
    (result,) = op.infer((traced_type, constant_literal(other).type), {})
    return result == traced_type


@implements(np.multiply)
def multiply(x1, x2):
    if unchanged(elementwise.multiply, x1, x2):
        return inplace.copy_of(x1)  # a new array in NumPy, though no node is needed
    if unchanged(elementwise.multiply, x2, x1):
        return inplace.copy_of(x2)
    return bind_elementwise(elementwise.multiply, x1, x2)


@implements(np.divide, aliases=("true_divide",))
def divide(x1, x2):
    if unchanged(elementwise.divide, x1, x2):
        return inplace.copy_of(x1)
    return bind_elementwise(elementwise.divide, x1, x2)


true_divide = divide
floor_divide = ufunc_function(elementwise.floor_divide, np.floor_divide)
remainder = mod = ufunc_function(elementwise.remainder, np.remainder, aliases=("mod",))
power = ufunc_function(elementwise.power, np.power)
maximum = ufunc_function(elementwise.maximum, np.maximum)
minimum = ufunc_function(elementwise.minimum, np.minimum)
arctan2 = ufunc_function(elementwise.arctan2, np.arctan2)
equal = ufunc_function(elementwise.equal, np.equal)
not_equal = ufunc_function(elementwise.not_equal, np.not_equal)
less = ufunc_function(elementwise.less, np.less)
less_equal = ufunc_function(elementwise.less_equal, np.less_equal)
greater = ufunc_function(elementwise.greater, np.greater)
greater_equal = ufunc_function(elementwise.greater_equal, np.greater_equal)
logical_and = ufunc_function(elementwise.logical_and, np.logical_and)
logical_or = ufunc_function(elementwise.logical_or, np.logical_or)
logical_not = ufunc_function(elementwise.logical_not, np.logical_not)


@implements(np.positive)
def positive(x):
    """np.positive: the value itself, as an array; NumPy has no positive for bool."""
    if type_of(x).dtype == np.bool_:
        raise TraceError(
            "np.positive of a boolean value is not defined (NumPy refuses it too)",
            loc=caller_location(),
            hint="convert it with .astype(int) first",
        )
    return numpy_scalar(as_array(x))  # of a 0-d array an np.float64, as np.negative's is


def bool_only(ufunc: np.ufunc, logical: Callable, symbol: str) -> Callable:
    """A bitwise ufunc, traced on booleans only (where it is the logical one)."""

    def function(*operands):
        if builtins.any(type_of(x).dtype != np.bool_ for x in operands):
            raise TraceError(
                f"`{symbol}` on integer traced values (bitwise arithmetic) is not supported",
                loc=caller_location(),
                hint="use it on boolean arrays (masks), or np.logical_and / np.logical_or",
            )
        return logical(*operands)

    function.__name__ = function.__qualname__ = ufunc.__name__
    return implements(ufunc, derivative="none", note="booleans only")(function)


bitwise_and = bool_only(np.bitwise_and, logical_and, "&")
bitwise_or = bool_only(np.bitwise_or, logical_or, "|")
invert = bool_only(np.invert, logical_not, "~")
bitwise_xor = bool_only(np.bitwise_xor, not_equal, "^")  # on booleans, `a ^ b` is `a != b`


def no_shift(ufunc: np.ufunc, symbol: str) -> Callable:
    """A bit shift, refused: there is no primitive for it."""

    def function(*operands):
        raise TraceError(
            f"`{symbol}` on traced values (bit shifts) is not supported",
            loc=caller_location(),
            hint="multiply or floor-divide by a power of 2 instead (x * 2**k, x // 2**k)",
        )

    function.__name__ = function.__qualname__ = ufunc.__name__
    return implements(ufunc, derivative="none", note="refused: no bit shifts")(function)


left_shift = no_shift(np.left_shift, "<<")
right_shift = no_shift(np.right_shift, ">>")


def real_only(name: str, x: Any) -> TensorType:
    t = type_of(x)
    if t.dtype.kind == "c":
        raise TraceError(
            f"np.{name} of a complex value is not supported: tracegrad traces real values only",
            loc=caller_location(),
            hint="split the value into real arrays (real and imaginary parts) "
            "before the traced function",
        )
    return t


@implements(np.real, note="real input only", view=True)
def real(val):
    """The real part: a real value itself (np.real reads `val.real`, a Python number's too)."""
    real_only("real", val)
    return val


@implements(np.imag, derivative="zero", note="real input only", view="read-only")
def imag(val):
    """The imaginary part of a real value: zeros of its shape and dtype, a constant (0.0 for a
    Python number, as `val.imag` is)."""
    t = real_only("imag", val)
    if t.weak:
        return t.python_type(0)
    if t.ndim == 0 and not made_as_scalar(val):  # `val.imag` of a 0-d array is a 0-d array
        return zero_d_array(np.zeros((), t.dtype), like=val)
    return np.zeros(t.shape, t.dtype)


@implements(np.conjugate, aliases=("conj",), note="real input only")
def conjugate(x):
    """The complex conjugate of a real value: the value itself."""
    real_only("conjugate", x)
    return numpy_scalar(as_array(x))


conj = conjugate


@implements(np.round, np.around, aliases=("around",), method="round", derivative="zero")
def round(a, decimals=0, out=None):
    reject("round", out=out)
    try:
        decimals = operator.index(decimals)
    except TypeError:
        raise TraceError(
            f"np.round: decimals must be an integer, got {decimals!r}",
            loc=caller_location(),
            hint="pass a Python int",
        ) from None
    return bind(elementwise.round_, a, decimals=decimals)


around = round


@implements(np.where, note="the three-argument form only")
def where(condition, x=None, y=None):
    if x is None or y is None:
        raise TraceError(
            "np.where(condition) with one argument gives indices whose number depends on the data",
            loc=caller_location(),
            hint="keep the shape with the three-argument form, np.where(condition, x, 0), or "
            "count with np.sum(condition)",
        )
    return bind(elementwise.where, condition, x, y)


@implements(np.clip, method="clip")
def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    reject("clip", out=out)
    a = as_array(a)  # np.clip makes `a` an array; the bounds stay weak
    low = a_min if a_min is not None else min
    high = a_max if a_max is not None else max
    if low is None and high is None:
        return positive(a)  # what NumPy computes
    if low is not None and high is not None:
        # NumPy promotes all three together (bool, 0 and int32 give int32), which two binary
        # steps would not (bool and 0 give int64): convert `a` to the common dtype first.
        a = astype(a, promoted_dtype([a, low, high]))
    result = a if low is None else maximum(a, low)
    return result if high is None else minimum(result, high)
