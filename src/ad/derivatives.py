"""AD layer: the maths both modes share, written once.

The elementwise derivative tables give, per primitive, a seed `v` times the derivative:
`scaled(v, x, out) = v * f'(x)` for a unary function, one such partial per operand for a
binary one. Reverse mode calls them with the cotangent (`ct * f'`, then sums back to each
operand's shape), forward mode with the tangent (`t * f'`, summed over the operands), so a
derivative is never written twice. Each entry is written the way the emitted gradient reads
(`-v * sin(x)`, `v / x`): the seed goes first, as one writes `ct * cos(x)` by hand.

Derivatives over one denominator (divide, arctan2) are a `Quotient`, from which reverse mode
takes one partial per operand and forward mode one division of the combined numerator. The
extrema's facts (who wins, a tie's share) are here too; each mode writes its own select.

Besides the tables: the derivatives of power and of the product, and the reshaping helpers
(cast, unbroadcast, keep_axes) both modes' rules use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ir import Primitive, TensorType
from ..ir.primitives import elementwise, special
from ..tracer import control, scatter
from ..tracer import functions as tnp
from ..tracer.context import find_trace
from ..tracer.functions import type_of

# v * f'(x), given the seed v, the operand x and the primal output.
Scaled = Callable[[Any, Any, Any], Any]
# A binary primitive's partials, each times its own seed: partials(vx, vy, x, y, out) =
# (vx * df/dx, vy * df/dy), None for a seed that is None or a partial that is zero.
Partials = Callable[[Any, Any, Any, Any, Any], tuple[Any, Any]]


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


def keep_axes(value: Any, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    """A reduced value with its reduced axes put back as size 1, to broadcast against x."""
    return value if keepdims else tnp.reshape(value, kept_shape(x, axis))


def zeros(type_: TensorType) -> Any:
    """A constant zero of this type (a Python number for a weak type)."""
    return type_.python_type(0) if type_.weak else np.zeros(type_.shape, type_.dtype)[()]


def plus(a: Any, b: Any) -> Any:
    """a + b, where None is a zero."""
    if a is None:
        return b
    return a if b is None else a + b


LN2, LN10 = float(np.log(2)), float(np.log(10))

# --- elementwise: unary -------------------------------------------------------------------

UNARY: dict[Primitive, Scaled] = {
    elementwise.abs_: lambda v, x, out: v * tnp.sign(x),
    elementwise.exp: lambda v, x, out: v * out,
    elementwise.expm1: lambda v, x, out: v * (out + 1),
    elementwise.log: lambda v, x, out: v / x,
    elementwise.log1p: lambda v, x, out: v / (x + 1),
    elementwise.sqrt: lambda v, x, out: v / (out * 2),
    elementwise.square: lambda v, x, out: v * (x * 2),
    elementwise.sin: lambda v, x, out: v * tnp.cos(x),
    elementwise.cos: lambda v, x, out: -v * tnp.sin(x),
    elementwise.tan: lambda v, x, out: v * (out * out + 1),
    elementwise.arcsin: lambda v, x, out: v / tnp.sqrt(1 - x * x),
    elementwise.arccos: lambda v, x, out: -v / tnp.sqrt(1 - x * x),
    elementwise.arctan: lambda v, x, out: v / (x * x + 1),
    elementwise.sinh: lambda v, x, out: v * tnp.cosh(x),
    elementwise.cosh: lambda v, x, out: v * tnp.sinh(x),
    elementwise.tanh: lambda v, x, out: v * (1 - out * out),
    elementwise.log2: lambda v, x, out: v / (x * LN2),
    elementwise.log10: lambda v, x, out: v / (x * LN10),
    elementwise.exp2: lambda v, x, out: v * (out * LN2),
    elementwise.cbrt: lambda v, x, out: v / (out * out * 3),
    elementwise.fabs: lambda v, x, out: v * tnp.sign(x),
    elementwise.arcsinh: lambda v, x, out: v / tnp.sqrt(x * x + 1),
    elementwise.arccosh: lambda v, x, out: v / tnp.sqrt(x * x - 1),
    elementwise.arctanh: lambda v, x, out: v / (1 - x * x),
    # linear: the derivative converts the seed as the function converts x
    elementwise.deg2rad: lambda v, x, out: tnp.deg2rad(v),
    elementwise.rad2deg: lambda v, x, out: tnp.rad2deg(v),
}


# scipy.special's (ir/primitives/special.py), where SciPy is installed.
TWO_OVER_SQRT_PI, SQRT_PI_OVER_2 = float(2 / np.sqrt(np.pi)), float(np.sqrt(np.pi) / 2)
SQRT_2PI = float(np.sqrt(2 * np.pi))


def special_unary() -> dict[Primitive, Scaled]:
    S = special.SPECIAL
    if not S:
        return {}
    sp = tnp.special

    def bessel_ratio(x: Any, out: Any) -> Any:
        """i1(x) / x (and i1e's), 1/2 at x = 0 where the ratio tends to it."""
        return tnp.where(x == 0, 0.5, out / tnp.where(x == 0, 1, x))

    return {
        S["erf"]: lambda v, x, out: v * (TWO_OVER_SQRT_PI * tnp.exp(-(x * x))),
        S["erfc"]: lambda v, x, out: v * (-TWO_OVER_SQRT_PI * tnp.exp(-(x * x))),
        S["erfinv"]: lambda v, x, out: v * (SQRT_PI_OVER_2 * tnp.exp(out * out)),
        S["erfcinv"]: lambda v, x, out: v * (-SQRT_PI_OVER_2 * tnp.exp(out * out)),
        S["expit"]: lambda v, x, out: v * (out * (1 - out)),
        S["logit"]: lambda v, x, out: v / (x * (1 - x)),
        S["gammaln"]: lambda v, x, out: v * sp.digamma(x),
        S["gamma"]: lambda v, x, out: v * (out * sp.digamma(x)),
        S["digamma"]: lambda v, x, out: v * sp.polygamma(1, x),
        S["rgamma"]: lambda v, x, out: v * (-out * sp.digamma(x)),
        S["ndtr"]: lambda v, x, out: v * (tnp.exp(-0.5 * (x * x)) / SQRT_2PI),
        S["ndtri"]: lambda v, x, out: v * (SQRT_2PI * tnp.exp(0.5 * (out * out))),
        S["log_ndtr"]: lambda v, x, out: v * (tnp.exp(-0.5 * (x * x) - out) / SQRT_2PI),
        S["i0"]: lambda v, x, out: v * sp.i1(x),
        S["i1"]: lambda v, x, out: v * (sp.i0(x) - bessel_ratio(x, out)),
        S["i0e"]: lambda v, x, out: v * (sp.i1e(x) - tnp.sign(x) * out),
        S["i1e"]: lambda v, x, out: v * (sp.i0e(x) - tnp.sign(x) * out - bessel_ratio(x, out)),
        S["entr"]: lambda v, x, out: v * (-(tnp.log(x) + 1)),
    }


UNARY.update(special_unary())


# --- elementwise: binary --------------------------------------------------------------------


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
    """a * derivative, where a derivative that is None (zero) gives None and the constant 1
    (x ** 1) adds no node."""
    if derivative is None:
        return None
    return a if isinstance(derivative, int) and derivative == 1 else a * derivative


def seeded(v: Any, derivative: Callable[[Any], Any]) -> Any:
    return None if v is None else derivative(v)


def multiply_partials(vx, vy, x, y, out):
    return seeded(vx, lambda v: v * y), seeded(vy, lambda v: v * x)


def remainder_partials(vx, vy, x, y, out):
    # x mod y = x - floor(x / y) y, and floor(x / y) is piecewise constant
    return vx, seeded(vy, lambda v: -v * tnp.floor_divide(x, y))


def power_partials(vx, vy, x, y, out):
    dx = seeded(vx, lambda v: power_derivative(x, y))
    dy = seeded(vy, lambda v: power_exponent_derivative(x, y, out))
    return times(vx, dx), times(vy, dy)


def hypot_partials(vx, vy, x, y, out):
    # x / out and y / out; at x = y = 0, the tip of a cone, 0 (as root_sum_squares_slope
    # chooses for a norm; the chain rule gives 0 / 0 = nan)
    radius = tnp.where(out == 0, 1, out)
    return seeded(vx, lambda v: v * (x / radius)), seeded(vy, lambda v: v * (y / radius))


def logaddexp_partials(vx, vy, x, y, out):
    # each operand's share of the sum, exp(x) / (exp(x) + exp(y)) = exp(x - out)
    return seeded(vx, lambda v: v * tnp.exp(x - out)), seeded(vy, lambda v: v * tnp.exp(y - out))


def logaddexp2_partials(vx, vy, x, y, out):
    return seeded(vx, lambda v: v * tnp.exp2(x - out)), seeded(vy, lambda v: v * tnp.exp2(y - out))


def fmod_partials(vx, vy, x, y, out):
    # fmod(x, y) = x - trunc(x / y) y; the quotient rounded towards 0 is (x - out) / y, the
    # one the remainder was computed with (x / y itself may round up to the next integer)
    return vx, seeded(vy, lambda v: -v * ((x - out) / y))


def copysign_partials(vx, vy, x, y, out):
    # |x| with y's sign: the sign of x times the sign given (0 at x = 0, as |x|'s); y only
    # chooses a sign, piecewise constant
    return seeded(vx, lambda v: v * (tnp.sign(x) * tnp.sign(out))), None


def heaviside_partials(vx, vy, x, y, out):
    # a step in x (piecewise constant); the value at x == 0 is y itself
    return None, seeded(vy, lambda v: tnp.where(x == 0, v, 0))


def special_binary() -> dict[Primitive, Partials]:
    """scipy.special's of two operands: x log y, x log1p y and the relative entropy are 0
    where x is 0, whatever y, so their y-derivative is 0 there too."""
    S = special.SPECIAL
    if not S:
        return {}
    sp = tnp.special

    def over_y(x: Any, y: Any) -> Any:
        return tnp.where(x == 0, 0, x / tnp.where(x == 0, 1, y))

    def xlogy(vx, vy, x, y, out):
        return seeded(vx, lambda v: v * tnp.log(y)), seeded(vy, lambda v: v * over_y(x, y))

    def xlog1py(vx, vy, x, y, out):
        return seeded(vx, lambda v: v * tnp.log1p(y)), seeded(vy, lambda v: v * over_y(x, y + 1))

    def rel_entr(vx, vy, x, y, out):
        return seeded(vx, lambda v: v * (tnp.log(x / y) + 1)), seeded(vy, lambda v: -v * (x / y))

    def betaln(vx, vy, x, y, out):
        both = sp.digamma(x + y)
        return (
            seeded(vx, lambda v: v * (sp.digamma(x) - both)),
            seeded(vy, lambda v: v * (sp.digamma(y) - both)),
        )

    def beta(vx, vy, x, y, out):
        dx, dy = betaln(vx, vy, x, y, out)
        return times(out, dx), times(out, dy)

    return {
        S["xlogy"]: xlogy,
        S["xlog1py"]: xlog1py,
        S["rel_entr"]: rel_entr,
        S["betaln"]: betaln,
        S["beta"]: beta,
    }


BINARY: dict[Primitive, Partials] = {
    elementwise.multiply: multiply_partials,
    elementwise.remainder: remainder_partials,
    elementwise.power: power_partials,
    elementwise.hypot: hypot_partials,
    elementwise.logaddexp: logaddexp_partials,
    elementwise.logaddexp2: logaddexp2_partials,
    elementwise.fmod: fmod_partials,
    elementwise.copysign: copysign_partials,
    elementwise.heaviside: heaviside_partials,
    **special_binary(),
}


# --- elementwise: binary, over one denominator ----------------------------------------------

# term(v, x, y, out): a seed times one operand's factor in the numerator.
Term = Callable[[Any, Any, Any, Any], Any]


@dataclass(frozen=True, slots=True)
class Quotient:
    """A derivative over one denominator, df = (dx * p - dy * q) / d. Reverse mode divides
    each operand's term by d (the two cotangents are separate arrays); forward mode subtracts
    the terms first and divides once, where summing the partials would divide twice."""

    first: Term  # dx's term, v * p
    second: Term  # dy's term, v * q, subtracted
    denominator: Callable[[Any, Any, Any], Any]

    def partials(self, vx: Any, vy: Any, x: Any, y: Any, out: Any) -> tuple[Any, Any]:
        """(vx p / d, -vy q / d), the `Partials` reverse mode sums back to each operand."""
        d = self.denominator(x, y, out)
        return (
            seeded(vx, lambda v: self.first(v, x, y, out) / d),
            seeded(vy, lambda v: self.second(-v, x, y, out) / d),
        )

    def total(self, tx: Any, ty: Any, x: Any, y: Any, out: Any) -> Any:
        """(tx p - ty q) / d, forward mode's tangent; an operand without a tangent adds no
        term (`tx / y`, not `(tx - 0) / y`)."""
        if ty is None:
            numerator = self.first(tx, x, y, out)
        elif tx is None:
            numerator = self.second(-ty, x, y, out)
        else:
            numerator = self.first(tx, x, y, out) - self.second(ty, x, y, out)
        return numerator / self.denominator(x, y, out)


QUOTIENTS: dict[Primitive, Quotient] = {
    # d(x / y) = (dx - out dy) / y
    elementwise.divide: Quotient(
        first=lambda v, x, y, out: v,
        second=lambda v, x, y, out: v * out,
        denominator=lambda x, y, out: y,
    ),
    # d arctan2(x1, x2) = (x2 dx1 - x1 dx2) / (x1^2 + x2^2)
    elementwise.arctan2: Quotient(
        first=lambda v, x1, x2, out: v * x2,
        second=lambda v, x1, x2, out: v * x1,
        denominator=lambda x1, x2, out: x1 * x1 + x2 * x2,
    ),
}


# --- elementwise: the extrema -----------------------------------------------------------------
# maximum/minimum: the operand that wins takes the whole seed; at a tie each takes half (as
# JAX does), so the VJP and the JVP stay each other's transpose there. Each mode writes its
# own select (vjp_rules, jvp_rules): one weight (1, 1/2 or 0) times the seed would emit a
# product per operand and a weight array beside the where the seed itself goes through.


def is_nan(x: Any) -> Any:
    """True at a NaN (a constant answers now)."""
    return np.isnan(x) if find_trace([x]) is None else tnp.isnan(x)


def nan_loses(wins: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """fmax/fmin's winner: maximum/minimum's, and any operand against a NaN (which NumPy's
    fmax and fmin ignore). A constant without NaNs adds no test."""

    def wins_or_nan(a: Any, b: Any) -> Any:
        nan = is_nan(b)
        if find_trace([nan]) is None and not np.any(nan):
            return wins(a, b)
        return wins(a, b) | nan

    return wins_or_nan


WINS: dict[Primitive, Callable[[Any, Any], Any]] = {
    elementwise.maximum: lambda a, b: a > b,
    elementwise.minimum: lambda a, b: a < b,
    elementwise.fmax: nan_loses(lambda a, b: a > b),
    elementwise.fmin: nan_loses(lambda a, b: a < b),
}


def tie_share(v: Any) -> Any:
    """What each operand of a tie takes of the seed `v`."""
    return v * 0.5


# --- reductions and composites --------------------------------------------------------------


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
        return control.cond(
            any_zero, at_line_of(trace, with_zeros), at_line_of(trace, without_zeros), x, out
        )


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


def root_sum_squares_slope(out, divisor):
    """1 / (divisor * out), the reduced factor of d out / d c = c / (divisor * out). Where out
    is 0 (every c is 0: a norm at 0, equal values' spread) the root has a kink, a cone whose
    subgradients fill a ball around 0; we choose 0 there (jax.grad gives 0 * inf = nan). The
    where runs on the reduced value only, so it costs nothing beside the full-size product."""
    return 1 / (tnp.where(out == 0, 1, out) * divisor)


def extremum_winners(x, v, indices: list, out, axes: tuple[int, ...], dtype) -> tuple:
    """For np.maximum.at / np.minimum.at's result `out`: where the old element holds its
    position's extremum, where each written value does, and how many tie at each position
    (in `dtype`, at least 1: a NaN position counts none of them)."""
    landed = scatter.gather(out, indices, axes)
    v_wins = tnp.broadcast_to(v, shape_of(landed)) == landed
    x_wins = x == out
    count = tnp.astype(x_wins, dtype) + scatter.scatter_add(
        tnp.astype(v_wins, dtype), indices, shape_of(out), axes
    )
    return x_wins, v_wins, tnp.maximum(count, 1)
