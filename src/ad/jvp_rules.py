"""AD layer: one JVP rule per primitive, written with tracing functions so each reads like
the maths and records into the forward Graph.

A rule takes the list of input tangents (None where an input has none: a symbolic zero), the
primal inputs, the primal outputs and the node's params; it returns one tangent per output,
None where none flows (the list convention, interpreter.py); a single-output rule is written
`rule(tangents, *inputs, out, **params) -> tangent`. Only a tangent that is not None is ever
read, so no zero array is built that nothing needs. Rules may return a tangent that still has
to broadcast to the output's shape or be cast to its dtype; `forward` does both.

The elementwise rules come from the derivative tables (derivatives.py) that reverse mode
reads too. A linear primitive without an entry here is its own JVP (`linear_jvp`); a
piecewise-constant one carries no tangent; a composite with a decomposition gets the JVP of
its decomposition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir import Primitive
from ..ir.primitive import primitives
from ..ir.primitives import calls, contractions, elementwise, indexing, reductions, shapes
from ..tracer import functions as tnp
from ..tracer import scatter
from ..tracer.context import find_trace
from ..tracer.functions import type_of
from .derivatives import (
    BINARY,
    QUOTIENTS,
    UNARY,
    WINS,
    Partials,
    Quotient,
    Scaled,
    cast,
    extremum_winners,
    keep_axes,
    plus,
    products_of_the_others,
    root_sum_squares_slope,
    shape_of,
    tie_share,
)
from .interpreter import RuleTable, differentiable_type, single_output_jvp

JvpRule = Callable[..., Any]
jvp_rules = RuleTable("JVP", single_output_jvp)


def zero_if_none(t: Any) -> Any:
    return 0 if t is None else t


# --- elementwise: from the derivative tables ------------------------------------------------


def unary_jvp(scaled: Scaled) -> JvpRule:
    # In the list convention itself: the rules most nodes call, one call layer fewer.
    def jvp(tangents, x, outs):
        (t,) = tangents
        return [None if t is None else scaled(t, x, outs[0])]

    return jvp


def binary_jvp(partials: Partials) -> JvpRule:
    """Each operand's tangent times its partial, summed (`forward` broadcasts the sum)."""
    return lambda tangents, x, y, outs: [plus(*partials(*tangents, x, y, outs[0]))]


def quotient_jvp(quotient: Quotient) -> JvpRule:
    """The combined numerator over one division (`Quotient.total`)."""
    return lambda tangents, x, y, outs: [quotient.total(*tangents, x, y, outs[0])]


for op, scaled in UNARY.items():
    jvp_rules[op] = unary_jvp(scaled)
for op, partials in BINARY.items():
    jvp_rules[op] = binary_jvp(partials)  # multiply: its own rule, below
for op, quotient in QUOTIENTS.items():
    jvp_rules[op] = quotient_jvp(quotient)


# --- elementwise: symbolic zeros kept, the product rule and the extrema -------------------
# add, subtract and where are linear; their rules only skip the operand without a tangent
# (`tx`, not `tx + 0`). multiply writes the product rule as it reads (the tangent after the
# operand, `x * ty`, where the shared partial gives `ty * x`); maximum and minimum write their
# own select (derivatives.py says why).


def add_jvp(tangents, x, y, out):
    return plus(*tangents)


def subtract_jvp(tangents, x, y, out):
    tx, ty = tangents
    return tx if ty is None else (-ty if tx is None else tx - ty)


def where_jvp(tangents, condition, x, y, out):
    _, tx, ty = tangents
    return tnp.where(condition, zero_if_none(tx), zero_if_none(ty))


def multiply_jvp(tangents, x, y, out):
    # The product rule as it reads, dx y + x dy (the table's partials give dy * x).
    tx, ty = tangents
    return plus(None if tx is None else tx * y, None if ty is None else x * ty)


def extremum_jvp(wins: Callable[[Any, Any], Any]) -> JvpRule:
    """maximum/minimum: the winner's tangent; at a tie the mean of both (as the VJP splits
    the cotangent evenly, as JAX does)."""

    def rule(tangents, x, y, out):
        tx, ty = (zero_if_none(t) for t in tangents)
        tie = plus(*(None if t is None else tie_share(t) for t in tangents))
        return tnp.where(wins(x, y), tx, tnp.where(wins(y, x), ty, tie))

    return rule


jvp_rules[elementwise.add] = add_jvp
jvp_rules[elementwise.subtract] = subtract_jvp
jvp_rules[elementwise.where] = where_jvp
jvp_rules[elementwise.multiply] = multiply_jvp
for op, wins in WINS.items():
    jvp_rules[op] = extremum_jvp(wins)


# --- reductions -------------------------------------------------------------------------


def prod_jvp(tangents, x, out, axis, keepdims):
    # d prod = sum(d prod / d x_i * dx_i), the partials exact at zeros too (see the VJP).
    (t,) = tangents
    others = products_of_the_others(x, out, axis, keepdims)
    return tnp.sum(t * others, axis=axis, keepdims=keepdims)


def extremum_reduction_jvp(tangents, x, out, axis, keepdims):
    # The mean of the tangents at the positions that hold the extremum: the transpose of the
    # VJP, which shares the cotangent evenly among ties.
    (t,) = tangents
    winners = x == keep_axes(out, x, axis, keepdims)
    count = tnp.sum(tnp.astype(winners, type_of(t).dtype), axis=axis, keepdims=keepdims)
    return tnp.sum(tnp.where(winners, t, 0), axis=axis, keepdims=keepdims) / count


