"""AD layer: reverse mode, Graph -> Graph.

The adjoint Graph first replays the primal (same names, same lines), then walks it
backwards calling each primitive's VJP rule with Tracers, so the backward part is recorded
in the same IR, can be printed, optimised, emitted by any backend and differentiated again.

Cotangents are symbolic zeros until something flows into them (no zero array is built that
nothing reads); fan-out cotangents are summed; integer and boolean values carry none; each
cotangent is summed back to its value's shape and cast to its dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ir import Graph, Literal, Node, Var
from ..ir.passes import prepare_for_differentiation
from ..ir.passes.loops import loops_as_scans
from ..ir.primitive import Trait
from ..tracer.context import Trace
from ..tracer.functions import type_of
from .decompositions import decomposition_vjp
from .derivatives import cast, unbroadcast
from .interpreter import Interpreter, Rule, differentiable
from .vjp_rules import vjp_rules

__all__ = ["differentiable", "reverse"]


def fit(contribution: Any, var: Var) -> Any:
    """A cotangent contribution summed to `var`'s shape and cast to its dtype."""
    contribution = unbroadcast(contribution, var.type.shape)
    if type_of(contribution).dtype != var.type.dtype:
        contribution = cast(contribution, var.type.dtype)
    return contribution


def hint_of(x: Var | Literal, default: str) -> str:
    """The user's name for an operand; an output that is a constant (it does not depend on
    the inputs) is a Literal and has none."""
    return (x.hint if isinstance(x, Var) else None) or default


def ones_like_output(x: Var | Literal) -> Any:
    return np.ones(x.type.shape, x.type.dtype)[()]


def vjp_rule(node: Node) -> Rule | None:
    """The primitive's VJP rule, else the VJP of its decomposition."""
    return vjp_rules.get(node.op) or decomposition_vjp(node.op)


class Cotangents(dict):
    """Each Var's cotangent so far; fan-out contributions are summed."""

    def add(self, var: Var, contribution: Any) -> None:
        self[var] = contribution if var not in self else self[var] + contribution


def seed_values(
    trace: Trace, graph: Graph, seeded: Sequence[int], cotangent_inputs: bool
) -> list[Any]:
    """The seeded outputs' cotangents: new inputs (`d_out`), or ones."""
    return [
        trace.new_input(graph.outputs[i].type, f"d_{hint_of(graph.outputs[i], 'out')}")
        if cotangent_inputs
        else ones_like_output(graph.outputs[i])
        for i in seeded
    ]


def seed(trace: Trace, graph: Graph, seeded: Sequence[int], seeds: list[Any]) -> Cotangents:
    cotangents = Cotangents()
    for i, value in zip(seeded, seeds, strict=True):
        output = graph.outputs[i]
        if not differentiable(output):
            continue
        if output in cotangents:  # an output returned twice: no line of the user's adds
            with trace.at(None):
                cotangents.add(output, value)
        else:
            cotangents[output] = value
    return cotangents


def pull_back(interpreter: Interpreter, node: Node, cotangents: Cotangents) -> None:
    """Add the node's inputs' cotangent contributions, from its outputs' cotangents."""
    cts = [cotangents.pop(v, None) for v in node.outputs]
    if all(ct is None for ct in cts):
        return
    for var, ct in zip(node.outputs, cts, strict=True):
        if ct is not None:
            interpreter.name(ct, f"d_{var.hint or node.op.name}")
    if node.op.has(Trait.PIECEWISE_CONSTANT):  # no derivative flows through it
        return
    with interpreter.pinned(node):
        contributions = interpreter.apply(vjp_rule(node), node, cts, "reverse")
        for x, contribution in zip(node.inputs, contributions, strict=True):
            if contribution is not None and differentiable(x):
                cotangents.add(x, fit(contribution, x))


def gradient_of(interpreter: Interpreter, var: Var, cotangents: Cotangents) -> Any:
    """An input's cotangent, named after it (zeros where nothing flows into it)."""
    gradient = cotangents.get(var)
    if gradient is None:
        gradient = np.zeros(var.type.shape, var.type.dtype)
    interpreter.name(gradient, f"d_{var.hint or 'x'}")
    return gradient


# Rules given constants compute them with NumPy while tracing (a cotangent over an empty
# axis is 1 / 0): inf and nan are values there, as in constant folding, and a warning would
# point at the rule's line, not the user's. The emitted code warns where NumPy would.
@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def reverse(
    graph: Graph,
    wrt: Sequence[int],
    seeded: Sequence[int],
    cotangent_inputs: bool = False,
    name: str | None = None,
    prepare: bool = True,
) -> Graph:
    """The adjoint of `graph`.

    Inputs: the primal inputs, then (when `cotangent_inputs`) one cotangent per output in
    `seeded`; otherwise those outputs are seeded with ones. Outputs: the primal outputs,
    then the cotangent of each input in `wrt` (zeros where nothing flows into it).
    `prepare=False` skips the rewrites before differentiation (a composite's decomposition
    must not become the composite again).
    """
    from .scan_reverse import scans_with_residuals  # it differentiates scan bodies with reverse

    if prepare:
        graph = prepare_for_differentiation(graph)
    graph = scans_with_residuals(loops_as_scans(graph))
    trace = Trace(name or f"grad_{graph.name}")
    interpreter = Interpreter(trace)
    primal_inputs = [trace.new_input(v.type, v.hint) for v in graph.inputs]
    seeds = seed_values(trace, graph, seeded, cotangent_inputs)
    outputs = interpreter.replay_graph(graph, primal_inputs)
    cotangents = seed(trace, graph, seeded, seeds)
    for node in reversed(graph.nodes):
        pull_back(interpreter, node, cotangents)
    gradients = [gradient_of(interpreter, graph.inputs[i], cotangents) for i in wrt]
    trace.active = False
    # The raw adjoint: the runtime optimizes it (and can show it unoptimized).
    return trace.builder.build([trace.operand(x) for x in [*outputs, *gradients]])
