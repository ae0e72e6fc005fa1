"""Tracer layer: the NumPy functions that write into their first argument (np.copyto,
np.fill_diagonal, np.put_along_axis, np.put, np.putmask, np.place), traced as the writes
`x[key] = v` are
(tracer/writes.py): into a traced array, or into an array the function made (a Buffer, which
becomes traced)."""

from __future__ import annotations

import numpy as np

from ...errors import TraceError
from ..source import caller_location
from .common import type_of
from .registry import implements
from .ufuncs import where as select

__all__ = ["copyto", "fill_diagonal", "place", "put", "put_along_axis", "putmask"]


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


@implements(np.put)
def put(a, ind, v, mode="raise"):
    """np.put: `a.flat[ind] = v`, v repeated when it is shorter than ind; mode "wrap" and
    "clip" bring the indices into range as NumPy does."""
    from .. import writes
    from .shapes import reshape
    from .ufuncs import clip, remainder

    array = writes.writable(a, "np.put")
    size = type_of(array).size
    if mode not in ("raise", "wrap", "clip"):
        raise TraceError(
            f"np.put: mode must be 'raise', 'wrap' or 'clip', got {mode!r}",
            loc=caller_location(),
            hint="use mode='raise' (the default), 'wrap' or 'clip'",
        )
    index = reshape(ind, (-1,)) if type_of(ind).ndim != 1 else ind
    if mode == "wrap":
        index = remainder(index, size)
    elif mode == "clip":
        index = clip(index, 0, size - 1)
    count = type_of(index).size
    if count == 0:
        return
    values = v if type_of(v).ndim == 0 else resized(v, count)
    writes.setitem(reshape(array, (-1,)), index, values, "np.put")


@implements(np.putmask)
def putmask(a, mask, values):
    """np.putmask: `a.flat[n] = values[n]` (values repeated to a's size) where mask holds."""
    from .. import writes
    from .shapes import reshape

    array = writes.writable(a, "np.putmask")
    shape = type_of(array).shape
    full = (
        values
        if type_of(values).ndim == 0
        else reshape(resized(values, type_of(array).size), shape)
    )
    writes.setitem(array, Ellipsis, select(mask, full, array), "np.putmask")


@implements(np.place, note="a concrete mask")
def place(arr, mask, vals):
    """np.place: the first N values (repeated as needed) into the N positions the mask
    selects, in order."""
    from .. import writes
    from ..context import find_trace

    if find_trace([mask]) is not None:
        raise TraceError(
            "np.place with a traced mask: how many values it takes depends on the data",
            loc=caller_location(),
            hint="write np.putmask(arr, mask, values), which takes values by position, or "
            "arr = np.where(mask, values, arr)",
        )
    array = writes.writable(arr, "np.place")
    mask = np.asarray(mask, bool).reshape(type_of(array).shape)
    count = int(mask.sum())
    if count == 0:
        return
    if type_of(vals).size == 0:
        raise TraceError(
            "np.place: cannot insert from an empty array (NumPy raises ValueError too)",
            loc=caller_location(),
            hint="give at least one value",
        )
    values = vals if type_of(vals).ndim == 0 else resized(vals, count)
    writes.setitem(array, (mask,), values, "np.place")


@implements(np.put_along_axis)
def put_along_axis(arr, indices, values, axis):
    """np.put_along_axis: arr[idx] = values at the positions np.take_along_axis reads."""
    from .. import writes

    shape = type_of(arr).shape
    key = along_axis_key(shape, indices, axis)
    writes.setitem(writes.writable(arr, "np.put_along_axis"), key, values, "np.put_along_axis")


def along_axis_key(shape: tuple[int, ...], indices, axis) -> tuple:
    """The integer-array key that reads what np.take_along_axis(x, indices, axis) does."""
    from ..context import find_trace

    if find_trace([indices]) is None:
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
    """The first `count` values, a shorter list repeated (np.fill_diagonal, np.put,
    np.putmask and np.place repeat it so)."""
    from .shapes import reshape

    length = type_of(values).size
    if length >= count:
        flat = reshape(values, (-1,))
        return flat if length == count else flat[:count]
    from .rearranging import tile

    return tile(reshape(values, (-1,)), -(-count // length))[:count]
