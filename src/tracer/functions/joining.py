"""Tracer layer: NumPy's joining and splitting functions, compositions over reshape,
concatenate and slicing: the atleast_* family, vstack/hstack/dstack/column_stack, the split
family and broadcast_arrays. None records a primitive of its own: a split's pieces are slices
(their cotangents scatter back), a stack's cotangent is sliced apart again."""

from __future__ import annotations

import itertools
import operator
from typing import Any

import numpy as np

from ...errors import TraceError
from ..source import caller_location
from .common import as_dtype, normalize_axis, slice_along, type_of
from .conversions import astype
from .registry import implements
from .shapes import broadcast_to, concatenate, reshape, sequence, unchanged

__all__ = [
    "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays",
    "column_stack", "dsplit", "dstack", "hsplit", "hstack", "row_stack", "split", "vsplit",
    "vstack",
]  # fmt: skip


def at_least(a: Any, shapes: dict[int, Any]) -> Any:
    """`a` reshaped as NumPy's atleast_* reshape it: `shapes[ndim](shape)` for the short ones."""
    shape = type_of(a).shape
    if len(shape) in shapes:
        return reshape(a, shapes[len(shape)](shape))
    return unchanged(a)


AT_LEAST_1D = {0: lambda s: (1,)}
AT_LEAST_2D = {**AT_LEAST_1D, 0: lambda s: (1, 1), 1: lambda s: (1, *s)}
AT_LEAST_3D = {0: lambda s: (1, 1, 1), 1: lambda s: (1, *s, 1), 2: lambda s: (*s, 1)}


def each(arys: tuple, shapes: dict[int, Any]) -> Any:
    results = tuple(at_least(a, shapes) for a in arys)
    return results[0] if len(results) == 1 else results


@implements(np.atleast_1d, view=True)
def atleast_1d(*arys):
    return each(arys, AT_LEAST_1D)


@implements(np.atleast_2d, view=True)
def atleast_2d(*arys):
    return each(arys, AT_LEAST_2D)


@implements(np.atleast_3d, view=True)
def atleast_3d(*arys):
    return each(arys, AT_LEAST_3D)


def joined(tup: Any, function: str, shapes: dict[int, Any], axis: int, dtype: Any, casting: Any):
    """concatenate(atleast_*(each), axis): the recipe of vstack, hstack and dstack."""
    if casting != "same_kind":
        raise TraceError(
            f"np.{function}(..., casting={casting!r}) is not supported",
            loc=caller_location(),
            hint="leave casting at its default, 'same_kind'",
        )
    arrays = [at_least(a, shapes) for a in sequence(tup, function)]
    if dtype is not None:
        arrays = [cast_to(a, as_dtype(dtype, function), function) for a in arrays]
    return concatenate(arrays, axis=axis)


def cast_to(a: Any, dtype: np.dtype, function: str) -> Any:
    """`a` as `dtype`, where NumPy's casting='same_kind' allows it."""
    if not np.can_cast(type_of(a).dtype, dtype, "same_kind"):
        raise TraceError(
            f"np.{function}: cannot cast {type_of(a)} to {dtype} with casting='same_kind'",
            loc=caller_location(),
            hint=f"convert it first with .astype(np.{dtype.name})",
        )
    return astype(a, dtype)


@implements(np.vstack, aliases=("row_stack",))
def vstack(tup, *, dtype=None, casting="same_kind"):
    return joined(tup, "vstack", AT_LEAST_2D, 0, dtype, casting)


row_stack = vstack  # NumPy 2 deprecates np.row_stack, which calls np.vstack


@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    arrays = [at_least(a, AT_LEAST_1D) for a in sequence(tup, "hstack")]
    # Vectors join end to end; anything larger along its second axis, as NumPy does.
    axis = 0 if type_of(arrays[0]).ndim == 1 else 1
    return joined(arrays, "hstack", AT_LEAST_1D, axis, dtype, casting)


