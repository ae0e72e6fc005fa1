"""AD layer: forward mode, Graph -> Graph, and Jacobians built from either mode.

The forward Graph replays the primal node by node (same names, same lines) and, right after
each node, calls its primitive's JVP rule with Tracers, so the tangent of every value is
computed in the same pass, recorded in the same IR, and can be printed, optimised, emitted by
any backend and differentiated again (`hessian` is forward mode over reverse mode).

Tangents are symbolic zeros (None) until something flows into them; integer and boolean
values carry none; each tangent is broadcast to its value's shape and cast to its dtype.

Jacobians: `jacobian_forward` pushes one basis direction per input element through the
graph (one JVP per column), `jacobian_reverse` pulls one basis cotangent per output element
back with `reverse` (one VJP per row). Both are unrolled, so the emitted module is a plain
sequence of lines that reads like one JVP (or VJP) after another and runs on any backend;
its length grows with the number of columns (rows), which suits the small inputs (outputs)
Jacobians and Hessians are built for. A basis direction is a constant, so the passes fold
whatever depends on it alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import TraceError
from ..ir import Graph, Literal, Node, TensorType, Var
from ..ir.passes import prepare_for_differentiation
from ..ir.primitive import Trait
from ..tracer import functions as tnp
from ..tracer.context import Trace
from ..tracer.functions import type_of
from .decompositions import decomposition_jvp
from .derivatives import cast, zeros
from .interpreter import Interpreter, Rerun, Rule, differentiable
from .jvp_rules import jvp_rules, linear_jvp
from .reverse import reverse


def fit(tangent: Any, var: Var) -> Any:
    """A tangent broadcast to `var`'s shape and cast to its dtype."""
    tangent_type = type_of(tangent)
    if tangent_type.shape != var.type.shape:
        tangent = tnp.broadcast_to(tangent, var.type.shape)
    if tangent_type.dtype != var.type.dtype:
        tangent = cast(tangent, var.type.dtype)
    return tangent


def basis(type_: TensorType, k: int) -> Any:
    """The k-th basis direction of a value of this type: 1 at flat position k, 0 elsewhere."""
    if type_.weak:
        return type_.python_type(1)
    direction = np.zeros(type_.shape, type_.dtype)
    direction.flat[k] = 1
    return direction


def check_wrt(graph: Graph, wrt: Sequence[int]) -> None:
    if len(set(wrt)) != len(wrt):
        raise ValueError(f"wrt {tuple(wrt)} names an input twice")
    for i in wrt:
        var = graph.inputs[i]
        if not differentiable(var):
            raise TraceError(
                f"forward mode: input {var.hint or i} holds {var.type} values, which carry no "
                "tangent (only floating-point values have derivatives)",
                hint="differentiate with respect to floating-point inputs only",
            )


def jvp_rule(node: Node) -> Rule | None:
    """The primitive's JVP rule; else, for a linear primitive, itself applied to the
    tangents; else the JVP of its decomposition."""
    rule = jvp_rules.get(node.op)
    if rule is None and node.op.has(Trait.LINEAR):
        return linear_jvp(node.op)
    return rule or decomposition_jvp(node.op)


def push_forward(interpreter: Interpreter, node: Node, tangent_of: dict[Var, Any]) -> None:
    """Record the tangents of the node's outputs along one direction."""
    tangents = [tangent_of.get(x) if isinstance(x, Var) else None for x in node.inputs]
    if all(t is None for t in tangents) or node.op.has(Trait.PIECEWISE_CONSTANT):
        return
    with interpreter.pinned(node):
        results = interpreter.apply(jvp_rule(node), node, tangents, "forward")
        if isinstance(results, Rerun):
            # The rule ran the values beside the tangents in one new node: later nodes
            # read its values, and the replayed one is dead.
            interpreter.bind(node.outputs, results.values)
            results = results.tangents
        for var, tangent in zip(node.outputs, results, strict=True):
            if tangent is None or not differentiable(var):
                continue
            tangent = fit(tangent, var)
            interpreter.name(tangent, f"{var.hint or node.op.name}_dot")
            tangent_of[var] = tangent


@np.errstate(divide="ignore", invalid="ignore", over="ignore")  # as in reverse: constants
def forward_pass(
    trace: Trace,
    graph: Graph,
    inputs: Sequence[Any],
    directions: Sequence[Mapping[int, Any]],
    prepare: bool = True,
) -> tuple[list[Any], list[list[Any]]]:
    """Record `graph` into `trace` on `inputs`, carrying tangents along each direction (a map
    from input position to that input's tangent; inputs left out carry none).

    Returns the primal outputs and, per direction, one tangent per output (None where
    nothing flows into it). Each node is replayed once, followed by its tangent in every
    direction, so several directions share one primal pass. `prepare=False`: as in `reverse`.
    """
    if prepare:
        graph = prepare_for_differentiation(graph)
    interpreter = Interpreter(trace)
    interpreter.bind(graph.inputs, inputs)
    tangents = [
        {graph.inputs[i]: t for i, t in direction.items() if differentiable(graph.inputs[i])}
        for direction in directions
    ]
    for node in graph.nodes:
        # Every value of `graph` already has its final name, and the tangent nodes between
        # two replayed nodes would end their line's run, so the builder would name a value
        # inside the run after the line's target (see GraphBuilder.build): the nodes are
        # recorded at their line without its target.
        interpreter.replay(node, interpreter.untargeted(node.loc))
        for tangent_of in tangents:
            push_forward(interpreter, node, tangent_of)
    outputs = [interpreter.read(x) for x in graph.outputs]
    return outputs, [
        [tangent_of.get(x) if isinstance(x, Var) else None for x in graph.outputs]
        for tangent_of in tangents
    ]


