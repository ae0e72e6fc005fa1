"""Tracer layer: dtype conversion: astype, and the Python-scalar-to-array step NumPy takes
in np.dot and in ufuncs on Python scalars alone."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...ir.primitives import shapes
from ..context import find_trace
from .common import as_dtype, bind, reject, type_of
from .registry import implements

__all__ = ["as_array", "astype"]


@implements(np.astype)
def astype(x, dtype, /, *, copy=True, device=None):
    reject("astype", device=device)
    target = as_dtype(dtype, "astype")
    current = type_of(x)
    if current.dtype == target and not current.weak:
        return x
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
