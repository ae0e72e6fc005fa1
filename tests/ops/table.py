"""One row per NumPy operation the tracer supports, in the spirit of PyTorch's OpInfo.

Generic checks in tests/ops/test_*.py are parametrised over ROWS. A row's `fn` is written
against the module-level name `np`, so the JAX check rebuilds it over jax.numpy (the same
source, as tests/catalog does). Later a batching (vmap) check joins: a row will then gain a
`batchable` flag (and the operand axes to map over); the other fields stay as they are.

Add a row: append `OpRow(np.f, fn, ...)` to the group below that fits (or use `unary`/`binary`),
give the domain that avoids poles, kinks and ties, and clear `derivative` / `jax` where they do
not apply. tests/ops/test_completeness.py fails until every traced NumPy entry has a row.

Past the fixed samples, `draws` (tests/ops/draws.py) let hypothesis choose shapes, axes and
spellings for the VJP and JVP checks of tests/ops/test_drawn.py, and `type_draws`
(tests/ops/numpy_calls.py) draw dtypes, Python scalars, constants and invalid arguments for the
type-rule check against NumPy (its result, or its error as a TraceError). A function tracegrad
refuses names why in `rejected`: the only check is that tracing raises a TraceError.
"""

from __future__ import annotations

import operator
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from tests.ops import draws
from tests.ops import numpy_calls as calls

Shapes = tuple[tuple[int, ...], ...]  # one shape per operand


@dataclass(frozen=True)
class OpRow:
    function: object  # the NumPy entry this row covers (np.tanh), as keyed in dispatch tables
    fn: Callable  # the source the checks trace: fn(*operands, **kwargs), written against `np`
    name: str = ""
    samples: tuple[Shapes, ...] = (((3,),), ((2, 3),))  # broadcasting cases go here
    kwargs: tuple[Mapping[str, object], ...] = ({},)  # keyword variants: each one is checked
    differentiable: tuple[int, ...] = (0,)  # operand positions the VJP/JVP checks perturb
    low: float = -2.0  # the domain samples are drawn from (away from poles, kinks and ties)
    high: float = 2.0
    dtype: str = "float64"  # of the samples: "float64" (type rules also try float32), "bool"
    derivative: bool = True  # False: integer/bool output or no derivative to check
    second_order: bool = True  # twice differentiable on the domain
    jax: bool = True  # jax.numpy has the function under the same name and signature
    step: float = 1e-6  # of the finite differences (a float32 result needs a larger one)
    rtol: float = 1e-5  # of the derivative checks against finite differences
    scalar: float | None = None  # a Python float operand the derivative checks also try
    draws: tuple[draws.Draw, ...] = ()  # hypothesis cases for the derivative checks
    float32_draws: bool = False  # the draws are also checked on float32 operands
    type_draws: tuple[calls.TypeDraw, ...] = ()  # hypothesis calls checked against NumPy
    rejected: str = ""  # why tracegrad refuses the function: tracing raises a TraceError

    @property
    def arity(self) -> int:
        return len(self.samples[0])

    @property
    def label(self) -> str:
        return self.name or getattr(self.function, "__name__", str(self.function))


def sample(row: OpRow, shapes: Shapes, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    if row.dtype == "bool":
        return tuple(rng.random(shape) < 0.5 for shape in shapes)
    if row.dtype == "int64":
        return tuple(rng.integers(0, 8, size=shape) for shape in shapes)
    return tuple(rng.uniform(row.low, row.high, size=shape) for shape in shapes)


def rebind(fn: Callable, module: types.ModuleType) -> Callable:
    """`fn` rebuilt over a namespace where `np` is `module` (jax.numpy): the same code."""
    namespace = {**fn.__globals__, "np": module}
    return types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)


def unary(
    ufunc: np.ufunc,
    low: float = -2.0,
    high: float = 2.0,
    drawn: draws.Values | None = None,
    **flags: object,
) -> OpRow:
    """A row for np.f(x); `drawn` gives the values its hypothesis draws take (none if None)."""
    name = ufunc.__name__
    typed = flags.get("dtype") != "int64"  # the integer variants repeat a row: draw once
    options = {
        "draws": () if drawn is None else (draws.unary(ufunc, drawn),),
        "type_draws": calls.unary_draws(ufunc) if typed else (),
        **flags,
    }
    return OpRow(ufunc, lambda x: getattr(np, name)(x), low=low, high=high, **options)


