"""Runtime layer: compile, cache and run generated code."""

from .check import GradientCheck, GradientCheckError, check_grads
from .compiled import Compiled, Staged, jit, trace
from .explain import explain
from .gradients import Gradient, grad, value_and_grad, vjp

__all__ = [
    "Compiled",
    "Gradient",
    "GradientCheck",
    "GradientCheckError",
    "Staged",
    "check_grads",
    "explain",
    "grad",
    "jit",
    "trace",
    "value_and_grad",
    "vjp",
]
