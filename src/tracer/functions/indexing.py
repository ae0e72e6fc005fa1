"""Tracer layer: NumPy's indexing routines over the gather primitive: take, and repeat,
compress and diagonal, which gather fixed positions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir.primitives import indexing
from ..context import find_trace, freeze_captured
from ..indexing import check_bounds
from ..source import caller_location
from .common import bind, integer_argument, normalize_axis, reject, type_of
from .conversions import as_array
from .registry import implements
from .shapes import broadcast_to, expand_dims, moveaxis, reshape
from .ufuncs import clip, remainder

__all__ = ["compress", "diagonal", "repeat", "take"]


@implements(np.take, method="take")
def take(a, indices, axis=None, out=None, mode="raise"):
    reject("take", out=out)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    source = type_of(a)
    axis = normalize_axis(axis, source.ndim, "take")
    indices = moded_indices(indices, source.shape[axis], mode, "take")
    check_bounds(indices, source.shape[axis], axis)
    return bind(indexing.gather, a, indices, axes=(axis,))


def moded_indices(indices: Any, size: int, mode: Any, function: str) -> Any:
    """The indices NumPy reads under `mode`: 'raise' keeps them (checked against the size),
    'wrap' takes them modulo the size and 'clip' clips them (negative ones to 0)."""
    if mode not in (None, "raise", "wrap", "clip"):
        raise TraceError(
            f"np.{function}: mode must be 'raise', 'wrap' or 'clip', got {mode!r}",
            loc=caller_location(),
            hint="pass one of the three modes (the default is 'raise')",
        )
    if mode in (None, "raise"):
        return indices
    if find_trace([indices]) is not None:  # traced: the same arithmetic, recorded
        return remainder(indices, size) if mode == "wrap" else clip(indices, 0, size - 1)
    freeze_captured(indices)  # the positions become the code's constants
    positions = np.asarray(indices)
    if positions.dtype.kind not in "iu":
        return indices  # check_bounds and the type rule say what is wrong
    if mode == "wrap":
        return np.mod(positions, size) if size else positions
    return np.clip(positions, 0, max(size - 1, 0))


def concrete_counts(values: Any, function: str, what: str) -> np.ndarray:
    """A concrete argument that fixes the result's shape (repeat counts, a compress mask)."""
    if find_trace([values]) is not None:
        raise TraceError(
            f"np.{function} with traced {what}: the result's shape would depend on the data, "
            "and shapes must be known while tracing",
            loc=caller_location(),
            hint=f"pass the {what} as a constant (a Python value or a NumPy array), or keep "
            "the shape and select with np.where(mask, a, b)",
        )
    return np.asarray(values)


@implements(np.repeat, method="repeat")
def repeat(a, repeats, axis=None):
    counts = concrete_counts(repeats, "repeat", "repeats")
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    source = type_of(as_array(a))
    axis = normalize_axis(axis, source.ndim, "repeat")
    if counts.dtype.kind not in "iu" or (counts < 0).any():
        raise TraceError(
            f"np.repeat: repeats must be non-negative integers, got {repeats!r}",
            loc=caller_location(),
            hint="pass an int or an array of ints >= 0",
        )
    if counts.ndim == 0:
        # Each element `r` times: a new axis after `axis`, broadcast, and merged into it.
        n = int(counts)
        spread = expand_dims(a, axis + 1)
        shape = list(type_of(spread).shape)
        shape[axis + 1] = n
        merged = list(source.shape)
        merged[axis] *= n
        return reshape(broadcast_to(spread, tuple(shape)), tuple(merged))
    # A count per element: gather each position its number of times.
    positions = np.repeat(np.arange(source.shape[axis]), counts)
    return take(a, positions, axis=axis)


@implements(np.compress)
def compress(condition, a, axis=None, out=None):
    reject("compress", out=out)
    mask = concrete_counts(condition, "compress", "condition").astype(bool).reshape(-1)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    source = type_of(as_array(a))
    axis = normalize_axis(axis, source.ndim, "compress")
    if mask.size > source.shape[axis]:
        raise TraceError(
            f"np.compress: the condition has {mask.size} entries for an axis of "
            f"size {source.shape[axis]}",
            loc=caller_location(),
            hint="give at most one entry per element along the axis",
        )
    return take(a, np.flatnonzero(mask), axis=axis)


@implements(np.diagonal, method="diagonal", view="read-only")
def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal as the last axis, as NumPy gives it: a gather at (i, i + offset)."""
    source = type_of(a)
    if source.ndim < 2:
        raise TraceError(
            "np.diagonal needs at least 2 dimensions",
            loc=caller_location(),
            hint="use it on a matrix (or a stack of matrices)",
        )
    i = normalize_axis(axis1, source.ndim, "diagonal")
    j = normalize_axis(axis2, source.ndim, "diagonal")
    if i == j:
        raise TraceError(
            "np.diagonal: axis1 and axis2 cannot be the same",
            loc=caller_location(),
            hint="name two different axes",
        )
    offset = integer_argument(
        offset, "diagonal", "offset", hint="pass the diagonal's offset as a Python int"
    )
    rows, cols = source.shape[i], source.shape[j]
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    start_row, start_col = max(-offset, 0), max(offset, 0)
    matrices = moveaxis(a, (i, j), (-2, -1))
    return matrices[
        ..., np.arange(start_row, start_row + length), np.arange(start_col, start_col + length)
    ]
