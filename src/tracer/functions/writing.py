"""Tracer layer: the NumPy functions that write into their first argument (np.copyto,
np.fill_diagonal, np.put_along_axis), traced as the writes `x[key] = v` are
(tracer/writes.py): into a traced array, or into an array the function made (a Buffer, which
becomes traced)."""

from __future__ import annotations

import numpy as np

from ...errors import TraceError
from ..source import caller_location
from .common import type_of
from .registry import implements
from .ufuncs import where as select

__all__ = ["copyto", "fill_diagonal", "put_along_axis"]


@implements(np.copyto)
def copyto(dst, src, casting="same_kind", where=True):
    """np.copyto: `dst[...] = src` where `where` holds, with NumPy's casting check."""
    from .. import writes

    target, value = type_of(dst).dtype, type_of(src)
    if not value.weak and not np.can_cast(value.dtype, target, casting):
        raise TraceError(
            f"np.copyto: cannot cast array data from dtype('{value.dtype}') to "
            f"dtype('{target}') according to the rule '{casting}' (NumPy raises TypeError too)",
            loc=caller_location(),
            hint=f"convert first: np.copyto(dst, src.astype(np.{target}))",
        )
    array = writes.writable(dst, "np.copyto")
    new = src if where is True else select(where, src, array)
    writes.setitem(array, Ellipsis, new)


@implements(np.fill_diagonal, note="wrap=True is refused for tall matrices")
def fill_diagonal(a, val, wrap=False):
    """np.fill_diagonal: `a[i, i, ...] = val` for i below the shortest axis (all axes of one
    length beyond 2-d, as NumPy requires)."""
    from .. import writes

    shape = type_of(a).shape
    if len(shape) < 2 or (len(shape) > 2 and len(set(shape)) != 1):
        raise TraceError(
            "np.fill_diagonal: the array must be at least 2-d, and of equal lengths beyond 2-d "
            "(NumPy raises ValueError too)",
            loc=caller_location(),
            hint="write the diagonal with a[np.arange(n), np.arange(n)] = val",
        )
    if wrap and shape[0] > shape[1] + 1:
        raise TraceError(
            "np.fill_diagonal(..., wrap=True) of a tall matrix is not supported",
            loc=caller_location(),
            hint="write each wrapped diagonal block with a[k:k + m][np.arange(m), np.arange(m)]",
        )
    array = writes.writable(a, "np.fill_diagonal")
    steps = np.arange(min(shape))
    values = val if np.ndim(val) == 0 or type_of(val).ndim == 0 else resized(val, len(steps))
    writes.setitem(array, (steps,) * len(shape), values, "np.fill_diagonal")


@implements(np.put_along_axis, note="concrete indices")
def put_along_axis(arr, indices, values, axis):
    """np.put_along_axis: arr[idx] = values at the positions np.take_along_axis reads."""
    from .. import writes

    shape = type_of(arr).shape
    key = along_axis_key(shape, indices, axis)
    writes.setitem(writes.writable(arr, "np.put_along_axis"), key, values, "np.put_along_axis")


def along_axis_key(shape: tuple[int, ...], indices, axis) -> tuple:
    """The integer-array key that reads what np.take_along_axis(x, indices, axis) does."""
    from ..context import find_trace

    if find_trace([indices]) is not None:
        raise TraceError(
            "np.put_along_axis with traced indices (positions that depend on the data)",
            loc=caller_location(),
            hint="accumulate with np.add.at, or select with np.where",
        )
    indices = np.asarray(indices)
    if axis is None:
        return (indices,)
    axis = axis % len(shape)
    if indices.ndim != len(shape):
        raise TraceError(
            "np.put_along_axis: `indices` must have as many dimensions as the array "
            "(NumPy raises ValueError too)",
            loc=caller_location(),
            hint="give indices the array's number of dimensions (np.expand_dims)",
        )
    grid = np.ogrid[tuple(slice(n) for n in indices.shape)]
    return tuple(indices if k == axis else grid[k] for k in range(len(shape)))


def resized(values, count: int):
    """NumPy's fill_diagonal repeats a shorter list of values along the diagonal."""
    from .shapes import reshape

    length = type_of(values).size
    if length >= count:
        return reshape(values, (-1,))[:count]
    from .rearranging import tile

    return tile(reshape(values, (-1,)), -(-count // length))[:count]
