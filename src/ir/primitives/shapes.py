"""IR layer: primitives that move or convert data without arithmetic.

reshape, transpose, broadcast_to, concatenate, stack and convert. swapaxes, moveaxis,
expand_dims and squeeze are not primitives: the tracer writes them as transpose and reshape,
so each rule table stays short.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, Trait, declare
from ..types import TensorType, broadcasts_to, supported_dtype


def reshape_rule(types: tuple[TensorType, ...], shape: tuple[int, ...]) -> tuple[TensorType, ...]:
    (x,) = types
    if any(d < 0 for d in shape) or math.prod(shape) != x.size:
        raise TypeRuleError(
            f"reshape: cannot reshape {x} ({x.size} elements) into shape {shape}",
            hint="the new shape must hold the same number of elements; -1 infers one dimension",
        )
    return (TensorType(shape, x.dtype),)


def transpose_rule(types: tuple[TensorType, ...], axes: tuple[int, ...]) -> tuple[TensorType, ...]:
    (x,) = types
    if sorted(axes) != list(range(x.ndim)):
        raise TypeRuleError(
            f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of {x}"
        )
    return (TensorType(tuple(x.shape[a] for a in axes), x.dtype),)


def broadcast_to_rule(
    types: tuple[TensorType, ...], shape: tuple[int, ...]
) -> tuple[TensorType, ...]:
    (x,) = types
    if broadcasts_to(x.shape, shape):
        return (TensorType(shape, x.dtype),)
    raise TypeRuleError(
        f"broadcast_to: {x} cannot be broadcast to shape {shape}",
        hint="each dimension must match the target or be 1, aligned from the right",
    )


def concatenate_rule(types: tuple[TensorType, ...], axis: int) -> tuple[TensorType, ...]:
    if not types:
        raise TypeRuleError("concatenate: need at least one array to concatenate")
    first = types[0]
    if any(t.ndim == 0 for t in types):
        raise TypeRuleError(
            "concatenate: zero-dimensional values cannot be concatenated",
            hint="use np.stack, or give each value an axis first (`x[None]`)",
        )
    if not 0 <= axis < first.ndim:
        raise TypeRuleError(f"concatenate: axis {axis} is out of bounds for {first}")
    for t in types[1:]:
        same = t.ndim == first.ndim and all(
            a == b for i, (a, b) in enumerate(zip(t.shape, first.shape, strict=True)) if i != axis
        )
        if not same:
            raise TypeRuleError(
                f"concatenate: {first} and {t} differ outside the joining axis {axis}",
                hint="all arrays must have the same shape except along the axis they are joined",
            )
    size = sum(t.shape[axis] for t in types)
    shape = (*first.shape[:axis], size, *first.shape[axis + 1 :])
    return (TensorType(shape, np.result_type(*(t.dtype for t in types))),)


def stack_rule(types: tuple[TensorType, ...], axis: int) -> tuple[TensorType, ...]:
    if not types:
        raise TypeRuleError("stack: need at least one array to stack")
    shapes = {t.shape for t in types}
    if len(shapes) != 1:
        raise TypeRuleError(
            f"stack: all arrays must have the same shape, got {', '.join(map(str, types))}",
            hint="reshape or slice the arrays to one shape first",
        )
    first = types[0]
    if not 0 <= axis <= first.ndim:
        raise TypeRuleError(f"stack: axis {axis} is out of bounds for stacking {first}")
    shape = (*first.shape[:axis], len(types), *first.shape[axis:])
    return (TensorType(shape, np.result_type(*(t.dtype for t in types))),)


def convert_rule(types: tuple[TensorType, ...], dtype: np.dtype) -> tuple[TensorType, ...]:
    (x,) = types
    if not supported_dtype(dtype):
        raise TypeRuleError(
            f"astype: dtype {dtype} is not supported",
            hint="use a bool, integer, float or complex dtype",
        )
    return (TensorType(x.shape, dtype),)


SHAPE = Group.SHAPE
reshape = declare(
    "reshape",
    SHAPE,
    reshape_rule,
    "the same elements in a new shape",
    traits={Trait.LINEAR, Trait.MAY_VIEW},
    reference=lambda x, shape: np.reshape(x, shape),
)
transpose = declare(
    "transpose",
    SHAPE,
    transpose_rule,
    "axes permuted",
    traits={Trait.LINEAR, Trait.VIEW},
    reference=lambda x, axes: np.transpose(x, axes),
    axis_params=("axes",),
)
broadcast_to = declare(
    "broadcast_to",
    SHAPE,
    broadcast_to_rule,
    "repeated along new or size-1 axes",
    traits={Trait.LINEAR, Trait.VIEW},
    reference=lambda x, shape: np.broadcast_to(x, shape),
)
concatenate = declare(
    "concatenate",
    SHAPE,
    concatenate_rule,
    "operands joined along an axis",
    traits={Trait.LINEAR},
    reference=lambda *xs, axis: np.concatenate(xs, axis=axis),
    axis_params=("axis",),
)
stack = declare(
    "stack",
    SHAPE,
    stack_rule,
    "operands stacked along a new axis",
    traits={Trait.LINEAR},
    reference=lambda *xs, axis: np.stack(xs, axis=axis),
    axis_params=("axis",),
)
# Linear between floating-point dtypes; to an integer or bool dtype no derivative flows.
convert = declare(
    "convert",
    Group.CONVERSION,
    convert_rule,
    "elements converted to dtype",
    traits={Trait.LINEAR},
    reference=lambda x, dtype: np.asarray(x).astype(dtype),
)
