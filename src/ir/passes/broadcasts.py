"""IR pass: drop `broadcast_to` where NumPy's own broadcasting does the same.

A broadcast_to whose every user is an elementwise operation that broadcasts anyway, and whose
result keeps its shape without it (another operand already has the full shape), is replaced
by its input at those users. The values are identical: broadcasting repeats the same
elements either way. Reverse mode writes such broadcasts for the cotangent of every sum.
"""

from __future__ import annotations

import numpy as np

from ..core import Graph, Node, Operand, Var
from ..primitive import Group

ELEMENTWISE = (Group.BINARY, Group.COMPARISON, Group.LOGICAL, Group.SELECT)


def fold_broadcasts(graph: Graph) -> Graph:
    producers = {node.out: node for node in graph.nodes if node.op.name == "broadcast_to"}
    if not producers:
        return graph
    users: dict[Var, list[Node]] = {var: [] for var in producers}
    for node in graph.nodes:
        for x in node.inputs:
            if x in users:
                users[x].append(node)
    foldable = {
        var for var, nodes in users.items()
        if var not in graph.outputs and nodes and all(still_typed(n, var, producers[var])
                                                      for n in nodes)
    }
    if not foldable:
        return graph

    def source(x: Operand) -> Operand:
        return producers[x].inputs[0] if x in foldable else x

    nodes = tuple(
        Node(n.op, tuple(source(x) for x in n.inputs), n.outputs, n.params, n.loc)
        for n in graph.nodes
    )
    from .dce import eliminate_dead_code

    return eliminate_dead_code(Graph(graph.name, graph.inputs, nodes, graph.outputs))


def still_typed(user: Node, var: Var, producer: Node) -> bool:
    """`user` broadcasts elementwise and gives the same shape with the unbroadcast input."""
    if user.op.group not in ELEMENTWISE:
        return False
    shapes = [producer.inputs[0].type.shape if x is var else x.type.shape for x in user.inputs]
    try:
        return tuple(np.broadcast_shapes(*shapes)) == user.out.type.shape
    except ValueError:
        return False
