"""Tracer layer: runs plain NumPy code on Tracers and records it as a Graph."""

from .markers import stop_gradient
from .trace import BoundCall, bind_call, trace_function
from .tracer import Tracer

__all__ = ["BoundCall", "Tracer", "bind_call", "stop_gradient", "trace_function"]