BROADCAST: tuple[Shapes, ...] = (((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)))


def binary(
    ufunc: np.ufunc,
    low: float = -2.0,
    high: float = 2.0,
    drawn: draws.Draw | None = None,
    **flags: object,
) -> OpRow:
    """A row for np.f(x, y) on broadcasting samples; `drawn` is its hypothesis draw."""
    name = ufunc.__name__
    fn = lambda x, y: getattr(np, name)(x, y)  # noqa: E731
    typed = flags.get("dtype") != "int64"  # the integer variants repeat a row: draw once
    options = {
        "samples": BROADCAST,
        "differentiable": (0, 1),
        "draws": () if drawn is None else (drawn,),
        "float32_draws": drawn is not None,
        "type_draws": calls.binary_draws(ufunc) if typed else (),
        **flags,
    }
    return OpRow(ufunc, fn, low=low, high=high, **options)


NO_DERIVATIVE = {"derivative": False, "second_order": False}
POSITIVE = {"low": 0.5, "high": 3.0}
REAL = draws.real_line
SMOOTH = {"drawn": REAL, "scalar": -0.4}  # a Python float operand away from every kink

UNARY_ROWS: tuple[OpRow, ...] = (
    unary(np.sin, **SMOOTH),
    unary(np.cos, **SMOOTH),
    unary(np.tan, -1.0, 1.0, drawn=draws.within(-1.3, 1.3), scalar=-0.4),  # inside +-pi/2
    unary(np.tanh, **SMOOTH),
    unary(np.sinh, **SMOOTH),
    unary(np.cosh, **SMOOTH),
    unary(np.exp, **SMOOTH),
    unary(np.expm1, **SMOOTH),
    unary(np.log, **POSITIVE, drawn=draws.within(0.2, 3.0), scalar=0.4),
    unary(np.log1p, -0.5, 2.0, drawn=draws.within(-0.8, 3.0), scalar=-0.4),
    unary(np.sqrt, **POSITIVE, drawn=draws.within(0.2, 3.0), scalar=0.4),
    unary(np.arcsin, -0.9, 0.9, drawn=draws.within(-0.9, 0.9), scalar=-0.4),
    unary(np.arccos, -0.9, 0.9, drawn=draws.within(-0.9, 0.9), scalar=-0.4),
    unary(np.arctan, **SMOOTH),
    unary(np.square, **SMOOTH),
    unary(np.negative, **SMOOTH),
    unary(np.positive),
    unary(np.conjugate),
    # the kink at 0 stays out of the domain (the draws take both signs)
    unary(np.absolute, **POSITIVE, drawn=draws.nonzero(0.1, 2.0), scalar=0.4),
    unary(np.sign, 0.2, 2.0),  # piecewise constant: the derivative checks see zeros
    unary(np.floor, 0.1, 0.9),
    unary(np.ceil, 0.1, 0.9),
    unary(np.logical_not, dtype="bool", **NO_DERIVATIVE),
    unary(np.invert, dtype="bool", **NO_DERIVATIVE),
)

WITH_SCALAR = {"scalar": 1.75}  # x op 1.75 and 1.75 op x

