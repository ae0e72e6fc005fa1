"""IR passes: the one way passes edit a Graph: replace values, then rebuild the node list.

A pass decides, walking the nodes in order, that a node's output equals another operand (it
is then dropped) or is computed by another node; `Rewriter` keeps the substitutions and
applies them to every later input and to the graph's outputs. A pass that changes nothing
returns the very Graph it was given, so `optimize` can tell when it has reached a fixed point.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import Graph, Literal, Node, Operand, Var
from ..primitive import Primitive, Trait


class Rewriter:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.replaced: dict[Var, Operand] = {}
        self.nodes: list[Node] = []
        self.changed = False

    def operand(self, x: Operand) -> Operand:
        return self.replaced.get(x, x) if isinstance(x, Var) else x

    def inputs_of(self, node: Node) -> Node:
        """`node` with the substitutions made so far applied to its inputs."""
        replaced = self.replaced
        if not replaced or not any(x in replaced for x in node.inputs):
            return node  # the common case, kept cheap: passes run this on every node
        inputs = tuple(self.operand(x) for x in node.inputs)
        return Node(node.op, inputs, node.outputs, node.params, node.loc)

    def keep(self, node: Node) -> None:
        self.nodes.append(node)

    def replace(self, var: Var, value: Operand) -> None:
        """`var` equals `value`: its node is dropped, its readers read `value`."""
        self.replaced[var] = self.operand(value)
        self.changed = True

    def recompute(
        self,
        node: Node,
        op: Primitive,
        inputs: Sequence[Operand],
        params: dict[str, Any] | None = None,
    ) -> bool:
        """Compute `node`'s output with `op(*inputs, **params)` instead, if that has the same
        type (else keep the node as it is and return False)."""
        params = {} if params is None else params
        try:
            (out_type,) = op.infer(tuple(x.type for x in inputs), params)
        except Exception:  # a rewrite that does not type-check is simply not made
            return False
        if out_type != node.out.type:
            return False
        self.nodes.append(Node(op, tuple(inputs), node.outputs, params, node.loc))
        self.changed = True
        return True

    def graph_out(self) -> Graph:
        if not self.changed:
            return self.graph
        outputs = tuple(self.operand(x) for x in self.graph.outputs)
        return Graph(self.graph.name, self.graph.inputs, tuple(self.nodes), outputs)


def literal_value(x: Operand) -> Any:
    """The constant `x` holds, or None when it is a Var."""
    return x.value if isinstance(x, Literal) else None


def is_constant(x: Operand, value: float) -> bool:
    """`x` is a Literal whose every element equals `value` (0 matches -0.0 too)."""
    if not isinstance(x, Literal) or x.type.dtype.kind not in "biufc":
        return False
    if x.type.ndim == 0:
        return bool(x.value == value)
    return bool(np.all(x.value == value))


def broadcasting_elementwise(node: Node) -> bool:
    """An ELEMENTWISE node with operands to broadcast against each other (a unary one has
    nothing to broadcast)."""
    return len(node.inputs) > 1 and node.op.has(Trait.ELEMENTWISE)
