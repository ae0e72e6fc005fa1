"""Tracer layer: arrays built from traced values: np.array and np.asarray of (nested) lists
mixing traced values and numbers (a stack), copies, np.append, and the *_like constants.

np.array, np.asarray and np.asanyarray never reach NumPy's __array_function__ protocol when
the traced value hides in a list: tracer/intercept.py routes them here while a trace runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...errors import TraceError
from .. import inplace
from ..context import find_trace
from ..source import caller_location
from .common import as_dtype, type_of
from .conversions import as_array, astype, made_as_scalar, zero_d_array
from .registry import implements
from .shapes import concatenate, ravel, reshape, stack, unchanged
from .ufuncs import add

__all__ = [
    "append", "array", "asanyarray", "asarray", "copy", "full_like", "ones_like", "zeros_like",
]  # fmt: skip


def like(fill: Callable[[tuple, np.dtype], np.ndarray]) -> Callable:
    def function(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
        t = type_of(a)
        name = f"{fill.__name__}_like"
        filled = fill(t.shape if shape is None else shape, as_dtype(dtype or t.dtype, name))
        return zero_d_array(filled, like=a)  # of a 0-d value a 0-d array, not a scalar

    function.__name__ = function.__qualname__ = f"{fill.__name__}_like"
    return function


zeros_like = implements(np.zeros_like, derivative="zero")(like(np.zeros))
ones_like = implements(np.ones_like, derivative="zero")(like(np.ones))


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    if find_trace([fill_value]) is not None:
        return zero_d_array(add(zeros_like(a, dtype=dtype), fill_value))
    t = type_of(a)
    filled = np.full(
        t.shape if shape is None else shape, fill_value, as_dtype(dtype or t.dtype, "full_like")
    )
    return zero_d_array(filled, like=a)


# --- np.array and np.asarray ----------------------------------------------------------------


def creation_error(function: str, problem: str, hint: str) -> TraceError:
    return TraceError(f"np.{function}: {problem}", loc=caller_location(), hint=hint)


def constant_of(items: Any, dtype: np.dtype | None, function: str) -> np.ndarray:
    """A nested list of numbers (no traced value inside) as NumPy makes it."""
    try:
        value = np.asarray(items, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as error:
        raise creation_error(
            function, f"{error}", "give every row the same length, and numbers only"
        ) from None
    if value.dtype.kind not in "biuf":
        raise creation_error(
            function,
            f"a list of traced values and {value.dtype} values",
            "build arrays of numbers: bool, integer or float",
        )
    return value


INT64 = np.iinfo(np.int64)


def plain_number(item: Any) -> bool:
    """A Python number np.array reads as a default dtype (bool, int64, float64); NumPy makes
    larger integers uint64 or objects."""
    if type(item) is int:
        return INT64.min <= item <= INT64.max
    return type(item) in (bool, float)


def is_leaf(item: Any) -> bool:
    return not isinstance(item, list | tuple)


def element(item: Any, dtype: np.dtype | None, function: str) -> Any:
    """One entry of a list given to np.array: a traced value (converted to `dtype`, or made
    an array if it stands for a Python scalar), an array, or a nested list (stacked)."""
    if find_trace([item]) is None:
        if isinstance(item, np.ndarray) and (dtype is None or item.dtype == dtype):
            return item  # kept as the very array: a captured one stays an input
        if dtype is None and plain_number(item):
            return item  # the stack promotes it as NumPy's lists do (2.0 is float64), and
            # the emitted line keeps the number as written
        return constant_of(item, dtype, function)
    if is_leaf(item):
        return as_array(item) if dtype is None else astype(item, dtype)
    return stacked(item, dtype, function)


def stacked(items: list | tuple, dtype: np.dtype | None, function: str) -> Any:
    """np.array of a list holding traced values: its entries, each of one shape, stacked (the
    stack promotes Python numbers and arrays as NumPy's list conversion does)."""
    entries = [element(item, dtype, function) for item in items]
    shapes = sorted({type_of(entry).shape for entry in entries})
    if len(shapes) != 1:
        raise creation_error(
            function,
            f"the entries have different shapes {shapes} (NumPy raises ValueError for an "
            "inhomogeneous list)",
            "give every entry one shape; join arrays of different lengths with np.concatenate",
        )
    return stack(entries)


def converted(a: Any, dtype: Any, copy: Any, function: str) -> Any:
    """np.array / np.asarray of a traced value or of a list holding some."""
    target = None if dtype is None else as_dtype(dtype, function)
    if find_trace([a]) is None:  # reached through `like=` a traced value: a constant
        return constant_of(a, target, function)
    if isinstance(a, list | tuple):
        if copy is False:
            raise creation_error(
                function,
                "copy=False, but a list always has to be copied (NumPy raises ValueError)",
                f"use np.{function}(..., copy=None), or leave copy out",
            )
        return stacked(a, target, function)
    result = unchanged(a)  # a traced Python number: a 0-d array now, as NumPy makes it
    result = result if target is None else astype(result, target, copy=False)
    if copy and result is a:
        result = inplace.copy(a)  # a distinct value, so writing into it leaves `a` alone
    return zero_d_array(result) if type_of(a).ndim == 0 and made_as_scalar(a) else result


def with_ndmin(a: Any, ndmin: int) -> Any:
    shape = type_of(a).shape
    return a if len(shape) >= ndmin else reshape(a, (1,) * (ndmin - len(shape)) + shape)


@implements(np.array, note="ndmax= is refused on traced values")
def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, ndmax=0, like=None):
    if ndmax:
        raise creation_error("array", "ndmax= is not supported on traced values", "remove ndmax=")
    return with_ndmin(converted(object, dtype, copy, "array"), ndmin)


@implements(np.asarray, view=True)
def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    return converted(a, dtype, copy, "asarray")


@implements(np.asanyarray, view=True)
def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    return converted(a, dtype, copy, "asanyarray")


@implements(np.copy)
def copy(a, order="K", subok=False):
    return converted(a, None, True, "copy")


@implements(np.append)
def append(arr, values, axis=None):
    # NumPy makes arrays of both first, so a Python number counts as float64 or int64 here.
    arr, values = asanyarray(arr), asanyarray(values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis=axis)
