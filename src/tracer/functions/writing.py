"""Tracer layer: the NumPy functions that write into their first argument (np.copyto),
traced as the writes `x[...] = v` are (tracer/writes.py): into a traced array, or into an
array the function made (a Buffer, which becomes traced)."""

from __future__ import annotations

import numpy as np

from ...errors import TraceError
from ..source import caller_location
from .common import type_of
from .registry import implements
from .ufuncs import where as select

__all__ = ["copyto"]


@implements(np.copyto)
def copyto(dst, src, casting="same_kind", where=True):
    """np.copyto: `dst[...] = src` where `where` holds, with NumPy's casting check."""
    from .. import writes

    target, value = type_of(dst).dtype, type_of(src)
    if not value.weak and not np.can_cast(value.dtype, target, casting):
        raise TraceError(
            f"np.copyto: cannot cast array data from dtype('{value.dtype}') to "
            f"dtype('{target}') according to the rule '{casting}' (NumPy raises TypeError too)",
            loc=caller_location(),
            hint=f"convert first: np.copyto(dst, src.astype(np.{target}))",
        )
    array = writes.writable(dst, "np.copyto")
    new = src if where is True else select(where, src, array)
    writes.setitem(array, Ellipsis, new)
