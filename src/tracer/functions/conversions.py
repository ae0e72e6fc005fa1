"""Tracer layer: dtype conversion: astype, and the Python-scalar-to-array step NumPy takes
in np.dot and in ufuncs on Python scalars alone."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...ir.primitives import indexing, shapes
from ...ir.result_kinds import SCALAR_GROUPS
from .. import inplace
from ..context import find_trace
from .common import as_dtype, bind, reject, type_of
from .registry import implements

__all__ = ["as_array", "astype"]


@implements(np.astype, view=True)
def astype(x, dtype, /, *, copy=True, device=None):
    reject("astype", device=device)
    target = as_dtype(dtype, "astype")
    current = type_of(x)
    if current.dtype == target and not current.weak:
        return inplace.copy_of(x) if copy else x  # a copy is a new array, written alone
    return bind(shapes.convert, x, dtype=target)


def as_array(x: Any) -> Any:
    """`x`, with a Python scalar made what np.asarray makes it: a 0-d value of its default
    dtype, no longer weak. NumPy sees Python scalars this way in np.dot, and in a ufunc whose
    operands are all Python scalars."""
    if not type_of(x).weak:
        return x
    return astype(x, type_of(x).dtype) if find_trace([x]) is not None else np.asarray(x)


def in_dtype(value: Any, dtype: np.dtype) -> Any:
    """`value` as `dtype`: a traced value through an astype node, a constant converted now."""
    return astype(value, dtype) if find_trace([value]) is not None else np.asarray(value, dtype)


# A 0-d result is a NumPy scalar or a 0-d array (ir/result_kinds.py reads which from the
# operation that made it). A composition whose last operation gives the other kind than the
# NumPy function it stands for ends with one of these two: `x[()]` or a reshape to ().


def numpy_scalar(x: Any) -> Any:
    """A traced 0-d `x` as NumPy's ufuncs and reductions hand it back: a NumPy scalar."""
    var = getattr(x, "ir_var", None)
    if var is None or var.type.ndim or var.type.weak:
        return x
    return x._trace.bind(indexing.index, [x], index=())


def zero_d_array(x: Any, like: Any = None) -> Any:
    """A 0-d `x` (traced, or a constant beside the traced `like`) as a 0-d array, as NumPy's
    shape and creation functions give it (np.copy, np.pad, np.zeros_like of a 0-d value)."""
    trace = find_trace([x, like])
    if trace is None or type_of(x).ndim or type_of(x).weak:
        return x
    return trace.bind(shapes.reshape, [x], shape=())


def made_as_scalar(x: Any) -> bool:
    """A 0-d value NumPy holds as a scalar: a constant one, a ufunc's or a reduction's result,
    or an argument the caller passed as a NumPy scalar."""
    var = getattr(x, "ir_var", None)
    if var is None or var in x._trace.scalar_inputs:
        return True
    producer = next(
        (node for node in reversed(x._trace.builder.nodes) if var in node.outputs), None
    )
    return producer is not None and producer.op.group in SCALAR_GROUPS
