"""IR pass: recognise log-softmax written out by hand, before reverse mode.

    z = x - x.max(axis, keepdims=True)
    out = z - np.log(np.sum(np.exp(z), axis, keepdims=True))

becomes `out = log_softmax(x, axis)`. The forward values do not change (the primitive is
emitted as the same operations), but the gradient does less: `ct - softmax * sum(ct)`,
without the tie-splitting gradient through the max, whose contributions cancel exactly in
real arithmetic (they only add rounding noise). This is how a careful person writes it.
Nodes the match made unused are left for dead-code elimination.
"""

from __future__ import annotations

from ..core import Graph, Node, Operand, Var
from ..primitive import Primitive, primitives
from ..primitives import elementwise, reductions


def recognise_log_softmax(graph: Graph) -> Graph:
    producer: dict[Var, Node] = {v: node for node in graph.nodes for v in node.outputs}
    replaced: dict[int, Node] = {}
    for position, node in enumerate(graph.nodes):
        match = match_log_softmax(node, producer)
        if match is not None:
            x, axis = match
            replaced[position] = Node(
                primitives["log_softmax"], (x,), node.outputs, {"axis": axis}, node.loc
            )
    if not replaced:
        return graph
    nodes = tuple(replaced.get(i, node) for i, node in enumerate(graph.nodes))
    return Graph(graph.name, graph.inputs, nodes, graph.outputs)


def made_by(x: Operand, op: Primitive, producer: dict[Var, Node]) -> Node | None:
    node = producer.get(x) if isinstance(x, Var) else None
    return node if node is not None and node.op is op else None


def match_log_softmax(node: Node, producer: dict[Var, Node]) -> tuple[Operand, tuple] | None:
    """(x, axis) when `node` computes z - log(sum(exp(z))) with z = x - max(x)."""
    if node.op is not elementwise.subtract:
        return None
    shifted, log_of_sum = node.inputs
    log = made_by(log_of_sum, elementwise.log, producer)
    total = log and made_by(log.inputs[0], reductions.sum_, producer)
    exp = total and made_by(total.inputs[0], elementwise.exp, producer)
    shift = made_by(shifted, elementwise.subtract, producer)
    if not (exp and shift and exp.inputs[0] is shifted and total.params["keepdims"]):
        return None
    x, maximum = shift.inputs
    largest = made_by(maximum, reductions.max_, producer)
    if largest is None or largest.inputs[0] is not x or not largest.params["keepdims"]:
        return None
    axis = total.params["axis"]
    if largest.params["axis"] != axis or x.type.shape != node.out.type.shape:
        return None
    return (x, axis) if x.type.dtype.kind == "f" else None
