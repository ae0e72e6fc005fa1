"""AD layer: the VJP and JVP rules of the control-flow primitives (ir/primitives/control.py).

Each rule differentiates the nested Graphs with the whole-graph transforms (`reverse`,
`forward`) and records one control-flow node of the same kind that runs the derivative, so a
loop stays a loop and a branch a branch in the derivative too:

- cond: the VJP (JVP) is a cond over the two branches' VJPs (JVPs); only the branch taken
  runs.
- scan: before reverse mode, `scans_with_residuals` splits the body's VJP into what runs
  forward (no cotangent read) and what runs backward, and the forward loop also stacks the
  residuals the backward part reads (the carry a step began with, its `1 - tanh**2`), as
  hand-written backpropagation through time keeps its states. The VJP is a scan in the
  opposite direction over those stacks: it carries the cotangent of the carry and the
  running sums of the loop-invariant values' cotangents, and stacks the xs' cotangents.
  No step is computed twice; views (reshapes, transposes) are recomputed, not stacked.
- fori_loop with bounds known while tracing is a scan over the indices (passes/loops.py);
  with traced bounds, and while_loop, the number of steps is unknown, so reverse mode says
  so and suggests scan. Forward mode goes through all of them: the JVP loop carries the
  tangent beside the value.
- custom_vjp: reverse mode inlines the user's fwd and bwd, each line marked with the rule's
  name; forward mode differentiates the function itself.

Control-flow rules take and return lists: `rule(cts, *inputs, outs=[...], **params)` gives
one cotangent per input (VJP); `rule(tangents, *inputs, out=(...), **params)` gives the new
outputs and their tangents (JVP), which replace the replayed node's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import TraceError
from ..ir import Graph, Node, TensorType, Var
from ..ir.passes import optimize
from ..ir.primitive import Group
from ..ir.primitives import control as C
from ..tracer.context import Trace, find_trace
from ..tracer.functions import type_of
from .forward import forward, forward_pass, zeros
from .jvp_rules import jvp_rules
from .reverse import differentiable
from .reverse import reverse as adjoint_of
from .vjp_rules import vjp_rules


def trace_of(values: Sequence[Any]) -> Trace:
    trace = find_trace(list(values))
    if trace is None:  # every operand a constant: the passes would have folded it away
        raise TraceError("differentiating a control-flow node whose operands are all "
                         "constants", hint="please report it")
    return trace


def hint(value: Any) -> str | None:
    """The name of a traced value, if it has one."""
    var = getattr(value, "ir_var", None)
    return var.hint if var is not None else None


def zero_if_none(value: Any, type_: TensorType) -> Any:
    return zeros(type_) if value is None else value


def subgraph(graph: Graph, inputs: Sequence[Var], outputs: Sequence[Any], name: str) -> Graph:
    """`graph` with its inputs and outputs reordered or selected (nodes unchanged)."""
    return Graph(name, tuple(inputs), graph.nodes, tuple(outputs))


def fresh(var: Var, hint: str | None = None) -> Var:
    return Var(var.type, hint or var.hint)


# --- cond -------------------------------------------------------------------------------

def cond_vjp(cts, pred, *operands, outs, true, false):
    seeded = [k for k, ct in enumerate(cts) if ct is not None and differentiable(true.outputs[k])]
    wrt = [k for k, var in enumerate(true.inputs) if differentiable(var)]
    if not seeded or not wrt:
        return [None] * (1 + len(operands))
    branches = [branch_vjp(branch, wrt, seeded) for branch in (true, false)]
    trace = trace_of([*cts, pred, *operands])
    gradients = trace.bind_many(C.cond, [pred, *operands, *(cts[k] for k in seeded)],
                                hints=[f"d_{true.inputs[k].hint or 'x'}" for k in wrt],
                                true=branches[0], false=branches[1])
    result: list[Any] = [None] * (1 + len(operands))
    for k, gradient in zip(wrt, gradients, strict=True):
        result[1 + k] = gradient
    return result


def branch_vjp(branch: Graph, wrt: list[int], seeded: list[int]) -> Graph:
    """The branch's VJP: inputs (operands, one cotangent per seeded output), outputs the
    cotangent of each operand in `wrt`."""
    adjoint = adjoint_of(branch, wrt, seeded, cotangent_inputs=True, name=f"d_{branch.name}")
    return subgraph(adjoint, adjoint.inputs, adjoint.outputs[len(branch.outputs):],
                    adjoint.name)


def cond_jvp(tangents, pred, *operands, out, true, false):
    wrt = [k for k, t in enumerate(tangents[1:]) if t is not None
           and differentiable(true.inputs[k])]
    branches = [forward(branch, wrt, name=f"{branch.name}_jvp") for branch in (true, false)]
    trace = trace_of([pred, *operands, *tangents])
    n = len(true.outputs)
    values = trace.bind_many(
        C.cond, [pred, *operands, *(tangents[1 + k] for k in wrt)],
        hints=[v.hint for v in branches[0].outputs[:n]]
        + [f"{v.hint or 'out'}_dot" for v in true.outputs],
        true=branches[0], false=branches[1])
    return values[:n], [t if differentiable(v) else None
                        for t, v in zip(values[n:], true.outputs, strict=True)]


# --- scan -------------------------------------------------------------------------------

# Operations a backward step recomputes rather than reads from a stack: views, and short
# chains of elementwise operations on values it has anyway.
RECOMPUTED = frozenset({"reshape", "transpose", "broadcast_to", "index", "stop_gradient"})
ELEMENTWISE = (Group.UNARY, Group.BINARY)


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
    diff_consts = [j for j in range(k) if differentiable(inputs[j])]
    diff_carry = [j for j in range(n) if differentiable(inputs[k + j])]
    diff_xs = [j for j in range(len(inputs) - k - n) if differentiable(inputs[k + n + j])]
    seeded_ys = [j for j in range(len(outputs) - n) if differentiable(outputs[n + j])]
    wrt = [*diff_consts, *(k + j for j in diff_carry), *(k + n + j for j in diff_xs)]
    seeded = [*diff_carry, *(n + j for j in seeded_ys)]
    if not wrt or not seeded:
        return None
    adjoint = optimize(adjoint_of(body, wrt, seeded, cotangent_inputs=True,
                                  name=f"d_{body.name}"))
    m, n_out = len(inputs), len(outputs)
    primal_inputs, ct_inputs = adjoint.inputs[:m], adjoint.inputs[m:]
    gradients = adjoint.outputs[n_out:]
    flowing: set[Var] = set(ct_inputs)
    forward_nodes, backward_nodes = [], []
    for node in adjoint.nodes:
        if any(x in flowing for x in node.inputs if isinstance(x, Var)):
            backward_nodes.append(node)
            flowing.update(node.outputs)
        else:
            forward_nodes.append(node)
    order = {id(node): i for i, node in enumerate(adjoint.nodes)}
    producer = {v: node for node in forward_nodes for v in node.outputs}
    # Consts and x are at hand and cotangents come in; the ys are stacked anyway.
    available = {*primal_inputs[:k], *primal_inputs[k + n:], *ct_inputs}
    ys = {x for x in adjoint.outputs[n:n_out] if isinstance(x, Var)}
    recomputed: list[Node] = []
    while True:
        part = sorted([*recomputed, *backward_nodes], key=lambda node: order[id(node)])
        residuals = residuals_read(part, gradients, available)
        free = available | ys | set(residuals)
        more = next((nodes for r in residuals if r not in ys
                     for nodes in [cheaper(r, producer, free, recomputed)] if nodes), None)
        if more is None:
            break
        recomputed.extend(more)
    backward_nodes = part
    if any(v.type.weak for v in residuals):  # recompute each step from stacked carries
        residuals, backward_nodes = list(primal_inputs[k:k + n]), list(adjoint.nodes)
        forward = Graph(body.name, inputs, body.nodes, (*outputs, *inputs[k:k + n]))
        sources = tuple(("new", j) for j in range(n))
    else:
        # A residual that is one of the user's ys is read from that y's stack.
        own = [r for r in residuals if r not in ys]
        forward = Graph(body.name, primal_inputs, tuple(forward_nodes),
                        (*adjoint.outputs[:n_out], *own))
        y_position = {x: n + j for j, x in reversed(list(enumerate(adjoint.outputs[n:n_out])))}
        sources = tuple(("y", y_position[r]) if r in ys else ("new", own.index(r))
                        for r in residuals)
    steps = Graph(adjoint.name, (*primal_inputs[:k], *residuals, *primal_inputs[k + n:],
                                 *ct_inputs), tuple(backward_nodes), tuple(gradients))
    backward = backward_body(steps, body, k, n, len(residuals), diff_consts, diff_carry,
                             seeded_ys, set(primal_inputs[k:k + n]))
    return ScanPlan(forward, backward, sources, len(forward.outputs) - n_out, diff_consts,
                    diff_carry, diff_xs, seeded_ys)


def residuals_read(part: list[Node], gradients: tuple, available: set[Var]) -> list[Var]:
    """The values the backward `part` reads that it neither makes nor has at hand."""
    defined = {v for node in part for v in node.outputs}
    read = [x for node in part for x in node.inputs] + list(gradients)
    return [x for x in dict.fromkeys(read) if isinstance(x, Var)
            and x not in defined and x not in available]


def cheaper(value: Var, producer: dict[Var, Node], free: set[Var],
            recomputed: list[Node]) -> list[Node] | None:
    """The forward nodes that recompute `value` in the backward step from values it has for
    free (at hand or stacked anyway), when that saves stacking `value`: a view (a reshape of
    x, a transpose), or a few elementwise operations (`1 - h * h` from a stacked h)."""
    node = producer.get(value)
    if node is None or node in recomputed:
        return None
    if node.op.name in RECOMPUTED:
        return [node]
    found: list[Node] = []

    def walk(v: Var) -> bool:
        if v in free and v is not value:
            return True
        inner = producer.get(v)
        if inner is None or inner.op.group not in ELEMENTWISE or len(found) >= 4:
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


def scans_with_residuals(graph: Graph) -> tuple[Graph, dict[Node, ScanPlan]]:
    """`graph` with each scan's forward body stacking its residuals (new ys after the
    user's), and the plan of each, for `scan_vjp`."""
    plans: dict[Node, ScanPlan] = {}
    nodes = []
    for node in graph.nodes:
        if node.op is C.scan:
            k, n = node.params["num_consts"], node.params["num_carry"]
            plan = plan_scan(node.params["body"], k, n)
            if plan is not None:
                params = {**node.params, "body": plan.forward}
                types = C.scan.infer(tuple(x.type for x in node.inputs), params)
                stacked = plan.forward.outputs[len(node.params["body"].outputs):]
                extra = tuple(Var(t, f"{residual_name(v, plan.forward)}_steps")
                              for t, v in zip(types[len(node.outputs):], stacked, strict=True))
                node = Node(C.scan, node.inputs, (*node.outputs, *extra), params, node.loc)
                plans[node] = plan
        nodes.append(node)
    if not plans:
        return graph, plans
    return Graph(graph.name, graph.inputs, tuple(nodes), graph.outputs), plans


