"""Tracer layer: the NumPy functions tracegrad understands, written over primitives.

Each function takes what its NumPy namesake takes. Given a traced value it records
primitives; given only concrete values it simply calls NumPy. This module is
`tracegrad.numpy`, and the tables in `dispatch.py` route NumPy's own calls here.
"""

from __future__ import annotations

import builtins
import functools
import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import TraceError
from ..ir import TensorType
from ..ir.primitives import contractions as C
from ..ir.primitives import elementwise as E
from ..ir.primitives import reductions as R
from ..ir.primitives import shapes as S
from . import inplace
from .context import constant_literal, find_trace, is_captured
from .source import caller_location


def traced(numpy_function: Callable) -> Callable[[Callable], Callable]:
    """Run the tracing version when any argument is traced, else NumPy's own function."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            found = find_trace(args) or (kwargs and find_trace(list(kwargs.values())))
            if not found:
                return numpy_function(*args, **kwargs)
            # One call from the user's code (see Trace.calls).
            if found.depth == 0:
                found.calls += 1
            found.depth += 1
            try:
                return fn(*args, **kwargs)
            finally:
                found.depth -= 1

        wrapper.numpy_function = numpy_function  # type: ignore[attr-defined]
        return wrapper

    return decorate


def bind(op, *operands, **params):
    return find_trace(operands).bind(op, operands, **params)


def type_of(x: Any) -> TensorType:
    var = getattr(x, "ir_var", None)
    return var.type if var is not None else constant_literal(x).type


def as_array(x: Any) -> Any:
    """`x`, with a Python scalar made what np.asarray makes it: a 0-d value of its default
    dtype, no longer weak. NumPy sees Python scalars this way in np.dot, and in a ufunc whose
    operands are all Python scalars."""
    if not type_of(x).weak:
        return x
    return astype(x, type_of(x).dtype) if find_trace([x]) is not None else np.asarray(x)


def reject(function: str, **unsupported: Any) -> None:
    """A clear error for NumPy keyword arguments tracegrad does not support."""
    for name, value in unsupported.items():
        if value is not None:
            hint = "remove it" if name != "out" else (
                "assign the result instead (`y = np.f(x)`): traced values are never written "
                "in place"
            )
            raise TraceError(f"np.{function}(..., {name}=...) is not supported",
                             loc=caller_location(), hint=hint)


def as_dtype(dtype: Any, function: str) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TraceError(f"np.{function}: {dtype!r} is not a NumPy dtype", loc=caller_location(),
                         hint="use a dtype such as np.float64, np.int64 or 'float32'") from None


def normalize_axis(axis: Any, ndim: int, function: str) -> int:
    try:
        a = operator.index(axis)
    except TypeError:
        raise TraceError(f"np.{function}: axis must be an integer, got {axis!r}",
                         loc=caller_location(),
                         hint=f"pass a Python int between {-ndim} and {ndim - 1}") from None
    if not -ndim <= a < ndim:
        raise TraceError(
            f"np.{function}: axis {a} is out of bounds for an array with {ndim} dimensions",
            loc=caller_location(), hint=f"use an axis between {-ndim} and {ndim - 1}",
        )
    return a % ndim


def normalize_axes(axis: Any, ndim: int, function: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, tuple | list) else (axis,)
    normalized = tuple(normalize_axis(a, ndim, function) for a in axes)
    if len(set(normalized)) != len(normalized):
        raise TraceError(f"np.{function}: axis {axis} repeats an axis", loc=caller_location(),
                         hint="name each axis once (negative axes count from the end)")
    return tuple(sorted(normalized))


# --- elementwise ------------------------------------------------------------------------


def as_scalar_if_uniform(op, operands: tuple) -> tuple:
    """A constant array of one repeated value becomes that Python number, where broadcasting
    the number gives the same result type (`ones(n) / y` is `1.0 / y`): no array is built on
    each call, and the line reads as a person writes it."""
    if len(operands) < 2:
        return operands
    simplified = list(operands)
    for i, x in enumerate(operands):
        if (type(x) is not np.ndarray or x.size == 0 or x.dtype.kind not in "biuf"
                or is_captured(x)):
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


def _elementwise(op, numpy_function: np.ufunc) -> Callable:
    @traced(numpy_function)
    def function(*operands):
        return bind(op, *as_scalar_if_uniform(op, operands))

    function.__name__ = function.__qualname__ = numpy_function.__name__
    function.__doc__ = f"np.{numpy_function.__name__}, traced as the `{op.name}` primitive."
    return function


negative = _elementwise(E.neg, np.negative)
absolute = abs = _elementwise(E.abs_, np.absolute)
sign = _elementwise(E.sign, np.sign)
exp = _elementwise(E.exp, np.exp)
expm1 = _elementwise(E.expm1, np.expm1)
log = _elementwise(E.log, np.log)
log1p = _elementwise(E.log1p, np.log1p)
sqrt = _elementwise(E.sqrt, np.sqrt)
square = _elementwise(E.square, np.square)
sin = _elementwise(E.sin, np.sin)
cos = _elementwise(E.cos, np.cos)
tan = _elementwise(E.tan, np.tan)
arcsin = _elementwise(E.arcsin, np.arcsin)
arccos = _elementwise(E.arccos, np.arccos)
arctan = _elementwise(E.arctan, np.arctan)
sinh = _elementwise(E.sinh, np.sinh)
cosh = _elementwise(E.cosh, np.cosh)
tanh = _elementwise(E.tanh, np.tanh)
floor = _elementwise(E.floor, np.floor)
ceil = _elementwise(E.ceil, np.ceil)
add = _elementwise(E.add, np.add)
subtract = _elementwise(E.subtract, np.subtract)
_multiply = _elementwise(E.multiply, np.multiply)
_divide = _elementwise(E.divide, np.divide)


def is_one(x: Any) -> bool:
    """A concrete number that is exactly 1 everywhere (multiplying by it changes nothing).
    Anything else, strings and ragged lists included, is left for `bind` to judge."""
    if type(x) in PYTHON_NUMBERS:  # the common case, kept cheap: NumPy's answer, no array
        return x == 1
    if getattr(x, "ir_var", None) is not None or is_captured(x):
        return False
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


@traced(np.multiply)
def multiply(x1, x2):
    if unchanged(E.multiply, x1, x2):
        return inplace.copy_of(x1)  # a new array in NumPy, though no node is needed
    if unchanged(E.multiply, x2, x1):
        return inplace.copy_of(x2)
    return _multiply(x1, x2)


@traced(np.divide)
def divide(x1, x2):
    return inplace.copy_of(x1) if unchanged(E.divide, x1, x2) else _divide(x1, x2)


true_divide = divide
floor_divide = _elementwise(E.floor_divide, np.floor_divide)
remainder = mod = _elementwise(E.remainder, np.remainder)
power = _elementwise(E.power, np.power)
maximum = _elementwise(E.maximum, np.maximum)
minimum = _elementwise(E.minimum, np.minimum)
arctan2 = _elementwise(E.arctan2, np.arctan2)
equal = _elementwise(E.equal, np.equal)
not_equal = _elementwise(E.not_equal, np.not_equal)
less = _elementwise(E.less, np.less)
less_equal = _elementwise(E.less_equal, np.less_equal)
greater = _elementwise(E.greater, np.greater)
greater_equal = _elementwise(E.greater_equal, np.greater_equal)
logical_and = _elementwise(E.logical_and, np.logical_and)
logical_or = _elementwise(E.logical_or, np.logical_or)
logical_not = _elementwise(E.logical_not, np.logical_not)


@traced(np.positive)
def positive(x):
    """np.positive: the value itself, as an array; NumPy has no positive for bool."""
    if type_of(x).dtype == np.bool_:
        raise TraceError("np.positive of a boolean value is not defined (NumPy refuses it too)",
                         loc=caller_location(), hint="convert it with .astype(int) first")
    return as_array(x)


def _bool_only(logical: Callable, symbol: str) -> Callable:
    def function(*operands):
        if builtins.any(type_of(x).dtype != np.bool_ for x in operands):
            raise TraceError(
                f"`{symbol}` on integer traced values (bitwise arithmetic) is not supported",
                loc=caller_location(),
                hint="use it on boolean arrays (masks), or np.logical_and / np.logical_or",
            )
        return logical(*operands)

    return function


bitwise_and = _bool_only(logical_and, "&")
bitwise_or = _bool_only(logical_or, "|")
invert = _bool_only(logical_not, "~")
bitwise_xor = _bool_only(not_equal, "^")  # on booleans, `a ^ b` is `a != b`


def _no_shift(symbol: str) -> Callable:
    def function(*operands):
        raise TraceError(f"`{symbol}` on traced values (bit shifts) is not supported",
                         loc=caller_location(),
                         hint="multiply or floor-divide by a power of 2 instead (x * 2**k, "
                         "x // 2**k)")

    return function


left_shift = traced(np.left_shift)(_no_shift("<<"))
right_shift = traced(np.right_shift)(_no_shift(">>"))


def _real_only(name: str, x: Any) -> TensorType:
    t = type_of(x)
    if t.dtype.kind == "c":
        raise TraceError(f"np.{name} of a complex value is not supported: tracegrad traces "
                         "real values only", loc=caller_location(),
                         hint="split the value into real arrays (real and imaginary parts) "
                         "before the traced function")
    return t


@traced(np.real)
def real(val):
    """The real part: a real value itself (np.real reads `val.real`, a Python number's too)."""
    _real_only("real", val)
    return val


@traced(np.imag)
def imag(val):
    """The imaginary part of a real value: zeros of its shape and dtype, a constant (0.0 for a
    Python number, as `val.imag` is)."""
    t = _real_only("imag", val)
    return t.python_type(0) if t.weak else np.zeros(t.shape, t.dtype)


@traced(np.conjugate)
def conjugate(x):
    """The complex conjugate of a real value: the value itself."""
    _real_only("conjugate", x)
    return as_array(x)


conj = conjugate


@traced(np.round)
def round(a, decimals=0, out=None):
    reject("round", out=out)
    try:
        decimals = operator.index(decimals)
    except TypeError:
        raise TraceError(f"np.round: decimals must be an integer, got {decimals!r}",
                         loc=caller_location(), hint="pass a Python int") from None
    return bind(E.round_, a, decimals=decimals)


around = round


@traced(np.where)
def where(condition, x=None, y=None):
    if x is None or y is None:
        raise TraceError(
            "np.where(condition) with one argument gives indices whose number depends on the "
            "data",
            loc=caller_location(),
            hint="use the three-argument form np.where(condition, x, y)",
        )
    return bind(E.where, condition, x, y)


@traced(np.clip)
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
        types = [type_of(v) for v in (a, low, high)]
        a = astype(a, np.result_type(*(t.python_type(0) if t.weak else t.dtype for t in types)))
    result = a if low is None else maximum(a, low)
    return result if high is None else minimum(result, high)


# --- reductions -------------------------------------------------------------------------


def no_axis_of_0d(axis: Any, ndim: int) -> bool:
    """NumPy lets a 0-d value be reduced or squeezed along a plain `axis=0` (or -1), as if it
    had one axis: that changes nothing."""
    return ndim == 0 and isinstance(axis, int | np.integer) and axis in (0, -1)


def _reduce(op, a, axis, keepdims, name):
    axis = () if no_axis_of_0d(axis, type_of(a).ndim) else axis
    axes = normalize_axes(axis, type_of(a).ndim, name)
    return bind(op, a, axis=axes, keepdims=builtins.bool(keepdims))


@traced(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    reject("sum", out=out, initial=initial, where=where)
    if dtype is None:
        return _reduce(R.sum_, a, axis, keepdims, "sum")
    # NumPy accumulates in `dtype`; the primitive widens bool and small integers, which wraps
    # around to the same result once converted back.
    return astype(_reduce(R.sum_, astype(a, dtype), axis, keepdims, "sum"), dtype)


@traced(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    reject("prod", out=out, initial=initial, where=where)
    if dtype is None:
        return _reduce(R.prod, a, axis, keepdims, "prod")
    return astype(_reduce(R.prod, astype(a, dtype), axis, keepdims, "prod"), dtype)  # as in sum


@traced(np.max)
def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    reject("max", out=out, initial=initial, where=where)
    return _reduce(R.max_, a, axis, keepdims, "max")


@traced(np.min)
def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    reject("min", out=out, initial=initial, where=where)
    return _reduce(R.min_, a, axis, keepdims, "min")


amax, amin = max, min


def _truth_reduce(op, a, axis, keepdims, name: str, empty: bool):
    """np.all / np.any as min / max over booleans (nonzero, NaN included, is true); where an
    output element reduces over nothing, it is `empty` (True for all, False for any)."""
    a = as_array(a)
    t = type_of(a)
    axis = () if no_axis_of_0d(axis, t.ndim) else axis
    axes = normalize_axes(axis, t.ndim, name)
    if builtins.any(t.shape[i] == 0 for i in axes):
        return np.full(R.reduced_shape(t, axes, builtins.bool(keepdims)), empty)[()]
    truth = a if t.dtype == np.bool_ else not_equal(a, 0)
    return bind(op, truth, axis=axes, keepdims=builtins.bool(keepdims))


@traced(np.all)
def all(a, axis=None, out=None, keepdims=False, *, where=None):
    reject("all", out=out, where=where)
    return _truth_reduce(R.min_, a, axis, keepdims, "all", True)


@traced(np.any)
def any(a, axis=None, out=None, keepdims=False, *, where=None):
    reject("any", out=out, where=where)
    return _truth_reduce(R.max_, a, axis, keepdims, "any", False)


def _arg_reduce(op, a, axis, keepdims, name):
    ndim = type_of(a).ndim
    axis = None if axis is None or no_axis_of_0d(axis, ndim) else normalize_axis(axis, ndim, name)
    return bind(op, a, axis=axis, keepdims=builtins.bool(keepdims))


@traced(np.argmax)
def argmax(a, axis=None, out=None, *, keepdims=False):
    reject("argmax", out=out)
    return _arg_reduce(R.argmax, a, axis, keepdims, "argmax")


@traced(np.argmin)
def argmin(a, axis=None, out=None, *, keepdims=False):
    reject("argmin", out=out)
    return _arg_reduce(R.argmin, a, axis, keepdims, "argmin")


def _count(a, axis, name) -> int:
    shape = type_of(a).shape
    return math.prod(shape[i] for i in normalize_axes(axis, len(shape), name))


def _mean_dtypes(a, dtype) -> tuple[np.dtype, np.dtype]:
    """(result dtype, accumulation dtype) as np.mean picks them."""
    source = type_of(a).dtype
    result = as_dtype(dtype, "mean") if dtype is not None else (
        np.dtype(np.float64) if source.kind in "biu" else source
    )
    return result, np.dtype(np.float32) if result == np.float16 else result


@traced(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    reject("mean", out=out, where=where)
    result_dtype, accumulate = _mean_dtypes(a, dtype)
    total = sum(astype(a, accumulate), axis=axis, keepdims=keepdims)
    average = divide(total, _count(a, axis, "mean"))
    return astype(average, result_dtype)


@traced(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None):
    reject("var", out=out, where=where, mean=mean, correction=correction)
    if dtype is not None and as_dtype(dtype, "var").kind not in "fc":
        raise TraceError(
            f"a variance or standard deviation computed in {np.dtype(dtype)} is not supported "
            "(NumPy truncates the mean to that dtype)",
            loc=caller_location(), hint="leave dtype out, or use a float dtype",
        )
    source = type_of(a).dtype
    accumulate = np.dtype(dtype) if dtype is not None else (
        np.dtype(np.float64) if source.kind in "biu" else source
    )
    x = astype(a, accumulate)
    count = _count(a, axis, "var")
    centered = subtract(x, divide(sum(x, axis=axis, keepdims=True), count))
    squares = multiply(centered, centered)
    return divide(sum(squares, axis=axis, keepdims=keepdims), builtins.max(count - ddof, 0))


@traced(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None):
    reject("std", out=out, where=where, mean=mean, correction=correction)
    return sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


@traced(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2) or (ord == 2 and axis is None and type_of(x).ndim != 1):
        raise TraceError(
            f"np.linalg.norm(..., ord={ord!r}) is not supported; only the 2-norm of vectors "
            "(and the Frobenius norm, ord=None) is",
            loc=caller_location(),
            hint="write the norm out, e.g. np.sum(np.abs(x)) for the 1-norm",
        )
    if axis is not None and not isinstance(axis, int):
        raise TraceError("np.linalg.norm over several axes is not supported",
                         loc=caller_location(), hint="np.sqrt(np.sum(x * x, axis=axes))")
    if axis is not None:
        normalize_axis(axis, type_of(x).ndim, "linalg.norm")
    source = type_of(x).dtype
    if source.kind in "biu":
        x = astype(x, np.float64)
    return sqrt(sum(multiply(x, x), axis=axis, keepdims=keepdims))


# --- contractions -----------------------------------------------------------------------


@traced(np.matmul)
def matmul(x1, x2):
    return bind(C.matmul, x1, x2)


@traced(np.dot)
def dot(a, b, out=None):
    reject("dot", out=out)
    a, b = as_array(a), as_array(b)  # np.dot promotes Python scalars as arrays, not weakly
    a_type, b_type = type_of(a), type_of(b)
    if a_type.ndim == 0 or b_type.ndim == 0:
        return multiply(a, b)
    if b_type.ndim == 1 or (a_type.ndim <= 2 and b_type.ndim <= 2):
        return matmul(a, b)
    # N-d dot: sum over the last axis of a and the second-to-last of b.
    letters = "abcdefghijklmnopqrstuvwxyz"
    a_sub = letters[: a_type.ndim]
    b_sub = letters[a_type.ndim : a_type.ndim + b_type.ndim - 1]
    b_sub = b_sub[:-1] + a_sub[-1] + b_sub[-1]
    out_sub = a_sub[:-1] + b_sub[:-2] + b_sub[-1]
    return einsum(f"{a_sub},{b_sub}->{out_sub}", a, b)


@traced(np.einsum)
def einsum(subscripts, *operands, out=None, optimize=False, **unsupported):
    reject("einsum", out=out, **{k: v for k, v in unsupported.items()})
    if not isinstance(subscripts, str):
        raise TraceError("np.einsum in the interleaved (operand, sublist) form is not supported",
                         loc=caller_location(), hint="pass a subscripts string like 'ij,jk->ik'")
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise TraceError("np.einsum with '...' (ellipsis) is not supported yet",
                         loc=caller_location(), hint="name every axis with a letter")
    if "->" not in spec:
        letters = spec.replace(",", "")
        spec += "->" + "".join(builtins.sorted(c for c in set(letters) if letters.count(c) == 1))
    return bind(C.einsum, *operands, subscripts=spec)


@traced(np.outer)
def outer(a, b, out=None):
    reject("outer", out=out)
    return multiply(reshape(a, (-1, 1)), reshape(b, (-1,)))


# --- conversions and constants ----------------------------------------------------------


@traced(np.astype)
def astype(x, dtype, /, *, copy=True, device=None):
    reject("astype", device=device)
    target = as_dtype(dtype, "astype")
    current = type_of(x)
    if current.dtype == target and not current.weak:
        return x
    return bind(S.convert, x, dtype=target)


def _like(fill: Callable[[tuple, np.dtype], np.ndarray]):
    def function(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
        t = type_of(a)
        return fill(t.shape if shape is None else shape,
                    as_dtype(dtype or t.dtype, f"{fill.__name__}_like"))

    return function


zeros_like = traced(np.zeros_like)(_like(np.zeros))
ones_like = traced(np.ones_like)(_like(np.ones))


@traced(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    if find_trace([fill_value]) is not None:
        return add(zeros_like(a, dtype=dtype), fill_value)
    t = type_of(a)
    return np.full(t.shape if shape is None else shape, fill_value,
                   as_dtype(dtype or t.dtype, "full_like"))


# --- static facts -----------------------------------------------------------------------
# Known while tracing, for traced and plain values alike: inside a traced function ask
# `np.ndim(x) == 0` rather than `isinstance(x, np.ndarray)` (a traced value is no ndarray).


def ndim(a: Any) -> int:
    """np.ndim, for traced values too."""
    return type_of(a).ndim if find_trace([a]) is not None else np.ndim(a)


def shape(a: Any) -> tuple[int, ...]:
    """np.shape, for traced values too."""
    return type_of(a).shape if find_trace([a]) is not None else np.shape(a)


def size(a: Any, axis: int | None = None) -> int:
    """np.size, for traced values too."""
    if find_trace([a]) is None:
        return np.size(a, axis)
    t = type_of(a)
    return t.size if axis is None else t.shape[normalize_axis(axis, t.ndim, "size")]


# Re-exported: this module is `tracegrad.numpy`. Imported last, as they use astype above.
from .shape_functions import (  # noqa: E402, F401
    broadcast_to,
    compress,
    concatenate,
    diagonal,
    expand_dims,
    moveaxis,
    ravel,
    repeat,
    reshape,
    squeeze,
    stack,
    swapaxes,
    take,
    trace,
    transpose,
)

__all__ = [name for name in dir() if not name.startswith("_") and name not in {
    "annotations", "builtins", "functools", "math", "operator", "np", "Any", "Callable",
    "TraceError", "TensorType", "C", "E", "R", "S", "constant_literal", "find_trace",
    "caller_location", "traced", "bind", "type_of", "reject", "normalize_axis",
    "normalize_axes", "is_one", "unchanged", "as_array", "no_axis_of_0d", "as_dtype",
}]
