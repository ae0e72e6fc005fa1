"""Runtime layer: staged functions (`jit`, `grad`, ...) compiled once per input signature.

The signature of a call is the pytree structure of its traced arguments, the type of every
leaf and the values of static arguments. A cache hit costs one key computation and one
dictionary look-up before the emitted function runs. Called on traced values (inside
another transform) a staged function records its Graph into the caller's trace instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..errors import TraceError
from ..ir import Graph, verify
from ..ir.interface import Interface, map_tree
from ..ir.passes import optimize
from ..ir.result_kinds import result_kinds
from ..tracer import BoundCall, Tracer, bind_call, trace_function
from ..tracer.context import Closure, closure_scope, find_trace
from ..tracer.pytree import flatten
from ..tracer.source import caller_location
from ..tracer.trace import AUTO_STATIC
from .cache import LRUCache
from .execution import MISS, NUMPY_EXECUTION, Execution, execution_for
from .retrace import Retraces, log_compile
from .source_text import Source
from .tracebacks import api_boundary

PYTHON_SCALARS = (bool, int, float, complex)
# Array classes keyed by shape and dtype without a pytree walk: NumPy's, and JAX's once the
# JAX backend is loaded (results of one call are often the next call's arguments).
ARRAY_TYPES: set[type] = {np.ndarray}
UNBUILT = object()


class Entry:
    """One compiled signature: the Graph, how it meets the user's signature, and the code
    (emitted and loaded on first use, so a graph only inlined is never emitted)."""

    def __init__(
        self,
        raw: Graph,
        interface: Interface,
        call: BoundCall,
        n_args: int,
        traced: bool,
        execution: Execution = NUMPY_EXECUTION,
    ):
        self.raw = raw  # as traced (and differentiated), before the optimizing passes
        with collector_paused():
            self.graph = verify(optimize(raw), check_types=False)
        self.interface = interface
        self.execution = execution  # the backend: how the code is emitted, loaded and run
        self.dynamic = tuple(call.dynamic)  # which bound arguments the emitted function takes
        # The call's positional arguments are exactly the emitted function's: no static
        # ones, defaults, *args or keywords to sort out, so a call passes them straight on.
        self.direct = len(call.values) == n_args and not call.static and not any(call.passing)
        # Built for traced arguments: calls record the graph into their trace. (Traced and
        # concrete arguments never share a cache key, so this is fixed per entry.)
        self.traced = traced
        # The arrays it reads besides its arguments and the guards on the names its code
        # reads (see tracer/capture.py); None when it reads neither.
        self.state = interface.state
        self._source: str | None = None
        self._function: Callable | None = None
        self._shortcut: Any = UNBUILT
        # The running trace's values the function closes over (a transform inside a traced
        # function, see Staged._build_entry): the graph takes them as extra inputs.
        self.closure: Closure | None = None

    @property
    def source(self) -> str:
        if self._source is None:
            with collector_paused():
                self._source = self.execution.emit(self.graph, self.interface)
        return self._source

    @property
    def raw_source(self) -> str:
        """The module of the unoptimized graph (for reading; calls run `source`)."""
        with collector_paused():
            return self.execution.emit(self.raw, self.interface)

    def shortcut(self, args: tuple) -> Callable[[tuple], Any] | None:
        """The backend's shortcut for later calls like this one (built once)."""
        if self._shortcut is UNBUILT:
            with collector_paused():
                self._shortcut = self.execution.shortcut(
                    self.function, self.graph, self.interface, args
                )
        return self._shortcut

    @property
    def function(self) -> Callable:
        if self._function is None:
            start = time.perf_counter()
            source = self.source
            with collector_paused():
                self._function = self.execution.load(source, self.graph, self.interface)
            log_compile(self.graph.name, self.execution.name, time.perf_counter() - start)
        return self._function