def scan_vjp(cts, *operands, outs, body, length, reverse, num_consts, num_carry, plan=None):
    """The backward scan of `plan` (made by `scans_with_residuals` before reverse mode; None
    where nothing differentiable flows through the scan)."""
    k, n = num_consts, num_carry
    if plan is None or (all(cts[j] is None for j in plan.diff_carry)
                        and all(cts[n + j] is None for j in plan.seeded_ys)):
        return [None] * len(operands)
    inputs = body.inputs
    consts, xs = operands[:k], operands[k + n:]
    first_new = len(outs) - plan.new_stacks
    stacked = [outs[position] if kind == "y" else outs[first_new + position]
               for kind, position in plan.sources]
    trace = trace_of([*cts, *operands])
    ct_carry = [zero_if_none(cts[j], inputs[k + j].type) for j in plan.diff_carry]
    ct_ys = [zero_if_none(cts[n + j], type_of(outs[n + j])) for j in plan.seeded_ys]
    accumulators = [np.zeros(inputs[j].type.shape, inputs[j].type.dtype)[()]
                    for j in plan.diff_consts]  # carried: an array even for a Python float
    x_vars = inputs[k + n:]
    results = trace.bind_many(
        C.scan, [*consts, *ct_carry, *accumulators, *stacked, *xs, *ct_ys],
        hints=[f"d_{inputs[k + j].hint or 'carry'}" for j in plan.diff_carry]
        + [f"d_{inputs[j].hint or 'x'}" for j in plan.diff_consts]
        + [f"d_{(x_vars[j].hint or 'x').removesuffix('_t')}" for j in plan.diff_xs],
        body=plan.backward, length=length, reverse=not reverse, num_consts=k,
        num_carry=len(plan.diff_carry) + len(plan.diff_consts))
    result: list[Any] = [None] * len(operands)
    position = iter(results)
    for j in plan.diff_carry:
        result[k + j] = next(position)
    for j in plan.diff_consts:
        result[j] = next(position)
    for j in plan.diff_xs:
        result[k + n + j] = next(position)
    return result


