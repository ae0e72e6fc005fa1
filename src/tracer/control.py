"""Tracer layer: `cond`, `scan`, `fori_loop` and `while_loop`, control flow that stays a
branch or a loop in the IR and in the emitted code (see ir/primitives/control.py).

Each function traces the user's branch or body once into a nested Graph, on values of the
operands' types, and records one node. Values the body reads from the enclosing function
(a closure over `W`) are captured as extra inputs. Called on concrete values outside any
trace, each simply runs, as JAX's do.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import TraceError
from ..ir import Graph, TensorType, Var
from ..ir.primitives import control
from . import functions as tnp
from . import intercept
from .context import Trace, find_trace, running_trace
from .pytree import TreeDef, flatten, leaf_paths, tree_map, unflatten
from .source import caller_location
from .trace import bind_call, function_name, path_hint, trace_function


@dataclass(frozen=True, slots=True)
class Nested:
    """A traced body: its Graph (explicit inputs, then captured ones), the enclosing
    values it captured, and the structure of what it returned."""

    graph: Graph
    captured: list[Any]
    out_tree: TreeDef

    def reordered(self, explicit: int, before: int = 0) -> Graph:
        """The Graph with its captured inputs moved right after the first `before` explicit
        ones (`(i, *captured, *carry)` for fori_loop)."""
        inputs = self.graph.inputs
        order = (*inputs[:before], *inputs[explicit:], *inputs[before:explicit])
        return Graph(self.graph.name, order, self.graph.nodes, self.graph.outputs)


def body_name(fn: Callable, default: str) -> str:
    name = function_name(fn)
    return name if name.isidentifier() else default


def trace_body(
    parent: Trace,
    fn: Callable,
    arg_types: Sequence[Sequence[TensorType]],
    trees: Sequence[TreeDef],
    hints: Sequence[Sequence[str | None]],
    default_name: str,
) -> Nested:
    """Trace `fn` on one argument per entry of `trees`, each a pytree of fresh values of
    `arg_types`, into a Graph nested in `parent`."""
    trace = Trace(body_name(fn, default_name), parent)
    call_args = []
    for types, tree, names in zip(arg_types, trees, hints, strict=True):
        leaves = [trace.new_input(t, h or "x") for t, h in zip(types, names, strict=True)]
        call_args.append(unflatten(tree, leaves))
    check_arity(
        fn,
        call_args,
        body_name(fn, default_name),
        f"{len(call_args)} argument{'s' if len(call_args) != 1 else ''}",
    )
    try:
        with intercept.active(), trace.running():
            result = fn(*call_args)
        leaves, out_tree = flatten(result)
        operands = [trace.operand(strong(trace, leaf)) for leaf in leaves]
    finally:
        trace.active = False
    captured = [parent.wrap(outer) for outer in trace.captured]
    return Nested(trace.builder.build(operands), captured, out_tree)


def check_arity(fn: Callable, args: Sequence[Any], role: str, expected: str) -> None:
    """A body, branch or rule that cannot take the arguments it is given is the user's
    mistake, said at the user's line, not a TypeError from inside tracegrad."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin: let the call itself decide
        return
    try:
        signature.bind(*args)
    except TypeError as error:
        raise TraceError(
            f"{role} is called with {len(args)} arguments, but {error}",
            loc=caller_location(),
            hint=f"define it to take {expected}",
        ) from None


def split(leaves: list[Any], tree: TreeDef) -> tuple[list[list[Any]], list[TreeDef]]:
    """The leaves of a tuple of pytrees, one list per member, and each member's structure."""
    groups, start = [], 0
    for child in tree.children:
        groups.append(leaves[start : start + child.num_leaves])
        start += child.num_leaves
    return groups, list(tree.children)


def strong(trace: Trace, leaf: Any) -> Any:
    """A result leaf as a value of one fixed dtype: a Python number becomes a NumPy one."""
    if isinstance(leaf, bool | int | float | complex) or (
        getattr(leaf, "ir_var", None) is not None and leaf.ir_var.type.weak
    ):
        return tnp.as_array(leaf)
    if isinstance(leaf, np.generic | np.ndarray) or getattr(leaf, "_trace", None) is not None:
        return leaf
    raise TraceError(
        f"a loop body or branch returned a {type(leaf).__name__}; it must return arrays, "
        "numbers, or tuples, lists and dicts of them",
        loc=caller_location(),
        hint="return only array values from the function you pass to tracegrad's control flow",
    )


