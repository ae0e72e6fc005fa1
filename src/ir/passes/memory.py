"""IR analysis: the memory plan the NumPy backend follows (JAX arrays are immutable and XLA
plans its own memory).

For each node it says which large values die there (their names are deleted, so the memory
goes back at once rather than when the function returns), and, for an elementwise node,
which dead input's buffer it may write its result into (`out=`), as NumPy itself does for
temporaries of an expression. A buffer is only ever reused when:

- it was allocated inside the function (never an argument's, nor a module constant's, nor
  a view of one);
- it can be written: not a broadcast_to view (read-only, its elements share memory), nor a
  view of one;
- nothing reads it later: not the value itself, not a view of it (reshape, transpose,
  index, broadcast_to and einsum may return views), and it is not returned;
- it has exactly the result's shape and dtype.

Only arrays of at least LARGE_BYTES take part: below that NumPy's allocator is faster than
the keyword argument, and the code stays as one would write it for small arrays. The
threshold is NumPy's own for eliding temporaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core import Graph, Node, Var
from ..primitive import Group
from ..primitives.elementwise import UFUNCS

LARGE_BYTES = 256 * 1024

# Primitives whose NumPy result may share memory with their first operand.
VIEWS = frozenset({"reshape", "transpose", "broadcast_to", "index", "einsum", "stop_gradient"})
WRITES_OUT = (Group.UNARY, Group.BINARY)


@dataclass
class MemoryPlan:
    frees: dict[Node, list[Var]] = field(default_factory=dict)  # deleted after the node
    reuse: dict[Node, Var] = field(default_factory=dict)  # the node writes into this input


def nbytes(var: Var) -> int:
    return var.type.size * var.type.dtype.itemsize


def is_large(var: Var) -> bool:
    return not var.type.weak and var.type.ndim > 0 and nbytes(var) >= LARGE_BYTES


def plan_memory(graph: Graph) -> MemoryPlan:
    n = len(graph.nodes)
    last_use: dict[Var, int] = {}
    for i, node in enumerate(graph.nodes):
        for x in node.inputs:
            if isinstance(x, Var):
                last_use[x] = i
    for x in graph.outputs:
        if isinstance(x, Var):
            last_use[x] = n
    # Buffers, named by the value that allocated them: a view joins its base's buffer, which
    # lives until the last reader of any of its values (arguments' buffers: always).
    root: dict[Var, Var] = {v: v for v in graph.inputs}
    members: dict[Var, list[Var]] = {v: [v] for v in graph.inputs}
    end: dict[Var, int] = {v: n for v in graph.inputs}
    # Values never written into: views of a module constant, broadcasts, and views of them.
    fixed: set[Var] = set()
    for i, node in enumerate(graph.nodes):
        base = node.inputs[0] if node.inputs else None
        for var in node.outputs:
            view = node.op.name in VIEWS
            shared = view and isinstance(base, Var)
            root[var] = root[base] if shared else var
            members.setdefault(root[var], []).append(var)
            end[root[var]] = max(end.get(root[var], i), last_use.get(var, i))
            if view and (not shared or base in fixed or node.op.name == "broadcast_to"):
                fixed.add(var)
    owned = {b for b in members if b not in graph.inputs and b not in fixed and is_large(b)}

    written_into: dict[Var, Var] = {}  # a buffer -> the buffer whose memory it took

    def find(var: Var) -> Var:
        b = root[var]
        while b in written_into:
            b = written_into[b]
        return b

    plan = MemoryPlan()
    for i, node in enumerate(graph.nodes):
        if node.op in UFUNCS and node.op.group in WRITES_OUT and is_large(node.out):
            for x in dict.fromkeys(node.inputs):
                if isinstance(x, Var) and x.type == node.out.type and x not in fixed:
                    b = find(x)
                    if b in owned and end[b] == i:
                        plan.reuse[node] = x
                        written_into[node.out] = b
                        members[b].extend(members.pop(node.out))
                        end[b] = end.pop(node.out)
                        break
        dying = dict.fromkeys(find(x) for x in node.inputs if isinstance(x, Var))
        freed = [v for b in dying if b in owned and end[b] == i for v in members[b]]
        if freed and i < n - 1:  # after the last node, returning frees them anyway
            plan.frees[node] = freed
    return plan
