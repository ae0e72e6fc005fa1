"""Tracer layer: evenly spaced values and coordinate grids from traced bounds and axes
(np.linspace, np.logspace, np.meshgrid), written as NumPy writes them, so the values agree
to the last bit: a constant ramp times the step, plus the start.

np.indices, np.tri, np.identity and np.eye take only sizes: they need no tracing rule, and
give constants inside a traced function.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ...errors import TraceError
from .. import inplace
from ..context import find_trace
from ..source import caller_location
from .common import as_dtype, promoted_dtype, type_of
from .conversions import astype, in_dtype
from .creation import array, asanyarray
from .registry import implements
from .shapes import broadcast_to, concatenate, expand_dims, moveaxis, reshape
from .ufuncs import add, divide, floor, multiply, power, subtract

__all__ = ["linspace", "logspace", "meshgrid"]


def sample_count(num: Any, function: str) -> int:
    try:
        count = operator.index(num)
    except TypeError:
        raise TraceError(
            f"np.{function}: num must be an integer known while tracing, got {num!r}",
            loc=caller_location(),
            hint="pass a Python int: the number of samples fixes the result's shape",
        ) from None
    if count < 0:
        raise TraceError(
            f"np.{function}: number of samples, {count}, must be non-negative (NumPy raises "
            "ValueError)",
            loc=caller_location(),
            hint="pass num >= 0",
        )
    return count


def inexact_dtype(*values: Any) -> np.dtype:
    """The dtype NumPy computes a range in: the operands' (Python numbers weakly), made
    floating point."""
    dtype = promoted_dtype(values)
    return dtype if dtype.kind in "fc" else np.result_type(dtype, 0.0)


def with_last(y: Any, stop: Any) -> Any:
    """`y` with its first axis' last entry replaced by `stop` (NumPy's `y[-1, ...] = stop`,
    which makes the end point exact)."""
    last = broadcast_to(stop, type_of(y).shape[1:])
    return concatenate([y[:-1], expand_dims(last, 0)])


@implements(np.linspace, note="retstep's step is traced")
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    num = sample_count(num, "linspace")
    div = num - 1 if endpoint else num
    computed = inexact_dtype(start, stop)
    start, stop = in_dtype(start, computed), in_dtype(stop, computed)
    delta = subtract(stop, start)
    ramp = np.arange(0, num, dtype=computed).reshape((-1,) + (1,) * type_of(delta).ndim)
    # (NumPy's special case for a step that underflows to zero is left out: it changes only
    # denormal results.)
    step = divide(delta, div) if div > 0 else np.nan
    y = add(multiply(ramp, step if div > 0 else delta), start)
    if endpoint and num > 1:
        y = with_last(y, stop)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        target = as_dtype(dtype, "linspace")
        y = astype(floor(y) if target.kind in "iu" else y, target)
    return (y, step) if retstep else y


@implements(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    if not isinstance(base, float | int) and type_of(base).ndim:
        # An array of bases broadcasts with the bounds (it may change what `axis` means).
        shapes = (type_of(x).shape for x in (start, stop, base))
        ndmin = len(np.broadcast_shapes(*shapes))
        start, stop, base = (array(x, copy=None, ndmin=ndmin) for x in (start, stop, base))
        base = expand_dims(base, axis)
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    result = power(base, y)
    return result if dtype is None else astype(result, as_dtype(dtype, "logspace"))


@implements(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise TraceError(
            f"np.meshgrid: indexing={indexing!r}; valid values are 'xy' and 'ij' (NumPy "
            "raises ValueError)",
            loc=caller_location(),
            hint="indexing='xy' (the default: the first two axes swapped) or indexing='ij'",
        )
    ones = (1,) * len(xi)
    grids = [reshape(asanyarray(x), (*ones[:i], -1, *ones[i + 1 :])) for i, x in enumerate(xi)]
    if indexing == "xy" and len(xi) > 1:  # the first two axes swapped
        grids[0] = reshape(grids[0], (1, -1, *ones[2:]))
        grids[1] = reshape(grids[1], (-1, 1, *ones[2:]))
    if not sparse:
        shape = np.broadcast_shapes(*(type_of(grid).shape for grid in grids))
        grids = [broadcast_to(grid, shape) for grid in grids]
    # NumPy's copies are arrays of their own (views otherwise): writing into one is allowed.
    return tuple(copied(grid) for grid in grids) if copy else tuple(grids)


def copied(grid: Any) -> Any:
    return inplace.copy(grid) if find_trace([grid]) is not None else grid.copy()
