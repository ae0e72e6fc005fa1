"""Tracer layer: complex values are refused until they are supported properly.

The type rules accept complex dtypes, but several derivative rules and emitted reductions
treat values as real (the norm and variance of a complex array, the sign in `abs`'s JVP),
which would give wrong numbers silently. Every argument and every value made while tracing
becomes a Tracer, so the Tracer's constructor is the one place that sees them all.
"""

from __future__ import annotations

from ..errors import TraceError
from ..ir import TensorType
from .source import caller_location

COMPLEX_HINT = (
    "complex numbers come in a later version of tracegrad; until then keep values real "
    "(carry the real and imaginary parts as two real arrays)"
)


def is_complex(type_: TensorType) -> bool:
    return type_.dtype.kind == "c"


def complex_value_error(type_: TensorType, what: str = "a value computed here") -> TraceError:
    return TraceError(
        f"{what} is complex ({type_}), and tracegrad does not support complex values yet "
        "(its results would be wrong)",
        loc=caller_location(),
        hint=COMPLEX_HINT,
    )
