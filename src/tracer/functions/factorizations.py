"""Tracer layer: np.linalg's solves and factorizations (inv, solve, det, slogdet, cholesky,
eigh, eigvalsh) over the linear-algebra core (ir/primitives/linalg.py), and the functions
composed of them and of products (matrix_power, multi_dot).

Each takes what NumPy's takes and returns what it returns (the results of slogdet and eigh
are named tuples, `sign, logabsdet = np.linalg.slogdet(a)` or `.logabsdet`); on concrete
operands alone it is NumPy's. An operand of the wrong shape gets NumPy's message at the
user's line; a singular or non-positive-definite matrix, NumPy's LinAlgError when the
compiled code runs, or NumPy's own inf and nan.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ...errors import TraceError
from ...ir.primitives import linalg as primitives
from ..context import find_trace
from ..source import caller_location
from .common import type_of
from .registry import implements

__all__ = [
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
]

SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = namedtuple("QRResult", ["Q", "R"])


def recorded(op, *operands: Any, names: tuple[str, ...] | None = None, **params: Any) -> list:
    """`op` on the operands: recorded where one is traced (each output a Tracer, named
    `names` where it has several), else NumPy's own results."""
    trace = find_trace(operands)
    if trace is None:
        results = op.reference(*operands, **params)
        return list(results) if isinstance(results, tuple) else [results]
    return trace.bind_many(op, list(operands), hints=names, **params)


@implements(np.linalg.inv)
def inv(a):
    (out,) = recorded(primitives.inv, a)
    return out


@implements(np.linalg.solve)
def solve(a, b):
    (out,) = recorded(primitives.solve, a, b)
    return out


@implements(np.linalg.det)
def det(a):
    (out,) = recorded(primitives.det, a)
    return out


@implements(np.linalg.slogdet, note="the sign has no derivative")
def slogdet(a):
    return SlogdetResult(*recorded(primitives.slogdet, a, names=SlogdetResult._fields))


