"""Runtime layer: how a backend turns a compiled signature's Graph into a function: emit the
module, load it and, for JAX, hand it to `jax.jit`. `import tracegrad` never imports jax:
the JAX execution is imported when a function first asks for `backend="jax"`.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import numpy as np

from ..codegen.numpy import emit_numpy
from ..codegen.python_floats import emit_python_floats, python_floats_fit
from ..errors import BackendError, IndexOutOfBoundsError, LinAlgError, TracegradError
from ..ir import Graph, Node, Var
from ..ir.interface import Interface
from ..tracer.source import caller_location
from .loader import load_function

BACKENDS = ("numpy", "jax")

# What a shortcut returns for a call it cannot run (see Execution.shortcut).
MISS = object()

# jit's options for the JAX backend, and the values that leave them unset.
JAX_OPTIONS: dict[str, Any] = {
    "device": None, "in_shardings": None, "out_shardings": None, "donate_argnums": (),
}  # fmt: skip


class Execution(Protocol):
    name: str
    has_shortcut: bool  # whether `shortcut` can return one (the call path skips it if not)

    def emit(self, graph: Graph, interface: Interface) -> str:
        """The module's source text."""

    def load(self, source: str, graph: Graph, interface: Interface) -> Callable:
        """The function a call runs, from the module's source."""

    def shortcut(
        self, function: Callable, graph: Graph, interface: Interface, args: tuple
    ) -> Callable[[tuple], Any] | None:
        """Optional: a way to run later calls of this signature that checks the arguments
        itself, faster than tracegrad's cache key; it returns MISS for a call that does not
        fit, and the call then takes the cache. Asked only of backends with has_shortcut;
        NumPy has none (the cache key is the cheapest check it has)."""

    def hlo(self, function: Callable, graph: Graph, args: tuple) -> str:
        """The program XLA compiles for these arguments, as StableHLO text."""

    def cost(self, function: Callable, graph: Graph, args: tuple) -> dict[str, float]:
        """XLA's cost analysis of that program."""


def as_numpy_scalar(value: Any) -> Any:
    return np.float64(value) if type(value) is float else value


class NumPyExecution:
    """The emitted NumPy function runs as it is."""

    name = "numpy"
    has_shortcut = False

    def emit(self, graph: Graph, interface: Interface) -> str:
        if python_floats_fit(graph):
            return emit_python_floats(graph, interface)
        return emit_numpy(graph, interface)

    def load(self, source: str, graph: Graph, interface: Interface) -> Callable:
        function = load_function(source, graph.name)
        if not python_floats_fit(graph):
            return checked(function, graph)
        numpy_version: list[Callable] = []

        def run(*args: Any) -> Any:
            try:
                return function(*args)
            except (ArithmeticError, ValueError):  # where NumPy gives inf or nan instead
                pass
            if not numpy_version:
                numpy_version.append(load_function(emit_numpy(graph, interface), graph.name))
            # Python floats stay Python floats in the NumPy module too, and would raise again
            # (`1.0 / x`, `x ** -1.5` at 0): as NumPy scalars they give NumPy's inf or nan.
            return numpy_version[0](*map(as_numpy_scalar, args))

        return run

    def hlo(self, function: Callable, graph: Graph, args: tuple) -> str:
        raise self.not_xla("hlo")

    def cost(self, function: Callable, graph: Graph, args: tuple) -> dict[str, float]:
        raise self.not_xla("cost")

    def not_xla(self, method: str) -> BackendError:
        return BackendError(
            f".{method}() shows what XLA compiles, and this function runs on the numpy backend",
            loc=caller_location(),
            hint=f'stage it with backend="jax": tracegrad.jit(fn, backend="jax").{method}(*args)',
        )


NUMPY_EXECUTION = NumPyExecution()

# Primitives whose operands from a position on are index arrays: traced ones are only
# checked against the shape when the emitted code runs.
INDEX_OPERANDS = {
    "gather": 1,
    "scatter_add": 1,
    "gather_set": 2,
    "gather_add": 2,
    "gather_max": 2,
    "gather_min": 2,
}
# Primitives NumPy refuses at run time for the values (a singular matrix, one not positive
# definite): LinAlgError.
FACTORIZATIONS = frozenset({"inv", "solve", "cholesky", "eigh", "eigvalsh"})


def all_nodes(graph: Graph) -> Iterator[Node]:
    """The nodes of `graph` and of the Graphs its nodes hold (loop bodies, branches)."""
    for node in graph.nodes:
        yield node
        for value in node.params.values():
            if isinstance(value, Graph):
                yield from all_nodes(value)


def run_time_errors(graph: Graph) -> tuple[type[Exception], ...]:
    """The NumPy errors the emitted code may raise for the values it is given."""
    found: list[type[Exception]] = []
    for node in all_nodes(graph):
        start = INDEX_OPERANDS.get(node.op.name)
        if start is not None and any(isinstance(x, Var) for x in node.inputs[start:]):
            found.append(IndexError)
        elif node.op.name in FACTORIZATIONS:
            found.append(np.linalg.LinAlgError)
    return tuple(dict.fromkeys(found))


def checked(function: Callable, graph: Graph) -> Callable:
    """The function, the NumPy errors its values may cause (a traced index out of bounds, a
    singular matrix) said at the user's line; only functions that may raise them pay for
    the extra call."""
    caught = run_time_errors(graph)
    if not caught:
        return function
    filename = function.__code__.co_filename

    def run(*args: Any) -> Any:
        try:
            return function(*args)
        except caught as error:
            raise error_at(error, filename, graph) from error  # shows the emitted line

    run.__wrapped__ = function  # type: ignore[attr-defined]
    return run


def error_at(error: Exception, filename: str, graph: Graph) -> TracegradError:
    """NumPy's message, at the user's line: the emitted line that failed ends with
    `# file:line`, and the node written there holds the full location."""
    line = None
    frame = error.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == filename:
            line = linecache.getline(filename, frame.tb_lineno)
        frame = frame.tb_next
    where = line.rpartition("  # ")[2].strip() if line else None
    loc = next(
        (node.loc for node in all_nodes(graph) if node.loc is not None and node.loc.short == where),
        None,
    )
    if isinstance(error, IndexError):
        return IndexOutOfBoundsError(
            f"{error} (a traced index, checked when the compiled code runs)",
            loc=loc,
            hint="keep the index within the axis (np.clip(i, 0, n - 1) or i % n), or check it "
            "before the call",
        )
    return LinAlgError(
        f"{error} (NumPy's LinAlgError, for the values given to this call)",
        loc=loc,
        hint="a solve, inverse or factorization needs a nonsingular matrix (cholesky: a "
        "symmetric positive-definite one); check the matrix, or regularize it (a + eps * I)",
    )


def execution_for(backend: str, options: dict[str, Any]) -> Execution:
    """The execution of `backend` with jit's options; an error names a bad one."""
    if backend == "numpy":
        for name, value in options.items():
            if value is not None and not (isinstance(value, tuple | list) and not value):
                raise BackendError(
                    f"{name}= places the compiled program on JAX devices, and "
                    "this function runs on the numpy backend",
                    loc=caller_location(),
                    hint=f'pass backend="jax" with {name}=, or drop {name}=',
                )
        return NUMPY_EXECUTION
    if backend == "jax":
        from .jax_backend import JaxExecution  # imports jax: only when it is asked for

        return JaxExecution(**{**JAX_OPTIONS, **options})
    raise BackendError(
        f"unknown backend {backend!r}",
        loc=caller_location(),
        hint=f"pass backend= one of {', '.join(map(repr, BACKENDS))}",
    )
