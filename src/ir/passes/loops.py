"""IR passes: fori_loops rewritten into the form reverse mode differentiates (run before it).

A fori_loop whose bounds are constants becomes a scan over its indices (an int64 array, the
index's own type), the same body with the index read as the scan's x. The node keeps its
output Vars, so no reader changes and every value of the primal stays what it was. A
fori_loop with traced bounds is left alone: reverse mode refuses it with a clear error.
"""

from __future__ import annotations

import numpy as np

from ..core import Graph, Literal, Node
from ..primitives import control


def as_scan(node: Node) -> Node:
    """A fori_loop with constant bounds as a scan over its indices."""
    body, k = node.params["body"], node.params["num_consts"]
    lower, upper = (int(b.value) for b in node.inputs[:2])
    length = max(upper - lower, 0)
    indices = Literal.of(np.arange(lower, lower + length, dtype=body.inputs[0].type.dtype))
    scan_body = Graph(body.name, (*body.inputs[1:], body.inputs[0]), body.nodes, body.outputs)
    params = dict(
        body=scan_body,
        length=length,
        reverse=False,
        num_consts=k,
        num_carry=len(node.inputs) - 2 - k,
    )
    return Node(control.scan, (*node.inputs[2:], indices), node.outputs, params, node.loc)


def loops_as_scans(graph: Graph) -> Graph:
    if not any(
        node.op is control.fori_loop and all(isinstance(b, Literal) for b in node.inputs[:2])
        for node in graph.nodes
    ):
        return graph
    nodes = tuple(
        as_scan(node)
        if node.op is control.fori_loop and all(isinstance(b, Literal) for b in node.inputs[:2])
        else node
        for node in graph.nodes
    )
    return Graph(graph.name, graph.inputs, nodes, graph.outputs)