@implements(np.dstack)
def dstack(tup):
    return joined(tup, "dstack", AT_LEAST_3D, 2, None, "same_kind")


@implements(np.column_stack)
def column_stack(tup):
    # Vectors become columns; arrays of two or more dimensions join as they are.
    columns = {0: lambda s: (1, 1), 1: lambda s: (*s, 1)}
    return joined(tup, "column_stack", columns, 1, None, "same_kind")


def split_points(indices_or_sections: Any, size: int, function: str) -> list[int]:
    """The boundaries NumPy cuts an axis of `size` at: even-ish sections, or given indices."""
    try:
        if isinstance(indices_or_sections, list | tuple | np.ndarray):
            indices = np.asarray(indices_or_sections).reshape(-1)
            return [0, *(operator.index(i) for i in indices), size]
        sections = operator.index(indices_or_sections)
    except TypeError:
        raise TraceError(
            f"np.{function}: indices_or_sections must be an int or a list of ints, "
            f"got {indices_or_sections!r}",
            loc=caller_location(),
            hint="pass a number of sections or the indices to cut at, as Python ints",
        ) from None
    if sections <= 0:
        raise TraceError(
            f"np.{function}: the number of sections must be larger than 0, got {sections}",
            loc=caller_location(),
            hint="ask for at least one section",
        )
    each_size, extras = divmod(size, sections)
    sizes = [0] + extras * [each_size + 1] + (sections - extras) * [each_size]
    return np.cumsum(sizes).tolist()


@implements(np.array_split, view=True)
def array_split(ary, indices_or_sections, axis=0):
    source = type_of(ary)
    axis = normalize_axis(axis, source.ndim, "array_split")
    points = split_points(indices_or_sections, source.shape[axis], "array_split")
    return [slice_along(ary, axis, start, stop) for start, stop in itertools.pairwise(points)]


@implements(np.split, view=True)
def split(ary, indices_or_sections, axis=0):
    source = type_of(ary)
    axis = normalize_axis(axis, source.ndim, "split")
    size = source.shape[axis]
    sections = indices_or_sections
    if isinstance(sections, int | np.integer) and sections > 0 and size % sections:
        raise TraceError(
            f"np.split: an axis of size {size} does not divide into {sections} equal sections",
            loc=caller_location(),
            hint="use np.array_split for sections of unequal size",
        )
    points = split_points(sections, size, "split")
    return [slice_along(ary, axis, start, stop) for start, stop in itertools.pairwise(points)]


def split_at_least(ary: Any, indices_or_sections: Any, ndim: int, axis: int, name: str) -> Any:
    if type_of(ary).ndim < ndim:
        raise TraceError(
            f"np.{name} only works on arrays of {ndim} or more dimensions",
            loc=caller_location(),
            hint="np.split(x, sections, axis=...) picks the axis of any array",
        )
    return split(ary, indices_or_sections, axis=axis)


@implements(np.hsplit, view=True)
def hsplit(ary, indices_or_sections):
    axis = 1 if type_of(ary).ndim > 1 else 0
    return split_at_least(ary, indices_or_sections, 1, axis, "hsplit")


@implements(np.vsplit, view=True)
def vsplit(ary, indices_or_sections):
    return split_at_least(ary, indices_or_sections, 2, 0, "vsplit")


@implements(np.dsplit, view=True)
def dsplit(ary, indices_or_sections):
    return split_at_least(ary, indices_or_sections, 3, 2, "dsplit")


@implements(np.broadcast_arrays, view="read-only")
def broadcast_arrays(*args, subok=False):
    try:
        shape = np.broadcast_shapes(*(type_of(a).shape for a in args))
    except ValueError:
        raise TraceError(
            "np.broadcast_arrays: shapes "
            f"{', '.join(str(type_of(a).shape) for a in args)} do not broadcast together",
            loc=caller_location(),
            hint="give each axis equal sizes or size 1",
        ) from None
    return tuple(broadcast_to(a, shape) for a in args)
