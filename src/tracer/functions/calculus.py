"""Tracer layer: NumPy's finite differences and integration, np.gradient and np.trapezoid,
as compositions of slices, written in NumPy's own order of operations so that values agree
to the last bit (the interior of a gradient is (f[2:] - f[:-2]) / (2 dx))."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import TraceError
from ..context import find_trace
from ..source import caller_location
from .common import normalize_axes, normalize_axis, slice_along, type_of
from .conversions import as_array, astype
from .reductions import sum
from .registry import implements
from .shapes import concatenate, reshape
from .statistics import diff
from .ufuncs import add, divide, multiply, subtract

__all__ = ["gradient", "trapezoid"]


def spacings(varargs: tuple, axes: tuple[int, ...]) -> list[float]:
    """One uniform step per axis, as NumPy reads `*varargs`: none (1.0), one for every axis,
    or one per axis; a coordinate array counts where its steps are all equal."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        varargs = varargs * len(axes)
    if len(varargs) != len(axes):
        raise TraceError(
            f"np.gradient: {len(varargs)} spacings for {len(axes)} axes",
            loc=caller_location(),
            hint="give one spacing, or one per axis",
        )
    return [uniform_step(spacing) for spacing in varargs]


def uniform_step(spacing: Any) -> float:
    if find_trace([spacing]) is not None:
        raise TraceError(
            "np.gradient with traced spacings is not supported",
            loc=caller_location(),
            hint="pass the spacing as a constant",
        )
    if np.ndim(spacing) == 0:
        return spacing.item() if isinstance(spacing, np.generic) else spacing
    steps = np.diff(np.asarray(spacing))
    if steps.size and np.all(steps == steps[0]):
        return steps[0].item()
    raise TraceError(
        "np.gradient with unevenly spaced coordinates is not supported",
        loc=caller_location(),
        hint="pass evenly spaced coordinates or one spacing per axis",
    )


def along(f: Any, axis: int, dx: float, edge_order: int) -> Any:
    """df/dx along one axis: central differences inside, one-sided ones at the two ends."""
    interior = divide(
        subtract(slice_along(f, axis, 2, None), slice_along(f, axis, None, -2)), 2.0 * dx
    )
    at = lambda k: slice_along(f, axis, k, k + 1 if k != -1 else None)  # noqa: E731
    if edge_order == 1:
        first = divide(subtract(at(1), at(0)), dx)
        last = divide(subtract(at(-1), at(-2)), dx)
    else:
        first = add(
            add(multiply(-1.5 / dx, at(0)), multiply(2.0 / dx, at(1))), multiply(-0.5 / dx, at(2))
        )
        last = add(
            add(multiply(0.5 / dx, at(-3)), multiply(-2.0 / dx, at(-2))), multiply(1.5 / dx, at(-1))
        )
    return concatenate([first, interior, last], axis=axis)


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    f = as_array(f)
    t = type_of(f)
    if edge_order not in (1, 2):
        raise TraceError(
            f"np.gradient: edge_order={edge_order!r} must be 1 or 2",
            loc=caller_location(),
            hint="pass edge_order=1 or edge_order=2",
        )
    axes = normalize_axes(axis, t.ndim, "gradient")
    for k in axes:
        if t.shape[k] < edge_order + 1:
            raise TraceError(
                f"np.gradient: axis {k} has {t.shape[k]} points, too few for edge_order="
                f"{edge_order} (it needs {edge_order + 1})",
                loc=caller_location(),
                hint="use a smaller edge_order, or more points",
            )
    if t.dtype.kind in "biu":  # NumPy differentiates integers in float64
        f = astype(f, np.float64)
    steps = spacings(varargs, axes)
    results = [along(f, k, dx, edge_order) for k, dx in zip(axes, steps, strict=True)]
    return results[0] if len(results) == 1 else tuple(results)


@implements(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The trapezoidal rule, d (y[1:] + y[:-1]) / 2 summed, in NumPy's order."""
    y = as_array(y)
    ndim = type_of(y).ndim
    axis = normalize_axis(axis, ndim, "trapezoid")
    if x is None:
        d = dx
    else:
        d = diff(x)
        if type_of(d).ndim == 1 and ndim > 1:
            d = reshape(d, tuple(-1 if k == axis else 1 for k in range(ndim)))
        else:
            d = diff(x, axis=axis)
    pairs = add(slice_along(y, axis, 1, None), slice_along(y, axis, None, -1))
    return sum(divide(multiply(d, pairs), 2.0), axis=axis)
