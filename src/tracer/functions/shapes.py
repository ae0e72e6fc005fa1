"""Tracer layer: NumPy's shape functions, over the reshape, transpose, broadcast_to,
concatenate and stack primitives, and the static facts (np.shape, np.ndim, np.size).

swapaxes and moveaxis are transposes; expand_dims, squeeze and ravel are reshapes. A call
that changes nothing records nothing.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir.primitives import shapes as shape_ops
from ..context import find_trace
from ..source import caller_location
from .common import (
    bind,
    no_axis_of_0d,
    normalize_axes,
    normalize_axis,
    promoted_dtype,
    reject,
    type_of,
)
from .conversions import as_array, in_dtype
from .registry import implements
from .ufuncs import where

__all__ = [
    "broadcast_to", "concatenate", "expand_dims", "moveaxis", "ndim", "ravel", "reshape",
    "shape", "size", "squeeze", "stack", "swapaxes", "transpose", "tril", "triu",
]  # fmt: skip


def shape_tuple(shape: Any, function: str) -> tuple[int, ...]:
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


def unchanged(a: Any) -> Any:
    """The result of a shape function that changes nothing: `a` itself, or for a traced
    Python scalar the 0-d array NumPy's shape functions make of it, recorded as a reshape (a
    shape operation, so it is handed back as a 0-d array, see ir/result_kinds.py; an
    `astype` would keep the kind of its operand). The optimizer drops the reshape."""
    if type_of(a).weak and find_trace([a]) is not None:
        return bind(shape_ops.reshape, a, shape=type_of(a).shape)
    return as_array(a)


@implements(np.reshape, note="order='C' only", view=True)
def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        raise TraceError(
            f"np.reshape(..., order={order!r}) is not supported",
            loc=caller_location(),
            hint="use the default order='C'",
        )
    source = type_of(a)
    target = list(shape_tuple(newshape if shape is None else shape, "reshape"))
    if target.count(-1) > 1:
        raise TraceError(
            "np.reshape: only one dimension can be -1",
            loc=caller_location(),
            hint="give every other dimension its size, e.g. (x.shape[0], -1)",
        )
    if -1 in target:
        known = math.prod(d for d in target if d != -1)
        if known == 0 or source.size % known:
            raise TraceError(
                f"np.reshape: cannot reshape {source} ({source.size} elements) into "
                f"{tuple(target)}",
                loc=caller_location(),
                hint="the new shape must hold the same number of elements",
            )
        target[target.index(-1)] = source.size // known
    if tuple(target) == source.shape and not source.weak:
        return a
    return bind(shape_ops.reshape, a, shape=tuple(target))


@implements(np.ravel, method="ravel", note="order='C' and 'F'", view=True)
def ravel(a, order="C"):
    # Column-major order reads the reversed axes in row-major order. ('A' and 'K' follow the
    # memory layout, which a traced value does not have.)
    if order not in ("C", "F"):
        raise TraceError(
            f"np.ravel(..., order={order!r}) (and x.flatten) is not supported: a traced value "
            "has no memory layout for it to follow",
            loc=caller_location(),
            hint="use order='C' (row-major, the default) or order='F' (column-major)",
        )
    return reshape(transpose(a) if order == "F" else a, (-1,))


@implements(np.transpose, attribute="T", view=True)
def transpose(a, axes=None):
    ndim = type_of(a).ndim
    if axes is None:
        perm = tuple(reversed(range(ndim)))
    else:
        perm = tuple(normalize_axis(x, ndim, "transpose") for x in axes)
        if sorted(perm) != list(range(ndim)):
            raise TraceError(
                f"np.transpose: axes {tuple(axes)} are not a permutation of {ndim} axes",
                loc=caller_location(),
                hint=f"name each of the {ndim} axes once, in their new order",
            )
    if perm == tuple(range(ndim)):
        return unchanged(a)
    return bind(shape_ops.transpose, a, axes=perm)


@implements(np.swapaxes, method="swapaxes", view=True)
def swapaxes(a, axis1, axis2):
    ndim = type_of(a).ndim
    perm = list(range(ndim))
    i, j = normalize_axis(axis1, ndim, "swapaxes"), normalize_axis(axis2, ndim, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


@implements(np.moveaxis, view=True)
def moveaxis(a, source, destination):
    ndim = type_of(a).ndim
    sources = tuple(
        normalize_axis(s, ndim, "moveaxis")
        for s in (source if isinstance(source, tuple | list) else (source,))
    )
    targets = tuple(
        normalize_axis(d, ndim, "moveaxis")
        for d in (destination if isinstance(destination, tuple | list) else (destination,))
    )
    if len(sources) != len(targets):
        raise TraceError(
            "np.moveaxis: source and destination need the same number of axes",
            loc=caller_location(),
            hint="give one destination per source axis",
        )
    for name, axes in (("source", sources), ("destination", targets)):
        if len(set(axes)) != len(axes):
            raise TraceError(
                f"np.moveaxis: repeated axis in `{name}` {axes}",
                loc=caller_location(),
                hint="name each axis once",
            )
    order = [n for n in range(ndim) if n not in sources]
    for target, src in sorted(zip(targets, sources, strict=True)):
        order.insert(target, src)
    return transpose(a, order)


@implements(np.expand_dims, view=True)
def expand_dims(a, axis):
    source = type_of(a)
    count = len(axis) if isinstance(axis, tuple | list) else 1
    axes = normalize_axes(axis, source.ndim + count, "expand_dims")
    dims = iter(source.shape)
    shape = tuple(1 if i in axes else next(dims) for i in range(source.ndim + count))
    return bind(shape_ops.reshape, a, shape=shape)


@implements(np.squeeze, method="squeeze", view=True)
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
                    loc=caller_location(),
                    hint="squeeze only axes of size 1",
                )
    if not axes:
        return unchanged(a)
    kept = tuple(d for i, d in enumerate(source.shape) if i not in axes)
    return bind(shape_ops.reshape, a, shape=kept)


@implements(np.broadcast_to, view=True)
def broadcast_to(array, shape, subok=False):
    target = shape_tuple(shape, "broadcast_to")
    if type_of(array).shape == target:
        return unchanged(array)
    return bind(shape_ops.broadcast_to, array, shape=target)


def sequence(arrays: Any, function: str) -> list:
    """The arrays a joining function joins. An array is the sequence of its rows (NumPy
    iterates it: np.vstack(x) stacks x's rows), so a traced one is sliced along its first axis."""
    if getattr(arrays, "ir_var", None) is not None and type_of(arrays).ndim > 0:
        return [arrays[i] for i in range(type_of(arrays).shape[0])]
    if not isinstance(arrays, list | tuple) or not arrays:
        raise TraceError(
            f"np.{function} takes a non-empty list or tuple of arrays",
            loc=caller_location(),
            hint=f"np.{function}([a, b, ...])",
        )
    return list(arrays)


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, *, dtype=None, casting=None):
    reject("concatenate", out=out, dtype=dtype, casting=casting)
    arrays = sequence(arrays, "concatenate")
    if axis is None:
        # Python scalars promote weakly here, as in a ufunc: give them the result's dtype
        # before flattening makes them arrays.
        dtype = promoted_dtype(arrays)
        arrays = [reshape(in_dtype(x, dtype) if type_of(x).weak else x, (-1,)) for x in arrays]
        axis = 0
    ndim = type_of(arrays[0]).ndim
    if ndim == 0:
        raise TraceError(
            "np.concatenate: zero-dimensional arrays cannot be concatenated",
            loc=caller_location(),
            hint="use np.stack for scalars",
        )
    axis = normalize_axis(axis, ndim, "concatenate")
    if len(arrays) == 1:
        return arrays[0]
    trace = find_trace(arrays)
    return trace.bind(shape_ops.concatenate, arrays, axis=axis)