def backward_body(steps: Graph, body: Graph, k: int, n: int, n_residuals: int,
                  diff_consts: list[int], diff_carry: list[int], seeded_ys: list[int],
                  carries: set[Var]) -> Graph:
    """One step of the backward scan: `steps` (the adjoint's backward part), then the
    running sums of the constants' cotangents. Inputs (consts, d_carry, d_consts so far,
    the step's residuals, x, d_y); outputs (d_carry before the step, d_consts so far and
    this step's, d_x)."""
    inputs = body.inputs
    trace = Trace(steps.name)
    consts = [trace.new_input(v.type, v.hint) for v in inputs[:k]]
    ct_carry = [trace.new_input(inputs[k + j].type, f"d_{inputs[k + j].hint or 'carry'}")
                for j in diff_carry]
    so_far = [trace.new_input(TensorType(inputs[j].type.shape, inputs[j].type.dtype),
                              f"d_{inputs[j].hint or 'x'}") for j in diff_consts]
    # A carry a step began with reads `h_prev`, beside the `h` the step made.
    residuals = [trace.new_input(v.type, f"{v.hint}_prev" if v.hint and v in carries else v.hint)
                 for v in steps.inputs[k:k + n_residuals]]
    xs = [trace.new_input(v.type, v.hint) for v in inputs[k + n:]]
    ct_ys = [trace.new_input(body.outputs[n + j].type, f"d_{body.outputs[n + j].hint or 'y'}")
             for j in seeded_ys]
    gradients = trace.replay(steps, [*consts, *residuals, *xs, *ct_carry, *ct_ys])
    g_consts = gradients[:len(diff_consts)]
    g_carry = gradients[len(diff_consts):len(diff_consts) + len(diff_carry)]
    g_xs = gradients[len(diff_consts) + len(diff_carry):]
    with trace.at(None):
        totals = [a + b for a, b in zip(so_far, g_consts, strict=True)]
    trace.active = False
    return trace.builder.build([trace.operand(v) for v in [*g_carry, *totals, *g_xs]])


