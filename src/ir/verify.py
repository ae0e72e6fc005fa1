"""IR layer: `verify(graph)` checks the invariants every stage may rely on.

Single assignment, definition before use (topological order), every primitive registered,
every node's output types equal to what its type rule gives, outputs defined. Each nested
Graph of a control-flow node is verified too, in a scope of its own (it reads nothing but
its inputs), before the node's own rule; its errors name the nesting:
`node 0 (scan) body: node 2 (tanh): ...`.
"""

from __future__ import annotations

from ..errors import IRError, TracegradError
from .core import Graph, Literal, Var
from .primitive import primitives
from .primitives.control import nested_graphs


def verify(graph: Graph, check_types: bool = True) -> Graph:
    """Returns the graph unchanged, or raises IRError naming the first broken invariant.

    `check_types=False` skips re-running every type rule: graphs made by GraphBuilder were
    typed by those rules already, so the runtime checks only the structure (tests check all).
    """
    defined: set[Var] = set()

    def define(var: Var, where: str) -> None:
        if not isinstance(var, Var):
            raise IRError(f"{where}: {var!r} is not a Var")
        if var in defined:
            raise IRError(f"{where}: {var!r} is assigned twice (the IR is single-assignment)")
        defined.add(var)

    def use(x, where: str) -> None:
        if isinstance(x, Literal):
            return
        if not isinstance(x, Var):
            raise IRError(f"{where}: operand {x!r} is neither a Var nor a Literal")
        if x not in defined:
            raise IRError(f"{where}: {x!r} is used before it is defined")

    for var in graph.inputs:
        define(var, f"graph {graph.name} inputs")
    for position, node in enumerate(graph.nodes):
        where = f"node {position} ({node.op.name})"
        if primitives.get(node.op.name) is not node.op:
            raise IRError(f"{where}: primitive {node.op.name!r} is not registered")
        for x in node.inputs:
            use(x, where)
        for key, nested in nested_graphs(node.params):
            try:
                verify(nested, check_types)
            except IRError as error:
                raise IRError(f"{where} {key}: {error.message}", hint=error.hint) from None
        if not check_types:
            for var in node.outputs:
                define(var, where)
            continue
        try:
            expected = node.op.infer(tuple(x.type for x in node.inputs), dict(node.params))
        except TracegradError as error:
            raise IRError(f"{where}: its type rule rejects it: {error.message}") from None
        actual = tuple(v.type for v in node.outputs)
        if tuple(expected) != actual:
            shown = ", ".join(map(str, actual))
            raise IRError(f"{where}: outputs typed {shown}, the rule gives "
                          f"{', '.join(map(str, expected))}")
        for var in node.outputs:
            define(var, where)
    for x in graph.outputs:
        use(x, f"graph {graph.name} outputs")
    return graph
