"""Codegen layer: the NumPy backend, one emission rule per primitive.

Rules write what a careful person writes: operators where NumPy has them (`x @ W`, `-x`),
`np.` functions elsewhere, methods for reshapes (`x.reshape(8, 1)`, `x.T`). The module
imports numpy and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ir import Graph, Literal, Node, Operand, Var
from ..ir.constants import describe_constant
from ..ir.interface import Interface
from ..ir.passes.memory import is_large, may_be_shared, plan_memory, shared_stacks
from ..ir.primitive import Group, Primitive, Trait
from ..ir.primitives import control as control_primitives
from ..ir.primitives import elementwise, indexing, linalg, markers, shapes, special
from ..ir.primitives.contractions import matmul
from ..ir.primitives.elementwise import UFUNCS
from ..ir.result_kinds import result_kinds
from . import common
from .array_api import array_api_rules, build_rules
from .backend import Backend, BlockRule, EmitRule, with_location
from .common import (
    FUNCTION_NAMES,
    OPERATORS,
    gather_parts,
    index_key,
    is_array_value,
    shape_expr,
)
from .control import (
    assignment,
    carry_bases,
    indent,
    initial_carry_names,
    loop_variables,
    reads,
)
from .emitter import Emitter
from .expressions import Expr, arguments, binary, method, unary


def dtype_expr(dtype: np.dtype) -> str:
    return common.dtype_expr(dtype, "np")


def number(value: Any) -> str:
    return common.number(value, "np")


def with_dtype(call: str, dtype: np.dtype, default: np.dtype) -> str:
    return call if np.dtype(dtype) == default else f"{call[:-1]}, dtype={dtype_expr(dtype)})"


def literal(x: Literal) -> str:
    if x.type.weak:
        return number(x.value)
    dtype = x.type.dtype
    if x.type.ndim == 0:
        return f"{dtype_expr(dtype)}({number(x.value.item())})"
    pattern = describe_constant(x.value)
    shape = shape_expr(x.type.shape)
    float64 = np.dtype(np.float64)
    if pattern.kind in ("zeros", "ones"):
        return with_dtype(f"np.{pattern.kind}({shape})", dtype, float64)
    if pattern.kind == "full":
        inferred = np.result_type(type(pattern.argument))
        return with_dtype(f"np.full({shape}, {number(pattern.argument)})", dtype, inferred)
    if pattern.kind == "arange":
        return with_dtype(f"np.arange({pattern.argument})", dtype, np.dtype(np.int64))
    if pattern.kind in ("eye", "tri"):
        return with_dtype(f"np.{pattern.kind}({pattern.argument})", dtype, float64)
    if pattern.kind == "diagonal":  # a Python float times np.eye keeps np.eye's dtype
        eye = with_dtype(f"np.eye({x.type.shape[0]})", dtype, float64)
        return f"({number(pattern.argument)} * {eye})"
    inferred = np.array(pattern.argument).dtype
    return with_dtype(f"np.array({common.nested(pattern.argument, 'np')})", dtype, inferred)


# --- rules, by group ----------------------------------------------------------------------


def unary_rule(op: Primitive) -> EmitRule:
    name = UFUNCS[op].__name__
    name = FUNCTION_NAMES.get(name, name)

    def rule(node: Node, args: list[Expr]) -> Expr | str:
        if op is elementwise.neg:
            return unary("-", args[0])
        if node.out.type.weak:  # a Python scalar stays one: abs(x)
            return f"abs({args[0]})"
        return f"np.{name}({args[0]})"

    return rule


def binary_rule(op: Primitive) -> EmitRule:
    symbol = OPERATORS.get(op)
    name = UFUNCS[op].__name__ if op in UFUNCS else op.name

    def rule(node: Node, args: list[Expr]) -> Expr | str:
        # `bools ** 2` would square to int8 (NumPy's operator fast path); np.power types as
        # the IR does. Python scalars (a weak result) keep Python's `**`.
        bool_power = (
            symbol == "**" and node.inputs[0].type.dtype == np.bool_ and not node.out.type.weak
        )
        if symbol is not None and not bool_power:
            return binary(symbol, args[0], args[1])
        return f"np.{name}({arguments(args)})"

    return rule


def convert_rule(node: Node, args: list[Expr]) -> Expr | str:
    dtype = dtype_expr(node.params["dtype"])
    if not is_array_value(node.inputs[0]):
        return f"{dtype}({args[0]})"
    return method(args[0], "astype", dtype)


def zeros_expr(node: Node) -> str:
    return with_dtype(
        f"np.zeros({shape_expr(node.params['shape'])})", node.out.type.dtype, np.dtype(np.float64)
    )


def assigned(value: Expr | str) -> str:
    """An operand on the right of a rule's own assignment (`dx[np.arange(n), y] = -row_sum`):
    a statement's whole right-hand side, bare."""
    return str(value)


