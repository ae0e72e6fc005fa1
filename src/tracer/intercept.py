"""Tracer layer: while a trace runs, the NumPy entry points no protocol reaches are replaced
by thin wrappers that trace when they meet a traced value.

Wrapped: `numpy.array`, `numpy.asarray`, `numpy.asanyarray` (NumPy asks each Tracer in
`np.array([a, b])` for its value through __array__), `numpy.r_` and `numpy.c_` (objects
indexed, not functions), Python's `max`, `min` and `sum` (they compare with `>` and add
one item at a time), and every traced NumPy function, for a call with traced values inside a
list where NumPy takes an array (`np.mean([a, b])`: NumPy's protocol does not look there).
A wrapper looks for a Tracer in its arguments (a few isinstance checks for an array, a walk
over a list) and calls the original exactly when it finds none, or when its caller is
tracegrad's or NumPy's own code (which relies on NumPy's behaviour).

Why the modules' attributes and not the traced function's globals: every spelling that looks
the name up when it runs is reached (`np.array`, `numpy.asarray`, a helper module's, a
library's), while rewriting globals would miss the helpers the function calls, would have to
rebind `np` to a proxy module (breaking `np is numpy` and the capture of globals) and would
write into the user's modules. A name bound before the trace (`from numpy import array`)
keeps NumPy's function, and meets the Tracer's __array__ error, which says what to write.

They are installed when the first trace starts running user code and restored, in a
`finally`, when the last one stops (a count: nested traces and threads share one
installation; another thread meanwhile gets the original's results, through the wrapper).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import inspect
import linecache
import sys
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np

from . import buffers, functions, python_builtins
from .concatenators import Concatenator
from .context import find_trace
from .source import internal
from .tracer import Tracer

NUMPY_FUNCTIONS = ("array", "asarray", "asanyarray")
# What they make from the user's code is a Buffer (buffers.py): writable with traced values.
CREATORS = (
    "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "eye", "identity", "copy", "arange", "linspace",
)  # fmt: skip
NUMPY_OBJECTS = ("r_", "c_")
BUILTINS = ("max", "min", "sum")


def from_inside() -> bool:
    """True when the wrapper's caller is tracegrad's or NumPy's own code."""
    return internal(sys._getframe(2).f_code.co_filename)


def holds_tracer(args: tuple, kwargs: dict) -> bool:
    return find_trace(args) is not None or bool(kwargs and find_trace(list(kwargs.values())))


def numpy_function(original: Callable, traced: Callable) -> Callable:
    made = buffers.made if original is np.array else None

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if from_inside():
            return original(*args, **kwargs)
        if not holds_tracer(args, kwargs):
            value = original(*args, **kwargs)
            if made is not None and called_by_name(sys._getframe(1), "array"):
                return made(value)
            return value
        return traced(*args, **kwargs)

    return wrapper


def creator(original: Callable) -> Callable:
    """np.zeros and the like, from the user's code: the array as a Buffer."""
    name = original.__name__

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        return buffers.made(result) if called_by_name(sys._getframe(1), name) else result

    return wrapper


def called_by_name(frame: types.FrameType, name: str) -> bool:
    """Whether the call running in `frame` is the user's own `np.<name>(...)`. Compiled code
    (NumPy's random module, SciPy's Cython) calls np.empty through the module without a frame
    of its own: the frame is then the user's, but its call is another function's, and such
    code must get a plain ndarray."""
    if internal(frame.f_code.co_filename):
        return False
    return callee_name(frame.f_code, frame.f_lasti) == name


