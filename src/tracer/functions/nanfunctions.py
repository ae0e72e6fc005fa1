"""Tracer layer: the NaN predicates (isnan, isinf, isfinite), nan_to_num, and NumPy's
NaN-ignoring reductions (nansum, nanprod, nanmax, nanmin, nanmean, nanvar, nanstd): each the
plain reduction over a select that puts the identity where the NaNs were, so their
derivatives come from the composition (zero at a NaN)."""

from __future__ import annotations

import builtins  # `all` is np.all's tracing function here
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir import Primitive
from ...ir.primitives import calls, elementwise, reductions
from ...ir.types import broadcasts_to
from .. import inplace
from ..source import caller_location
from .calls import call, is_static
from .common import as_dtype, bind, normalize_axes, reject, type_of
from .conversions import as_array, astype, numpy_scalar
from .rearranging import shortest_axes
from .reductions import all, extremum, prod, sum
from .registry import implements
from .shapes import reshape
from .statistics import degrees_of_freedom, divided_by_count, mean, root_of, squared_deviations, var
from .ufuncs import equal, greater, logical_not, maximum, minimum, subtract
from .ufuncs import where as select

__all__ = [
    "isfinite", "isinf", "isnan", "nan_to_num", "nanmax", "nanmean", "nanmin", "nanprod",
    "nanstd", "nansum", "nanvar",
]  # fmt: skip


@implements(np.isnan, derivative="none")
def isnan(x):
    return bind(elementwise.isnan, x)


@implements(np.isinf, derivative="none")
def isinf(x):
    return bind(elementwise.isinf, x)


@implements(np.isfinite, derivative="none")
def isfinite(x):
    return bind(elementwise.isfinite, x)


def has_nan(a: Any) -> bool:
    """Only floating values hold NaN: on the others the nan-functions are the plain ones."""
    return type_of(a).dtype.kind in "fc"


@implements(np.nan_to_num, note="copy=False refused")
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN -> `nan`, +inf -> `posinf`, -inf -> `neginf` (by default the largest finite values
    of the dtype); the derivative is 1 where x is finite, 0 where a value was replaced."""
    if not copy:
        raise TraceError(
            "np.nan_to_num(..., copy=False) writes into its argument: not supported",
            loc=caller_location(),
            hint="assign the result instead: `x = np.nan_to_num(x)`",
        )
    x = as_array(x)
    if not has_nan(x):  # a new array in NumPy (a scalar if 0-d), though no node is needed
        return numpy_scalar(inplace.copy_of(x))
    replacements = {"nan": nan, "posinf": posinf, "neginf": neginf}
    if type_of(x).dtype.kind == "f" and builtins.all(map(is_static, replacements.values())):
        return numpy_scalar(call(calls.nan_to_num, nan_to_num_of, x, **replacements))
    return numpy_scalar(nan_to_num_of(x, **replacements))


def nan_to_num_of(x, nan=0.0, posinf=None, neginf=None):
    """np.nan_to_num's composition: three selects."""
    largest = float(np.finfo(type_of(x).dtype).max)
    posinf = largest if posinf is None else posinf
    neginf = -largest if neginf is None else neginf
    nan, posinf, neginf = (replacement(x, value) for value in (nan, posinf, neginf))
    # Each select keeps x as one operand, so the result keeps x's dtype (two Python floats
    # alone would select in float64).
    kept = select(isnan(x), nan, x)
    kept = select(equal(x, -math.inf), neginf, kept)
    return numpy_scalar(select(equal(x, math.inf), posinf, kept))


def replacement(x: Any, value: Any) -> Any:
    """A replacement value in x's dtype (NumPy copies it into x), broadcasting to x's shape."""
    t, v = type_of(x), type_of(value)
    if not broadcasts_to(v.shape, t.shape):
        raise TraceError(
            f"np.nan_to_num: a replacement of shape {v.shape} does not fit x's shape {t.shape}",
            loc=caller_location(),
            hint="give a number",
        )
    if type(value) in (bool, int, float):
        return value
    return astype(value, t.dtype)


def reduction_call(op: Primitive, composition: Callable, a, axis, keepdims, **others) -> Any:
    """`op(a, axis=..., keepdims=...)` as one call where `a` is a floating array of at least
    one axis and the other keywords (ddof aside) are left out, else the composition."""
    a = as_array(a)
    source = type_of(a)
    ddof = {"ddof": others.pop("ddof")} if "ddof" in others else {}
    plain = (
        source.dtype.kind == "f"
        and source.ndim > 0
        and type(keepdims) is bool
        and builtins.all(type(value) is int for value in ddof.values())
        and builtins.all(value is None for value in others.values())
        and axis != ()
    )
    if not plain:
        return composition(a, axis=axis, keepdims=keepdims, **ddof, **others)
    axes = normalize_axes(axis, source.ndim, op.name)
    return call(
        op, composition, a, axis=shortest_axes(axes, source.ndim), keepdims=keepdims, **ddof
    )


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    reject("nansum", out=out)
    others = {"dtype": dtype, "initial": initial, "where": where}
    return reduction_call(calls.nansum, nansum_of, a, axis, keepdims, **others)