def index_scatter_rule(node: Node, args: list[Expr]) -> list[str]:
    update = assigned(scalar_if_uniform(node, args[0]))
    return [f"{{out}} = {zeros_expr(node)}", f"{{out}}[{index_key(node) or '...'}] = {update}"]


def positions_are_distinct(
    indices: Sequence[Operand], shape: tuple[int, ...], axes: tuple[int, ...]
) -> bool:
    """True when no two updates at these index arrays (into an array of `shape`) land on one
    position (indexing.distinct_positions, knowing the constant ones)."""
    return indexing.distinct_positions(
        [np.asarray(i.value) if isinstance(i, Literal) else None for i in indices],
        np.broadcast_shapes(*(i.type.shape for i in indices)),
        [shape[axis] for axis in axes],
    )


def add_at(target: str, parts: list[str], updates: Expr | str, ufunc: str = "add") -> str:
    """np.add.at adds once per index, so repeated indices accumulate (np.maximum.at, once
    per index too, compares them in turn)."""
    parts = ["slice(None)" if p == ":" else p for p in parts]
    key = parts[0] if len(parts) == 1 else f"({', '.join(parts)})"
    return f"np.{ufunc}.at({target}, {key}, {updates})"


def scalar_if_uniform(node: Node, arg: Expr) -> Expr | str:
    return common.scalar_if_uniform(node, arg, "np")


def scatter_add_rule(node: Node, args: list[Expr]) -> list[str]:
    updates = scalar_if_uniform(node, args[0])
    parts = gather_parts(node, args[1:])
    if positions_are_distinct(node.inputs[1:], node.params["shape"], node.params["axes"]):
        return [
            f"{{out}} = {zeros_expr(node)}",
            f"{{out}}[{', '.join(parts)}] = {assigned(updates)}",
        ]
    return [f"{{out}} = {zeros_expr(node)}", add_at("{out}", parts, updates)]


def written_key(node: Node, indices: list[Expr]) -> str:
    """The key of a write (`index_set`, `index_add`, `gather_set`, `gather_add`)."""
    if "index" in node.params:
        return index_key(node) or "..."
    return ", ".join(gather_parts(node, indices))


def update_line(node: Node, target: str, args: list[Expr]) -> str:
    """The statement a write makes into the array `target`: `h[key] = v`, `h[key] += v`,
    np.add.at where an added-to position may repeat, np.maximum.at / np.minimum.at."""
    indices, kind = args[2:], indexing.WRITE_KINDS[node.op]
    if kind in UNBUFFERED or (
        kind == "add"
        and "axes" in node.params
        and not positions_are_distinct(node.inputs[2:], node.out.type.shape, node.params["axes"])
    ):
        return add_at(target, gather_parts(node, indices), args[1], UNBUFFERED.get(kind, "add"))
    operator = "+=" if kind == "add" else "="
    return f"{target}[{written_key(node, indices)}] {operator} {assigned(args[1])}"


UNBUFFERED = {"max": "maximum", "min": "minimum"}  # the ufunc whose .at each kind calls


def set_rule(node: Node, args: list[Expr]) -> list[str]:
    """A write into a copy of the array (the memory plan writes into the array itself where
    the function made it and nothing reads it afterwards: `write_into`)."""
    array = node.inputs[0]
    made = isinstance(array, Literal) and str(args[0]).startswith(FRESH)  # np.zeros(...)
    first = f"{{out}} = {args[0]}" if made else f"{{out}} = {args[0]}.copy()"
    return [first, update_line(node, "{out}", args)]


# Literals written so allocate an array of their own: a write needs no copy of them.
FRESH = ("np.zeros(", "np.ones(", "np.full(", "np.eye(", "np.arange(")


# --- control flow: real blocks, the nested Graphs' lines inlined ---------------------------


