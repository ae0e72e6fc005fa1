"""Codegen layer: what a backend is: a table of emission rules keyed by Primitive, how it
writes literals, and the hooks the Emitter asks (memory plan, copies, conversions).

A rule receives the node and its operands as expressions (expressions.py) and returns the
node's expression, or, for a node that takes statements (a scatter fills a buffer in place),
the lines themselves, with `{out}` standing for the output's name. A node holding nested
Graphs (a loop, a branch) has a BlockRule instead, which writes whole statements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..ir import Graph, Literal, Node, Var
from ..ir.passes.memory import MemoryPlan
from ..ir.primitive import Primitive
from .expressions import Expr

if TYPE_CHECKING:  # the Emitter imports this module: a BlockRule only names its type
    from .emitter import Emitter

# One emission rule: the node's expression (a `str` is a call) or its statements; a rule
# writes statements for every node or for none (the inlining analysis asks it once).
EmitRule = Callable[[Node, list[Expr]], "Expr | str | list[str]"]


@dataclass(frozen=True, slots=True)
class BlockRule:
    """The rule of a node that holds nested Graphs (a loop, a branch): it receives the
    Emitter and its operands' text, writes whole statements (its Graphs' nodes among them,
    see Emitter.nested) and names the node's outputs itself. `loops`: the block reads its
    operands again on every pass, so no name it reads may be written before it ends."""

    emit: Callable[[Emitter, Node, list[str]], list[str]]
    loops: bool = True
    # What to call each operand, where the block has a name for it (a loop's initial
    # carry): a temporary made only for the block is then named so.
    operand_names: Callable[[Node], Sequence[str | None]] | None = None


@dataclass(frozen=True, slots=True)
class Backend:
    name: str
    imports: tuple[str, ...]
    rules: dict[Primitive, EmitRule | BlockRule]
    literal: Callable[[Literal], str]  # a literal as an expression
    # The values the emitted code holds as read-only views (returned, they are copied).
    read_only_views: Callable[[Graph], set[Var]] = lambda graph: set()
    # NumPy arrays can be written to, so a result that is an argument or a module constant
    # is returned as a copy; immutable arrays (JAX's) are returned as they are.
    mutable_arrays: bool = True
    # Header lines a reader needs before running the module (how to call it).
    notes: Callable[[Graph], list[str]] = lambda graph: []
    # Mutable backends: which buffers a node may write into, and which names to delete.
    plan_memory: Callable[[Graph], MemoryPlan] | None = None
    # The node's value written into the buffer named by the last argument (`out=`).
    write_into: Callable[[Node, list[Expr], str], str] | None = None
    # How an argument becomes the value the body computes with (`float(x)`), if it must.
    convert_input: Callable[[Var, str], str | None] = lambda var, expression: None
    # Which values read once may be written into their reader (`(x @ W) + b`), one level
    # deep, instead of a line of their own; None: every value gets its line.
    inline_single_use: Callable[[Var], bool] | None = None
    # How a result is handed back (`np.float64(d_x)`), if not as it is.
    wrap_result: Callable[[Var | Literal, str], str] = lambda output, expression: expression
    # Backends returning NumPy values: each output's kind as emitted (NumPy scalar or 0-d
    # array, see ir/result_kinds.py), so a result of another kind is handed back as NumPy's.
    result_kinds: Callable[[Graph], tuple[str, ...]] | None = None
    # The imports a graph needs beyond `imports` (scipy.special where it calls one).
    extra_imports: Callable[[Graph], tuple[str, ...]] = lambda graph: ()


def with_location(node: Node, lines: list[str]) -> list[str]:
    """Each line marked with the user's line that produced the node."""
    if node.loc is None:
        return lines
    return [f"{line}  # {node.loc.short}" for line in lines]
