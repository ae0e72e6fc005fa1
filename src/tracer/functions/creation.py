"""Tracer layer: the *_like constructors: constants of a traced value's shape (nothing is
recorded unless the fill value is itself traced)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..context import find_trace
from .common import as_dtype, type_of
from .registry import implements
from .ufuncs import add

__all__ = ["full_like", "ones_like", "zeros_like"]


def like(fill: Callable[[tuple, np.dtype], np.ndarray]) -> Callable:
    def function(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
        t = type_of(a)
        return fill(
            t.shape if shape is None else shape, as_dtype(dtype or t.dtype, f"{fill.__name__}_like")
        )

    function.__name__ = function.__qualname__ = f"{fill.__name__}_like"
    return function


zeros_like = implements(np.zeros_like, derivative="zero")(like(np.zeros))
ones_like = implements(np.ones_like, derivative="zero")(like(np.ones))


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    if find_trace([fill_value]) is not None:
        return add(zeros_like(a, dtype=dtype), fill_value)
    t = type_of(a)
    return np.full(
        t.shape if shape is None else shape, fill_value, as_dtype(dtype or t.dtype, "full_like")
    )
