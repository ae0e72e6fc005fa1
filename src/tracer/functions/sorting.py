"""Tracer layer: NumPy's sorting functions over the sorting primitives (sort, argsort,
partition, argpartition, searchsorted), and the order statistics written with them
(median, quantile, percentile).

The derivative of a sort goes through the permutation: sort and partition are composites
whose decomposition gathers `x` along argsort / argpartition with np.take_along_axis
(ad/decompositions.py). Quantiles interpolate between two gathered order statistics exactly
as NumPy does, NaN included (a slice holding a NaN gives NaN).
"""

from __future__ import annotations

import builtins
import operator
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir.primitives import sorting
from ..context import find_trace
from ..source import caller_location
from .common import bind, normalize_axes, normalize_axis, reject, slice_along, type_of
from .conversions import as_array, astype, numpy_scalar
from .indexing import take
from .nanfunctions import isnan
from .registry import implements
from .shapes import moveaxis, ravel, reshape
from .statistics import mean, mean_dtypes
from .ufuncs import add, multiply, subtract, where

__all__ = [
    "argpartition", "argsort", "median", "partition", "percentile", "quantile", "searchsorted",
    "sort",
]  # fmt: skip

KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


def is_stable(function: str, kind: Any, stable: Any) -> builtins.bool:
    """NumPy's kind= and stable= as one flag: only 'stable' (and 'mergesort', its old name)
    promise to keep equal elements in order; the other kinds are NumPy's default sort."""
    if kind not in KINDS:
        raise TraceError(
            f"np.{function}: kind={kind!r} is not a sorting kind",
            loc=caller_location(),
            hint="use kind='stable' (or leave it out)",
        )
    if stable is not None and kind is not None:
        raise TraceError(
            f"np.{function}: give kind= or stable=, not both (NumPy refuses it too)",
            loc=caller_location(),
            hint="keep stable=True",
        )
    return builtins.bool(stable) or kind in ("stable", "mergesort")


def sort_axis(a: Any, axis: Any, function: str) -> tuple[Any, int]:
    """The operand and the one axis to sort along (axis=None sorts the flattened array)."""
    a = as_array(a)
    if axis is None:
        return ravel(a), 0
    ndim = type_of(a).ndim
    if ndim == 0:
        raise TraceError(
            f"np.{function}: a 0-d value has no axis {axis} to sort along",
            loc=caller_location(),
            hint="pass axis=None, or sort an array with at least one dimension",
        )
    return a, normalize_axis(axis, ndim, function)


@implements(np.argsort, method="argsort", derivative="none")
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    reject("argsort", order=order)
    flag = is_stable("argsort", kind, stable)
    a, axis = sort_axis(a, axis, "argsort")
    return bind(sorting.argsort, a, axis=axis, stable=flag)


@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    reject("sort", order=order)
    flag = is_stable("sort", kind, stable)
    a, axis = sort_axis(a, axis, "sort")
    return bind(sorting.sort, a, axis=axis, stable=flag)


def kth_positions(kth: Any, size: int, function: str) -> tuple[int, ...]:
    """kth as non-negative positions along the axis, sorted (NumPy reads negative ones from
    the end; a traced kth cannot be known while tracing)."""
    try:
        positions = [operator.index(k) for k in np.ravel(kth)] if find_trace([kth]) is None else []
    except TypeError:
        positions = []
    if not positions or not builtins.all(-size <= k < size for k in positions):
        raise TraceError(
            f"np.{function}: kth={kth!r} must be Python integers between {-size} and {size - 1}",
            loc=caller_location(),
            hint="pass the positions as integers known while tracing",
        )
    return tuple(sorted({k % size for k in positions}))


def partition_operands(a, kth, axis, kind, order, function):
    reject(function, order=order)
    if kind != "introselect":
        raise TraceError(
            f"np.{function}: kind={kind!r} is not a selection kind",
            loc=caller_location(),
            hint="leave kind out ('introselect')",
        )
    a, axis = sort_axis(a, axis, function)
    return a, axis, kth_positions(kth, type_of(a).shape[axis], function)


@implements(np.argpartition, method="argpartition", derivative="none")
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    a, axis, kth = partition_operands(a, kth, axis, kind, order, "argpartition")
    return bind(sorting.argpartition, a, axis=axis, kth=kth)


