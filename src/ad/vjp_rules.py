"""AD layer: one VJP rule per primitive, written with tracing functions so each reads like
the maths and records into the adjoint Graph.

A rule takes the outputs' cotangents, the primal inputs, the primal outputs and the node's
params, and returns one cotangent per input, None where there is none (the list convention,
interpreter.py); a single-output rule is written `rule(ct, *inputs, out, **params)`. Inputs
may be Tracers or constants: with constants alone a rule simply computes with NumPy, so
constant cotangents fold while tracing. Rules may broadcast; `reverse` sums each cotangent
back to its input's shape and dtype.

The elementwise rules come from the derivative tables (derivatives.py) that forward mode
reads too. Primitives without an entry here: the piecewise-constant ones (no derivative
flows) and composites with a decomposition (reverse mode differentiates through it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir.primitive import primitives
from ..ir.primitives import calls, contractions, elementwise, indexing, reductions, shapes
from ..tracer import functions as tnp
from ..tracer import scatter
from ..tracer.functions import type_of
from .derivatives import (
    BINARY,
    QUOTIENTS,
    UNARY,
    WINS,
    Partials,
    Scaled,
    cast,
    extremum_winners,
    keep_axes,
    products_of_the_others,
    root_sum_squares_slope,
    shape_of,
    tie_share,
    unbroadcast,
)
from .interpreter import RuleTable, single_output_vjp

VjpRule = Callable[..., list[Any]]
vjp_rules = RuleTable("VJP", single_output_vjp)


# --- elementwise: from the derivative tables ------------------------------------------------


def unary_vjp(scaled: Scaled) -> VjpRule:
    # In the list convention itself: the rules most nodes call, one call layer fewer.
    return lambda cts, x, outs: [scaled(cts[0], x, outs[0])]


def binary_vjp(partials: Partials) -> VjpRule:
    """ct times each partial, summed back to its operand's shape."""

    def vjp(cts, x, y, outs):
        ct = cts[0]
        return [
            None if d is None else unbroadcast(d, shape_of(v))
            for d, v in zip(partials(ct, ct, x, y, outs[0]), (x, y), strict=True)
        ]

    return vjp


for op, scaled in UNARY.items():
    vjp_rules[op] = unary_vjp(scaled)
for op, partials in BINARY.items():
    vjp_rules[op] = binary_vjp(partials)
for op, quotient in QUOTIENTS.items():
    vjp_rules[op] = binary_vjp(quotient.partials)


# --- elementwise: linear (each its own transpose), and the extrema ---------------------------

vjp_rules[elementwise.neg] = lambda ct, x, out: [-ct]
vjp_rules[elementwise.add] = lambda ct, x, y, out: [
    unbroadcast(ct, shape_of(x)),
    unbroadcast(ct, shape_of(y)),
]


def subtract_vjp(ct, x, y, out):
    # Negate after summing back to y's shape: the negation then runs on the smaller array.
    return [unbroadcast(ct, shape_of(x)), -unbroadcast(ct, shape_of(y))]


vjp_rules[elementwise.subtract] = subtract_vjp


def extremum_vjp(wins: Callable[[Any, Any], Any]) -> VjpRule:
    """maximum/minimum: the winner takes the cotangent, ties split it evenly (derivatives.py
    says why this select is written per mode)."""

    def rule(ct, x, y, out):
        tie = tnp.where(x == y, tie_share(ct), 0)
        d_x, d_y = tnp.where(wins(x, y), ct, tie), tnp.where(wins(y, x), ct, tie)
        return [unbroadcast(d_x, shape_of(x)), unbroadcast(d_y, shape_of(y))]

    return rule


for op, wins in WINS.items():
    vjp_rules[op] = extremum_vjp(wins)


def where_vjp(ct, condition, x, y, out):
    return [
        None,
        unbroadcast(tnp.where(condition, ct, 0), shape_of(x)),
        unbroadcast(tnp.where(condition, 0, ct), shape_of(y)),
    ]


vjp_rules[elementwise.where] = where_vjp


# --- reductions -------------------------------------------------------------------------


