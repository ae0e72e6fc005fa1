"""Runtime layer: `jit` and `trace`, with compiled code cached per input signature.

The signature of a call is the pytree structure of its traced arguments, the type of every
leaf and the values of static arguments. A cache hit costs one key computation and one
dictionary look-up before the emitted function runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..codegen.numpy import emit_numpy
from ..errors import TraceError
from ..ir import Graph, verify
from ..ir.interface import Interface
from ..tracer import bind_call, trace_function
from ..tracer.pytree import flatten
from ..tracer.source import caller_location
from .loader import load_function

BACKENDS = ("numpy",)
PYTHON_SCALARS = (bool, int, float, complex)


@dataclass(frozen=True, slots=True)
class Entry:
    """One compiled signature: the Graph, how it meets the user's signature, the code."""

    graph: Graph
    interface: Interface
    source: str
    function: Callable
    dynamic: tuple[int, ...]  # which bound arguments the emitted function takes


def leaf_key(leaf: Any) -> Any:
    if isinstance(leaf, np.ndarray):
        return (leaf.shape, leaf.dtype)
    if isinstance(leaf, PYTHON_SCALARS):
        return type(leaf)
    if isinstance(leaf, np.generic):
        return ((), leaf.dtype)
    return type(leaf)  # rejected with a clear message when traced


def argument_key(value: Any) -> Any:
    """The signature of one traced argument; arrays and numbers skip the pytree walk."""
    kind = type(value)
    if kind is np.ndarray:
        return (value.shape, value.dtype)
    if kind in PYTHON_SCALARS:
        return kind
    leaves, treedef = flatten(value)
    return (treedef, tuple(map(leaf_key, leaves)))


def static_key(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        raise TraceError(
            f"a static argument must be hashable, got a {type(value).__name__}",
            loc=caller_location(),
            hint="pass a tuple instead of a list, or make the argument traced",
        ) from None
    return (type(value), value)


def trace(fn: Callable, *args: Any, static_argnums: Sequence[int] = (), **kwargs: Any) -> Graph:
    """The typed IR Graph of `fn` called with these arguments (its `str` is the IR text)."""
    graph, _ = trace_function(fn, bind_call(fn, args, kwargs, static_argnums))
    return verify(graph)


class Compiled:
    """`fn` traced and emitted once per input signature, then called as generated code."""

    def __init__(self, fn: Callable, backend: str = "numpy", static_argnums: Sequence[int] = ()):
        if backend not in BACKENDS:
            raise ValueError(
                f"unknown backend {backend!r}; choose one of {', '.join(map(repr, BACKENDS))}"
            )
        if isinstance(static_argnums, int):
            static_argnums = (static_argnums,)
        self.fn = fn
        self.backend = backend
        self.static_argnums = tuple(static_argnums)
        self.cache: dict[Any, Entry] = {}
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        entry = self.lookup(args, kwargs)
        call_args = args if not kwargs and len(entry.dynamic) == len(args) else None
        if call_args is None:
            call = bind_call(self.fn, args, kwargs, self.static_argnums)
            call_args = tuple(call.values[i] for i in entry.dynamic)
        return entry.function(*call_args)

    def lookup(self, args: tuple, kwargs: dict) -> Entry:
        key = self.key(args, kwargs)
        entry = self.cache.get(key)
        if entry is None:
            entry = self.cache[key] = self.compile(args, kwargs)
        return entry

    def key(self, args: tuple, kwargs: dict) -> Any:
        if kwargs:
            call = bind_call(self.fn, args, kwargs, self.static_argnums)
            values, static = call.values, call.static
        else:
            values = args
            static = {i % len(args) for i in self.static_argnums if -len(args) <= i < len(args)}
        if not static:
            return (tuple(map(argument_key, values)), tuple(kwargs))
        parts = tuple(
            static_key(value) if i in static else argument_key(value)
            for i, value in enumerate(values)
        )
        return (parts, tuple(kwargs))

    def compile(self, args: tuple, kwargs: dict) -> Entry:
        call = bind_call(self.fn, args, kwargs, self.static_argnums)
        graph, interface = trace_function(self.fn, call)
        verify(graph)
        source = emit_numpy(graph, interface)
        function = load_function(source, graph.name if graph.name.isidentifier() else "function")
        return Entry(graph, interface, source, function, tuple(call.dynamic))

    def source(self, *args: Any, **kwargs: Any) -> str:
        """The emitted module for this call signature, as text."""
        return self.lookup(args, kwargs).source

    def ir(self, *args: Any, **kwargs: Any) -> Graph:
        """The IR Graph for this call signature."""
        return self.lookup(args, kwargs).graph

    def __repr__(self) -> str:
        return f"<tracegrad.jit {getattr(self.fn, '__name__', self.fn)} backend={self.backend}>"


def jit(
    fn: Callable | None = None, *, backend: str = "numpy", static_argnums: Sequence[int] = ()
) -> Any:
    """Compile `fn` to generated code, per input signature. Usable as `@jit` or `@jit(...)`."""
    if fn is None:
        return lambda f: Compiled(f, backend, static_argnums)
    return Compiled(fn, backend, static_argnums)
