"""Operation-table rows for issue 14's elementwise functions (tracer/functions/mathematical.py,
and the spellings of ufuncs.py NumPy users write: np.mod, np.true_divide, np.conj, np.imag).

Domains stay away from poles, kinks and ties; the `_scalar` rows mix a Python scalar or a 0-d
array with an array, the `_zero` rows put samples exactly where a function has a special value.
"""

from __future__ import annotations

import numpy as np

from tests.ops.table import BROADCAST, NO_DERIVATIVE, POSITIVE, OpRow, binary, unary

SCALAR_AND_VECTOR = (((),), ((3,),), ((2, 3),))  # a 0-d array, then arrays
NEGATIVE = {"low": -2.0, "high": -0.5}

UNARY_ROWS = (
    unary(np.log2, **POSITIVE),
    unary(np.log10, **POSITIVE),
    unary(np.exp2),
    unary(np.cbrt, **POSITIVE),
    unary(np.cbrt, name="cbrt_negative", **NEGATIVE),  # real cube roots of negative numbers
    unary(np.fabs, **POSITIVE),
    unary(np.fabs, name="fabs_negative", **NEGATIVE),
    unary(np.arcsinh),
    unary(np.arccosh, 1.5, 3.0),
    unary(np.arctanh, -0.9, 0.9),
    unary(np.deg2rad, -180.0, 180.0),
    unary(np.radians, -180.0, 180.0),
    unary(np.rad2deg),
    unary(np.degrees),
    unary(np.reciprocal, **POSITIVE),
    unary(np.reciprocal, name="reciprocal_negative", **NEGATIVE),
    unary(np.signbit, **NO_DERIVATIVE),
    OpRow(np.sinc, lambda x: np.sinc(x), low=0.2, high=2.5),
    OpRow(np.sinc, lambda x: np.sinc(x), name="sinc_negative", **NEGATIVE),
    OpRow(np.angle, lambda x: np.angle(x)),  # piecewise constant: pi below 0, 0 above
    OpRow(np.angle, lambda x: np.angle(x, deg=True), name="angle_deg"),
    OpRow(np.imag, lambda x: np.imag(x)),  # zeros of x's shape and dtype
    OpRow(np.conj, lambda x: np.conj(x), name="conj"),
    OpRow(np.positive, lambda x: np.positive(x) * 2, name="positive_0d", samples=(((),),)),
)

BINARY_ROWS = (
    binary(np.hypot),
    binary(np.logaddexp),
    binary(np.logaddexp2),
    binary(np.fmax),  # random samples: ties have probability zero
    binary(np.fmin),
    binary(np.fmod, 0.5, 0.9),  # x / y in (0.55, 1.8): one kink, at x == y, never sampled
    OpRow(
        np.fmod,
        lambda x, y: np.fmod(x * 5 - 2.5, y),  # negative dividends keep their sign
        name="fmod_signed",
        samples=BROADCAST,
        differentiable=(0, 1),
        low=0.35,
        high=0.45,
    ),
    binary(np.copysign),  # y only chooses a sign: its derivative is zero
    binary(np.heaviside),  # x is never exactly 0: no derivative anywhere
    OpRow(
        np.heaviside,
        lambda x, y: np.heaviside(np.floor(x), y),  # x is 0: the value, and derivative, of y
        name="heaviside_zero",
        samples=BROADCAST,
        differentiable=(0, 1),
        low=0.1,
        high=0.9,
    ),
    binary(np.float_power, **POSITIVE),
    binary(np.logical_xor, dtype="bool", **NO_DERIVATIVE),
    binary(np.logical_xor, name="logical_xor_float", **NO_DERIVATIVE),  # by truth value
    OpRow(
        np.divmod,
        lambda x, y: np.stack(np.divmod(x, y)),
        samples=BROADCAST,
        differentiable=(0, 1),
        low=0.5,
        high=0.9,
    ),
    OpRow(np.mod, lambda x, y: np.mod(x, y), name="mod", samples=BROADCAST, **NO_DERIVATIVE),
    OpRow(
        np.true_divide,
        lambda x, y: np.true_divide(x, y),
        name="true_divide",
        samples=BROADCAST,
        differentiable=(0, 1),
        **POSITIVE,
    ),
)

# A Python scalar or a 0-d array beside an array, and integer operands (NumPy's dtypes).
MIXED_ROWS = (
    OpRow(np.hypot, lambda x: np.hypot(x, 2.0), name="hypot_scalar", samples=SCALAR_AND_VECTOR),
    OpRow(np.fmax, lambda x: np.fmax(x, 0.5), name="fmax_scalar", samples=SCALAR_AND_VECTOR),
    OpRow(np.fmin, lambda x: np.fmin(0.5, x), name="fmin_scalar", samples=SCALAR_AND_VECTOR),
    OpRow(
        np.logaddexp,
        lambda x: np.logaddexp(x, np.float64(1.0)),
        name="logaddexp_numpy_scalar",
        samples=SCALAR_AND_VECTOR,
    ),
    OpRow(
        np.float_power,
        lambda x: np.float_power(x, 3),
        name="float_power_int_exponent",
        samples=SCALAR_AND_VECTOR,
        **POSITIVE,
    ),
    OpRow(
        np.float_power,
        lambda x: np.float_power(2, x),
        name="float_power_scalar_base",
        samples=SCALAR_AND_VECTOR,
    ),
    OpRow(
        np.copysign,
        lambda x: np.copysign(x, -1.0),
        name="copysign_scalar",
        samples=SCALAR_AND_VECTOR,
        **POSITIVE,
    ),
    OpRow(np.log2, lambda x: np.log2(x), name="log2_0d", samples=SCALAR_AND_VECTOR, **POSITIVE),
    unary(np.exp2, dtype="int64", name="exp2_int64", **NO_DERIVATIVE),
    unary(np.fabs, dtype="int64", name="fabs_int64", **NO_DERIVATIVE),
    unary(np.deg2rad, dtype="int64", name="deg2rad_int64", **NO_DERIVATIVE),
    unary(np.signbit, dtype="int64", name="signbit_int64", **NO_DERIVATIVE),
    binary(np.fmax, dtype="int64", name="fmax_int64", **NO_DERIVATIVE),
    binary(np.hypot, dtype="int64", name="hypot_int64", **NO_DERIVATIVE),
    binary(np.float_power, dtype="int64", name="float_power_int64", **NO_DERIVATIVE),
    OpRow(
        np.fmod,
        lambda x, y: np.fmod(x, y + 1),
        name="fmod_int64",
        samples=BROADCAST,
        dtype="int64",
        **NO_DERIVATIVE,
    ),
    binary(np.logical_xor, dtype="int64", name="logical_xor_int64", **NO_DERIVATIVE),
)

ROWS_ELEMENTWISE14: tuple[OpRow, ...] = UNARY_ROWS + BINARY_ROWS + MIXED_ROWS