def scan_jvp(tangents, *operands, out, body, length, reverse, num_consts, num_carry):
    k, n = num_consts, num_carry
    inputs = body.inputs
    t_consts = [j for j in range(k) if tangents[j] is not None and differentiable(inputs[j])]
    t_carry = [j for j in range(n) if differentiable(inputs[k + j])]
    t_xs = [j for j in range(len(inputs) - k - n)
            if tangents[k + n + j] is not None and differentiable(inputs[k + n + j])]
    wrt = [*t_consts, *(k + j for j in t_carry), *(k + n + j for j in t_xs)]
    jvp = forward(body, wrt, name=f"{body.name}_jvp")
    m = len(body.inputs)
    tin = dict(zip(wrt, jvp.inputs[m:], strict=True))
    n_out = len(body.outputs)
    outs, touts = jvp.outputs[:n_out], jvp.outputs[n_out:]
    float_ys = [j for j in range(n, n_out) if differentiable(body.outputs[j])]
    graph = subgraph(
        jvp,
        [*jvp.inputs[:k], *(tin[j] for j in t_consts), *jvp.inputs[k:k + n],
         *(tin[k + j] for j in t_carry), *jvp.inputs[k + n:m], *(tin[k + n + j] for j in t_xs)],
        [*outs[:n], *(touts[j] for j in t_carry), *outs[n:], *(touts[j] for j in float_ys)],
        jvp.name)
    trace = trace_of([*operands, *tangents])
    consts, carry, xs = operands[:k], operands[k:k + n], operands[k + n:]
    values = trace.bind_many(
        C.scan,
        [*consts, *(tangents[j] for j in t_consts), *carry,
         *(zero_if_none(tangents[k + j], inputs[k + j].type) for j in t_carry),
         *xs, *(tangents[k + n + j] for j in t_xs)],
        hints=[*(hint(v) for v in out[:n]), *(f"{hint(out[j]) or 'carry'}_dot" for j in t_carry),
               *(hint(v) for v in out[n:]), *(f"{hint(out[j]) or 'ys'}_dot" for j in float_ys)],
        body=graph, length=length, reverse=reverse, num_consts=k + len(t_consts),
        num_carry=n + len(t_carry))
    new_outs = [*values[:n], *values[n + len(t_carry):n + len(t_carry) + n_out - n]]
    carry_tangents = iter(values[n:n + len(t_carry)])
    y_tangents = iter(values[n + len(t_carry) + n_out - n:])
    result: list[Any] = []
    for j in range(n_out):
        if j < n:
            result.append(next(carry_tangents) if j in t_carry else None)
        else:
            result.append(next(y_tangents) if j in float_ys else None)
    return new_outs, result