def operand_leaves(trace: Trace, tree: Any) -> tuple[list[Any], TreeDef]:
    """The leaves of an operand pytree, each a Tracer or a strong-typed constant."""
    leaves, treedef = flatten(tree)
    return [strong(trace, leaf) for leaf in leaves], treedef


def param_hints(
    fn: Callable, position: int, tree: TreeDef, fallback: list[str | None]
) -> list[str | None]:
    """Names for the leaves of argument `position` of `fn`: its parameter's name (`h`, or
    `state_0`, `state_1` for a tuple), else `fallback`."""
    try:
        parameters = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        return fallback
    if position >= len(parameters):
        return fallback
    return [path_hint(parameters[position].name, path) for path in leaf_paths(tree)]


def types_of(leaves: Sequence[Any]) -> list[TensorType]:
    return [tnp.type_of(leaf) for leaf in leaves]


def hints_of(leaves: Sequence[Any], default: str) -> list[str | None]:
    return [getattr(getattr(leaf, "ir_var", None), "hint", None) or default for leaf in leaves]


def check_structure(what: str, expected: TreeDef, actual: TreeDef, fix: str) -> None:
    if expected != actual:
        raise TraceError(
            f"{what} has another structure than expected: got {describe(actual)}, "
            f"expected {describe(expected)}",
            loc=caller_location(),
            hint=fix,
        )


def describe(tree: TreeDef) -> str:
    """`(*, {'a': *})`: a structure with its leaves as stars; one leaf is `a single value`."""
    if tree.kind == "leaf":
        return "a single value"
    return repr(unflatten(tree, ["*"] * tree.num_leaves)).replace("'*'", "*")


# --- cond -------------------------------------------------------------------------------


def cond(pred: Any, true_fn: Callable, false_fn: Callable, *operands: Any) -> Any:
    """`true_fn(*operands)` if `pred` else `false_fn(*operands)`, as one branch in the IR:
    an `if`/`else` block in NumPy, `jax.lax.cond` in JAX. Both branches must return the same
    structure of arrays of the same shapes and dtypes. `pred` is a 0-d value (nonzero is
    true). Only the branch taken is differentiated."""
    trace = running_trace()
    if trace is None:
        return true_fn(*operands) if pred else false_fn(*operands)
    pred = as_predicate(pred)
    if find_trace([pred]) is None:  # a concrete predicate: only that branch exists
        return true_fn(*operands) if pred else false_fn(*operands)
    leaves, tree = operand_leaves(trace, tuple(operands))
    true, false = (
        trace_branch(trace, branch, leaves, tree, name)
        for branch, name in ((true_fn, "true_branch"), (false_fn, "false_branch"))
    )
    check_structure(
        "cond: the false branch's result",
        true.out_tree,
        false.out_tree,
        "return the same structure (tuples, lists, dicts) from both branches",
    )
    captured, graphs = with_shared_captures([true, false], len(leaves))
    outputs = trace.bind_many(
        control.cond,
        [pred, *leaves, *captured.values()],
        hints=[getattr(v, "hint", None) for v in true.graph.outputs],
        true=graphs[0],
        false=graphs[1],
    )
    return unflatten(true.out_tree, outputs)


def as_predicate(pred: Any) -> Any:
    """cond's predicate as a 0-d bool (nonzero is true); any other shape is refused."""
    if tnp.type_of(pred).shape != ():
        raise TraceError(
            f"cond: the predicate must be a single value, got shape {tnp.type_of(pred).shape}",
            loc=caller_location(),
            hint="reduce it first (np.all(...), np.any(...)), or select "
            "elementwise with np.where(condition, a, b)",
        )
    return pred if tnp.type_of(pred).dtype == np.bool_ else pred != 0