BINARY_ROWS: tuple[OpRow, ...] = (
    binary(np.add, drawn=draws.binary(np.add), **WITH_SCALAR),
    binary(np.subtract, drawn=draws.binary(np.subtract), **WITH_SCALAR),
    binary(np.multiply, drawn=draws.binary(np.multiply), **WITH_SCALAR),
    binary(
        np.divide, **POSITIVE, drawn=draws.binary(np.divide, REAL, draws.nonzero()), **WITH_SCALAR
    ),
    binary(
        np.power,
        **POSITIVE,
        drawn=draws.binary(np.power, draws.within(0.3, 2.5), REAL),
        **WITH_SCALAR,
    ),
    binary(
        np.arctan2,
        **POSITIVE,
        drawn=draws.binary(np.arctan2, draws.nonzero(), REAL),  # y != 0: off the branch cut
        **WITH_SCALAR,
    ),
    # random samples: ties have probability zero (and the draws keep away from them)
    binary(np.maximum, drawn=draws.binary(np.maximum, margin=draws.ties)),
    binary(np.minimum, drawn=draws.binary(np.minimum, margin=draws.ties)),
    binary(
        np.remainder,
        0.5,
        0.9,
        # the jumps of x % y have a derivative of zero width: the draws keep away from them
        drawn=draws.binary(
            np.remainder, draws.within(-3.0, 3.0), draws.nonzero(0.3, 2.0), margin=draws.jumps
        ),
        **NO_DERIVATIVE,
    ),
    binary(np.floor_divide, **POSITIVE, **NO_DERIVATIVE),
    *(
        binary(ufunc, **NO_DERIVATIVE)
        for ufunc in (np.equal, np.not_equal, np.less, np.less_equal, np.greater)
    ),
    binary(np.greater_equal, **NO_DERIVATIVE),
    # integer arithmetic: type rules and both backends only (integer outputs have no gradient)
    binary(np.add, dtype="int64", name="add_int64", **NO_DERIVATIVE),
    binary(np.multiply, dtype="int64", name="multiply_int64", **NO_DERIVATIVE),
    unary(np.negative, dtype="int64", name="negative_int64", **NO_DERIVATIVE),
    *(binary(ufunc, dtype="bool", **NO_DERIVATIVE) for ufunc in (np.logical_and, np.logical_or)),
    *(
        binary(ufunc, dtype="bool", **NO_DERIVATIVE)  # integer bitwise arithmetic raises
        for ufunc in (np.bitwise_and, np.bitwise_or, np.bitwise_xor)
    ),
    OpRow(
        np.left_shift,
        lambda x: np.left_shift(x, 1),
        dtype="int64",
        rejected="bit shifts: the tracer points to x * 2**k and x // 2**k",
        **NO_DERIVATIVE,
    ),
    OpRow(
        np.right_shift,
        lambda x: np.right_shift(x, 1),
        dtype="int64",
        rejected="bit shifts, as left_shift",
        **NO_DERIVATIVE,
    ),
)

AXES: tuple[Mapping[str, object], ...] = (
    {},
    {"axis": 0},
    {"axis": 1, "keepdims": True},
    {"axis": -1},
)
MATRIX: tuple[Shapes, ...] = (((2, 3),),)


def reduction(function: Callable, fn: Callable, **flags: object) -> OpRow:
    return OpRow(function, fn, samples=MATRIX, kwargs=AXES, **flags)


def reduced(name: str, values: draws.Values = REAL) -> dict[str, object]:
    """The hypothesis draws of np.name / x.name: derivatives and type rules."""
    return {"draws": (draws.reduction(name, values),), "type_draws": calls.reduction_draws(name)}


REDUCTION_ROWS: tuple[OpRow, ...] = (
    reduction(np.sum, lambda x, **kw: np.sum(x, **kw), **reduced("sum")),
    reduction(
        np.prod,
        lambda x, **kw: np.prod(x, **kw),
        low=0.5,
        high=2.0,
        **reduced("prod", draws.nonzero(0.5, 1.5)),
    ),
    reduction(np.max, lambda x, **kw: np.max(x, **kw), **reduced("max", draws.distinct)),
    reduction(np.min, lambda x, **kw: np.min(x, **kw), **reduced("min", draws.distinct)),
    reduction(np.amax, lambda x, **kw: np.amax(x, **kw)),
    reduction(np.amin, lambda x, **kw: np.amin(x, **kw)),
    reduction(np.mean, lambda x, **kw: np.mean(x, **kw), **reduced("mean")),
    reduction(np.var, lambda x, **kw: np.var(x, **kw), **reduced("var")),
    reduction(np.std, lambda x, **kw: np.std(x, **kw), **reduced("std")),
    reduction(np.any, lambda x, **kw: np.any(x, **kw), dtype="bool", **NO_DERIVATIVE),
    reduction(np.all, lambda x, **kw: np.all(x, **kw), dtype="bool", **NO_DERIVATIVE),
    OpRow(
        np.argmax,
        lambda x, **kw: np.argmax(x, **kw),
        samples=MATRIX,
        kwargs=({}, {"axis": 1}),
        type_draws=calls.reduction_draws("argmax"),
        **NO_DERIVATIVE,
    ),
    OpRow(
        np.argmin,
        lambda x, **kw: np.argmin(x, **kw),
        samples=MATRIX,
        kwargs=({}, {"axis": 1}),
        type_draws=calls.reduction_draws("argmin"),
        **NO_DERIVATIVE,
    ),
    OpRow(np.cumsum, lambda x, **kw: np.cumsum(x, **kw), samples=MATRIX, kwargs=AXES[:2]),
    OpRow(
        np.cumprod,
        lambda x, **kw: np.cumprod(x, **kw),
        samples=MATRIX,
        kwargs=AXES[:2],
        low=0.5,
        high=2.0,
    ),
)

