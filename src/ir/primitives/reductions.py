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


def axes_reference(function):
    """The NumPy reduction called with the IR's params (a tuple `axis`, `keepdims`)."""
    return lambda x, axis, keepdims: function(x, axis=axis, keepdims=keepdims)


def declare_reduction(name: str, rule, doc: str, function, traits=frozenset()):
    return declare(
        name,
        Group.REDUCTION,
        rule,
        doc,
        traits=traits,
        reference=axes_reference(function),
        axis_params=("axis",),
    )


def declare_index_reduction(name: str, doc: str, function):
    return declare(
        name,
        Group.INDEX_REDUCTION,
        index_rule(name),
        doc,
        traits={Trait.PIECEWISE_CONSTANT},
        reference=axes_reference(function),
        axis_params=("axis",),
    )


sum_ = declare_reduction(
    "sum", accumulating_rule("sum"), "sum over axes", np.sum, traits={Trait.LINEAR}
)
prod = declare_reduction("prod", accumulating_rule("prod"), "product over axes", np.prod)
max_ = declare_reduction("max", extremum_rule("max"), "largest element over axes", np.max)
min_ = declare_reduction("min", extremum_rule("min"), "smallest element over axes", np.min)
argmax = declare_index_reduction("argmax", "index of the first max", np.argmax)
argmin = declare_index_reduction("argmin", "index of the first min", np.argmin)


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
