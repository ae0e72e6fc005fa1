"""Tracer layer: a Trace records the operations applied to its Tracers into a GraphBuilder.

`Trace.bind` is the one door into the IR: it turns operands (Tracers, Python and NumPy
scalars, arrays) into IR operands, types the node with the primitive's rule, pins any error
to the user's line and hands back Tracers for the results.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SourceLoc, TraceError, TracegradError
from ..ir import Graph, GraphBuilder, Literal, Operand, Primitive, TensorType, Var
from ..ir.primitive import Group
from ..ir.types import supported_dtype
from . import functions as functions_module
from . import inplace
from . import tracer as tracer_module
from .capture import ContentGuard, Discovery, Guard, Path, view_of
from .source import LocationTracker, caller_location

if TYPE_CHECKING:
    from .tracer import Tracer

PYTHON_SCALARS = (bool, int, float, complex)


class Trace:
    """One tracing of one function; its Tracers are valid only while it is active."""

    def __init__(self, name: str, parent: Trace | None = None):
        self.builder = GraphBuilder(name)
        # A nested trace records the body of a control-flow primitive. A value of an
        # enclosing trace used there is captured: it becomes an input of the body, so the
        # nested Graph reads nothing but its inputs (see `capture`).
        self.parent = parent
        self.level = 0 if parent is None else parent.level + 1
        self.captured: dict[Var, Var] = {}  # the enclosing trace's value -> this input
        self.locations = LocationTracker()
        self.active = True
        self.literals: dict[int, tuple[Any, Literal]] = {}  # id(array) -> (array, Literal)
        # A call from the user's code counts once however many nodes it records (np.mean is
        # a sum and a division), so the nodes of one line run stay together: `calls` numbers
        # the user's calls, `depth` is how deep inside tracegrad's functions we are.
        self.depth = 0
        self.calls = 0
        self.fixed_loc: SourceLoc | None = None  # set while a transform records (see `at`)
        self.fixed = False
        # What the traced function reaches besides its arguments (set on the outermost trace
        # of a user's function, see capture.py): arrays met there become inputs.
        self.discovery: Discovery | None = None
        self.capture_inputs: dict[tuple, Tracer] = {}  # Path.key -> its input
        self.capture_paths: list[Path] = []
        self.extra_guards: list[Guard] = []  # of staged functions inlined here
        self.linking = True  # view ops link their result to their base (see inplace.py)
        self.scalar_inputs: set[Var] = set()  # inputs the caller passed as NumPy scalars

    @contextlib.contextmanager
    def at(self, loc: SourceLoc | None) -> Iterator[None]:
        """Record everything inside at `loc`: transforms pin the nodes they write to the
        user's line they come from, instead of to tracegrad's own code."""
        saved = self.fixed, self.fixed_loc
        self.fixed, self.fixed_loc = True, loc
        try:
            yield
        finally:
            self.fixed, self.fixed_loc = saved

    @contextlib.contextmanager
    def one_call(self) -> Iterator[None]:
        """What runs inside counts as one call from the user's code, however many nodes it
        records (np.mean is a sum and a division): the nodes of one line run stay together
        (see `calls`)."""
        if self.depth == 0:
            self.calls += 1
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    @contextlib.contextmanager
    def unlinked(self) -> Iterator[None]:
        """Record view ops without linking their results: inplace.refresh recomputing views
        that are linked already."""
        saved, self.linking = self.linking, False
        try:
            yield
        finally:
            self.linking = saved

    def replay(
        self, graph: Graph, inputs: Sequence[Any], env: dict[Var, Any] | None = None
    ) -> list[Any]:
        """Record the nodes of `graph` here, on `inputs` (Tracers or constants); returns its
        outputs, and fills `env` with the value of each of its Vars. Names and locations
        come along, so an inlined graph reads as before."""
        env = {} if env is None else env
        env.update(zip(graph.inputs, inputs, strict=True))

        def read(x: Operand) -> Any:
            return env[x] if isinstance(x, Var) else x.value

        for node in graph.nodes:
            operands = [self.operand(read(x)) for x in node.inputs]
            outputs = self.builder.bind(
                node.op, operands, dict(node.params), node.loc, hints=[v.hint for v in node.outputs]
            )
            env.update(zip(node.outputs, (self.wrap(v) for v in outputs), strict=True))
        return [read(x) for x in graph.outputs]

    def name_value(self, value: Any, hint: str) -> None:
        """Name a value this trace computed (`d_h` for the cotangent of `h`), unless it
        already has a name."""
        var = getattr(value, "ir_var", None)
        if var is not None and getattr(value, "_trace", None) is self:
            self.builder.suggest_name(var, hint)

    @contextlib.contextmanager
    def running(self) -> Iterator[Trace]:
        """Mark this trace as the one the user's code is running in (control-flow
        functions record into it even when none of their operands is traced)."""
        running = THREAD_STATE.running
        running.append(self)
        try:
            yield self
        finally:
            running.pop()

    def encloses(self, other: Trace) -> bool:
        """True when `other` is nested (at any depth) inside this trace."""
        while other.parent is not None:
            other = other.parent
            if other is self:
                return True
        return False

    def capture(self, value: Tracer) -> Var:
        """The input of this trace that stands for `value`, a value of an enclosing trace
        (captured through every trace in between)."""
        outer = self.parent.operand(value)
        var = self.captured.get(outer) if isinstance(outer, Var) else None
        if var is None:
            var = self.builder.add_input(outer.type, getattr(outer, "hint", None))
            self.captured[outer] = var
        return var

    @property
    def root(self) -> Trace:
        """The trace of the user's function this one belongs to (a branch or loop body
        belongs to its function's; a function traced inside another has its own)."""
        trace = self
        while trace.parent is not None and trace.discovery is None:
            trace = trace.parent
        return trace

    def capture_input(self, path: Path, value: np.ndarray) -> Tracer:
        """The input of this (outermost) trace that reads the array at `path` at each call."""
        tracer = self.capture_inputs.get(path.key)
        if tracer is None:
            tracer = self.new_input(TensorType(value.shape, value.dtype), path.name)
            inplace.mark_owner(tracer, inplace.CAPTURED)
            self.capture_inputs[path.key] = tracer
            self.capture_paths.append(path)
        return tracer

    def captured_array(self, value: np.ndarray) -> Tracer | None:
        """The input standing for `value` when the function reached it through its closure,
        globals, defaults or `self` (or a view of such an array); None for an array the
        function made itself, which stays a constant."""
        root = self.root
        found = root.discovery
        if found is None or not supported_dtype(value.dtype):
            return None
        path = found.path_of(value)
        if path is not None:
            return root.capture_input(path, value)
        view = view_of(found, value)
        if view is None:
            return None
        base_path, base, step = view
        if step is None:  # `X.T` of a captured X: the transpose of its input, as written
            return functions_module.transpose(root.capture_input(base_path, base))
        if step == ():  # a view that is all of X (`X.ravel()` of a vector, `X[...]`)
            return root.capture_input(base_path, base)
        name = f"{base_path.name}_view"
        return root.capture_input(base_path.then("view", step, name), value)

    def wrap(self, var: Var) -> Tracer:
        return tracer_module.Tracer(var, self)

    def new_input(self, type_: TensorType, hint: str) -> Tracer:
        return tracer_module.Tracer(self.builder.add_input(type_, hint), self)

    def operand(self, value: Any) -> Operand:
        """The IR operand for a value met in the user's code."""
        if isinstance(value, tracer_module.Tracer):
            if value._trace is not self and value._trace.encloses(self):
                return self.capture(value)
            if value._trace is not self:
                raise TraceError(
                    "a traced value from another (finished) trace was used here",
                    loc=caller_location(),
                    hint="do not keep traced values in globals or closures between calls; "
                    "pass them as arguments",
                )
            return value.ir_var
        if isinstance(value, np.ndarray):
            captured = self.captured_array(value)
            if captured is not None:
                return self.operand(captured)
        if isinstance(value, list | tuple) and find_trace(value) is not None:
            # `x * [a, 1.0]`: NumPy makes the list an array, and so does np.array's tracing
            return self.operand(functions_module.array(value))
        return self.constant(value)

    def constant(self, value: Any) -> Literal:
        if isinstance(value, np.ndarray) and value.ndim > 0:
            cached = self.literals.get(id(value))
            if cached is not None and cached[0] is value:
                return cached[1]
        literal = constant_literal(value)
        if isinstance(value, np.ndarray) and value.ndim > 0:
            self.literals[id(value)] = (value, literal)
        return literal

    def bind(self, op: Primitive, operands: Sequence[Any], **params: Any) -> Tracer:
        """Record `op(*operands, **params)` and return a Tracer for its (single) output."""
        (out,) = self.bind_many(op, operands, **params)
        return out

    def bind_many(
        self,
        op: Primitive,
        operands: Sequence[Any],
        hints: Sequence[str | None] | None = None,
        **params: Any,
    ) -> list[Tracer]:
        """Record `op(*operands, **params)` and return a Tracer for each of its outputs."""
        running_traces = THREAD_STATE.running
        if running_traces and running_traces[-1] is not self:  # a branch or a loop body
            owner = self.recording_trace(operands, running_traces[-1])
            if owner is not self:
                return owner.bind_many(op, operands, hints, **params)
        if not self.active:
            raise leaked_value_error()
        inputs = [self.operand(x) for x in operands]
        if self.depth == 0:
            self.calls += 1
        loc = self.fixed_loc if self.fixed else self.locations.current(self.calls)
        try:
            if op.group in (Group.BINARY, Group.COMPARISON):
                check_python_int_fits(op, inputs)
            outputs = self.builder.bind(op, inputs, params, loc, hints)
        except TracegradError as error:
            raise error.located(loc) from None
        tracers = [tracer_module.Tracer(out, self) for out in outputs]
        if op in inplace.VIEW_OPS and self.linking:
            inplace.note_view(self, op, operands, params, tracers[0])
        return tracers

    def recording_trace(self, operands: Sequence[Any], running: Trace) -> Trace:
        """Which trace records a node on `operands` while `running` (a branch or a loop body
        nested in this one) runs: the nested trace of an operand, else `running` itself,
        even for enclosing values alone (hoisted out of a branch, the node would run when
        the branch does not); this trace where `running` is not nested in it."""
        for x in operands:
            if isinstance(x, tracer_module.Tracer) and self.encloses(x._trace):
                return x._trace
        return running if self.encloses(running) else self


