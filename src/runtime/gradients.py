"""Runtime layer: `grad`, `value_and_grad` and `vjp`, staged like `jit`.

Each traces the user's function, runs reverse mode on its Graph, and emits the adjoint as
one module: the forward part, then the backward part. Applied to traced values (inside
`jit`, or under another `grad`) they record the adjoint into the caller's trace, which is
how `grad(grad(f))` differentiates the adjoint Graph itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..ad import reverse
from ..errors import SourceLoc, TraceError
from ..ir import Graph
from ..ir.interface import Interface, map_tree, tree_indices, with_result
from ..ir.passes import eliminate_dead_code
from ..tracer import BoundCall, bind_call, trace_function
from ..tracer import functions as tnp
from ..tracer.context import find_trace
from ..tracer.functions import type_of
from ..tracer.pytree import flatten, leaf_paths, unflatten
from ..tracer.source import caller_location
from ..tracer.trace import auto_static, origin_of
from .compiled import Staged
from .tracebacks import api_boundary


def function_name(fn: Callable) -> str:
    return getattr(fn, "__name__", "function")


def returned(tree: Any) -> str:
    """What an output tree is, in words: `a tuple of 2 values`, `None`, `one value`."""
    if tree is None:
        return "None (no return statement?)"
    if isinstance(tree, tuple | list | dict):
        return f"a {type(tree).__name__} of {len(tree)} values"
    return "one value"


def single_value(tree: Any, name: str, transform: str) -> int:
    """The position of the one output `transform` differentiates; a tuple or None returned
    is the user's mistake (most often a forgotten has_aux=True, or a missing return)."""
    if not isinstance(tree, int):
        hint = (
            (
                f"pass has_aux=True to {transform} if {name} returns `loss, aux`, or return "
                "the loss alone"
            )
            if tree is not None
            else f"end {name} with `return loss`"
        )
        raise TraceError(
            f"{transform} needs {name} to return a real scalar, but it returns {returned(tree)}",
            loc=caller_location(),
            hint=hint,
        )
    return tree


def keep_outputs(graph: Graph, tree: Any) -> tuple[Graph, Any]:
    """Drop the graph outputs the result does not return (and the work only they needed)."""
    used = list(dict.fromkeys(tree_indices(tree)))
    position = {old: new for new, old in enumerate(used)}
    kept = Graph(graph.name, graph.inputs, graph.nodes, tuple(graph.outputs[i] for i in used))
    return eliminate_dead_code(kept), map_tree(tree, position.__getitem__)


def argument_slots(call: BoundCall) -> list[tuple[int, int | None]]:
    """The arguments argnums counts: (parameter, None), or (parameter, k) for each value k of a
    *args parameter, so argnums numbers positional arguments as the caller passed them."""
    passing = call.passing or ("",) * len(call.names)
    slots: list[tuple[int, int | None]] = []
    for i, how in enumerate(passing):
        slots.extend([(i, k) for k in range(len(call.values[i]))] if how == "*" else [(i, None)])
    return slots