def leaf_key(leaf: Any) -> Any:
    if isinstance(leaf, np.ndarray):
        return (leaf.shape, leaf.dtype)
    if isinstance(leaf, PYTHON_SCALARS):
        return type(leaf)
    if isinstance(leaf, np.generic):  # not a 0-d array's key: np.imag tells them apart
        return (leaf.dtype,)
    if isinstance(leaf, Tracer):
        return leaf.ir_var.type
    if isinstance(getattr(leaf, "dtype", None), np.dtype):  # a JAX array, from an earlier call
        return (np.shape(leaf), leaf.dtype)
    return type(leaf)  # rejected with a clear message when traced


def argument_key(value: Any) -> Any:
    """The signature of one traced argument; arrays and numbers skip the pytree walk."""
    kind = type(value)
    if kind in ARRAY_TYPES:
        return (value.shape, value.dtype)
    if kind in AUTO_STATIC:  # static by value (see bind_call): True and False differ
        return (kind, value)
    if kind in PYTHON_SCALARS:
        return kind
    if kind is dict:
        # A flat dict of arrays (a model's parameters) is the common pytree: key it directly.
        key = tuple([(k, v.shape, v.dtype) for k, v in value.items() if type(v) in ARRAY_TYPES])
        if len(key) == len(value):
            return key
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


def traced_leaves(values: Sequence[Any]) -> list[Tracer]:
    leaves, _ = flatten(list(values))
    return [leaf for leaf in leaves if isinstance(leaf, Tracer)]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a graph is built. Tracing allocates
    many small objects and no cycles; left on, the collector rescans every live node again
    and again, and compile time grows quadratically with the size of the function."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def not_callable(value: Any) -> TraceError:
    """`jit(f(x))` instead of `jit(f)`: said at the user's line, before anything is traced."""
    return TraceError(
        f"tracegrad transforms a function, and was given {value!r:.60} (of type "
        f"{type(value).__name__})",
        loc=caller_location(),
        hint="pass the function itself: tracegrad.jit(f) or tracegrad.grad(f), "
        "not the result of calling it",
    )


