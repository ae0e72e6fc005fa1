"""Tracer layer: NumPy's products beyond matmul and dot: inner, tensordot and vdot as einsum
contractions, kron as a broadcast product between reshapes, and cross written out component
by component, as NumPy computes it (so a zero component never multiplies an infinity)."""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir.primitives import calls
from ..source import caller_location
from .calls import call
from .common import normalize_axis, type_of
from .conversions import as_array, zero_d_array
from .linalg import einsum, matmul
from .registry import implements
from .shapes import moveaxis, reshape, stack
from .ufuncs import multiply, negative, subtract

__all__ = ["cross", "inner", "kron", "tensordot", "vdot"]

LETTERS = "abcdefghijklmnopqrstuvwxyz"


@implements(np.inner)
def inner(a, b, /):
    a, b = as_array(a), as_array(b)
    a_type, b_type = type_of(a), type_of(b)
    if a_type.ndim == 0 or b_type.ndim == 0:
        return multiply(a, b)
    if a_type.shape[-1] != b_type.shape[-1]:
        raise TraceError(
            f"np.inner: the last axes of {a_type} and {b_type} differ in size",
            loc=caller_location(),
            hint="np.inner sums over the last axis of both: give them one length",
        )
    a_sub = LETTERS[: a_type.ndim - 1]
    b_sub = LETTERS[a_type.ndim - 1 : a_type.ndim + b_type.ndim - 2]
    return einsum(f"{a_sub}z,{b_sub}z->{a_sub}{b_sub}", a, b)


def axis_list(axes: Any, ndim: int) -> list[int]:
    listed = list(axes) if isinstance(axes, list | tuple | np.ndarray) else [axes]
    return [normalize_axis(axis, ndim, "tensordot") for axis in listed]


def contracted_axes(axes: Any, a_ndim: int, b_ndim: int) -> tuple[list[int], list[int]]:
    """NumPy's axes=: N (the last N of a with the first N of b) or a pair of axis lists."""
    if isinstance(axes, int | np.integer):
        count = operator.index(axes)
        if not 0 <= count <= min(a_ndim, b_ndim):
            raise TraceError(
                f"np.tensordot: cannot sum over {count} axes of arrays with {a_ndim} and "
                f"{b_ndim} dimensions",
                loc=caller_location(),
                hint="axes=N sums the last N axes of a with the first N of b",
            )
        return list(range(a_ndim - count, a_ndim)), list(range(count))
    try:
        a_axes, b_axes = axes
    except (TypeError, ValueError):
        raise TraceError(
            f"np.tensordot: axes must be an int or a pair of axis lists, got {axes!r}",
            loc=caller_location(),
            hint="axes=([1], [0]) sums axis 1 of a with axis 0 of b",
        ) from None
    return axis_list(a_axes, a_ndim), axis_list(b_axes, b_ndim)


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    a, b = as_array(a), as_array(b)
    a_type, b_type = type_of(a), type_of(b)
    a_axes, b_axes = contracted_axes(axes, a_type.ndim, b_type.ndim)
    sizes_match = len(a_axes) == len(b_axes) and all(
        a_type.shape[i] == b_type.shape[j] for i, j in zip(a_axes, b_axes, strict=False)
    )
    if not sizes_match:
        raise TraceError(
            f"np.tensordot: shape mismatch for sum over axes {a_axes} of {a_type} and "
            f"{b_axes} of {b_type}",
            loc=caller_location(),
            hint="pair up axes of equal sizes, as many of a as of b",
        )
    a_sub = list(LETTERS[: a_type.ndim])
    b_sub = list(LETTERS[a_type.ndim : a_type.ndim + b_type.ndim])
    for i, j in zip(a_axes, b_axes, strict=True):
        b_sub[j] = a_sub[i]
    free = [c for i, c in enumerate(a_sub) if i not in a_axes]
    free += [c for j, c in enumerate(b_sub) if j not in b_axes]
    # NumPy reshapes its dot product: a full contraction is a 0-d array, not a scalar.
    return zero_d_array(einsum(f"{''.join(a_sub)},{''.join(b_sub)}->{''.join(free)}", a, b))


