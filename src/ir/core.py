"""IR layer: the values and nodes of the typed graph (Var, Literal, Node, Graph).

A Graph is a flat list of nodes in topological order, each node one primitive applied to
Vars and Literals, in single-assignment form: every Var is written exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SourceLoc
from .types import TensorType

if TYPE_CHECKING:
    from .primitive import Primitive


@dataclass(frozen=True, slots=True, eq=False)
class Var:
    """One SSA value. Equality is identity: two Vars of the same type are still two values."""

    type: TensorType
    hint: str | None = None  # the user's variable name, when known

    def __repr__(self) -> str:
        return f"Var({self.hint or '?'}: {self.type})"


@dataclass(frozen=True, slots=True, eq=False)
class Literal:
    """A constant operand: a Python scalar (weak), a NumPy scalar or a read-only array."""

    value: Any
    type: TensorType

    def __repr__(self) -> str:
        return f"Literal({self.value!r}: {self.type})"

    @staticmethod
    def of(value: Any) -> Literal:
        """A Literal for a Python scalar (weak), NumPy scalar or array (copied, read-only)."""
        if isinstance(value, bool | int | float | complex) and not isinstance(value, np.generic):
            dtype = np.result_type(type(value))
            return Literal(value, TensorType((), dtype, weak=True))
        array = np.array(value)
        if array.ndim == 0:
            return Literal(array[()], TensorType((), array.dtype))
        array.setflags(write=False)
        return Literal(array, TensorType(array.shape, array.dtype))


Operand = Var | Literal


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One primitive application: `outputs = op(*inputs, **params)`, at the user's `loc`."""

    op: Primitive
    inputs: tuple[Operand, ...]
    outputs: tuple[Var, ...]
    params: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    loc: SourceLoc | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.params, MappingProxyType):
            object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def out(self) -> Var:
        return self.outputs[0]


@dataclass(frozen=True, slots=True, eq=False)
class Graph:
    """A typed function: inputs, nodes in topological order, outputs."""

    name: str
    inputs: tuple[Var, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[Operand, ...]

    def __str__(self) -> str:
        from .printer import print_graph

        return print_graph(self)

    @property
    def input_types(self) -> tuple[TensorType, ...]:
        return tuple(v.type for v in self.inputs)

    @property
    def output_types(self) -> tuple[TensorType, ...]:
        return tuple(v.type for v in self.outputs)
