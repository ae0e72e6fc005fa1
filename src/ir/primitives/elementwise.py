"""IR layer: elementwise primitives, typed exactly as the NumPy ufunc they stand for.

Dtypes come from the ufunc's own resolver (`ufunc.resolve_dtypes`), which applies NumPy 2's
promotion with NEP 50 weak Python scalars; shapes broadcast as NumPy broadcasts.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, Primitive, Trait, declare, primitives
from ..types import WEAK_PYTHON_TYPES, TensorType

# One sample per weak Python kind, to ask Python itself what an operator returns.
PYTHON_SAMPLES: dict[type, object] = {bool: True, int: 1, float: 1.0, complex: 1j}


def broadcast_shapes(name: str, types: tuple[TensorType, ...]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*(t.shape for t in types)))
    except ValueError:
        shapes = " and ".join(str(t) for t in types)
        raise TypeRuleError(
            f"{name}: operands {shapes} do not broadcast together "
            "(NumPy aligns shapes from the right; each pair of dimensions must match or be 1)",
            hint="reshape or transpose an operand so the shapes line up, "
            "e.g. `b[:, None]` to make a column",
        ) from None


def ufunc_operand(t: TensorType) -> np.dtype | type:
    """What `ufunc.resolve_dtypes` takes: the dtype, or the Python type for a weak scalar.

    It takes int, float and complex as weak, but not bool: a Python bool promotes exactly as
    np.bool_ does (bool is the lowest kind), so it passes as its dtype.
    """
    return t.python_type if t.weak and t.dtype.kind != "b" else t.dtype


def resolve(ufunc: np.ufunc, name: str, types: tuple[TensorType, ...]) -> np.dtype:
    dtype = resolved_dtype(ufunc, tuple(ufunc_operand(t) for t in types))
    if dtype is None:
        operands = ", ".join(str(t) for t in types)
        raise TypeRuleError(
            f"{name}: NumPy has no {ufunc.__name__} for operands of type {operands}",
            hint="convert the operands with .astype(...) to a dtype the operation supports",
        )
    return dtype


@functools.lru_cache(maxsize=4096)
def resolved_dtype(ufunc: np.ufunc, operands: tuple) -> np.dtype | None:
    """NumPy's result dtype for these operand dtypes (None: NumPy has no loop for them).
    Cached: tracing asks the same few questions thousands of times."""
    try:
        return ufunc.resolve_dtypes((*operands, None))[-1]
    except (TypeError, ValueError, OverflowError):
        return None


def python_result(python_op: Callable, types: tuple[TensorType, ...]) -> TensorType | None:
    """The weak type Python arithmetic gives when every operand is a Python scalar."""
    samples = [PYTHON_SAMPLES[t.python_type] for t in types]
    try:
        result = python_op(*samples)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    dtype = np.result_type(type(result))
    return TensorType((), dtype, weak=True) if dtype in WEAK_PYTHON_TYPES else None


def ufunc_rule(name: str, ufunc: np.ufunc, python_op: Callable | None):
    """The type rule of an elementwise primitive backed by `ufunc`.

    `python_op` is set for primitives written as Python operators (`a + b`, `-a`): applied to
    Python scalars alone they give a Python scalar (weak), as the user's code would.
    Cached: a long function asks the same few questions for every node it records, and each
    answer (a broadcast, a dtype resolution, a TensorType) costs more than the look-up.
    """

    @functools.lru_cache(maxsize=4096)
    def rule(types: tuple[TensorType, ...]) -> tuple[TensorType, ...]:
        if len(types) != ufunc.nin:
            raise TypeRuleError(f"{name} takes {ufunc.nin} operands, got {len(types)}")
        if python_op is not None and all(t.weak for t in types):
            weak = python_result(python_op, types)
            if weak is not None:
                return (weak,)
        shape = broadcast_shapes(name, types)
        return (TensorType(shape, resolve(ufunc, name, types)),)

    return rule


def round_rule(types: tuple[TensorType, ...], decimals: int = 0) -> tuple[TensorType, ...]:
    (x,) = types
    if not isinstance(decimals, int):
        raise TypeRuleError(f"round: decimals must be an int, got {decimals!r}")
    if x.dtype.kind == "b" and decimals != 0:
        raise TypeRuleError(
            f"round: cannot round {x} to {decimals} decimals (nor can NumPy)",
            hint="convert it with .astype(float) first",
        )
    # np.round keeps integer dtypes; everything else follows np.rint (bool rounds to f16).
    dtype = x.dtype if x.dtype.kind in "iu" else resolve(np.rint, "round", (x,))
    return (TensorType(x.shape, dtype),)


def where_rule(types: tuple[TensorType, ...]) -> tuple[TensorType, ...]:
    if len(types) != 3:
        raise TypeRuleError(f"where takes a condition and two values, got {len(types)} operands")
    shape = broadcast_shapes("where", types)
    values = [PYTHON_SAMPLES[t.python_type] if t.weak else t.dtype for t in types[1:]]
    return (TensorType(shape, np.result_type(*values)),)


def _declare_ufunc(
    name: str,
    group: Group,
    ufunc: np.ufunc,
    python_op: Callable | None = None,
    doc: str = "",
    traits: frozenset[Trait] = frozenset(),
) -> Primitive:
    traits = traits | {Trait.ELEMENTWISE}
    if group in (Group.COMPARISON, Group.LOGICAL):
        traits |= {Trait.PIECEWISE_CONSTANT}
    rule = ufunc_rule(name, ufunc, python_op)
    return declare(name, group, rule, doc, traits=traits, reference=ufunc)


IS_LINEAR = frozenset({Trait.LINEAR})
IS_COMMUTATIVE = frozenset({Trait.COMMUTATIVE})
IS_PIECEWISE_CONSTANT = frozenset({Trait.PIECEWISE_CONSTANT})


UNARY, BINARY = Group.UNARY, Group.BINARY
COMPARISON, LOGICAL = Group.COMPARISON, Group.LOGICAL

# Unary elementwise: -x, abs(x) keep Python scalars Python scalars; the np.* functions do not.
neg = _declare_ufunc("neg", UNARY, np.negative, operator.neg, "-x", traits=IS_LINEAR)
abs_ = _declare_ufunc("abs", UNARY, np.absolute, abs, "|x|")
sign = _declare_ufunc(
    "sign", UNARY, np.sign, doc="-1, 0 or 1 by the sign of x", traits=IS_PIECEWISE_CONSTANT
)
exp = _declare_ufunc("exp", UNARY, np.exp, doc="e**x")
expm1 = _declare_ufunc("expm1", UNARY, np.expm1, doc="e**x - 1, exact near 0")
log = _declare_ufunc("log", UNARY, np.log, doc="natural logarithm")
log1p = _declare_ufunc("log1p", UNARY, np.log1p, doc="log(1 + x), exact near 0")
sqrt = _declare_ufunc("sqrt", UNARY, np.sqrt, doc="square root")
square = _declare_ufunc("square", UNARY, np.square, doc="x * x")
sin = _declare_ufunc("sin", UNARY, np.sin, doc="sine")
cos = _declare_ufunc("cos", UNARY, np.cos, doc="cosine")
tan = _declare_ufunc("tan", UNARY, np.tan, doc="tangent")
arcsin = _declare_ufunc("arcsin", UNARY, np.arcsin, doc="inverse sine")
arccos = _declare_ufunc("arccos", UNARY, np.arccos, doc="inverse cosine")
arctan = _declare_ufunc("arctan", UNARY, np.arctan, doc="inverse tangent")
sinh = _declare_ufunc("sinh", UNARY, np.sinh, doc="hyperbolic sine")
cosh = _declare_ufunc("cosh", UNARY, np.cosh, doc="hyperbolic cosine")
tanh = _declare_ufunc("tanh", UNARY, np.tanh, doc="hyperbolic tangent")
floor = _declare_ufunc(
    "floor", UNARY, np.floor, doc="round towards -inf", traits=IS_PIECEWISE_CONSTANT
)
ceil = _declare_ufunc(
    "ceil", UNARY, np.ceil, doc="round towards +inf", traits=IS_PIECEWISE_CONSTANT
)
log2 = _declare_ufunc("log2", UNARY, np.log2, doc="base-2 logarithm")
log10 = _declare_ufunc("log10", UNARY, np.log10, doc="base-10 logarithm")
exp2 = _declare_ufunc("exp2", UNARY, np.exp2, doc="2**x")
cbrt = _declare_ufunc("cbrt", UNARY, np.cbrt, doc="cube root, real for negative x too")
fabs = _declare_ufunc("fabs", UNARY, np.fabs, doc="|x| as a float")
arcsinh = _declare_ufunc("arcsinh", UNARY, np.arcsinh, doc="inverse hyperbolic sine")
arccosh = _declare_ufunc("arccosh", UNARY, np.arccosh, doc="inverse hyperbolic cosine")
arctanh = _declare_ufunc("arctanh", UNARY, np.arctanh, doc="inverse hyperbolic tangent")
deg2rad = _declare_ufunc(
    "deg2rad", UNARY, np.deg2rad, doc="degrees to radians, x * pi / 180", traits=IS_LINEAR
)
rad2deg = _declare_ufunc(
    "rad2deg", UNARY, np.rad2deg, doc="radians to degrees, x * 180 / pi", traits=IS_LINEAR
)
round_ = declare(
    "round",
    UNARY,
    round_rule,
    "round half to even, to `decimals` places",
    traits={Trait.ELEMENTWISE, Trait.PIECEWISE_CONSTANT},
    reference=lambda x, decimals=0: np.round(x, decimals),
)

# Binary elementwise, broadcasting.
add = _declare_ufunc(
    "add", BINARY, np.add, operator.add, "x + y", traits=IS_LINEAR | IS_COMMUTATIVE
)
subtract = _declare_ufunc("subtract", BINARY, np.subtract, operator.sub, "x - y", traits=IS_LINEAR)
multiply = _declare_ufunc(
    "multiply", BINARY, np.multiply, operator.mul, "x * y", traits=IS_COMMUTATIVE
)
divide = _declare_ufunc("divide", BINARY, np.divide, operator.truediv, "x / y (true division)")
floor_divide = _declare_ufunc(
    "floor_divide",
    BINARY,
    np.floor_divide,
    operator.floordiv,
    "x // y",
    traits=IS_PIECEWISE_CONSTANT,
)
remainder = _declare_ufunc("remainder", BINARY, np.remainder, operator.mod, "x % y")
power = _declare_ufunc("power", BINARY, np.power, operator.pow, "x ** y")
maximum = _declare_ufunc("maximum", BINARY, np.maximum, doc="elementwise larger, NaN wins")
minimum = _declare_ufunc("minimum", BINARY, np.minimum, doc="elementwise smaller, NaN wins")
arctan2 = _declare_ufunc("arctan2", BINARY, np.arctan2, doc="angle of the point (x2, x1)")
hypot = _declare_ufunc("hypot", BINARY, np.hypot, doc="sqrt(x**2 + y**2), without overflow")
logaddexp = _declare_ufunc("logaddexp", BINARY, np.logaddexp, doc="log(exp(x) + exp(y)), stably")
logaddexp2 = _declare_ufunc("logaddexp2", BINARY, np.logaddexp2, doc="log2(2**x + 2**y), stably")
fmax = _declare_ufunc("fmax", BINARY, np.fmax, doc="elementwise larger, NaN loses")
fmin = _declare_ufunc("fmin", BINARY, np.fmin, doc="elementwise smaller, NaN loses")
fmod = _declare_ufunc("fmod", BINARY, np.fmod, doc="remainder of x / y, with the sign of x")
copysign = _declare_ufunc("copysign", BINARY, np.copysign, doc="|x| with the sign of y")
# heaviside(x, y): 0 below 0, 1 above, y at 0 (its derivative flows to y only, where x is 0).
heaviside = _declare_ufunc("heaviside", BINARY, np.heaviside, doc="step function of x, y at 0")

# Comparisons give bool; on Python scalars alone they give a Python bool.
equal = _declare_ufunc("equal", COMPARISON, np.equal, operator.eq, "x == y", traits=IS_COMMUTATIVE)
not_equal = _declare_ufunc(
    "not_equal", COMPARISON, np.not_equal, operator.ne, "x != y", traits=IS_COMMUTATIVE
)
less = _declare_ufunc("less", COMPARISON, np.less, operator.lt, "x < y")
less_equal = _declare_ufunc("less_equal", COMPARISON, np.less_equal, operator.le, "x <= y")
greater = _declare_ufunc("greater", COMPARISON, np.greater, operator.gt, "x > y")
greater_equal = _declare_ufunc("greater_equal", COMPARISON, np.greater_equal, operator.ge, "x >= y")
# signbit compares with zero by the sign bit (so -0.0 and -nan count as negative).
signbit = _declare_ufunc("signbit", COMPARISON, np.signbit, doc="x has its sign bit set")

# Predicates on floating values: a boolean result, as the comparisons give.
isnan = _declare_ufunc("isnan", COMPARISON, np.isnan, doc="x is NaN")
isinf = _declare_ufunc("isinf", COMPARISON, np.isinf, doc="x is +inf or -inf")
isfinite = _declare_ufunc("isfinite", COMPARISON, np.isfinite, doc="x is neither NaN nor infinite")

# Logical connectives on truth values.
logical_and = _declare_ufunc(
    "logical_and", LOGICAL, np.logical_and, doc="x and y, elementwise", traits=IS_COMMUTATIVE
)
logical_or = _declare_ufunc(
    "logical_or", LOGICAL, np.logical_or, doc="x or y, elementwise", traits=IS_COMMUTATIVE
)
logical_not = _declare_ufunc("logical_not", LOGICAL, np.logical_not, doc="not x, elementwise")
logical_xor = _declare_ufunc(
    "logical_xor", LOGICAL, np.logical_xor, doc="x or y but not both", traits=IS_COMMUTATIVE
)

# where(condition, x, y): x where the condition holds, else y; broadcasting all three.
# Linear in x and y (the condition carries no derivative).
where = declare(
    "where",
    Group.SELECT,
    where_rule,
    "x where condition else y",
    traits={Trait.ELEMENTWISE, Trait.LINEAR},
    reference=np.where,
)

# The ufunc behind each elementwise primitive: the tracer dispatches on it. Read from the
# primitives' references, so there is one list of them.
UFUNCS: dict[Primitive, np.ufunc] = {
    op: op.reference
    for op in primitives.values()
    if op.has(Trait.ELEMENTWISE) and isinstance(op.reference, np.ufunc)
}