class Gradient(Staged):
    """`grad(fn)` / `value_and_grad(fn)`: the gradient of a real scalar function."""

    def __init__(
        self,
        fn: Callable,
        argnums: int | Sequence[int] = 0,
        has_aux: bool = False,
        with_value: bool = False,
        static_argnums: Sequence[int] = (),
    ):
        super().__init__(fn, static_argnums=static_argnums)
        self.argnums = argnums
        self.has_aux = has_aux
        self.with_value = with_value

    def build(self, call: BoundCall) -> tuple[Graph, Interface]:
        positions = self.positions(call)
        graph, interface = trace_function(self.fn, call)
        argument_trees = [
            interface.input_trees[p] if k is None else interface.input_trees[p][k]
            for p, k in positions
        ]
        wrt = [leaf for tree in argument_trees for leaf in tree_indices(tree)]
        # An integer argument makes an integer output: name the argument, the cause, first.
        self.check_differentiable(graph, interface, wrt)
        value_tree, aux_tree = self.split_output(graph, interface)
        value = single_value(value_tree, function_name(self.fn), self.transform)
        self.check_scalar(graph, value)
        name, title = self.naming(graph.name)
        adjoint = reverse(graph, wrt, seeded=[value], name=name)
        first_gradient = len(graph.outputs)
        gradient_of = {leaf: first_gradient + k for k, leaf in enumerate(wrt)}
        trees = [map_tree(tree, gradient_of.__getitem__) for tree in argument_trees]
        gradient_tree = trees[0] if isinstance(self.argnums, int) else tuple(trees)
        result: Any = gradient_tree
        if self.has_aux:
            result = (
                ((value_tree, aux_tree), gradient_tree)
                if self.with_value
                else (gradient_tree, aux_tree)
            )
        elif self.with_value:
            result = (value_tree, gradient_tree)
        adjoint, result = keep_outputs(adjoint, result)
        return adjoint, with_result(interface, adjoint.name, result, title)

    def naming(self, name: str) -> tuple[str, str]:
        kind = "value and gradient" if self.with_value else "gradient"
        return f"grad_{name}", f"the {kind} of `{name}`"

    def split_output(self, graph: Graph, interface: Interface) -> tuple[Any, Any]:
        tree = interface.output_tree
        if not self.has_aux:
            return tree, None
        if not (isinstance(tree, tuple | list) and len(tree) == 2):
            raise TraceError(
                f"{function_name(self.fn)} was given has_aux=True but returns "
                f"{returned(tree)}, not a pair (value, aux)",
                loc=caller_location(),
                hint="return `loss, aux` from the function, or drop has_aux=True",
            )
        return tree[0], tree[1]

    # How a non-scalar output is reported: the transform the user called, and what to use.
    transform = "grad"
    non_scalar_hint = (
        "reduce the output to a scalar (e.g. .sum() or np.mean), or use "
        "tracegrad.vjp for the gradient of a non-scalar output"
    )

    def check_scalar(self, graph: Graph, value: int) -> None:
        output = graph.outputs[value]
        if output.type.shape != () or output.type.dtype.kind != "f":
            raise TraceError(
                f"{self.transform} needs {function_name(self.fn)} to return a real scalar, "
                f"but it returns {output.type}",
                loc=self.origin_line(graph, output),
                hint=self.non_scalar_hint,
            )

    def origin_line(self, graph: Graph, output: Any) -> SourceLoc | None:
        """The line that computed `output`, else the function's own line."""
        producer = next((n for n in graph.nodes if output in n.outputs), None)
        if producer is not None and producer.loc is not None:
            return producer.loc
        return origin_of(self.fn)

    def positions(self, call: BoundCall) -> list[tuple[int, int | None]]:
        """The argnums as (position among the traced parameters, k): k picks the k-th value
        of a *args parameter, which counts as one argument per value (None elsewhere)."""
        argnums = (self.argnums,) if isinstance(self.argnums, int) else tuple(self.argnums)
        if not argnums:
            raise TraceError(
                "argnums is empty: name at least one argument to differentiate",
                loc=caller_location(),
                hint="pass argnums=0, or a tuple such as argnums=(0, 1)",
            )
        slots = argument_slots(call)
        names = [call.names[i] if k is None else f"{call.names[i]}[{k}]" for i, k in slots]
        positions = []
        for argnum in argnums:
            if not -len(slots) <= argnum < len(slots):
                raise TraceError(
                    f"argnums={argnum} is out of range: {function_name(self.fn)} takes "
                    f"{len(slots)} argument{'s' if len(slots) != 1 else ''} "
                    f"({', '.join(names)})",
                    loc=caller_location(),
                    hint=f"use an argnum between 0 and {len(slots) - 1}",
                )
            index, k = slots[argnum % len(slots)]
            if index in call.static:
                raise static_argument_error(call, index)
            positions.append((call.dynamic.index(index), k))
        return positions

    def check_differentiable(self, graph: Graph, interface: Interface, wrt: list[int]) -> None:
        for leaf in wrt:
            var = graph.inputs[leaf]
            if var.type.dtype.kind != "f":
                position, path = interface.input_paths[leaf]
                where = interface.params[position] + "".join(f"[{k!r}]" for k in path)
                raise TraceError(
                    f"cannot differentiate {function_name(self.fn)} with respect to {where}, "
                    f"which is an integer or boolean argument ({var.type}); only "
                    "floating-point values have gradients",
                    loc=caller_location(),
                    hint="pass floats (e.g. x.astype(np.float64)), or choose another argument "
                    "with argnums",
                )


@api_boundary
def grad(
    fn: Callable | None = None,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    static_argnums: Sequence[int] = (),
) -> Any:
    """The gradient of a real-scalar function with respect to argument(s) `argnums`.

    The result has the structure of those arguments (a dict of parameters gets a dict of
    gradients). `.source(*args)` shows the emitted gradient module, `.ir(*args)` its Graph.
    Usable as `@grad` or `@grad(argnums=1)`.
    """
    if fn is None:
        return lambda f: Gradient(f, argnums, has_aux, False, static_argnums)
    return Gradient(fn, argnums, has_aux, False, static_argnums)


@api_boundary
def value_and_grad(
    fn: Callable | None = None,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    static_argnums: Sequence[int] = (),
) -> Any:
    """Like `grad`, but returns `(value, gradient)` (`((value, aux), gradient)` with aux)."""
    if fn is None:
        return lambda f: Gradient(f, argnums, has_aux, True, static_argnums)
    return Gradient(fn, argnums, has_aux, True, static_argnums)


