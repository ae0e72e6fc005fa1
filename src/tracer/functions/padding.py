"""Tracer layer: np.pad, with no primitive of its own: mode='constant' is a concatenate of
constant blocks (its cotangent a slice), the other modes a gather of the positions NumPy
itself pads with (np.pad of np.arange), so large and repeated pads are exactly NumPy's."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir.primitives import calls
from ..context import find_trace
from ..source import caller_location
from .calls import call
from .common import type_of
from .conversions import astype, zero_d_array
from .indexing import take
from .rearranging import concrete_ints
from .registry import implements
from .shapes import broadcast_to, concatenate, unchanged

__all__ = ["pad"]


GATHERED = {"edge": (), "wrap": (), "reflect": ("reflect_type",), "symmetric": ("reflect_type",)}


def as_pairs(value: Any, ndim: int, what: str) -> list[tuple[Any, Any]]:
    """NumPy's reading of pad_width and constant_values: one value, a (before, after) pair,
    or one pair per axis."""
    array = np.asarray(value)
    if array.size == 1:
        return [(array.reshape(-1)[0],) * 2] * ndim
    if array.size == 2 and array.shape != (2, 1):
        return [tuple(array.reshape(-1))] * ndim
    try:
        return [tuple(pair) for pair in np.broadcast_to(array, (ndim, 2))]
    except ValueError:
        raise TraceError(
            f"np.pad: {what} of shape {array.shape} does not fit an array of {ndim} dimensions",
            loc=caller_location(),
            hint="give one int, a (before, after) pair, or one pair per axis",
        ) from None


def pad_widths(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    widths = concrete_ints(pad_width, "pad", "pad_width")
    if (widths < 0).any():
        raise TraceError(
            f"np.pad: pad_width cannot be negative, got {pad_width!r}",
            loc=caller_location(),
            hint="pad widths count the entries added before and after each axis",
        )
    return [(int(before), int(after)) for before, after in as_pairs(widths, ndim, "pad_width")]


def check_pad_keywords(mode: Any, kwargs: dict) -> None:
    allowed = ("constant_values",) if mode == "constant" else GATHERED.get(mode)
    if allowed is None:
        raise TraceError(
            f"np.pad(..., mode={mode!r}) is not supported",
            loc=caller_location(),
            hint="use one of the modes 'constant', 'edge', 'reflect', 'symmetric' or 'wrap'",
        )
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TraceError(
            f"np.pad: unsupported keyword arguments for mode {mode!r}: {unknown}",
            loc=caller_location(),
            hint=f"mode {mode!r} takes {list(allowed) or 'no keyword arguments'}",
        )
    if kwargs.get("reflect_type", "even") != "even":
        raise TraceError(
            f"np.pad(..., reflect_type={kwargs['reflect_type']!r}) is not supported",
            loc=caller_location(),
            hint="use the default reflect_type='even'",
        )


def constant_block(value: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    if find_trace([value]) is not None:
        return broadcast_to(astype(value, dtype), shape)
    return np.full(shape, value, dtype)


def constant_pairs(values: Any, ndim: int) -> list[tuple[Any, Any]]:
    if find_trace([values]) is None:
        return as_pairs(values, ndim, "constant_values")
    if type_of(values).shape != ():
        raise TraceError(
            "np.pad: traced constant_values must be one scalar",
            loc=caller_location(),
            hint="pass constants as Python numbers, or one traced scalar for all sides",
        )
    return [(values, values)] * ndim


def pad_constant(array: Any, widths: list[tuple[int, int]], values: Any) -> Any:
    """Blocks of the constant on each side, axis by axis: the cotangent is a slice."""
    source = type_of(array)
    result = array
    for axis, ((before, after), (low, high)) in enumerate(
        zip(widths, constant_pairs(values, source.ndim), strict=True)
    ):
        shape = list(type_of(result).shape)
        blocks = []
        for width, value in ((before, low), (after, high)):
            shape[axis] = width
            blocks.append(constant_block(value, tuple(shape), source.dtype) if width else None)
        pieces = [b for b in (blocks[0], result, blocks[1]) if b is not None]
        result = concatenate(pieces, axis=axis)
    return result


def pad_gathered(array: Any, widths: list[tuple[int, int]], mode: str) -> Any:
    """The entries NumPy pads with are copies of the array's own: NumPy pads their positions
    (np.arange of each axis) in the same mode, and the array is gathered at them."""
    result = array
    for axis, (before, after) in enumerate(widths):
        if before == after == 0:
            continue
        result = take(result, positions(type_of(array).shape[axis], before, after, mode), axis)
    return result


def positions(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """The positions along an axis of `size` that NumPy pads with in `mode`."""
    try:
        return np.pad(np.arange(size), (before, after), mode=mode)
    except ValueError as error:
        raise TraceError(
            f"np.pad: {error}", loc=caller_location(), hint="pad empty axes with mode='constant'"
        ) from None


def shortest(pairs: list[tuple[Any, Any]]) -> Any:
    """Per-axis (before, after) pairs as the user would write them: one value, one pair for
    every axis, or a pair per axis; Python scalars, so the IR and the emitted code hold them."""
    pairs = [tuple(np.asarray(value).item() for value in pair) for pair in pairs]
    if any(pair != pairs[0] for pair in pairs):
        return tuple(pairs)
    before, after = pairs[0]
    return before if before == after else (before, after)


def padded(array: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Any:
    """np.pad's composition, the decomposition of its composite call."""
    widths = pad_widths(pad_width, type_of(array).ndim)
    if mode == "constant":
        return pad_constant(array, widths, constant_values)
    return pad_gathered(array, widths, mode)


@implements(np.pad, note="modes constant, edge, reflect, symmetric and wrap (reflect_type='even')")
def pad(array, pad_width, mode="constant", **kwargs):
    check_pad_keywords(mode, kwargs)
    ndim = type_of(array).ndim
    widths = pad_widths(pad_width, ndim)
    if not any(before or after for before, after in widths):  # a new array, a 0-d one too
        return zero_d_array(unchanged(array))
    if mode != "constant":  # NumPy's errors (an empty axis), before the call is recorded
        for size, (before, after) in zip(type_of(array).shape, widths, strict=True):
            positions(size, before, after, mode)
    values = kwargs.get("constant_values", 0) if mode == "constant" else 0
    if find_trace([values]) is None:
        values = shortest(as_pairs(values, ndim, "constant_values"))
    return call(
        calls.pad, padded, array, pad_width=shortest(widths), mode=mode, constant_values=values
    )
