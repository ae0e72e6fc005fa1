"""Runtime layer: retracing made visible. Each trace and compile of a staged function is
logged, with its signature and why it was traced, and a function traced for more than
RETRACE_LIMIT signatures gets one TracegradWarning naming the argument that keeps changing
(a static flag or a shape that changes every step recompiles every step).

The log is Python's own `logging`, on the logger "tracegrad": records are DEBUG, so they are
silent until asked for, with `logging.getLogger("tracegrad").setLevel(logging.DEBUG)` and a
handler, or with the environment variable TRACEGRAD_LOG_COMPILES=1, which raises them to
WARNING so Python prints them with no logging set up (as JAX's jax_log_compiles). No new
Python API: the logger's name and one variable.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

import numpy as np

from ..errors import TracegradWarning
from ..ir import TensorType
from ..ir.types import supported_dtype
from ..tracer import BoundCall, Tracer
from ..tracer.pytree import flatten, leaf_paths
from ..tracer.source import caller_location
from ..tracer.trace import path_text

logger = logging.getLogger("tracegrad")
LOG_VARIABLE = "TRACEGRAD_LOG_COMPILES"
# As torch.compile's recompile limit: more signatures than this for one function is a sign
# of an argument that should be traced (or padded to fewer shapes), not a workload.
RETRACE_LIMIT = 8
KEPT = 64  # signatures remembered per function, to say what changes (the count goes on)


def log_level() -> int:
    return logging.WARNING if os.environ.get(LOG_VARIABLE, "") not in ("", "0") else (logging.DEBUG)


def leaf_text(leaf: Any) -> str:
    if isinstance(leaf, Tracer):
        return str(leaf.ir_var.type)
    dtype = getattr(leaf, "dtype", None)
    if isinstance(dtype, np.dtype):
        if supported_dtype(dtype):
            return str(TensorType(np.shape(leaf), dtype))  # f64[3], as the IR prints it
        return f"{dtype.name}{list(np.shape(leaf))}"
    return type(leaf).__name__  # a Python number: traced by its type, not its value


def signature_of(call: BoundCall) -> dict[str, tuple[bool, str]]:
    """Each argument (each leaf of a container) -> (static, what the cache key holds of it)."""
    signature: dict[str, tuple[bool, str]] = {}
    for i, (name, value) in enumerate(zip(call.names, call.values, strict=True)):
        if i in call.static:
            text = repr(value)
            signature[name] = (True, text if len(text) <= 40 else text[:37] + "...")
            continue
        leaves, treedef = flatten(value)
        for path, leaf in zip(leaf_paths(treedef), leaves, strict=True):
            signature[path_text(name, path)] = (False, leaf_text(leaf))
    return signature


def signature_text(name: str, signature: dict[str, tuple[bool, str]]) -> str:
    """`loss(w: f64[3], train=True)`: traced arguments by type, static ones by value."""
    parts = [f"{k}={v}" if static else f"{k}: {v}" for k, (static, v) in signature.items()]
    return f"{name}({', '.join(parts)})"


def change(key: str, new: tuple[bool, str] | None, old: tuple[bool, str] | None) -> str:
    if old is None:
        return f"new argument `{key}`"
    if new is None:
        return f"argument `{key}` no longer passed"
    if new[0]:
        return f"new value of static argument `{key}` ({new[1]}, was {old[1]})"
    return f"new shape or dtype of argument `{key}` ({new[1]}, was {old[1]})"


class Retraces:
    """The signatures one staged function has been traced for."""

    def __init__(self) -> None:
        self.seen: list[dict[str, tuple[bool, str]]] = []
        self.count = 0
        self.warned = False

    def record(self, kind: str, name: str, call: BoundCall) -> None:
        """Called on each cache miss, before tracing: `kind` is the transform (jit, grad...)."""
        signature = signature_of(call)
        level = log_level()
        if logger.isEnabledFor(level):
            logger.log(
                level,
                "tracing %s %s: %s",
                kind,
                signature_text(name, signature),
                self.reason(signature),
            )
        self.seen = [*self.seen[-(KEPT - 1) :], signature]
        self.count += 1
        if self.count > RETRACE_LIMIT and not self.warned:
            self.warned = True
            self.warn(f"{kind} of `{name}`")

    def reason(self, signature: dict[str, tuple[bool, str]]) -> str:
        if not self.seen:
            return "first call"
        last = self.seen[-1]
        keys = [*signature, *(k for k in last if k not in signature)]
        changes = [
            change(k, signature.get(k), last.get(k))
            for k in keys
            if signature.get(k) != last.get(k)
        ]
        return "; ".join(changes) or "a signature traced before (no longer cached)"

    def warn(self, name: str) -> None:
        keys = {k for signature in self.seen for k in signature}
        values = {k: {s[k] for s in self.seen if k in s} for k in keys}
        key = max(sorted(keys), key=lambda k: len(values[k]))
        static = any(s for s, _ in values[key])
        kind = "values" if static else "shapes or dtypes"
        shown = ", ".join(sorted(v for _, v in values[key])[:4])
        hint = (
            (
                "if it changes from call to call, pass it as an array or a float, which is "
                "traced, instead of a static value"
            )
            if static
            else ("pad or bucket it to a few fixed shapes")
        )
        message = (
            f"{name} has been traced for {self.count} signatures (more than "
            f"{RETRACE_LIMIT}), and each one is traced and compiled again: argument "
            f"`{key}` has taken {len(values[key])} different {kind} ({shown}, ...)\n"
            f"Instead: {hint}"
        )
        loc = caller_location()
        if loc is None:
            warnings.warn(message, TracegradWarning, stacklevel=2)
        else:
            warnings.warn_explicit(message, TracegradWarning, loc.file, loc.line)


def log_compile(name: str, backend: str, seconds: float) -> None:
    level = log_level()
    if logger.isEnabledFor(level):
        logger.log(level, "compiled %s for the %s backend in %.1f ms", name, backend, seconds * 1e3)
