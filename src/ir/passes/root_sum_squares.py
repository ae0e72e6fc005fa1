"""IR pass: recognise a root of a sum of squares, before differentiation.

    out = np.sqrt(np.sum(c * c, axis) / divisor)      # np.linalg.norm, np.std, by hand

becomes `out = root_sum_squares(c, axis, keepdims, divisor)`. The forward values do not change
(the primitive is emitted as the same operations), but the gradient is 0 where the sum is 0
(a norm at 0, the spread of equal values), where the chain rule through sqrt gives
0 * inf = nan. Matched only where the sum (and the division) feed the sqrt alone, so nothing
is computed twice. Nodes the match made unused are left for dead-code elimination.

First, the square of such a root is the sum itself: `0.5 * np.linalg.norm(r) ** 2` and
`np.std(x) ** 2` are differentiated as the smooth `0.5 * sum(r * r)` and `var(x)`, whose
derivatives at 0 (0 and then the identity) no choice of subgradient for the root could give.
Their value is the sum's, which can differ from sqrt(s) ** 2 in the last bit.
"""

from __future__ import annotations

from collections import Counter

from ..core import Graph, Literal, Node, Operand, Var
from ..primitive import primitives
from ..primitives import elementwise, reductions
from .log_softmax import made_by
from .rewrite import Rewriter, is_constant


def recognise_root_sum_squares(graph: Graph) -> Graph:
    return roots_of_sums_of_squares(squares_of_roots(graph))


def squares_of_roots(graph: Graph) -> Graph:
    """`sqrt(s) ** 2` (`square`, `y * y`) is `s` where s is a sum of squares (never < 0)."""
    producer: dict[Var, Node] = {v: node for node in graph.nodes for v in node.outputs}
    rewriter = Rewriter(graph)
    for node in graph.nodes:
        node = rewriter.inputs_of(node)
        root = squared(node) and made_by(squared(node), elementwise.sqrt, producer)
        radicand = root.inputs[0] if root else None
        if (
            radicand is not None
            and radicand.type == node.out.type
            and (sum_of_squares(radicand, producer) is not None)
        ):
            rewriter.replace(node.out, radicand)
            continue
        rewriter.keep(node)
    return rewriter.graph_out()


def squared(node: Node) -> Operand | None:
    """y where `node` computes y ** 2, square(y) or y * y."""
    if node.op is elementwise.square or (
        node.op is elementwise.multiply and node.inputs[0] is node.inputs[1]
    ):
        return node.inputs[0]
    if node.op is elementwise.power and is_constant(node.inputs[1], 2):
        return node.inputs[0]
    return None


def sum_of_squares(x: Operand, producer: dict[Var, Node]) -> tuple[Node, int] | None:
    """(the sum node, the divisor) where x is sum(c * c) or sum(c * c) / divisor."""
    divisor = 1
    divide = made_by(x, elementwise.divide, producer)
    if divide is not None:
        x, by = divide.inputs
        if not (isinstance(by, Literal) and by.type.weak and isinstance(by.value, int)):
            return None
        divisor = by.value
    total = made_by(x, reductions.sum_, producer)
    squares = total and made_by(total.inputs[0], elementwise.multiply, producer)
    if not (squares and squares.inputs[0] is squares.inputs[1]):
        return None
    return total, divisor


def roots_of_sums_of_squares(graph: Graph) -> Graph:
    producer: dict[Var, Node] = {v: node for node in graph.nodes for v in node.outputs}
    uses = Counter(x for node in graph.nodes for x in node.inputs if isinstance(x, Var))
    uses.update(x for x in graph.outputs if isinstance(x, Var))
    replaced: dict[int, Node] = {}
    for position, node in enumerate(graph.nodes):
        match = match_root_sum_squares(node, producer, uses)
        if match is not None:
            c, params = match
            replaced[position] = Node(
                primitives["root_sum_squares"], (c,), node.outputs, params, node.loc
            )
    if not replaced:
        return graph
    nodes = tuple(replaced.get(i, node) for i, node in enumerate(graph.nodes))
    return Graph(graph.name, graph.inputs, nodes, graph.outputs)


def match_root_sum_squares(
    node: Node, producer: dict[Var, Node], uses: Counter
) -> tuple[Operand, dict] | None:
    """(c, params) when `node` is sqrt(sum(c * c) [/ divisor]), each step used only here."""
    if node.op is not elementwise.sqrt or uses[node.inputs[0]] != 1:
        return None
    match = sum_of_squares(node.inputs[0], producer)
    if match is None:
        return None
    total, divisor = match
    quotient = total.out
    if quotient is not node.inputs[0] and uses[quotient] != 1:  # the sum, divided
        return None
    c = total.inputs[0]
    if uses[c] != 1 or not isinstance(made_by(c, elementwise.multiply, producer).inputs[0], Var):
        return None
    c = made_by(c, elementwise.multiply, producer).inputs[0]
    if c.type.weak or c.type.dtype.kind != "f":
        return None
    params = {
        "axis": total.params["axis"],
        "keepdims": total.params["keepdims"],
        "divisor": divisor,
    }
    return c, params
