"""Tracer layer: NumPy's further elementwise functions (logarithms and powers in other bases,
inverse hyperbolics, angles, NaN-ignoring extrema, remainders, signs), each one elementwise
primitive or a short composition of the ufuncs in ufuncs.py, written as NumPy computes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir import Primitive
from ...ir.primitives import calls, elementwise, markers
from ..context import find_trace
from ..source import caller_location
from .calls import call
from .common import bind, type_of
from .conversions import as_array, astype
from .registry import implements
from .ufuncs import (
    arctan2,
    divide,
    floor_divide,
    multiply,
    power,
    real_only,
    remainder,
    sin,
    ufunc_function,
    where,
)

__all__ = [
    "angle", "arccosh", "arcsinh", "arctanh", "cbrt", "copysign", "deg2rad", "degrees", "divmod",
    "exp2", "fabs", "float_power", "fmax", "fmin", "fmod", "heaviside", "hypot", "log2", "log10",
    "logaddexp", "logaddexp2", "logical_xor", "rad2deg", "radians", "reciprocal", "signbit",
    "sinc",
]  # fmt: skip


def one_primitive(op: Primitive, ufunc: np.ufunc, **options: Any) -> Callable:
    """ufunc.py's tracing function of a one-primitive ufunc, listed as this module's (in
    tracegrad.numpy's modules and docs/numpy-support.md)."""
    function = ufunc_function(op, ufunc, **options)
    function.__module__ = __name__
    return function


log2 = one_primitive(elementwise.log2, np.log2)
log10 = one_primitive(elementwise.log10, np.log10)
exp2 = one_primitive(elementwise.exp2, np.exp2)
cbrt = one_primitive(elementwise.cbrt, np.cbrt)
fabs = one_primitive(elementwise.fabs, np.fabs)
arcsinh = one_primitive(elementwise.arcsinh, np.arcsinh)
arccosh = one_primitive(elementwise.arccosh, np.arccosh)
arctanh = one_primitive(elementwise.arctanh, np.arctanh)
# np.radians and np.degrees are ufuncs of their own that compute deg2rad and rad2deg.
deg2rad = radians = one_primitive(
    elementwise.deg2rad, np.deg2rad, aliases=("radians",), same=(np.radians,)
)
rad2deg = degrees = one_primitive(
    elementwise.rad2deg, np.rad2deg, aliases=("degrees",), same=(np.degrees,)
)
signbit = one_primitive(elementwise.signbit, np.signbit)
hypot = one_primitive(elementwise.hypot, np.hypot)
logaddexp = one_primitive(elementwise.logaddexp, np.logaddexp)
logaddexp2 = one_primitive(elementwise.logaddexp2, np.logaddexp2)
fmax = one_primitive(elementwise.fmax, np.fmax)
fmin = one_primitive(elementwise.fmin, np.fmin)
fmod = one_primitive(elementwise.fmod, np.fmod)
copysign = one_primitive(elementwise.copysign, np.copysign)
heaviside = one_primitive(elementwise.heaviside, np.heaviside)
logical_xor = one_primitive(elementwise.logical_xor, np.logical_xor)


@implements(np.reciprocal, note="floating-point input only")
def reciprocal(x):
    """np.reciprocal: 1 / x, as one writes it. On integers NumPy's loop rounds 1 / x towards
    zero (np.reciprocal(2) is 0), which jax.numpy does not do: refused, with the fix."""
    if type_of(x).dtype.kind != "f":
        raise TraceError(
            f"np.reciprocal of {type_of(x).dtype} values: NumPy's integer reciprocal rounds "
            "1 / x towards zero (0 for every |x| > 1), which tracegrad does not trace",
            loc=caller_location(),
            hint="convert to floats first (np.reciprocal(x.astype(float)), or 1 / x)",
        )
    return divide(1, as_array(x))  # on a Python float, a NumPy float64 as np.reciprocal's


@implements(np.float_power)
def float_power(x1, x2):
    """np.float_power: x1 ** x2 computed in float64 (NumPy's only real loop), so negative
    integer powers of integers are fractions. A Python scalar next to an array stays one."""
    operands = (x1, x2)
    strong = [not type_of(x).weak for x in operands]
    converted = [x if type_of(x).weak and any(strong) else in_float64(x) for x in operands]
    return power(*converted)


def in_float64(x: Any) -> Any:
    """`x` in float64: a traced value by astype, a constant (a list too) by NumPy. A complex
    one stays complex: the complex result is refused where it is made."""
    if type_of(x).dtype.kind == "c":
        return x
    if find_trace([x]) is None:
        return np.asarray(x, dtype=np.float64)
    return astype(as_array(x), np.float64)


@implements(np.divmod)
def divmod(x1, x2):
    """np.divmod: (x1 // x2, x1 % x2), NumPy's two results of one ufunc."""
    return floor_divide(x1, x2), remainder(x1, x2)


@implements(np.sinc)
def sinc(x):
    """np.sinc, emitted as the call; a Python scalar is the composition."""
    return call(calls.sinc, sinc_of, x)


def sinc_of(x: Any) -> Any:
    """np.sinc as NumPy computes it (its call's decomposition): sin(y) / y for y = pi x,
    where y = 0 is replaced by the machine epsilon (NumPy's value there is 1). At y = 0 that
    value is multiplied by the series 1 - y**2 / 6 (also 1; elsewhere by 1), whose
    derivatives are sinc's own up to the third: the constant alone would give a second
    derivative of 0 instead of -pi**2 / 3. A product last, so a 0-d result is a NumPy
    scalar, as NumPy's quotient is."""
    y = multiply(np.pi, as_array(x))
    nonzero = y != 0
    safe = where(nonzero, y, float(np.finfo(type_of(y).dtype).eps))
    return sin(safe) / safe * where(nonzero, 1, 1 - y * y / 6)


@implements(np.angle, derivative="zero", note="real input only")
def angle(z, deg=False):
    """np.angle of a real value: arctan2(0, z), as NumPy computes it (pi for negative z and
    -0.0, else 0); `deg=True` scales by 180 / pi, as NumPy does. Piecewise constant, so no
    derivative flows (the chain rule through arctan2 would emit `-ct * 0 / (z * z)`)."""
    real_only("angle", z)
    result = arctan2(0, bind(markers.stop_gradient, as_array(z)))
    return multiply(result, 180 / np.pi) if deg else result
