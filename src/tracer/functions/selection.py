"""Tracer layer: NumPy's selection routines as compositions: take_along_axis is a gather over
every axis, select and choose are chains of np.where, np.ix_ reshapes its index vectors."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir.primitives import indexing
from ..context import find_trace
from ..indexing import check_bounds
from ..source import caller_location
from .common import bind, normalize_axis, promoted_dtype, type_of
from .conversions import as_array, in_dtype
from .indexing import moded_indices
from .registry import implements
from .shapes import broadcast_to, reshape
from .ufuncs import equal, where

__all__ = ["choose", "ix_", "select", "take_along_axis"]


def selection_error(function: str, message: str, hint: str) -> TraceError:
    return TraceError(f"np.{function}: {message}", loc=caller_location(), hint=hint)


def integer_indices(indices: Any, function: str) -> Any:
    if type_of(indices).dtype.kind not in "iu":
        raise selection_error(
            function,
            f"the indices must be integers, got {type_of(indices)}",
            hint="convert them with .astype(np.int64)",
        )
    return indices


@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """arr[i0, ..., indices, ..., iN] with an np.arange on every other axis, broadcast as NumPy
    broadcasts them against the indices."""
    indices = integer_indices(as_array(indices), "take_along_axis")
    if axis is None:
        arr, axis = reshape(arr, (-1,)), 0
    source, index = type_of(arr), type_of(indices)
    if index.ndim != source.ndim:
        raise selection_error(
            "take_along_axis",
            f"the indices have {index.ndim} dimensions and the array {source.ndim}",
            hint="give the indices the array's number of dimensions (size 1 where they "
            "broadcast), e.g. np.argmax(x, axis=1, keepdims=True)",
        )
    axis = normalize_axis(axis, source.ndim, "take_along_axis")
    check_bounds(indices, source.shape[axis], axis)
    positions = []
    for dim, size in enumerate(source.shape):
        if dim == axis:
            positions.append(indices)
            continue
        shape = [1] * source.ndim
        shape[dim] = size
        positions.append(np.arange(size).reshape(shape))
    return bind(indexing.gather, arr, *positions, axes=tuple(range(source.ndim)))


def converted(value: Any, dtype: np.dtype, start: bool = False) -> Any:
    """`value` as `dtype`: a concrete value converted now, a traced one recorded. A Python
    scalar stays weak where np.where gives `dtype` anyway (the code then reads `0.0`): as a
    choice, when `dtype` absorbs it; as the `start` of the chain, only when it is `dtype`."""
    kind = type_of(value)
    if kind.weak and kind.dtype.kind in "biuf":
        natural = kind.dtype if start else np.result_type(dtype, kind.python_type(0))
        if natural == dtype:
            return value
    return in_dtype(value, dtype)


@implements(np.select)
def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, else `default`: nested np.where, the first
    condition outermost."""
    condlist, choicelist = list(condlist), list(choicelist)
    if len(condlist) != len(choicelist):
        raise selection_error(
            "select",
            f"{len(condlist)} conditions for {len(choicelist)} choices",
            hint="give one choice per condition",
        )
    for position, condition in enumerate(condlist):
        if type_of(condition).dtype != np.bool_:
            raise selection_error(
                "select",
                f"condition {position} is {type_of(condition)}, not boolean",
                hint="compare to make a mask, e.g. x > 0",
            )
    dtype = promoted_dtype([*choicelist, default])
    result = converted(default, dtype, start=True)
    for condition, choice in zip(condlist[::-1], choicelist[::-1], strict=True):
        result = where(condition, converted(choice, dtype), result)
    return result


@implements(np.choose, method="choose")
def choose(a, choices, out=None, mode="raise"):
    """choices[a] element by element: np.where(a == 0, c0, np.where(a == 1, c1, ...))."""
    if out is not None:
        raise selection_error("choose", "out= is not supported", hint="assign the result")
    traced = getattr(choices, "ir_var", None) is not None  # an array: its first axis
    choices = [choices[k] for k in range(type_of(choices).shape[0])] if traced else list(choices)
    if not choices:
        raise selection_error("choose", "no choices were given", hint="give at least one")
    a = integer_indices(as_array(a), "choose")
    if find_trace([a]) is not None and mode in (None, "raise"):
        raise selection_error(
            "choose",
            "traced indices cannot be checked against the number of choices while tracing",
            hint="say what an out-of-range index does: mode='clip' or mode='wrap' (the same "
            "result for indices in range)",
        )
    a = moded_indices(a, len(choices), mode, "choose")
    if find_trace([a]) is None:
        check_choices(np.asarray(a), len(choices))
    dtype = promoted_dtype(choices)
    result = converted(choices[-1], dtype, start=True)
    for k in range(len(choices) - 2, -1, -1):
        result = where(equal(a, k), converted(choices[k], dtype), result)
    return broadcast_with(result, a)


def check_choices(positions: np.ndarray, count: int) -> None:
    if positions.size and (positions.min() < 0 or positions.max() >= count):
        raise selection_error(
            "choose",
            f"an index is out of range for {count} choices (NumPy raises ValueError)",
            hint=f"use indices from 0 to {count - 1}, or mode='clip' / mode='wrap'",
        )


def broadcast_with(result: Any, a: Any) -> Any:
    """With a single choice no np.where ran: the result still has the shape of `a` with it."""
    shape = np.broadcast_shapes(type_of(result).shape, type_of(a).shape)
    if type_of(result).shape == shape:
        return result
    return broadcast_to(result, shape)


@implements(np.ix_, derivative="none")
def ix_(*args):
    """Each index vector reshaped to lie along its own axis, so they broadcast into a grid."""
    grids = []
    for position, vector in enumerate(args):
        vector = as_array(vector)
        kind = type_of(vector)
        if kind.ndim != 1:
            raise selection_error(
                "ix_", "each index must be 1-dimensional", hint="pass 1-d sequences"
            )
        if kind.dtype == np.bool_:
            if find_trace([vector]) is not None:
                raise selection_error(
                    "ix_",
                    "a traced boolean mask gives a grid whose size depends on the data",
                    hint="index with the mask's positions computed outside the trace, or keep "
                    "the shape with np.where",
                )
            vector = np.flatnonzero(vector)
        shape = [1] * len(args)
        shape[position] = operator.index(type_of(vector).shape[0])
        grids.append(reshape(vector, tuple(shape)))
    return tuple(grids)
