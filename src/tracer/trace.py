"""Tracer layer: run the user's function on Tracers and collect the Graph it records.

`trace_function` binds the call's arguments to the function's parameters, gives every leaf
of every traced parameter a typed input, calls the function once, and returns the Graph
with the Interface that maps it back onto the user's signature.
"""

from __future__ import annotations

import inspect
import linecache
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import SourceLoc, TraceError
from ..ir import Graph, Literal, TensorType, Var
from ..ir.interface import Interface
from ..ir.types import supported_dtype
from .context import PYTHON_SCALARS, Trace
from .pytree import TreeDef, flatten, leaf_paths, unflatten
from .source import caller_location
from .tracer import Tracer


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
        for name, value, how in zip(self.names, values, self.passing or ("",) * len(values),
                                    strict=True):
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


def function_name(fn: Callable) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def bind_call(
    fn: Callable, args: Sequence, kwargs: dict, static_argnums: Sequence[int]
) -> BoundCall:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin or C function: positional arguments only
        signature = None
    passing: tuple[str, ...] = ()
    if signature is None:
        names, values = tuple(f"x{i}" for i in range(len(args))), tuple(args)
    else:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TraceError(f"calling {function_name(fn)}: {error}",
                             loc=caller_location()) from None
        # Parameters left to their defaults are not traced: the function keeps using its own
        # default (a constant), as when it is called plainly. (Defaults are often settings.)
        names, values = tuple(bound.arguments), tuple(bound.arguments.values())
        passing = tuple(PASSING.get(signature.parameters[n].kind, "") for n in names)
    static = set()
    declared = len(signature.parameters) if signature is not None else len(names)
    for argnum in static_argnums:
        if len(names) <= argnum < declared:
            continue  # a parameter left to its default: a constant of the function already
        if not -len(names) <= argnum < len(names):
            raise TraceError(
                f"static_argnums names argument {argnum}, but {function_name(fn)} was called "
                f"with {len(names)} arguments", loc=caller_location(),
                hint=f"static_argnums counts the call's arguments from 0 (negative ones from "
                f"the end): use numbers between {-len(names)} and {len(names) - 1}",
            )
        static.add(argnum % len(names))
    return BoundCall(names, values, frozenset(static), passing)


def leaf_type(leaf: Any, where: str, fn: Callable) -> TensorType:
    if isinstance(leaf, bool | int | float | complex) and not isinstance(leaf, np.generic):
        return TensorType((), np.result_type(type(leaf)), weak=True)
    if isinstance(leaf, Tracer):
        return leaf.ir_var.type  # a transform applied inside a traced function
    # NumPy's arrays and scalars, and arrays of libraries with NumPy dtypes (JAX's results)
    if isinstance(getattr(leaf, "dtype", None), np.dtype):
        if supported_dtype(leaf.dtype):
            return TensorType(np.shape(leaf), leaf.dtype)
        problem = f"an array of dtype {leaf.dtype}"
    else:
        problem = f"a {type(leaf).__name__}"
    raise TraceError(
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
    trace = Trace(name if name.isidentifier() else "function")
    traced_values = list(call.values)
    input_paths: list[tuple[int, tuple]] = []
    input_trees: list[Any] = []
    for position, index in enumerate(call.dynamic):
        leaves, treedef = flatten(call.values[index])
        input_trees.append(unflatten(treedef, list(range(len(input_paths),
                                                         len(input_paths) + len(leaves)))))
        tracers = []
        for path, leaf in zip(leaf_paths(treedef), leaves, strict=True):
            type_ = leaf_type(leaf, path_text(call.names[index], path), fn)
            tracers.append(trace.new_input(type_, path_hint(call.names[index], path)))
            input_paths.append((position, path))
        traced_values[index] = unflatten(treedef, tracers)
    try:
        with trace.running():
            result = call.apply(fn, traced_values)
    finally:
        trace.active = False
    outputs, output_tree = collect_outputs(trace, result, name)
    graph = trace.builder.build(outputs)
    interface = Interface(
        name=graph.name,
        params=tuple(call.names[i] for i in call.dynamic),
        input_paths=tuple(input_paths),
        output_tree=output_tree,
        origin=origin_of(fn),
        static=tuple((call.names[i], call.values[i]) for i in sorted(call.static)),
        input_trees=tuple(input_trees),
    )
    return graph, interface


def collect_outputs(trace: Trace, result: Any, name: str) -> tuple[list[Var | Literal], Any]:
    leaves, treedef = flatten(result)
    outputs: list[Var | Literal] = []
    for leaf in leaves:
        if isinstance(leaf, Tracer) and leaf.trace is trace:
            outputs.append(leaf.ir_var)
        elif isinstance(leaf, (*PYTHON_SCALARS, np.ndarray, np.generic)):
            outputs.append(trace.constant(leaf))
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
