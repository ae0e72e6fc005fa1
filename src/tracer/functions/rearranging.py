"""Tracer layer: NumPy's rearranging functions, compositions with no primitive of their own:
flip and rot90 are step -1 slices (and a transpose), roll a concatenate of two slices, tile a
broadcast between two reshapes, rollaxis a transpose."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir.primitives import calls
from ..context import find_trace
from ..source import caller_location
from .calls import call
from .common import integer_argument, normalize_axes, normalize_axis, type_of
from .conversions import numpy_scalar
from .registry import implements
from .shapes import broadcast_to, concatenate, reshape, transpose, unchanged

__all__ = ["flip", "fliplr", "flipud", "roll", "rollaxis", "rot90", "tile"]

REVERSED = slice(None, None, -1)


def concrete_ints(value: Any, function: str, what: str) -> np.ndarray:
    """An argument that fixes the result's shape or layout, as an integer array."""
    if find_trace([value]) is not None:
        raise TraceError(
            f"np.{function} with a traced {what}: the layout must be known while tracing",
            loc=caller_location(),
            hint=f"pass the {what} as Python ints",
        )
    array = np.asarray(value)
    if array.dtype.kind not in "iu":
        raise TraceError(
            f"np.{function}: {what} must be integers, got {value!r}",
            loc=caller_location(),
            hint=f"pass the {what} as Python ints",
        )
    return array


def flipped(m: Any, axis: Any = None) -> Any:
    """np.flip's composition (its call's decomposition): a step -1 slice along the axes."""
    ndim = type_of(m).ndim
    axes = normalize_axes(axis, ndim, "flip")
    if not axes:
        return unchanged(m)
    return m[tuple(REVERSED if i in axes else slice(None) for i in range(ndim))]


def shortest_axes(axes: tuple[int, ...], ndim: int) -> Any:
    """Axes as the user would write them: None for all of them, an int for one."""
    if len(axes) == ndim:
        return None
    return axes[0] if len(axes) == 1 else axes


@implements(np.flip, view=True)
def flip(m, axis=None):
    ndim = type_of(m).ndim
    axes = normalize_axes(axis, ndim, "flip")
    if not axes:  # of a 0-d value `m[()]`: a NumPy scalar
        return numpy_scalar(unchanged(m))
    return call(calls.flip, flipped, m, axis=shortest_axes(axes, ndim))


def at_least_dims(m: Any, ndim: int, function: str) -> None:
    if type_of(m).ndim < ndim:
        raise TraceError(
            f"np.{function}: the input must have at least {ndim} dimensions, got {type_of(m).ndim}",
            loc=caller_location(),
            hint="use np.flip(m, axis) to name the axis of any array",
        )


@implements(np.fliplr, view=True)
def fliplr(m):
    at_least_dims(m, 2, "fliplr")
    return flip(m, 1)


@implements(np.flipud, view=True)
def flipud(m):
    at_least_dims(m, 1, "flipud")
    return flip(m, 0)


def rolled(a: Any, shift: int, axis: int) -> Any:
    """`a` rolled by `shift` along `axis`: its last `shift` entries moved to the front."""
    size = type_of(a).shape[axis]
    shift = shift % size if size else 0
    if shift == 0:
        return a
    before = (slice(None),) * axis
    return concatenate([a[(*before, slice(-shift, None))], a[(*before, slice(None, -shift))]], axis)


def roll_totals(a: Any, shift: Any, axis: Any) -> list[int]:
    """The shift along each axis: shifts along the same axis add up, as in NumPy."""
    shifts = concrete_ints(shift, "roll", "shift")
    ndim = type_of(a).ndim
    try:
        pairs = np.broadcast(shifts, np.asarray(axis))
    except ValueError:
        raise TraceError(
            "np.roll: 'shift' and 'axis' should be scalars or 1D sequences of the same length",
            loc=caller_location(),
            hint="give one shift per axis",
        ) from None
    totals = [0] * ndim
    for step, ax in pairs:
        totals[normalize_axis(ax, ndim, "roll")] += int(step)
    return totals


def rolling(a: Any, shift: Any, axis: Any = None) -> Any:
    """np.roll's composition (its call's decomposition): concatenates of two slices."""
    if axis is None:
        return reshape(rolling(reshape(a, (-1,)), shift, 0), type_of(a).shape)
    result = a
    for ax, total in enumerate(roll_totals(a, shift, axis)):
        result = rolled(result, total, ax)
    return result if result is not a else unchanged(a)


