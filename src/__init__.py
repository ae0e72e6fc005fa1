"""tracegrad: trace plain NumPy functions into a typed IR, differentiate it, and emit readable
code for the function and its gradient.

The public API, and only the public API, lives here.
"""

from . import numpy
from .errors import BackendError, IRError, TraceError, TracegradError, TypeRuleError
from .ir import Graph, TensorType, parse_graph, verify
from .runtime import (
    Compiled,
    Gradient,
    GradientCheckError,
    check_grads,
    explain,
    grad,
    jit,
    trace,
    value_and_grad,
    vjp,
)

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "Compiled",
    "Gradient",
    "GradientCheckError",
    "Graph",
    "IRError",
    "TensorType",
    "TraceError",
    "TracegradError",
    "TypeRuleError",
    "check_grads",
    "explain",
    "grad",
    "jit",
    "numpy",
    "parse_graph",
    "trace",
    "value_and_grad",
    "verify",
    "vjp",
]
