"""AD layer: reverse mode through `scan`, backpropagation through time as one writes it.

Before reverse mode, `scans_with_residuals` splits each scan body's VJP into what runs
forward (no cotangent read) and what runs backward, and the forward loop also stacks the
residuals the backward part reads (the carry a step began with, `1 - tanh**2` of its new
one). `scan_vjp` is then a scan in the opposite direction over those stacks: it carries the
cotangent of the carry and the running sums of the loop-invariant values' cotangents, and
stacks the xs' cotangents. No step is computed twice; views and short elementwise chains on
values stacked anyway are recomputed rather than stacked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ir import Graph, Node, TensorType, Var
from ..ir.passes import optimize
from ..ir.primitive import Group, Primitive, Trait
from ..ir.primitives import control
from ..tracer.context import Trace
from ..tracer.functions import type_of
from .interpreter import differentiable
from .nested import trace_of, zero_if_none
from .reverse import reverse as adjoint_of

# Operations a backward step recomputes rather than reads from a stack: views
# (`cheap_to_recompute`), and short chains of arithmetic on values it has anyway.
ARITHMETIC = (Group.UNARY, Group.BINARY)


def cheap_to_recompute(op: Primitive) -> bool:
    """A view costs nothing to make again: a view always (transpose, an index), or a shape
    change that may be one (reshape; not einsum, a contraction that may view)."""
    return op.has(Trait.VIEW) or (op.has(Trait.MAY_VIEW) and op.group is Group.SHAPE)


@dataclass(frozen=True)
class ScanPlan:
    """How reverse mode runs one scan: the forward loop's body, which also stacks the
    `residuals` the backward step reads, and the backward step itself."""

    forward: Graph  # (consts, carry, x) -> (carry, ys, *residuals)
    backward: Graph  # (consts, d_carry, d_consts so far, *residuals, x, d_ys) -> (d_carry,
    #                   d_consts so far, d_x)
    sources: tuple[tuple[str, int], ...]  # per residual: ("y", output) or ("new", stack)
    new_stacks: int
    diff_consts: list[int]
    diff_carry: list[int]
    diff_xs: list[int]
    seeded_ys: list[int]


@dataclass(frozen=True)
class Split:
    """A scan body's adjoint split in two: the nodes that read no cotangent run forward,
    the others backward, reading the `residuals` forward values from stacks."""

    adjoint: Graph
    forward_nodes: list[Node]
    backward_nodes: list[Node]
    residuals: list[Var]
    ys: set[Var]  # the user's ys, stacked anyway


def plan_scan(body: Graph, k: int, n: int) -> ScanPlan | None:
    """The forward and backward bodies of a scan's VJP, None where nothing differentiable
    flows through it.

    The body's adjoint is split: the nodes that do not read a cotangent are the forward
    part. Each forward value the backward part reads (a carry the step started from, the
    step's tanh) is a residual, stacked by the forward loop and read back by the backward
    one, as a hand-written BPTT keeps its states; no step is computed twice. Were a residual
    a Python scalar (no array to stack), the backward step recomputes its step instead,
    from the stacked carries.
    """
    inputs, outputs = body.inputs, body.outputs
    positions = differentiable_positions(body, k, n)
    diff_consts, diff_carry, diff_xs, seeded_ys = positions
    wrt = [*diff_consts, *(k + j for j in diff_carry), *(k + n + j for j in diff_xs)]
    seeded = [*diff_carry, *(n + j for j in seeded_ys)]
    if not wrt or not seeded:
        return None
    adjoint = optimize(adjoint_of(body, wrt, seeded, cotangent_inputs=True, name=f"d_{body.name}"))
    split = split_adjoint(adjoint, k, n, len(inputs), len(outputs))
    forward, sources, residuals, backward_nodes = stacked_residuals(split, body, k, n)
    steps = backward_steps(adjoint, body, k, n, residuals, backward_nodes)
    carries = set(adjoint.inputs[k : k + n])
    backward = backward_body(
        steps, body, k, n, len(residuals), diff_consts, diff_carry, seeded_ys, carries
    )
    new_stacks = len(forward.outputs) - len(outputs)
    return ScanPlan(forward, backward, sources, new_stacks, *positions)


def differentiable_positions(
    body: Graph, k: int, n: int
) -> tuple[list[int], list[int], list[int], list[int]]:
    """The positions of the differentiable constants, carries and xs of a scan's body, and
    of the ys it returns that receive a cotangent."""
    inputs, outputs = body.inputs, body.outputs
    diff_consts = [j for j in range(k) if differentiable(inputs[j])]
    diff_carry = [j for j in range(n) if differentiable(inputs[k + j])]
    diff_xs = [j for j in range(len(inputs) - k - n) if differentiable(inputs[k + n + j])]
    seeded_ys = [j for j in range(len(outputs) - n) if differentiable(outputs[n + j])]
    return diff_consts, diff_carry, diff_xs, seeded_ys


def backward_steps(
    adjoint: Graph, body: Graph, k: int, n: int, residuals: list[Var], nodes: list[Node]
) -> Graph:
    """The backward part of the adjoint as one step: it reads the constants, the residuals
    (in place of the carries), the xs and the cotangents, and returns the gradients."""
    m = len(body.inputs)
    primal_inputs, ct_inputs = adjoint.inputs[:m], adjoint.inputs[m:]
    return Graph(
        adjoint.name,
        (*primal_inputs[:k], *residuals, *primal_inputs[k + n :], *ct_inputs),
        tuple(nodes),
        tuple(adjoint.outputs[len(body.outputs) :]),
    )


def by_flow(adjoint: Graph, ct_inputs: Sequence[Var]) -> tuple[list[Node], list[Node]]:
    """The adjoint's nodes that no cotangent reaches (the forward part), and those it does."""
    flowing: set[Var] = set(ct_inputs)
    forward_nodes, backward_nodes = [], []
    for node in adjoint.nodes:
        if any(x in flowing for x in node.inputs if isinstance(x, Var)):
            backward_nodes.append(node)
            flowing.update(node.outputs)
        else:
            forward_nodes.append(node)
    return forward_nodes, backward_nodes


def split_adjoint(adjoint: Graph, k: int, n: int, m: int, n_out: int) -> Split:
    """The adjoint's nodes into forward and backward ones, and the residuals between them
    (short chains the backward part can recompute from what it has are recomputed)."""
    primal_inputs, ct_inputs = adjoint.inputs[:m], adjoint.inputs[m:]
    gradients = adjoint.outputs[n_out:]
    forward_nodes, backward_nodes = by_flow(adjoint, ct_inputs)
    order = {id(node): i for i, node in enumerate(adjoint.nodes)}
    producer = {v: node for node in forward_nodes for v in node.outputs}
    # Consts and x are at hand and cotangents come in; the ys are stacked anyway.
    available = {*primal_inputs[:k], *primal_inputs[k + n :], *ct_inputs}
    ys = {x for x in adjoint.outputs[n:n_out] if isinstance(x, Var)}
    recomputed: list[Node] = []
    while True:
        part = sorted([*recomputed, *backward_nodes], key=lambda node: order[id(node)])
        residuals = residuals_read(part, gradients, available)
        free = available | ys | set(residuals)
        more = next(
            (
                nodes
                for r in residuals
                if r not in ys
                for nodes in [cheaper(r, producer, free, recomputed)]
                if nodes
            ),
            None,
        )
        if more is None:
            return Split(adjoint, forward_nodes, part, residuals, ys)
        recomputed.extend(more)


def stacked_residuals(split: Split, body: Graph, k: int, n: int):
    """The forward loop's body (the user's outputs, then the residuals it stacks), where
    each residual is read from (`sources`), the residuals and the backward nodes."""
    adjoint, inputs, outputs = split.adjoint, body.inputs, body.outputs
    primal_inputs, n_out, ys = adjoint.inputs[: len(inputs)], len(outputs), split.ys
    if any(v.type.weak for v in split.residuals):  # recompute each step from stacked carries
        forward = Graph(body.name, inputs, body.nodes, (*outputs, *inputs[k : k + n]))
        sources = tuple(("new", j) for j in range(n))
        return forward, sources, list(primal_inputs[k : k + n]), list(adjoint.nodes)
    # A residual that is one of the user's ys is read from that y's stack.
    own = [r for r in split.residuals if r not in ys]
    forward = Graph(
        body.name, primal_inputs, tuple(split.forward_nodes), (*adjoint.outputs[:n_out], *own)
    )
    y_position = {x: n + j for j, x in reversed(list(enumerate(adjoint.outputs[n:n_out])))}
    sources = tuple(
        ("y", y_position[r]) if r in ys else ("new", own.index(r)) for r in split.residuals
    )
    return forward, sources, split.residuals, split.backward_nodes


def residuals_read(part: list[Node], gradients: tuple, available: set[Var]) -> list[Var]:
    """The values the backward `part` reads that it neither makes nor has at hand."""
    defined = {v for node in part for v in node.outputs}
    read = [x for node in part for x in node.inputs] + list(gradients)
    return [
        x
        for x in dict.fromkeys(read)
        if isinstance(x, Var) and x not in defined and x not in available
    ]


def cheaper(
    value: Var, producer: dict[Var, Node], free: set[Var], recomputed: list[Node]
) -> list[Node] | None:
    """The forward nodes that recompute `value` in the backward step from values it has for
    free (at hand or stacked anyway), when that saves stacking `value`: a view (a reshape of
    x, a transpose), or a few elementwise operations (`1 - h * h` from a stacked h)."""
    node = producer.get(value)
    if node is None or node in recomputed:
        return None
    if cheap_to_recompute(node.op):
        return [node]
    found: list[Node] = []

    def walk(v: Var) -> bool:
        if v in free and v is not value:
            return True
        inner = producer.get(v)
        if inner is None or inner.op.group not in ARITHMETIC or len(found) >= 4:
            return False
        found.append(inner)
        return all(walk(x) for x in inner.inputs if isinstance(x, Var))

    if not walk(value):
        return None
    return [node for node in dict.fromkeys(found) if node not in recomputed]


def residual_name(value: Any, graph: Graph) -> str:
    """A stacked residual is named after the value (`h_steps`) or the operation making it."""
    if getattr(value, "hint", None):
        return value.hint
    return next((node.op.name for node in graph.nodes if value in node.outputs), "residual")


def scans_with_residuals(graph: Graph) -> Graph:
    """`graph` with each scan's forward body stacking its residuals (new ys after the
    user's), and the plan of each in the node's `plan` param, for `scan_vjp` (the primal's
    replay leaves it out: interpreter.RULE_PARAMS)."""
    planned = False
    nodes = []
    for node in graph.nodes:
        if node.op is control.scan:
            k, n = node.params["num_consts"], node.params["num_carry"]
            plan = plan_scan(node.params["body"], k, n)
            if plan is not None:
                params = {**node.params, "body": plan.forward}
                types = control.scan.infer(tuple(x.type for x in node.inputs), params)
                stacked = plan.forward.outputs[len(node.params["body"].outputs) :]
                extra = tuple(
                    Var(t, f"{residual_name(v, plan.forward)}_steps")
                    for t, v in zip(types[len(node.outputs) :], stacked, strict=True)
                )
                node = Node(
                    control.scan,
                    node.inputs,
                    (*node.outputs, *extra),
                    {**params, "plan": plan},
                    node.loc,
                )
                planned = True
        nodes.append(node)
    if not planned:
        return graph
    return Graph(graph.name, graph.inputs, tuple(nodes), graph.outputs)


def scan_vjp(cts, *operands, outs, body, length, reverse, num_consts, num_carry, plan=None):
    """The backward scan of `plan` (made by `scans_with_residuals` before reverse mode; None
    where nothing differentiable flows through the scan)."""
    k, n = num_consts, num_carry
    if plan is None or (
        all(cts[j] is None for j in plan.diff_carry)
        and all(cts[n + j] is None for j in plan.seeded_ys)
    ):
        return [None] * len(operands)
    inputs = body.inputs
    consts, xs = operands[:k], operands[k + n :]
    first_new = len(outs) - plan.new_stacks
    stacked = [
        outs[position] if kind == "y" else outs[first_new + position]
        for kind, position in plan.sources
    ]
    trace = trace_of([*cts, *operands])
    ct_carry, accumulators, ct_ys = backward_seeds(plan, cts, outs, inputs, k, n)
    results = trace.bind_many(
        control.scan,
        [*consts, *ct_carry, *accumulators, *stacked, *xs, *ct_ys],
        hints=gradient_hints(plan, inputs, k, n),
        body=plan.backward,
        length=length,
        reverse=not reverse,
        num_consts=k,
        num_carry=len(plan.diff_carry) + len(plan.diff_consts),
    )
    return operand_gradients(plan, results, k, n, len(operands))


def backward_seeds(
    plan: ScanPlan, cts: Sequence[Any], outs: Sequence[Any], inputs: Sequence[Var], k: int, n: int
) -> tuple[list, list, list]:
    """The backward scan's initial carries (the final carries' cotangents, zeros for the
    constants' running sums) and its cotangent xs (the stacked ys'), a None made zeros."""
    ct_carry = [zero_if_none(cts[j], inputs[k + j].type) for j in plan.diff_carry]
    ct_ys = [zero_if_none(cts[n + j], type_of(outs[n + j])) for j in plan.seeded_ys]
    accumulators = [
        np.zeros(inputs[j].type.shape, inputs[j].type.dtype)[()] for j in plan.diff_consts
    ]  # carried: an array even for a Python float
    return ct_carry, accumulators, ct_ys


def gradient_hints(plan: ScanPlan, inputs: Sequence[Var], k: int, n: int) -> list[str | None]:
    """The names of the backward scan's results: d_carry, d_consts, d_x (`x_t`'s is `d_x`)."""
    x_vars = inputs[k + n :]
    return (
        [f"d_{inputs[k + j].hint or 'carry'}" for j in plan.diff_carry]
        + [f"d_{inputs[j].hint or 'x'}" for j in plan.diff_consts]
        + [f"d_{(x_vars[j].hint or 'x').removesuffix('_t')}" for j in plan.diff_xs]
    )


def operand_gradients(plan: ScanPlan, results: list, k: int, n: int, count: int) -> list:
    """The backward scan's results (d_carry, d_consts, d_xs) at their operands' positions,
    None for the operands without one."""
    result: list[Any] = [None] * count
    position = iter(results)
    for j in plan.diff_carry:
        result[k + j] = next(position)
    for j in plan.diff_consts:
        result[j] = next(position)
    for j in plan.diff_xs:
        result[k + n + j] = next(position)
    return result


def backward_body(
    steps: Graph,
    body: Graph,
    k: int,
    n: int,
    n_residuals: int,
    diff_consts: list[int],
    diff_carry: list[int],
    seeded_ys: list[int],
    carries: set[Var],
) -> Graph:
    """One step of the backward scan: `steps` (the adjoint's backward part), then the
    running sums of the constants' cotangents. Inputs (consts, d_carry, d_consts so far,
    the step's residuals, x, d_y); outputs (d_carry before the step, d_consts so far and
    this step's, d_x)."""
    inputs = body.inputs
    trace = Trace(steps.name)
    consts = [trace.new_input(v.type, v.hint) for v in inputs[:k]]
    ct_carry, so_far = cotangent_inputs(trace, inputs, k, diff_carry, diff_consts)
    residuals = residual_inputs(trace, steps.inputs[k : k + n_residuals], carries)
    xs = [trace.new_input(v.type, v.hint) for v in inputs[k + n :]]
    ct_ys = [
        trace.new_input(
            body.outputs[n + j].type, f"d_{getattr(body.outputs[n + j], 'hint', None) or 'y'}"
        )
        for j in seeded_ys
    ]
    gradients = trace.replay(steps, [*consts, *residuals, *xs, *ct_carry, *ct_ys])
    return summed_step(trace, gradients, so_far, len(diff_carry))


def cotangent_inputs(
    trace: Trace, inputs: Sequence[Var], k: int, diff_carry: list[int], diff_consts: list[int]
) -> tuple[list, list]:
    """The backward step's inputs for the carries' cotangents (`d_h`), then for the
    constants' cotangents summed so far (strong-typed: a sum of arrays)."""
    ct_carry = [
        trace.new_input(inputs[k + j].type, f"d_{inputs[k + j].hint or 'carry'}")
        for j in diff_carry
    ]
    so_far = [
        trace.new_input(
            TensorType(inputs[j].type.shape, inputs[j].type.dtype), f"d_{inputs[j].hint or 'x'}"
        )
        for j in diff_consts
    ]
    return ct_carry, so_far


def residual_inputs(trace: Trace, residuals: Sequence[Var], carries: set[Var]) -> list:
    """The backward step's inputs for the residuals: a carry a step began with reads
    `h_prev`, beside the `h` the step made."""
    return [
        trace.new_input(v.type, f"{v.hint}_prev" if v.hint and v in carries else v.hint)
        for v in residuals
    ]


def summed_step(trace: Trace, gradients: list, so_far: list, n_carry: int) -> Graph:
    """The backward step's Graph: the step's gradients (d_consts, d_carry, d_xs) returned as
    (d_carry, d_consts so far plus this step's, d_xs)."""
    n_consts = len(so_far)
    g_consts = gradients[:n_consts]
    g_carry = gradients[n_consts : n_consts + n_carry]
    g_xs = gradients[n_consts + n_carry :]
    with trace.at(None):  # the running sums are the loop's, not a user's line
        totals = [a + b for a, b in zip(so_far, g_consts, strict=True)]
    trace.active = False
    return trace.builder.build([trace.operand(v) for v in [*g_carry, *totals, *g_xs]])
