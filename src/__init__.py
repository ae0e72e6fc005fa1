"""tracegrad: trace plain NumPy functions into a typed IR and emit readable code for them.

The public API, and only the public API, lives here.
"""

from . import numpy
from .errors import BackendError, IRError, TraceError, TracegradError, TypeRuleError
from .ir import Graph, TensorType, parse_graph, verify
from .runtime import Compiled, Gradient, grad, jit, trace, value_and_grad

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "Compiled",
    "Gradient",
    "Graph",
    "IRError",
    "TensorType",
    "TraceError",
    "TracegradError",
    "TypeRuleError",
    "grad",
    "jit",
    "numpy",
    "parse_graph",
    "trace",
    "value_and_grad",
    "verify",
]
