"""Tracer layer: np.diag and np.diagflat. A matrix's diagonal is np.diagonal's gather; a
vector's matrix is a select over np.eye's mask (as np.tril is over np.tri's), so an infinite
entry stays on its diagonal and never multiplies a zero."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import TraceError
from ..source import caller_location
from .common import type_of
from .indexing import diagonal
from .registry import implements
from .shapes import concatenate, diagonal_offset, reshape
from .ufuncs import where

__all__ = ["diag", "diagflat"]


def diagonal_matrix(v: Any, k: int) -> Any:
    """The square matrix with `v` on its k-th diagonal: each column j holds v's entry for
    that column (v shifted by k, zeros where the diagonal does not reach), kept on the mask."""
    dtype = type_of(v).dtype
    width = abs(k)
    if width:
        zeros = np.zeros(width, dtype)
        v = concatenate([zeros, v] if k > 0 else [v, zeros])
    size = type_of(v).shape[0]
    return where(np.eye(size, k=k, dtype=bool), v, np.zeros(1, dtype))


@implements(np.diag)
def diag(v, k=0):
    k = diagonal_offset(k, "diag")
    ndim = type_of(v).ndim
    if ndim == 1:
        return diagonal_matrix(v, k)
    if ndim == 2:
        return diagonal(v, k)
    raise TraceError(
        f"np.diag: the input must be 1- or 2-d, got {ndim} dimensions",
        loc=caller_location(),
        hint="np.diagonal(x, offset, axis1, axis2) takes the diagonals of a stack of matrices",
    )


@implements(np.diagflat)
def diagflat(v, k=0):
    return diagonal_matrix(reshape(v, (-1,)), diagonal_offset(k, "diagflat"))