def trace_branch(trace: Any, branch: Callable, leaves: list, tree: TreeDef, name: str) -> Nested:
    """One branch of a cond traced on the operands' types, its parameters named after the
    branch function's own."""
    groups, trees = split(leaves, tree)
    types = [types_of(group) for group in groups]
    hints = [hints_of(group, "x") for group in groups]
    names = [
        param_hints(branch, k, tree_k, h)
        for k, (tree_k, h) in enumerate(zip(trees, hints, strict=True))
    ]
    return trace_body(trace, branch, types, trees, names, name)


def with_shared_captures(
    branches: list[Nested], explicit: int
) -> tuple[dict[Var, Any], list[Graph]]:
    """Every value either branch captured (once, by its Var in the enclosing trace), and
    each branch's Graph taking its `explicit` inputs, then all of those."""
    captured: dict[Var, Any] = {}
    for branch in branches:
        captured.update((value.ir_var, value) for value in branch.captured)
    return captured, [with_inputs(branch, explicit, list(captured)) for branch in branches]


def with_inputs(branch: Nested, explicit: int, captured: list[Var]) -> Graph:
    """The branch's Graph taking its explicit inputs, then every value either branch
    captured (`captured`, in order), so both branches have one signature; a value only the
    other branch reads is an unused input."""
    own = dict(
        zip(
            (value.ir_var for value in branch.captured), branch.graph.inputs[explicit:], strict=True
        )
    )
    extra = tuple(own.get(var) or Var(var.type, var.hint) for var in captured)
    graph = branch.graph
    return Graph(graph.name, (*graph.inputs[:explicit], *extra), graph.nodes, graph.outputs)


# --- scan -------------------------------------------------------------------------------


def scan(
    f: Callable, init: Any, xs: Any = None, length: int | None = None, reverse: bool = False
) -> tuple[Any, Any]:
    """Loop `carry, y = f(carry, x)` over the leading axis of `xs` (a pytree of arrays, or
    None with `length`), from `init`; returns the final carry and the ys stacked along a new
    leading axis, as `jax.lax.scan`. `reverse=True` runs from the last element to the first.
    The carry must keep its structure, shapes and dtypes. Stays a `for` loop in the IR and in
    the emitted code, and is differentiated as one (backpropagation through time)."""
    trace = running_trace()
    x_leaves, x_tree = flatten(xs)
    length = scan_length(x_leaves, length)
    if trace is None:
        return eager_scan(f, init, xs, x_leaves, x_tree, length, reverse)
    carry, carry_tree = operand_leaves(trace, init)
    x_leaves, _ = operand_leaves(trace, xs)
    body = trace_step(trace, f, carry, carry_tree, x_leaves, x_tree)
    out = body.out_tree
    graph = body.reordered(len(carry) + len(x_leaves))
    outputs = trace.bind_many(
        control.scan,
        [*body.captured, *carry, *x_leaves],
        hints=scan_hints(graph, len(body.captured), len(carry)),
        body=graph,
        length=length,
        reverse=bool(reverse),
        num_consts=len(body.captured),
        num_carry=len(carry),
    )
    return (
        unflatten(carry_tree, outputs[: len(carry)]),
        unflatten(out.children[1], outputs[len(carry) :]),
    )


def scan_hints(graph: Graph, num_consts: int, num_carry: int) -> list[str | None]:
    """The scan's outputs named after its body: each final carry as the carry it updates,
    each stack of ys in the plural (`h` -> `hs`)."""
    carry_hints = [v.hint for v in graph.inputs[num_consts:][:num_carry]]
    return carry_hints + [f"{v.hint}s" if v.hint else None for v in graph.outputs[num_carry:]]


