"""Tracer layer: linear algebra: products (matmul, dot, einsum, outer) over the contraction
primitives, the trace, and np.linalg (norm; solve and friends will come here)."""

from __future__ import annotations

import numpy as np

from ...errors import TraceError
from ...ir.primitives import contractions
from .. import subscripts as subscripts_module
from ..source import caller_location
from .common import bind, normalize_axis, reject, type_of
from .conversions import as_array, astype
from .indexing import diagonal
from .reductions import sum
from .registry import implements
from .shapes import broadcast_to, reshape
from .ufuncs import multiply, sqrt

__all__ = ["dot", "einsum", "matmul", "norm", "outer", "trace"]


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2) or (ord == 2 and axis is None and type_of(x).ndim != 1):
        raise TraceError(
            f"np.linalg.norm(..., ord={ord!r}) is not supported; only the 2-norm of vectors "
            "(and the Frobenius norm, ord=None) is",
            loc=caller_location(),
            hint="write the norm out, e.g. np.sum(np.abs(x)) for the 1-norm",
        )
    if axis is not None and not isinstance(axis, int):
        raise TraceError(
            "np.linalg.norm over several axes is not supported",
            loc=caller_location(),
            hint="np.sqrt(np.sum(x * x, axis=axes))",
        )
    if axis is not None:
        normalize_axis(axis, type_of(x).ndim, "linalg.norm")
    source = type_of(x).dtype
    if source.kind in "biu":
        x = astype(x, np.float64)
    return sqrt(sum(multiply(x, x), axis=axis, keepdims=keepdims))


@implements(np.matmul)
def matmul(x1, x2):
    return bind(contractions.matmul, x1, x2)


@implements(np.dot, method="dot")
def dot(a, b, out=None):
    reject("dot", out=out)
    a, b = as_array(a), as_array(b)  # np.dot promotes Python scalars as arrays, not weakly
    a_type, b_type = type_of(a), type_of(b)
    if a_type.ndim == 0 or b_type.ndim == 0:
        return multiply(a, b)
    if b_type.ndim == 1 or (a_type.ndim <= 2 and b_type.ndim <= 2):
        return matmul(a, b)
    # N-d dot: sum over the last axis of a and the second-to-last of b.
    letters = "abcdefghijklmnopqrstuvwxyz"
    a_sub = letters[: a_type.ndim]
    b_sub = letters[a_type.ndim : a_type.ndim + b_type.ndim - 1]
    b_sub = b_sub[:-1] + a_sub[-1] + b_sub[-1]
    out_sub = a_sub[:-1] + b_sub[:-2] + b_sub[-1]
    return einsum(f"{a_sub},{b_sub}->{out_sub}", a, b)


@implements(np.einsum, note="dtype=, order= and casting= are refused; optimize= is accepted")
def einsum(subscripts, *operands, out=None, optimize=False, **unsupported):
    """Every spelling (sublists, '...', an implicit output) becomes explicit letters here, so
    the einsum primitive and its rules serve them all; `optimize` changes only NumPy's
    contraction order, never the result."""
    reject("einsum", out=out, **unsupported)
    if isinstance(subscripts, str):
        spec, operands = subscripts, [as_array(x) for x in operands]
    else:
        spec, operands = subscripts_module.from_sublists((subscripts, *operands))
        operands = [as_array(x) for x in operands]
    shapes = [type_of(x).shape for x in operands]
    terms, output = subscripts_module.normalize(spec, [len(shape) for shape in shapes])
    stretched = subscripts_module.stretched_shapes(terms, shapes)
    operands = [
        x if shape == target else broadcast_to(x, target)
        for x, shape, target in zip(operands, shapes, stretched, strict=True)
    ]
    return bind(contractions.einsum, *operands, subscripts=f"{','.join(terms)}->{output}")


@implements(np.outer)
def outer(a, b, out=None):
    reject("outer", out=out)
    return multiply(reshape(a, (-1, 1)), reshape(b, (-1,)))


@implements(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    reject("trace", out=out)
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)