def forward(
    graph: Graph, wrt: Sequence[int], name: str | None = None, prepare: bool = True
) -> Graph:
    """The Jacobian-vector product of `graph`.

    Inputs: the primal inputs, then one tangent per input in `wrt` (of that input's type).
    Outputs: the primal outputs, then the tangent of each output (zeros of the output's type
    where nothing flows into it, integer and boolean outputs included).
    """
    check_wrt(graph, wrt)
    trace = Trace(name or f"jvp_{graph.name}")
    inputs = [trace.new_input(v.type, v.hint) for v in graph.inputs]
    tangent_inputs = [
        trace.new_input(graph.inputs[i].type, f"{graph.inputs[i].hint or 'x'}_dot") for i in wrt
    ]
    direction = dict(zip(wrt, tangent_inputs, strict=True))
    outputs, (tangents,) = forward_pass(trace, graph, inputs, [direction], prepare)
    tangents = [
        zeros(x.type) if t is None else t for x, t in zip(graph.outputs, tangents, strict=True)
    ]
    trace.active = False
    # The raw forward graph: the runtime optimizes it (and can show it unoptimized).
    return trace.builder.build([trace.operand(x) for x in [*outputs, *tangents]])


# --- Jacobians ----------------------------------------------------------------------------


def jacobian_dtype(output: TensorType, input_: TensorType, mode: str) -> np.dtype:
    """A forward Jacobian has the output's dtype, a reverse one the input's (as in JAX); where
    no derivative flows (an integer output) it is zeros of the input's dtype."""
    if mode == "forward" and output.dtype.kind in "fc":
        return output.dtype
    return input_.dtype


def assemble(pieces: Sequence[Any], output: TensorType, input_: TensorType, mode: str) -> Any:
    """The Jacobian block of shape output.shape + input_.shape from its columns (forward: the
    output's tangent along each input element) or rows (reverse: the input's cotangent for
    each output element); None pieces are zeros."""
    shape = output.shape + input_.shape
    dtype = jacobian_dtype(output, input_, mode)
    if all(piece is None for piece in pieces):
        return np.zeros(shape, dtype)
    piece_type = output if mode == "forward" else input_
    pieces = [np.zeros(piece_type.shape, dtype) if p is None else p for p in pieces]
    if len(pieces) == 1 and type_of(pieces[0]).shape == shape:  # a 0-d input (output)
        return pieces[0]
    # Columns stack along a new last axis (output axes first), rows along a new first one.
    stacked = tnp.stack(pieces, axis=output.ndim if mode == "forward" else 0)
    return stacked if type_of(stacked).shape == shape else tnp.reshape(stacked, shape)


def name_block(trace: Trace, block: Any, output: Var | Literal, input_: Var, label: str) -> None:
    out_name = output.hint if isinstance(output, Var) and output.hint else "out"
    trace.name_value(block, label.format(out=out_name, input=input_.hint or "x"))


def jacobian_forward(
    graph: Graph, wrt: Sequence[int], name: str, label: str = "d{out}_d{input}"
) -> Graph:
    """Outputs: the primal outputs, then the Jacobian of each output with respect to each
    input in `wrt` (output-major), of shape output.shape + input.shape; one JVP per column.
    `label` names each block from the names of its output and input (`dy_dx`)."""
    check_wrt(graph, wrt)
    trace = Trace(name)
    inputs = [trace.new_input(v.type, v.hint) for v in graph.inputs]
    directions = [
        {i: basis(graph.inputs[i].type, k)} for i in wrt for k in range(graph.inputs[i].type.size)
    ]
    outputs, tangents = forward_pass(trace, graph, inputs, directions)
    blocks = []
    for o, output in enumerate(graph.outputs):
        start = 0
        for i in wrt:
            input_ = graph.inputs[i]
            columns = [tangents[d][o] for d in range(start, start + input_.type.size)]
            start += input_.type.size
            with trace.at(None):
                block = assemble(columns, output.type, input_.type, "forward")
            name_block(trace, block, output, input_, label)
            blocks.append(block)
    trace.active = False
    return trace.builder.build([trace.operand(x) for x in [*outputs, *blocks]])


def jacobian_reverse(
    graph: Graph, wrt: Sequence[int], name: str, label: str = "d{out}_d{input}"
) -> Graph:
    """As `jacobian_forward`, built from one VJP per row: `reverse` with a basis cotangent
    for each output element. Each VJP replays the primal; common-subexpression elimination
    keeps one copy."""
    check_wrt(graph, wrt)
    graph = prepare_for_differentiation(graph)
    trace = Trace(name)
    inputs = [trace.new_input(v.type, v.hint) for v in graph.inputs]
    outputs = trace.replay(graph, inputs)
    blocks = []
    for o, output in enumerate(graph.outputs):
        rows: list[list[Any]] = [[] for _ in wrt]
        if differentiable(output):
            adjoint = reverse(graph, wrt, seeded=[o], cotangent_inputs=True)
            for m in range(output.type.size):
                results = trace.replay(adjoint, [*inputs, basis(output.type, m)])
                for row, gradient in zip(rows, results[len(graph.outputs) :], strict=True):
                    row.append(gradient)
        for row, i in zip(rows, wrt, strict=True):
            with trace.at(None):
                block = assemble(row, output.type, graph.inputs[i].type, "reverse")
            name_block(trace, block, output, graph.inputs[i], label)
            blocks.append(block)
    trace.active = False
    return trace.builder.build([trace.operand(x) for x in [*outputs, *blocks]])
