"""Runtime layer: forward mode and the transforms composed from both modes, staged like `grad`:
`jvp`, `jacfwd`, `jacrev`, `hessian` (jacfwd of grad) and `hvp` (jvp of grad).

Each traces the user's function, transforms its Graph (`ad.forward`, `ad.reverse`) and emits
the result as one module. Applied to traced values (inside `jit`, or under another
transform) they record their Graph into the caller's trace, so they run on the JAX backend
with `tracegrad.jit(..., backend="jax")` as `grad` does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ..ad.forward import forward, jacobian_forward, jacobian_reverse
from ..errors import TraceError
from ..ir import Graph
from ..ir.interface import Interface, map_tree, tree_indices, with_result
from ..tracer import BoundCall, bind_call, trace_function
from ..tracer.pytree import flatten
from ..tracer.source import caller_location
from ..tracer.trace import leaf_type
from .compiled import Staged
from .gradients import Gradient, argument_slots, function_name, keep_outputs
from .tracebacks import api_boundary

# What `jit(JVP(f))` binds its arguments to: the staged JVP is called as (primals, tangents).
PRIMALS_AND_TANGENTS = inspect.Signature(
    [
        inspect.Parameter("primals", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("tangents", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    ]
)
TANGENT_HINT = (
    "give each primal a tangent of the same structure, shape and dtype, or None "
    "to hold that argument constant"
)


def is_container(value: Any) -> bool:
    return isinstance(value, dict | list) or (
        isinstance(value, tuple) and not hasattr(value, "_fields")
    )


def describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"a dict with keys {list(value)}"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)}"
    return "None" if value is None else "an array or number"


def check_same_kind(primal: Any, tangent: Any, where: str) -> None:
    """A tangent (not None) is the same kind of container as its primal, with the same keys
    or length, or a leaf where the primal is one."""
    if is_container(primal):
        same_kind = type(tangent) is type(primal) and (
            set(tangent) == set(primal) if isinstance(primal, dict) else len(tangent) == len(primal)
        )
    else:
        same_kind = primal is not None and not is_container(tangent)
    if not same_kind:
        raise TraceError(
            f"the tangent for {where} is {describe(tangent)}, but the primal is {describe(primal)}",
            loc=caller_location(),
            hint=TANGENT_HINT,
        )


def walk_tangent(
    primal: Any,
    tangent: Any,
    where: str,
    visit: Callable[[int, Any, Any, str], Any],
    counter: list[int],
) -> Any:
    """`tangent` rebuilt with `visit(k, primal leaf, tangent leaf, where)` at each leaf, k
    numbering the primal's leaves in flatten order. A None tangent holds the whole subtree
    constant; any other difference in structure is an error naming `where`."""
    if tangent is None:
        counter[0] += len(flatten(primal)[0])
        return None
    check_same_kind(primal, tangent, where)
    if isinstance(primal, dict):
        return {
            key: walk_tangent(primal[key], tangent[key], f"{where}[{key!r}]", visit, counter)
            for key in primal
        }
    if is_container(primal):
        return type(primal)(
            walk_tangent(p, t, f"{where}[{i}]", visit, counter)
            for i, (p, t) in enumerate(zip(primal, tangent, strict=True))
        )
    counter[0] += 1
    return visit(counter[0] - 1, primal, tangent, where)


def with_tangents(
    interface: Interface,
    call: BoundCall,
    wrt: list[int],
    tangent_input: Callable[[int, int], int],
) -> Interface:
    """`interface` extended by one parameter per tangent given: its leaves are the graph
    inputs after the primal ones (`tangent_input(parameter, leaf)`), in `wrt` order."""
    n = len(call.names) // 2
    tangent_params = [p for p in range(n) if call.values[n + p] is not None]
    position = {p: n + rank for rank, p in enumerate(tangent_params)}
    tangent_trees = [
        walk_tangent(
            call.values[p],
            call.values[n + p],
            call.names[p],
            lambda k, *_, p=p: tangent_input(p, k),
            [0],
        )
        for p in tangent_params
    ]
    paths = interface.input_paths
    tangent_paths = tuple((position[paths[leaf][0]], paths[leaf][1]) for leaf in wrt)
    return replace(
        interface,
        params=(*interface.params, *(call.names[n + p] for p in tangent_params)),
        input_paths=paths + tangent_paths,
        input_trees=(*interface.input_trees, *tangent_trees),
    )


class JVP(Staged):
    """`JVP(fn)(primals, tangents)` -> `(fn(*primals), tangent of the result)`: the
    Jacobian-vector product, staged per signature of primals and tangents like `jit`.

    `tracegrad.jvp(fn, primals, tangents)` calls it; keep a `JVP(fn)` to reuse its cache
    across calls, and read its module with `.source(primals, tangents)` (its Graph with
    `.ir(primals, tangents)`). The emitted function takes the primals, then the tangents.
    """

    transform = "jvp"

    def __init__(self, fn: Callable):
        super().__init__(fn)
        self.__signature__ = PRIMALS_AND_TANGENTS

    def __call__(self, primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
        return super().__call__(*self.flat(primals, tangents))

    def source(
        self,
        primals: Sequence[Any],
        tangents: Sequence[Any],  # type: ignore[override]
        optimize: bool = True,
    ) -> str:
        return super().source(*self.flat(primals, tangents), optimize=optimize)

    def ir(
        self,
        primals: Sequence[Any],
        tangents: Sequence[Any],  # type: ignore[override]
        optimize: bool = True,
    ) -> Graph:
        return super().ir(*self.flat(primals, tangents), optimize=optimize)

    def flat(self, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple:
        name = function_name(self.fn)
        for what, value in (("primals", primals), ("tangents", tangents)):
            if not isinstance(value, tuple | list):
                raise TraceError(
                    f"{self.transform} takes the {what} of {name} as a tuple, one per "
                    f"argument, but got a {type(value).__name__}",
                    loc=caller_location(),
                    hint=f"write {self.transform}(f, (x,), (v,)) for a function of one argument",
                )
        if len(primals) != len(tangents):
            raise TraceError(
                f"{self.transform} was given {len(primals)} primals but {len(tangents)} "
                f"tangents for {name}",
                loc=caller_location(),
                hint=TANGENT_HINT,
            )
        return (*primals, *tangents)

    def bind(self, args: tuple, kwargs: dict) -> BoundCall:
        """The primal parameters, then one tangent parameter (`x_dot`) per primal one. A None
        tangent is marked static: the emitted function does not take it."""
        if kwargs:
            raise TraceError(
                f"{self.transform} passes arguments by position only",
                loc=caller_location(),
                hint="put every argument in the tuples",
            )
        n = len(args) // 2
        primal_call = bind_call(self.fn, args[:n], {}, ())
        tangents = bind_call(self.fn, args[n:], {}, ()).values
        names = (*primal_call.names, *(f"{name}_dot" for name in primal_call.names))
        constant = frozenset(len(tangents) + k for k, t in enumerate(tangents) if t is None)
        passing = primal_call.passing * 2 if primal_call.passing else ()
        return BoundCall(names, (*primal_call.values, *tangents), constant, passing)

    def function(self, call: BoundCall) -> Callable:
        """The function whose JVP this is (HVP differentiates the gradient)."""
        return self.fn

    def result(self, primal_tree: Any, tangent_tree: Any, call: BoundCall) -> Any:
        return (primal_tree, tangent_tree)

    def build(self, call: BoundCall) -> tuple[Graph, Interface]:
        n = len(call.names) // 2
        given = self.given_tangents(call)
        primal_call = BoundCall(call.names[:n], call.values[:n], frozenset(), call.passing[:n])
        graph, interface = trace_function(self.function(call), primal_call)
        leaves = [tree_indices(tree) for tree in interface.input_trees]
        wrt = [leaves[p][k] for p in range(n) for k in given[p]]
        name, title = self.naming(graph.name)
        jvp_graph = forward(graph, wrt, name=name)
        first = len(graph.outputs)
        tangent_tree = map_tree(interface.output_tree, lambda i: first + i)
        jvp_graph, result = keep_outputs(
            jvp_graph, self.result(interface.output_tree, tangent_tree, call)
        )
        tangent_input = {leaf: len(graph.inputs) + j for j, leaf in enumerate(wrt)}
        interface = Interface(
            jvp_graph.name,
            interface.params,
            interface.input_paths,
            result,
            interface.origin,
            input_trees=interface.input_trees,
            title=title,
            captured=interface.captured,
            state=interface.state,
        )
        return jvp_graph, with_tangents(
            interface, call, wrt, lambda p, k: tangent_input[leaves[p][k]]
        )

    def given_tangents(self, call: BoundCall) -> list[list[int]]:
        """For each primal parameter, the positions (in flatten order) of the leaves that have
        a tangent, each checked against its primal. Checked before tracing: the error is
        about the call, not about the function."""
        n = len(call.names) // 2
        given: list[list[int]] = []
        for p in range(n):
            positions: list[int] = []

            def visit(
                k: int, primal: Any, tangent: Any, where: str, positions: list[int] = positions
            ) -> None:
                self.check_leaf(primal, tangent, where)
                positions.append(k)

            walk_tangent(call.values[p], call.values[n + p], call.names[p], visit, [0])
            given.append(positions)
        return given

    def check_leaf(self, primal: Any, tangent: Any, where: str) -> None:
        primal_type = leaf_type(primal, where, self.fn)
        tangent_type = leaf_type(tangent, f"{where} (its tangent)", self.fn)
        problem = None
        if primal_type.dtype.kind not in "fc":
            raise TraceError(
                f"{where} holds {primal_type} values, which carry no tangent (only "
                "floating-point values have derivatives)",
                loc=caller_location(),
                hint="pass None as its tangent to hold it constant, or pass floats "
                "(x.astype(np.float64))",
            )
        if tangent_type.shape != primal_type.shape:
            problem = f"has shape {tangent_type.shape}, but the primal has {primal_type.shape}"
        elif tangent_type.dtype != primal_type.dtype:
            problem = f"holds {tangent_type.dtype} values, but the primal holds {primal_type.dtype}"
        if problem is not None:
            raise TraceError(
                f"the tangent for {where} {problem}", loc=caller_location(), hint=TANGENT_HINT
            )

    def naming(self, name: str) -> tuple[str, str]:
        return f"jvp_{name}", f"the Jacobian-vector product of `{name}`"


class ScalarGradient(Gradient):
    """The gradient inside `hessian` and `hvp`: a non-scalar function is reported as given to
    them, not to `grad`."""

    non_scalar_hint = (
        "reduce the output to a scalar (e.g. .sum() or np.mean); for a vector "
        "function use jacfwd or jacrev"
    )

    def __init__(self, fn: Callable, argnums: int | Sequence[int], transform: str):
        super().__init__(fn, argnums)
        self.transform = transform


class HVP(JVP):
    """`HVP(fn)(primals, tangents)`: the Hessian of the real scalar `fn` with respect to all
    its arguments, applied to the tangents; forward mode over reverse mode (a JVP of the
    gradient), never the Hessian itself. One result per argument, None where the tangent is."""

    transform = "hvp"

    def differentiated(self, call: BoundCall) -> list[int]:
        """The positional arguments that have a tangent (argnums of the gradient)."""
        n = len(call.names) // 2
        slots = argument_slots(
            BoundCall(call.names[:n], call.values[:n], frozenset(), call.passing[:n])
        )
        tangents = [call.values[n + p] if k is None else call.values[n + p][k] for p, k in slots]
        return [s for s, tangent in enumerate(tangents) if tangent is not None]

    def function(self, call: BoundCall) -> Callable:
        argnums = self.differentiated(call)
        if not argnums:
            raise TraceError(
                f"hvp of {function_name(self.fn)} was given no tangent",
                loc=caller_location(),
                hint="give at least one argument a tangent",
            )
        return ScalarGradient(self.fn, tuple(argnums), "hvp")

    def result(self, primal_tree: Any, tangent_tree: Any, call: BoundCall) -> Any:
        argnums = self.differentiated(call)
        n = len(call.names) // 2
        count = len(
            argument_slots(
                BoundCall(call.names[:n], call.values[:n], frozenset(), call.passing[:n])
            )
        )
        return tuple(tangent_tree[argnums.index(s)] if s in argnums else None for s in range(count))

    def naming(self, name: str) -> tuple[str, str]:
        return f"hvp_{name}", f"the Hessian-vector product of `{name}`"


class Jacobian(Gradient):
    """`jacfwd(fn)`, `jacrev(fn)`, `hessian(fn)`: the Jacobian of every output with respect
    to argument(s) `argnums`; an output of shape O and an input of shape I give a block of
    shape O + I. The result has the output's structure, each leaf holding the structure of
    the arguments (a tuple of them for a tuple of argnums), as in JAX."""

    def __init__(self, fn: Callable, argnums: int | Sequence[int], mode: str, kind: str):
        super().__init__(fn, argnums)
        self.mode = mode  # "forward": one JVP per input element; "reverse": one VJP per output
        self.kind = kind  # "jacobian" or "hessian", for names and titles

    def build(self, call: BoundCall) -> tuple[Graph, Interface]:
        positions = self.positions(call)
        graph, interface = trace_function(self.fn, call)
        argument_trees = [
            interface.input_trees[p] if k is None else interface.input_trees[p][k]
            for p, k in positions
        ]
        wrt = [leaf for tree in argument_trees for leaf in tree_indices(tree)]
        self.check_differentiable(graph, interface, wrt)
        name, title = self.naming(graph.name)
        build = jacobian_forward if self.mode == "forward" else jacobian_reverse
        distinct = list(dict.fromkeys(wrt))  # argnums may name an argument twice
        # A Hessian block is the derivative of a gradient `d_x`: `d_x_dy` reads as d(d_x)/dy.
        label = "{out}_d{input}" if self.kind == "hessian" else "d{out}_d{input}"
        jacobian = build(graph, distinct, name, label)
        first = len(graph.outputs)
        block = {
            (o, leaf): first + o * len(distinct) + k
            for o in range(len(graph.outputs))
            for k, leaf in enumerate(distinct)
        }

        def blocks_of(output: int) -> Any:
            trees = [map_tree(tree, lambda leaf: block[output, leaf]) for tree in argument_trees]
            return trees[0] if isinstance(self.argnums, int) else tuple(trees)

        jacobian, result = keep_outputs(jacobian, map_tree(interface.output_tree, blocks_of))
        return jacobian, with_result(interface, jacobian.name, result, title)

    def naming(self, name: str) -> tuple[str, str]:
        if self.kind == "hessian":
            return f"hessian_{name}", f"the Hessian of `{name}`"
        prefix = "jacfwd" if self.mode == "forward" else "jacrev"
        return f"{prefix}_{name}", f"the Jacobian of `{name}` ({self.mode} mode)"


@api_boundary
def jvp(fn: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """`(fn(*primals), J t)`: the value of `fn` and its Jacobian applied to the tangents, in
    one forward pass (forward mode), as `jax.jvp`.

    `primals` and `tangents` are tuples with one entry per argument; each tangent has its
    primal's structure (pytrees allowed), shapes and dtypes. A None tangent holds that
    argument (or subtree) constant: integer arguments take None. `JVP(fn)` is the staged
    transform behind it (`.source(primals, tangents)` shows the emitted module).
    """
    return JVP(fn)(primals, tangents)


@api_boundary
def hvp(fn: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple:
    """The Hessian of the real scalar `fn` (with respect to all its arguments) times the
    tangents, by forward mode over reverse mode, without building the Hessian. One result per
    argument, each shaped like it (None where the tangent is None). `HVP(fn)` is the staged
    transform behind it (`.source(primals, tangents)` shows the emitted module)."""
    return HVP(fn)(primals, tangents)


@api_boundary
def jacfwd(fn: Callable, argnums: int | Sequence[int] = 0) -> Jacobian:
    """The Jacobian of `fn` with respect to argument(s) `argnums`, by forward mode: one JVP per
    input element, unrolled in the emitted module (suits few inputs, many outputs). An output
    of shape O and an input of shape I give a block of shape O + I, as `jax.jacfwd`."""
    return Jacobian(fn, argnums, "forward", "jacobian")


@api_boundary
def jacrev(fn: Callable, argnums: int | Sequence[int] = 0) -> Jacobian:
    """As `jacfwd`, by reverse mode: one VJP per output element (suits few outputs)."""
    return Jacobian(fn, argnums, "reverse", "jacobian")


@api_boundary
def hessian(fn: Callable, argnums: int | Sequence[int] = 0) -> Jacobian:
    """The Hessian of the real scalar `fn` with respect to argument(s) `argnums`: jacfwd of
    grad, forward mode over reverse mode. For an input of shape I it has shape I + I."""
    return Jacobian(ScalarGradient(fn, argnums, "hessian"), argnums, "forward", "hessian")
