"""AD layer: the VJP and JVP rules of the control-flow primitives (ir/primitives/control.py).

Each rule differentiates the nested Graphs with the whole-graph transforms (`reverse`,
`forward`) and records one control-flow node of the same kind that runs the derivative, so a
loop stays a loop and a branch a branch in the derivative too:

- cond: the VJP (JVP) is a cond over the two branches' VJPs (JVPs); only the branch taken
  runs.
- scan: reverse mode stacks in the forward loop what a backward loop in the opposite
  direction reads (scan_reverse.py); forward mode carries tangents beside the values.
- fori_loop with bounds known while tracing is a scan over the indices (passes/loops.py);
  with traced bounds, and while_loop, the number of steps is unknown, so reverse mode says
  so and suggests scan. Forward mode goes through all of them: the JVP loop carries the
  tangent beside the value.
- custom_vjp: reverse mode inlines the user's fwd and bwd, each line marked with the rule's
  name; forward mode differentiates the function itself.

Control-flow rules follow every rule's list convention (interpreter.py): `rule(cts, *inputs,
outs=[...], **params)` gives one cotangent per input (VJP); `rule(tangents, *inputs,
outs=[...], **params)` gives `Rerun(values, tangents)` (JVP): the new node's outputs, which
replace the replayed node's, and their tangents.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ..errors import TraceError
from ..ir import Graph, TensorType, Var
from ..ir.primitives import control
from .forward import forward, forward_pass
from .interpreter import Rerun, differentiable
from .jvp_rules import jvp_rules
from .nested import hint, trace_of, zero_if_none
from .reverse import reverse as adjoint_of
from .scan_reverse import scan_vjp
from .vjp_rules import vjp_rules

# --- cond -------------------------------------------------------------------------------


def cond_vjp(cts, pred, *operands, outs, true, false):
    seeded = [k for k, ct in enumerate(cts) if ct is not None and differentiable(true.outputs[k])]
    wrt = [k for k, var in enumerate(true.inputs) if differentiable(var)]
    if not seeded or not wrt:
        return [None] * (1 + len(operands))
    branches = [branch_vjp(branch, wrt, seeded) for branch in (true, false)]
    trace = trace_of([*cts, pred, *operands])
    gradients = trace.bind_many(
        control.cond,
        [pred, *operands, *(cts[k] for k in seeded)],
        hints=[f"d_{true.inputs[k].hint or 'x'}" for k in wrt],
        true=branches[0],
        false=branches[1],
    )
    result: list[Any] = [None] * (1 + len(operands))
    for k, gradient in zip(wrt, gradients, strict=True):
        result[1 + k] = gradient
    return result


def branch_vjp(branch: Graph, wrt: list[int], seeded: list[int]) -> Graph:
    """The branch's VJP: inputs (operands, one cotangent per seeded output), outputs the
    cotangent of each operand in `wrt`."""
    adjoint = adjoint_of(branch, wrt, seeded, cotangent_inputs=True, name=f"d_{branch.name}")
    return dataclasses.replace(adjoint, outputs=adjoint.outputs[len(branch.outputs) :])


def cond_jvp(tangents, pred, *operands, outs, true, false):
    wrt = [
        k for k, t in enumerate(tangents[1:]) if t is not None and differentiable(true.inputs[k])
    ]
    branches = [forward(branch, wrt, name=f"{branch.name}_jvp") for branch in (true, false)]
    trace = trace_of([pred, *operands, *tangents])
    n = len(true.outputs)
    values = trace.bind_many(
        control.cond,
        [pred, *operands, *(tangents[1 + k] for k in wrt)],
        hints=[v.hint for v in branches[0].outputs[:n]]
        + [f"{getattr(v, 'hint', None) or 'out'}_dot" for v in true.outputs],
        true=branches[0],
        false=branches[1],
    )
    return Rerun(
        values[:n],
        [t if differentiable(v) else None for t, v in zip(values[n:], true.outputs, strict=True)],
    )


# --- loops: forward mode (scan's reverse mode: scan_reverse.py) --------------------------

# A section of a loop body's inputs or outputs (its consts, its carries, its xs, its ys):
# where it starts and stops, and which of its members carry a tangent.
Section = tuple[int, int, list[int]]


def loop_jvp(body: Graph, inputs: Sequence[Section], outputs: Sequence[Section]) -> Graph:
    """The JVP of a loop body, as a body of the same loop: each section of inputs (and of
    outputs) followed by the tangents of its members that carry one, so consts stay consts,
    carries carries and xs xs."""
    wrt = [start + j for start, _, chosen in inputs for j in chosen]
    jvp = forward(body, wrt, name=f"{body.name}_jvp")
    m, n_out = len(body.inputs), len(body.outputs)
    tangent_in = dict(zip(wrt, jvp.inputs[m:], strict=True))
    new_inputs = [
        v
        for start, stop, chosen in inputs
        for v in (*jvp.inputs[start:stop], *(tangent_in[start + j] for j in chosen))
    ]
    new_outputs = [
        v
        for start, stop, chosen in outputs
        for v in (*jvp.outputs[start:stop], *(jvp.outputs[n_out + start + j] for j in chosen))
    ]
    return Graph(jvp.name, tuple(new_inputs), jvp.nodes, tuple(new_outputs))


def loop_operands(
    operands: Sequence[Any],
    tangents: Sequence[Any],
    types: Sequence[TensorType],
    sections: Sequence[Section],
) -> list[Any]:
    """The loop's operands in `loop_jvp`'s order; a carry's missing tangent is a zero (the
    body may make it nonzero)."""
    return [
        x
        for start, stop, chosen in sections
        for x in (
            *operands[start:stop],
            *(zero_if_none(tangents[start + j], types[start + j]) for j in chosen),
        )
    ]


def split_values(values: Sequence[Any], outputs: Sequence[Section]) -> tuple[list, list]:
    """The new loop's results in `loop_jvp`'s order, as (values, one tangent or None each)."""
    results, tangents, position = [], [], 0
    for start, stop, chosen in outputs:
        results += values[position : position + stop - start]
        position += stop - start
        given = dict(zip(chosen, values[position : position + len(chosen)], strict=True))
        position += len(chosen)
        tangents += [given.get(j) for j in range(stop - start)]
    return results, tangents


def tangent_hints(out: Sequence[Any], outputs: Sequence[Section]) -> list[str | None]:
    return [
        h
        for start, stop, chosen in outputs
        for h in (
            *(hint(v) for v in out[start:stop]),
            *(f"{hint(out[start + j]) or 'carry'}_dot" for j in chosen),
        )
    ]


def carrying(
    tangents: Sequence[Any], variables: Sequence[Var], start: int, stop: int, every: bool = False
) -> Section:
    """The section [start, stop) with its float members that have a tangent (`every`: all
    its float members, as a carry, whose tangent the body may make nonzero)."""
    return (
        start,
        stop,
        [
            j
            for j in range(stop - start)
            if differentiable(variables[start + j]) and (every or tangents[start + j] is not None)
        ],
    )


def scan_jvp(tangents, *operands, outs, body, length, reverse, num_consts, num_carry):
    k, n, m = num_consts, num_carry, len(body.inputs)
    inputs = [
        carrying(tangents, body.inputs, 0, k),
        carrying(tangents, body.inputs, k, k + n, every=True),
        carrying(tangents, body.inputs, k + n, m),
    ]
    outputs = [
        (0, n, inputs[1][2]),
        carrying([0] * len(body.outputs), body.outputs, n, len(body.outputs)),
    ]
    trace = trace_of([*operands, *tangents])
    values = trace.bind_many(
        control.scan,
        loop_operands(operands, tangents, body.input_types, inputs),
        hints=tangent_hints(outs, outputs),
        body=loop_jvp(body, inputs, outputs),
        length=length,
        reverse=reverse,
        num_consts=k + len(inputs[0][2]),
        num_carry=n + len(inputs[1][2]),
    )
    return Rerun(*split_values(values, outputs))


# --- fori_loop and while_loop ------------------------------------------------------------


def no_reverse(what: str):
    def rule(cts, *operands, outs, **params):
        raise TraceError(
            f"reverse mode cannot differentiate {what}: the number of iterations is not known "
            "while tracing, so the values each iteration needs cannot be kept for the "
            "backward pass",
            hint="use tracegrad.scan (or tracegrad.fori_loop with Python int bounds) for a "
            "loop you differentiate with grad; forward mode (tracegrad.jvp, jacfwd) handles "
            "this loop as it is",
        )

    return rule


def fori_loop_vjp(cts, lower, upper, *operands, outs, body, num_consts):
    # Static fori_loops became scans before reverse mode (passes/loops.py).
    return no_reverse("a fori_loop with traced bounds")(cts, outs=outs)


def fori_loop_jvp(tangents, lower, upper, *operands, outs, body, num_consts):
    k, m = num_consts, len(body.inputs)  # body input 0 is the index; k + 1 is operand k + 2
    shifted = [None, *tangents[2:]]
    inputs = [
        (0, 1, []),
        carrying(shifted, body.inputs, 1, 1 + k),
        carrying(shifted, body.inputs, 1 + k, m, every=True),
    ]
    outputs = [(0, m - 1 - k, inputs[2][2])]
    trace = trace_of([lower, upper, *operands, *tangents])
    values = trace.bind_many(
        control.fori_loop,
        [lower, upper, *loop_operands([None, *operands], shifted, body.input_types, inputs)[1:]],
        hints=tangent_hints(outs, outputs),
        body=loop_jvp(body, inputs, outputs),
        num_consts=k + len(inputs[1][2]),
    )
    return Rerun(*split_values(values, outputs))


def while_loop_jvp(tangents, *operands, outs, cond, body, num_cond_consts, num_body_consts):
    kc, kb, m = num_cond_consts, num_body_consts, len(body.inputs)
    body_tangents = tangents[kc:]  # the body's input j is operand kc + j
    inputs = [
        carrying(body_tangents, body.inputs, 0, kb),
        carrying(body_tangents, body.inputs, kb, m, every=True),
    ]
    outputs = [(0, m - kb, inputs[1][2])]
    # The condition reads the values only; it takes the tangents too, unused.
    unused = [Var(body.inputs[kb + j].type, "unused") for j in inputs[1][2]]
    cond_graph = Graph(cond.name, (*cond.inputs, *unused), cond.nodes, cond.outputs)
    trace = trace_of([*operands, *tangents])
    values = trace.bind_many(
        control.while_loop,
        [*operands[:kc], *loop_operands(operands[kc:], body_tangents, body.input_types, inputs)],
        hints=tangent_hints(outs, outputs),
        cond=cond_graph,
        body=loop_jvp(body, inputs, outputs),
        num_cond_consts=kc,
        num_body_consts=kb + len(inputs[0][2]),
    )
    return Rerun(*split_values(values, outputs))


# --- custom_vjp -------------------------------------------------------------------------


def custom_vjp_vjp(cts, *operands, outs, primal, fwd, bwd, rule):
    trace = trace_of([*cts, *operands])
    n = len(primal.outputs)
    residuals = trace.replay(marked(fwd, fwd.name), list(operands))[n:]
    cotangents = [zero_if_none(ct, v.type) for ct, v in zip(cts, primal.outputs, strict=True)]
    return trace.replay(marked(bwd, rule), [*residuals, *cotangents])


def marked(graph: Graph, rule: str) -> Graph:
    """`graph` with each line located at the user's rule, marked with its name."""
    nodes = tuple(
        dataclasses.replace(node, loc=dataclasses.replace(node.loc, rule=rule))
        if node.loc is not None
        else node
        for node in graph.nodes
    )
    return dataclasses.replace(graph, nodes=nodes)


def custom_vjp_jvp(tangents, *operands, outs, primal, fwd, bwd, rule):
    trace = trace_of([*operands, *tangents])
    direction = {j: t for j, t in enumerate(tangents) if t is not None}
    outputs, (output_tangents,) = forward_pass(trace, primal, list(operands), [direction])
    return Rerun(outputs, output_tangents)


vjp_rules[control.cond] = cond_vjp
vjp_rules[control.scan] = scan_vjp
vjp_rules[control.fori_loop] = fori_loop_vjp
vjp_rules[control.while_loop] = no_reverse("a while_loop")
vjp_rules[control.custom_vjp] = custom_vjp_vjp
jvp_rules[control.cond] = cond_jvp
jvp_rules[control.scan] = scan_jvp
jvp_rules[control.fori_loop] = fori_loop_jvp
jvp_rules[control.while_loop] = while_loop_jvp
jvp_rules[control.custom_vjp] = custom_vjp_jvp
