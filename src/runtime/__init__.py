"""Runtime layer: compile, cache and run generated code."""

from .check import GradientCheck, GradientCheckError, check_grads
from .compiled import Compiled, Staged, jit, trace
from .explain import explain
from .export import export
from .forward import HVP, JVP, Jacobian, hessian, hvp, jacfwd, jacrev, jvp
from .gradients import Gradient, grad, value_and_grad, vjp
from .source_text import Source

__all__ = [
    "HVP",
    "JVP",
    "Compiled",
    "Gradient",
    "GradientCheck",
    "GradientCheckError",
    "Jacobian",
    "Source",
    "Staged",
    "check_grads",
    "explain",
    "export",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacrev",
    "jit",
    "jvp",
    "trace",
    "value_and_grad",
    "vjp",
]