def nansum_of(a, axis=None, dtype=None, keepdims=False, initial=None, where=None):
    return sum(without_nan(a, 0), axis, dtype, None, keepdims, initial, where)


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    reject("nanprod", out=out)
    others = {"dtype": dtype, "initial": initial, "where": where}
    return reduction_call(calls.nanprod, nanprod_of, a, axis, keepdims, **others)


def nanprod_of(a, axis=None, dtype=None, keepdims=False, initial=None, where=None):
    return prod(without_nan(a, 1), axis, dtype, None, keepdims, initial, where)


def without_nan(a: Any, fill: Any) -> Any:
    a = as_array(a)
    return select(isnan(a), fill, a) if has_nan(a) else a


@implements(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    reject("nanmax", out=out)
    others = {"initial": initial, "where": where}
    return numpy_scalar(reduction_call(calls.nanmax, nanmax_of, a, axis, keepdims, **others))


def nanmax_of(a, axis=None, keepdims=False, initial=None, where=None):
    return nan_extremum("nanmax", -math.inf, a, axis, keepdims, initial, where)


@implements(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    reject("nanmin", out=out)
    others = {"initial": initial, "where": where}
    return numpy_scalar(reduction_call(calls.nanmin, nanmin_of, a, axis, keepdims, **others))


def nanmin_of(a, axis=None, keepdims=False, initial=None, where=None):
    return nan_extremum("nanmin", math.inf, a, axis, keepdims, initial, where)


def nan_extremum(name: str, loses: float, a, axis, keepdims, initial, where) -> Any:
    """max / min with NaNs replaced by the value that never wins; an all-NaN slice gives NaN
    (NumPy warns and gives NaN), unless `initial` is there to give."""
    op, join = (reductions.max_, maximum) if name == "nanmax" else (reductions.min_, minimum)
    a = as_array(a)
    if not has_nan(a):
        return extremum(op, join, name, a, axis, keepdims, initial, where)
    missing = isnan(a)
    result = extremum(op, join, name, select(missing, loses, a), axis, keepdims, initial, where)
    if initial is not None:
        return result
    return select(all(missing, axis=axis, keepdims=keepdims), math.nan, result)


def inexact_dtype(dtype: Any, name: str) -> np.dtype | None:
    if dtype is not None and as_dtype(dtype, name).kind not in "fc":
        raise TraceError(
            f"np.{name}: a floating input needs a floating dtype, got {np.dtype(dtype)} "
            "(NumPy refuses it too)",
            loc=caller_location(),
            hint="leave dtype out, or use a float dtype",
        )
    return None if dtype is None else np.dtype(dtype)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    reject("nanmean", out=out)
    others = {"dtype": dtype, "where": where}
    return reduction_call(calls.nanmean, nanmean_of, a, axis, keepdims, **others)


def nanmean_of(a, axis=None, dtype=None, keepdims=False, *, where=None):
    a = as_array(a)
    if not has_nan(a):
        return mean(a, axis, dtype, None, keepdims, where=where)
    dtype = inexact_dtype(dtype, "nanmean")
    missing = isnan(a)
    total = sum(select(missing, 0, a), axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    count = sum(logical_not(missing), axis=axis, keepdims=keepdims, where=where)
    return divided_by_count(total, count)


def nanvar_of(
    a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
    correction=None,
):  # fmt: skip
    """np.nanvar: the variance of the non-NaN elements; NaN where the degrees of freedom
    (their count less ddof) are not positive, as NumPy gives."""
    a = as_array(a)
    keywords = {"where": where, "mean": mean, "correction": correction}
    if not has_nan(a):
        return var(a, axis, dtype, None, ddof, keepdims, **keywords)
    ddof = degrees_of_freedom(ddof, correction, "nanvar")
    dtype = inexact_dtype(dtype, "nanvar")
    missing = isnan(a)
    x = select(missing, 0, a)
    count = sum(logical_not(missing), axis=axis, keepdims=True, where=where)
    if mean is None:
        mean = divided_by_count(sum(x, axis=axis, dtype=dtype, keepdims=True, where=where), count)
    total = squared_deviations(x, mean, axis, keepdims, where, dtype, missing)
    freedom = subtract(reshape(count, type_of(total).shape), ddof)
    if ddof <= 0:  # an empty count divides 0 by 0: NaN already, as NumPy gives
        return numpy_scalar(divided_by_count(total, freedom))
    # NaN where the freedom is not positive; dividing by 1 there keeps the derivative 0
    # (not 0 / 0) for the elements of that slice.
    positive = greater(freedom, 0)
    variance = divided_by_count(total, select(positive, freedom, 1))
    return numpy_scalar(select(positive, variance, math.nan))


nanstd_of = root_of(nanvar_of, "nanstd")


def deviation(name: str, op: Primitive, composition: Callable) -> Callable:
    """np.nanvar or np.nanstd (NumPy's one signature): one call of `op` where it can be, else
    the composition."""

    def function(
        a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None,
    ):  # fmt: skip
        reject(name, out=out)
        others = {"dtype": dtype, "where": where, "mean": mean, "correction": correction}
        return reduction_call(op, composition, a, axis, keepdims, ddof=ddof, **others)

    function.__name__ = function.__qualname__ = name
    return implements(getattr(np, name))(function)


nanvar = deviation("nanvar", calls.nanvar, nanvar_of)
nanstd = deviation("nanstd", calls.nanstd, nanstd_of)