@implements(np.vdot, note="real input only")
def vdot(a, b, /):
    a, b = reshape(as_array(a), (-1,)), reshape(as_array(b), (-1,))
    if type_of(a).size != type_of(b).size:
        raise TraceError(
            f"np.vdot: the arrays have {type_of(a).size} and {type_of(b).size} elements",
            loc=caller_location(),
            hint="np.vdot flattens both: give them the same number of elements",
        )
    return matmul(a, b)


@implements(np.kron)
def kron(a, b):
    a, b = as_array(a), as_array(b)
    b_ndim = type_of(b).ndim
    a_shape = (1,) * (b_ndim - type_of(a).ndim) + type_of(a).shape
    if not a_shape or b_ndim == 0:
        return multiply(a, b)
    return call(calls.kron, kron_of, a, b)


def kron_of(a: Any, b: Any) -> Any:
    """np.kron's composition (its call's decomposition), of arrays of one axis or more."""
    b_ndim = type_of(b).ndim
    a_shape = (1,) * (b_ndim - type_of(a).ndim) + type_of(a).shape
    b_shape = (1,) * (len(a_shape) - b_ndim) + type_of(b).shape
    # Interleave the axes, a's first: (n0, 1, n1, 1, ...) times (1, m0, 1, m1, ...).
    spread_a = reshape(a, tuple(d for n in a_shape for d in (n, 1)))
    spread_b = reshape(b, tuple(d for m in b_shape for d in (1, m)))
    merged = tuple(n * m for n, m in zip(a_shape, b_shape, strict=True))
    return reshape(multiply(spread_a, spread_b), merged)


def components(x: Any, axis: Any, name: str) -> list:
    t = type_of(x)
    if t.ndim == 0:
        raise TraceError(
            "np.cross: at least one array has zero dimension",
            loc=caller_location(),
            hint="pass arrays of 2- or 3-vectors",
        )
    x = moveaxis(x, normalize_axis(axis, t.ndim, f"cross ({name})"), -1)
    if type_of(x).shape[-1] not in (2, 3):
        raise TraceError(
            "np.cross: incompatible dimensions for cross product (dimension must be 2 or 3)",
            loc=caller_location(),
            hint=f"the vectors lie along {name}: name the axis of length 2 or 3",
        )
    return [x[..., i] for i in range(type_of(x).shape[-1])]


def cross_components(a: list, b: list) -> list:
    """The cross product's components, each from the products NumPy forms (a 2-vector's
    missing z is never multiplied)."""
    z = subtract(multiply(a[0], b[1]), multiply(a[1], b[0]))
    if len(a) == len(b) == 2:
        return [z]
    if len(a) == 2:
        return [multiply(a[1], b[2]), negative(multiply(a[0], b[2])), z]
    if len(b) == 2:
        return [negative(multiply(a[2], b[1])), multiply(a[2], b[0]), z]
    x = subtract(multiply(a[1], b[2]), multiply(a[2], b[1]))
    y = subtract(multiply(a[2], b[0]), multiply(a[0], b[2]))
    return [x, y, z]


def deprecated_2d_vectors() -> None:
    """NumPy 2's own warning, pointed at the user's line."""
    message = (
        "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional vectors "
        "instead. (deprecated in NumPy 2.0)"
    )
    loc = caller_location()
    if loc is None:
        warnings.warn(message, DeprecationWarning, stacklevel=3)
    else:
        warnings.warn_explicit(message, DeprecationWarning, loc.file, loc.line)


@implements(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = as_array(a), as_array(b)
    a_parts, b_parts = components(a, axisa, "axisa"), components(b, axisb, "axisb")
    try:
        np.broadcast_shapes(type_of(a_parts[0]).shape, type_of(b_parts[0]).shape)
    except ValueError:
        raise TraceError(
            f"np.cross: the vectors of {type_of(a)} and {type_of(b)} do not broadcast together",
            loc=caller_location(),
            hint="give both the same number of vectors, or one vector for all",
        ) from None
    if 2 in (len(a_parts), len(b_parts)):
        deprecated_2d_vectors()
    parts = cross_components(a_parts, b_parts)
    if len(parts) == 1:
        return parts[0]
    result = stack(parts, axis=-1)
    return moveaxis(result, -1, normalize_axis(axisc, type_of(result).ndim, "cross (axisc)"))