def trace_step(
    trace: Trace, f: Callable, carry: list, carry_tree: TreeDef, x_leaves: list, x_tree: TreeDef
) -> Nested:
    """scan's `f` traced on one carry and one slice of the xs; it must return a pair
    (new carry, y) whose carry keeps init's structure."""
    carry_types = types_of(carry)
    slice_types = [TensorType(t.shape[1:], t.dtype) for t in types_of(x_leaves)]
    carry_hints = param_hints(f, 0, carry_tree, hints_of(carry, "carry"))
    x_hints = param_hints(f, 1, x_tree, [f"{h}_t" for h in hints_of(x_leaves, "x")])
    body = trace_body(
        trace, f, [carry_types, slice_types], [carry_tree, x_tree], [carry_hints, x_hints], "step"
    )
    out = body.out_tree
    if out.kind not in ("tuple", "list") or len(out.children) != 2:
        raise TraceError(
            f"scan: {body.graph.name} must return a pair (new carry, y), got {describe(out)}",
            loc=caller_location(),
            hint="return `carry, y`; use None for y when there is nothing to stack",
        )
    check_structure(
        f"scan: the new carry {body.graph.name} returns",
        carry_tree,
        out.children[0],
        "return the carry in the structure of init",
    )
    return body


def scan_length(x_leaves: list[Any], length: int | None) -> int:
    lengths = {np.shape(x)[0] if np.ndim(x) else None for x in x_leaves}
    if None in lengths:
        raise TraceError(
            "scan: every xs array needs a leading axis to loop over",
            loc=caller_location(),
            hint="pass arrays of at least one dimension",
        )
    if length is not None:
        lengths.add(int(length))
    if len(lengths) > 1:
        raise TraceError(
            f"scan: xs have different leading lengths {sorted(lengths)}",
            loc=caller_location(),
            hint="give every xs array (and `length`) the same leading size",
        )
    if not lengths:
        raise TraceError(
            "scan: without xs, the number of steps must be given as length=",
            loc=caller_location(),
            hint="scan(f, init, None, length=n)",
        )
    return lengths.pop()


def eager_scan(f, init, xs, x_leaves, x_tree, length, reverse):
    carry, ys = init, []
    steps = range(length - 1, -1, -1) if reverse else range(length)
    for t in steps:
        x = None if xs is None else unflatten(x_tree, [leaf[t] for leaf in x_leaves])
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys:  # no step ran to show what ys are: tracing tells their structure and types

        def stacked(init: Any, xs: Any) -> Any:
            return scan(f, init, xs, length=length)[1]

        graph, interface = trace_function(stacked, bind_call(stacked, (init, xs), {}, ()))
        empty = [np.empty(t.shape, t.dtype) for t in graph.output_types]
        return carry, tree_map(lambda k: empty[k], interface.output_tree)
    y_leaves = [flatten(y)[0] for y in ys]
    stacked = [np.stack([leaves[k] for leaves in y_leaves]) for k in range(len(y_leaves[0]))]
    return carry, unflatten(flatten(ys[0])[1], stacked)


# --- fori_loop --------------------------------------------------------------------------


def loop_bound(name: str, bound: Any) -> Any:
    """A fori_loop bound: a Python int, or a traced 0-d integer."""
    if isinstance(bound, int | np.integer) and not isinstance(bound, bool):
        return int(bound)
    t = tnp.type_of(bound)
    if t.shape != () or t.dtype.kind not in "iu":
        raise TraceError(
            f"fori_loop: the {name} bound must be an integer, got {t}",
            loc=caller_location(),
            hint="pass a Python int or a 0-d integer array",
        )
    return bound


def loop_index_type(bounds: list[Any]) -> TensorType:
    """With Python-int bounds the index is what the eager loop gives the body, a Python int
    (weak: `c + i * 0.1` keeps a float32 carry float32, as it does when run plainly); with
    traced bounds it is an integer of the bounds' dtype (at least int64), as JAX's is."""
    traced_bounds = [tnp.type_of(b).dtype for b in bounds if not isinstance(b, int)]
    if traced_bounds:
        return TensorType((), np.result_type(np.int64, *traced_bounds))
    return TensorType((), np.dtype(np.int64), weak=True)


