"""AD layer: the VJP and JVP rules of the control-flow primitives (ir/primitives/control.py).

Each rule differentiates the nested Graphs with the whole-graph transforms (`reverse`,
`forward`) and records one control-flow node of the same kind that runs the derivative, so a
loop stays a loop and a branch a branch in the derivative too:

- cond: the VJP (JVP) is a cond over the two branches' VJPs (JVPs); only the branch taken
  runs.
- scan: the forward loop also stacks the carry each step starts from (`stack_carries`,
  applied before reverse mode), then a scan in the opposite direction runs the body's VJP
  step by step: it recomputes that step from its carry, pulls the cotangents back, carries
  the cotangent of the carry and accumulates those of the loop-invariant values.
- fori_loop with bounds known while tracing is a scan over the indices (`loops_as_scans`);
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
from typing import Any

import numpy as np

from ..errors import TraceError
from ..ir import Graph, TensorType, Var
from ..ir.passes.loops import stacks_carries
from ..ir.primitives import control as C
from ..tracer.context import Trace, find_trace
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

def scan_vjp(cts, *operands, outs, body, length, reverse, num_consts, num_carry):
    k, n = num_consts, num_carry
    consts, xs = operands[:k], operands[k + n:]
    if not stacks_carries(body, k, n):  # passes/loops.py ran before reverse mode
        raise TraceError("internal: a scan reached reverse mode without its stacked carries",
                         hint="please report it")
    stacked = outs[len(outs) - n:]
    n_ys = len(body.outputs) - n - n  # the user's ys, without the stacked carries
    inputs = body.inputs
    carry_vars, x_vars = inputs[k:k + n], inputs[k + n:]
    # What flows back: cotangents of the float carries, of the ys that received one.
    diff_carry = [j for j in range(n) if differentiable(carry_vars[j])]
    seeded_ys = [j for j in range(n_ys) if cts[n + j] is not None
                 and differentiable(body.outputs[n + j])]
    diff_consts = [j for j in range(k) if differentiable(inputs[j])]
    diff_xs = [j for j in range(len(x_vars)) if differentiable(x_vars[j])]
    flowing = seeded_ys or any(cts[j] is not None for j in diff_carry)
    if not flowing or not (diff_consts or diff_carry or diff_xs):
        return [None] * len(operands)
    wrt = [*diff_consts, *(k + j for j in diff_carry), *(k + n + j for j in diff_xs)]
    seeded = [*diff_carry, *(n + j for j in seeded_ys)]
    adjoint = adjoint_of(user_body(body, n), wrt, seeded, cotangent_inputs=True,
                      name=f"d_{body.name}")
    backward = backward_body(adjoint, body, k, n, diff_consts, diff_carry, diff_xs, seeded_ys)
    trace = trace_of([*cts, *operands])
    ct_carry = [zero_if_none(cts[j], carry_vars[j].type) for j in diff_carry]
    accumulators = [np.zeros(inputs[j].type.shape, inputs[j].type.dtype)[()]
                    for j in diff_consts]  # carried: an array even for a Python float
    results = trace.bind_many(
        C.scan,
        [*consts, *ct_carry, *accumulators, *stacked, *xs, *(cts[n + j] for j in seeded_ys)],
        hints=[f"d_{carry_vars[j].hint or 'carry'}" for j in diff_carry]
        + [f"d_{inputs[j].hint or 'x'}" for j in diff_consts]
        + [f"d_{(x_vars[j].hint or 'x').removesuffix('_t')}" for j in diff_xs],
        body=backward, length=length, reverse=not reverse, num_consts=k,
        num_carry=len(diff_carry) + len(diff_consts))
    result: list[Any] = [None] * len(operands)
    position = iter(results)
    for j in diff_carry:
        result[k + j] = next(position)
    for j in diff_consts:
        result[j] = next(position)
    for j in diff_xs:
        result[k + n + j] = next(position)
    return result


def user_body(body: Graph, num_carry: int) -> Graph:
    """The body without the stacked-carry outputs `loops_as_scans` added."""
    return subgraph(body, body.inputs, body.outputs[:len(body.outputs) - num_carry], body.name)


def backward_body(adjoint: Graph, body: Graph, k: int, n: int, diff_consts: list[int],
                  diff_carry: list[int], diff_xs: list[int], seeded_ys: list[int]) -> Graph:
    """One step of the backward scan: the body's adjoint, then the running sums of the
    constants' cotangents. Inputs (consts, d_carry, d_consts so far, the step's carry, x,
    d_y); outputs (d_carry before the step, d_consts so far and this step's, d_x)."""
    inputs = body.inputs
    trace = Trace(adjoint.name)
    consts = [trace.new_input(v.type, v.hint) for v in inputs[:k]]
    ct_carry = [trace.new_input(inputs[k + j].type, f"d_{inputs[k + j].hint or 'carry'}")
                for j in diff_carry]
    so_far = [trace.new_input(TensorType(inputs[j].type.shape, inputs[j].type.dtype),
                              f"d_{inputs[j].hint or 'x'}") for j in diff_consts]
    carry = [trace.new_input(v.type, v.hint) for v in inputs[k:k + n]]
    xs = [trace.new_input(v.type, v.hint) for v in inputs[k + n:]]
    ct_ys = [trace.new_input(body.outputs[n + j].type, f"d_{body.outputs[n + j].hint or 'y'}")
             for j in seeded_ys]
    results = trace.replay(adjoint, [*consts, *carry, *xs, *ct_carry, *ct_ys])
    gradients = results[len(body.outputs) - n:]
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
