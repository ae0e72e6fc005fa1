"""IR layer: composite primitives that passes introduce where they recognise a whole
computation, so that it can be differentiated as one piece.

log_softmax(x, axis) is `z - log(sum(exp(z)))` with `z = x - max(x)`, exactly as users write
it (and as it is emitted, operation for operation). Its VJP, `ct - softmax * sum(ct)`, needs
no gradient through the max, whose contributions cancel out in exact arithmetic.

root_sum_squares(c, axis, keepdims, divisor) is `sqrt(sum(c * c) / divisor)`: np.linalg.norm
(divisor 1) and np.std (c centered, divisor n - ddof). Its VJP, `c / (divisor * out)`, is
chosen 0 where out is 0, a subgradient where the chain rule through sqrt gives 0 * inf = nan.
"""

from __future__ import annotations

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, declare
from ..types import TensorType
from .reductions import check_axes, reduced_shape


def log_softmax_rule(types: tuple[TensorType, ...], axis: tuple[int, ...]):
    (x,) = types
    check_axes("log_softmax", x, axis)
    if x.dtype.kind != "f":
        raise TypeRuleError(f"log_softmax: needs a floating-point operand, got {x}")
    return (TensorType(x.shape, x.dtype),)


def log_softmax_reference(x, axis):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


log_softmax = declare(
    "log_softmax",
    Group.COMPOSITE,
    log_softmax_rule,
    "x - max(x) - log(sum(exp(x - max(x)))) over axes",
    reference=log_softmax_reference,
    axis_params=("axis",),
)


def root_sum_squares_rule(
    types: tuple[TensorType, ...], axis: tuple[int, ...], keepdims: bool, divisor: int
):
    (c,) = types
    check_axes("root_sum_squares", c, axis)
    if c.dtype.kind != "f" or c.weak:
        raise TypeRuleError(f"root_sum_squares: needs a floating-point array, got {c}")
    return (TensorType(reduced_shape(c, axis, keepdims), c.dtype),)


def root_sum_squares_reference(c, axis, keepdims, divisor):
    return np.sqrt(np.sum(c * c, axis=axis, keepdims=keepdims) / divisor)


root_sum_squares = declare(
    "root_sum_squares",
    Group.COMPOSITE,
    root_sum_squares_rule,
    "sqrt(sum(c * c) / divisor) over axes: norm, std",
    reference=root_sum_squares_reference,
    axis_params=("axis",),
)
