"""Tracer layer: the scatters reverse mode writes (transposes of indexing).

Like every tracing function they record a primitive when an operand is traced and compute
with NumPy when all are concrete, so a gradient that is constant is folded while tracing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir.primitives import indexing
from .context import find_trace


def index_key(index: tuple) -> tuple:
    """The IR's index items as a NumPy key (slice triples become slices)."""
    return tuple(slice(*item) if isinstance(item, tuple) else item for item in index)


def index_scatter(updates: Any, shape: tuple[int, ...], index: tuple) -> Any:
    """zeros(shape) with `updates` written at `[index]` (a basic index without None)."""
    trace = find_trace([updates])
    if trace is not None:
        return trace.bind(indexing.index_scatter, [updates], shape=shape, index=index)
    result = np.zeros(shape, np.result_type(updates))
    result[index_key(index)] = updates
    return result


def gather_key(indices: list[Any], axes: tuple[int, ...]) -> tuple:
    return tuple(indices[axes.index(a)] if a in axes else slice(None) for a in range(axes[-1] + 1))


def gather(x: Any, indices: list[Any], axes: tuple[int, ...]) -> Any:
    """x indexed by integer arrays on `axes` (whole slices elsewhere), traced or not."""
    trace = find_trace([x, *indices])
    if trace is not None:
        return trace.bind(indexing.gather, [x, *indices], axes=axes)
    return np.asarray(x)[gather_key(indices, axes)]


def scatter_add(updates: Any, indices: list[Any], shape: tuple[int, ...], axes: tuple[int, ...]):
    """zeros(shape) with `updates` added where `gather(..., indices, axes)` reads."""
    trace = find_trace([updates, *indices])
    if trace is not None:
        return trace.bind(indexing.scatter_add, [updates, *indices], shape=shape, axes=axes)
    result = np.zeros(shape, np.result_type(updates))
    np.add.at(result, gather_key(indices, axes), updates)
    return result


def index_set(x: Any, value: Any, index: tuple) -> Any:
    """x with `value` written at `[index]` (a basic index without None), traced or not."""
    trace = find_trace([x, value])
    if trace is not None:
        return trace.bind(indexing.index_set, [x, value], index=index)
    return indexing.index_set.reference(x, value, index=index)


def gather_set(x: Any, value: Any, indices: list[Any], axes: tuple[int, ...]) -> Any:
    """x with `value` written where `gather(x, indices, axes)` reads, traced or not."""
    trace = find_trace([x, value, *indices])
    if trace is not None:
        return trace.bind(indexing.gather_set, [x, value, *indices], axes=axes)
    return indexing.gather_set.reference(x, value, *indices, axes=axes)
