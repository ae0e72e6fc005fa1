"""IR passes: loops rewritten into the form reverse mode differentiates (run before it).

- A fori_loop whose bounds are constants becomes a scan over its indices (an int64 array,
  the index's own type), the same body with the index read as the scan's x.
- Every scan also stacks the carry each step starts from, as extra ys: the body's last
  outputs become its carry inputs (`stacks_carries`). The backward loop reads them.

Each node keeps its output Vars (the extra ys are new ones), so no reader changes and every
value of the primal stays what it was. A fori_loop with traced bounds is left alone: reverse
mode refuses it with a clear error.
"""

from __future__ import annotations

import numpy as np

from ..core import Graph, Literal, Node, Var
from ..primitives import control as C


def stacks_carries(body: Graph, num_consts: int, num_carry: int) -> bool:
    """True when the body's last outputs are its carry inputs, so the scan's last ys are
    the carries each step started from."""
    carry = body.inputs[num_consts:num_consts + num_carry]
    return num_carry > 0 and len(body.outputs) >= 2 * num_carry and all(
        a is b for a, b in zip(body.outputs[-num_carry:], carry, strict=True))


def stacked(node: Node, body: Graph, inputs: tuple, params: dict) -> Node:
    """A scan node over `inputs` whose body also returns its carry inputs."""
    k, n = params["num_consts"], params["num_carry"]
    if n == 0 or stacks_carries(body, k, n):
        return Node(C.scan, inputs, node.outputs, {**params, "body": body}, node.loc)
    body = Graph(body.name, body.inputs, body.nodes, (*body.outputs, *body.inputs[k:k + n]))
    params = {**params, "body": body}
    types = C.scan.infer(tuple(x.type for x in inputs), params)
    extra = tuple(Var(t, f"{v.hint or 'carry'}_steps")
                  for t, v in zip(types[len(node.outputs):], body.inputs[k:k + n], strict=True))
    return Node(C.scan, inputs, (*node.outputs, *extra), params, node.loc)


def as_scan(node: Node) -> Node:
    """A fori_loop with constant bounds as a scan over its indices."""
    body, k = node.params["body"], node.params["num_consts"]
    lower, upper = (int(b.value) for b in node.inputs[:2])
    length = max(upper - lower, 0)
    indices = Literal.of(np.arange(lower, lower + length, dtype=body.inputs[0].type.dtype))
    scan_body = Graph(body.name, (*body.inputs[1:], body.inputs[0]), body.nodes, body.outputs)
    params = dict(length=length, reverse=False, num_consts=k,
                  num_carry=len(node.inputs) - 2 - k)
    return stacked(node, scan_body, (*node.inputs[2:], indices), params)


def loops_as_scans(graph: Graph) -> Graph:
    nodes, changed = [], False
    for node in graph.nodes:
        new = node
        if node.op is C.fori_loop and all(isinstance(b, Literal) for b in node.inputs[:2]):
            new = as_scan(node)
        elif node.op is C.scan:
            new = stacked(node, node.params["body"], node.inputs, dict(node.params))
        changed |= new is not node and (new.op is not node.op or
                                        len(new.outputs) != len(node.outputs))
        nodes.append(new)
    if not changed:
        return graph
    return Graph(graph.name, graph.inputs, tuple(nodes), graph.outputs)
