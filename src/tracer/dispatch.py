"""Tracer layer: NumPy's protocol hooks land here, routed by two tables.

`UFUNCS` maps each NumPy ufunc to its tracing function and `FUNCTIONS` each NumPy function
(`np.sum`, `np.einsum`, ...); both are filled by `@implements` (functions/registry.py).
Anything missing gets an error that names it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import TraceError
from . import inplace, writes
from .functions import as_array, reductions, registry, type_of
from .source import caller_location
from .unsupported import function_error

# The registry's own tables (filled by @implements as tracer/functions/ is imported), named
# here as the routes: one dict get per NumPy call on a Tracer.
UFUNCS: dict[np.ufunc, Callable] = registry.UFUNCS
FUNCTIONS: dict[Callable, Callable] = registry.FUNCTIONS

# The ufuncs whose primitives follow Python's arithmetic when every operand is a Python
# scalar (the operators: `x + y`, `-x`, `x < y`, ...).
PYTHON_OPERATORS = frozenset(
    {
        np.negative,
        np.absolute,
        np.add,
        np.subtract,
        np.multiply,
        np.divide,
        np.floor_divide,
        np.remainder,
        np.power,
        np.equal,
        np.not_equal,
        np.less,
        np.less_equal,
        np.greater,
        np.greater_equal,
    }
)


def ufunc_name(ufunc: np.ufunc) -> str:
    """`np.tanh`, or `scipy.special.erf` for a ufunc NumPy does not have (ufuncs carry no
    __module__: look for the ufunc where users import them from)."""
    name = ufunc.__name__
    if getattr(np, name, None) is ufunc:
        return f"np.{name}"
    special = sys.modules.get("scipy.special")
    if special is not None and getattr(special, name, None) is ufunc:
        return f"scipy.special.{name}"
    return f"the ufunc {name}"


def public_name(fn: Any) -> str:
    if isinstance(fn, np.ufunc):
        return ufunc_name(fn)
    module = getattr(fn, "__module__", None) or "numpy"
    module = "np" + module.removeprefix("numpy") if module.startswith("numpy") else module
    module = "np" if module.startswith("np._core") or module == "np.core" else module
    return f"{module}.{getattr(fn, '__name__', fn)}"


def check_ufunc_keywords(ufunc: np.ufunc, kwargs: dict) -> None:
    """A traced ufunc call takes no keyword but None ones: `out=` would write into an
    array, and the others (where=, dtype=, casting=...) have no rule."""
    for name, value in kwargs.items():
        if name == "out" and value is not None:
            raise inplace.out_refused(ufunc)
        if value is not None and name != "out":
            raise TraceError(
                f"{ufunc_name(ufunc)}(..., {name}=...) is not supported",
                loc=caller_location(),
                hint="remove the keyword argument",
            )


def apply_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    if method == "reduce" and ufunc is np.add:
        return reductions.sum(inputs[0], **{"axis": 0, **kwargs})  # sum refuses what it cannot do
    if method == "at":
        return writes.ufunc_at(ufunc, *inputs)
    if method == "__call__" and kwargs.get("out") is not None:
        return writes.into_out(ufunc, inputs, kwargs)
    if method != "__call__":
        raise TraceError(
            f"{ufunc_name(ufunc)}.{method} is not supported on traced values",
            loc=caller_location(),
            hint="call the ufunc itself, or a reduction such as np.sum",
        )
    if kwargs:
        check_ufunc_keywords(ufunc, kwargs)
    function = UFUNCS.get(ufunc)
    if function is None:
        raise TraceError(
            f"{ufunc_name(ufunc)} has no tracing rule in tracegrad",
            loc=caller_location(),
            hint="write it with the supported functions (see tracegrad.numpy), "
            "or open an issue asking for it",
        )
    if ufunc in PYTHON_OPERATORS and all(type_of(x).weak for x in inputs):
        # On Python scalars alone a ufunc computes with NumPy's types (np.add(True, True) is
        # np.True_), not Python's (True + True is 2), and returns a NumPy scalar. (The other
        # ufuncs already type Python scalars as NumPy does.)
        inputs = tuple(as_array(x) for x in inputs)
    return function(*inputs)


def apply_function(func: Callable, args: tuple, kwargs: dict) -> Any:
    function = FUNCTIONS.get(func)
    if function is None:
        known = function_error(getattr(func, "__name__", ""))  # np.sort, np.copyto, ...
        if known is not None:
            raise known
        raise TraceError(
            f"{public_name(func)} has no tracing rule in tracegrad",
            loc=caller_location(),
            hint="write it with the supported functions (see tracegrad.numpy), "
            "or open an issue asking for it",
        )
    return function(*args, **kwargs)
