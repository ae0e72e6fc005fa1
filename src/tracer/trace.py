"""Tracer layer: run the user's function on Tracers and collect the Graph it records.

`trace_function` binds the call's arguments to the function's parameters, gives every leaf
of every traced parameter a typed input, calls the function once, and returns the Graph
with the Interface that maps it back onto the user's signature.
"""

from __future__ import annotations

import inspect
import linecache
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import SourceLoc, TraceError
from ..ir import Graph, Literal, TensorType, Var
from ..ir.interface import Interface
from ..ir.types import supported_dtype
from . import inplace, intercept
from .capture import (
    CapturedState,
    ContentGuard,
    Discovery,
    discover,
    random_states,
    restore_states,
    same_state,
)
from .complex_values import complex_value_error, is_complex
from .context import PYTHON_SCALARS, Trace, note_closure, running_trace
from .masked import Selection, size_error
from .pytree import TreeDef, flatten, leaf_paths, unflatten
from .source import caller_location, internal, location_of
from .tracer import ArraySlots, Tracer
from .unsupported import unwrap_numpy_error


@dataclass(frozen=True, slots=True)
class BoundCall:
    """A call's arguments sorted into the function's parameters."""

    names: tuple[str, ...]
    values: tuple[Any, ...]
    static: frozenset[int]  # positions (into names) of static parameters
    # How each value is passed back to the function: "" positionally, "*" and "**" unpacked
    # (a *args or **kwargs parameter), "=" by keyword (keyword-only parameters).
    passing: tuple[str, ...] = ()

    @property
    def dynamic(self) -> list[int]:
        return [i for i in range(len(self.names)) if i not in self.static]

    def apply(self, fn: Callable, values: Sequence[Any]) -> Any:
        """Call `fn` with `values` (one per parameter) passed as the call passed them."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for name, value, how in zip(
            self.names, values, self.passing or ("",) * len(values), strict=True
        ):
            if how == "*":
                args.extend(value)
            elif how == "**":
                kwargs.update(value)
            elif how == "=":
                kwargs[name] = value
            else:
                args.append(value)
        return fn(*args, **kwargs)


PASSING = {
    inspect.Parameter.VAR_POSITIONAL: "*",
    inspect.Parameter.VAR_KEYWORD: "**",
    inspect.Parameter.KEYWORD_ONLY: "=",
}


# Python values jax.grad also leaves concrete: a flag, a setting's name, an absent value. A
# parameter given one is static (its value joins the cache key), so `if train:` just runs.
AUTO_STATIC = (bool, str, type(None))


def auto_static(value: Any) -> bool:
    return type(value) in AUTO_STATIC


def function_name(fn: Callable) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def bound_arguments(
    fn: Callable, signature: inspect.Signature, args: Sequence, kwargs: dict
) -> tuple[tuple[str, ...], tuple, tuple[str, ...]]:
    """The names and values of the arguments given, and how each is passed (PASSING).
    Parameters left to their defaults are not traced: the function keeps using its own
    default (a constant), as when it is called plainly. (Defaults are often settings.)"""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TraceError(
            f"calling {function_name(fn)}: {error}",
            loc=caller_location(),
            hint=f"call it as its signature says: {function_name(fn)}{signature}",
        ) from None
    names, values = tuple(bound.arguments), tuple(bound.arguments.values())
    passing = tuple(PASSING.get(signature.parameters[n].kind, "") for n in names)
    return names, values, passing


def bind_call(
    fn: Callable, args: Sequence, kwargs: dict, static_argnums: Sequence[int]
) -> BoundCall:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin or C function: positional arguments only
        signature = None
    if signature is None:
        names, values = tuple(f"x{i}" for i in range(len(args))), tuple(args)
        passing: tuple[str, ...] = ()
    else:
        names, values, passing = bound_arguments(fn, signature, args, kwargs)
    declared = len(signature.parameters) if signature is not None else len(names)
    static = declared_static(fn, len(names), declared, static_argnums)
    static.update(
        i
        for i, value in enumerate(values)
        if auto_static(value) and (not passing or passing[i] in ("", "="))
    )
    return BoundCall(names, values, frozenset(static), passing)


def declared_static(
    fn: Callable, count: int, declared: int, static_argnums: Sequence[int]
) -> set[int]:
    """The positions among the call's `count` arguments that static_argnums names (of the
    function's `declared` parameters)."""
    static = set()
    for argnum in static_argnums:
        if count <= argnum < declared:
            continue  # a parameter left to its default: a constant of the function already
        if not -count <= argnum < count:
            raise TraceError(
                f"static_argnums names argument {argnum}, but {function_name(fn)} was called "
                f"with {count} arguments",
                loc=caller_location(),
                hint=f"static_argnums counts the call's arguments from 0 (negative ones from "
                f"the end): use numbers between {-count} and {count - 1}",
            )
        static.add(argnum % count)
    return static