class Staged:
    """A function turned into a Graph per input signature, and run as emitted code."""

    def __init__(
        self,
        fn: Callable,
        backend: str = "numpy",
        static_argnums: Sequence[int] = (),
        **backend_options: Any,
    ):
        if not callable(fn):
            raise not_callable(fn)
        self.execution = execution_for(backend, backend_options)
        self.backend_options = backend_options
        if isinstance(static_argnums, int):
            static_argnums = (static_argnums,)
        self.fn = fn
        self.backend = backend
        self.static_argnums = tuple(static_argnums)
        self.cache: LRUCache = LRUCache()  # signature -> Entry, least recently used out
        self.retraces = Retraces()  # the signatures traced, for the log and the warning
        # The last signature called, where the backend can check arguments faster than
        # `key` (see Execution.shortcut).
        self.shortcut: Callable[[tuple], Any] | None = None
        # Name, docstring and signature of fn, but not its __dict__ (a staged fn has a cache).
        functools.update_wrapper(self, fn, updated=())

    def __getstate__(self) -> dict[str, Any]:
        """Pickled and copied as the function and the options: compiled code stays behind
        (a copy compiles again on its first call), so pickling needs `fn` to pickle."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("execution", "shortcut")}
        state["cache"] = LRUCache(self.cache.maxsize)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.execution = execution_for(self.backend, self.backend_options)
        self.shortcut = None

    def build(self, call: BoundCall) -> tuple[Graph, Interface]:
        """The Graph of this transform for one bound call, and its Interface."""
        raise NotImplementedError

    def naming(self, name: str) -> tuple[str, str]:
        """The emitted function's name, and what its module computes, for a function `name`."""
        return name, f"`{name}`"

    def bind(self, args: tuple, kwargs: dict) -> BoundCall:
        """The call's arguments sorted into the parameters the emitted function takes."""
        return bind_call(self.fn, args, kwargs, self.static_argnums)

    @api_boundary
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.shortcut is not None and not kwargs:
            result = self.shortcut(args)
            if result is not MISS:
                return result
        entry = self.cache.get(self.key(args, kwargs))
        captured: tuple = ()
        if entry is None or entry.state is not None:  # the common hit skips the state check
            entry, captured = self._find(args, kwargs)
        if entry.direct and not kwargs:
            call_args = args
        else:
            call_args = self.dynamic_arguments(entry, args, kwargs)
        if entry.traced or entry.closure is not None:
            return self.inline(entry, call_args)
        if captured:
            return entry.function(*call_args, *captured)
        if entry.state is not None:
            return entry.function(*call_args)
        result = entry.function(*call_args)
        if self.execution.has_shortcut and entry.direct and not kwargs:
            self.shortcut = entry.shortcut(call_args)
        return result

    def dynamic_arguments(self, entry: Entry, args: tuple, kwargs: dict) -> tuple:
        """The arguments the emitted function takes, in its order."""
        if entry.direct and not kwargs:
            return args
        call = self.bind(args, kwargs)
        return tuple(call.values[i] for i in entry.dynamic)

    def inline(self, entry: Entry, call_args: tuple) -> Any:
        """Record the Graph into the trace of the traced arguments (a transform inside a
        traced function, or grad of grad)."""
        leaves, _ = flatten(list(call_args))
        if entry.closure is not None:  # the caller's values the function closes over
            at = entry.closure.position
            leaves[at:at] = entry.closure.values
        trace = find_trace(leaves)
        state = entry.state
        if state is not None:  # the caller's trace reads the same arrays, guards the same names
            root = trace.root
            root.extra_guards.extend(state.guards)
            arrays = [root.capture_input(path, path.read()) for path in state.paths]
            # They are the graph's inputs after the explicit ones (and the closure), before
            # any a transform added (a vjp's cotangents): where input_paths marks them.
            at = next(
                (i for i, (p, _) in enumerate(entry.interface.input_paths) if p < 0),
                len(entry.interface.input_paths),
            )
            at += 0 if entry.closure is None else len(entry.closure.values)
            leaves[at:at] = arrays
        outputs = trace.replay(entry.graph, leaves)
        return map_tree(entry.interface.output_tree, outputs.__getitem__)

    def lookup(self, args: tuple, kwargs: dict) -> Entry:
        return self._find(args, kwargs)[0]

    def _find(self, args: tuple, kwargs: dict) -> tuple[Entry, tuple]:
        """The entry for this call, traced again where the state it read has changed (a
        guarded name rebound, a captured array of another shape), and the captured arrays
        as they are now."""
        key = self.key(args, kwargs)
        entry = self.cache.get(key)
        for _ in range(3):  # more only if the state keeps changing under us (other threads)
            if entry is None:
                entry = self._build_entry(key, args, kwargs)
            if entry.state is None:
                return entry, ()
            captured = entry.state.read()
            if captured is not None:
                return entry, captured
            entry = None
        raise TraceError(
            f"the state {getattr(self.fn, '__name__', 'the function')} reads "
            "besides its arguments changed while it was being traced",
            loc=caller_location(),
            hint="do not change captured arrays or globals from another thread "
            "while the function is called",
        )

    def _build_entry(self, key: Any, args: tuple, kwargs: dict) -> Entry:
        """Trace and stage the function for this call's signature, cached under `key`."""
        call = self.bind(args, kwargs)
        self.retraces.record(
            getattr(self, "transform", "jit"),  # grad, jvp, ... or jit
            getattr(self.fn, "__name__", "function"),
            call,
        )
        with collector_paused(), closure_scope() as closure:
            graph, interface = self.build(call)
        traced = bool(traced_leaves(call.values))
        entry = Entry(
            verify(graph, check_types=False),
            interface,
            call,
            len(args) if not kwargs else -1,
            traced,
            self.execution,
        )
        if closure.values:
            # It reads values of the running trace: valid for this call only, never cached.
            entry.closure = closure
            return entry
        self.cache[key] = entry
        return entry

    def key(self, args: tuple, kwargs: dict) -> Any:
        if not kwargs and not self.static_argnums:
            return tuple(map(argument_key, args))
        if kwargs:
            call = self.bind(args, kwargs)
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

    @api_boundary
    def source(self, *args: Any, optimize: bool = True, **kwargs: Any) -> str:
        """The emitted module for this call signature, as text; `optimize=False` shows it
        before the optimizing passes (the raw adjoint, for a gradient)."""
        entry = self.lookup(args, kwargs)
        return Source(entry.source if optimize else entry.raw_source)

    @api_boundary
    def ir(self, *args: Any, optimize: bool = True, **kwargs: Any) -> Graph:
        """The IR Graph for this call signature (`optimize=False`: before the passes)."""
        entry = self.lookup(args, kwargs)
        return entry.graph if optimize else entry.raw

    @api_boundary
    def hlo(self, *args: Any, **kwargs: Any) -> str:
        """The StableHLO text XLA compiles for this call (backend="jax")."""
        entry = self.lookup(args, kwargs)
        call_args = self.dynamic_arguments(entry, args, kwargs)
        return self.execution.hlo(entry.function, entry.graph, call_args)

    @api_boundary
    def cost(self, *args: Any, **kwargs: Any) -> dict[str, float]:
        """XLA's cost analysis of the compiled program for this call (backend="jax"):
        'flops', 'transcendentals', 'bytes accessed' and more, as XLA reports them."""
        entry = self.lookup(args, kwargs)
        call_args = self.dynamic_arguments(entry, args, kwargs)
        return self.execution.cost(entry.function, entry.graph, call_args)

    def __repr__(self) -> str:
        kind = type(self).__name__.lower()
        return f"<tracegrad.{kind} {getattr(self.fn, '__name__', self.fn)}>"


