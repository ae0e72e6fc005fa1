"""IR layer: a Primitive is a name, a group and a shape/dtype rule; the registry holds them all.

Everything else a primitive needs (how to differentiate it, how to emit it) lives in a
table of its own, keyed by the primitive, next to the concern that uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .types import TensorType

TypeRule = Callable[..., tuple[TensorType, ...]]


class Group(Enum):
    """Semantic groups, so rules shared by a whole group are written once."""

    UNARY = "unary elementwise"
    BINARY = "binary elementwise"
    COMPARISON = "comparison"
    LOGICAL = "logical"
    SELECT = "select"
    REDUCTION = "reduction"
    INDEX_REDUCTION = "index reduction"
    CONTRACTION = "contraction"
    SHAPE = "shape"
    INDEXING = "indexing"
    CONVERSION = "conversion"
    COMPOSITE = "composite"
    CONTROL = "control flow"  # holds nested Graphs in its params


@dataclass(frozen=True, slots=True, eq=False)
class Primitive:
    """An operation of the IR. Identity is the primitive: one object per name."""

    name: str
    group: Group
    type_rule: TypeRule
    doc: str = ""

    def infer(self, input_types: tuple[TensorType, ...], params: dict[str, Any]):
        """The output types for these input types and params (raises TypeRuleError)."""
        return self.type_rule(input_types, **params)

    def __repr__(self) -> str:
        return f"Primitive({self.name})"


# Every primitive, by name: the parser and the completeness tests read it.
primitives: dict[str, Primitive] = {}


def declare(name: str, group: Group, type_rule: TypeRule, doc: str = "") -> Primitive:
    if name in primitives:
        raise ValueError(f"primitive {name!r} declared twice")
    primitive = Primitive(name, group, type_rule, doc)
    primitives[name] = primitive
    return primitive
