"""Issue 14's elementwise primitives for the JAX emission check (test_jax_emission.py runs
every primitive on mixed dtypes and Python scalars and compares it with NumPy): float64,
float32, integer and boolean operands, each converted to the dtype NumPy computes in."""

import numpy as np

F64 = np.linspace(-1.4, 1.3, 6)
F32 = np.array([[0.5, -1.25, 2.0], [-0.0, 3.5, -2.75]], np.float32)
I32 = np.array([[3, -1, 4], [1, -5, 9]], np.int32)
BOOLS = np.array([True, False, True, True, False, False])


def elementwise14(x, f, i, b):
    positive = np.abs(x) + 1.5
    return [
        *(np.log2(v) for v in (positive, np.abs(f) + 1, np.abs(i) + 1)),
        np.log10(positive),
        *(np.exp2(v) for v in (x, f, i, b)),
        np.cbrt(x),
        np.cbrt(i),
        np.cbrt(b),
        np.fabs(f),
        np.fabs(i),
        np.arcsinh(x),
        np.arccosh(positive),
        np.arctanh(x * 0.5),
        np.deg2rad(i),
        np.rad2deg(f),
        np.signbit(f),
        np.signbit(i),
        np.hypot(f, i),
        np.hypot(x, 2.0),
        np.logaddexp(f, 0.5),
        np.logaddexp2(x, x[::-1]),
        np.fmax(x, np.where(x > 0, np.nan, x * 2)),
        np.fmin(i, 2),
        np.fmax(f, i),
        np.fmod(x, 0.75),
        np.fmod(i, 4),
        np.copysign(f, -1.0),
        np.copysign(i, x[:3]),
        np.heaviside(np.floor(x), 0.5),
        np.logical_xor(x > 0, b),
        np.logical_xor(f, 1.5),
    ]


CASE = (elementwise14, (F64, F32, I32, BOOLS))
