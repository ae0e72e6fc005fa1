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
    from os import PathLike
    from pathlib import Path

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
        weak = WEAK_SCALAR_TYPES.get(type(value))
        if weak is not None:  # the common case, kept cheap: a number in the user's code
            return Literal(value, weak)
        if isinstance(value, bool | int | float | complex) and not isinstance(value, np.generic):
            dtype = np.result_type(type(value))
            return Literal(value, TensorType((), dtype, weak=True))
        array = np.array(value)
        if array.ndim == 0:
            return Literal(array[()], TensorType((), array.dtype))
        array.setflags(write=False)
        return Literal(array, TensorType(array.shape, array.dtype))


# The (weak) type of each Python scalar type, made once.
WEAK_SCALAR_TYPES: dict[type, TensorType] = {
    kind: TensorType((), np.result_type(kind), weak=True) for kind in (bool, int, float, complex)
}

Operand = Var | Literal

# The params of every node that has none: one shared, read-only mapping, not one per node.
NO_PARAMS: MappingProxyType[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One primitive application: `outputs = op(*inputs, **params)`, at the user's `loc`."""

    op: Primitive
    inputs: tuple[Operand, ...]
    outputs: tuple[Var, ...]
    params: MappingProxyType[str, Any] = field(default_factory=lambda: NO_PARAMS)
    loc: SourceLoc | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.params, MappingProxyType):
            params = MappingProxyType(dict(self.params)) if self.params else NO_PARAMS
            object.__setattr__(self, "params", params)

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

    def to_dot(self, primal: Graph | None = None) -> str:
        """The Graph as Graphviz DOT text, the backward pass of an adjoint coloured apart;
        `primal` (the traced primal Graph) makes that split exact (see ir/dot.py)."""
        from .dot import graph_to_dot

        return graph_to_dot(self, primal)

    def render(self, path: str | PathLike[str], primal: Graph | None = None) -> Path:
        """Draw the Graph into `path`: SVG, PNG or PDF by its suffix. Needs the Python package
        graphviz and Graphviz's `dot` program; raises TracegradError saying how to install
        whichever is missing."""
        from .dot import render

        return render(self.to_dot(primal), path)

    def _repr_html_(self) -> str:
        """Notebooks show the IR text as preformatted HTML."""
        import html

        return f"<pre>{html.escape(str(self))}</pre>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython shows the IR text, as `print` does."""
        printer.text(str(self))

    @property
    def input_types(self) -> tuple[TensorType, ...]:
        return tuple(v.type for v in self.inputs)

    @property
    def output_types(self) -> tuple[TensorType, ...]:
        return tuple(v.type for v in self.outputs)