def invariants(
    emitter: Emitter,
    args: list[str],
    graph: Graph,
    inputs: Sequence[Var],
    lines: list[str],
    base: str | None = None,
) -> list[str]:
    """Operands a loop reads on every pass (as `inputs` of its `graph`), as names: a
    constant built by a call (`np.zeros((3,))`) is built once, before the loop."""
    names = []
    for arg, var in zip(args, inputs, strict=True):
        if "(" in arg and reads(graph, var):
            name = emitter.fresh(base or var.hint or "constant")
            lines.append(f"{name} = {arg}")
            arg = name
        names.append(arg)
    return names


def starting_values(names: list[str], init_args: list[str]) -> list[str]:
    return [f"{name} = {arg}" for name, arg in zip(names, init_args, strict=True) if name != arg]


def scan_lines(emitter: Emitter, node: Node, args: list[str]) -> list[str]:
    """`for t in range(n):` over the body; xs read in place (`xs[t]`), each y stored into
    a stack allocated before the loop (`hs[t] = h`)."""
    body: Graph = node.params["body"]
    consts, carry = node.params["num_consts"], node.params["num_carry"]
    before: list[str] = []
    const_args, names, xs_args = scan_operands(emitter, node, args, before)
    stacks = ScanStacks(emitter, node, names, before)
    xs_inputs = body.inputs[consts + carry :]
    t = emitter.fresh("t") if stacks.names or any(reads(body, x) for x in xs_inputs) else "_"
    steps = f"range({node.params['length']})"
    steps = f"reversed({steps})" if node.params["reverse"] else steps
    # A weak x (a fori_loop's Python-int index, scanned over) is read as a Python number, so
    # it promotes as the IR types it (`i * 0.1` is a Python float, not a float64).
    slices = [
        f"{x}[{t}].item()" if v.type.weak else f"{x}[{t}]"
        for x, v in zip(xs_args, xs_inputs, strict=True)
    ]
    lines, results = emitter.nested(body).inline(
        [*const_args, *names, *slices], [*names, *(None for _ in stacks.names)]
    )
    after = stacks.stores(results[carry:], t) + assignment(names, results[:carry])
    emitter.release(t)
    return (
        with_location(node, [*before, f"for {t} in {steps}:"])
        + indent(lines + with_location(node, after))
        + with_location(node, stacks.views())
    )


def scan_operands(
    emitter: Emitter, node: Node, args: list[str], before: list[str]
) -> tuple[list[str], list[str], list[str]]:
    """A scan's consts, carry names and xs as the loop reads them: invariants named before
    the loop, the carries in the names that hold them (started with `before`'s lines)."""
    body: Graph = node.params["body"]
    consts, carry = node.params["num_consts"], node.params["num_carry"]
    inputs = body.inputs
    const_args = invariants(emitter, args[:consts], body, inputs[:consts], before)
    xs_args = invariants(
        emitter, args[consts + carry :], body, inputs[consts + carry :], before, "xs"
    )
    init_args = args[consts : consts + carry]
    names = loop_variables(
        emitter,
        node,
        node.inputs[consts : consts + carry],
        init_args,
        carry_bases(node, body, consts, carry),
    )
    before += starting_values(names, init_args)
    return const_args, names, xs_args