def gather_extremum_jvp(tangents, x, v, *indices, out, axes):
    # The transpose of the VJP: at each position, the mean of the tangents of what ties for
    # its extremum.
    tx, tv = (zero_if_none(t) for t in tangents[:2])
    x_wins, v_wins, count = extremum_winners(x, v, list(indices), out, axes, type_of(out).dtype)
    landed = tnp.where(v_wins, tnp.broadcast_to(tv, shape_of(v_wins)), 0)
    return (
        tnp.where(x_wins, tx, 0) + scatter.scatter_add(landed, list(indices), shape_of(out), axes)
    ) / count


jvp_rules[reductions.prod] = prod_jvp
jvp_rules[reductions.max_] = extremum_reduction_jvp
jvp_rules[reductions.min_] = extremum_reduction_jvp
jvp_rules[indexing.gather_max] = gather_extremum_jvp
jvp_rules[indexing.gather_min] = gather_extremum_jvp


# --- contractions (bilinear: one term per operand with a tangent) ------------------------


def matmul_jvp(tangents, a, b, out):
    ta, tb = tangents
    return plus(None if ta is None else ta @ b, None if tb is None else a @ tb)


def einsum_jvp(tangents, *operands, out, subscripts):
    terms = [
        tnp.einsum(subscripts, *operands[:i], t, *operands[i + 1 :])
        for i, t in enumerate(tangents)
        if t is not None
    ]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


jvp_rules[contractions.matmul] = matmul_jvp
jvp_rules[contractions.einsum] = einsum_jvp


# --- composites ---------------------------------------------------------------------------


def stop_gradient_jvp(tangents, x, out):
    return None  # a constant to differentiation


jvp_rules[primitives["stop_gradient"]] = stop_gradient_jvp


def log_softmax_jvp(tangents, x, out, axis):
    """t - sum(softmax * t): the softmax is exp(out), the log-softmax already computed."""
    (t,) = tangents
    return t - tnp.sum(tnp.exp(out) * t, axis=axis, keepdims=True)


jvp_rules[primitives["log_softmax"]] = log_softmax_jvp


def root_sum_squares_jvp(tangents, c, out, axis, keepdims, divisor):
    """sum(c * t) / (divisor * out), 0 where out is 0 (the subgradient the VJP chooses)."""
    (t,) = tangents
    return tnp.sum(c * t, axis=axis, keepdims=keepdims) * root_sum_squares_slope(out, divisor)


jvp_rules[primitives["root_sum_squares"]] = root_sum_squares_jvp


def pad_jvp(tangents, x, out, pad_width, mode, constant_values):
    """The tangent padded alike: with zeros where the pad is a constant."""
    (t,) = tangents
    return tnp.pad(t, pad_width, mode=mode)


jvp_rules[calls.pad] = pad_jvp


# --- linear primitives: each is its own JVP ---------------------------------------------


def linear_jvp(op: Primitive) -> JvpRule:
    """The JVP of a primitive linear in its floating-point operands: itself applied to their
    tangents (zeros of the operand's shape, in the output's dtype, for one without a
    tangent); other operands (indices, a condition) are passed as they are."""

    def jvp(tangents, *operands, outs, **params):
        if not any(differentiable_type(type_of(out)) for out in outs):
            return [None] * len(outs)  # a conversion to an integer dtype
        dtype = type_of(outs[0]).dtype
        arguments = [
            t
            if t is not None
            else (np.zeros(shape_of(x), dtype) if differentiable_type(type_of(x)) else x)
            for t, x in zip(tangents, operands, strict=True)
        ]
        trace = find_trace(arguments)
        if trace is None:  # constant tangents (a basis direction): NumPy computes them now
            return list(constant_linear(op, arguments, params))
        return trace.bind_many(op, arguments, **params)

    return jvp


# What a linear primitive computes on constants (a basis direction's tangent), with the
# tracing functions, which compute with NumPy there; a primitive's own `reference`, where
# it has one, comes first.
CONSTANT_FORMS: dict[Primitive, Callable[..., Any]] = {
    elementwise.neg: lambda x: -x,
    reductions.sum_: lambda x, axis, keepdims: tnp.sum(x, axis=axis, keepdims=keepdims),
    shapes.reshape: lambda x, shape: tnp.reshape(x, shape),
    shapes.transpose: lambda x, axes: tnp.transpose(x, axes),
    shapes.broadcast_to: lambda x, shape: tnp.broadcast_to(x, shape),
    shapes.concatenate: lambda *xs, axis: tnp.concatenate(list(xs), axis=axis),
    shapes.stack: lambda *xs, axis: tnp.stack(list(xs), axis=axis),
    shapes.convert: lambda x, dtype: cast(x, dtype),
    indexing.index: lambda x, index: np.asarray(x)[scatter.index_key(index)],
    indexing.gather: lambda x, *indices, axes: scatter.gather(x, list(indices), axes),
    indexing.index_scatter: lambda x, shape, index: scatter.index_scatter(x, shape, index),
    indexing.scatter_add: lambda x, *indices, shape, axes: scatter.scatter_add(
        x, list(indices), shape, axes
    ),
}


def constant_linear(op: Primitive, arguments: list[Any], params: dict[str, Any]) -> tuple:
    compute = op.reference or CONSTANT_FORMS[op]
    result = compute(*arguments, **params)
    return result if isinstance(result, tuple) else (result,)
