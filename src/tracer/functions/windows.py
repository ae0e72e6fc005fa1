"""Tracer layer: windows over an array: np.lib.stride_tricks.sliding_window_view as a gather
of each window's positions (NumPy's strided view, copied), and np.convolve / np.correlate as
the windows of the zero-padded longer input times the shorter one."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir import Primitive
from ...ir.primitives import calls
from ..source import caller_location
from .calls import call
from .common import normalize_axis, type_of
from .conversions import as_array
from .indexing import take
from .linalg import matmul
from .padding import pad
from .rearranging import concrete_ints, flip
from .registry import implements
from .shapes import moveaxis

__all__ = ["convolve", "correlate", "sliding_window_view"]


def window_axes(x: Any, window_shape: Any, axis: Any) -> list[tuple[int, int]]:
    """(axis, window size) pairs, as NumPy pairs them (an axis may repeat)."""
    sizes = concrete_ints(window_shape, "sliding_window_view", "window_shape").reshape(-1)
    ndim = type_of(x).ndim
    if axis is None:
        axes = list(range(ndim))
    else:
        listed = list(axis) if isinstance(axis, list | tuple) else [axis]
        axes = [normalize_axis(a, ndim, "lib.stride_tricks.sliding_window_view") for a in listed]
    if len(axes) != len(sizes) or (sizes < 0).any():
        raise TraceError(
            f"np.lib.stride_tricks.sliding_window_view: window_shape {tuple(sizes.tolist())} "
            f"does not give one size >= 0 for each of the axes {tuple(axes)}",
            loc=caller_location(),
            hint="give one window size per axis (all axes when axis=None)",
        )
    return list(zip(axes, (int(s) for s in sizes), strict=True))


@implements(
    np.lib.stride_tricks.sliding_window_view, note="writeable=True is refused", view="read-only"
)
def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    if writeable:
        raise TraceError(
            "sliding_window_view(..., writeable=True) is not supported: traced values are "
            "never written in place",
            loc=caller_location(),
            hint="leave writeable=False and build new values from the windows",
        )
    result = as_array(x)
    for windowed, size in window_axes(result, window_shape, axis):
        length = type_of(result).shape[windowed] - size + 1
        if length < 1:
            raise TraceError(
                "np.lib.stride_tricks.sliding_window_view: the window shape cannot be "
                "larger than the input array's shape",
                loc=caller_location(),
                hint=f"axis {windowed} has {length + size - 1} entries: use a window at most "
                "as long",
            )
        # Window i holds positions i, ..., i + size - 1; its entries go to a new last axis.
        positions = np.arange(length)[:, None] + np.arange(size)
        result = moveaxis(take(result, positions, axis=windowed), windowed + 1, -1)
    return result


MODES = {"valid": "valid", "same": "same", "full": "full", 0: "valid", 1: "same", 2: "full"}


def mode_name(mode: Any, function: str) -> str:
    """NumPy's mode: its exact name, or its number (0 valid, 1 same, 2 full)."""
    key = (
        mode if isinstance(mode, str) else int(mode) if isinstance(mode, int | np.integer) else None
    )
    if key in MODES:
        return MODES[key]
    raise TraceError(
        f"np.{function}: mode {mode!r} is not one of 'full', 'same', 'valid'",
        loc=caller_location(),
        hint="pass mode='full', 'same' or 'valid'",
    )


def vectors(a: Any, v: Any, function: str) -> tuple[Any, Any]:
    a, v = as_array(a), as_array(v)
    for name, x in (("a", a), ("v", v)):
        if type_of(x).ndim > 1:
            raise TraceError(
                f"np.{function}: {name} must be one-dimensional, got {type_of(x)}",
                loc=caller_location(),
                hint="convolve each row on its own, or use sliding_window_view",
            )
        if type_of(x).size == 0:
            raise TraceError(
                f"np.{function}: {name} cannot be empty",
                loc=caller_location(),
                hint="pass at least one entry",
            )
    return a, v


def sliding_products(long: Any, short: Any, mode: str) -> Any:
    """out[n] = sum_j padded[n + j] * short[j], with `long` zero-padded as NumPy pads it."""
    size = operator.index(type_of(short).size)
    widths = {"full": (size - 1, size - 1), "same": (size // 2, (size - 1) // 2)}
    padded = pad(long, widths.get(mode, (0, 0)))
    return matmul(sliding_window_view(padded, size), short)


def as_call(op: Primitive, composition: Callable, a: Any, v: Any, mode: str) -> Any:
    """The call where both vectors are floating (the others keep the composition)."""
    if type_of(a).dtype.kind == type_of(v).dtype.kind == "f":
        return call(op, composition, a, v, mode=mode)
    return composition(a, v, mode)


@implements(np.convolve)
def convolve(a, v, mode="full"):
    mode = mode_name(mode, "convolve")
    a, v = vectors(a, v, "convolve")
    return as_call(calls.convolve, convolved, a, v, mode)


def convolved(a: Any, v: Any, mode: str = "full") -> Any:
    """np.convolve's composition (its call's decomposition): products of sliding windows."""
    if type_of(v).size > type_of(a).size:
        a, v = v, a
    return sliding_products(a, flip(v), mode)


@implements(np.correlate, note="real input only")
def correlate(a, v, mode="valid"):
    mode = mode_name(mode, "correlate")
    a, v = vectors(a, v, "correlate")
    return as_call(calls.correlate, correlated, a, v, mode)


def correlated(a: Any, v: Any, mode: str = "valid") -> Any:
    """np.correlate's composition (its call's decomposition)."""
    if type_of(v).size > type_of(a).size:
        # c[k] = sum_n a[n + k] v[n] is the reversal of v correlated with a.
        return flip(sliding_products(v, a, mode))
    return sliding_products(a, v, mode)