def leaf_type(leaf: Any, where: str, fn: Callable) -> TensorType:
    if isinstance(leaf, complex) and not isinstance(leaf, np.generic):
        raise complex_value_error(
            TensorType((), np.dtype(np.complex128), weak=True),
            f"argument {where} of {function_name(fn)}",
        )
    if isinstance(leaf, bool | int | float) and not isinstance(leaf, np.generic):
        return TensorType((), np.result_type(type(leaf)), weak=True)
    if isinstance(leaf, Tracer):
        return leaf.ir_var.type  # a transform applied inside a traced function
    # NumPy's arrays and scalars, and arrays of libraries with NumPy dtypes (JAX's results)
    if isinstance(leaf, tuple) and hasattr(leaf, "_fields"):  # a NamedTuple
        raise TraceError(
            f"argument {where} of {function_name(fn)} is a NamedTuple ({type(leaf).__name__}); "
            "tracegrad's containers of arrays are plain tuples, lists and dicts",
            loc=caller_location(),
            hint=f"pass {where}._asdict() (a dict of its fields) or tuple({where}), and "
            "read the fields by key or position",
        )
    if isinstance(getattr(leaf, "dtype", None), np.dtype) and supported_dtype(leaf.dtype):
        type_ = TensorType(np.shape(leaf), leaf.dtype)
        if is_complex(type_):
            raise complex_value_error(type_, f"argument {where} of {function_name(fn)}")
        return type_
    raise unsupported_argument(leaf, where, fn)


def unsupported_argument(leaf: Any, where: str, fn: Callable) -> TraceError:
    """The error for an argument that is no array, number or container of them."""
    if isinstance(getattr(leaf, "dtype", None), np.dtype):
        problem = f"an array of dtype {leaf.dtype}"
    else:
        problem = f"a {type(leaf).__name__}"
    return TraceError(
        f"argument {where} of {function_name(fn)} is {problem}; traced arguments must be "
        "NumPy arrays, Python or NumPy numbers, or tuples, lists and dicts of them",
        loc=caller_location(),
        hint="convert it with np.asarray(...), or mark the argument static "
        "(static_argnums) if it is a setting rather than data",
    )


def path_text(name: str, path: tuple) -> str:
    return name + "".join(f"[{k!r}]" for k in path)


def path_hint(name: str, path: tuple) -> str:
    return "_".join([name, *(str(k) for k in path)])


def origin_of(fn: Callable) -> SourceLoc | None:
    code = getattr(inspect.unwrap(fn), "__code__", None)
    if code is None:
        return None
    text = linecache.getline(code.co_filename, code.co_firstlineno).rstrip("\n")
    return SourceLoc(code.co_filename, code.co_firstlineno, text)


