"""Tracer layer: binding a composite call (ir/primitives/calls.py), a NumPy function the
emitted code writes as one call, where it can be one.

`call(op, composition, *operands, **params)` records one `op` node where the operands are
arrays (one at least traced) and every param static, and otherwise computes
`composition(*operands, **params)`, the tracing functions the call stands for (a traced
param, a Python scalar operand); on constants alone it is NumPy's.
The composition is also the call's decomposition, so both spellings have one meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...ir import Primitive
from ..context import find_trace
from .common import bind, type_of

__all__ = ["call", "is_static"]


def is_static(value: Any) -> bool:
    """A param the IR can hold and the emitted code can write: Python scalars, strings,
    None, and tuples of them."""
    if isinstance(value, tuple):
        return all(map(is_static, value))
    return value is None or type(value) in (bool, int, float, str)


def call(op: Primitive, composition: Callable[..., Any], *operands: Any, **params: Any) -> Any:
    if find_trace([*operands, *params.values()]) is None:
        return op.reference(*operands, **params)
    if any(type_of(x).weak for x in operands) or not all(map(is_static, params.values())):
        return composition(*operands, **params)
    return bind(op, *operands, **params)