def roll_spelling(a: Any, shift: Any, axis: Any) -> dict[str, Any] | None:
    """np.roll's shift and axis as the user would write them, the axes it leaves alone left
    out; None where it moves nothing."""
    if axis is None:
        total = int(concrete_ints(shift, "roll", "shift").sum())
        return {"shift": total, "axis": None} if total % max(type_of(a).size, 1) else None
    shape = type_of(a).shape
    moved = [
        (ax, total)
        for ax, total in enumerate(roll_totals(a, shift, axis))
        if shape[ax] and total % shape[ax]
    ]
    if not moved:
        return None
    if len(moved) == 1:
        return {"shift": moved[0][1], "axis": moved[0][0]}
    return {"shift": tuple(t for _, t in moved), "axis": tuple(ax for ax, _ in moved)}


@implements(np.roll)
def roll(a, shift, axis=None):
    spelling = roll_spelling(a, shift, axis)
    if spelling is None:
        return unchanged(a)
    return call(calls.roll, rolling, a, **spelling)


@implements(np.rollaxis, view=True)
def rollaxis(a, axis, start=0):
    ndim = type_of(a).ndim
    axis = normalize_axis(axis, ndim, "rollaxis")
    start = integer_argument(start, "rollaxis", "start")
    if not -ndim <= start <= ndim:
        raise TraceError(
            f"np.rollaxis: start must be between {-ndim} and {ndim}, got {start}",
            loc=caller_location(),
            hint="start is the position the axis is rolled to (before that axis)",
        )
    start = start + ndim if start < 0 else start
    if axis < start:
        start -= 1
    order = [i for i in range(ndim) if i != axis]
    order.insert(start, axis)
    return transpose(a, order)


def rotation_axes(m: Any, axes: Any) -> tuple[int, int]:
    ndim = type_of(m).ndim
    axes = tuple(np.asarray(axes).reshape(-1).tolist())
    if len(axes) != 2:
        raise TraceError(
            f"np.rot90: axes must name two axes, got {axes!r}",
            loc=caller_location(),
            hint="axes=(0, 1) rotates in the plane of the first two axes",
        )
    first, second = (normalize_axis(a, ndim, "rot90") for a in axes)
    if first == second:
        raise TraceError(
            f"np.rot90: the axes {axes} must be different",
            loc=caller_location(),
            hint="name two different axes of the plane to rotate in",
        )
    return first, second


@implements(np.rot90, view=True)
def rot90(m, k=1, axes=(0, 1)):
    first, second = rotation_axes(m, axes)
    turns = integer_argument(k, "rot90", "k") % 4
    if turns == 0:
        return unchanged(m)
    if turns == 2:
        return flipped(m, (first, second))
    order = list(range(type_of(m).ndim))
    order[first], order[second] = order[second], order[first]
    if turns == 1:
        return transpose(flipped(m, second), order)
    return flipped(transpose(m, order), second)


def tile_counts(A: Any, reps: Any) -> list[int]:
    counts = concrete_ints(reps, "tile", "reps").reshape(-1).tolist()
    if any(c < 0 for c in counts):
        raise TraceError(
            f"np.tile: reps must not be negative, got {reps!r}",
            loc=caller_location(),
            hint="give each axis a count >= 0",
        )
    return counts


def tiled(A: Any, reps: Any) -> Any:
    """np.tile's composition (its call's decomposition): a broadcast between two reshapes."""
    counts = tile_counts(A, reps)
    source = type_of(A).shape
    ndim = max(len(counts), len(source))
    shape = (1,) * (ndim - len(source)) + source
    counts = [1] * (ndim - len(counts)) + counts
    if all(c == 1 for c in counts):
        return reshape(A, shape) if shape != source else unchanged(A)
    # Each repeated axis n becomes (count, n): broadcast along the new axes, then merged.
    pairs = [((1, c), n) if c != 1 else ((), n) for c, n in zip(counts, shape, strict=True)]
    spread = reshape(A, tuple(d for new, n in pairs for d in (*new[:1], n)))
    spread = broadcast_to(spread, tuple(d for new, n in pairs for d in (*new[1:], n)))
    return reshape(spread, tuple(c * n for c, n in zip(counts, shape, strict=True)))


@implements(np.tile)
def tile(A, reps):
    counts = tile_counts(A, reps)
    if all(c == 1 for c in counts):
        return tiled(A, reps)
    return call(calls.tile, tiled, A, reps=counts[0] if len(counts) == 1 else tuple(counts))
