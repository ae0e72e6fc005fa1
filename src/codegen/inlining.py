"""Codegen layer: the inlining analysis. Before any line is written it decides, from the Graph,
the memory plan and the rules, which values are written where they are read (`(x @ W) + b`,
`d_h @ W.T`) instead of on a line of their own, as the memory plan decides what is freed.

How often a rule writes each operand is read from the rule itself: it is called once with
operands that count how often they are written (`CountingOperand`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import NamedTuple

from ..ir import Graph, Node, Var
from ..ir.passes.memory import MemoryPlan
from ..ir.primitive import Group
from ..ir.primitives.shapes import transpose
from .backend import Backend, BlockRule, EmitRule
from .expressions import Expr, Precedence


def use_counts(graph: Graph) -> dict[Var, int]:
    """How many times each value is read by a node (a node reading it twice counts two)."""
    uses: dict[Var, int] = {}
    for node in graph.nodes:
        for x in node.inputs:
            if isinstance(x, Var):
                uses[x] = uses.get(x, 0) + 1
    return uses


def block_operands(graph: Graph) -> set[Var]:
    """The operands of nodes that hold nested Graphs: each gets a name of its own, since an
    expression written into a loop would be computed again on every pass."""
    return {
        x
        for node in graph.nodes
        if node.op.group is Group.CONTROL
        for x in node.inputs
        if isinstance(x, Var)
    }


def inlined_views(graph: Graph, uses: dict[Var, int] | None = None) -> set[Var]:
    """Transposes read once are written where they are read (`d_h @ W.T`), as one writes
    them by hand: a line of their own would only name a view. (`uses`: the graph's
    use_counts, where the caller has them.)"""
    uses = use_counts(graph) if uses is None else uses
    kept = set(graph.outputs) | block_operands(graph)
    return {
        node.out
        for node in graph.nodes
        if node.op is transpose and uses.get(node.out) == 1 and node.out not in kept
    }


def single_use(graph: Graph, uses: dict[Var, int] | None = None) -> set[Var]:
    uses = use_counts(graph) if uses is None else uses
    kept = set(graph.outputs) | block_operands(graph)
    return {var for var, n in uses.items() if n == 1 and var not in kept}


# --- what a rule does with its operands ----------------------------------------------------


class CountingOperand(Expr):
    """An operand handed to a rule to learn how often the rule writes it."""

    __slots__ = ("uses",)

    def __init__(self) -> None:  # no super() call: one is made per operand of every node
        self.text = "x"
        self.precedence = Precedence.PRIMARY
        self.uses = 0

    def within(self, required: Precedence) -> str:
        self.uses += 1
        return self.text

    def __str__(self) -> str:
        self.uses += 1
        return self.text

    def __format__(self, spec: str) -> str:
        self.uses += 1
        return self.text


class RuleShape(NamedTuple):
    uses: tuple[int, ...]  # how often the rule writes each operand
    statements: bool  # the rule writes lines (`{out}[i] = u`), not one expression


def rule_shape(rule: EmitRule, node: Node) -> RuleShape:
    operands = [CountingOperand() for _ in node.inputs]
    written = rule(node, list(operands))
    return RuleShape(tuple(x.uses for x in operands), isinstance(written, list))


class RuleShapes(dict):
    """Each node's RuleShape, found the first time it is asked for. A rule writes lines for
    every node or for none (see backend.EmitRule), so `writes_statements` asks each rule once."""

    def __init__(self, backend: Backend):
        super().__init__()
        self.rules = backend.rules
        self.forms: dict[int, bool] = {}  # by id(rule): whether the rule writes lines

    def writes_statements(self, node: Node) -> bool | None:
        """True for a node whose rule writes lines, None where it has no (expression) rule."""
        rule = self.rules.get(node.op)
        if rule is None or isinstance(rule, BlockRule):
            return None
        form = self.forms.get(id(rule))
        if form is None:
            form = self.forms[id(rule)] = self[node].statements
        return form

    def __missing__(self, node: Node) -> RuleShape | None:
        rule = self.rules.get(node.op)
        shape = None if rule is None or isinstance(rule, BlockRule) else rule_shape(rule, node)
        self[node] = shape
        return shape


# --- the analysis ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Inlining:
    """Which values are written where they are read, for one Graph."""

    views: frozenset[Var]  # transposes read once (`d_h @ W.T`): their reader names them
    movable: frozenset[Var]  # read once, and movable to their reader without changing it
    into_reader: frozenset[Var]  # written into their reader: movable, one level deep


def plan_inlining(
    graph: Graph, backend: Backend, plan: MemoryPlan, rule_shapes: RuleShapes, uses: dict[Var, int]
) -> Inlining:
    views = inlined_views(graph, uses)
    movable = movable_values(graph, backend, plan, rule_shapes, uses)
    return Inlining(
        frozenset(views),
        frozenset(movable),
        frozenset(written_into_reader(graph, plan, rule_shapes, movable - views)),
    )


def movable_values(
    graph: Graph, backend: Backend, plan: MemoryPlan, rule_shapes: RuleShapes, uses: dict[Var, int]
) -> set[Var]:
    """Values read once that can be written into their reader: the backend allows it,
    the reader's rule writes that operand exactly once (so nothing is computed twice),
    and moved there the value still reads what it read (see `Undisturbed`)."""
    allowed = backend.inline_single_use
    if allowed is None:
        return set()
    nodes = graph.nodes
    producer = {node.out: (i, node) for i, node in enumerate(nodes) if len(node.outputs) == 1}
    candidates = single_use(graph, uses) - set(plan.reuse.values())
    undisturbed = Undisturbed(nodes, plan)
    found: set[Var] = set()
    for k, reader in enumerate(nodes):
        # The cheap conditions first: only then is the reader's rule asked.
        movable = [
            (j, x)
            for j, x in enumerate(reader.inputs)
            if x in candidates and x in producer and allowed(x)
        ]
        shape = rule_shapes[reader] if movable else None
        for j, x in movable if shape is not None else ():
            i, node = producer[x]
            if (
                shape.uses[j] == 1
                and not isinstance(backend.rules.get(node.op), BlockRule)
                and undisturbed(node, i, k)
            ):
                found.add(x)
    return found


class Undisturbed:
    """Whether a value computed by node i, moved to its reader k, still reads what it read:
    no name it reads is deleted, and no buffer is written into (`out=`), in between."""

    def __init__(self, nodes: tuple[Node, ...], plan: MemoryPlan):
        self.last = len(nodes)
        self.planned = bool(plan.frees or plan.reuse)
        self.deleted_at = {v: i for i, node in enumerate(nodes) for v in plan.frees.get(node, ())}
        # writes_before[k]: how many of the first k nodes write into a buffer (`out=`), so
        # whether one does between a producer and its reader is one subtraction.
        self.writes_before = list(
            itertools.accumulate((node in plan.reuse for node in nodes), initial=0)
        )

    def __call__(self, node: Node, i: int, k: int) -> bool:
        if not self.planned:
            return True
        deleted_at, last = self.deleted_at, self.last
        return self.writes_before[k] == self.writes_before[i + 1] and all(
            deleted_at.get(v, last) >= k for v in node.inputs if isinstance(v, Var)
        )


def written_into_reader(
    graph: Graph, plan: MemoryPlan, rule_shapes: RuleShapes, movable: set[Var]
) -> set[Var]:
    """The movable values written into their reader, one level deep (a value whose operand
    is written into it keeps its line) and only where its rule gives one expression and
    it writes into no buffer of its own."""
    found: set[Var] = set()
    for node in graph.nodes:
        if (
            len(node.outputs) == 1
            and node.out in movable
            and found.isdisjoint(node.inputs)
            and node not in plan.reuse
            and rule_shapes.writes_statements(node) is False
        ):
            found.add(node.out)
    return found