@implements(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    (out,) = recorded(primitives.cholesky, a, upper=bool(upper))
    return out


@implements(np.linalg.eigh, note="eigenvectors' derivative undefined at repeated eigenvalues")
def eigh(a, UPLO="L"):
    outputs = recorded(primitives.eigh, a, names=EighResult._fields, UPLO=uplo(UPLO, "eigh"))
    return EighResult(*outputs)


@implements(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    (out,) = recorded(primitives.eigvalsh, a, UPLO=uplo(UPLO, "eigvalsh"))
    return out


@implements(np.linalg.svd, note="U and Vh have a derivative with full_matrices=False")
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    no_hermitian("svd", hermitian)
    full, with_uv = bool(full_matrices), bool(compute_uv)
    if not with_uv:
        (s,) = recorded(primitives.svd, a, full_matrices=True, compute_uv=False)
        return s
    outputs = recorded(
        primitives.svd, a, names=SVDResult._fields, full_matrices=full, compute_uv=True
    )
    return SVDResult(*outputs)


@implements(np.linalg.qr, note="modes reduced, complete and r; derivative for m >= n")
def qr(a, mode="reduced"):
    if mode not in ("reduced", "complete", "r"):
        raise TraceError(
            f"np.linalg.qr(..., mode={mode!r}) is not supported",
            loc=caller_location(),
            hint="use mode='reduced' (the default), 'complete' or 'r'",
        )
    if mode == "r":
        (r,) = recorded(primitives.qr, a, mode="r")
        return r
    return QRResult(*recorded(primitives.qr, a, names=QRResult._fields, mode=mode))


@implements(np.linalg.pinv, note="rtol= and hermitian=True are refused")
def pinv(a, rcond=None, hermitian=False, **rtol):
    no_hermitian("pinv", hermitian)
    if rtol:
        raise TraceError(
            "np.linalg.pinv(..., rtol=...) is not supported",
            loc=caller_location(),
            hint="pass the cutoff as rcond= (a number), as NumPy also accepts",
        )
    if rcond is not None and not isinstance(rcond, int | float):
        raise TraceError(
            f"np.linalg.pinv: rcond must be a number, got {type(rcond).__name__}",
            loc=caller_location(),
            hint="pass rcond as a Python float (a traced cutoff is not supported)",
        )
    (out,) = recorded(primitives.pinv, a, rcond=None if rcond is None else float(rcond))
    return out


@implements(np.linalg.matrix_rank, derivative="none", note="rtol= is refused")
def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """The count of singular values above tol (NumPy's default: the largest times max(m,
    n) times the dtype's eps), an integer: no derivative."""
    from .reductions import max as largest
    from .reductions import sum as total

    no_hermitian("matrix_rank", hermitian)
    if rtol is not None:
        raise TraceError(
            "np.linalg.matrix_rank(..., rtol=...) is not supported",
            loc=caller_location(),
            hint="pass the absolute cutoff as tol=",
        )
    shape = type_of(A).shape
    if len(shape) < 2:  # NumPy: a vector's rank is 1 unless it is all zeros
        from .reductions import any as any_

        return any_(A != 0).astype(np.int64)
    values = svd(A, compute_uv=False)
    if tol is None:
        eps = np.finfo(type_of(values).dtype).eps
        tol = largest(values, axis=-1, keepdims=True) * (max(shape[-2:]) * eps)
    return total(values > tol, axis=-1)


def no_hermitian(function: str, hermitian: Any) -> None:
    if hermitian:
        raise TraceError(
            f"np.linalg.{function}(..., hermitian=True) is not supported",
            loc=caller_location(),
            hint="leave hermitian=False (the same result for a symmetric matrix), or use "
            "np.linalg.eigh",
        )


def triangular_solve(a, b, lower: bool, transpose_a: bool = False):
    """op(a)^-1 b for the triangle of a (not a NumPy function: the derivative rules use it,
    where NumPy would solve with the whole matrix and JAX has a triangular solve)."""
    (out,) = recorded(primitives.triangular_solve, a, b, lower=lower, transpose_a=transpose_a)
    return out


def uplo(value: Any, function: str) -> str:
    if value not in ("L", "U", "l", "u"):
        raise TraceError(
            f"np.linalg.{function}: UPLO argument must be 'L' or 'U' (NumPy raises ValueError)",
            loc=caller_location(),
            hint="pass UPLO='L' (the default) or UPLO='U'",
        )
    return value.upper()


@implements(np.linalg.matrix_power)
def matrix_power(a, n):
    """a @ a @ ... (n times) by repeated squaring, as NumPy computes it; n < 0 inverts
    first; n == 0 is the identity."""
    if not isinstance(n, int | np.integer) or isinstance(n, bool):
        raise TraceError(
            f"np.linalg.matrix_power: the exponent must be an integer, got {n!r}",
            loc=caller_location(),
            hint="pass a Python int (a traced exponent would change the program's shape)",
        )
    shape = type_of(a).shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise TraceError(
            f"np.linalg.matrix_power: Last 2 dimensions of the array must be square, got "
            f"shape {shape} (NumPy raises LinAlgError too)",
            loc=caller_location(),
            hint="pass a square matrix",
        )
    if n == 0:  # the identity, of a's dtype, as NumPy gives it (a constant)
        return np.broadcast_to(np.eye(shape[-1], dtype=type_of(a).dtype), shape).copy()
    base, n = (inv(a), -int(n)) if n < 0 else (a, int(n))
    result = None
    while True:  # binary decomposition of n, as NumPy's own loop
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if not n:
            return result
        base = base @ base


@implements(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """The product of the arrays, left to right (a 1-d first is a row, a 1-d last a
    column, as NumPy treats them)."""
    if out is not None:
        raise TraceError(
            "np.linalg.multi_dot(..., out=...) is not supported",
            loc=caller_location(),
            hint="assign the result instead",
        )
    arrays = list(arrays)
    if len(arrays) < 2:
        raise TraceError(
            "np.linalg.multi_dot: Expecting at least two arrays (NumPy raises ValueError too)",
            loc=caller_location(),
            hint="pass a list of two or more arrays",
        )
    result = arrays[0]
    for array in arrays[1:]:
        result = result @ array
    return result