@implements(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting=None):
    reject("stack", out=out, dtype=dtype, casting=casting)
    arrays = sequence(arrays, "stack")
    shapes = {type_of(x).shape for x in arrays}
    if len(shapes) != 1:
        raise TraceError(
            f"np.stack: all arrays must have the same shape, got {sorted(shapes)}",
            loc=caller_location(),
            hint="reshape or slice the arrays to one shape first",
        )
    axis = normalize_axis(axis, type_of(arrays[0]).ndim + 1, "stack")
    return find_trace(arrays).bind(shape_ops.stack, arrays, axis=axis)


# --- static facts ----------------------------------------------------------------------
# Known while tracing, for traced and plain values alike: inside a traced function ask
# `np.ndim(x) == 0` rather than `isinstance(x, np.ndarray)` (a traced value is no ndarray).


# --- triangles: pure compositions, a select over np.tri's mask (no primitive of their own) --


def diagonal_offset(k: Any, function: str) -> int:
    """np.tril's, np.triu's, np.diag's k: which diagonal, an int known while tracing."""
    try:
        return operator.index(k)
    except TypeError:
        raise TraceError(
            f"np.{function}'s k must be an int, not {type(k).__name__}",
            loc=caller_location(),
            hint="pass the diagonal's offset as a Python int",
        ) from None


def triangle_mask(m: Any, k: Any, offset: int, function: str) -> np.ndarray:
    """np.tri's boolean mask over the last two axes, as NumPy draws it (a vector is read as
    the row of a square matrix): a constant, since it depends only on the shape and k."""
    k = diagonal_offset(k, function)
    x = type_of(m)
    if x.ndim == 0:
        raise TraceError(
            f"np.{function} needs an array of at least one dimension, not a scalar",
            loc=caller_location(),
        )
    return np.tri(*x.shape[-2:], k=k + offset, dtype=bool)


@implements(np.tril)
def tril(m, k=0):
    return where(triangle_mask(m, k, 0, "tril"), m, np.zeros(1, type_of(m).dtype))


@implements(np.triu)
def triu(m, k=0):
    return where(triangle_mask(m, k, -1, "triu"), np.zeros(1, type_of(m).dtype), m)


@implements(np.ndim, static=True, derivative="none")
def ndim(a: Any) -> int:
    """np.ndim, for traced values too."""
    return type_of(a).ndim if find_trace([a]) is not None else np.ndim(a)


@implements(np.shape, static=True, derivative="none")
def shape(a: Any) -> tuple[int, ...]:
    """np.shape, for traced values too."""
    return type_of(a).shape if find_trace([a]) is not None else np.shape(a)


@implements(np.size, static=True, derivative="none")
def size(a: Any, axis: int | None = None) -> int:
    """np.size, for traced values too."""
    if find_trace([a]) is None:
        return np.size(a, axis)
    t = type_of(a)
    return t.size if axis is None else t.shape[normalize_axis(axis, t.ndim, "size")]
