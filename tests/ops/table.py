"""One row per NumPy operation the tracer supports, in the spirit of PyTorch's OpInfo.

Generic checks in tests/ops/test_*.py are parametrised over ROWS. A row's `fn` is written
against the module-level name `np`, so the JAX check rebuilds it over jax.numpy (the same
source, as tests/catalog does). Later a batching (vmap) check joins: a row will then gain a
`batchable` flag (and the operand axes to map over); the other fields stay as they are.

Add a row: append `OpRow(np.f, fn, ...)` to the group below that fits (or use `unary`/`binary`),
give the domain that avoids poles, kinks and ties, and clear `derivative` / `jax` where they do
not apply. tests/ops/test_completeness.py fails until every traced NumPy entry has a row.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

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


def unary(ufunc: np.ufunc, low: float = -2.0, high: float = 2.0, **flags: object) -> OpRow:
    name = ufunc.__name__
    return OpRow(ufunc, lambda x: getattr(np, name)(x), low=low, high=high, **flags)


BROADCAST: tuple[Shapes, ...] = (((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)))


def binary(ufunc: np.ufunc, low: float = -2.0, high: float = 2.0, **flags: object) -> OpRow:
    name = ufunc.__name__
    fn = lambda x, y: getattr(np, name)(x, y)  # noqa: E731
    options = {"samples": BROADCAST, "differentiable": (0, 1), **flags}
    return OpRow(ufunc, fn, low=low, high=high, **options)


NO_DERIVATIVE = {"derivative": False, "second_order": False}
POSITIVE = {"low": 0.5, "high": 3.0}

UNARY_ROWS: tuple[OpRow, ...] = (
    unary(np.sin),
    unary(np.cos),
    unary(np.tan, -1.0, 1.0),
    unary(np.tanh),
    unary(np.sinh),
    unary(np.cosh),
    unary(np.exp),
    unary(np.expm1),
    unary(np.log, **POSITIVE),
    unary(np.log1p, -0.5, 2.0),
    unary(np.sqrt, **POSITIVE),
    unary(np.arcsin, -0.9, 0.9),
    unary(np.arccos, -0.9, 0.9),
    unary(np.arctan),
    unary(np.square),
    unary(np.negative),
    unary(np.positive),
    unary(np.conjugate),
    unary(np.absolute, **POSITIVE),  # the kink at 0 stays out of the domain
    unary(np.sign, 0.2, 2.0),  # piecewise constant: the derivative checks see zeros
    unary(np.floor, 0.1, 0.9),
    unary(np.ceil, 0.1, 0.9),
    unary(np.logical_not, dtype="bool", **NO_DERIVATIVE),
    unary(np.invert, dtype="bool", **NO_DERIVATIVE),
)

BINARY_ROWS: tuple[OpRow, ...] = (
    binary(np.add),
    binary(np.subtract),
    binary(np.multiply),
    binary(np.divide, **POSITIVE),
    binary(np.power, **POSITIVE),
    binary(np.arctan2, **POSITIVE),
    binary(np.maximum),  # random samples: ties have probability zero
    binary(np.minimum),
    binary(np.remainder, 0.5, 0.9, **NO_DERIVATIVE),
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


REDUCTION_ROWS: tuple[OpRow, ...] = (
    reduction(np.sum, lambda x, **kw: np.sum(x, **kw)),
    reduction(np.prod, lambda x, **kw: np.prod(x, **kw), low=0.5, high=2.0),
    reduction(np.max, lambda x, **kw: np.max(x, **kw)),
    reduction(np.min, lambda x, **kw: np.min(x, **kw)),
    reduction(np.amax, lambda x, **kw: np.amax(x, **kw)),
    reduction(np.amin, lambda x, **kw: np.amin(x, **kw)),
    reduction(np.mean, lambda x, **kw: np.mean(x, **kw)),
    reduction(np.var, lambda x, **kw: np.var(x, **kw)),
    reduction(np.std, lambda x, **kw: np.std(x, **kw)),
    reduction(np.any, lambda x, **kw: np.any(x, **kw), dtype="bool", **NO_DERIVATIVE),
    reduction(np.all, lambda x, **kw: np.all(x, **kw), dtype="bool", **NO_DERIVATIVE),
    OpRow(
        np.argmax,
        lambda x, **kw: np.argmax(x, **kw),
        samples=MATRIX,
        kwargs=({}, {"axis": 1}),
        **NO_DERIVATIVE,
    ),
    OpRow(
        np.argmin,
        lambda x, **kw: np.argmin(x, **kw),
        samples=MATRIX,
        kwargs=({}, {"axis": 1}),
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
    ),
    OpRow(
        np.dot,
        lambda x, y: np.dot(x, y),
        samples=(((2, 3), (3, 4)), ((3,), (3,))),
        differentiable=(0, 1),
    ),
    OpRow(
        np.einsum,
        lambda x, y, spec: np.einsum(spec, x, y),
        samples=(((2, 3), (3, 4)),),
        kwargs=({"spec": "ij,jk->ik"}, {"spec": "ij,jk->ki"}, {"spec": "ij,jk->"}),
        differentiable=(0, 1),
    ),
    OpRow(np.outer, lambda x, y: np.outer(x, y), samples=(((3,), (2,)),), differentiable=(0, 1)),
    OpRow(np.trace, lambda x: np.trace(x), samples=(((3, 3),),)),
    OpRow(np.tril, lambda x: np.tril(x), samples=(((3, 3),), ((2, 3),))),
    OpRow(np.triu, lambda x: np.triu(x), samples=(((3, 3),), ((2, 3),))),
    OpRow(np.diagonal, lambda x: np.diagonal(x), samples=(((3, 3),), ((2, 3),))),
)

SHAPE_ROWS: tuple[OpRow, ...] = (
    OpRow(np.reshape, lambda x: np.reshape(x, (3, 2)), samples=MATRIX),
    OpRow(np.ravel, lambda x: np.ravel(x), samples=MATRIX),
    OpRow(np.transpose, lambda x: np.transpose(x), samples=MATRIX),
    OpRow(np.swapaxes, lambda x: np.swapaxes(x, 0, 1), samples=MATRIX),
    OpRow(np.moveaxis, lambda x: np.moveaxis(x, 0, -1), samples=(((2, 3, 4),),)),
    OpRow(np.expand_dims, lambda x: np.expand_dims(x, 1), samples=MATRIX),
    OpRow(np.squeeze, lambda x: np.squeeze(x), samples=(((2, 1, 3),),)),
    OpRow(np.broadcast_to, lambda x: np.broadcast_to(x, (2, 3)), samples=(((3,),),)),
    OpRow(
        np.concatenate,
        lambda x, y, **kw: np.concatenate([x, y], **kw),
        samples=(((2, 3), (2, 3)),),
        kwargs=({}, {"axis": 1}),
        differentiable=(0, 1),
    ),
    OpRow(
        np.stack,
        lambda x, y, **kw: np.stack([x, y], **kw),
        samples=(((2, 3), (2, 3)),),
        kwargs=({}, {"axis": 1}, {"axis": -1}),
        differentiable=(0, 1),
    ),
)

SELECTION_ROWS: tuple[OpRow, ...] = (
    OpRow(np.clip, lambda x: np.clip(x, -1.0, 1.0)),  # random samples miss the two kinks
    OpRow(
        np.where,
        lambda x, y: np.where(x > y, x, y),
        samples=BROADCAST,
        differentiable=(0, 1),
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
    OpRow(np.round, lambda x: np.round(x), low=0.1, high=0.4),  # piecewise constant
    OpRow(np.around, lambda x: np.around(x), low=0.1, high=0.4),
    OpRow(np.real, lambda x: np.real(x)),
    OpRow(np.linalg.norm, lambda x: np.linalg.norm(x), name="norm", samples=(((3,),), ((2, 3),))),
)

ROWS: tuple[OpRow, ...] = (
    SELECTION_ROWS + UNARY_ROWS + BINARY_ROWS + REDUCTION_ROWS + LINALG_ROWS + SHAPE_ROWS
)

from tests.ops.rows_shapes14 import ROWS_SHAPES14  # noqa: E402  (its rows are OpRows)

ROWS += ROWS_SHAPES14
