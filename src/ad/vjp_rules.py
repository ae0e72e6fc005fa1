"""AD layer: one VJP rule per primitive, written with tracing functions so each reads like
the maths and records into the adjoint Graph.

A rule takes the output's cotangent, the primal inputs and the primal output (`out`), and
the node's params; it returns one cotangent per input, None where there is none. Inputs may
be Tracers or constants: with constants alone a rule simply computes with NumPy, so constant
cotangents fold while tracing. Rules may broadcast; `reverse` sums each cotangent back to
its input's shape and dtype.
"""

from __future__ import annotations

import functools
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
from ..tracer import control, scatter
from ..tracer import functions as tnp
from ..tracer.context import find_trace
from ..tracer.functions import type_of

VjpRule = Callable[..., list[Any]]
vjp_rules: dict[Primitive, VjpRule] = {}


def shape_of(x: Any) -> tuple[int, ...]:
    return type_of(x).shape


def cast(x: Any, dtype: np.dtype) -> Any:
    """`x` converted to `dtype`. A constant may be a Python number (a weak value's tangent or
    cotangent), which np.astype refuses: it becomes a NumPy scalar of that dtype."""
    if find_trace([x]) is None and not isinstance(x, np.ndarray | np.generic):
        return np.asarray(x, dtype)[()]
    return tnp.astype(x, dtype)


def unbroadcast(ct: Any, shape: tuple[int, ...]) -> Any:
    """Sum `ct` over the axes broadcasting added or stretched, back to `shape`."""
    ct_shape = shape_of(ct)
    if ct_shape == shape:
        return ct
    lead = len(ct_shape) - len(shape)
    stretched = tuple(lead + i for i, d in enumerate(shape) if d == 1 and ct_shape[lead + i] != 1)
    if stretched:  # keep the stretched axes as size 1: no reshape needed for them
        ct = tnp.sum(ct, axis=stretched, keepdims=True)
    if lead:
        ct = tnp.sum(ct, axis=tuple(range(lead)))
    return tnp.reshape(ct, shape)


def kept_shape(x: Any, axis: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axis else d for i, d in enumerate(shape_of(x)))


# --- elementwise: unary -----------------------------------------------------------------

vjp_rules[E.neg] = lambda ct, x, out: [-ct]
vjp_rules[E.abs_] = lambda ct, x, out: [ct * tnp.sign(x)]
vjp_rules[E.exp] = lambda ct, x, out: [ct * out]
vjp_rules[E.expm1] = lambda ct, x, out: [ct * (out + 1)]
vjp_rules[E.log] = lambda ct, x, out: [ct / x]
vjp_rules[E.log1p] = lambda ct, x, out: [ct / (x + 1)]
vjp_rules[E.sqrt] = lambda ct, x, out: [ct / (out * 2)]
vjp_rules[E.square] = lambda ct, x, out: [ct * (x * 2)]
vjp_rules[E.sin] = lambda ct, x, out: [ct * tnp.cos(x)]
vjp_rules[E.cos] = lambda ct, x, out: [-ct * tnp.sin(x)]
vjp_rules[E.tan] = lambda ct, x, out: [ct * (out * out + 1)]
vjp_rules[E.arcsin] = lambda ct, x, out: [ct / tnp.sqrt(1 - x * x)]
vjp_rules[E.arccos] = lambda ct, x, out: [-ct / tnp.sqrt(1 - x * x)]
vjp_rules[E.arctan] = lambda ct, x, out: [ct / (x * x + 1)]
vjp_rules[E.sinh] = lambda ct, x, out: [ct * tnp.cosh(x)]
vjp_rules[E.cosh] = lambda ct, x, out: [ct * tnp.sinh(x)]
vjp_rules[E.tanh] = lambda ct, x, out: [ct * (1 - out * out)]


def no_derivative(ct, *inputs, out, **params):
    """Piecewise-constant or non-numeric results: the derivative is zero (or none)."""
    return [None] * len(inputs)


for op in (E.sign, E.floor, E.ceil, E.round_, E.floor_divide, R.argmax, R.argmin):
    vjp_rules[op] = no_derivative
for op in primitives.values():
    if op.group in (Group.COMPARISON, Group.LOGICAL):
        vjp_rules[op] = no_derivative


# --- elementwise: binary (broadcasting) -------------------------------------------------

def binary(rule: Callable[..., tuple[Any, Any]]) -> VjpRule:
    """A binary rule whose results `reverse` unbroadcasts to each operand's shape."""

    def vjp(ct, x, y, out):
        dx, dy = rule(ct, x, y, out)
        return [unbroadcast(dx, shape_of(x)), unbroadcast(dy, shape_of(y))]

    return vjp