class ScanStacks:
    """The stacks a scan stores its ys into, allocated before the loop. Where a y is the
    carry's state at each step and another is the same shifted by one (shared_stacks in
    ir/passes/memory.py), one buffer of `length + 1` states holds both, as two views."""

    def __init__(self, emitter: Emitter, node: Node, carry_names: list[str], before: list[str]):
        carry = node.params["num_carry"]
        self.node, self.carry = node, carry
        self.backwards = node.params["reverse"]
        self.ys = node.outputs[carry:]
        self.names = [emitter.output_name(y, y.hint or "ys") for y in self.ys]
        returned = {x for x in emitter.graph.outputs if isinstance(x, Var)}
        # made: (carry position, kept): the stack `made` and the stack `kept` share a buffer.
        self.shared = {made: (j, kept) for j, made, kept in shared_stacks(node, returned)}
        self.kept = {kept for _, kept in self.shared.values()}
        self.states: dict[int, str] = {}  # by y position: the shared buffer's name
        for position, y in enumerate(self.ys):
            if carry + position not in self.kept:
                before += self.allocation(emitter, position, y, carry_names)

    def allocation(
        self, emitter: Emitter, position: int, y: Var, carry_names: list[str]
    ) -> list[str]:
        stack, shape = self.names[position], y.type.shape
        shared = self.shared.get(self.carry + position)
        if shared is None:
            return [f"{stack} = np.empty({shape_expr(shape)}, {dtype_expr(y.type.dtype)})"]
        j = shared[0]  # the carry's states, the start included
        stack = self.states[position] = emitter.fresh(f"{carry_names[j]}_states")
        shape = (self.node.params["length"] + 1, *shape[1:])
        first = self.node.params["length"] if self.backwards else 0
        return [
            f"{stack} = np.empty({shape_expr(shape)}, {dtype_expr(y.type.dtype)})",
            f"{stack}[{first}] = {carry_names[j]}",
        ]

    def stores(self, results: list[str], t: str) -> list[str]:
        """In the loop: each y stored at its step (a state one step on)."""
        step = t if self.backwards else f"{t} + 1"
        lines = []
        for position, (stack, y) in enumerate(zip(self.names, results, strict=True)):
            if self.carry + position in self.kept:
                continue
            if position in self.states:
                lines.append(f"{self.states[position]}[{step}] = {y}")
            else:
                lines.append(f"{stack}[{t}] = {y}")
        return lines

    def views(self) -> list[str]:
        """After the loop: the two stacks sharing a buffer, as its views."""
        made_view, kept_view = ("[:-1]", "[1:]") if self.backwards else ("[1:]", "[:-1]")
        lines = []
        for made, (_, kept) in self.shared.items():
            buffer = self.states[made - self.carry]
            lines += [
                f"{self.names[made - self.carry]} = {buffer}{made_view}",
                f"{self.names[kept - self.carry]} = {buffer}{kept_view}",
            ]
        return lines


def fori_loop_lines(emitter: Emitter, node: Node, args: list[str]) -> list[str]:
    """`for i in np.arange(lower, upper):` over the body: the index is a NumPy integer of
    the IR's index type (a Python int from `range` where the IR types it weak, or where the
    body does not read it)."""
    body: Graph = node.params["body"]
    consts = node.params["num_consts"]
    index = body.inputs[0]
    before: list[str] = []
    const_args = invariants(
        emitter, args[2 : 2 + consts], body, body.inputs[1 : 1 + consts], before
    )
    init_args = args[2 + consts :]
    names = loop_variables(
        emitter,
        node,
        node.inputs[2 + consts :],
        init_args,
        carry_bases(node, body, 1 + consts, len(node.outputs)),
    )
    before += starting_values(names, init_args)
    lower, upper = args[:2]
    i = emitter.fresh(index.hint or "i") if reads(body, index) else "_"
    if index.type.weak or i == "_":
        steps = f"range({upper})" if lower == "0" else f"range({lower}, {upper})"
    else:
        span = upper if lower == "0" else f"{lower}, {upper}"
        steps = with_dtype(f"np.arange({span})", index.type.dtype, np.dtype(np.int64))
    lines, results = emitter.nested(body).inline([i, *const_args, *names], names)
    emitter.release(i)
    return with_location(node, [*before, f"for {i} in {steps}:"]) + indent(
        lines + with_location(node, assignment(names, results))
    )


def while_loop_lines(emitter: Emitter, node: Node, args: list[str]) -> list[str]:
    """`while <cond>:` where the condition is one expression, else `while True:` with the
    condition's lines and `if not <cond>: break` first in the loop."""
    test: Graph = node.params["cond"]
    body: Graph = node.params["body"]
    cond_consts, body_consts = node.params["num_cond_consts"], node.params["num_body_consts"]
    carry = len(node.outputs)
    before: list[str] = []
    test_args = invariants(emitter, args[:cond_consts], test, test.inputs[:cond_consts], before)
    body_args = invariants(
        emitter,
        args[cond_consts : cond_consts + body_consts],
        body,
        body.inputs[:body_consts],
        before,
    )
    init_args = args[cond_consts + body_consts :]
    names = loop_variables(
        emitter,
        node,
        node.inputs[cond_consts + body_consts :],
        init_args,
        carry_bases(node, body, body_consts, carry),
    )
    before += starting_values(names, init_args)
    test_lines, (keep_going,) = emitter.nested(test).inline([*test_args, *names], where_used=True)
    lines, results = emitter.nested(body).inline([*body_args, *names], names)
    lines += with_location(node, assignment(names, results))
    if not test_lines:
        return with_location(node, [*before, f"while {keep_going}:"]) + indent(lines)
    check = [*test_lines, *with_location(node, [f"if not {keep_going}:"]), "    break"]
    return with_location(node, [*before, "while True:"]) + indent(check + lines)


