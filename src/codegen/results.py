"""Codegen layer: the function's return expression: its results in the interface's tree
(tuples, lists, dicts), each copied where the caller could otherwise write into memory it
shares with an argument, a module constant or another result, and handed back as the kind
(NumPy scalar or 0-d array) NumPy would give.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ..ir import Literal, Var
from ..ir.passes.memory import value_buffers
from ..ir.result_kinds import SCALAR

if TYPE_CHECKING:
    from .emitter import Emitter


class ResultWriter:
    """Writes one function's results, in the order they are returned."""

    def __init__(self, emitter: Emitter):
        self.emitter = emitter
        self.graph = emitter.graph
        self.backend = emitter.backend
        self.returned_buffers: set = set()  # the buffers of the results written so far

    def write(self, tree: Any, top: bool = False) -> str:
        if isinstance(tree, int):
            return self.output(tree)
        if tree is None:
            return "None"
        if isinstance(tree, dict):
            items = ", ".join(f"{k!r}: {self.write(v)}" for k, v in tree.items())
            return f"{{{items}}}"
        items = [self.write(v) for v in tree]
        if isinstance(tree, list):
            return f"[{', '.join(items)}]"
        if len(items) == 1:
            return f"({items[0]},)"
        return ", ".join(items) if top and items else f"({', '.join(items)})"

    def output(self, position: int) -> str:
        output = self.graph.outputs[position]
        expression = self.backend.wrap_result(output, str(self.emitter.operand(output)))
        if self.backend.mutable_arrays and self.needs_copy(output, expression):
            expression += ".copy()"
        return self.as_kind(position, expression)

    def needs_copy(self, output: Var | Literal, expression: str) -> bool:
        if isinstance(output, Literal):  # never hand the caller our module-level constant
            return expression in self.emitter.hoisted.values()
        if output in self.read_only_views:
            return True  # a result the caller cannot write to would surprise
        if output in self.graph.inputs and not output.type.weak:
            return True  # a result must not alias the caller's argument
        return self.shares_memory(output)

    def as_kind(self, position: int, expression: str) -> str:
        """The result as a NumPy scalar or a 0-d array, where NumPy's is the other kind than
        the emitted expression gives (`np.sum(a)` of a 0-d `a` is `a` once optimized)."""
        wanted = self.emitter.interface.result_kinds
        if not wanted or self.backend.result_kinds is None or not wanted[position]:
            return expression
        if self.emitted_kinds[position] == wanted[position]:
            return expression
        if wanted[position] == SCALAR:  # `[()]` reads a 0-d array's (or a scalar's) scalar
            if expression.endswith(".copy()"):
                expression = expression.removesuffix(".copy()")  # a scalar needs no copy
            return f"{expression}[()]"
        if expression.endswith(".copy()"):  # np.array copies already: one call, not two
            return f"np.array({expression.removesuffix('.copy()')})"
        return f"np.asarray({expression})"

    def shares_memory(self, output: Var) -> bool:
        """True for a result array that may share memory with an argument, a module constant
        or a result already handed back: one computed twice by the user (`x * 2, x * 2`)
        and merged by the optimizer, or a view of an argument (`d_x = y.T`). Writing into
        it would change the other; NumPy's results never share memory that way, so this
        one is copied. Called in the order the results are written."""
        if output.type.ndim == 0:
            return False  # a 0-d result is a NumPy scalar (or copied as an argument above)
        buffers = self.result_buffers.get(output, frozenset())
        hoisted = self.emitter.hoisted
        shared = any(
            isinstance(b, int)
            or b in self.returned_buffers
            or (isinstance(b, Literal) and id(b) in hoisted)
            for b in buffers
        )
        self.returned_buffers |= buffers
        return shared

    @functools.cached_property
    def emitted_kinds(self) -> tuple[str, ...]:
        assert self.backend.result_kinds is not None
        return self.backend.result_kinds(self.graph)

    @functools.cached_property
    def result_buffers(self) -> dict[Var, frozenset]:
        return value_buffers(self.graph)

    @functools.cached_property
    def read_only_views(self) -> set[Var]:
        return self.backend.read_only_views(self.graph)
