"""`tracegrad.numpy`: the NumPy functions tracegrad can trace, for explicit use.

`import tracegrad.numpy as tnp; tnp.tanh(x)` works on traced and on plain values alike.
"""
# The names are those the functions registered with `@implements` (tracer/functions/).

from .tracer import inplace  # noqa: F401  (see _LEGACY)
from .tracer.context import is_captured  # noqa: F401
from .tracer.functions import registry as _registry
from .tracer.functions.ufuncs import PYTHON_NUMBERS, as_scalar_if_uniform  # noqa: F401

# Public here before the registry existed (the old list was "every name in the module"), and
# kept so that no user's import breaks: not NumPy functions, candidates for removal.
_LEGACY = ("PYTHON_NUMBERS", "as_scalar_if_uniform", "inplace", "is_captured")

globals().update(_registry.NAMES)

__all__ = sorted([*_registry.NAMES, *_LEGACY])
