"""Runtime layer: compile, cache and run generated code."""

from .compiled import Compiled, jit, trace

__all__ = ["Compiled", "jit", "trace"]
