"""Tracer layer: runs plain NumPy code on Tracers and records it as a Graph."""
# ruff: noqa: I001  (the Tracer class first: the modules after it build on it)

from .tracer import Tracer
from .control import cond, fori_loop, scan, while_loop
from .custom import custom_vjp
from .markers import stop_gradient
from .trace import BoundCall, bind_call, trace_function

__all__ = [
    "BoundCall",
    "Tracer",
    "bind_call",
    "cond",
    "custom_vjp",
    "fori_loop",
    "scan",
    "stop_gradient",
    "trace_function",
    "while_loop",
]
