"""IR pass: constant folding.

A node whose inputs are all Literals is evaluated now, with the NumPy function it stands
for, and becomes a Literal: exactly the value the emitted NumPy code would compute. Only
where the result keeps the node's exact type, and is no larger than its largest input (or a
handful of elements): folding `broadcast_to(0.0, (1000, 1000))` would trade a view for a
megabyte constant. Primitives without an evaluator here are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Graph, Literal, Node
from ..primitive import Group
from ..primitives.elementwise import UFUNCS
from .rewrite import Rewriter

# A folded constant may always have this many elements.
SMALL = 16

Evaluator = Callable[..., Any]


def reduction(name: str) -> Evaluator:
    function = getattr(np, name)
    return lambda x, axis, keepdims: function(x, axis=axis, keepdims=keepdims)


EVALUATORS: dict[str, Evaluator] = {
    "where": lambda c, x, y: np.where(c, x, y),
    "sum": reduction("sum"),
    "prod": reduction("prod"),
    "max": reduction("max"),
    "min": reduction("min"),
    "reshape": lambda x, shape: np.reshape(x, shape),
    "transpose": lambda x, axes: np.transpose(x, axes),
    "broadcast_to": lambda x, shape: np.broadcast_to(x, shape),
    "convert": lambda x, dtype: np.asarray(x).astype(dtype),
}


def evaluator(node: Node) -> Evaluator | None:
    if node.op in UFUNCS and node.op.group in (Group.UNARY, Group.BINARY, Group.COMPARISON,
                                                Group.LOGICAL):
        return UFUNCS[node.op]
    return EVALUATORS.get(node.op.name)


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

