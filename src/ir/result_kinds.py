"""IR analysis: which 0-d results NumPy hands back as NumPy scalars (`np.float64`) and which
as 0-d arrays, read off the operations that made them.

NumPy's ufuncs, reductions and contractions give scalars; shape functions, `np.where` and
basic indexing that keeps an axis or an Ellipsis give 0-d arrays; integer indexing of every
axis gives a scalar; a conversion keeps what its operand was. The IR type `f64[]` is the same
for both, so the backends read the kind from the graph as traced (before the optimizer
replaces `np.sum(a)` of a 0-d `a` by `a` itself) and hand each result back as NumPy would.
"""

from __future__ import annotations

from .core import Graph, Literal, Var
from .primitive import Group
from .primitives import indexing

SCALAR = "scalar"  # a NumPy scalar: np.float64, np.int64, np.bool_ ...
ARRAY = "array"  # a 0-d np.ndarray
AS_COMPUTED = ""  # an argument (as the caller passed it), control flow, a constant

SCALAR_GROUPS = frozenset(
    {
        Group.UNARY,
        Group.BINARY,
        Group.COMPARISON,
        Group.LOGICAL,
        Group.REDUCTION,
        Group.INDEX_REDUCTION,
        Group.CONTRACTION,
    }
)
ARRAY_GROUPS = frozenset({Group.SHAPE, Group.SELECT})


def result_kinds(graph: Graph) -> tuple[str, ...]:
    """For each output: SCALAR or ARRAY for a 0-d array value NumPy would return as one,
    AS_COMPUTED for everything else (arrays with axes, Python scalars, arguments)."""
    producer = {var: node for node in graph.nodes for var in node.outputs}

    def kind(x: Var | Literal) -> str:
        if not isinstance(x, Var) or x.type.ndim or x.type.weak or x not in producer:
            return AS_COMPUTED
        node = producer[x]
        if node.op.group in SCALAR_GROUPS:
            return SCALAR
        if node.op.group in ARRAY_GROUPS:
            return ARRAY
        if node.op is indexing.index:  # x[1, 2] is a scalar, x[..., 2] and x[1, :][0:0] arrays
            key, operand = node.params["index"], node.inputs[0]
            every_axis = len(key) == operand.type.ndim
            return SCALAR if every_axis and all(type(i) is int for i in key) else ARRAY
        if node.op is indexing.gather:  # integer index arrays of 0 dimensions act as ints
            return SCALAR
        if node.op.group is Group.CONVERSION:  # astype, stop_gradient: as their operand
            return kind(node.inputs[0])
        return AS_COMPUTED

    return tuple(kind(x) for x in graph.outputs)