@implements(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    a, axis, kth = partition_operands(a, kth, axis, kind, order, "partition")
    return bind(sorting.partition, a, axis=axis, kth=kth)


@implements(np.searchsorted, method="searchsorted", derivative="none")
def searchsorted(a, v, side="left", sorter=None):
    if side not in ("left", "right"):
        raise TraceError(
            f"np.searchsorted: side={side!r} must be 'left' or 'right'",
            loc=caller_location(),
            hint="pass side='left' or side='right'",
        )
    a = as_array(a)
    if type_of(a).ndim != 1:
        raise TraceError(
            f"np.searchsorted: the sorted values must be a vector, got {type_of(a)}",
            loc=caller_location(),
            hint="search a 1-d array (ravel it first)",
        )
    if sorter is not None:
        a = a[sorter]  # a vector: np.take_along_axis(a, sorter, 0) is this index
    return bind(sorting.searchsorted, a, v, side=side)


# --- order statistics -----------------------------------------------------------------------


def sorted_along(a: Any, axis: Any, function: str) -> tuple[Any, int, tuple[int, ...]]:
    """`a` sorted along the one axis the statistic reduces (several axes are moved last and
    merged, as NumPy merges them), that axis, and the shape keepdims=True keeps."""
    a = as_array(a)
    shape = type_of(a).shape
    if len(shape) == 0:
        return sort(reshape(a, (1,))), 0, ()
    axes = normalize_axes(axis, len(shape), function)
    keepdims_shape = tuple(1 if k in axes else size for k, size in enumerate(shape))
    if len(axes) == 1:
        return sort(a, axis=axes[0]), axes[0], keepdims_shape
    if len(axes) == len(shape):
        return sort(ravel(a)), 0, keepdims_shape
    others = [k for k in range(len(shape)) if k not in axes]
    moved = moveaxis(a, axes, tuple(range(len(others), len(shape))))
    merged = reshape(moved, (*(shape[k] for k in others), -1))
    return sort(merged, axis=-1), len(others), keepdims_shape


def pick(values: Any, axis: int, positions: Any) -> Any:
    """The order statistics at `positions` (an int, or an array whose axes come first in the
    result, as NumPy puts the quantiles' axes first)."""
    positions = np.asarray(positions)
    if positions.ndim == 0:
        return values[(slice(None),) * axis + (int(positions),)]
    picked = take(values, positions, axis=axis)
    if axis == 0:
        return picked
    return moveaxis(picked, tuple(range(axis, axis + positions.ndim)), tuple(range(positions.ndim)))


def with_nans(values: Any, axis: int, result: Any) -> Any:
    """NumPy's answer where a slice holds a NaN: the NaN (sorted last), not an interpolation."""
    if type_of(values).dtype.kind != "f":
        return result
    last = pick(values, axis, -1)
    return where(isnan(last), last, result)


def kept(result: Any, q_shape: tuple[int, ...], keepdims_shape: tuple[int, ...], keepdims) -> Any:
    return reshape(result, (*q_shape, *keepdims_shape)) if keepdims else result


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """NumPy's median: the mean of the middle one or two order statistics."""
    reject("median", out=out)
    values, axis, keepdims_shape = sorted_along(a, axis, "median")
    size = type_of(values).shape[axis]
    if size % 2:  # one middle element: the mean of one is itself, in the mean's dtype
        middle = astype(pick(values, axis, size // 2), mean_dtypes(values, None)[0])
    else:
        both = slice_along(values, axis, size // 2 - 1, size // 2 + 1)
        middle = mean(both, axis=axis)
    return numpy_scalar(kept(with_nans(values, axis, middle), (), keepdims_shape, keepdims))


# The continuous methods: the virtual index of quantile q among n values is
# n q + alpha + q (1 - alpha - beta) - 1 (Hyndman and Fan), as NumPy computes it.
CONTINUOUS = {
    "linear": (1.0, 1.0),
    "hazen": (0.5, 0.5),
    "weibull": (0.0, 0.0),
    "median_unbiased": (1 / 3, 1 / 3),
    "normal_unbiased": (3 / 8, 3 / 8),
    "interpolated_inverted_cdf": (0.0, 1.0),
}
DISCRETE = {
    "lower": np.floor,
    "higher": np.ceil,
    "nearest": np.around,
}
METHODS = (*CONTINUOUS, *DISCRETE, "midpoint")


def concrete_quantiles(q: Any, dtype: np.dtype, scale: float, function: str) -> np.ndarray:
    """q as NumPy reads it: an array (in the data's float dtype for a Python number), within
    [0, 1] after dividing by `scale` (100 for percentiles)."""
    if find_trace([q]) is not None:
        raise TraceError(
            f"np.{function} with traced q: the order statistics it picks would depend on it",
            loc=caller_location(),
            hint="pass q as a constant (a Python number or a NumPy array)",
        )
    q = np.true_divide(q, scale) if scale != 1 else q
    python_number = isinstance(q, int | float) and not isinstance(q, bool)
    values = (
        np.asanyarray(q, dtype=dtype) if python_number and dtype.kind == "f" else np.asanyarray(q)
    )
    if not np.all((values >= 0) & (values <= 1)):
        bounds = "[0, 100]" if scale != 1 else "[0, 1]"
        raise TraceError(
            f"np.{function}: q must be in the range {bounds}, got {q!r}",
            loc=caller_location(),
            hint=f"pass values within {bounds}",
        )
    return values


def virtual_indexes(n: int, q: np.ndarray, method: str, function: str) -> np.ndarray:
    """Where each quantile falls among the n sorted values (NumPy's `virtual index`)."""
    if method in CONTINUOUS:
        alpha, beta = CONTINUOUS[method]
        if method == "linear":
            return (n - 1) * q
        return n * q + (alpha + q * (1 - alpha - beta)) - 1
    if method in DISCRETE:
        return DISCRETE[method]((n - 1) * q).astype(np.intp)
    if method == "midpoint":
        return (n - 1) * q
    raise TraceError(
        f"np.{function}: method={method!r} is not supported",
        loc=caller_location(),
        hint=f"use one of {', '.join(METHODS)}",
    )


def interpolate(values: Any, axis: int, virtual: np.ndarray, method: str) -> Any:
    """NumPy's interpolation between the order statistics around each virtual index."""
    n = type_of(values).shape[axis]
    floor = np.floor(virtual).astype(np.intp)
    above, below = virtual >= n - 1, virtual < 0
    previous = np.where(above, -1, np.where(below, 0, floor))
    following = np.where(above, -1, np.where(below, 0, floor + 1))
    gamma = np.asarray(virtual - previous, dtype=virtual.dtype)
    if method == "midpoint":
        gamma = np.where(virtual % 1 == 0, 0, 0.5).astype(virtual.dtype)
    gamma = gamma.reshape(virtual.shape + (1,) * (type_of(values).ndim - 1))
    return lerp(pick(values, axis, previous), pick(values, axis, following), gamma)


def lerp(low: Any, high: Any, t: np.ndarray) -> Any:
    """low + (high - low) t, written from the nearer end as NumPy writes it (t >= 1/2 from
    `high`), so that t = 1 gives `high` exactly."""
    difference = subtract(high, low)
    from_low = add(low, multiply(difference, t))
    upper = t >= 0.5
    if not upper.any():
        return from_low
    from_high = subtract(high, multiply(difference, np.asarray(1 - t)))
    return from_high if upper.all() else where(upper, from_high, from_low)


def order_statistic(a, q, axis, method, keepdims, scale: float, function: str):
    values, axis, keepdims_shape = sorted_along(a, axis, function)
    q = concrete_quantiles(q, type_of(values).dtype, scale, function)
    virtual = np.asarray(virtual_indexes(type_of(values).shape[axis], q, method, function))
    if virtual.dtype.kind in "iu":  # an exact order statistic: no interpolation
        result = pick(values, axis, virtual)
    else:
        result = interpolate(values, axis, virtual, method)
    return numpy_scalar(kept(with_nans(values, axis, result), q.shape, keepdims_shape, keepdims))


def quantile_keywords(function: str, out, weights, interpolation) -> None:
    reject(function, out=out, weights=weights, interpolation=interpolation)


@implements(np.quantile)
def quantile(
    a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
    weights=None, interpolation=None,
):  # fmt: skip
    quantile_keywords("quantile", out, weights, interpolation)
    return order_statistic(a, q, axis, method, keepdims, 1, "quantile")


@implements(np.percentile)
def percentile(
    a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
    weights=None, interpolation=None,
):  # fmt: skip
    quantile_keywords("percentile", out, weights, interpolation)
    return order_statistic(a, q, axis, method, keepdims, 100, "percentile")