def cond_lines(emitter: Emitter, node: Node, args: list[str]) -> list[str]:
    """`if pred:` / `else:`, each branch ending with the node's outputs assigned (or
    computing them straight into their names)."""
    pred, operands = args[0], args[1:]
    names = [emitter.output_name(v, v.hint or "cond") for v in node.outputs]
    branches = []
    for key in ("true", "false"):
        lines, results = emitter.nested(node.params[key]).inline(operands, names)
        branches.append(lines + with_location(node, assignment(names, results)))
    taken, otherwise = branches
    if not taken and not otherwise:
        return []
    if not taken:
        return with_location(node, [f"if not {pred}:"]) + indent(otherwise)
    lines = with_location(node, [f"if {pred}:"]) + indent(taken)
    return lines + (["else:", *indent(otherwise)] if otherwise else [])


GROUP_RULES = {
    Group.UNARY: unary_rule,
    Group.BINARY: binary_rule,
    Group.COMPARISON: binary_rule,
    Group.LOGICAL: binary_rule,
}


def triangular_solve_rule(node: Node, args: list[Expr]) -> str:
    """NumPy has no triangular solve: the general one, with the triangle."""
    a, b = args
    triangle = f"np.{'tril' if node.params['lower'] else 'triu'}({a})"
    if node.params["transpose_a"]:
        triangle += ".T" if node.inputs[0].type.ndim == 2 else ".mT"
    return f"np.linalg.solve({triangle}, {b})"


# What NumPy writes otherwise than the shared array-API table (array_api.py).
SPECIAL_RULES = array_api_rules("np") | {
    **{op: common.scipy_rule(op, "scipy") for op in special.SCIPY_MODULES},
    linalg.triangular_solve: triangular_solve_rule,
    matmul: binary_rule(matmul),
    shapes.convert: convert_rule,
    indexing.index_scatter: index_scatter_rule,
    indexing.scatter_add: scatter_add_rule,
    **dict.fromkeys(indexing.WRITE_KINDS, set_rule),
    markers.stop_gradient: lambda node, args: args[0],  # only differentiation tells it from x
    control_primitives.cond: BlockRule(cond_lines, loops=False),
    control_primitives.scan: BlockRule(scan_lines, operand_names=initial_carry_names),
    control_primitives.fori_loop: BlockRule(fori_loop_lines, operand_names=initial_carry_names),
    control_primitives.while_loop: BlockRule(while_loop_lines, operand_names=initial_carry_names),
}


def read_only_views(graph: Graph) -> set[Var]:
    """np.broadcast_to returns a read-only view; stop_gradient is its operand itself, and a
    result of control flow may be an argument or a constant (a loop that ran no pass, a
    branch returning its operand); so a returned one is copied, like any value the caller
    must not share."""
    shared = (shapes.broadcast_to, markers.stop_gradient)
    return {node.out for node in graph.nodes if node.op in shared} | may_be_shared(graph)


def unnamed_and_small(var: Var) -> bool:
    """A temporary the user did not name, small enough that the memory plan leaves it be, is
    written into its reader (`(x @ W) + b`); a named value keeps its line and its name."""
    return var.hint is None and not is_large(var)


def write_into(node: Node, args: list[Expr], buffer: str) -> str | list[str]:
    """The ufunc writing its result into a dead buffer: `np.multiply(d_h, s, out=d_h)`; a
    write into the array itself, which nothing reads afterwards: `h[:, t] = next_h`."""
    if node.op.has(Trait.UPDATE):
        return [update_line(node, buffer, args)]
    return f"np.{UFUNCS[node.op].__name__}({arguments(args)}, out={buffer})"


NUMPY_BACKEND = Backend(
    "numpy",
    ("import numpy as np",),
    build_rules(GROUP_RULES, SPECIAL_RULES),
    literal,
    read_only_views,
    plan_memory=plan_memory,
    write_into=write_into,
    inline_single_use=unnamed_and_small,
    result_kinds=result_kinds,
    extra_imports=lambda graph: common.scipy_imports(graph, "scipy"),
)
numpy_rules = NUMPY_BACKEND.rules


def emit_numpy(graph: Graph, interface: Interface | None = None) -> str:
    """The Graph as a NumPy module: one function with the user's signature."""
    return Emitter(graph, interface, NUMPY_BACKEND).emit()