LINALG_ROWS: tuple[OpRow, ...] = (
    OpRow(
        np.matmul,
        lambda x, y: np.matmul(x, y),
        samples=(((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,))),
        differentiable=(0, 1),
        draws=(draws.Draw("np.matmul and @", draws.matmul),),
        type_draws=(
            calls.TypeDraw("np.matmul", calls.matmul_case("np.matmul")),
            calls.TypeDraw("x @ y", calls.matmul_case("@")),
        ),
    ),
    OpRow(
        np.dot,
        lambda x, y: np.dot(x, y),
        samples=(((2, 3), (3, 4)), ((3,), (3,))),
        differentiable=(0, 1),
        draws=(draws.Draw("shapes", draws.dot),),
        type_draws=(
            calls.TypeDraw("np.dot", calls.dot_case("function")),
            calls.TypeDraw("x.dot(y)", calls.dot_case("method")),
        ),
    ),
    OpRow(
        np.einsum,
        lambda x, y, spec: np.einsum(spec, x, y),
        samples=(((2, 3), (3, 4)),),
        kwargs=({"spec": "ij,jk->ik"}, {"spec": "ij,jk->ki"}, {"spec": "ij,jk->"}),
        differentiable=(0, 1),
        draws=tuple(draws.einsum(subscripts) for subscripts in draws.EINSUM),
        type_draws=(calls.TypeDraw("np.einsum", calls.einsum_case),),
    ),
    OpRow(np.outer, lambda x, y: np.outer(x, y), samples=(((3,), (2,)),), differentiable=(0, 1)),
    OpRow(np.trace, lambda x: np.trace(x), samples=(((3, 3),),)),
    OpRow(np.tril, lambda x: np.tril(x), samples=(((3, 3),), ((2, 3),))),
    OpRow(np.triu, lambda x: np.triu(x), samples=(((3, 3),), ((2, 3),))),
    OpRow(np.diagonal, lambda x: np.diagonal(x), samples=(((3, 3),), ((2, 3),))),
)


def drawn(name: str, draw: Callable) -> dict[str, object]:
    """A shape function's draws: its derivative draw and its type-rule draw."""
    return {"draws": (draws.Draw("shapes", draw),), "type_draws": calls.shape_draws(name)}


SHAPE_ROWS: tuple[OpRow, ...] = (
    # the draws: np.reshape, x.reshape and np.ravel together
    OpRow(
        np.reshape,
        lambda x: np.reshape(x, (3, 2)),
        samples=MATRIX,
        **drawn("reshape", draws.reshape),
    ),
    OpRow(np.ravel, lambda x: np.ravel(x), samples=MATRIX),
    OpRow(
        np.transpose,
        lambda x: np.transpose(x),
        samples=MATRIX,
        **drawn("transpose", draws.transpose),
    ),
    OpRow(
        np.swapaxes,
        lambda x: np.swapaxes(x, 0, 1),
        samples=MATRIX,
        **drawn("swapaxes", draws.swapaxes_and_moveaxis),
    ),
    OpRow(
        np.moveaxis,
        lambda x, source, destination: np.moveaxis(x, source, destination),
        samples=(((2, 3, 4),), ((2, 3, 4, 1),)),
        kwargs=({"source": 0, "destination": -1}, {"source": (0, -1), "destination": (2, 0)}),
        type_draws=calls.shape_draws("moveaxis"),
    ),
    OpRow(
        np.expand_dims,
        lambda x: np.expand_dims(x, 1),
        samples=MATRIX,
        **drawn("expand_dims", draws.expand_dims),
    ),
    OpRow(
        np.squeeze,
        lambda x: np.squeeze(x),
        samples=(((2, 1, 3),),),
        **drawn("squeeze", draws.squeeze),
    ),
    OpRow(
        np.broadcast_to,
        lambda x: np.broadcast_to(x, (2, 3)),
        samples=(((3,),),),
        **drawn("broadcast_to", draws.broadcast_to),
    ),
    OpRow(
        np.concatenate,
        lambda x, y, **kw: np.concatenate([x, y], **kw),
        samples=(((2, 3), (2, 3)),),
        kwargs=({}, {"axis": 1}),
        differentiable=(0, 1),
        draws=(draws.Draw("pieces", draws.concatenate),),
        type_draws=(calls.TypeDraw("np.concatenate", calls.joining_case("concatenate")),),
    ),
    OpRow(
        np.stack,
        lambda x, y, **kw: np.stack([x, y], **kw),
        samples=(((2, 3), (2, 3)),),
        kwargs=({}, {"axis": 1}, {"axis": -1}),
        differentiable=(0, 1),
        draws=(draws.Draw("pieces", draws.stack),),
        type_draws=(calls.TypeDraw("np.stack", calls.joining_case("stack")),),
    ),
)

