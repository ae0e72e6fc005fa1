"""Tracer layer: Python's built-in max, min and sum given traced values.

Python's max compares with `>`, which needs a concrete value; here `max(a, b)` of traced
numbers is np.maximum (its derivative splits a tie as np.maximum's does), `max(x)` of a
traced vector is np.max(x, axis=0), and `sum(x)` is np.sum(x, axis=0). tracer/intercept.py
puts `extreme` and `total` in place of the built-ins while a trace runs. (`abs(x)` needs
nothing: it is the Tracer's __abs__.)
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from ..errors import TraceError
from . import functions
from .source import caller_location
from .tracer import Tracer

NO_DEFAULT = object()


def builtin_error(name: str, problem: str, hint: str) -> TraceError:
    return TraceError(f"{name}(): {problem}", loc=caller_location(), hint=hint)


def operands_of(name: str, args: tuple) -> list | None:
    """The values `max(...)` compares, when some are traced (None when none is): the
    arguments, or the items of its one argument."""
    items = args[0] if len(args) == 1 else args
    if isinstance(items, Tracer):
        return [items]
    if not isinstance(items, list | tuple):
        return None
    return list(items) if builtins.any(isinstance(x, Tracer) for x in items) else None


def extreme(name: str, args: tuple, key: Any, default: Any) -> Any:
    """`max(...)` / `min(...)` (`name`) over `args` holding a traced value."""
    reduction = {"max": functions.max, "min": functions.min}[name]
    pairwise = {"max": functions.maximum, "min": functions.minimum}[name]
    if key is not None or default is not NO_DEFAULT:
        which = "key=" if key is not None else "default="
        raise builtin_error(
            name,
            f"{which} with traced values needs the values themselves",
            f"compare arrays with np.{name}imum(a, b) or np.{name}(x, axis=0); pick by a key "
            f"with np.where(key_a > key_b, a, b)",
        )
    operands = operands_of(name, args)
    if len(args) == 1 and isinstance(args[0], Tracer):
        return over_first_axis(name, args[0], reduction)
    if len(operands) == 1:
        return operands[0]  # nothing to compare: Python hands the one item back
    shapes = {functions.type_of(x).shape for x in operands}
    if len(shapes) != 1 or functions.type_of(operands[0]).size != 1:
        raise builtin_error(
            name,
            f"comparing values of shapes {sorted(shapes)}: Python's {name} needs single "
            "numbers (NumPy raises ValueError for arrays)",
            f"use np.{name}imum(a, b) for the elementwise {name}imum",
        )
    result = operands[0]
    for operand in operands[1:]:
        result = pairwise(result, operand)
    return result


def over_first_axis(name: str, x: Tracer, reduction: Callable) -> Any:
    """`max(x)` iterates over x's first axis: for a vector, its largest element."""
    if x.ndim == 0 or x.shape[0] == 0:
        raise builtin_error(
            name,
            "a 0-d value cannot be iterated" if x.ndim == 0 else "the sequence is empty",
            f"use np.{name}(x) on a value with elements",
        )
    if x.ndim > 1 and x.shape[0] > 1:
        raise builtin_error(
            name,
            f"over the rows of a {x.ndim}-d value: Python compares whole rows (NumPy raises "
            "ValueError)",
            f"use np.{name}(x, axis=0) for the elementwise {name}imum over the rows",
        )
    return reduction(x, axis=0)


def total(x: Tracer, start: Any) -> Any:
    """`sum(x, start)` of a traced array: the sum over its first axis, in x's own dtype for
    integers (as Python's repeated `+` computes it)."""
    if x.shape[0] == 0:
        return start
    kind = x.dtype.kind
    result = functions.sum(x, axis=0, dtype=x.dtype if kind in "iu" else None)
    no_start = type(start) is int and start == 0
    return result if no_start else functions.add(start, result)