def sum_vjp(ct, x, out, axis, keepdims):
    return [tnp.broadcast_to(keep_axes(ct, x, axis, keepdims), shape_of(x))]


def prod_vjp(ct, x, out, axis, keepdims):
    return [keep_axes(ct, x, axis, keepdims) * products_of_the_others(x, out, axis, keepdims)]


def extremum_reduction_vjp(ct, x, out, axis, keepdims):
    # The positions that hold the extremum share its cotangent evenly; like JAX, the share
    # is a product with the 0/1 mask of winners.
    winners = x == keep_axes(out, x, axis, keepdims)
    # How many tie for the extremum, counted in ct's dtype (as JAX does; a float count also
    # divides faster than an int64 one).
    share = tnp.sum(tnp.astype(winners, type_of(ct).dtype), axis=axis, keepdims=True)
    return [winners * (keep_axes(ct, x, axis, keepdims) / share)]


vjp_rules[reductions.sum_] = sum_vjp
vjp_rules[reductions.prod] = prod_vjp
vjp_rules[reductions.max_] = extremum_reduction_vjp
vjp_rules[reductions.min_] = extremum_reduction_vjp


def cumsum_vjp(ct, x, out, axis):
    """A running sum's transpose is the running sum from the other end: `ct` reversed along
    the axis, summed, and reversed back."""
    backwards = along(axis, slice(None, None, -1))
    return [tnp.cumsum(ct[backwards], axis=axis)[backwards]]


vjp_rules[reductions.cumsum] = cumsum_vjp

# --- contractions -----------------------------------------------------------------------


def swap_last(x: Any) -> Any:
    return tnp.swapaxes(x, -1, -2)


def matmul_vjp(ct, a, b, out):
    a_shape, b_shape = shape_of(a), shape_of(b)
    if len(a_shape) == 1 and len(b_shape) == 1:
        return [ct * b, ct * a]
    # Matrix and vector: the vector's cotangent is a vector-matrix product (`d_z @ X`, as
    # written by hand; a transposed matrix would be copied by XLA), the matrix's an outer one.
    if len(a_shape) == 2 and len(b_shape) == 1:
        return [tnp.reshape(ct, (a_shape[0], 1)) * b, ct @ a]
    if len(a_shape) == 1 and len(b_shape) == 2:
        return [b @ ct, tnp.reshape(a, (a_shape[0], 1)) * ct]
    # Give 1-D operands their matrix shape, as matmul does, then use the matrix rule.
    a2 = tnp.reshape(a, (1, *a_shape)) if len(a_shape) == 1 else a
    b2 = tnp.reshape(b, (*b_shape, 1)) if len(b_shape) == 1 else b
    (product,) = contractions.matmul.infer((type_of(a2), type_of(b2)), {})
    ct2 = tnp.reshape(ct, product.shape)
    da = unbroadcast(ct2 @ swap_last(b2), shape_of(a2))
    db = unbroadcast(swap_last(a2) @ ct2, shape_of(b2))
    return [tnp.reshape(da, a_shape), tnp.reshape(db, b_shape)]


vjp_rules[contractions.matmul] = matmul_vjp


def einsum_vjp(ct, *operands, out, subscripts):
    inputs, output = subscripts.split("->")
    terms = inputs.split(",")
    cotangents = []
    for i, term in enumerate(terms):
        others = [(t, x) for j, (t, x) in enumerate(zip(terms, operands, strict=True)) if j != i]
        available = set(output).union(*(set(t) for t, _ in others))
        unique = "".join(dict.fromkeys(term))
        reachable = "".join(c for c in unique if c in available)
        spec = ",".join([output, *(t for t, _ in others)]) + "->" + reachable
        partial = tnp.einsum(spec, ct, *(x for _, x in others))
        sizes = dict(zip(term, shape_of(operands[i]), strict=True))
        if reachable != unique:  # letters only this operand sums over: broadcast back
            partial = tnp.reshape(partial, tuple(sizes[c] if c in reachable else 1 for c in unique))
            partial = tnp.broadcast_to(partial, tuple(sizes[c] for c in unique))
        if unique != term:  # a repeated letter is a diagonal: spread it with identities
            cotangents.append(diagonal_cotangent(partial, term, unique, sizes))
        else:
            cotangents.append(partial)
    return cotangents


