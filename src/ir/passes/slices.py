"""IR pass: an elementwise result read only in slices is computed slice by slice.

The gradient of `np.sum(h * h)` for states written into `h[:, t, :]` is `2 * h` whole, which
the backward pass then reads one step at a time (`d_h[:, t]`). Computing `2 * h[:, t]` at each
read instead, as one writes BPTT by hand, allocates no array the size of every step, and lets
the simplifier see that `h[:, t]` is the state written there.

What it may change: where an elementwise operation is computed, never a value (the same
operation on the same elements). Only where every reader is a basic-index read of part of
it, the reads together take no more elements than the whole has (so the work does not grow),
no operand is an array a later write updates (reading it later would cost the write its
place), and the result is not a graph output.
"""

from __future__ import annotations

from ..core import Graph, Literal, Node, Operand, Var
from ..primitive import Trait
from ..primitives import indexing
from .rewrite import Rewriter


def sink_into_slices(graph: Graph) -> Graph:
    readers: dict[Var, list[Node]] = {}
    updated: set[Operand] = set()
    for node in graph.nodes:
        for x in node.inputs:
            if x.__class__ is Var:
                readers.setdefault(x, []).append(node)
        if node.op.has(Trait.UPDATE):
            updated.add(node.inputs[0])
    results = set(graph.outputs)
    sunk: set[Var] = set()
    at_read: dict[int, list[Node]] = {}  # by id of the read: the nodes computing it
    for node in graph.nodes:
        if (
            not node.op.has(Trait.ELEMENTWISE)
            or node.out in results
            or any(x in updated for x in node.inputs)
            or not all(x.__class__ is Var or x.type.ndim == 0 for x in node.inputs)
            or not read_in_slices(node, readers.get(node.out, []))
        ):
            continue
        computed = [computed_at(node, read) for read in readers[node.out]]
        if all(c is not None for c in computed):
            sunk.add(node.out)
            at_read.update(zip(map(id, readers[node.out]), computed, strict=True))
    if not sunk:
        return graph
    rewriter = Rewriter(graph)
    rewriter.changed = True
    for node in graph.nodes:
        if node.out not in sunk:
            rewriter.nodes.extend(at_read.get(id(node), (node,)))
    return rewriter.graph_out()


def read_in_slices(node: Node, readers: list[Node]) -> bool:
    if len(node.outputs) != 1 or not readers:
        return False
    taken, size = 0, node.out.type.size
    for reader in readers:
        if reader.op is not indexing.index or None in reader.params["index"]:
            return False
        if reader.out.type.size == size:  # the whole, reordered (`[::-1]`): nothing gained
            return False
        taken += reader.out.type.size
    return taken <= size


def computed_at(made: Node, read: Node) -> list[Node] | None:
    """The nodes computing `read` (a slice of `made`'s result) from slices of its operands;
    None where that would not give the read's exact type."""
    key, shape = read.params["index"], made.out.type.shape
    nodes: list[Node] = []
    operands: list[Operand] = []
    for x in made.inputs:
        part = operand_key(key, x.type.shape, shape)
        if part is None or x.__class__ is Literal:
            operands.append(x)
            continue
        (sliced,) = indexing.index.infer((x.type,), {"index": part})
        nodes.append(Node(indexing.index, (x,), (Var(sliced),), {"index": part}, read.loc))
        operands.append(nodes[-1].out)
    (out_type,) = made.op.infer(tuple(x.type for x in operands), dict(made.params))
    if out_type != read.out.type:
        return None
    nodes.append(Node(made.op, tuple(operands), read.outputs, made.params, made.loc))
    return nodes


def operand_key(key: tuple, operand: tuple[int, ...], shape: tuple[int, ...]) -> tuple | None:
    """The key that reads from an operand of shape `operand` (broadcast against `shape`) the
    elements `key` reads from the result: axes the operand lacks are skipped, axes it
    broadcasts are read at 0 or whole. None when it reads the operand whole."""
    missing = len(shape) - len(operand)
    part = []
    for axis, item in enumerate(key):
        if axis < missing:
            continue
        if operand[axis - missing] == shape[axis]:
            part.append(item)
        else:  # a size-1 axis repeated by broadcasting
            part.append(0 if isinstance(item, int) else (None, None, None))
    if all(item == (None, None, None) for item in part):
        return None
    return tuple(part)


__all__ = ["sink_into_slices"]