def trace_function(fn: Callable, call: BoundCall) -> tuple[Graph, Interface]:
    name = function_name(fn)
    # Traced inside a running trace (a transform called in a traced function), the function
    # may read the caller's traced values: nested in it, it captures them as inputs.
    trace = Trace(name if name.isidentifier() else "function", running_trace())
    trace.discovery = discover(fn)
    states = random_states(trace.discovery)
    result, input_paths, input_trees = run_traced(trace, fn, call)
    if not all(map(same_state, states, random_states(trace.discovery))):
        raise random_draw_error(fn, call, trace.discovery, states)
    outputs, output_tree = collect_outputs(trace, result, name)
    note_closure(trace, len(input_paths))
    graph = trace.builder.build(outputs)
    captured = tuple(trace.capture_paths)
    input_paths.extend((-1 - k, ()) for k in range(len(captured)))
    state = captured_state(trace, graph, captured)
    interface = Interface(
        name=graph.name,
        params=tuple(call.names[i] for i in call.dynamic),
        input_paths=tuple(input_paths),
        output_tree=output_tree,
        origin=origin_of(fn),
        static=tuple((call.names[i], call.values[i]) for i in sorted(call.static)),
        input_trees=tuple(input_trees),
        captured=() if state is None else state.names,
        state=state,
    )
    return graph, interface


def captured_state(trace: Trace, graph: Graph, captured: tuple) -> CapturedState | None:
    """How the runtime reads the captured arrays (the graph's last inputs) at each call, and
    the guards on the names the code read; None when there is neither."""
    guards = (*trace.discovery.guards, *trace.extra_guards, *eager_reads(trace))
    if not (captured or guards):
        return None
    types = (
        tuple((var.type.shape, var.type.dtype) for var in graph.inputs[-len(captured) :])
        if captured
        else ()
    )
    return CapturedState(captured, types, guards)


# Arrays of at most this many elements are compared at each call when the function may have
# computed on them with NumPy alone (see eager_reads); larger ones are not (the comparison
# would cost as much as the work), which the README's sharp bits say.
CONTENT_GUARD_LIMIT = 1 << 20


def eager_reads(trace: Trace) -> list[ContentGuard]:
    """Guards on the captured arrays the function names (`X`, `self.W`, `params['W']`) but
    never handed to a traced operation: whatever it read of them (`np.sum(X)`, `X.mean()`),
    it computed with NumPy while tracing, so the code holds only while their values do."""
    live = {
        (id(path.root), path.steps[:k])
        for path in trace.capture_paths
        for k in range(1, len(path.steps) + 1)
    }
    guards = []
    for array, path in trace.discovery.arrays.values():
        if (
            len(path.steps) <= 2
            and (id(path.root), path.steps) not in live
            and array.size <= CONTENT_GUARD_LIMIT
        ):
            guards.append(ContentGuard(path, array.copy()))
    return guards


def run_traced(trace: Trace, fn: Callable, call: BoundCall) -> tuple[Any, list, list]:
    """Give every leaf of every traced parameter a typed input of `trace`, and run `fn` on
    them; returns its result, each input's (parameter, key path) and each parameter's tree
    of input positions."""
    traced_values = list(call.values)
    input_paths: list[tuple[int, tuple]] = []
    input_trees: list[Any] = []
    for position, index in enumerate(call.dynamic):
        leaves, treedef = flatten(call.values[index])
        input_trees.append(
            unflatten(treedef, list(range(len(input_paths), len(input_paths) + len(leaves))))
        )
        tracers = []
        for path, leaf in zip(leaf_paths(treedef), leaves, strict=True):
            type_ = leaf_type(leaf, path_text(call.names[index], path), fn)
            tracer = trace.new_input(type_, path_hint(call.names[index], path))
            inplace.mark_owner(tracer, inplace.ARGUMENT)
            if isinstance(leaf, np.generic):  # np.imag of it is a scalar, of a 0-d array not
                trace.scalar_inputs.add(tracer.ir_var)
            tracers.append(tracer)
            input_paths.append((position, path))
        traced_values[index] = unflatten(treedef, tracers)
    try:
        with intercept.active(), trace.running():
            result = call.apply(fn, traced_values)
    except ValueError as error:
        ours = unwrap_numpy_error(error)  # `h[i] = traced`, NumPy's message around ours
        if ours is None:
            raise
        raise ours from None
    finally:
        trace.active = False
    return result, input_paths, input_trees


