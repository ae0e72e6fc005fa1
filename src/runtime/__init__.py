"""Runtime layer: compile, cache and run generated code."""

from .compiled import Compiled, Staged, jit, trace
from .gradients import Gradient, grad, value_and_grad

__all__ = ["Compiled", "Gradient", "Staged", "grad", "jit", "trace", "value_and_grad"]
