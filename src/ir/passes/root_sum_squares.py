"""IR pass: recognise a root of a sum of squares, before differentiation.

    out = np.sqrt(np.sum(c * c, axis) / divisor)      # np.linalg.norm, np.std, by hand

becomes `out = root_sum_squares(c, axis, keepdims, divisor)`. The forward values do not change
(the primitive is emitted as the same operations), but the gradient is 0 where the sum is 0
(a norm at 0, the spread of equal values), where the chain rule through sqrt gives
0 * inf = nan. Matched only where the sum (and the division) feed the sqrt alone, so nothing
is computed twice. Nodes the match made unused are left for dead-code elimination.
"""

from __future__ import annotations

from collections import Counter

from ..core import Graph, Literal, Node, Operand, Var
from ..primitive import primitives
from .log_softmax import made_by


def recognise_root_sum_squares(graph: Graph) -> Graph:
    producer: dict[Var, Node] = {v: node for node in graph.nodes for v in node.outputs}
    uses = Counter(x for node in graph.nodes for x in node.inputs if isinstance(x, Var))
    uses.update(x for x in graph.outputs if isinstance(x, Var))
    replaced: dict[int, Node] = {}
    for position, node in enumerate(graph.nodes):
        match = match_root_sum_squares(node, producer, uses)
        if match is not None:
            c, params = match
            replaced[position] = Node(primitives["root_sum_squares"], (c,), node.outputs,
                                      params, node.loc)
    if not replaced:
        return graph
    nodes = tuple(replaced.get(i, node) for i, node in enumerate(graph.nodes))
    return Graph(graph.name, graph.inputs, nodes, graph.outputs)


def match_root_sum_squares(node: Node, producer: dict[Var, Node],
                           uses: Counter) -> tuple[Operand, dict] | None:
    """(c, params) when `node` is sqrt(sum(c * c) [/ divisor]), each step used only here."""
    if node.op.name != "sqrt" or uses[node.inputs[0]] != 1:
        return None
    divisor = 1
    total = made_by(node.inputs[0], "sum", producer)
    divide = made_by(node.inputs[0], "divide", producer)
    if divide is not None:
        quotient, by = divide.inputs
        if not (isinstance(by, Literal) and by.type.weak and isinstance(by.value, int)
                and uses[quotient] == 1):
            return None
        total, divisor = made_by(quotient, "sum", producer), by.value
    squares = total and made_by(total.inputs[0], "multiply", producer)
    if not (squares and uses[total.inputs[0]] == 1 and squares.inputs[0] is squares.inputs[1]):
        return None
    c = squares.inputs[0]
    if not isinstance(c, Var) or c.type.weak or c.type.dtype.kind != "f":
        return None
    params = {"axis": total.params["axis"], "keepdims": total.params["keepdims"],
              "divisor": divisor}
    return c, params
