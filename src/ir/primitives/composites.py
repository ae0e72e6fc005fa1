"""IR layer: composite primitives that passes introduce where they recognise a whole
computation, so that it can be differentiated as one piece.

log_softmax(x, axis) is `z - log(sum(exp(z)))` with `z = x - max(x)`, exactly as users write
it (and as it is emitted, operation for operation). Its VJP, `ct - softmax * sum(ct)`, needs
no gradient through the max, whose contributions cancel out in exact arithmetic.
"""

from __future__ import annotations

from ...errors import TypeRuleError
from ..primitive import Group, declare
from ..types import TensorType
from .reductions import check_axes


def log_softmax_rule(types: tuple[TensorType, ...], axis: tuple[int, ...]):
    (x,) = types
    check_axes("log_softmax", x, axis)
    if x.dtype.kind != "f":
        raise TypeRuleError(f"log_softmax: needs a floating-point operand, got {x}")
    return (TensorType(x.shape, x.dtype),)


log_softmax = declare("log_softmax", Group.COMPOSITE, log_softmax_rule,
                      "x - max(x) - log(sum(exp(x - max(x)))) over axes")
