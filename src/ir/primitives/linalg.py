"""IR layer: the linear-algebra core, np.linalg's factorizations and solves on stacks of
matrices (the last two axes), as NumPy broadcasts them.

Each is a composite call (calls.declare_call): the backends write the one call
(`np.linalg.solve(a, b)`, `jnp.linalg.solve(a, b)`), and the derivatives are rules of their
own (ad/linalg_rules.py), the standard derivations, since none decomposes into the other
primitives. The type rule runs NumPy's function on identity matrices, so the result types,
and NumPy's errors for operands of the wrong shape, are NumPy's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, TypeRule, declare
from ..types import TensorType
from .calls import declare_call


def linalg_type(reference, square: bool = True) -> TypeRule:
    """The types NumPy gives: `reference` on identity matrices (the first operand; what
    every factorization accepts; zeros where it need not be square) and zeros (the
    others)."""

    def rule(types: tuple[TensorType, ...], **params: Any) -> tuple[TensorType, ...]:
        first, *rest = types
        if first.ndim < 2:
            raise TypeRuleError(
                f"{reference.__name__}: {first.ndim}-dimensional array given. Array must be "
                "at least two-dimensional (NumPy raises LinAlgError too)",
                hint="pass a matrix, or a stack of them in the last two axes",
            )
        if square and first.shape[-1] != first.shape[-2]:
            raise TypeRuleError(
                f"{reference.__name__}: Last 2 dimensions of the array must be square, got "
                f"{first} (NumPy raises LinAlgError too)",
                hint="pass a square matrix, or a stack of them in the last two axes",
            )
        if first.dtype.kind not in "biuf":
            raise TypeRuleError(f"{reference.__name__}: a real matrix is needed, got {first}")
        if square:
            filler = np.broadcast_to(np.eye(first.shape[-1], dtype=first.dtype), first.shape)
        else:
            filler = np.zeros(first.shape, first.dtype)
        try:
            value = reference(filler, *(np.zeros(x.shape, x.dtype) for x in rest), **params)
        except (TypeError, ValueError) as error:
            raise TypeRuleError(f"{reference.__name__}: {error}, for {types}") from None
        values = value if isinstance(value, tuple) else (value,)
        return tuple(TensorType(np.shape(v), np.asarray(v).dtype) for v in values)

    return rule


def slogdet_reference(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return sign, logabsdet


def eigh_reference(a, UPLO="L"):
    eigenvalues, eigenvectors = np.linalg.eigh(a, UPLO)
    return eigenvalues, eigenvectors


def cholesky_reference(a, upper=False):
    return np.linalg.cholesky(a, upper=upper)


def svd_reference(a, full_matrices=True, compute_uv=True):
    if not compute_uv:
        return np.linalg.svd(a, full_matrices, compute_uv=False)
    u, s, vh = np.linalg.svd(a, full_matrices)
    return u, s, vh


def pinv_reference(a, rcond=None):
    return np.linalg.pinv(a, rcond)


def linalg_call(function, params=(), positional=0, defaults=None, reference=None, square=True):
    return declare_call(
        function,
        params,
        positional,
        defaults or {},
        type_rule=linalg_type(reference or function, square),
        reference=reference,
        namespace="linalg.",
        doc="differentiated by its own rule",
    )


inv = linalg_call(np.linalg.inv)
solve = linalg_call(np.linalg.solve)
det = linalg_call(np.linalg.det)
slogdet = linalg_call(np.linalg.slogdet, reference=slogdet_reference)
cholesky = linalg_call(
    np.linalg.cholesky, ("upper",), 0, {"upper": False}, reference=cholesky_reference
)
eigh = linalg_call(np.linalg.eigh, ("UPLO",), 0, {"UPLO": "L"}, reference=eigh_reference)
eigvalsh = linalg_call(np.linalg.eigvalsh, ("UPLO",), 0, {"UPLO": "L"})


def qr_reference(a, mode="reduced"):
    result = np.linalg.qr(a, mode)
    return tuple(result) if mode in ("reduced", "complete") else result


qr = linalg_call(np.linalg.qr, ("mode",), 1, {"mode": "reduced"}, qr_reference, square=False)
svd = linalg_call(
    np.linalg.svd,
    ("full_matrices", "compute_uv"),
    0,
    {"full_matrices": True, "compute_uv": True},
    reference=svd_reference,
    square=False,
)
pinv = linalg_call(np.linalg.pinv, ("rcond",), 0, {"rcond": None}, pinv_reference, square=False)


# A solve with a triangular matrix, for the derivative rules (cholesky's): no NumPy function
# of its own, so NumPy writes np.linalg.solve with the triangle, JAX its triangular solve.
def triangular_solve_rule(
    types: tuple[TensorType, ...], lower: bool, transpose_a: bool
) -> tuple[TensorType, ...]:
    a, b = types
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise TypeRuleError(f"triangular_solve: a square a and a matrix b, got {a} and {b}")
    shape = (*np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), *b.shape[-2:])
    return (TensorType(shape, np.result_type(a.dtype, b.dtype, np.float32)),)


def triangular_solve_reference(a, b, lower, transpose_a):
    triangle = np.tril(a) if lower else np.triu(a)
    return np.linalg.solve(np.swapaxes(triangle, -1, -2) if transpose_a else triangle, b)


triangular_solve = declare(
    "triangular_solve",
    Group.COMPOSITE,
    triangular_solve_rule,
    "x with op(a) x = b for the triangle of a (op: a or its transpose), b a matrix",
    reference=triangular_solve_reference,
)