vjp_rules[E.add] = binary(lambda ct, x, y, out: (ct, ct))


def subtract_vjp(ct, x, y, out):
    # Negate after summing back to y's shape: the negation then runs on the smaller array.
    return [unbroadcast(ct, shape_of(x)), -unbroadcast(ct, shape_of(y))]


vjp_rules[E.subtract] = subtract_vjp
vjp_rules[E.multiply] = binary(lambda ct, x, y, out: (ct * y, ct * x))
vjp_rules[E.divide] = binary(lambda ct, x, y, out: (ct / y, -ct * out / y))
vjp_rules[E.remainder] = binary(lambda ct, x, y, out: (ct, -ct * tnp.floor_divide(x, y)))


def arctan2_vjp(ct, x1, x2, out):
    squared_radius = x1 * x1 + x2 * x2
    return ct * x2 / squared_radius, -ct * x1 / squared_radius


vjp_rules[E.arctan2] = binary(arctan2_vjp)


def is_constant_number(y: Any) -> bool:
    return np.ndim(y) == 0 and find_trace([y]) is None


def power_derivative(x: Any, y: Any) -> Any:
    """d(x ** y)/dx = y * x ** (y - 1), None where it is zero. A constant exponent picks its
    form while tracing (no cost at run time): x ** 0 and x ** 1 at x = 0 would compute
    0 * 0 ** -1 = nan and 1 * 0 ** 0 = 1; x ** 2 is 2 * x. A traced exponent that is 0 gets
    0 * x ** 0 = 0 (not 0 * 0 ** -1 = nan, which JAX avoids with a where on the result)."""
    if is_constant_number(y):
        if y == 0:
            return None
        return 1 if y == 1 else (x * 2 if y == 2 else y * x ** (y - 1))
    return y * x ** (tnp.where(y == 0, 1, y) - 1)


def power_exponent_derivative(x: Any, y: Any, out: Any) -> Any:
    """d(x ** y)/dy = out * log(x); where x == 0 the limit is 0, not nan (as in JAX). None
    for a constant exponent, which has no cotangent."""
    if is_constant_number(y):
        return None
    return out * tnp.log(tnp.where(x == 0, 1, x))


def times(a: Any, derivative: Any) -> Any:
    """a * derivative, where a derivative that is the constant 1 (x ** 1) adds no node."""
    return a if isinstance(derivative, int) and derivative == 1 else a * derivative


def power_vjp(ct, x, y, out):
    dx, dy = power_derivative(x, y), power_exponent_derivative(x, y, out)
    return [None if d is None else unbroadcast(times(ct, d), shape_of(operand))
            for d, operand in ((dx, x), (dy, y))]


vjp_rules[E.power] = power_vjp


def extremum_vjp(wins: Callable[[Any, Any], Any]) -> VjpRule:
    """maximum/minimum: the winner takes the cotangent, ties split it evenly (as JAX)."""

    def rule(ct, x, y, out):
        tie = tnp.where(x == y, ct * 0.5, 0)
        return tnp.where(wins(x, y), ct, tie), tnp.where(wins(y, x), ct, tie)

    return binary(rule)


vjp_rules[E.maximum] = extremum_vjp(lambda a, b: a > b)
vjp_rules[E.minimum] = extremum_vjp(lambda a, b: a < b)


def where_vjp(ct, condition, x, y, out):
    return [
        None,
        unbroadcast(tnp.where(condition, ct, 0), shape_of(x)),
        unbroadcast(tnp.where(condition, 0, ct), shape_of(y)),
    ]


vjp_rules[E.where] = where_vjp


# --- reductions -------------------------------------------------------------------------

