"""IR pass: common-subexpression elimination.

Two nodes with the same primitive, the same params and the same inputs compute the same
value (every primitive is pure): the later one is dropped and its readers read the first.
Inputs are the same when they are the same Var, or Literals of the same type and the same
bits (so 0.0 and -0.0 stay apart). For COMMUTATIVE primitives, whose IEEE results do not depend
on operand order, `b + a` matches `a + b`. Results never change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Graph, Literal, Operand
from ..primitive import Trait
from .rewrite import Rewriter


def operand_key(x: Operand) -> Any:
    if not isinstance(x, Literal):
        return x  # Vars: identity
    value = x.value
    if isinstance(value, np.ndarray | np.generic):
        return (x.type, np.asarray(value).tobytes())
    return (x.type, repr(value))


def node_key(op: Any, inputs: tuple[Any, ...], params: Any) -> Any:
    return (op, inputs, tuple(sorted(params.items())) if params else ())


def eliminate_common_subexpressions(graph: Graph) -> Graph:
    rewriter = Rewriter(graph)
    seen: dict[Any, Any] = {}
    for node in graph.nodes:
        node = rewriter.inputs_of(node)
        inputs = tuple(operand_key(x) for x in node.inputs)
        try:
            key = node_key(node.op, inputs, node.params)
            earlier = seen.get(key)
            if earlier is None and node.op.has(Trait.COMMUTATIVE) and len(inputs) == 2:
                earlier = seen.get(node_key(node.op, inputs[::-1], node.params))
        except TypeError:  # a param that cannot be hashed: never shared
            rewriter.keep(node)
            continue
        if earlier is not None:
            for var, same in zip(node.outputs, earlier.outputs, strict=True):
                rewriter.replace(var, same)
            continue
        seen[key] = node
        rewriter.keep(node)
    return rewriter.graph_out()
