"""IR layer: reductions over axes (sum, prod, max, min) and index reductions (argmax, argmin).

`axis` is always a tuple of distinct non-negative axes in the IR (the tracer normalises
`None`, negative and single axes), so every rule and emitter sees one form.
"""

from __future__ import annotations

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, Trait, declare
from ..types import TensorType

INT64 = np.dtype(np.int64)
UINT64 = np.dtype(np.uint64)


def check_axes(name: str, x: TensorType, axis: tuple[int, ...]) -> None:
    if not isinstance(axis, tuple) or not all(isinstance(a, int) for a in axis):
        raise TypeRuleError(f"{name}: axis must be a tuple of ints, got {axis!r}")
    if len(set(axis)) != len(axis):
        raise TypeRuleError(f"{name}: axis {axis} repeats an axis")
    for a in axis:
        if not 0 <= a < x.ndim:
            raise TypeRuleError(
                f"{name}: axis {a} is out of bounds for an operand of type {x}",
                hint=f"use an axis between {-x.ndim} and {x.ndim - 1}",
            )


def reduced_shape(x: TensorType, axis: tuple[int, ...], keepdims: bool) -> tuple[int, ...]:
    if keepdims:
        return tuple(1 if i in axis else d for i, d in enumerate(x.shape))
    return tuple(d for i, d in enumerate(x.shape) if i not in axis)


def accumulating_dtype(x: TensorType) -> np.dtype:
    """np.sum and np.prod widen bool and small integers to the platform integer."""
    if x.dtype.kind == "b" or (x.dtype.kind == "i" and x.dtype.itemsize < 8):
        return INT64
    if x.dtype.kind == "u" and x.dtype.itemsize < 8:
        return UINT64
    return x.dtype


def accumulating_rule(name: str):
    def rule(types: tuple[TensorType, ...], axis: tuple[int, ...], keepdims: bool):
        (x,) = types
        check_axes(name, x, axis)
        return (TensorType(reduced_shape(x, axis, keepdims), accumulating_dtype(x)),)

    return rule


def extremum_rule(name: str):
    def rule(types: tuple[TensorType, ...], axis: tuple[int, ...], keepdims: bool):
        (x,) = types
        check_axes(name, x, axis)
        for a in axis:
            if x.shape[a] == 0:
                raise TypeRuleError(
                    f"{name}: zero-size axis {a} of {x} has no {name}imum",
                    hint="reduce a non-empty axis, or use np.where to supply a default",
                )
        return (TensorType(reduced_shape(x, axis, keepdims), x.dtype),)

    return rule


def index_rule(name: str):
    def rule(types: tuple[TensorType, ...], axis: int | None, keepdims: bool):
        (x,) = types
        if axis is None:
            if x.size == 0:
                raise TypeRuleError(
                    f"{name} of an empty array {x} has no answer",
                    hint="take it over a non-empty array",
                )
            shape = (1,) * x.ndim if keepdims else ()
            return (TensorType(shape, INT64),)
        check_axes(name, x, (axis,))
        if x.shape[axis] == 0:
            raise TypeRuleError(
                f"{name}: axis {axis} of {x} is empty", hint="take it along a non-empty axis"
            )
        return (TensorType(reduced_shape(x, (axis,), keepdims), INT64),)

    return rule


R = Group.REDUCTION
sum_ = declare("sum", R, accumulating_rule("sum"), "sum over axes", traits={Trait.LINEAR})
prod = declare("prod", R, accumulating_rule("prod"), "product over axes")
max_ = declare("max", R, extremum_rule("max"), "largest element over axes")
min_ = declare("min", R, extremum_rule("min"), "smallest element over axes")
argmax = declare(
    "argmax",
    Group.INDEX_REDUCTION,
    index_rule("argmax"),
    "index of the first max",
    traits={Trait.PIECEWISE_CONSTANT},
)
argmin = declare(
    "argmin",
    Group.INDEX_REDUCTION,
    index_rule("argmin"),
    "index of the first min",
    traits={Trait.PIECEWISE_CONSTANT},
)


def cumulative_rule(name: str):
    """A running sum or product along one axis: the operand's shape, in the dtype np.sum
    (np.prod) accumulates in."""

    def rule(types: tuple[TensorType, ...], axis: int):
        (x,) = types
        check_axes(name, x, (axis,))
        return (TensorType(x.shape, accumulating_dtype(x)),)

    return rule


cumsum = declare(
    "cumsum",
    Group.CUMULATIVE,
    cumulative_rule("cumsum"),
    "running sum along an axis",
    traits={Trait.LINEAR},
    reference=lambda x, axis: np.cumsum(x, axis=axis),
    axis_params=("axis",),
)
cumprod = declare(
    "cumprod",
    Group.CUMULATIVE,
    cumulative_rule("cumprod"),
    "running product along an axis",
    reference=lambda x, axis: np.cumprod(x, axis=axis),
    axis_params=("axis",),
)
