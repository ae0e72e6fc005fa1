"""IR pass: drop `broadcast_to` where NumPy's own broadcasting does the same.

A broadcast_to whose every user is an elementwise operation that broadcasts anyway, and whose
result keeps its type without it (another operand already has the full shape), is replaced
by its input at those users. The values are identical: broadcasting repeats the same
elements either way. Reverse mode writes such broadcasts for the cotangent of every sum.
"""

from __future__ import annotations

from ..core import Graph, Node, Operand, Var
from ..primitives.shapes import broadcast_to
from .rewrite import broadcasting_elementwise


def fold_broadcasts(graph: Graph) -> Graph:
    producers = {node.out: node for node in graph.nodes if node.op is broadcast_to}
    if not producers:
        return graph
    foldable = foldable_broadcasts(graph, producers)
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


def foldable_broadcasts(graph: Graph, producers: dict[Var, Node]) -> set[Var]:
    """The broadcasts whose every user still type-checks on the unbroadcast value. Chosen one
    at a time: two broadcasts meeting in one user may each be foldable alone, but not both
    (`broadcast_to(x, (3,)) + broadcast_to(y, (3,))` for 0-d x and y)."""
    users: dict[Var, list[Node]] = {var: [] for var in producers}
    for node in graph.nodes:
        for x in node.inputs:
            if x in users:
                users[x].append(node)
    foldable: set[Var] = set()
    for var, nodes in users.items():
        if (
            var not in graph.outputs
            and nodes
            and all(still_typed(n, foldable | {var}, producers) for n in nodes)
        ):
            foldable.add(var)
    return foldable


def still_typed(user: Node, folded: set[Var], producers: dict[Var, Node]) -> bool:
    """`user` broadcasts elementwise and gives the same type (shape, dtype and weakness) with
    the `folded` broadcasts' inputs in their place. (A Python scalar broadcast is a strong
    float64 array: `x_f32 * broadcast_to(2.5, s)` is float64, `x_f32 * 2.5` float32.)"""
    if not broadcasting_elementwise(user):
        return False
    types = tuple(producers[x].inputs[0].type if x in folded else x.type for x in user.inputs)
    try:
        inferred = user.op.infer(types, dict(user.params))
    except Exception:  # the operands no longer type-check together
        return False
    return tuple(inferred) == tuple(v.type for v in user.outputs)
