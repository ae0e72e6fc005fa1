"""Tracer layer: NumPy's shape functions, over the reshape, transpose, broadcast_to,
concatenate, stack and gather primitives (repeat, compress and diagonal are gathers).

swapaxes and moveaxis are transposes; expand_dims, squeeze and ravel are reshapes. A call
that changes nothing records nothing.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ..errors import TraceError
from ..ir.primitives import indexing as I
from ..ir.primitives import shapes as S
from .context import find_trace
from .functions import (
    as_array,
    astype,
    bind,
    no_axis_of_0d,
    normalize_axes,
    normalize_axis,
    reject,
    traced,
    type_of,
)
from .functions import sum as sum_over
from .indexing import check_bounds
from .source import caller_location


def _shape_tuple(shape: Any, function: str) -> tuple[int, ...]:
    try:
        if isinstance(shape, tuple | list):
            return tuple(operator.index(d) for d in shape)
        return (operator.index(shape),)
    except TypeError:
        raise TraceError(
            f"np.{function}: the shape {shape!r} must be made of Python integers",
            loc=caller_location(),
            hint="sizes must be known while tracing: build them from x.shape",
        ) from None


def _unchanged(a: Any) -> Any:
    """The result of a shape function that changes nothing: `a` itself, or for a traced
    Python scalar the 0-d array NumPy's shape functions make of it, recorded as a reshape (a
    shape operation, so it is handed back as a 0-d array, see ir/result_kinds.py; an
    `astype` would keep the kind of its operand). The optimizer drops the reshape."""
    if type_of(a).weak and find_trace([a]) is not None:
        return bind(S.reshape, a, shape=type_of(a).shape)
    return as_array(a)


@traced(np.reshape)
def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        raise TraceError(f"np.reshape(..., order={order!r}) is not supported",
                         loc=caller_location(), hint="use the default order='C'")
    source = type_of(a)
    target = list(_shape_tuple(newshape if shape is None else shape, "reshape"))
    if target.count(-1) > 1:
        raise TraceError("np.reshape: only one dimension can be -1", loc=caller_location(),
                         hint="give every other dimension its size, e.g. (x.shape[0], -1)")
    if -1 in target:
        known = math.prod(d for d in target if d != -1)
        if known == 0 or source.size % known:
            raise TraceError(
                f"np.reshape: cannot reshape {source} ({source.size} elements) into "
                f"{tuple(target)}", loc=caller_location(),
                hint="the new shape must hold the same number of elements",
            )
        target[target.index(-1)] = source.size // known
    if tuple(target) == source.shape and not source.weak:
        return a
    return bind(S.reshape, a, shape=tuple(target))


@traced(np.ravel)
def ravel(a, order="C"):
    return reshape(a, (-1,), order=order)


@traced(np.transpose)
def transpose(a, axes=None):
    ndim = type_of(a).ndim
    if axes is None:
        perm = tuple(reversed(range(ndim)))
    else:
        perm = tuple(normalize_axis(x, ndim, "transpose") for x in axes)
        if sorted(perm) != list(range(ndim)):
            raise TraceError(f"np.transpose: axes {tuple(axes)} are not a permutation of "
                             f"{ndim} axes", loc=caller_location(),
                             hint=f"name each of the {ndim} axes once, in their new order")
    if perm == tuple(range(ndim)):
        return _unchanged(a)
    return bind(S.transpose, a, axes=perm)


@traced(np.swapaxes)
def swapaxes(a, axis1, axis2):
    ndim = type_of(a).ndim
    perm = list(range(ndim))
    i, j = normalize_axis(axis1, ndim, "swapaxes"), normalize_axis(axis2, ndim, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


@traced(np.moveaxis)
def moveaxis(a, source, destination):
    ndim = type_of(a).ndim
    sources = tuple(normalize_axis(s, ndim, "moveaxis") for s in
                    (source if isinstance(source, tuple | list) else (source,)))
    targets = tuple(normalize_axis(d, ndim, "moveaxis") for d in
                    (destination if isinstance(destination, tuple | list) else (destination,)))
    if len(sources) != len(targets):
        raise TraceError("np.moveaxis: source and destination need the same number of axes",
                         loc=caller_location(), hint="give one destination per source axis")
    for name, axes in (("source", sources), ("destination", targets)):
        if len(set(axes)) != len(axes):
            raise TraceError(f"np.moveaxis: repeated axis in `{name}` {axes}",
                             loc=caller_location(), hint="name each axis once")
    order = [n for n in range(ndim) if n not in sources]
    for target, src in sorted(zip(targets, sources, strict=True)):
        order.insert(target, src)
    return transpose(a, order)


@traced(np.expand_dims)
def expand_dims(a, axis):
    source = type_of(a)
    count = len(axis) if isinstance(axis, tuple | list) else 1
    axes = normalize_axes(axis, source.ndim + count, "expand_dims")
    dims = iter(source.shape)
    shape = tuple(1 if i in axes else next(dims) for i in range(source.ndim + count))
    return bind(S.reshape, a, shape=shape)


@traced(np.squeeze)
def squeeze(a, axis=None):
    source = type_of(a)
    if axis is None or no_axis_of_0d(axis, source.ndim):
        axes = tuple(i for i, d in enumerate(source.shape) if d == 1)
    else:
        axes = normalize_axes(axis, source.ndim, "squeeze")
        for i in axes:
            if source.shape[i] != 1:
                raise TraceError(
                    f"np.squeeze: axis {i} of {source} has size {source.shape[i]}, not 1",
                    loc=caller_location(), hint="squeeze only axes of size 1",
                )
    if not axes:
        return _unchanged(a)
    return bind(S.reshape, a, shape=tuple(d for i, d in enumerate(source.shape) if i not in axes))


@traced(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    target = _shape_tuple(shape, "broadcast_to")
    if type_of(array).shape == target:
        return _unchanged(array)
    return bind(S.broadcast_to, array, shape=target)


def _sequence(arrays: Any, function: str) -> list:
    if not isinstance(arrays, list | tuple) or not arrays:
        raise TraceError(f"np.{function} takes a non-empty list or tuple of arrays",
                         loc=caller_location(), hint=f"np.{function}([a, b, ...])")
    return list(arrays)


def _weak_as(x: Any, dtype: np.dtype) -> Any:
    """A Python scalar, traced or constant, converted to `dtype`."""
    return astype(x, dtype) if find_trace([x]) is not None else np.asarray(x, dtype)


@traced(np.concatenate)
def concatenate(arrays, axis=0, out=None, *, dtype=None, casting=None):
    reject("concatenate", out=out, dtype=dtype, casting=casting)
    arrays = _sequence(arrays, "concatenate")
    if axis is None:
        # Python scalars promote weakly here, as in a ufunc: give them the result's dtype
        # before flattening makes them arrays.
        types = [type_of(x) for x in arrays]
        dtype = np.result_type(*(t.python_type(0) if t.weak else t.dtype for t in types))
        arrays = [reshape(_weak_as(x, dtype) if t.weak else x, (-1,))
                  for x, t in zip(arrays, types, strict=True)]
        axis = 0
    ndim = type_of(arrays[0]).ndim
    if ndim == 0:
        raise TraceError("np.concatenate: zero-dimensional arrays cannot be concatenated",
                         loc=caller_location(), hint="use np.stack for scalars")
    axis = normalize_axis(axis, ndim, "concatenate")
    if len(arrays) == 1:
        return arrays[0]
    trace = find_trace(arrays)
    return trace.bind(S.concatenate, arrays, axis=axis)


@traced(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting=None):
    reject("stack", out=out, dtype=dtype, casting=casting)
    arrays = _sequence(arrays, "stack")
    shapes = {type_of(x).shape for x in arrays}
    if len(shapes) != 1:
        raise TraceError(f"np.stack: all arrays must have the same shape, got {sorted(shapes)}",
                         loc=caller_location(), hint="reshape or slice the arrays to one shape "
                         "first")
    axis = normalize_axis(axis, type_of(arrays[0]).ndim + 1, "stack")
    return find_trace(arrays).bind(S.stack, arrays, axis=axis)


@traced(np.take)
def take(a, indices, axis=None, out=None, mode=None):
    reject("take", out=out, mode=mode)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    source = type_of(a)
    axis = normalize_axis(axis, source.ndim, "take")
    check_bounds(indices, source.shape[axis], axis)
    return bind(I.gather, a, indices, axes=(axis,))


def _concrete_counts(values: Any, function: str, what: str) -> np.ndarray:
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


@traced(np.repeat)
def repeat(a, repeats, axis=None):
    counts = _concrete_counts(repeats, "repeat", "repeats")
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    source = type_of(as_array(a))
    axis = normalize_axis(axis, source.ndim, "repeat")
    if counts.dtype.kind not in "iu" or (counts < 0).any():
        raise TraceError(f"np.repeat: repeats must be non-negative integers, got {repeats!r}",
                         loc=caller_location(), hint="pass an int or an array of ints >= 0")
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


@traced(np.compress)
def compress(condition, a, axis=None, out=None):
    reject("compress", out=out)
    mask = _concrete_counts(condition, "compress", "condition").astype(bool).reshape(-1)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    source = type_of(as_array(a))
    axis = normalize_axis(axis, source.ndim, "compress")
    if mask.size > source.shape[axis]:
        raise TraceError(f"np.compress: the condition has {mask.size} entries for an axis of "
                         f"size {source.shape[axis]}", loc=caller_location(),
                         hint="give at most one entry per element along the axis")
    return take(a, np.flatnonzero(mask), axis=axis)


@traced(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal as the last axis, as NumPy gives it: a gather at (i, i + offset)."""
    source = type_of(a)
    if source.ndim < 2:
        raise TraceError("np.diagonal needs at least 2 dimensions", loc=caller_location(),
                         hint="use it on a matrix (or a stack of matrices)")
    i = normalize_axis(axis1, source.ndim, "diagonal")
    j = normalize_axis(axis2, source.ndim, "diagonal")
    if i == j:
        raise TraceError("np.diagonal: axis1 and axis2 cannot be the same",
                         loc=caller_location(), hint="name two different axes")
    offset = operator.index(offset)
    rows, cols = source.shape[i], source.shape[j]
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    start_row, start_col = max(-offset, 0), max(offset, 0)
    matrices = moveaxis(a, (i, j), (-2, -1))
    return matrices[..., np.arange(start_row, start_row + length),
                    np.arange(start_col, start_col + length)]


@traced(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    reject("trace", out=out)
    return sum_over(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)