def leaked_value_error() -> TraceError:
    return TraceError(
        "a traced value was used after its trace finished (it leaked out of the "
        "traced function, through a global, a closure or a returned object)",
        loc=caller_location(),
        hint="return every value you need from the traced function",
    )


def constant_literal(value: Any) -> Literal:
    """A Literal for a Python scalar, NumPy scalar, array or nested list of numbers."""
    if isinstance(value, tracer_module.ArraySlots):  # a Buffer, concrete: its array now
        value = value._value
    if isinstance(value, (*PYTHON_SCALARS, np.generic, np.ndarray)):
        array_dtype = np.result_type(value) if not isinstance(value, PYTHON_SCALARS) else None
        if array_dtype is not None and not supported_dtype(array_dtype):
            raise TraceError(
                f"a constant of dtype {array_dtype} cannot be used in a traced function",
                loc=caller_location(),
                hint="use arrays of bool, integer, float or complex dtype",
            )
        return Literal.of(value)
    if isinstance(value, list | tuple):
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):
            array = None
        if array is not None and array.dtype.kind in "biufc":
            return Literal.of(array)
        raise TraceError(
            f"a {type(value).__name__} that mixes traced values or non-numbers cannot be "
            "used as an array here",
            loc=caller_location(),
            hint="build arrays from traced values with np.stack([...]) or np.concatenate",
        )
    raise TraceError(
        f"a value of type {type(value).__name__} cannot take part in an array operation",
        loc=caller_location(),
        hint="use NumPy arrays, Python numbers or traced values",
    )