CONVERSION_ROWS: tuple[OpRow, ...] = (
    # Through float32 the derivative is rounded to float32: differences need a large step.
    OpRow(
        np.astype,
        lambda x, dtype, **kw: np.astype(x, dtype, **kw),
        name="astype",
        kwargs=({"dtype": np.float32},),
        step=1e-2,
        rtol=1e-4,
        type_draws=(calls.TypeDraw("astype", calls.astype_case),),
    ),
    OpRow(
        np.astype,
        lambda x, dtype, **kw: np.astype(x, dtype, **kw),
        name="astype_float64",
        kwargs=({"dtype": np.float64}, {"dtype": np.float64, "copy": False}),
    ),
    OpRow(
        np.astype,
        lambda x, dtype, **kw: np.astype(x, dtype, **kw),
        name="astype_integer",
        kwargs=({"dtype": np.int64}, {"dtype": np.int32}),
        low=0.1,  # away from the integers, where the truncation jumps
        high=0.9,
    ),
    OpRow(
        np.astype,
        lambda x, dtype, **kw: np.astype(x, dtype, **kw),
        name="astype_bool",
        kwargs=({"dtype": np.bool_},),
        **NO_DERIVATIVE,  # (booleans have no differences to take)
    ),
    # imag of a real array is zeros: its derivative is zero, and the checks see just that
    OpRow(np.imag, lambda x: np.imag(x)),
    OpRow(np.real, lambda x: np.real(x)),
    # constant outputs: only the input's shape and dtype count, the derivative is zero
    OpRow(np.zeros_like, lambda x: np.zeros_like(x)),
    OpRow(np.ones_like, lambda x: np.ones_like(x)),
    OpRow(np.full_like, lambda x: np.full_like(x, 2.5)),
)

# The fixed keys of the basic-indexing row: negative ints and steps, None and Ellipsis.
BASIC_KEYS = (
    (-1,),
    (slice(None, None, -1),),
    (slice(-1, 0, -2), None, Ellipsis),
    (Ellipsis, 1, None),
    (None, slice(1, None), -2, slice(None, None, 2)),
    (0, 0, 0),
)
MASK = np.array([[True, False, True], [False, False, True]])

INDEXING_ROWS: tuple[OpRow, ...] = (
    OpRow(
        operator.getitem,
        lambda x, key: x[key],
        name="index_basic",
        samples=(((3, 4, 5),),),
        kwargs=tuple({"key": key} for key in BASIC_KEYS),
        draws=(draws.Draw("keys", draws.basic_index),),
        type_draws=(calls.TypeDraw("x[basic]", calls.basic_index_case),),
    ),
    OpRow(
        operator.getitem,
        lambda x: x[np.array([0, 2, 2, -1])],
        name="index_gather",
        samples=(((3,),), ((3, 2),)),
        draws=(
            draws.Draw("repeated", draws.repeated_indices),
            draws.Draw("row and label", draws.row_and_label),
            draws.Draw("non-adjacent", draws.advanced_index),
        ),
        type_draws=(
            calls.TypeDraw("x[advanced]", calls.advanced_index_case),
            *(
                calls.TypeDraw(form, calls.named_index_case(form))
                for form in calls.NAMED_INDEX_FORMS
            ),
        ),
    ),
    # a concrete mask: jax.jit cannot index by one (its result shape depends on the values)
    OpRow(operator.getitem, lambda x: x[MASK], name="index_mask", samples=(((2, 3),),), jax=False),
)