def keep_axes(value: Any, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    """A reduced value with its reduced axes put back as size 1, to broadcast against x."""
    return value if keepdims else tnp.reshape(value, kept_shape(x, axis))


def sum_vjp(ct, x, out, axis, keepdims):
    return [tnp.broadcast_to(keep_axes(ct, x, axis, keepdims), shape_of(x))]


def products_of_the_others(x, out, axis, keepdims):
    """For each element, the product of the others along `axis`: d prod / d x_i.

    `prod / x_i`, exact (and differentiable again) where no element of the product is 0:
    then the product is not 0 either, so the test costs a look at the reduced value only.
    Otherwise (a zero, or an underflow) the zeros are counted, never divided by.
    """
    out = keep_axes(out, x, axis, keepdims)
    any_zero = tnp.sum(out == 0) > 0

    def with_zeros(x, out):  # the branches' names are those of the emitted JAX functions
        return products_with_zeros(x, out, axis)

    def without_zeros(x, out):
        return out / x

    trace = find_trace([any_zero])
    if trace is None:  # constants: NumPy picks the branch now
        return with_zeros(x, out) if any_zero else without_zeros(x, out)
    with trace.running():  # the branch is recorded into the trace this rule writes
        return control.cond(any_zero, at_line_of(trace, with_zeros),
                            at_line_of(trace, without_zeros), x, out)


def at_line_of(trace: Any, branch: Callable) -> Callable:
    """`branch` recording at the line `trace` records at (the user's line the rule comes
    from), not at the line that called the transform: the emitted code must not depend on
    where it is called from."""

    @functools.wraps(branch)
    def pinned(*operands):
        nested = find_trace(list(operands))
        if nested is None or not trace.fixed:
            return branch(*operands)
        with nested.at(trace.fixed_loc):
            return branch(*operands)

    return pinned


def products_with_zeros(x, out, axis):
    """`out / x_i` where x_i != 0. At a zero the product of the non-zero elements, times the
    other zeros: 1 where x_i is the only zero, the other zero itself where there are two (its
    value 0, its derivative the Hessian's entry), 0 where there are more."""
    zero = x == 0
    count = tnp.sum(zero, axis=axis, keepdims=True)
    safe = tnp.where(zero, 1, x)
    nonzero_product = tnp.prod(safe, axis=axis, keepdims=True)
    other_zero = tnp.sum(tnp.where(zero, x, 0), axis=axis, keepdims=True) - x
    other_zeros = tnp.where(count == 1, 1, tnp.where(count == 2, other_zero, 0))
    return tnp.where(zero, nonzero_product * other_zeros, out / safe)


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


vjp_rules[R.sum_] = sum_vjp
vjp_rules[R.prod] = prod_vjp
vjp_rules[R.max_] = extremum_reduction_vjp
vjp_rules[R.min_] = extremum_reduction_vjp


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
    (product,) = C.matmul.infer((type_of(a2), type_of(b2)), {})
    ct2 = tnp.reshape(ct, product.shape)
    da = unbroadcast(ct2 @ swap_last(b2), shape_of(a2))
    db = unbroadcast(swap_last(a2) @ ct2, shape_of(b2))
    return [tnp.reshape(da, a_shape), tnp.reshape(db, b_shape)]


vjp_rules[C.matmul] = matmul_vjp


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
    spare = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 if c not in term)
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


vjp_rules[C.einsum] = einsum_vjp


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


def root_sum_squares_slope(out, divisor):
    """1 / (divisor * out), the reduced factor of d out / d c = c / (divisor * out). Where out
    is 0 (every c is 0: a norm at 0, equal values' spread) the root has a kink, a cone whose
    subgradients fill a ball around 0; we choose 0 there (jax.grad gives 0 * inf = nan). The
    where runs on the reduced value only, so it costs nothing beside the full-size product."""
    return 1 / (tnp.where(out == 0, 1, out) * divisor)


def root_sum_squares_vjp(ct, c, out, axis, keepdims, divisor):
    slope = keep_axes(ct * root_sum_squares_slope(out, divisor), c, axis, keepdims)
    return [c * slope]


vjp_rules[primitives["root_sum_squares"]] = root_sum_squares_vjp


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


vjp_rules[S.reshape] = lambda ct, x, out, shape: [tnp.reshape(ct, shape_of(x))]
vjp_rules[S.transpose] = lambda ct, x, out, axes: [tnp.transpose(ct, tuple(np.argsort(axes)))]
vjp_rules[S.broadcast_to] = lambda ct, x, out, shape: [unbroadcast(ct, shape_of(x))]
vjp_rules[S.concatenate] = concatenate_vjp
vjp_rules[S.stack] = lambda ct, *xs, out, axis: [ct[along(axis, i)] for i in range(len(xs))]
vjp_rules[S.convert] = convert_vjp


# --- indexing and its transposes --------------------------------------------------------

def index_vjp(ct, x, out, index):
    """The cotangent lands where the index read; axes the index added (None) are dropped."""
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


vjp_rules[I.index] = index_vjp
vjp_rules[I.gather] = gather_vjp
vjp_rules[I.index_scatter] = index_scatter_vjp
vjp_rules[I.scatter_add] = scatter_add_vjp
