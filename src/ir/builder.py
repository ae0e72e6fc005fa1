"""IR layer: builds a Graph node by node, typing each node with its primitive's rule.

The tracer, the parser and every transform build graphs through it, so no Graph is made
whose types disagree with the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import SourceLoc
from .core import Graph, Node, Operand, Var
from .primitive import Primitive, Trait
from .types import TensorType


class GraphBuilder:
    def __init__(self, name: str):
        self.name = name
        self.inputs: list[Var] = []
        self.nodes: list[Node] = []
        self.suggested: dict[Var, str] = {}  # names given after a value was made

    def suggest_name(self, var: Var, hint: str) -> None:
        """Name `var` at build time, if it has no name yet (the first suggestion wins)."""
        if var.hint is None and var not in self.suggested:
            self.suggested[var] = hint

    def add_input(self, type_: TensorType, hint: str | None = None) -> Var:
        var = Var(type_, hint)
        self.inputs.append(var)
        return var

    def bind(
        self,
        op: Primitive,
        inputs: Sequence[Operand],
        params: dict[str, Any] | None = None,
        loc: SourceLoc | None = None,
        hints: Sequence[str | None] | None = None,
    ) -> tuple[Var, ...]:
        """Append `op(*inputs, **params)`; returns its output Vars (raises TypeRuleError)."""
        params = params or {}
        inputs = tuple(inputs)
        types = op.infer(tuple([x.type for x in inputs]), params)
        if len(types) == 1:  # the common case, kept cheap
            outputs: tuple[Var, ...] = (Var(types[0], hints[0] if hints else None),)
        else:
            hints = hints or [None] * len(types)
            outputs = tuple([Var(t, h) for t, h in zip(types, hints, strict=True)])
        self.nodes.append(Node(op, inputs, outputs, params, loc))
        return outputs

    def name_updates(self, renamed: dict[Var, Var]) -> None:
        """A write's result (`h[t] = v`) is the array it writes to the reader: its name."""
        for node in self.nodes:
            if not node.op.has(Trait.UPDATE) or node.out.hint is not None or node.out in renamed:
                continue
            written = node.inputs[0]
            hint = renamed[written].hint if written in renamed else getattr(written, "hint", None)
            if hint is not None:
                renamed[node.out] = Var(node.out.type, hint)

    def build(self, outputs: Sequence[Operand]) -> Graph:
        """The finished Graph. Each run of nodes traced from one execution of a line
        `h = ...` (they share one SourceLoc object) names its last value `h`."""
        inputs = set(self.inputs)
        renamed: dict[Var, Var] = {
            var: Var(var.type, hint) for var, hint in self.suggested.items() if var not in inputs
        }
        for i, node in enumerate(self.nodes):
            loc = node.loc
            if loc is None or loc.target is None or node.out.hint is not None:
                continue
            if node.out in renamed:
                continue
            following = self.nodes[i + 1] if i + 1 < len(self.nodes) else None
            if following is None or following.loc is not loc:
                renamed[node.out] = Var(node.out.type, loc.target)
        self.name_updates(renamed)
        if not renamed:
            return Graph(self.name, tuple(self.inputs), tuple(self.nodes), tuple(outputs))

        def sub(x: Operand) -> Operand:
            return renamed.get(x, x)  # Literals hash by identity: never found, kept as they are

        def renamed_node(n: Node) -> Node:
            # Only a node that reads or writes a renamed value is made again: most do not.
            if renamed.keys().isdisjoint(n.inputs) and renamed.keys().isdisjoint(n.outputs):
                return n
            return Node(
                n.op, tuple(map(sub, n.inputs)), tuple(map(sub, n.outputs)), n.params, n.loc
            )

        nodes = tuple(map(renamed_node, self.nodes))
        return Graph(self.name, tuple(self.inputs), nodes, tuple(map(sub, outputs)))