def trace_loop_body(
    trace: Trace, body_fn: Callable, index_type: TensorType, carry: list[Any], carry_tree: TreeDef
) -> Nested:
    """`body_fn(i, carry)` traced as a nested graph, its parameters named after the user's
    (`i` and the carry's leaves where the body does not name them)."""
    index_tree = flatten(0)[1]
    return trace_body(
        trace,
        body_fn,
        [[index_type], types_of(carry)],
        [index_tree, carry_tree],
        [
            param_hints(body_fn, 0, index_tree, ["i"]),
            param_hints(body_fn, 1, carry_tree, hints_of(carry, "carry")),
        ],
        "body",
    )


def fori_loop(lower: Any, upper: Any, body_fn: Callable, init: Any) -> Any:
    """`for i in range(lower, upper): carry = body_fn(i, carry)`, from `init`; returns the
    final carry, as `jax.lax.fori_loop`. With bounds known while tracing (Python ints) it
    is differentiable in both modes; with traced bounds in forward mode only."""
    trace = running_trace()
    if trace is None:
        carry = init
        for i in range(int(lower), int(upper)):
            carry = body_fn(i, carry)
        return carry
    carry, carry_tree = operand_leaves(trace, init)
    bounds = [loop_bound(name, bound) for name, bound in (("lower", lower), ("upper", upper))]
    body = trace_loop_body(trace, body_fn, loop_index_type(bounds), carry, carry_tree)
    check_structure(
        f"fori_loop: the carry {body.graph.name} returns",
        carry_tree,
        body.out_tree,
        "return the carry in the structure of init",
    )
    graph = body.reordered(1 + len(carry), before=1)
    outputs = trace.bind_many(
        control.fori_loop,
        [*bounds, *body.captured, *carry],
        hints=[v.hint for v in graph.inputs[1 + len(body.captured) :]],
        body=graph,
        num_consts=len(body.captured),
    )
    return unflatten(carry_tree, outputs)


# --- while_loop -------------------------------------------------------------------------


def check_loop_test(test: Nested) -> None:
    """while_loop's cond_fn must return a single boolean."""
    if test.out_tree.kind != "leaf" or test.graph.output_types[0].shape != ():
        raise TraceError(
            f"while_loop: {test.graph.name} must return a single boolean",
            loc=caller_location(),
            hint="reduce with np.all(...) or np.any(...)",
        )
    if test.graph.output_types[0].dtype != np.bool_:
        raise TraceError(
            f"while_loop: {test.graph.name} returns {test.graph.output_types[0]}, not a bool",
            loc=caller_location(),
            hint="compare explicitly, e.g. `return n > 0`",
        )


def trace_on_carry(
    trace: Trace, fn: Callable, carry: list[Any], carry_tree: TreeDef, default_name: str
) -> Nested:
    """`fn(carry)` (while_loop's test or body) traced as a nested graph, its parameter
    named after the user's."""
    hints = param_hints(fn, 0, carry_tree, hints_of(carry, "carry"))
    return trace_body(trace, fn, [types_of(carry)], [carry_tree], [hints], default_name)


def while_loop(cond_fn: Callable, body_fn: Callable, init: Any) -> Any:
    """`while cond_fn(carry): carry = body_fn(carry)`, from `init`; returns the final carry,
    as `jax.lax.while_loop`. Differentiable in forward mode (jvp, jacfwd); reverse mode would
    need every iteration kept, so grad raises and suggests scan or a static fori_loop."""
    trace = running_trace()
    if trace is None:
        carry = init
        while cond_fn(carry):
            carry = body_fn(carry)
        return carry
    carry, carry_tree = operand_leaves(trace, init)
    test = trace_on_carry(trace, cond_fn, carry, carry_tree, "cond")
    check_loop_test(test)
    body = trace_on_carry(trace, body_fn, carry, carry_tree, "body")
    check_structure(
        f"while_loop: the carry {body.graph.name} returns",
        carry_tree,
        body.out_tree,
        "return the carry in the structure of init",
    )
    outputs = trace.bind_many(
        control.while_loop,
        [*test.captured, *body.captured, *carry],
        hints=[v.hint for v in body.graph.inputs[: len(carry)]],
        cond=test.reordered(len(carry)),
        body=body.reordered(len(carry)),
        num_cond_consts=len(test.captured),
        num_body_consts=len(body.captured),
    )
    return unflatten(carry_tree, outputs)