SELECTION_ROWS: tuple[OpRow, ...] = (
    OpRow(
        np.clip,
        lambda x: np.clip(x, -1.0, 1.0),  # random samples miss the two kinks
        draws=(
            draws.Draw("scalar bounds", draws.clip_scalar_bounds),
            draws.Draw("array bounds", draws.clip_array_bounds),
        ),
        type_draws=(calls.TypeDraw("np.clip", calls.clip_case),),
    ),
    OpRow(
        np.where,
        lambda x, y: np.where(x > y, x, y),
        samples=BROADCAST,
        differentiable=(0, 1),
        draws=(
            draws.Draw("both branches", draws.where_both_branches),
            draws.Draw("traced condition", draws.where_on_traced_condition),
        ),
        type_draws=(calls.TypeDraw("np.where", calls.where_case),),
    ),
    # jax.numpy rejects a Python list as the indices / condition (TypeError): jax=False
    OpRow(np.take, lambda x: np.take(x, [0, 2, 2]), samples=(((3,),),), jax=False),
    OpRow(np.repeat, lambda x: np.repeat(x, 2), samples=(((3,),), ((2, 3),))),
    OpRow(
        np.compress,
        lambda x: np.compress([True, False, True], x),
        samples=(((3,),),),
        jax=False,
    ),
    OpRow(
        np.round,
        lambda x: np.round(x),
        low=0.1,
        high=0.4,  # piecewise constant
        type_draws=(calls.TypeDraw("np.round", calls.round_case),),
    ),
    OpRow(np.around, lambda x: np.around(x), low=0.1, high=0.4),
    OpRow(
        np.linalg.norm,
        lambda x: np.linalg.norm(x),
        name="norm",
        samples=(((3,),), ((2, 3),)),
        draws=(draws.Draw("axes", draws.norm),),
        type_draws=(calls.TypeDraw("np.linalg.norm", calls.norm_case),),
    ),
)


ROWS: tuple[OpRow, ...] = (
    SELECTION_ROWS
    + UNARY_ROWS
    + BINARY_ROWS
    + REDUCTION_ROWS
    + LINALG_ROWS
    + SHAPE_ROWS
    + CONVERSION_ROWS
    + INDEXING_ROWS
)

# The rows of each family of functions issue 14 added, a file each (they import OpRow from
# here, so they are read once the definitions above exist).
from tests.ops.rows_calculus14 import ROWS_CALCULUS14  # noqa: E402
from tests.ops.rows_creation14 import ROWS_CREATION14  # noqa: E402
from tests.ops.rows_elementwise14 import ROWS_ELEMENTWISE14  # noqa: E402
from tests.ops.rows_indexing14 import ROWS_INDEXING14  # noqa: E402
from tests.ops.rows_linalg16 import ROWS_LINALG16  # noqa: E402
from tests.ops.rows_reductions14 import ROWS_REDUCTIONS14  # noqa: E402
from tests.ops.rows_scipy_linalg16 import ROWS_SCIPY_LINALG16  # noqa: E402
from tests.ops.rows_shapes14 import ROWS_SHAPES14  # noqa: E402
from tests.ops.rows_sorting14 import ROWS_SORTING14  # noqa: E402
from tests.ops.rows_special16 import ROWS_SPECIAL16  # noqa: E402
from tests.ops.rows_writes15 import ROWS_WRITES15  # noqa: E402

ROWS += (
    ROWS_CALCULUS14
    + ROWS_CREATION14
    + ROWS_ELEMENTWISE14
    + ROWS_INDEXING14
    + ROWS_LINALG16
    + ROWS_REDUCTIONS14
    + ROWS_SHAPES14
    + ROWS_SCIPY_LINALG16
    + ROWS_SORTING14
    + ROWS_SPECIAL16
    + ROWS_WRITES15
)
CHECKED = tuple(row for row in ROWS if not row.rejected)  # the rows the value checks run on
