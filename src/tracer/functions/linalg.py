"""Tracer layer: linear algebra: products (matmul, dot, einsum, outer) over the contraction
primitives, the trace, and np.linalg.norm (the solves and factorizations are in
factorizations.py)."""

from __future__ import annotations

import numpy as np

from ...errors import TraceError
from ...ir.primitives import contractions
from .. import subscripts as subscripts_module
from ..source import caller_location
from .common import bind, normalize_axis, reject, type_of
from .conversions import as_array, astype
from .indexing import diagonal
from .reductions import max, min, sum
from .registry import implements
from .shapes import broadcast_to, reshape
from .ufuncs import absolute, multiply, not_equal, power, sqrt

__all__ = ["dot", "einsum", "matmul", "norm", "outer", "trace"]


def norm_error(message: str, hint: str) -> TraceError:
    return TraceError(f"np.linalg.norm: {message}", loc=caller_location(), hint=hint)


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    if type_of(x).dtype.kind in "biu":
        x = astype(x, np.float64)
    ndim = type_of(x).ndim
    if axis is None:
        if ord is None or (ord in ("f", "fro") and ndim == 2) or (ord == 2 and ndim == 1):
            return sqrt(sum(multiply(x, x), keepdims=keepdims))
        if ndim not in (1, 2):
            raise norm_error(
                f"ord={ord!r} needs a vector or a matrix, got {ndim} dimensions",
                hint="name the axes: axis=k for vectors, axis=(j, k) for matrices",
            )
        axis = tuple(range(ndim))
    axes = norm_axes(axis, ndim)
    if len(axes) == 1:
        return vector_norm(x, ord, axes[0], keepdims)
    result = matrix_norm(x, ord, axes)
    if not keepdims:
        return result
    shape = [1 if a in axes else size for a, size in enumerate(type_of(x).shape)]
    return reshape(result, tuple(shape))


def norm_axes(axis: object, ndim: int) -> tuple[int, ...]:
    axes = axis if isinstance(axis, tuple) else (axis,)
    if len(axes) not in (1, 2):
        raise norm_error(
            f"axis={axis!r}: a norm is over one axis (vectors) or two (matrices)",
            hint="pass axis=k or axis=(j, k)",
        )
    if not all(isinstance(a, int | np.integer) for a in axes):
        raise norm_error(
            f"axis must be None, an integer or a tuple of integers, got {axis!r}",
            hint="pass axis=k or axis=(j, k)",
        )
    normalized = tuple(normalize_axis(a, ndim, "linalg.norm") for a in axes)
    if len(set(normalized)) != len(normalized):
        raise norm_error(f"axis={axis!r} names one axis twice", hint="give two different axes")
    return normalized


def vector_norm(x: object, ord: object, axis: int, keepdims: bool) -> object:
    """NumPy's vector norms, term for term (ord=0 counts the nonzero entries)."""
    if ord is None or ord == 2:
        return sqrt(sum(multiply(x, x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str) or not isinstance(ord, int | float | np.integer | np.floating):
        raise norm_error(
            f"ord={ord!r} is not a norm order for vectors",
            hint="use None, 0, 1, 2, np.inf, -np.inf or a number p",
        )
    if ord == np.inf:
        return max(absolute(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return min(absolute(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        counted = astype(not_equal(x, 0), type_of(x).dtype)
        return sum(counted, axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum(absolute(x), axis=axis, keepdims=keepdims)
    # A Python number keeps the dtype of x (float32 stays float32, as NumPy's in-place power).
    p = int(ord) if isinstance(ord, int | np.integer) else float(ord)
    return power(sum(power(absolute(x), p), axis=axis, keepdims=keepdims), 1 / p)


def matrix_norm(x: object, ord: object, axes: tuple[int, ...]) -> object:
    """NumPy's matrix norms: Frobenius; the largest or smallest absolute column sum (ord=1,
    -1) or row sum (ord=inf, -inf); the largest or smallest singular value (2, -2) and
    their sum (nuc)."""
    rows, cols = axes
    if ord in (None, "fro", "f"):
        return sqrt(sum(multiply(x, x), axis=axes))
    if ord in (2, -2, "nuc"):
        from .factorizations import svd
        from .shapes import moveaxis

        values = svd(moveaxis(x, (rows, cols), (-2, -1)), compute_uv=False)
        return {2: max, -2: min, "nuc": sum}[ord](values, axis=-1)
    if isinstance(ord, str) or ord not in (1, -1, np.inf, -np.inf):
        raise norm_error(
            f"ord={ord!r} is not a norm order for matrices",
            hint="use None, 'fro', 'nuc', 1, -1, 2, -2, np.inf or -np.inf",
        )
    summed, kept = (rows, cols) if ord in (1, -1) else (cols, rows)
    sums = sum(absolute(x), axis=summed)
    extreme = max if ord > 0 else min
    return extreme(sums, axis=kept - 1 if kept > summed else kept)


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


@implements(np.trace, method="trace")
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    reject("trace", out=out)
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)