def random_draw_error(
    fn: Callable, call: BoundCall, found: Discovery, states: list[Any]
) -> TraceError:
    """The function drew random numbers while it was traced: the draw would be frozen into
    the code, the same numbers at every call. The error names the line of the first draw,
    found by tracing once more while watching the calls into NumPy's generators; every
    generator is put back as it was, so tracing leaves the user's random stream alone."""
    restore_states(found, states)
    loc = first_random_call(lambda: run_traced(Trace("function"), fn, call), found)
    restore_states(found, states)
    loc = loc or random_line_in_source(fn)
    return TraceError(
        f"{function_name(fn)} draws random numbers while it is traced; tracegrad runs the "
        "function once to record it, so every later call would reuse the same draw",
        loc=loc or origin_of(fn),
        hint="draw the noise outside and pass it in as an argument "
        "(`noise = rng.standard_normal(x.shape)`, then `f(x, noise)`), so each call gets "
        "fresh numbers",
    )


def first_random_call(run: Callable[[], Any], found: Discovery) -> SourceLoc | None:
    """The user's line that first changed the state of a NumPy random generator during
    `run`: NumPy's generators are compiled code, seen by no profiler, so the states are
    compared after every line of the user's code (this runs only to name the line of an
    error)."""
    before = random_states(found)
    last: list[SourceLoc | None] = [None]
    culprit: list[SourceLoc | None] = []

    def changed() -> bool:
        return not all(map(same_state, before, random_states(found)))

    def local(frame: Any, event: str, arg: Any) -> Any:
        if culprit:
            return None
        if event in ("line", "return") and last[0] is not None and changed():
            culprit.append(last[0])
            return None
        if event == "line":
            last[0] = location_of(frame)
        return local

    def calls(frame: Any, event: str, arg: Any) -> Any:
        return None if culprit or internal(frame.f_code.co_filename) else local

    run_traced_by(run, calls)
    return culprit[0] if culprit else None


def run_traced_by(run: Callable[[], Any], calls: Callable) -> None:
    """`run()` under the Python trace function `calls`, then the previous one restored. An
    exception it raises is dropped: the run only looks for a line, the caller reports."""
    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        run()
    except Exception:
        pass
    finally:
        sys.settrace(previous)


def random_line_in_source(fn: Callable) -> SourceLoc | None:
    """The first line of `fn`'s own source that names a random draw, when watching the run
    found none (another tracer, such as a debugger's, was watching instead)."""
    origin = origin_of(fn)
    try:
        lines, first = inspect.getsourcelines(inspect.unwrap(fn))
    except (OSError, TypeError):
        return origin
    words = ("random", "rng", "normal(", "uniform(", "integers(", "choice(", "permutation(")
    for offset, text in enumerate(lines[1:], start=1):
        if origin is not None and any(word in text for word in words):
            return SourceLoc(origin.file, first + offset, text.rstrip("\n"))
    return origin


def collect_outputs(trace: Trace, result: Any, name: str) -> tuple[list[Var | Literal], Any]:
    leaves, treedef = flatten(result)
    outputs: list[Var | Literal] = []
    for leaf in leaves:
        if isinstance(leaf, Tracer) and (leaf._trace is trace or leaf._trace.encloses(trace)):
            outputs.append(trace.operand(leaf))  # a caller's traced value returned: captured
        elif isinstance(leaf, Selection):  # at the line that selected
            raise size_error(f"{name} returning the value", leaf.loc)
        elif isinstance(leaf, (*PYTHON_SCALARS, np.ndarray, np.generic, ArraySlots)):
            # a captured array returned stays live; an array made here (a Buffer) never
            # written with traced values is the constant it holds
            outputs.append(trace.operand(leaf))
        else:
            raise TraceError(
                f"{name} returned a {type(leaf).__name__}; a traced function must return "
                "arrays, numbers, or tuples, lists and dicts of them",
                loc=caller_location(),
                hint="return the arrays and numbers, and build other objects from them "
                "outside the traced function",
            )
    return outputs, index_tree(treedef)


def index_tree(treedef: TreeDef) -> Any:
    """The output structure with each leaf replaced by its position."""
    return unflatten(treedef, list(range(treedef.num_leaves)))
