"""Codegen layer: the Emitter of a nested Graph, a loop body or a branch.

It shares its parent's module constants and, inside the same function, its names (a JAX
body is a `def` of its own, which must only not hide what it reads from the function); it
has no memory plan (a body's values live for one pass). `inline` writes the Graph's nodes
for the block rule that asked, each output either written straight into the name the block
keeps it in, or left an expression for the block to write where it is used.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ..ir import Graph, Node, Var
from ..ir.naming import RESERVED, Namespace
from ..ir.passes.memory import MemoryPlan
from .emitter import BlockRule, Emitter, use_counts


class NestedEmitter(Emitter):
    def __init__(self, parent: Emitter, graph: Graph, closure: Sequence[str] | None):
        self.graph = graph
        self.backend = parent.backend
        self.parent = parent
        self.interface = parent.interface
        self.namespace = (
            parent.namespace
            if closure is None
            else Namespace(
                RESERVED
                | set(parent.hoisted.values())
                | {name for text in closure for name in re.findall(r"[A-Za-z_]\w*", text)}
            )
        )
        self.constants, self.hoisted = parent.constants, parent.hoisted
        self.every_name = parent.every_name
        self.plan = MemoryPlan()
        self.start()

    def inline(
        self, inputs: Sequence[str], targets: Sequence[str | None] = (), where_used: bool = False
    ) -> tuple[list[str], list[str]]:
        """This nested Graph's nodes as lines, its inputs read as `inputs`: the lines, and an
        expression for each output. An output given a target name (the variable a loop keeps
        its carry in) is written straight into it where nothing after needs the name's old
        value; the caller assigns the others. An unnamed output that no node reads is left
        an expression, for the caller to write where it is used; with `where_used`, a named
        one too (a loop's condition: `while n < 10:`)."""
        self.names.update(zip(self.graph.inputs, inputs, strict=True))
        targets = [*targets, *(None for _ in self.graph.outputs[len(targets) :])]
        self.at_end = self.written_where_used(targets, where_used)
        self.preset = self.written_into_targets(targets)
        lines = [line for node in self.graph.nodes for line in self.node_lines(node)]
        return lines, [self.operand(x) for x in self.graph.outputs]

    def written_where_used(self, targets: Sequence[str | None], named: bool) -> set[Var]:
        """Unnamed (or, with `named`, all) outputs that no node reads, to be written where
        the block uses them (`while x < 10:`, `return h @ W`) rather than named first."""
        if self.backend.inline_single_use is None:
            return set()
        targeted = {x for x, t in zip(self.graph.outputs, targets, strict=True) if t is not None}
        counts, uses = Counter(self.graph.outputs), use_counts(self.graph)
        return {
            node.out
            for node in self.graph.nodes
            if len(node.outputs) == 1
            and (named or node.out.hint is None)
            and counts[node.out] == 1
            and node.out not in uses
            and node.out not in targeted
            and node.out not in self.inlined
            and not isinstance(self.backend.rules.get(node.op), BlockRule)
        }

    def written_into_targets(self, targets: Sequence[str | None]) -> dict[Var, str]:
        """The outputs that can be computed straight into their target name: no line after
        the one computing it reads the value the name held before."""
        nodes, outputs = self.graph.nodes, self.graph.outputs
        where = self.positions()
        index = {v: i for i, node in enumerate(nodes) for v in node.outputs}
        read_at: dict[Var, list[int]] = {}
        for i, node in enumerate(nodes):
            for x in node.inputs:
                if isinstance(x, Var):
                    read_at.setdefault(x, []).append(where[i])
        preset: dict[Var, str] = {}
        for var, target in zip(outputs, targets, strict=True):
            if target is None or not isinstance(var, Var) or var not in index or var in preset:
                continue
            i = index[var]
            same_line = self.reads_before_writing(nodes[i])
            old = [u for u in self.graph.inputs if self.names[u] == target]
            if any(u in outputs for u in old) or any(
                r > i or (r == i and not same_line) for u in old for r in read_at.get(u, ())
            ):
                continue
            preset[var] = target
        return preset

    def positions(self) -> list[int]:
        """Where each node's value is computed: on its own line, on the line of the node it
        is written into, or after the last node (an output written where it is used)."""
        nodes = self.graph.nodes
        reader = {x: i for i, node in enumerate(nodes) for x in node.inputs}
        moved = self.single_use | self.inlined
        where = list(range(len(nodes)))
        for i in reversed(range(len(nodes))):
            if len(nodes[i].outputs) != 1:
                continue
            out = nodes[i].out
            if out in self.at_end:
                where[i] = len(nodes)
            elif out in moved and out in reader:
                where[i] = where[reader[out]]
        return where

    def reads_before_writing(self, node: Node) -> bool:
        """True when the node's lines read all its operands before assigning its outputs:
        one assignment (`h = np.tanh(h)`), or a block run once (a branch), whose nested
        lines see to their own order."""
        rule = self.backend.rules.get(node.op)
        if isinstance(rule, BlockRule):
            return not rule.loops
        slots = [f"\x00{j}\x00" for j in range(len(node.inputs))]
        return rule is not None and isinstance(rule(node, slots), str)