def diagonal_cotangent(partial: Any, term: str, unique: str, sizes: dict[str, int]) -> Any:
    """The cotangent of an operand like `ii`: each repeat gets a fresh letter tied to the
    first by an identity matrix (`i,ij->ij` with eye), which einsum can write out."""
    spare = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in term)
    seen: set[str] = set()
    fresh, identities = "", []
    for c in term:
        if c in seen:
            letter = next(spare)
            fresh += letter
            identities.append((c + letter, np.eye(sizes[c], dtype=type_of(partial).dtype)))
        else:
            seen.add(c)
            fresh += c
    spec = ",".join([unique, *(t for t, _ in identities)]) + "->" + fresh
    return tnp.einsum(spec, partial, *(e for _, e in identities))


vjp_rules[contractions.einsum] = einsum_vjp


# --- composites ---------------------------------------------------------------------------


def stop_gradient_vjp(ct, x, out):
    return [None]  # a constant to differentiation


vjp_rules[primitives["stop_gradient"]] = stop_gradient_vjp


def log_softmax_vjp(ct, x, out, axis):
    """ct - softmax(x) * sum(ct), softmax computed from x as one writes it by hand: then a
    gradient that does not return the loss needs no log-softmax at all (it goes dead)."""
    e = tnp.exp(x - tnp.max(x, axis=axis, keepdims=True))
    softmax = e / tnp.sum(e, axis=axis, keepdims=True)
    return [ct - softmax * tnp.sum(ct, axis=axis, keepdims=True)]


vjp_rules[primitives["log_softmax"]] = log_softmax_vjp


def root_sum_squares_vjp(ct, c, out, axis, keepdims, divisor):
    slope = keep_axes(ct * root_sum_squares_slope(out, divisor), c, axis, keepdims)
    return [c * slope]


vjp_rules[primitives["root_sum_squares"]] = root_sum_squares_vjp


# --- composite calls: the permutations' transposes read as one call back -------------------


def negated(shift: int | tuple[int, ...]) -> int | tuple[int, ...]:
    return tuple(-s for s in shift) if isinstance(shift, tuple) else -shift


def pad_vjp(cts, x, outs, pad_width, mode, constant_values):
    """A constant pad's cotangent is one slice, the array's place in the padded one; the
    other modes' go through the decomposition (a scatter of the positions NumPy pads with)."""
    if mode != "constant":
        from .decompositions import decomposition_vjp  # it differentiates with this table

        return decomposition_vjp(calls.pad)(
            cts, x, outs=outs, pad_width=pad_width, mode=mode, constant_values=constant_values
        )
    widths = np.broadcast_to(np.asarray(pad_width), (type_of(x).ndim, 2))
    window = tuple(
        slice(int(b), n + int(b)) for (b, _), n in zip(widths, type_of(x).shape, strict=True)
    )
    return [cts[0][window]]


vjp_rules[calls.pad] = pad_vjp
vjp_rules[calls.flip] = lambda ct, x, out, axis: [tnp.flip(ct, axis)]
vjp_rules[calls.roll] = lambda ct, x, out, shift, axis: [tnp.roll(ct, negated(shift), axis)]


# --- shapes and conversions -------------------------------------------------------------


def along(axis: int, item: Any) -> tuple:
    return (slice(None),) * axis + (item,)


def concatenate_vjp(ct, *operands, out, axis):
    pieces, start = [], 0
    for x in operands:
        size = shape_of(x)[axis]
        pieces.append(ct[along(axis, slice(start, start + size))])
        start += size
    return pieces


def convert_vjp(ct, x, out, dtype):
    return [cast(ct, type_of(x).dtype) if type_of(x).dtype.kind in "fc" else None]


vjp_rules[shapes.reshape] = lambda ct, x, out, shape: [tnp.reshape(ct, shape_of(x))]
vjp_rules[shapes.transpose] = lambda ct, x, out, axes: [tnp.transpose(ct, tuple(np.argsort(axes)))]
vjp_rules[shapes.broadcast_to] = lambda ct, x, out, shape: [unbroadcast(ct, shape_of(x))]
vjp_rules[shapes.concatenate] = concatenate_vjp
vjp_rules[shapes.stack] = lambda ct, *xs, out, axis: [ct[along(axis, i)] for i in range(len(xs))]
vjp_rules[shapes.convert] = convert_vjp


