"""Codegen layer: the emission rules the NumPy and JAX backends write alike, in one table.

Both array backends spell most primitives the same way up to the module alias (`np.where`,
`jnp.where`), so the shared rules are built once for an alias (`array_api_rules("np")`) and
each backend adds only what differs: its group rules, dtype conversions (JAX), scatters
(in place in NumPy, `.at[]` in JAX) and control-flow blocks. Tables are keyed by Primitive
objects; a key that is not a declared primitive (a name string, a typo) raises when the
table is built, that is at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np

from ..ir import Node
from ..ir.primitive import Group, Primitive, primitives
from ..ir.primitives import (
    calls,
    composites,
    contractions,
    elementwise,
    indexing,
    reductions,
    shapes,
    sorting,
)
from ..ir.primitives import control as control_primitives
from . import common
from .backend import BlockRule, EmitRule
from .common import (
    argreduce_keywords,
    axis_keywords,
    gather_parts,
    index_key,
    is_array_value,
    reduction_name,
    shape_expr,
)
from .control import custom_vjp_rule
from .expressions import Expr, arguments, method, subscript

Rule = EmitRule | BlockRule


class EmitTable(dict):
    """Emission rules keyed by Primitive. Every way of adding an entry (the constructor,
    `[]=`, update, `|`) refuses a key that is not a declared primitive, so a stale name
    fails at import rather than leaving a primitive without its rule."""

    def __init__(self, entries: Mapping[Primitive, Rule] | Iterable = ()):
        super().__init__()
        self.update(entries)

    def __setitem__(self, op: Primitive, rule: Rule) -> None:
        if not isinstance(op, Primitive) or primitives.get(op.name) is not op:
            raise TypeError(f"emission rules: {op!r} is not a declared primitive")
        super().__setitem__(op, rule)

    def update(self, entries: Mapping[Primitive, Rule] | Iterable = (), **named: Rule) -> None:
        if named:  # keywords are name strings: refused like any other non-primitive key
            raise TypeError(f"emission rules: {sorted(named)} are names, not primitives")
        items = entries.items() if isinstance(entries, Mapping) else entries
        for op, rule in items:
            self[op] = rule

    def __or__(self, other: Mapping[Primitive, Rule]) -> EmitTable:
        """The table with `other`'s entries added or replacing its own (a backend's
        differences over the shared table)."""
        return EmitTable([*self.items(), *other.items()])

    def setdefault(self, op: Primitive, rule: Rule | None = None) -> Rule | None:
        if op not in self:
            self[op] = rule
        return self[op]


def build_rules(
    group_rules: Mapping[Group, Callable[[Primitive], EmitRule]], special_rules: EmitTable
) -> EmitTable:
    """A backend's whole table: a primitive's own rule, else its group's rule (in the order
    the primitives are declared, so the table reads the same every run)."""
    if not isinstance(special_rules, EmitTable):
        special_rules = EmitTable(special_rules)
    rules = EmitTable()
    for op in primitives.values():
        if op in special_rules:
            rules[op] = special_rules[op]
        elif op.group in group_rules:
            rules[op] = group_rules[op.group](op)
    return rules


# --- the shared rules, for a module alias ---------------------------------------------------


def reduction_rule(module: str) -> EmitRule:
    def rule(node: Node, args: list[Expr]) -> Expr | str:
        keywords = axis_keywords(node, node.inputs[0].type.ndim)
        name = reduction_name(node)
        if is_array_value(node.inputs[0]):  # the method skips np.sum's Python-level dispatch
            return method(args[0], name, keywords.removeprefix(", "))
        return f"{module}.{name}({args[0]}{keywords})"

    return rule


def round_rule(module: str) -> EmitRule:
    def rule(node: Node, args: list[Expr]) -> str:
        decimals = node.params.get("decimals", 0)
        if decimals == 0:
            return f"{module}.round({args[0]})"
        return f"{module}.round({args[0]}, {decimals})"

    return rule


def joining_rule(module: str, function: str) -> EmitRule:
    """concatenate and stack: a list of operands and an axis."""

    def rule(node: Node, args: list[Expr]) -> str:
        axis = node.params["axis"]
        return f"{module}.{function}([{arguments(args)}]{f', axis={axis}' if axis else ''})"

    return rule


def indexing_rules(module: str) -> EmitTable:
    def index_rule(node: Node, args: list[Expr]) -> Expr:
        return subscript(common.subject(node, args[0], module), index_key(node) or "()")

    def gather_rule(node: Node, args: list[Expr]) -> Expr:
        parts = ", ".join(gather_parts(node, args[1:]))
        return subscript(common.subject(node, args[0], module), parts)

    return EmitTable({indexing.index: index_rule, indexing.gather: gather_rule})


def shape_rules(module: str) -> EmitTable:
    return EmitTable(
        {
            shapes.reshape: lambda node, args: common.reshape_text(node, args[0], module),
            shapes.transpose: common.transpose_rule,
            shapes.broadcast_to: lambda node, args: (
                f"{module}.broadcast_to({args[0]}, {shape_expr(node.params['shape'])})"
            ),
            shapes.concatenate: joining_rule(module, "concatenate"),
            shapes.stack: joining_rule(module, "stack"),
        }
    )


def cumulative_text(node: Node, arg: Expr, module: str) -> str:
    """`np.cumsum(x)` along a vector's only axis, else with its axis; `dtype=` where the
    result widens (bool and small integers) and the backend would not widen it itself."""
    axis = "" if node.inputs[0].type.ndim == 1 else f", axis={node.params['axis']}"
    widened = module != "np" and node.out.type.dtype != node.inputs[0].type.dtype
    dtype = f", dtype={common.dtype_expr(node.out.type.dtype, module)}" if widened else ""
    return f"{module}.{node.op.name}({arg}{axis}{dtype})"


def reduction_rules(module: str) -> EmitTable:
    def cumulative(node: Node, args: list[Expr]) -> str:
        return cumulative_text(node, args[0], module)

    def argreduce(node: Node, args: list[Expr]) -> str:
        return f"{module}.{node.op.name}({args[0]}{argreduce_keywords(node)})"

    reduce = reduction_rule(module)
    return EmitTable(
        {
            **dict.fromkeys(
                (reductions.sum_, reductions.prod, reductions.max_, reductions.min_), reduce
            ),
            **dict.fromkeys((reductions.cumsum, reductions.cumprod), cumulative),
            **dict.fromkeys((reductions.argmax, reductions.argmin), argreduce),
        }
    )


def along_axis(node: Node) -> str:
    """`, axis=k` unless k is the last axis (NumPy's default for sorting)."""
    axis = node.params["axis"]
    return "" if axis == node.inputs[0].type.ndim - 1 else f", axis={axis}"


def sorting_rules(module: str) -> EmitTable:
    def permutation(node: Node, args: list[str]) -> str:
        # jax.numpy sorts stably always; NumPy's default sort may reorder equal elements
        stable = ', kind="stable"' if module == "np" and node.params["stable"] else ""
        return f"{module}.{node.op.name}({args[0]}{along_axis(node)}{stable})"

    def selection(node: Node, args: list[str]) -> str:
        kth = node.params["kth"]
        if module != "np" and len(kth) > 1:  # jax.numpy takes one kth: a sort is a partition
            name = node.op.name.replace("partition", "sort")
            return f"{module}.{name}({args[0]}{along_axis(node)})"
        positions = kth[0] if len(kth) == 1 else list(kth)
        text = f"{module}.{node.op.name}({args[0]}, {positions}{along_axis(node)})"
        return indices_as_numpy_gives(node, text)

    def searchsorted(node: Node, args: list[str]) -> str:
        side = "" if node.params["side"] == "left" else ", side='right'"
        return indices_as_numpy_gives(node, f"{module}.searchsorted({args[0]}, {args[1]}{side})")

    def indices_as_numpy_gives(node: Node, text: str) -> str:
        """jax.numpy's argpartition and searchsorted give int32 indices even in 64-bit mode:
        convert them to the dtype NumPy gives (a value has its IR type on every backend)."""
        if module == "np" or node.out.type.dtype.kind not in "iu":
            return text
        return f"{text}.astype({common.dtype_expr(node.out.type.dtype, module)})"

    return EmitTable(
        {
            **dict.fromkeys((sorting.sort, sorting.argsort), permutation),
            **dict.fromkeys((sorting.partition, sorting.argpartition), selection),
            sorting.searchsorted: searchsorted,
        }
    )


def param_text(value: object, module: str) -> str:
    """A static param as source: tuples written out, non-finite floats as `np.inf`."""
    if isinstance(value, tuple):
        inner = ", ".join(param_text(v, module) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, float) and not np.isfinite(value):
        return f"{module}.nan" if np.isnan(value) else f"{'-' if value < 0 else ''}{module}.inf"
    return repr(value)


def call_rule(module: str, signature: calls.Signature) -> EmitRule:
    """A composite call as the user writes it: each param left out where it has its
    default (a positional one only where none after it is written)."""

    def rule(node: Node, args: list[Expr]) -> str:
        params = node.params
        written = [
            name
            for name in signature.params
            if name not in signature.defaults
            or not same_value(params[name], signature.defaults[name])
        ]
        last = max((signature.params.index(name) for name in written), default=-1)
        parts = [str(arg) for arg in args]
        for index, name in enumerate(signature.params[: last + 1]):
            text = param_text(params[name], module)
            if index < signature.positional:
                parts.append(text)
            elif name in written:
                parts.append(f"{name}={text}")
        return f"{module}.{signature.function}({', '.join(parts)})"

    return rule


def same_value(value: object, default: object) -> bool:
    return type(value) in (type(default), int, float) and value == default


def array_api_rules(module: str) -> EmitTable:
    """The rules NumPy and jax.numpy spell alike, written with `module` (`np`, `jnp`)."""
    return (
        EmitTable(
            {
                elementwise.round_: round_rule(module),
                elementwise.where: lambda node, args: f"{module}.where({arguments(args)})",
                contractions.einsum: lambda node, args: (
                    f"{module}.einsum({node.params['subscripts']!r}, {arguments(args)})"
                ),
                composites.log_softmax: lambda node, args: common.log_softmax_lines(
                    node, args, module
                ),
                composites.root_sum_squares: lambda node, args: common.root_sum_squares_expression(
                    node, args, module
                ),
                control_primitives.custom_vjp: custom_vjp_rule,
            }
        )
        | EmitTable((op, call_rule(module, sig)) for op, sig in calls.signatures.items())
        | reduction_rules(module)
        | sorting_rules(module)
        | shape_rules(module)
        | indexing_rules(module)
    )
