"""IR layer: the typed graph every stage reads and writes. Imports nothing else of ours
but the leaf `errors` module."""

from . import primitives
from .builder import GraphBuilder
from .core import Graph, Literal, Node, Operand, Var
from .parser import parse_graph
from .primitive import Group, Primitive
from .printer import print_graph
from .types import TensorType, parse_type
from .verify import verify

__all__ = [
    "Graph",
    "GraphBuilder",
    "Group",
    "Literal",
    "Node",
    "Operand",
    "Primitive",
    "TensorType",
    "Var",
    "parse_graph",
    "parse_type",
    "primitives",
    "print_graph",
    "verify",
]
