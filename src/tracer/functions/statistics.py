"""Tracer layer: NumPy's statistics (mean, var, std, average, ptp) and differences (diff,
ediff1d), written with the reductions, ufuncs and slices: no primitive of their own."""

from __future__ import annotations

import builtins
import inspect
import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ...errors import TraceError
from ..context import find_trace
from ..source import caller_location
from .common import as_dtype, normalize_axes, normalize_axis, reject, slice_along, type_of
from .conversions import as_array, astype
from .reductions import masked, max, min, sum
from .registry import implements
from .shapes import broadcast_to, concatenate, ravel, reshape, transpose
from .ufuncs import divide, maximum, multiply, not_equal, sqrt, subtract
from .ufuncs import where as select

__all__ = ["average", "diff", "ediff1d", "mean", "ptp", "std", "var"]


def element_count(a: Any, axis: Any, name: str) -> int:
    shape = type_of(a).shape
    return math.prod(shape[i] for i in normalize_axes(axis, len(shape), name))


def counted(a: Any, axis: Any, where: Any, keepdims: bool, name: str) -> Any:
    """How many elements each result element reduces over: an int, or with a `where` mask
    the mask's count (an array, traced where the mask is)."""
    if where is None or where is True:
        return element_count(a, axis, name)
    masked(a, where, 0, name)  # the mask checked as sum checks it
    return sum(broadcast_to(where, type_of(a).shape), axis=axis, keepdims=keepdims)


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
    reject("mean", out=out)
    result_dtype, accumulate = mean_dtypes(a, dtype)
    total = sum(astype(a, accumulate), axis=axis, keepdims=keepdims, where=where)
    average = divide(total, counted(a, axis, where, keepdims, "mean"))
    return astype(average, result_dtype)


def divided_by_count(total: Any, count: Any) -> Any:
    """total / count in total's dtype (NumPy divides in place, so float32 stays float32 even
    where the counts are an int64 array)."""
    return astype(divide(total, count), type_of(total).dtype)


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


def degrees_of_freedom(ddof: Any, correction: Any, name: str) -> Any:
    """`ddof`, or its array-API spelling `correction` (NumPy refuses both at once)."""
    if correction is not None:
        if not isinstance(ddof, int | float) or ddof != 0:
            raise TraceError(
                f"np.{name}: ddof and correction cannot both be given (NumPy refuses it too)",
                loc=caller_location(),
                hint="give one of them",
            )
        ddof = correction
    if find_trace([ddof]) is not None or np.ndim(ddof) != 0:
        raise TraceError(
            f"np.{name}: ddof must be a number, not a traced or array value",
            loc=caller_location(),
            hint="pass a Python int such as ddof=1",
        )
    return ddof


def nonnegative(count: Any) -> Any:
    """max(count, 0): a Python number stays one (NumPy divides by it so)."""
    return builtins.max(count, 0) if isinstance(count, int | float) else maximum(count, 0)


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
    """np.var; `mean` (a keepdims-shaped mean, as NumPy takes it) saves computing it."""
    reject("var", out=out)
    ddof = degrees_of_freedom(ddof, correction, "var")
    x = astype(a, variance_dtype(a, dtype))
    if mean is None:
        total = sum(x, axis=axis, keepdims=True, where=where)
        mean = divided_by_count(total, counted(a, axis, where, True, "var"))
    total = squared_deviations(x, mean, axis, keepdims, where)
    return divided_by_count(total, nonnegative(counted(a, axis, where, keepdims, "var") - ddof))


def squared_deviations(
    x: Any, mean: Any, axis: Any, keepdims: bool, where: Any, dtype: Any = None, missing: Any = None
) -> Any:
    """The variance's numerator, the sum of (x - mean)**2 over `axis`, shared by var and
    nanvar: nanvar's `missing` (the NaNs' mask) zeroes the deviations there, in x's dtype."""
    centered = subtract(x, mean)
    if missing is not None:
        centered = select(missing, 0, astype(centered, type_of(x).dtype))
    squares = multiply(centered, centered)
    return sum(squares, axis=axis, dtype=dtype, keepdims=keepdims, where=where)


def root_of(variance: Callable, name: str) -> Callable:
    """np.std from np.var, np.nanstd from np.nanvar: the variance's arguments, its square
    root."""

    def deviation(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **keywords):
        reject(name, out=out)
        return sqrt(variance(a, axis, dtype, None, ddof, keepdims, **keywords))

    deviation.__name__ = deviation.__qualname__ = name
    deviation.__module__ = variance.__module__  # the support table lists it beside its variance
    deviation.__signature__ = inspect.signature(variance)  # where=, mean=, correction= named
    return deviation


std = implements(np.std, method="std")(root_of(var, "std"))


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """The range, max - min (for booleans NumPy refuses the subtraction, and so does this)."""
    reject("ptp", out=out)
    return subtract(max(a, axis=axis, keepdims=keepdims), min(a, axis=axis, keepdims=keepdims))


