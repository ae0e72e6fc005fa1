"""Tracer layer: NumPy's reductions (sum, prod, max, min, all, any, count_nonzero, argmax,
argmin, cumsum, cumprod) over the reduction primitives, with their `where=` (a select of the
identity element) and `initial=` (one more operand) keywords. The statistics written with
them are in statistics.py."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir import Primitive
from ...ir.primitives import reductions
from ...ir.types import broadcasts_to
from ..context import find_trace
from ..source import caller_location
from .common import as_dtype, bind, no_axis_of_0d, normalize_axes, normalize_axis, reject, type_of
from .conversions import as_array, astype
from .registry import implements
from .shapes import reshape
from .ufuncs import add, maximum, minimum, multiply, not_equal
from .ufuncs import where as select

__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "count_nonzero", "cumprod", "cumsum", "max",
    "min", "prod", "sum",
]  # fmt: skip


def reduce(op: Primitive, a: Any, axis: Any, keepdims: Any, name: str) -> Any:
    axis = () if no_axis_of_0d(axis, type_of(a).ndim) else axis
    axes = normalize_axes(axis, type_of(a).ndim, name)
    return bind(op, a, axis=axes, keepdims=builtins.bool(keepdims))


@implements(np.sum, method="sum")
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    reject("sum", out=out)
    return accumulate(reductions.sum_, add, "sum", a, axis, dtype, keepdims, initial, where)


@implements(np.prod, method="prod")
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    reject("prod", out=out)
    return accumulate(reductions.prod, multiply, "prod", a, axis, dtype, keepdims, initial, where)


def accumulate(op, join, name: str, a, axis, dtype, keepdims, initial, where) -> Any:
    """np.sum / np.prod: `where` selects the identity (0 or 1) for the elements it leaves
    out, `initial` joins the result as one more operand (`join`: add or multiply)."""
    identity = 0 if op is reductions.sum_ else 1
    if dtype is None:
        total = reduce(op, masked(a, where, identity, name), axis, keepdims, name)
    else:
        # NumPy accumulates in `dtype`; the primitive widens bool and small integers, which
        # wraps around to the same result once converted back.
        a = astype(a, as_dtype(dtype, name))
        total = astype(reduce(op, masked(a, where, identity, name), axis, keepdims, name), dtype)
    if initial is None:
        return total
    return join(total, initial_value(initial, type_of(total).dtype, name))


@implements(np.max, np.amax, aliases=("amax",), method="max")
def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    reject("max", out=out)
    return extremum(reductions.max_, maximum, "max", a, axis, keepdims, initial, where)


@implements(np.min, np.amin, aliases=("amin",), method="min")
def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    reject("min", out=out)
    return extremum(reductions.min_, minimum, "min", a, axis, keepdims, initial, where)


amax, amin = max, min


def extremum(op, join, name: str, a, axis, keepdims, initial, where) -> Any:
    """np.max / np.min; with `initial`, the larger (smaller) of it and the reduction, the
    elements `where` leaves out replaced by it."""
    if initial is None:
        if where is not None and where is not True:
            raise TraceError(
                f"np.{name}(..., where=...) needs initial= (NumPy's {join.__name__} has no "
                "identity to put in the elements left out)",
                loc=caller_location(),
                hint="give the value an empty selection takes, e.g. initial=-np.inf for max",
            )
        return reduce(op, a, axis, keepdims, name)
    t = type_of(a)
    value = initial_value(initial, t.dtype, name)
    axes = normalize_axes(() if no_axis_of_0d(axis, t.ndim) else axis, t.ndim, name)
    if builtins.any(t.shape[i] == 0 for i in axes):  # nothing to reduce: initial itself
        shape = reductions.reduced_shape(t, axes, builtins.bool(keepdims))
        return np.full(shape, value, t.dtype)[()]
    return join(reduce(op, masked(a, where, value, name), axis, keepdims, name), value)


def masked(a: Any, where: Any, identity: Any, name: str) -> Any:
    """`a` with the elements `where` leaves out replaced by `identity`: NumPy broadcasts
    the mask to `a`'s shape (never `a` to the mask's)."""
    if where is None or where is True:
        return a
    t, mask = type_of(a), type_of(where)
    if mask.dtype != np.bool_:
        raise TraceError(
            f"np.{name}(..., where=...) takes a boolean mask, got {mask}",
            loc=caller_location(),
            hint="pass a comparison such as `where=x > 0`, or convert with .astype(bool)",
        )
    if not broadcasts_to(mask.shape, t.shape):
        raise TraceError(
            f"np.{name}: the where= mask of shape {mask.shape} does not broadcast to the "
            f"array's shape {t.shape}",
            loc=caller_location(),
            hint="give a mask of the array's shape, or one that broadcasts to it",
        )
    return select(where, a, identity)


def initial_value(initial: Any, dtype: np.dtype, name: str) -> Any:
    """`initial` as a number of the reduction's dtype (NumPy casts it so): a Python number
    that already gives that dtype stays as written."""
    if find_trace([initial]) is not None or np.ndim(initial) != 0:
        raise TraceError(
            f"np.{name}(..., initial=...) takes a number, got {type(initial).__name__}",
            loc=caller_location(),
            hint=f"combine a traced or array value after the reduction, e.g. "
            f"np.maximum(np.{name}(x), v)",
        )
    if type(initial) in (bool, int, float) and np.result_type(dtype, initial) == dtype:
        return initial
    try:
        return dtype.type(initial).item()
    except (TypeError, ValueError, OverflowError):
        raise TraceError(
            f"np.{name}: initial={initial!r} is not a value of dtype {dtype}",
            loc=caller_location(),
            hint="give a number of the array's kind",
        ) from None


def truth_reduce(op, a, axis, keepdims, where, name: str, empty: bool):
    """np.all / np.any as min / max over booleans (nonzero, NaN included, is true); where an
    output element reduces over nothing, it is `empty` (True for all, False for any), as are
    the elements `where` leaves out."""
    a = as_array(a)
    t = type_of(a)
    axis = () if no_axis_of_0d(axis, t.ndim) else axis
    axes = normalize_axes(axis, t.ndim, name)
    if builtins.any(t.shape[i] == 0 for i in axes):
        return np.full(reductions.reduced_shape(t, axes, builtins.bool(keepdims)), empty)[()]
    truth = a if t.dtype == np.bool_ else not_equal(a, 0)
    truth = masked(truth, where, empty, name)
    return bind(op, truth, axis=axes, keepdims=builtins.bool(keepdims))


@implements(np.all, method="all", derivative="none")
def all(a, axis=None, out=None, keepdims=False, *, where=None):
    reject("all", out=out)
    return truth_reduce(reductions.min_, a, axis, keepdims, where, "all", True)


@implements(np.any, method="any", derivative="none")
def any(a, axis=None, out=None, keepdims=False, *, where=None):
    reject("any", out=out)
    return truth_reduce(reductions.max_, a, axis, keepdims, where, "any", False)


@implements(np.count_nonzero, derivative="none")
def count_nonzero(a, axis=None, *, keepdims=False):
    """The number of nonzero elements (NaN counts), an int64 count per result element."""
    a = as_array(a)
    truth = a if type_of(a).dtype == np.bool_ else not_equal(a, 0)
    return sum(truth, axis=axis, keepdims=keepdims)


def arg_reduce(op, a, axis, keepdims, name):
    ndim = type_of(a).ndim
    axis = None if axis is None or no_axis_of_0d(axis, ndim) else normalize_axis(axis, ndim, name)
    return bind(op, a, axis=axis, keepdims=builtins.bool(keepdims))


@implements(np.argmax, method="argmax", derivative="none")
def argmax(a, axis=None, out=None, *, keepdims=False):
    reject("argmax", out=out)
    return arg_reduce(reductions.argmax, a, axis, keepdims, "argmax")


@implements(np.argmin, method="argmin", derivative="none")
def argmin(a, axis=None, out=None, *, keepdims=False):
    reject("argmin", out=out)
    return arg_reduce(reductions.argmin, a, axis, keepdims, "argmin")


def cumulate(op: Primitive, name: str, a: Any, axis: Any, dtype: Any, out: Any) -> Any:
    """np.cumsum / np.cumprod: along `axis`, or over the flattened array when it is None;
    with `dtype`, accumulated in that dtype (as NumPy does)."""
    reject(name, out=out)
    a = as_array(a)
    if dtype is not None:
        a = astype(a, as_dtype(dtype, name))
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    result = bind(op, a, axis=normalize_axis(axis, type_of(a).ndim, name))
    # The primitive widens bool and small integers as NumPy's default does; a dtype given
    # wraps around to the same result once converted back.
    return result if dtype is None else astype(result, dtype)


@implements(np.cumsum, method="cumsum")
def cumsum(a, axis=None, dtype=None, out=None):
    return cumulate(reductions.cumsum, "cumsum", a, axis, dtype, out)


@implements(np.cumprod, method="cumprod")
def cumprod(a, axis=None, dtype=None, out=None):
    return cumulate(reductions.cumprod, "cumprod", a, axis, dtype, out)
