"""tracegrad: trace plain NumPy functions into a typed IR, differentiate it, and emit readable
code for the function and its gradient.

The public API, and only the public API, lives here.
"""

from . import numpy
from .errors import (
    BackendError,
    IRError,
    TraceError,
    TracegradError,
    TracegradWarning,
    TypeRuleError,
)
from .ir import Graph, TensorType, parse_graph, verify
from .runtime import (
    HVP,
    JVP,
    Compiled,
    Gradient,
    GradientCheckError,
    Jacobian,
    Source,
    check_grads,
    explain,
    export,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacrev,
    jit,
    jvp,
    trace,
    value_and_grad,
    vjp,
)
from .tracer import cond, custom_vjp, fori_loop, scan, stop_gradient, while_loop

__version__ = "0.1.0"

__all__ = [
    "HVP",
    "JVP",
    "BackendError",
    "Compiled",
    "Gradient",
    "GradientCheckError",
    "Graph",
    "IRError",
    "Jacobian",
    "Source",
    "TensorType",
    "TraceError",
    "TracegradError",
    "TracegradWarning",
    "TypeRuleError",
    "check_grads",
    "cond",
    "custom_vjp",
    "explain",
    "export",
    "fori_loop",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacrev",
    "jit",
    "jvp",
    "numpy",
    "parse_graph",
    "scan",
    "stop_gradient",
    "trace",
    "value_and_grad",
    "verify",
    "vjp",
    "while_loop",
]