# --- indexing and its transposes --------------------------------------------------------


def reverses_whole_axes(index: tuple, shape: tuple[int, ...]) -> bool:
    """Every item a whole axis, read forwards or backwards (np.flip, `x[::-1]`): the index
    only reorders `x`, and reading the cotangent the same way puts it back in place."""
    if len(index) > len(shape):
        return False
    for item, size in zip(index, shape, strict=False):
        if not isinstance(item, tuple):
            return False
        start, stop, step = slice(*item).indices(size)
        if abs(step) != 1 or len(range(start, stop, step)) != size:
            return False
    return True


def index_vjp(ct, x, out, index):
    """The cotangent lands where the index read; axes the index added (None) are dropped."""
    if reverses_whole_axes(index, shape_of(x)):
        return [ct[scatter.index_key(index)]]
    dims = iter(shape_of(ct))
    kept, key = [], []
    for item in index:
        if item is None:
            next(dims)
            continue
        key.append(item)
        if isinstance(item, tuple):
            kept.append(next(dims))
    kept.extend(dims)
    return [scatter.index_scatter(tnp.reshape(ct, tuple(kept)), shape_of(x), tuple(key))]


def gather_vjp(ct, x, *indices, out, axes):
    return [scatter.scatter_add(ct, list(indices), shape_of(x), axes), *[None] * len(indices)]


def index_scatter_vjp(ct, updates, out, shape, index):
    return [ct[scatter.index_key(index)]]


def scatter_add_vjp(ct, updates, *indices, out, shape, axes):
    return [scatter.gather(ct, list(indices), axes), *[None] * len(indices)]


def index_set_vjp(ct, x, v, out, index):
    """The written part of the old array gets no cotangent; the value gets the cotangent of
    where it was written (summed over what it was broadcast to)."""
    written = ct[scatter.index_key(index)]
    return [scatter.index_set(ct, 0, index), unbroadcast(written, shape_of(v))]


def gather_set_vjp(ct, x, v, *indices, out, axes):
    written = scatter.gather(ct, list(indices), axes)
    cleared = scatter.gather_set(ct, 0, list(indices), axes)
    return [cleared, unbroadcast(written, shape_of(v)), *[None] * len(indices)]


def index_add_vjp(ct, x, v, out, index):
    """The array's cotangent passes unchanged; the value's is read where it was added."""
    return [ct, unbroadcast(ct[scatter.index_key(index)], shape_of(v))]


def gather_add_vjp(ct, x, v, *indices, out, axes):
    added = scatter.gather(ct, list(indices), axes)
    return [ct, unbroadcast(added, shape_of(v)), *[None] * len(indices)]


def gather_extremum_vjp(ct, x, v, *indices, out, axes):
    """np.maximum.at / np.minimum.at: each position's cotangent goes to what holds its
    extremum (the old element or the values written there), split evenly among ties, as
    the extremum of a reduction shares it."""
    x_wins, v_wins, count = extremum_winners(x, v, list(indices), out, axes, type_of(ct).dtype)
    share = ct / count
    d_v = tnp.where(v_wins, scatter.gather(share, list(indices), axes), 0)
    return [tnp.where(x_wins, share, 0), unbroadcast(d_v, shape_of(v)), *[None] * len(indices)]


vjp_rules[indexing.index] = index_vjp
vjp_rules[indexing.gather] = gather_vjp
vjp_rules[indexing.index_scatter] = index_scatter_vjp
vjp_rules[indexing.scatter_add] = scatter_add_vjp
vjp_rules[indexing.index_set] = index_set_vjp
vjp_rules[indexing.gather_set] = gather_set_vjp
vjp_rules[indexing.index_add] = index_add_vjp
vjp_rules[indexing.gather_add] = gather_add_vjp
vjp_rules[indexing.gather_max] = gather_extremum_vjp
vjp_rules[indexing.gather_min] = gather_extremum_vjp
