"""IR layer: a Primitive is a name, a group, a shape/dtype rule and the facts passes read.

The facts a pass needs about an operation (is it elementwise, linear, commutative, does its
result view an operand, how NumPy computes it) are traits and fields of the Primitive, so a
pass asks `op.has(Trait.COMMUTATIVE)`, never a list of names. Everything a concern adds (how
to differentiate it, how to emit it) lives in a table of its own, keyed by the primitive,
next to the concern that uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .types import TensorType

TypeRule = Callable[..., tuple[TensorType, ...]]
# The NumPy computation a primitive stands for: reference(*operand_values, **params) gives
# the output value (or a tuple of them), exactly what the emitted NumPy code computes.
Reference = Callable[..., Any]


class Group(Enum):
    """Semantic groups, so rules shared by a whole group are written once."""

    UNARY = "unary elementwise"
    BINARY = "binary elementwise"
    COMPARISON = "comparison"
    LOGICAL = "logical"
    SELECT = "select"
    REDUCTION = "reduction"
    CUMULATIVE = "cumulative"  # running reductions along one axis, keeping the shape
    INDEX_REDUCTION = "index reduction"
    CONTRACTION = "contraction"
    SORTING = "sorting"  # permutations along one axis, and searches in sorted values
    SHAPE = "shape"
    INDEXING = "indexing"
    CONVERSION = "conversion"
    COMPOSITE = "composite"
    CONTROL = "control flow"  # holds nested Graphs in its params


class Trait(Enum):
    """Facts about a primitive that passes and transforms read."""

    # Members are singletons compared by identity: hash them so too (Enum's own __hash__ is
    # Python code, and `op.has(trait)` runs for every node of every pass).
    __hash__ = object.__hash__

    # Each output element depends on the operands' elements at the same (broadcast) position.
    ELEMENTWISE = "elementwise"
    # Linear in each differentiable operand: its JVP is itself applied to the tangents.
    LINEAR = "linear"
    # Two operands that may be swapped without changing the result.
    COMMUTATIVE = "commutative"
    # The result is always a view of the first operand (NumPy never copies).
    VIEW = "view"
    # The result may be a view of an operand (NumPy copies only where it must).
    MAY_VIEW = "may view"
    # Its derivative is zero wherever it exists, or its result is not a number (a sign, a
    # rounding, a comparison, an index): no derivative flows through it.
    PIECEWISE_CONSTANT = "piecewise constant"
    # The result is the first operand with some elements written (`x[key] = v`): the same
    # array to the reader, so it takes that array's name, and NumPy may write it in place.
    UPDATE = "update"


@dataclass(frozen=True, slots=True, eq=False)
class Primitive:
    """An operation of the IR. Identity is the primitive: one object per name."""

    name: str
    group: Group
    type_rule: TypeRule
    doc: str = ""
    traits: frozenset[Trait] = frozenset()
    reference: Reference | None = None
    # The params whose value names axes of the first operand: an int or a tuple of ints,
    # each a non-negative axis of that operand in the IR (`sum`'s `axis`, `transpose`'s
    # `axes`, `gather`'s indexed `axes`; `stack`'s `axis` may equal its ndim, the new axis).
    # A transform that adds a leading axis to the operand (vmap) shifts exactly these.
    axis_params: tuple[str, ...] = ()

    def infer(self, input_types: tuple[TensorType, ...], params: dict[str, Any]):
        """The output types for these input types and params (raises TypeRuleError)."""
        return self.type_rule(input_types, **params)

    def has(self, trait: Trait) -> bool:
        return trait in self.traits

    def __repr__(self) -> str:
        return f"Primitive({self.name})"


# Every primitive, by name: the parser and the completeness tests read it.
primitives: dict[str, Primitive] = {}


def declare(
    name: str,
    group: Group,
    type_rule: TypeRule,
    doc: str = "",
    *,
    traits: frozenset[Trait] | set[Trait] = frozenset(),
    reference: Reference | None = None,
    axis_params: tuple[str, ...] = (),
) -> Primitive:
    if name in primitives:
        raise ValueError(f"primitive {name!r} declared twice")
    primitive = Primitive(name, group, type_rule, doc, frozenset(traits), reference, axis_params)
    primitives[name] = primitive
    return primitive