# --- fori_loop and while_loop ------------------------------------------------------------

def no_reverse(what: str):
    def rule(cts, *operands, outs, **params):
        raise TraceError(
            f"reverse mode cannot differentiate {what}: the number of iterations is not known "
            "while tracing, so the values each iteration needs cannot be kept for the "
            "backward pass",
            hint="use tracegrad.scan (or tracegrad.fori_loop with Python int bounds) for a "
            "loop you differentiate with grad; forward mode (tracegrad.jvp, jacfwd) handles "
            "this loop as it is")
    return rule


def fori_loop_vjp(cts, lower, upper, *operands, outs, body, num_consts):
    # Static fori_loops became scans before reverse mode (passes/loops.py).
    return no_reverse("a fori_loop with traced bounds")(cts, outs=outs)


def fori_loop_jvp(tangents, lower, upper, *operands, out, body, num_consts):
    k = num_consts
    inputs = body.inputs[1:]
    n = len(inputs) - k
    t = tangents[2:]
    t_consts = [j for j in range(k) if t[j] is not None and differentiable(inputs[j])]
    t_carry = [j for j in range(n) if differentiable(inputs[k + j])]
    wrt = [1 + j for j in t_consts] + [1 + k + j for j in t_carry]
    jvp = forward(body, wrt, name=f"{body.name}_jvp")
    m = len(body.inputs)
    tin = dict(zip(wrt, jvp.inputs[m:], strict=True))
    outs, touts = jvp.outputs[:n], jvp.outputs[n:]
    graph = subgraph(jvp, [jvp.inputs[0], *jvp.inputs[1:1 + k], *(tin[1 + j] for j in t_consts),
                           *jvp.inputs[1 + k:m], *(tin[1 + k + j] for j in t_carry)],
                     [*outs, *(touts[j] for j in t_carry)], jvp.name)
    trace = trace_of([lower, upper, *operands, *tangents])
    values = trace.bind_many(
        C.fori_loop,
        [lower, upper, *operands[:k], *(t[j] for j in t_consts), *operands[k:],
         *(zero_if_none(t[k + j], inputs[k + j].type) for j in t_carry)],
        hints=[*(hint(v) for v in out), *(f"{hint(out[j]) or 'carry'}_dot" for j in t_carry)],
        body=graph, num_consts=k + len(t_consts))
    tangent_of = dict(zip(t_carry, values[n:], strict=True))
    return values[:n], [tangent_of.get(j) for j in range(n)]


