"""IR pass: constant folding.

A node whose inputs are all Literals is evaluated now, with the NumPy function it stands
for, and becomes a Literal: exactly the value the emitted NumPy code would compute. Only
where the result keeps the node's exact type, and is no larger than its largest input (or a
handful of elements): folding `broadcast_to(0.0, (1000, 1000))` would trade a view for a
megabyte constant. The NumPy function is the primitive's `reference`.
"""

from __future__ import annotations

import numpy as np

from ..core import Graph, Literal, Node
from ..primitive import Group, Reference
from ..primitives.elementwise import round_
from ..primitives.markers import stop_gradient
from ..primitives.shapes import concatenate, stack
from .rewrite import Rewriter

# A folded constant may always have this many elements.
SMALL = 16

# The groups whose primitives are folded (with their `reference`); round, the index
# reductions, contractions, indexing, composites and control flow stay as written.
FOLDED_GROUPS = frozenset(
    {
        Group.UNARY,
        Group.BINARY,
        Group.COMPARISON,
        Group.LOGICAL,
        Group.SELECT,
        Group.REDUCTION,
        Group.SHAPE,
        Group.CONVERSION,
    }
)
# Never folded: joining literals only lengthens the source, and stop_gradient marks a
# constant for differentiation (dropped when it is emitted anyway).
NOT_FOLDED = frozenset({round_, concatenate, stack, stop_gradient})


def evaluator(node: Node) -> Reference | None:
    op = node.op
    if op.group in FOLDED_GROUPS and op not in NOT_FOLDED:
        return op.reference
    return None


def folded(node: Node) -> Literal | None:
    function = evaluator(node)
    if function is None or len(node.outputs) != 1:
        return None
    out = node.out.type
    if out.size > max(SMALL, *(x.type.size for x in node.inputs)):
        return None
    try:
        with np.errstate(all="ignore"):  # inf and nan are values like any other here
            value = function(*(x.value for x in node.inputs), **node.params)
    except (TypeError, ValueError, ArithmeticError):
        return None
    if out.weak:
        literal = Literal.of(out.python_type(np.asarray(value).item()))
    else:
        literal = Literal.of(np.asarray(value))
    return literal if literal.type == out else None


def fold_constants(graph: Graph) -> Graph:
    rewriter = Rewriter(graph)
    for node in graph.nodes:
        node = rewriter.inputs_of(node)
        if node.inputs and all(isinstance(x, Literal) for x in node.inputs):
            literal = folded(node)
            if literal is not None:
                rewriter.replace(node.out, literal)
                continue
        rewriter.keep(node)
    return rewriter.graph_out()