@implements(np.average, note="weights summing to zero raise only where the weights are known")
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """np.average: the mean, or sum(a * w) / sum(w); with `returned`, (average, sum of the
    weights) as NumPy gives them."""
    a = as_array(a)
    if weights is None:
        result = mean(a, axis=axis, keepdims=keepdims)
        result_type = type_of(result)
        scale = result_type.dtype.type(type_of(a).size / builtins.max(result_type.size, 1))
    else:
        if find_trace([weights]) is None:  # constant weights, as NumPy reads them (a list too)
            weights = np.asarray(weights)
        t, w = type_of(a), type_of(weights)
        common = (t.dtype, w.dtype, np.float64) if t.dtype.kind in "biu" else (t.dtype, w.dtype)
        dtype = np.result_type(*common)
        weights = aligned_weights(as_array(weights), t, axis)
        scale = sum(weights, axis=axis, dtype=dtype, keepdims=keepdims)
        check_weights_sum(scale)
        weighted = multiply(astype(a, dtype), astype(weights, dtype))
        result = divide(sum(weighted, axis=axis, keepdims=keepdims), scale)
    if not returned:
        return result
    shape = type_of(result).shape
    if type_of(scale).shape != shape:  # NumPy returns a copy of the broadcast sum
        scale = broadcast_to(scale, shape)
        scale = scale.copy() if find_trace([scale]) is None else scale
    return result, scale


def aligned_weights(weights: Any, t: Any, axis: Any) -> Any:
    """The weights laid out to broadcast against `a`: as they are when the shapes match,
    else a 1-d weight per position along `axis` (or an array of those axes' sizes)."""
    w = type_of(weights)
    if w.shape == t.shape:
        return weights
    if axis is None:
        raise TraceError(
            f"np.average: weights of shape {w.shape} differ from a's shape {t.shape}, "
            "so NumPy needs the axis they run along",
            loc=caller_location(),
            hint="give axis=, or weights of a's shape",
        )
    given = [normalize_axis(ax, t.ndim, "average") for ax in np.atleast_1d(axis).tolist()]
    if w.shape != tuple(t.shape[ax] for ax in given):
        raise TraceError(
            f"np.average: weights of shape {w.shape} do not match a's shape {t.shape} "
            f"along axis {axis}",
            loc=caller_location(),
            hint="give one weight per position along the axis",
        )
    if given != sorted(given):
        weights = transpose(weights, tuple(np.argsort(given).tolist()))
    return reshape(weights, tuple(d if i in given else 1 for i, d in enumerate(t.shape)))


def check_weights_sum(scale: Any) -> None:
    """NumPy raises where the weights sum to zero; known weights are checked so here."""
    if find_trace([scale]) is None and np.any(np.asarray(scale) == 0):
        raise TraceError(
            "np.average: the weights sum to zero, so they cannot be normalized",
            loc=caller_location(),
            hint="give weights with a nonzero sum along the axis",
        )


def step_difference(a: Any, axis: int) -> Any:
    """a[1:] - a[:-1] along `axis`; booleans differ where they are unequal (as in NumPy)."""
    later, earlier = slice_along(a, axis, 1, None), slice_along(a, axis, None, -1)
    if type_of(a).dtype == np.bool_:
        return not_equal(later, earlier)
    return subtract(later, earlier)


def whole_number(value: Any, what: str, function: str) -> int:
    try:
        number = operator.index(value)
    except TypeError:
        number = -1
    if number < 0:
        raise TraceError(
            f"np.{function}: {what} must be a non-negative integer, got {value!r}",
            loc=caller_location(),
            hint=f"pass a Python int, e.g. {what}=1",
        )
    return number


def edge(value: Any, shape: tuple[int, ...]) -> Any:
    """np.diff's `prepend` / `append`: a number becomes one slice of that value."""
    if value is None:
        return None
    value = as_array(value)
    return value if type_of(value).ndim else broadcast_to(value, shape)


@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=None, append=None):
    """np.diff: the n-th difference along `axis`, after joining `prepend` and `append`
    (numbers are broadcast to one slice)."""
    if whole_number(n, "n", "diff") == 0:
        return a
    a = as_array(a)
    t = type_of(a)
    if t.ndim == 0:
        raise TraceError(
            "np.diff needs an array of at least one dimension (NumPy refuses a 0-d one too)",
            loc=caller_location(),
            hint="difference an array, e.g. np.diff(np.atleast_1d(x))",
        )
    axis = normalize_axis(axis, t.ndim, "diff")
    edge_shape = tuple(1 if i == axis else d for i, d in enumerate(t.shape))
    if prepend is not None or append is not None:
        parts = [edge(prepend, edge_shape), a, edge(append, edge_shape)]
        a = concatenate([part for part in parts if part is not None], axis=axis)
    for _ in range(n):
        a = step_difference(a, axis)
    return a


@implements(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    """np.ediff1d: the differences of the flattened array, with `to_begin` and `to_end`
    joined (flattened, in the array's dtype)."""
    ary = ravel(as_array(ary))
    dtype = type_of(ary).dtype
    if dtype == np.bool_:
        raise TraceError(
            "np.ediff1d of booleans subtracts them, which NumPy refuses",
            loc=caller_location(),
            hint="convert first (np.ediff1d(x.astype(int))), or use np.diff, which compares",
        )
    parts = [subtract(ary[1:], ary[:-1])]
    for name, extra, at in (("to_begin", to_begin, 0), ("to_end", to_end, 1)):
        if extra is None:
            continue
        if not np.can_cast(type_of(extra).dtype, dtype, casting="same_kind"):
            raise TraceError(
                f"np.ediff1d: {name} of dtype {type_of(extra).dtype} does not convert to the "
                f"array's dtype {dtype} (NumPy refuses it too)",
                loc=caller_location(),
                hint=f"convert it first, e.g. {name}=np.asarray(v).astype({dtype.name})",
            )
        parts.insert(at if at == 0 else len(parts), astype(ravel(as_array(extra)), dtype))
    return parts[0] if len(parts) == 1 else concatenate(parts)