class VJP(Staged):
    """The pullback of `fn` at fixed primals: `vjp_fn(cotangent)` -> one cotangent per
    primal argument, as `tracegrad.vjp` returns it. Staged per signature like the others."""

    transform = "vjp"

    def __init__(self, fn: Callable, primals: tuple):
        super().__init__(fn)
        self.primals = primals

    def bind(self, args: tuple, kwargs: dict) -> BoundCall:
        *primals, cotangent = args
        primal_call = bind_call(self.fn, primals, kwargs, ())
        # The cotangent is passed positionally; a *args parameter keeps its "*" (unpacked).
        passing = (*primal_call.passing, "") if primal_call.passing else ()
        return BoundCall(
            (*primal_call.names, "cotangent"),
            (*primal_call.values, cotangent),
            primal_call.static,
            passing,
        )

    def build(self, call: BoundCall) -> tuple[Graph, Interface]:
        primal_call = BoundCall(call.names[:-1], call.values[:-1], call.static, call.passing[:-1])
        graph, interface = trace_function(self.fn, primal_call)
        _, treedef = flatten(call.values[-1])
        wrt = [leaf for tree in interface.input_trees for leaf in tree_indices(tree)]
        seeded = tree_indices(interface.output_tree)
        adjoint = reverse(graph, wrt, seeded, cotangent_inputs=True, name=f"vjp_{graph.name}")
        first = len(graph.outputs)
        gradient_of = {leaf: first + k for k, leaf in enumerate(wrt)}
        # One cotangent per primal as the caller passed them: each value of a *args apart.
        result = tuple(
            map_tree(
                interface.input_trees[p] if k is None else interface.input_trees[p][k],
                gradient_of.__getitem__,
            )
            for p, k in argument_slots(primal_call)
        )
        adjoint, result = keep_outputs(adjoint, result)
        n_params = len(interface.params)
        cotangent_paths = tuple((n_params, path) for path in leaf_paths(treedef))
        return adjoint, Interface(
            adjoint.name,
            (*interface.params, "cotangent"),
            interface.input_paths + cotangent_paths,
            result,
            interface.origin,
            title=f"the vector-Jacobian product of `{interface.name}`",
            captured=interface.captured,
            state=interface.state,
        )

    def cotangent_function(self, out: Any) -> Callable:
        name = function_name(self.fn)

        def as_cotangent(cotangent: Any) -> Any:
            return cotangent_like(cotangent, out, name)

        @api_boundary
        def vjp_fn(cotangent: Any) -> tuple:
            return self(*self.primals, as_cotangent(cotangent))

        vjp_fn.source = lambda cotangent: self.source(*self.primals, as_cotangent(cotangent))
        vjp_fn.ir = lambda cotangent: self.ir(*self.primals, as_cotangent(cotangent))
        return vjp_fn


def cotangent_like(cotangent: Any, out: Any, name: str) -> Any:
    """The cotangent given to the vjp of `name` as arrays of the shapes and dtypes of the
    output `out` (1.0 for a scalar)."""
    leaves, tree = flatten(cotangent)
    out_leaves, out_tree = flatten(out)
    if tree != out_tree:
        raise TraceError(
            f"the cotangent given to the vjp of {name} does not have the structure of its output",
            loc=caller_location(),
            hint="pass a cotangent shaped like the result",
        )
    return unflatten(
        tree, [cotangent_leaf(leaf, like) for leaf, like in zip(leaves, out_leaves, strict=True)]
    )


def cotangent_leaf(leaf: Any, like: Any) -> Any:
    """One leaf of a cotangent, in the dtype of the output leaf `like`, checked against its
    shape. Inside another transform the output (and the cotangent) may be traced: their types
    come from the trace, and a traced cotangent stays traced."""
    expected = type_of(like)
    array = (
        tnp.astype(leaf, expected.dtype)
        if find_trace([leaf]) is not None
        else np.asarray(leaf, dtype=expected.dtype)
    )
    if type_of(array).shape != expected.shape:
        raise TraceError(
            f"a cotangent of shape {type_of(array).shape} was given for an output "
            f"of shape {expected.shape}",
            loc=caller_location(),
            hint="pass a cotangent shaped like the result",
        )
    return array


@api_boundary
def vjp(fn: Callable, *primals: Any) -> tuple[Any, Callable]:
    """`(fn(*primals), vjp_fn)`: vjp_fn(cotangent) gives one cotangent per primal.

    Use it for functions with non-scalar outputs; `vjp_fn.source(cotangent)` shows the code.
    """
    from .compiled import Compiled

    out = Compiled(fn)(*primals)
    return out, VJP(fn, primals).cotangent_function(out)


def static_argument_error(call: BoundCall, index: int) -> TraceError:
    """The error for argnums naming a static argument (one static_argnums names, or a
    setting tracegrad keeps static by itself)."""
    value = call.values[index]
    why = (
        f"is a {type(value).__name__}, which tracegrad keeps static (a setting, as jax.grad does)"
        if auto_static(value)
        else "is static"
    )
    return TraceError(
        f"argument {call.names[index]!r} {why} and cannot be differentiated",
        loc=caller_location(),
        hint="pass an array or a float there, or choose another argument with argnums"
        if auto_static(value)
        else "remove it from static_argnums or from argnums",
    )