def check_python_int_fits(op: Primitive, inputs: list[Operand]) -> None:
    """NumPy 2 refuses `uint8_array + 300` (the Python int does not fit); so does tracing."""
    if not any(isinstance(x, Literal) and type(x.value) is int for x in inputs):
        return  # the common case, kept cheap: no Python int to check (called on every node)
    strong = [x.type.dtype for x in inputs if not x.type.weak]
    if not strong or np.result_type(*strong).kind not in "iu":
        return
    info = np.iinfo(np.result_type(*strong))
    for x in inputs:
        python_int = isinstance(x, Literal) and type(x.value) is int
        if python_int and not info.min <= x.value <= info.max:
            raise TraceError(
                f"{op.name}: the Python integer {x.value} is out of bounds for "
                f"{info.dtype} (NumPy 2 raises OverflowError here too)",
                hint=f"convert the array first, e.g. `.astype(np.int64)`, "
                f"or use an integer within [{info.min}, {info.max}]",
            )


def find_trace(values: Sequence[Any]) -> Trace | None:
    """The Trace of the Tracers among `values` (looking into lists and tuples): the most
    deeply nested one where a loop body mixes its own values with captured ones."""
    found: Trace | None = None
    for value in values:
        if isinstance(value, tracer_module.Tracer):
            trace = value._trace
        elif isinstance(value, list | tuple):
            trace = find_trace(value)
        else:
            continue
        if trace is not None and (found is None or found.encloses(trace)):
            found = trace
    return found


