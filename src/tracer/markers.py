"""Tracer layer: `stop_gradient`, which the user calls to make a value a constant to
differentiation (as `jax.lax.stop_gradient`)."""

from __future__ import annotations

from typing import Any

from ..ir.primitives import markers
from .context import find_trace
from .pytree import flatten, unflatten


def stop_gradient(x: Any) -> Any:
    """`x` itself (any pytree of arrays), with no derivative flowing through it: grad, jvp
    and their compositions treat it as a constant. Outside tracing it returns `x`."""
    leaves, treedef = flatten(x)
    stopped = []
    for leaf in leaves:
        trace = find_trace([leaf])
        stopped.append(leaf if trace is None else trace.bind(markers.stop_gradient, [leaf]))
    return unflatten(treedef, stopped)
