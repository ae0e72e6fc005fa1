"""IR layer: how a constant array is described, shared by the IR printer and the backends.

An array that is all zeros, all ones, one repeated value, an `arange`, an identity matrix, a
multiple of one or a lower triangle of ones is shown as that pattern (`arange(8)`,
`diagonal(0.1)`, `tri(4)`), as a person would write it; any other array is written out
element by element.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class ConstantPattern:
    """`kind` is one of zeros, ones, full, arange, eye, tri, diagonal, array; `argument`
    completes it: the fill value for full, the length for arange, eye and tri (a square
    lower triangle of ones), the value on the diagonal for diagonal (a square float
    matrix), nested lists for array."""

    kind: str
    argument: Any = None


def describe_constant(array: np.ndarray) -> ConstantPattern:
    if array.size == 0 and array.dtype.kind in "biufc":
        # An empty array is written by its shape: `np.array([])` would lose it.
        return ConstantPattern("zeros")
    if array.dtype.kind in "biufc":
        flat = array.reshape(-1)
        if np.all(flat == flat[0]) and not np.isnan(flat[0]):
            value = flat[0].item()
            if value == 0 and not (isinstance(value, float) and np.signbit(flat[0])):
                return ConstantPattern("zeros")
            if value == 1:
                return ConstantPattern("ones")
            return ConstantPattern("full", value)
        if (
            array.ndim == 1
            and array.dtype.kind in "iuf"
            and np.array_equal(flat, np.arange(array.size, dtype=array.dtype))
        ):
            return ConstantPattern("arange", array.size)
        square = array.ndim == 2 and array.shape[0] == array.shape[1]
        if square and np.array_equal(array, np.eye(array.shape[0], dtype=array.dtype)):
            return ConstantPattern("eye", array.shape[0])
        if square and np.array_equal(array, np.tri(array.shape[0], dtype=array.dtype)):
            return ConstantPattern("tri", array.shape[0])  # np.tril's mask
        if square and array.dtype.kind == "f":  # `0.1 * np.eye(n)`: a regularizer, a noise
            value = array[0, 0].item()
            if np.isfinite(value) and np.array_equal(array, value * np.eye(array.shape[0])):
                return ConstantPattern("diagonal", value)
    return ConstantPattern("array", array.tolist())


def format_number(value: Any) -> str:
    """A Python scalar as source text that reads back to the same value (nan and inf too)."""
    if isinstance(value, float):
        if np.isnan(value):
            return "nan"
        if np.isinf(value):
            return "inf" if value > 0 else "-inf"
    return repr(value)


def format_nested(value: Any) -> str:
    """Nested lists of numbers without spaces, so the IR text splits on whitespace."""
    if isinstance(value, list):
        return "[" + ",".join(format_nested(v) for v in value) + "]"
    return format_number(value)
