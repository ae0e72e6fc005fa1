"""IR layer: `verify(graph)` checks the invariants every stage may rely on.

Single assignment, definition before use (topological order), every primitive registered,
every node's output types equal to what its type rule gives, outputs defined. Each nested
Graph of a control-flow node is verified too, in a scope of its own (it reads nothing but
its inputs), before the node's own rule; its errors name the nesting:
`node 0 (scan) body: node 2 (tanh): ...`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import IRError, TracegradError
from .core import Graph, Literal, Node, Operand, Var
from .primitive import Group, primitives
from .primitives.control import nested_graphs


def verify(graph: Graph, check_types: bool = True) -> Graph:
    """Returns the graph unchanged, or raises IRError naming the first broken invariant.

    `check_types=False` skips re-running every type rule: graphs made by GraphBuilder were
    typed by those rules already, so the runtime checks only the structure (tests check all).
    """
    defined: set[Var] = set()
    for var in graph.inputs:
        define(defined, var, lambda: f"graph {graph.name} inputs")
    for position, node in enumerate(graph.nodes):
        # Checked inline and the message written only for an error: verify runs on every
        # node of every graph the runtime compiles.
        def where(position: int = position, node: Node = node) -> str:
            return f"node {position} ({node.op.name})"

        if primitives.get(node.op.name) is not node.op:
            raise IRError(f"{where()}: primitive {node.op.name!r} is not registered")
        for x in node.inputs:
            if x not in defined:
                use(defined, x, where)
        if node.op.group is Group.CONTROL:
            verify_nested(node, where, check_types)
        if check_types:
            check_node_types(node, where)
        for var in node.outputs:
            define(defined, var, where)
    for x in graph.outputs:
        use(defined, x, lambda: f"graph {graph.name} outputs")
    return graph


def verify_nested(node: Node, where: Callable[[], str], check_types: bool) -> None:
    """Each graph a control-flow node holds, its error prefixed with where the node is."""
    for key, nested in nested_graphs(node.params):
        try:
            verify(nested, check_types)
        except IRError as error:
            raise IRError(f"{where()} {key}: {error.message}", hint=error.hint) from None


def define(defined: set[Var], var: Var, where: Callable[[], str]) -> None:
    if not isinstance(var, Var):
        raise IRError(f"{where()}: {var!r} is not a Var")
    if var in defined:
        raise IRError(f"{where()}: {var!r} is assigned twice (the IR is single-assignment)")
    defined.add(var)


def use(defined: set[Var], x: Operand, where: Callable[[], str]) -> None:
    if isinstance(x, Literal):
        return
    if not isinstance(x, Var):
        raise IRError(f"{where()}: operand {x!r} is neither a Var nor a Literal")
    if x not in defined:
        raise IRError(f"{where()}: {x!r} is used before it is defined")


def check_node_types(node: Node, where: Callable[[], str]) -> None:
    """The node's output types are what its primitive's rule gives for its inputs."""
    try:
        expected = node.op.infer(tuple(x.type for x in node.inputs), dict(node.params))
    except TracegradError as error:
        raise IRError(f"{where()}: its type rule rejects it: {error.message}") from None
    actual = tuple(v.type for v in node.outputs)
    if tuple(expected) != actual:
        shown = ", ".join(map(str, actual))
        raise IRError(
            f"{where()}: outputs typed {shown}, the rule gives {', '.join(map(str, expected))}"
        )