class ThreadState(threading.local):
    """Per thread: each thread runs its own user code."""

    def __init__(self) -> None:  # runs once in each thread that reads it
        # The traces whose user code is running, innermost last (see Trace.running).
        self.running: list[Trace] = []
        self.closures: list[Closure] = []  # see closure_scope


THREAD_STATE = ThreadState()


def running_stack() -> list[Trace]:
    return THREAD_STATE.running


def running_trace() -> Trace | None:
    stack = THREAD_STATE.running
    return stack[-1] if stack else None


class Closure:
    """The values of enclosing traces that a function traced inside a running trace reads
    (a transform whose function closes over the caller's traced `x`). Its Graph takes them
    as inputs right after its own `position` explicit ones, and a call passes them there."""

    def __init__(self) -> None:
        self.position = 0
        self.values: list[Tracer] = []


@contextlib.contextmanager
def closure_scope() -> Iterator[Closure]:
    """Collect what the function traced inside this scope closes over (see `note_closure`)."""
    stack = THREAD_STATE.closures
    closure = Closure()
    stack.append(closure)
    try:
        yield closure
    finally:
        stack.pop()


def note_closure(trace: Trace, position: int) -> None:
    """Record, for the innermost scope, the enclosing values `trace` captured, and move their
    inputs right after its `position` explicit ones (before the captured arrays, which
    come last)."""
    stack = THREAD_STATE.closures
    if not trace.captured or trace.parent is None or not stack:
        return
    closed = list(trace.captured.values())
    inputs = trace.builder.inputs
    inputs[position:] = closed + [var for var in inputs[position:] if var not in closed]
    stack[-1].position = position
    stack[-1].values = [trace.parent.wrap(outer) for outer in trace.captured]


def captured_path(value: Any) -> Path | None:
    """The path by which the running function reads `value` through its closure, globals,
    defaults or `self` (a view of such an array included), or None."""
    trace = running_trace()
    found = None if trace is None else trace.root.discovery
    if found is None or type(value) is not np.ndarray:
        return None
    path = found.path_of(value)
    if path is not None:
        return path
    view = view_of(found, value)
    if view is None:
        return None
    base_path, _, layout = view
    if layout is None:
        return base_path.then("attr", "T", f"{base_path.name}_T")
    return base_path if layout == () else base_path.then("view", layout, base_path.name)


def is_captured(value: Any) -> bool:
    """True for a captured array: its value may change between calls, so no shortcut may
    look at it (`X * 1` where X is all ones today is not X tomorrow)."""
    return captured_path(value) is not None


def freeze_captured(value: Any) -> None:
    """The trace depends on the values of `value` (a boolean mask picks the positions): if it
    is a captured array, the code is traced again whenever its values change."""
    path = captured_path(value)
    if path is not None:
        running_trace().root.extra_guards.append(ContentGuard(path, value.copy()))


# Imported last: the Tracer class needs Trace, and Trace makes Tracers.