def while_loop_jvp(tangents, *operands, out, cond, body, num_cond_consts, num_body_consts):
    kc, kb = num_cond_consts, num_body_consts
    carry_vars = body.inputs[kb:]
    n = len(carry_vars)
    t_body = tangents[kc:kc + kb]
    t_carry_in = tangents[kc + kb:]
    t_consts = [j for j in range(kb) if t_body[j] is not None and differentiable(body.inputs[j])]
    t_carry = [j for j in range(n) if differentiable(carry_vars[j])]
    wrt = [*t_consts, *(kb + j for j in t_carry)]
    jvp = forward(body, wrt, name=f"{body.name}_jvp")
    m = len(body.inputs)
    tin = dict(zip(wrt, jvp.inputs[m:], strict=True))
    body_graph = subgraph(
        jvp, [*jvp.inputs[:kb], *(tin[j] for j in t_consts), *jvp.inputs[kb:m],
              *(tin[kb + j] for j in t_carry)],
        [*jvp.outputs[:n], *(jvp.outputs[n + j] for j in t_carry)], jvp.name)
    # The condition reads the values only; it takes the tangents too, unused.
    cond_graph = subgraph(cond, [*cond.inputs, *(fresh(carry_vars[j], "unused")
                                                  for j in t_carry)], cond.outputs, cond.name)
    trace = trace_of([*operands, *tangents])
    values = trace.bind_many(
        C.while_loop,
        [*operands[:kc], *operands[kc:kc + kb], *(t_body[j] for j in t_consts),
         *operands[kc + kb:],
         *(zero_if_none(t_carry_in[j], carry_vars[j].type) for j in t_carry)],
        hints=[*(hint(v) for v in out), *(f"{hint(out[j]) or 'carry'}_dot" for j in t_carry)],
        cond=cond_graph, body=body_graph, num_cond_consts=kc,
        num_body_consts=kb + len(t_consts))
    tangent_of = dict(zip(t_carry, values[n:], strict=True))
    return values[:n], [tangent_of.get(j) for j in range(n)]


# --- custom_vjp -------------------------------------------------------------------------

def custom_vjp_vjp(cts, *operands, outs, primal, fwd, bwd, rule):
    trace = trace_of([*cts, *operands])
    n = len(primal.outputs)
    residuals = trace.replay(marked(fwd, fwd.name), list(operands))[n:]
    cotangents = [zero_if_none(ct, v.type) for ct, v in zip(cts, primal.outputs, strict=True)]
    return trace.replay(marked(bwd, rule), [*residuals, *cotangents])


def marked(graph: Graph, rule: str) -> Graph:
    """`graph` with each line located at the user's rule, marked with its name."""
    nodes = tuple(dataclasses.replace(node, loc=dataclasses.replace(node.loc, rule=rule))
                  if node.loc is not None else node for node in graph.nodes)
    return dataclasses.replace(graph, nodes=nodes)


def custom_vjp_jvp(tangents, *operands, out, primal, fwd, bwd, rule):
    trace = trace_of([*operands, *tangents])
    direction = {j: t for j, t in enumerate(tangents) if t is not None}
    outputs, (output_tangents,) = forward_pass(trace, primal, list(operands), [direction])
    return outputs, output_tangents


vjp_rules[C.cond] = cond_vjp
vjp_rules[C.scan] = scan_vjp
vjp_rules[C.fori_loop] = fori_loop_vjp
vjp_rules[C.while_loop] = no_reverse("a while_loop")
vjp_rules[C.custom_vjp] = custom_vjp_vjp
jvp_rules[C.cond] = cond_jvp
jvp_rules[C.scan] = scan_jvp
jvp_rules[C.fori_loop] = fori_loop_jvp
jvp_rules[C.while_loop] = while_loop_jvp
jvp_rules[C.custom_vjp] = custom_vjp_jvp
