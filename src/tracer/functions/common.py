"""Tracer layer: the helpers every tracegrad.numpy module shares: recording a primitive,
reading a value's type, and checking NumPy's arguments (axes, dtypes, unsupported keywords)
with errors at the user's line."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir import Primitive, TensorType
from ..context import constant_literal, find_trace
from ..source import caller_location

__all__ = [
    "as_dtype",
    "bind",
    "integer_argument",
    "no_axis_of_0d",
    "normalize_axes",
    "normalize_axis",
    "promoted_dtype",
    "reject",
    "slice_along",
    "type_of",
]


def bind(op: Primitive, *operands: Any, **params: Any) -> Any:
    return find_trace(operands).bind(op, operands, **params)


def type_of(x: Any) -> TensorType:
    var = getattr(x, "ir_var", None)
    if var is not None:
        return var.type
    if isinstance(x, list | tuple) and find_trace(x) is not None:
        return list_type(x)
    return constant_literal(x).type


def list_type(items: list | tuple) -> TensorType:
    """The type of np.array(items) for a list holding traced values (Trace.operand traces it
    so): NumPy's own conversion of the list with each traced value a placeholder of its type,
    so nothing is recorded. An inhomogeneous list meets np.array's TraceError."""
    try:
        value = np.asarray(placeholder(items))
    except (ValueError, TypeError, OverflowError):
        from .creation import array  # raises the TraceError for this list

        return type_of(array(items))
    return TensorType(value.shape, value.dtype)


def placeholder(item: Any) -> Any:
    var = getattr(item, "ir_var", None)
    if var is not None:  # a traced Python number stays a number: NumPy reads it as one
        return (
            var.type.python_type(0) if var.type.weak else np.zeros(var.type.shape, var.type.dtype)
        )
    if isinstance(item, list | tuple):
        return [placeholder(entry) for entry in item]
    return item


def promoted_dtype(values: Sequence[Any]) -> np.dtype:
    """np.result_type of the values, Python scalars weak (as NumPy promotes them)."""
    types = [type_of(value) for value in values]
    return np.result_type(*(t.python_type(0) if t.weak else t.dtype for t in types))


def reject(function: str, **unsupported: Any) -> None:
    """A clear error for NumPy keyword arguments tracegrad does not support."""
    for name, value in unsupported.items():
        if value is not None:
            hint = (
                "remove it"
                if name != "out"
                else (
                    "assign the result instead (`y = np.f(x)`): traced values are never written "
                    "in place"
                )
            )
            raise TraceError(
                f"np.{function}(..., {name}=...) is not supported", loc=caller_location(), hint=hint
            )


def as_dtype(dtype: Any, function: str) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TraceError(
            f"np.{function}: {dtype!r} is not a NumPy dtype",
            loc=caller_location(),
            hint="use a dtype such as np.float64, np.int64 or 'float32'",
        ) from None


def integer_argument(value: Any, function: str, what: str, hint: str | None = None) -> int:
    """An int argument (a count, an offset) known while tracing."""
    try:
        return operator.index(value)
    except TypeError:
        raise TraceError(
            f"np.{function}: {what} must be an int, got {value!r}",
            loc=caller_location(),
            hint=hint or f"pass {what} as a Python int",
        ) from None


def normalize_axis(axis: Any, ndim: int, function: str) -> int:
    try:
        index = operator.index(axis)
    except TypeError:
        raise TraceError(
            f"np.{function}: axis must be an integer, got {axis!r}",
            loc=caller_location(),
            hint=f"pass a Python int between {-ndim} and {ndim - 1}",
        ) from None
    if not -ndim <= index < ndim:
        raise TraceError(
            f"np.{function}: axis {index} is out of bounds for an array with {ndim} dimensions",
            loc=caller_location(),
            hint=f"use an axis between {-ndim} and {ndim - 1}",
        )
    return index % ndim


def normalize_axes(axis: Any, ndim: int, function: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, tuple | list) else (axis,)
    normalized = tuple(normalize_axis(a, ndim, function) for a in axes)
    if len(set(normalized)) != len(normalized):
        raise TraceError(
            f"np.{function}: axis {axis} repeats an axis",
            loc=caller_location(),
            hint="name each axis once (negative axes count from the end)",
        )
    return tuple(sorted(normalized))


def slice_along(ary: Any, axis: int, start: int | None, stop: int | None) -> Any:
    """ary[..., start:stop, ...] with the slice at `axis` (a normalized axis)."""
    return ary[(slice(None),) * axis + (slice(start, stop),)]


def no_axis_of_0d(axis: Any, ndim: int) -> bool:
    """NumPy lets a 0-d value be reduced or squeezed along a plain `axis=0` (or -1), as if it
    had one axis: that changes nothing."""
    return ndim == 0 and isinstance(axis, int | np.integer) and axis in (0, -1)
