"""AD layer: what the rules of the control-flow primitives share: the trace a rule records
into, names, and symbolic zeros made concrete."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import TraceError
from ..ir import TensorType
from ..tracer.context import Trace, find_trace
from .derivatives import zeros


def trace_of(values: Sequence[Any]) -> Trace:
    trace = find_trace(list(values))
    if trace is None:  # every operand a constant: the passes would have folded it away
        raise TraceError(
            "differentiating a control-flow node whose operands are all constants",
            hint="please report it",
        )
    return trace


def hint(value: Any) -> str | None:
    """The name of a traced value, if it has one."""
    var = getattr(value, "ir_var", None)
    return var.hint if var is not None else None


def zero_if_none(value: Any, type_: TensorType) -> Any:
    return zeros(type_) if value is None else value
