"""AD layer: one JVP rule per primitive, written with tracing functions so each reads like
the maths and records into the forward Graph.

A rule takes the list of input tangents (None where an input has none: a symbolic zero), the
primal inputs, the primal output (`out`) and the node's params; it returns the output's
tangent, or None where none flows. Only a tangent that is not None is ever read, so no zero
array is built that nothing needs. A linear primitive applies itself to the tangent. Rules
may return a tangent that still has to broadcast to the output's shape or be cast to its
dtype; `forward` does both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir import Primitive
from ..ir.primitive import Group, primitives
from ..ir.primitives import contractions as C
from ..ir.primitives import elementwise as E
from ..ir.primitives import indexing as I
from ..ir.primitives import reductions as R
from ..ir.primitives import shapes as S
from ..tracer import functions as tnp
from ..tracer import scatter
from ..tracer.context import find_trace
from ..tracer.functions import type_of
from .vjp_rules import (
    cast,
    keep_axes,
    power_derivative,
    power_exponent_derivative,
    products_of_the_others,
    root_sum_squares_slope,
    shape_of,
    times,
)

JvpRule = Callable[..., Any]
jvp_rules: dict[Primitive, JvpRule] = {}


def plus(a: Any, b: Any) -> Any:
    """a + b, where None is a zero."""
    if a is None:
        return b
    return a if b is None else a + b


def zero_if_none(t: Any) -> Any:
    return 0 if t is None else t


# --- elementwise: unary -----------------------------------------------------------------

def unary(rule: Callable[[Any, Any, Any], Any]) -> JvpRule:
    """A unary rule `rule(t, x, out)`, called only when a tangent flows in."""

    def jvp(tangents, x, out):
        (t,) = tangents
        return None if t is None else rule(t, x, out)

    return jvp


jvp_rules[E.neg] = unary(lambda t, x, out: -t)
jvp_rules[E.abs_] = unary(lambda t, x, out: t * tnp.sign(x))
jvp_rules[E.exp] = unary(lambda t, x, out: t * out)
jvp_rules[E.expm1] = unary(lambda t, x, out: t * (out + 1))
jvp_rules[E.log] = unary(lambda t, x, out: t / x)
jvp_rules[E.log1p] = unary(lambda t, x, out: t / (x + 1))
jvp_rules[E.sqrt] = unary(lambda t, x, out: t / (out * 2))
jvp_rules[E.square] = unary(lambda t, x, out: t * (x * 2))
jvp_rules[E.sin] = unary(lambda t, x, out: t * tnp.cos(x))
jvp_rules[E.cos] = unary(lambda t, x, out: -t * tnp.sin(x))
jvp_rules[E.tan] = unary(lambda t, x, out: t * (out * out + 1))
jvp_rules[E.arcsin] = unary(lambda t, x, out: t / tnp.sqrt(1 - x * x))
jvp_rules[E.arccos] = unary(lambda t, x, out: -t / tnp.sqrt(1 - x * x))
jvp_rules[E.arctan] = unary(lambda t, x, out: t / (x * x + 1))
jvp_rules[E.sinh] = unary(lambda t, x, out: t * tnp.cosh(x))
jvp_rules[E.cosh] = unary(lambda t, x, out: t * tnp.sinh(x))
jvp_rules[E.tanh] = unary(lambda t, x, out: t * (1 - out * out))


def no_tangent(tangents, *inputs, out, **params):
    """Piecewise-constant or non-numeric results: the tangent is zero (or there is none)."""
    return None


for op in (E.sign, E.floor, E.ceil, E.round_, E.floor_divide, R.argmax, R.argmin):
    jvp_rules[op] = no_tangent
for op in primitives.values():
    if op.group in (Group.COMPARISON, Group.LOGICAL):
        jvp_rules[op] = no_tangent


# --- elementwise: binary (broadcasting; `forward` broadcasts the result) -----------------

def add_jvp(tangents, x, y, out):
    return plus(*tangents)


def subtract_jvp(tangents, x, y, out):
    tx, ty = tangents
    return tx if ty is None else (-ty if tx is None else tx - ty)


def multiply_jvp(tangents, x, y, out):
    tx, ty = tangents
    return plus(None if tx is None else tx * y, None if ty is None else x * ty)


def divide_jvp(tangents, x, y, out):
    # d(x / y) = (dx - out dy) / y
    tx, ty = tangents
    if ty is None:
        return tx / y
    return (-ty * out if tx is None else tx - ty * out) / y


def remainder_jvp(tangents, x, y, out):
    # x mod y = x - floor(x / y) y, and floor(x / y) is piecewise constant
    tx, ty = tangents
    return plus(tx, None if ty is None else -ty * tnp.floor_divide(x, y))


def power_jvp(tangents, x, y, out):
    tx, ty = tangents
    dx = power_derivative(x, y) if tx is not None else None
    dy = power_exponent_derivative(x, y, out) if ty is not None else None
    return plus(None if dx is None else times(tx, dx), None if dy is None else times(ty, dy))


def arctan2_jvp(tangents, x1, x2, out):
    # d arctan2(x1, x2) = (x2 dx1 - x1 dx2) / (x1^2 + x2^2)
    t1, t2 = tangents
    numerator = plus(None if t1 is None else t1 * x2, None if t2 is None else -t2 * x1)
    return numerator / (x1 * x1 + x2 * x2)


def extremum_jvp(wins: Callable[[Any, Any], Any]) -> JvpRule:
    """maximum/minimum: the winner's tangent; at a tie the mean of both (as the VJP splits
    the cotangent evenly, as JAX does)."""

    def rule(tangents, x, y, out):
        tx, ty = (zero_if_none(t) for t in tangents)
        tie = plus(*(None if t is None else t * 0.5 for t in tangents))
        return tnp.where(wins(x, y), tx, tnp.where(wins(y, x), ty, tie))

    return rule


jvp_rules[E.add] = add_jvp
jvp_rules[E.subtract] = subtract_jvp
jvp_rules[E.multiply] = multiply_jvp
jvp_rules[E.divide] = divide_jvp
jvp_rules[E.remainder] = remainder_jvp
jvp_rules[E.power] = power_jvp
jvp_rules[E.arctan2] = arctan2_jvp
jvp_rules[E.maximum] = extremum_jvp(lambda a, b: a > b)
jvp_rules[E.minimum] = extremum_jvp(lambda a, b: a < b)


def where_jvp(tangents, condition, x, y, out):
    _, tx, ty = tangents
    return tnp.where(condition, zero_if_none(tx), zero_if_none(ty))


jvp_rules[E.where] = where_jvp


# --- reductions -------------------------------------------------------------------------

def sum_jvp(tangents, x, out, axis, keepdims):
    (t,) = tangents
    return tnp.sum(t, axis=axis, keepdims=keepdims)


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


jvp_rules[R.sum_] = sum_jvp
jvp_rules[R.prod] = prod_jvp
jvp_rules[R.max_] = extremum_reduction_jvp
jvp_rules[R.min_] = extremum_reduction_jvp


# --- contractions (bilinear: one term per operand with a tangent) ------------------------

def matmul_jvp(tangents, a, b, out):
    ta, tb = tangents
    return plus(None if ta is None else ta @ b, None if tb is None else a @ tb)


def einsum_jvp(tangents, *operands, out, subscripts):
    terms = [
        tnp.einsum(subscripts, *operands[:i], t, *operands[i + 1 :])
        for i, t in enumerate(tangents) if t is not None
    ]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


jvp_rules[C.matmul] = matmul_jvp
jvp_rules[C.einsum] = einsum_jvp


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


# --- shapes and conversions: linear, each applies itself to the tangent -------------------

def zeros_for_missing(tangents: list[Any], operands: tuple, out: Any) -> list[Any]:
    """Operands without a tangent contribute zeros of their shape (in the output's dtype)."""
    dtype = type_of(out).dtype
    return [np.zeros(shape_of(x), dtype) if t is None else t
            for t, x in zip(tangents, operands, strict=True)]


def concatenate_jvp(tangents, *operands, out, axis):
    return tnp.concatenate(zeros_for_missing(tangents, operands, out), axis=axis)


def stack_jvp(tangents, *operands, out, axis):
    return tnp.stack(zeros_for_missing(tangents, operands, out), axis=axis)


def convert_jvp(tangents, x, out, dtype):
    (t,) = tangents
    return cast(t, dtype) if np.dtype(dtype).kind in "fc" else None


jvp_rules[S.reshape] = lambda tangents, x, out, shape: tnp.reshape(tangents[0], shape)
jvp_rules[S.transpose] = lambda tangents, x, out, axes: tnp.transpose(tangents[0], axes)
jvp_rules[S.broadcast_to] = lambda tangents, x, out, shape: tnp.broadcast_to(tangents[0], shape)
jvp_rules[S.concatenate] = concatenate_jvp
jvp_rules[S.stack] = stack_jvp
jvp_rules[S.convert] = convert_jvp


# --- indexing and its transposes: linear in the indexed value ----------------------------

def index_jvp(tangents, x, out, index):
    (t,) = tangents
    trace = find_trace([t])
    if trace is None:
        return np.asarray(t)[scatter.index_key(index)]
    return trace.bind(I.index, [t], index=index)


def gather_jvp(tangents, x, *indices, out, axes):
    return scatter.gather(tangents[0], list(indices), axes)


def index_scatter_jvp(tangents, updates, out, shape, index):
    return scatter.index_scatter(tangents[0], shape, index)


def scatter_add_jvp(tangents, updates, *indices, out, shape, axes):
    return scatter.scatter_add(tangents[0], list(indices), shape, axes)


jvp_rules[I.index] = index_jvp
jvp_rules[I.gather] = gather_jvp
jvp_rules[I.index_scatter] = index_scatter_jvp
jvp_rules[I.scatter_add] = scatter_add_jvp