class Compiled(Staged):
    """`jit(fn)`: the function itself, traced and emitted."""

    def build(self, call: BoundCall) -> tuple[Graph, Interface]:
        graph, interface = trace_function(self.fn, call)
        if isinstance(self.fn, Staged):  # jit(grad(f)): the module says what it computes
            name, title = self.fn.naming(graph.name)
            graph = dataclasses.replace(graph, name=name)
            interface = dataclasses.replace(interface, name=name, title=title)
        else:  # the user's own results: NumPy scalars and 0-d arrays where NumPy gives them
            interface = dataclasses.replace(interface, result_kinds=result_kinds(graph))
        return graph, interface


@api_boundary
def trace(fn: Callable, *args: Any, static_argnums: Sequence[int] = (), **kwargs: Any) -> Graph:
    """The typed IR Graph of `fn` called with these arguments (its `str` is the IR text)."""
    graph, _ = trace_function(fn, bind_call(fn, args, kwargs, static_argnums))
    return verify(graph)


@api_boundary
def jit(
    fn: Callable | None = None,
    *,
    backend: str = "numpy",
    static_argnums: Sequence[int] = (),
    device: Any = None,
    in_shardings: Any = None,
    out_shardings: Any = None,
    donate_argnums: int | Sequence[int] = (),
) -> Any:
    """Compile `fn` to generated code, per input signature. Usable as `@jit` or `@jit(...)`.

    backend="numpy" (the default) emits a NumPy module and returns NumPy values.
    backend="jax" emits a `jax.numpy` module, compiles it with `jax.jit` and returns JAX
    arrays (`np.asarray(result)` gives NumPy ones); `fn` may be `grad(f)` or
    `value_and_grad(f)`, whose whole gradient then becomes one XLA program. A function with
    float64 or int64 values runs with JAX's 64-bit mode on for its own calls only. With
    backend="jax": `device` (a jax.Device, an index into jax.devices() or a name such as
    'cpu:0') places the program on one device; `in_shardings`, `out_shardings` and
    `donate_argnums` are passed to `jax.jit`, counting the traced arguments only.
    `.hlo(*args)` shows the StableHLO XLA compiles, `.cost(*args)` its cost analysis.
    """
    options = {
        "device": device,
        "in_shardings": in_shardings,
        "out_shardings": out_shardings,
        "donate_argnums": donate_argnums,
    }
    if fn is None:
        return lambda f: Compiled(f, backend, static_argnums, **options)
    return Compiled(fn, backend, static_argnums, **options)
