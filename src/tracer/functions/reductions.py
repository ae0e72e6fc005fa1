"""Tracer layer: NumPy's reductions (sum, prod, max, min, all, any, argmax, argmin) over
the reduction primitives, and the statistics written with them (mean, var, std)."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir import Primitive
from ...ir.primitives import reductions
from ..source import caller_location
from .common import as_dtype, bind, no_axis_of_0d, normalize_axes, normalize_axis, reject, type_of
from .conversions import as_array, astype
from .registry import implements
from .shapes import reshape
from .ufuncs import divide, multiply, not_equal, sqrt, subtract

__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "cumprod", "cumsum", "max", "mean", "min",
    "prod", "std", "sum", "var",
]  # fmt: skip


def reduce(op: Primitive, a: Any, axis: Any, keepdims: Any, name: str) -> Any:
    axis = () if no_axis_of_0d(axis, type_of(a).ndim) else axis
    axes = normalize_axes(axis, type_of(a).ndim, name)
    return bind(op, a, axis=axes, keepdims=builtins.bool(keepdims))


@implements(np.sum, method="sum")
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    reject("sum", out=out, initial=initial, where=where)
    if dtype is None:
        return reduce(reductions.sum_, a, axis, keepdims, "sum")
    # NumPy accumulates in `dtype`; the primitive widens bool and small integers, which wraps
    # around to the same result once converted back.
    return astype(reduce(reductions.sum_, astype(a, dtype), axis, keepdims, "sum"), dtype)


@implements(np.prod, method="prod")
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    reject("prod", out=out, initial=initial, where=where)
    if dtype is None:
        return reduce(reductions.prod, a, axis, keepdims, "prod")
    # As in sum: accumulate in `dtype`, then convert back.
    return astype(reduce(reductions.prod, astype(a, dtype), axis, keepdims, "prod"), dtype)


@implements(np.max, np.amax, aliases=("amax",), method="max")
def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    reject("max", out=out, initial=initial, where=where)
    return reduce(reductions.max_, a, axis, keepdims, "max")


@implements(np.min, np.amin, aliases=("amin",), method="min")
def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    reject("min", out=out, initial=initial, where=where)
    return reduce(reductions.min_, a, axis, keepdims, "min")


amax, amin = max, min


def truth_reduce(op, a, axis, keepdims, name: str, empty: bool):
    """np.all / np.any as min / max over booleans (nonzero, NaN included, is true); where an
    output element reduces over nothing, it is `empty` (True for all, False for any)."""
    a = as_array(a)
    t = type_of(a)
    axis = () if no_axis_of_0d(axis, t.ndim) else axis
    axes = normalize_axes(axis, t.ndim, name)
    if builtins.any(t.shape[i] == 0 for i in axes):
        return np.full(reductions.reduced_shape(t, axes, builtins.bool(keepdims)), empty)[()]
    truth = a if t.dtype == np.bool_ else not_equal(a, 0)
    return bind(op, truth, axis=axes, keepdims=builtins.bool(keepdims))


@implements(np.all, method="all", derivative="none")
def all(a, axis=None, out=None, keepdims=False, *, where=None):
    reject("all", out=out, where=where)
    return truth_reduce(reductions.min_, a, axis, keepdims, "all", True)


@implements(np.any, method="any", derivative="none")
def any(a, axis=None, out=None, keepdims=False, *, where=None):
    reject("any", out=out, where=where)
    return truth_reduce(reductions.max_, a, axis, keepdims, "any", False)


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


def element_count(a: Any, axis: Any, name: str) -> int:
    shape = type_of(a).shape
    return math.prod(shape[i] for i in normalize_axes(axis, len(shape), name))


def mean_dtypes(a, dtype) -> tuple[np.dtype, np.dtype]:
    """(result dtype, accumulation dtype) as np.mean picks them."""
    source = type_of(a).dtype
    result = (
        as_dtype(dtype, "mean")
        if dtype is not None
        else (np.dtype(np.float64) if source.kind in "biu" else source)
    )
    return result, np.dtype(np.float32) if result == np.float16 else result


@implements(np.mean, method="mean")
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    reject("mean", out=out, where=where)
    result_dtype, accumulate = mean_dtypes(a, dtype)
    total = sum(astype(a, accumulate), axis=axis, keepdims=keepdims)
    average = divide(total, element_count(a, axis, "mean"))
    return astype(average, result_dtype)


def variance_dtype(a: Any, dtype: Any) -> np.dtype:
    """The dtype np.var computes in: `dtype` (a float one), else float64 for integers."""
    if dtype is not None and as_dtype(dtype, "var").kind not in "fc":
        raise TraceError(
            f"a variance or standard deviation computed in {np.dtype(dtype)} is not supported "
            "(NumPy truncates the mean to that dtype)",
            loc=caller_location(),
            hint="leave dtype out, or use a float dtype",
        )
    if dtype is not None:
        return np.dtype(dtype)
    source = type_of(a).dtype
    return np.dtype(np.float64) if source.kind in "biu" else source


@implements(np.var, method="var")
def var(
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=None,
    mean=None,
    correction=None,
):
    reject("var", out=out, where=where, mean=mean, correction=correction)
    x = astype(a, variance_dtype(a, dtype))
    count = element_count(a, axis, "var")
    centered = subtract(x, divide(sum(x, axis=axis, keepdims=True), count))
    squares = multiply(centered, centered)
    return divide(sum(squares, axis=axis, keepdims=keepdims), builtins.max(count - ddof, 0))


@implements(np.std, method="std")
def std(
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=None,
    mean=None,
    correction=None,
):
    reject("std", out=out, where=where, mean=mean, correction=correction)
    return sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


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
