"""IR pass: dead-code elimination.

Removes every node none of whose outputs reaches a graph output. All primitives are pure,
so this never changes a result; it only stops work nobody reads (reverse mode computes
cotangents for constants, for instance, that no output needs).
"""

from __future__ import annotations

from ..core import Graph, Node, Var


def eliminate_dead_code(graph: Graph) -> Graph:
    live: set[Var] = {x for x in graph.outputs if isinstance(x, Var)}
    kept: list[Node] = []
    for node in reversed(graph.nodes):
        outputs = node.outputs
        if outputs[0] in live if len(outputs) == 1 else not live.isdisjoint(outputs):
            kept.append(node)
            live.update(node.inputs)  # Literals too: never looked up, cheaper than filtering
    if len(kept) == len(graph.nodes):
        return graph
    return Graph(graph.name, graph.inputs, tuple(reversed(kept)), graph.outputs)
