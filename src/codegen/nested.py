"""Codegen layer: how a nested Graph (a loop body, a branch) hands its outputs to the block
that holds it: computed straight into the names the block keeps them in where that is
safe, or, for an output no node reads, left an expression to write where the block uses it
(`while n < 10:`, `return h @ W`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..ir import Node, Var
from .backend import BlockRule

if TYPE_CHECKING:
    from .emitter import Emitter


def inline_graph(
    emitter: Emitter, inputs: Sequence[str], targets: Sequence[str | None], where_used: bool
) -> tuple[list[str], list[str]]:
    """The nested Graph's nodes as lines, its inputs read as `inputs`, and an expression for
    each output (see Emitter.inline)."""
    graph = emitter.graph
    emitter.names.update(zip(graph.inputs, inputs, strict=True))
    targets = [*targets, *(None for _ in graph.outputs[len(targets) :])]
    emitter.at_end = written_where_used(emitter, targets, where_used)
    emitter.preset = written_into_targets(emitter, targets)
    lines = [line for node in graph.nodes for line in emitter.node_lines(node)]
    return lines, [str(emitter.operand(x)) for x in graph.outputs]


def written_where_used(emitter: Emitter, targets: Sequence[str | None], named: bool) -> set[Var]:
    """Unnamed (or, with `named`, all) outputs that no node reads, to be written where
    the block uses them (`while x < 10:`, `return h @ W`) rather than named first."""
    if emitter.backend.inline_single_use is None:
        return set()
    graph, rules = emitter.graph, emitter.backend.rules
    targeted = {x for x, t in zip(graph.outputs, targets, strict=True) if t is not None}
    counts, uses = Counter(graph.outputs), emitter.uses
    return {
        node.out
        for node in graph.nodes
        if len(node.outputs) == 1
        and (named or node.out.hint is None)
        and counts[node.out] == 1
        and node.out not in uses
        and node.out not in targeted
        and node.out not in emitter.inlining.views
        and not isinstance(rules.get(node.op), BlockRule)
    }


def written_into_targets(emitter: Emitter, targets: Sequence[str | None]) -> dict[Var, str]:
    """The outputs that can be computed straight into their target name: no line after
    the one computing it reads the value the name held before."""
    graph = emitter.graph
    index = {v: i for i, node in enumerate(graph.nodes) for v in node.outputs}
    read_at = lines_reading(emitter)
    preset: dict[Var, str] = {}
    for var, target in zip(graph.outputs, targets, strict=True):
        if target is None or not isinstance(var, Var) or var not in index or var in preset:
            continue
        i = index[var]
        same_line = reads_before_writing(emitter, graph.nodes[i])
        old = [u for u in graph.inputs if emitter.names[u] == target]
        if any(u in graph.outputs for u in old) or any(
            r > i or (r == i and not same_line) for u in old for r in read_at.get(u, ())
        ):
            continue
        preset[var] = target
    return preset


def lines_reading(emitter: Emitter) -> dict[Var, list[int]]:
    """For each value, where (see positions) the nodes reading it are computed."""
    where = positions(emitter)
    read_at: dict[Var, list[int]] = {}
    for i, node in enumerate(emitter.graph.nodes):
        for x in node.inputs:
            if isinstance(x, Var):
                read_at.setdefault(x, []).append(where[i])
    return read_at


def positions(emitter: Emitter) -> list[int]:
    """Where each node's value is computed: on its own line, on the line of the node it
    is written into, or after the last node (an output written where it is used)."""
    nodes = emitter.graph.nodes
    reader = {x: i for i, node in enumerate(nodes) for x in node.inputs}
    moved = emitter.inlining.movable | emitter.inlining.views
    where = list(range(len(nodes)))
    for i in reversed(range(len(nodes))):
        if len(nodes[i].outputs) != 1:
            continue
        out = nodes[i].out
        if out in emitter.at_end:
            where[i] = len(nodes)
        elif out in moved and out in reader:
            where[i] = where[reader[out]]
    return where


def reads_before_writing(emitter: Emitter, node: Node) -> bool:
    """True when the node's lines read all its operands before assigning its outputs:
    one assignment (`h = np.tanh(h)`), or a block run once (a branch), whose nested
    lines see to their own order."""
    rule = emitter.backend.rules.get(node.op)
    if isinstance(rule, BlockRule):
        return not rule.loops
    return emitter.rule_shapes.writes_statements(node) is False
