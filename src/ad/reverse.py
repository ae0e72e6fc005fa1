"""AD layer: reverse mode, Graph -> Graph.

The adjoint Graph first replays the primal (same names, same lines), then walks it
backwards calling each primitive's VJP rule with Tracers, so the backward part is recorded
in the same IR, can be printed, optimised, emitted by any backend and differentiated again.

Cotangents are symbolic zeros until something flows into them (no zero array is built that
nothing reads); fan-out cotangents are summed; integer and boolean values carry none; each
cotangent is summed back to its value's shape and cast to its dtype.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import SourceLoc, TraceError, TracegradError
from ..ir import Graph, Literal, Var
from ..ir.passes import prepare_for_differentiation
from ..ir.passes.loops import loops_as_scans
from ..ir.primitive import Group
from ..tracer.context import Trace
from ..tracer.functions import type_of
from .vjp_rules import cast, unbroadcast, vjp_rules


def differentiable(x: Var | Literal) -> bool:
    return isinstance(x, Var) and x.type.dtype.kind in "fc"


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
) -> Graph:
    """The adjoint of `graph`.

    Inputs: the primal inputs, then (when `cotangent_inputs`) one cotangent per output in
    `seeded`; otherwise those outputs are seeded with ones. Outputs: the primal outputs,
    then the cotangent of each input in `wrt` (zeros where nothing flows into it).
    """
    from .scan_reverse import scans_with_residuals  # it differentiates scan bodies with reverse

    graph, plans = scans_with_residuals(loops_as_scans(prepare_for_differentiation(graph)))
    trace = Trace(name or f"grad_{graph.name}")
    primal_inputs = [trace.new_input(v.type, v.hint) for v in graph.inputs]
    seeds = [
        trace.new_input(graph.outputs[i].type, f"d_{hint_of(graph.outputs[i], 'out')}")
        if cotangent_inputs else ones_like_output(graph.outputs[i])
        for i in seeded
    ]
    env: dict[Var, Any] = {}
    outputs = trace.replay(graph, primal_inputs, env)
    # Values of the forward pass keep their own names, even when a cotangent equals one.
    forward = {id(value) for value in env.values()}

    def name(value: Any, hint: str) -> None:
        if id(value) not in forward:
            trace.name_value(value, hint)

    def read(x: Var | Literal) -> Any:
        return env[x] if isinstance(x, Var) else x.value

    # The adjoint's nodes are at their primal node's line, but name nothing after it: one
    # copy of each line's location without its target (several nodes share a line's).
    copies: dict[int, SourceLoc] = {}

    def untargeted(loc: SourceLoc | None) -> SourceLoc | None:
        if loc is None or loc.target is None:
            return loc
        copy = copies.get(id(loc))
        if copy is None:
            copy = copies[id(loc)] = dataclasses.replace(loc, target=None)
        return copy

    cotangents: dict[Var, Any] = {}
    for i, seed in zip(seeded, seeds, strict=True):
        output = graph.outputs[i]
        if differentiable(output) and output not in cotangents:
            cotangents[output] = seed
        elif differentiable(output):  # an output returned twice: no line of the user's adds
            with trace.at(None):
                cotangents[output] = cotangents[output] + seed

    for node in reversed(graph.nodes):
        # A control-flow node has several outputs: its rule takes all their cotangents.
        several = node.op.group is Group.CONTROL
        cts = [cotangents.pop(v, None) for v in node.outputs]
        if all(ct is None for ct in cts):
            continue
        for var, ct in zip(node.outputs, cts, strict=True):
            if ct is not None:
                name(ct, f"d_{var.hint or node.op.name}")
        rule = vjp_rules.get(node.op)
        if rule is None:
            raise TraceError(f"reverse mode has no rule for the primitive {node.op.name}",
                             loc=node.loc, hint="please report it")
        with trace.at(untargeted(node.loc)):
            operands = [read(x) for x in node.inputs]
            if several:
                try:
                    plan = {"plan": plans[node]} if node in plans else {}
                    contributions = rule(cts, *operands, outs=[read(v) for v in node.outputs],
                                         **node.params, **plan)
                except TracegradError as error:
                    raise error.located(node.loc) from None
            else:
                contributions = rule(cts[0], *operands, out=read(node.out), **node.params)
            for x, contribution in zip(node.inputs, contributions, strict=True):
                if contribution is None or not differentiable(x):
                    continue
                contribution = fit(contribution, x)
                cotangents[x] = (
                    contribution if x not in cotangents else cotangents[x] + contribution
                )

    gradients = []
    for i in wrt:
        var = graph.inputs[i]
        gradient = cotangents.get(var)
        if gradient is None:
            gradient = np.zeros(var.type.shape, var.type.dtype)
        name(gradient, f"d_{var.hint or 'x'}")
        gradients.append(gradient)
    trace.active = False
    # The raw adjoint: the runtime optimizes it (and can show it unoptimized).
    return trace.builder.build([trace.operand(x) for x in [*outputs, *gradients]])