@functools.lru_cache(maxsize=4096)
def callee_name(code: types.CodeType, offset: int) -> str | None:
    """The name called by the call instruction at `offset` of `code` (`zeros` for
    `np.zeros(3)`), read from the source text of that instruction's position."""
    positions = list(code.co_positions())
    start, end, column, end_column = positions[offset // 2]
    if None in (start, end, column, end_column):
        return None
    lines = linecache.getlines(code.co_filename)[start - 1 : end]
    if not lines:
        return None
    lines[-1] = lines[-1][:end_column]
    lines[0] = lines[0][column:]
    try:
        call = ast.parse("".join(lines).strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(call, ast.Call):
        return None
    function = call.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)


# The parameter names NumPy gives an array-like operand (a list there is one array); a
# sequence of arrays (`arrays`, `tup`) is NumPy's to read, and its protocol sees inside it.
ARRAY_LIKE = frozenset(
    {"a", "x", "x1", "x2", "m", "v", "y", "ary", "arr", "array", "values", "weights"}
)


def listed_function(original: Callable, traced: Callable) -> Callable:
    """A NumPy function tracegrad traces, for a call that passes traced values inside a list
    where NumPy takes one array (`np.mean([a, b])`): NumPy's protocol does not look into that
    list, so NumPy's own code would meet the Tracers' __array__. The list becomes the array
    np.array would make of it; any other call goes to the original."""
    try:
        names = list(inspect.signature(original).parameters)
    except (TypeError, ValueError):
        return original

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        converted = [as_one_array(arg, name) for arg, name in zip(args, names, strict=False)]
        if all(new is old for new, old in zip(converted, args, strict=False)) or from_inside():
            return original(*args, **kwargs)
        return traced(*converted, *args[len(converted) :], **kwargs)

    return wrapper


def as_one_array(arg: Any, name: str) -> Any:
    if type(arg) in (list, tuple) and name in ARRAY_LIKE and find_trace(arg) is not None:
        return functions.array(arg)
    return arg


def listed_functions() -> list[tuple[Any, str, Callable[[Any], Any]]]:
    """(namespace, name, wrapper) for every registered function NumPy's namespaces name."""
    found = []
    for space in (np, np.linalg, *special_namespaces()):
        wrap = listed_function if space.__name__.startswith("numpy") else scipy_function
        for name in sorted(vars(space)):
            candidate = vars(space)[name]
            traced = functions.registry.FUNCTIONS.get(candidate) if callable(candidate) else None
            if traced is not None and not (space is np and name in NUMPY_FUNCTIONS + CREATORS):
                found.append((space, name, functools.partial(wrap, traced=traced)))
    return found


def scipy_function(original: Callable, traced: Callable) -> Callable:
    """A SciPy function tracegrad traces: SciPy's own code converts its operands with
    np.asarray, reading no protocol, so a call with a traced value goes to the tracing
    version."""

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if find_trace([args, list(kwargs.values())]) is None or from_inside():
            return original(*args, **kwargs)
        return traced(*args, **kwargs)

    return wrapper


def special_namespaces() -> tuple[types.ModuleType, ...]:
    """scipy.special and scipy.linalg, where SciPy is installed: their functions that are
    not ufuncs (polygamma, logsumexp, solve_triangular) read no protocol."""
    from ..ir.primitives import scipy_linalg, special

    if special.scipy_special is None:
        return ()
    return (special.scipy_special, scipy_linalg.scipy_linalg)


def builtin_extreme(original: Callable) -> Callable:
    name = original.__name__

    @functools.wraps(original)
    def wrapper(*args, key=None, default=python_builtins.NO_DEFAULT):
        if len(args) == 1 and type(args[0]) is types.GeneratorType:
            args = (list(args[0]),)  # `max(f(v) for v in values)`: looked at once, kept
        if python_builtins.operands_of(name, args) is None or from_inside():
            if default is python_builtins.NO_DEFAULT:
                return original(*args, key=key)
            return original(*args, key=key, default=default)
        return python_builtins.extreme(name, args, key, default)

    return wrapper


def builtin_sum(original: Callable) -> Callable:
    @functools.wraps(original)
    def wrapper(iterable, /, start=0):
        if type(iterable) is Tracer and iterable.ndim > 0 and not from_inside():
            return python_builtins.total(iterable, start)
        return original(iterable, start)

    return wrapper


def replacements() -> list[tuple[Any, str, Callable[[Any], Any]]]:
    """(namespace, name, the wrapper made from the value there)."""
    wrap_numpy = [
        (np, name, functools.partial(numpy_function, traced=getattr(functions, name)))
        for name in NUMPY_FUNCTIONS
    ]
    return [
        *wrap_numpy,
        *((np, name, Concatenator) for name in NUMPY_OBJECTS),
        *((np, name, creator) for name in CREATORS),
        (builtins, "max", builtin_extreme),
        (builtins, "min", builtin_extreme),
        (builtins, "sum", builtin_sum),
        *listed_functions(),
    ]


class Installation:
    """How many traces are running user code, and what the wrappers replaced."""

    lock = threading.Lock()
    count = 0
    saved: ClassVar[list[tuple[Any, str, Any]]] = []


def install() -> None:
    Installation.saved = [(space, name, getattr(space, name)) for space, name, _ in REPLACE]
    for (space, name, make), (_, _, original) in zip(REPLACE, Installation.saved, strict=True):
        setattr(space, name, make(original))


def restore() -> None:
    for space, name, original in Installation.saved:
        setattr(space, name, original)
    Installation.saved = []


@contextlib.contextmanager
def active() -> Iterator[None]:
    """The wrappers in place while the body runs (user code under a trace)."""
    with Installation.lock:
        if Installation.count == 0:
            install()
        Installation.count += 1
    try:
        yield
    finally:
        with Installation.lock:
            Installation.count -= 1
            if Installation.count == 0:
                restore()


REPLACE = replacements()
