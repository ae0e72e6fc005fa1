"""AD layer: composites' decompositions, and the rules both modes derive from them.

A composite primitive (log_softmax, root_sum_squares) is one readable call in the emitted
code, but it stands for a computation written with the tracing functions (`tnp`). Its
decomposition, registered here keyed by the primitive, is that computation. A mode whose
table has no rule of its own for the primitive differentiates through the decomposition:
the decomposition is traced on the operands' types into a small Graph, that Graph is
differentiated by the same transform (`reverse`, `forward`), and the result is inlined at
the composite's line. The backends never see the decomposition.

A composite keeps its own rules where they write a better gradient than the decomposition's
(log_softmax's reads the softmax as one writes it; root_sum_squares chooses 0 at its kink).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from ..ir import Graph, Primitive
from ..ir.primitive import primitives
from ..ir.primitives import calls, reductions, sorting
from ..tracer import control
from ..tracer import functions as tnp
from ..tracer.context import Trace, find_trace
from ..tracer.functions import nanfunctions, type_of
from ..tracer.functions.mathematical import sinc_of
from ..tracer.functions.padding import padded
from ..tracer.functions.products import kron_of
from ..tracer.functions.rearranging import flipped, rolling, tiled
from ..tracer.functions.windows import convolved, correlated
from .interpreter import Rule, RuleTable, differentiable
from .nested import hint, trace_of

Decomposition = Callable[..., Any]


decompositions: dict[Primitive, Decomposition] = RuleTable("decomposition")


def log_softmax(x, axis):
    shifted = x - tnp.max(x, axis=axis, keepdims=True)
    return shifted - tnp.log(tnp.sum(tnp.exp(shifted), axis=axis, keepdims=True))


def root_sum_squares(c, axis, keepdims, divisor):
    return tnp.sqrt(tnp.sum(c * c, axis=axis, keepdims=keepdims) / divisor)


def cumprod(x, axis):
    """The running product as a loop over the axis: exact where an element is 0 (the
    division out / x a rule would use is not), and differentiable again."""
    moved = tnp.moveaxis(x, axis, 0)

    def step(product, x):  # x: one slice along the axis (its cotangents read `d_x`)
        product = product * x
        return product, product

    _, products = control.scan(step, tnp.ones_like(moved[0]), moved)
    return tnp.moveaxis(products, 0, axis)


def sort(x, axis, stable):
    """x gathered along its sorting permutation: the cotangent goes back through it."""
    return tnp.take_along_axis(x, tnp.argsort(x, axis=axis, stable=stable or None), axis)


def partition(x, axis, kth):
    return tnp.take_along_axis(x, tnp.argpartition(x, kth, axis=axis), axis)


decompositions[reductions.cumprod] = cumprod
decompositions[sorting.sort] = sort
decompositions[sorting.partition] = partition
decompositions[primitives["log_softmax"]] = log_softmax
decompositions[primitives["root_sum_squares"]] = root_sum_squares
# Composite calls: each is the composition the front end records where it cannot be one call.
decompositions[calls.pad] = padded
decompositions[calls.flip] = flipped
decompositions[calls.roll] = rolling
decompositions[calls.tile] = tiled
decompositions[calls.kron] = kron_of
decompositions[calls.sinc] = sinc_of
decompositions[calls.convolve] = convolved
decompositions[calls.correlate] = correlated
for name in ("nan_to_num", "nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanstd"):
    decompositions[getattr(calls, name)] = getattr(nanfunctions, f"{name}_of")


def operand_names(operands: Sequence[Any]) -> list[str]:
    """The names the operands have in the emitted code: the user's, else their operation's
    (`power` for `pad ** 2`), so the cotangents inside an inlined decomposition read `d_power`
    rather than a name the user never saw."""
    names = [hint(x) for x in operands]
    if all(names):
        return names
    unnamed = {
        getattr(x, "ir_var", None) for x, name in zip(operands, names, strict=True) if not name
    }
    unnamed.discard(None)
    producers: dict[Any, str] = {}
    trace = find_trace(list(operands))
    for node in reversed(trace.builder.nodes if trace is not None else ()):
        producers.update((var, node.op.name) for var in node.outputs if var in unnamed)
        if len(producers) == len(unnamed):  # usually near the end: the operands are recent
            break
    return [
        name or producers.get(getattr(x, "ir_var", None)) or f"x{i}"
        for i, (x, name) in enumerate(zip(operands, names, strict=True))
    ]


def decomposition_graph(op: Primitive, operands: Sequence[Any], params: dict) -> Graph:
    """The decomposition of `op` traced on the operands' types, its lines unlocated (they
    take the composite's line when inlined)."""
    scratch = Trace(f"{op.name}_decomposition")
    names = operand_names(operands)
    inputs = [scratch.new_input(type_of(x), name) for x, name in zip(operands, names, strict=True)]
    # Running, so control flow in a decomposition (cumprod's scan) records one node, not
    # its unrolled steps.
    with scratch.running(), scratch.at(None):
        result = decompositions[op](*inputs, **params)
    results = list(result) if isinstance(result, tuple | list) else [result]
    scratch.active = False
    return scratch.builder.build([scratch.operand(x) for x in results])


def relocated(graph: Graph, loc: Any) -> Graph:
    """`graph` with every node at `loc`, the nodes of its nested Graphs (a scan's body)
    included: the decomposition's lines are the composite's."""
    nodes = tuple(
        dataclasses.replace(
            node,
            loc=loc,
            params={
                k: relocated(v, loc) if isinstance(v, Graph) else v for k, v in node.params.items()
            },
        )
        for node in graph.nodes
    )
    return dataclasses.replace(graph, nodes=nodes)


def inline(graph: Graph, inputs: Sequence[Any]) -> list[Any]:
    """Record `graph` into the trace of `inputs`, every node at the line that trace records
    at (the composite's)."""
    trace = trace_of(inputs)
    loc = trace.fixed_loc if trace.fixed else None
    return trace.replay(relocated(graph, loc), list(inputs))


def decomposition_vjp(op: Primitive) -> Rule | None:
    """The VJP of `op` through its decomposition (None where it has none)."""
    if op not in decompositions:
        return None
    from .reverse import reverse  # reverse mode reads this module's rules

    def vjp(cts, *operands, outs, **params):
        graph = decomposition_graph(op, operands, params)
        wrt = [i for i, var in enumerate(graph.inputs) if differentiable(var)]
        seeded = [k for k, ct in enumerate(cts) if ct is not None]
        adjoint = reverse(graph, wrt, seeded, cotangent_inputs=True, prepare=False)
        gradients = inline(adjoint, [*operands, *(cts[k] for k in seeded)])
        result: list[Any] = [None] * len(operands)
        for i, gradient in zip(wrt, gradients[len(graph.outputs) :], strict=True):
            result[i] = gradient
        return result

    return vjp


def decomposition_jvp(op: Primitive) -> Rule | None:
    """The JVP of `op` through its decomposition (None where it has none)."""
    if op not in decompositions:
        return None
    from .forward import forward  # forward mode reads this module's rules

    def jvp(tangents, *operands, outs, **params):
        graph = decomposition_graph(op, operands, params)
        wrt = [
            i for i, t in enumerate(tangents) if t is not None and differentiable(graph.inputs[i])
        ]
        pushed = forward(graph, wrt, prepare=False)
        results = inline(pushed, [*operands, *(tangents[i] for i in wrt)])
        return results[len(graph.outputs) :]

    return jvp
