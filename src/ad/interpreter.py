"""AD layer: the loop every Graph -> Graph transform runs, and the tables of its rules.

A transform (reverse mode, forward mode; vmap next) records a new Graph into a Trace by
replaying the primal's nodes and calling, for each, its primitive's rule with Tracers. What
they all need is here, once: the environment (each Var of the primal -> its traced value),
reading an operand (a Var or a Literal), replaying a primal node, naming derived values
after the user's variables (`d_h`, `h_dot`) but never renaming a primal value, pinning a
rule's nodes to the primal node's line without its assignment target, and locating a rule's
error at the user's line.

The calling convention of every rule, in every mode, is lists in and lists out:

    VJP: rule(cts: list, *primals, outs: list, **params) -> list, one cotangent per input
    JVP: rule(tangents: list, *primals, outs: list, **params) -> list, one per output

None stands for a symbolic zero on both sides. A rule registered with an `out` parameter in
place of `outs` is a single-output rule (`lambda ct, x, out: [ct * out]` for a VJP,
`lambda tangents, x, out: tangents[0] * out` for a JVP); its table adapts it on entry.
A JVP rule that must run the values beside the tangents in one new node (a loop carrying
its tangents) returns `Rerun(values, tangents)`: later nodes read the new values.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import SourceLoc, TraceError, TracegradError
from ..ir import Graph, Literal, Node, Primitive, TensorType, Var
from ..ir.primitive import primitives
from ..tracer.context import Trace

Rule = Callable[..., Any]

# Params a pass before a transform adds for the transform's rule (the scan's reverse-mode
# plan): the rule reads them, the replayed primal node does not carry them.
RULE_PARAMS = frozenset({"plan"})


@dataclasses.dataclass(frozen=True, slots=True)
class Rerun:
    """A JVP rule's result when it recorded the values again beside the tangents."""

    values: list[Any]
    tangents: list[Any]


class RuleTable(dict):
    """Rules keyed by Primitive. An entry for anything but a declared primitive (a typo, a
    stale object) is refused when it is made, at import; a single-output rule is adapted
    to the list convention (`single` says how for the table's mode; None: kept as written)."""

    def __init__(self, mode: str, single: Callable[[Rule], Rule] | None = None):
        super().__init__()
        self.mode = mode
        self.single = single

    def __setitem__(self, op: Primitive, rule: Rule) -> None:
        if not isinstance(op, Primitive) or primitives.get(op.name) is not op:
            raise TypeError(f"{self.mode} rules: {op!r} is not a declared primitive")
        # (not following __wrapped__: a rule adapted already has `outs`)
        if (
            self.single is not None
            and "out" in inspect.signature(rule, follow_wrapped=False).parameters
        ):
            rule = self.single(rule)
        super().__setitem__(op, rule)


def single_output_vjp(rule: Rule) -> Rule:
    """`rule(ct, *primals, out, **params) -> list` as a list-convention VJP rule."""

    @functools.wraps(rule)
    def vjp(cts, *primals, outs, **params):
        return rule(cts[0], *primals, out=outs[0], **params)

    return vjp


def single_output_jvp(rule: Rule) -> Rule:
    """`rule(tangents, *primals, out, **params) -> tangent` as a list-convention JVP rule."""

    @functools.wraps(rule)
    def jvp(tangents, *primals, outs, **params):
        return [rule(tangents, *primals, out=outs[0], **params)]

    return jvp


def differentiable_type(type_: TensorType) -> bool:
    """Only floating-point (and complex) values carry derivatives."""
    return type_.dtype.kind in "fc"


def differentiable(x: Var | Literal) -> bool:
    return isinstance(x, Var) and differentiable_type(x.type)


class Interpreter:
    """The state of one Graph -> Graph transform recording into `trace`."""

    def __init__(self, trace: Trace):
        self.trace = trace
        self.env: dict[Var, Any] = {}
        # The primal's values keep their own names. Held, not only their ids: a value that
        # died would free its id for a later derivative, which would then go unnamed (and
        # the emitted names would depend on the garbage collector).
        self.primal: dict[int, Any] = {}
        self.copies: dict[int, tuple[SourceLoc, SourceLoc]] = {}

    def read(self, x: Var | Literal) -> Any:
        return self.env[x] if isinstance(x, Var) else x.value

    def bind(self, variables: Sequence[Var], values: Sequence[Any]) -> None:
        """Give primal Vars their traced values."""
        for var, value in zip(variables, values, strict=True):
            self.env[var] = value
            self.primal[id(value)] = value

    def replay(self, node: Node, loc: SourceLoc | None) -> None:
        """Record the primal `node` again at `loc`, under its own names."""
        trace = self.trace
        operands = [trace.operand(self.read(x)) for x in node.inputs]
        params = node.params
        if not RULE_PARAMS.isdisjoint(params):
            params = {k: v for k, v in params.items() if k not in RULE_PARAMS}
        outputs = trace.builder.bind(
            node.op, operands, dict(params), loc, hints=[v.hint for v in node.outputs]
        )
        self.bind(node.outputs, [trace.wrap(v) for v in outputs])

    def replay_graph(self, graph: Graph, inputs: Sequence[Any]) -> list[Any]:
        """Replay every node of `graph` on `inputs` at its own line; returns its outputs."""
        self.bind(graph.inputs, inputs)
        for node in graph.nodes:
            self.replay(node, node.loc)
        return [self.read(x) for x in graph.outputs]

    def name(self, value: Any, hint: str) -> None:
        """Name a derived value (`d_h`), unless it is a value of the primal."""
        if id(value) not in self.primal:
            self.trace.name_value(value, hint)

    def untargeted(self, loc: SourceLoc | None) -> SourceLoc | None:
        """`loc` without its assignment target: a rule's nodes are at their primal node's
        line but name nothing after it. One copy per line (several nodes share a line's)."""
        if loc is None or loc.target is None:
            return loc
        held = self.copies.get(id(loc))
        if held is None:  # the original is held too, so its id is never reused here
            held = self.copies[id(loc)] = (loc, dataclasses.replace(loc, target=None))
        return held[1]

    def pinned(self, node: Node) -> contextlib.AbstractContextManager:
        """Record at the node's line, without its target: around a rule and what the
        transform does with its results."""
        return self.trace.at(self.untargeted(node.loc))

    def apply(self, rule: Rule | None, node: Node, seeds: list[Any], mode: str) -> Any:
        """`rule(seeds, *operands, outs=..., **params)`, inside `pinned(node)`; an error
        is located at the node's line."""
        if rule is None:
            raise TraceError(
                f"{mode} mode has no rule for the primitive {node.op.name}",
                loc=node.loc,
                hint="please report it",
            )
        operands = [self.read(x) for x in node.inputs]
        outs = [self.read(v) for v in node.outputs]
        try:
            return rule(seeds, *operands, outs=outs, **node.params)
        except TracegradError as error:
            raise error.located(node.loc) from None
