"""AD layer: the VJP and JVP rules of the linear-algebra core (ir/primitives/linalg.py), the
standard derivations, on stacks of matrices (the last two axes; `reverse` sums a cotangent
back over the axes broadcasting added).

With `T` the transpose of the last two axes:

- inv: d(A^-1) = -A^-1 dA A^-1, so ct_A = -A^-T ct A^-T.
- solve, x = A^-1 b: dx = A^-1 (db - dA x); ct_b = A^-T ct, ct_A = -ct_b x^T.
- det: d det = det * tr(A^-1 dA); slogdet: d log|det| = tr(A^-1 dA), the sign has none.
- cholesky, A = L L^T: dL = L Phi(L^-1 dA L^-T), Phi the lower triangle with half its
  diagonal; transposed, ct_A = L^-T Phi(L^T ct) L^-1.
- eigh, A = V diag(w) V^T: dw = diag(V^T dA V), dV = V (F * (V^T dA V)) with
  F_ij = 1 / (w_j - w_i) off the diagonal; transposed, ct_A = V (diag(ct_w) + F * (V^T
  ct_V)) V^T.

NumPy's cholesky and eigh read one triangle of A only; tracegrad, like JAX, differentiates
them as functions of a symmetric A: each cotangent is symmetrized ((G + G^T) / 2) and each
tangent read symmetrized, so a loss of a symmetric matrix built from parameters gets their
exact gradient. Where the eigenvectors' derivative is undefined (repeated eigenvalues: F is
infinite there) it is inf or nan; the eigenvalues' own derivative stays defined and is
computed without F when nothing reads the eigenvectors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import TraceError
from ..ir.primitives import linalg, scipy_linalg
from ..tracer import functions as tnp
from ..tracer.functions.factorizations import triangular_solve
from ..tracer.source import caller_location
from .derivatives import shape_of
from .jvp_rules import jvp_rules
from .vjp_rules import vjp_rules


def mT(x: Any) -> Any:
    return tnp.swapaxes(x, -1, -2)


def symmetric(x: Any) -> Any:
    return (x + mT(x)) / 2


def column(x: Any) -> Any:
    return tnp.expand_dims(x, -1)


def scalar_matrix(x: Any) -> Any:
    """A stack of scalars as (..., 1, 1), to scale a stack of matrices."""
    return tnp.expand_dims(tnp.expand_dims(x, -1), -1)


# --- inv, solve, det, slogdet ----------------------------------------------------------------


def inv_vjp(ct, a, out):
    inverse_t = mT(out)
    return [-(inverse_t @ ct @ inverse_t)]


def inv_jvp(tangents, a, out):
    (t,) = tangents
    return -(out @ t @ out)


def solve_vjp(ct, a, b, out):
    vector = len(shape_of(b)) == 1
    d_b = solved(mT(a), ct, vector)
    d_a = -(column(d_b) * tnp.expand_dims(out, -2)) if vector else -(d_b @ mT(out))
    return [d_a, d_b]


def solve_jvp(tangents, a, b, out):
    t_a, t_b = tangents
    vector = len(shape_of(b)) == 1
    change = t_b
    if t_a is not None:
        moved = (t_a @ column(out))[..., 0] if vector else t_a @ out
        change = -moved if change is None else change - moved
    return solved(a, change, vector)


def solved(a: Any, rhs: Any, vector: bool) -> Any:
    """a^-1 rhs, rhs vectors where solve's b was one (each of a stack of them a column)."""
    if vector and len(shape_of(rhs)) > 1:
        return tnp.solve(a, column(rhs))[..., 0]
    return tnp.solve(a, rhs)


def det_vjp(ct, a, out):
    return [scalar_matrix(ct * out) * mT(tnp.inv(a))]


def det_jvp(tangents, a, out):
    (t,) = tangents
    return out * traced_product(mT(tnp.inv(a)), t)


def traced_product(x: Any, y: Any) -> Any:
    """tr(x^T y) per matrix of the stacks: the sum of their elementwise product."""
    return tnp.sum(x * y, axis=(-2, -1))


def slogdet_vjp(cts, a, outs):
    _, ct = cts
    if ct is None:
        return [None]
    return [scalar_matrix(ct) * mT(tnp.inv(a))]


def slogdet_jvp(tangents, a, outs):
    (t,) = tangents
    sign, _ = outs
    return [tnp.zeros_like(sign), traced_product(mT(tnp.inv(a)), t)]


# --- cholesky --------------------------------------------------------------------------------


def halved_lower(x: Any) -> Any:
    """Phi: the lower triangle, its diagonal halved."""
    n = shape_of(x)[-1]
    return tnp.tril(x) - 0.5 * x * np.eye(n, dtype=bool)


def cholesky_vjp(ct, a, out, upper):
    lower, ct = (mT(out), mT(ct)) if upper else (out, ct)
    projected = halved_lower(mT(lower) @ tnp.tril(ct))
    left = triangular_solve(lower, projected, lower=True, transpose_a=True)  # L^-T Phi
    # (L^-T Phi) L^-1, as (L^-T (L^-T Phi)^T)^T
    return [symmetric(mT(triangular_solve(lower, mT(left), lower=True, transpose_a=True)))]


def cholesky_jvp(tangents, a, out, upper):
    (t,) = tangents
    lower = mT(out) if upper else out
    half = mT(triangular_solve(lower, symmetric(t), lower=True))  # (L^-1 S)^T
    inner = triangular_solve(lower, half, lower=True)  # L^-1 S L^-T
    change = lower @ halved_lower(inner)
    return mT(change) if upper else change


def triangular_solve_vjp(ct, a, b, out, lower, transpose_a):
    """As solve's, the cotangent of a read back through op and the triangle."""
    d_b = triangular_solve(a, ct, lower=lower, transpose_a=not transpose_a)
    d_op = -(d_b @ mT(out))
    return [triangle(mT(d_op) if transpose_a else d_op, lower, False), d_b]


def triangular_solve_jvp(tangents, a, b, out, lower, transpose_a):
    t_a, t_b = tangents
    change = t_b
    if t_a is not None:
        t_op = triangle(t_a, lower, False)
        moved = (mT(t_op) if transpose_a else t_op) @ out
        change = -moved if change is None else change - moved
    return triangular_solve(a, change, lower=lower, transpose_a=transpose_a)


# --- eigh, eigvalsh --------------------------------------------------------------------------


def gaps(w: Any) -> Any:
    """F: 1 / (w_j - w_i) off the diagonal, 0 on it."""
    n = shape_of(w)[-1]
    differences = tnp.expand_dims(w, -2) - tnp.expand_dims(w, -1)
    off = ~np.eye(n, dtype=bool)
    return tnp.where(off, 1 / tnp.where(off, differences, 1), 0)


def eigh_vjp(cts, a, outs, UPLO):
    ct_w, ct_v = cts
    w, v = outs
    inner = 0
    if ct_w is not None:
        inner = tnp.expand_dims(ct_w, -2) * np.eye(shape_of(w)[-1])
    if ct_v is not None:
        inner = inner + gaps(w) * (mT(v) @ ct_v)
    return [symmetric(v @ inner @ mT(v))]


def eigh_jvp(tangents, a, outs, UPLO):
    (t,) = tangents
    w, v = outs
    rotated = mT(v) @ symmetric(t) @ v
    return [tnp.diagonal(rotated, axis1=-2, axis2=-1), v @ (gaps(w) * rotated)]


def eigvalsh_vjp(ct, a, out, UPLO):
    _, v = tnp.eigh(a, UPLO)
    return [symmetric((v * tnp.expand_dims(ct, -2)) @ mT(v))]


def eigvalsh_jvp(tangents, a, out, UPLO):
    (t,) = tangents
    _, v = tnp.eigh(a, UPLO)
    return tnp.sum(v * (symmetric(t) @ v), axis=-2)


# --- svd, pinv --------------------------------------------------------------------------------


def reduced(a: Any, u: Any, vh: Any, full_matrices: bool) -> tuple[Any, Any]:
    """U and Vh of the reduced factorization (the first k = min(m, n) columns and rows)."""
    m, n = shape_of(a)[-2:]
    if not full_matrices or m == n:
        return u, vh
    k = min(m, n)
    return u[..., :, :k], vh[..., :k, :]


def undefined_full_factors(full_matrices: bool, a: Any, *cts: Any) -> None:
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n and any(ct is not None for ct in cts):
        raise TraceError(
            "the derivative of np.linalg.svd's U and Vh with full_matrices=True is not "
            "defined for a matrix that is not square (the extra columns are any basis)",
            loc=caller_location(),
            hint="pass full_matrices=False, or differentiate the singular values alone",
        )


def svd_vjp(cts, a, outs, full_matrices, compute_uv):
    """Townsend's derivation: with F_ij = 1 / (s_j^2 - s_i^2) off the diagonal,
    ct_A = U [(F * (U^T ct_U - ct_U^T U)) S + diag(ct_S) + S (F * (V^T ct_V - ct_V^T V))] V^T
    + (I - U U^T) ct_U S^-1 V^T + U S^-1 ct_V^T (I - V V^T)."""
    if not compute_uv:
        (ct_s,) = cts
        u, _, vh = tnp.svd(a, full_matrices=False)
        return [(u * tnp.expand_dims(ct_s, -2)) @ vh]
    ct_u, ct_s, ct_vh = cts
    undefined_full_factors(full_matrices, a, ct_u, ct_vh)
    u, s, vh = outs
    u, vh = reduced(a, u, vh, full_matrices)
    row, col = tnp.expand_dims(s, -2), tnp.expand_dims(s, -1)
    inner = 0 if ct_s is None else tnp.expand_dims(ct_s, -2) * np.eye(shape_of(s)[-1])
    ct_a = 0
    f = gaps(s * s) if ct_u is not None or ct_vh is not None else None
    if ct_u is not None:
        inner = inner + (f * (mT(u) @ ct_u - mT(ct_u) @ u)) * row
        if shape_of(u)[-2] > shape_of(u)[-1]:  # m > n: the part outside U's columns
            ct_a = ((ct_u - u @ (mT(u) @ ct_u)) / row) @ vh
    if ct_vh is not None:
        v, ct_v = mT(vh), mT(ct_vh)
        inner = inner + col * (f * (mT(v) @ ct_v - mT(ct_v) @ v))
        if shape_of(v)[-2] > shape_of(v)[-1]:  # n > m
            ct_a = ct_a + u @ mT((ct_v - v @ (mT(v) @ ct_v)) / row)
    return [u @ inner @ vh + ct_a]


def svd_jvp(tangents, a, outs, full_matrices, compute_uv):
    """dS = U^T dA V: ds = diag(dS), dU = U (F * (dS S + S dS^T)) (+ (I - U U^T) dA V S^-1
    when m > n), dV = V (F * (S dS + dS^T S)) (+ (I - V V^T) dA^T U S^-1 when n > m)."""
    (t,) = tangents
    if not compute_uv:
        u, _, vh = tnp.svd(a, full_matrices=False)
        return [tnp.sum(u * (t @ mT(vh)), axis=-2)]
    undefined_full_factors(full_matrices, a, t)
    u, s, vh = outs
    u, vh = reduced(a, u, vh, full_matrices)
    v = mT(vh)
    row, col = tnp.expand_dims(s, -2), tnp.expand_dims(s, -1)
    ds = mT(u) @ t @ v
    f = gaps(s * s)
    scaled_right, scaled_left = ds * row, col * ds
    du = u @ (f * (scaled_right + mT(scaled_right)))
    dv = v @ (f * (scaled_left + mT(scaled_left)))
    if shape_of(u)[-2] > shape_of(u)[-1]:
        moved = t @ v
        du = du + (moved - u @ (mT(u) @ moved)) / row
    if shape_of(v)[-2] > shape_of(v)[-1]:
        moved = mT(t) @ u
        dv = dv + (moved - v @ (mT(v) @ moved)) / row
    return [du, tnp.diagonal(ds, axis1=-2, axis2=-1), mT(dv)]


def pinv_jvp(tangents, a, out, rcond):
    """Golub and Pereyra's, where the rank stays: dP = -P dA P + P P^T dA^T (I - A P)
    + (I - P A) dA^T P^T P."""
    (t,) = tangents
    p = out
    left = np.eye(shape_of(a)[-2]) - a @ p
    right = np.eye(shape_of(a)[-1]) - p @ a
    return -(p @ t @ p) + p @ mT(p) @ mT(t) @ left + right @ mT(t) @ mT(p) @ p


def pinv_vjp(ct, a, out, rcond):
    """The transpose of the JVP: ct_A = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T
    (I - P A)."""
    p = out
    left = np.eye(shape_of(a)[-2]) - a @ p
    right = np.eye(shape_of(a)[-1]) - p @ a
    return [-(mT(p) @ ct @ mT(p)) + left @ mT(ct) @ p @ mT(p) + mT(p) @ p @ mT(ct) @ right]


# --- scipy.linalg.solve_triangular ------------------------------------------------------------


def triangle(x: Any, lower: bool, unit_diagonal: bool) -> Any:
    """The part of a matrix solve_triangular reads: its triangle (without the diagonal
    where that is taken as ones)."""
    k = 1 if unit_diagonal else 0
    return tnp.tril(x, -k) if lower else tnp.triu(x, k)


def solve_triangular_vjp(ct, a, b, out, trans, lower, unit_diagonal):
    """x = op(A)^-1 b: ct_b = op(A)^-T ct; ct_op(A) = -ct_b x^T, read back through op and
    the triangle."""
    from ..tracer.functions import scipy_linalg as front

    vector = len(shape_of(b)) == 1
    d_b = front.solve_triangular(a, ct, trans=1 - trans, lower=lower, unit_diagonal=unit_diagonal)
    d_op = -(column(d_b) * tnp.expand_dims(out, -2)) if vector else -(d_b @ mT(out))
    return [triangle(mT(d_op) if trans else d_op, lower, unit_diagonal), d_b]


def solve_triangular_jvp(tangents, a, b, out, trans, lower, unit_diagonal):
    from ..tracer.functions import scipy_linalg as front

    t_a, t_b = tangents
    vector = len(shape_of(b)) == 1
    change = t_b
    if t_a is not None:
        t_op = triangle(t_a, lower, unit_diagonal)
        t_op = mT(t_op) if trans else t_op
        moved = (t_op @ column(out))[..., 0] if vector else t_op @ out
        change = -moved if change is None else change - moved
    return front.solve_triangular(a, change, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


if scipy_linalg.solve_triangular is not None:
    vjp_rules[scipy_linalg.solve_triangular] = solve_triangular_vjp
    jvp_rules[scipy_linalg.solve_triangular] = solve_triangular_jvp

# --- qr --------------------------------------------------------------------------------------


def qr_defined(a: Any, mode: str) -> None:
    m, n = shape_of(a)[-2:]
    if m < n or (mode == "complete" and m != n):
        raise TraceError(
            "the derivative of np.linalg.qr is defined for m >= n rows and columns, with the "
            f"reduced factors; this is a {m} x {n} matrix in mode={mode!r}",
            loc=caller_location(),
            hint="differentiate the QR of a.T (its R.T is a factor of a), or use "
            "mode='reduced' for a tall matrix",
        )


def qr_factors(a: Any, outs: list, mode: str) -> tuple[Any, Any]:
    if mode == "r":  # Q recomputed: the rules need it
        return tnp.qr(a).Q, outs[0]
    return outs[0], outs[1]


def qr_jvp(tangents, a, outs, mode):
    """X = dA R^-1, C = Q^T X, O = tril(C, -1) - tril(C, -1)^T: dQ = Q (O - C) + X,
    dR = (C - O) R (JAX's derivation, for m >= n)."""
    (t,) = tangents
    qr_defined(a, mode)
    q, r = qr_factors(a, outs, mode)
    x = mT(triangular_solve(r, mT(t), lower=False, transpose_a=True))  # dA R^-1
    c = mT(q) @ x
    lower = tnp.tril(c, -1)
    o = lower - mT(lower)
    dr = (c - o) @ r
    return [dr] if mode == "r" else [q @ (o - c) + x, dr]


def qr_vjp(cts, a, outs, mode):
    """The JVP transposed: with M = Q^T ct_Q - ct_R R^T, ct_X = Q (tril(M - M^T, -1) +
    ct_R R^T) + ct_Q - Q Q^T ct_Q, and ct_A = ct_X R^-T."""
    qr_defined(a, mode)
    q, r = qr_factors(a, outs, mode)
    ct_q, ct_r = (None, cts[0]) if mode == "r" else cts
    pulled = tnp.zeros_like(r) if ct_r is None else ct_r @ mT(r)  # ct_R R^T
    m = -pulled if ct_q is None else mT(q) @ ct_q - pulled
    ct_x = q @ (tnp.tril(m - mT(m), -1) + pulled)
    if ct_q is not None:
        ct_x = ct_x + ct_q - q @ (mT(q) @ ct_q)
    return [mT(triangular_solve(r, mT(ct_x), lower=False))]


vjp_rules[linalg.qr] = qr_vjp
jvp_rules[linalg.qr] = qr_jvp
vjp_rules[linalg.triangular_solve] = triangular_solve_vjp
jvp_rules[linalg.triangular_solve] = triangular_solve_jvp
vjp_rules[linalg.svd] = svd_vjp
vjp_rules[linalg.pinv] = pinv_vjp
jvp_rules[linalg.svd] = svd_jvp
jvp_rules[linalg.pinv] = pinv_jvp
vjp_rules[linalg.inv] = inv_vjp
vjp_rules[linalg.solve] = solve_vjp
vjp_rules[linalg.det] = det_vjp
vjp_rules[linalg.slogdet] = slogdet_vjp
vjp_rules[linalg.cholesky] = cholesky_vjp
vjp_rules[linalg.eigh] = eigh_vjp
vjp_rules[linalg.eigvalsh] = eigvalsh_vjp
jvp_rules[linalg.inv] = inv_jvp
jvp_rules[linalg.solve] = solve_jvp
jvp_rules[linalg.det] = det_jvp
jvp_rules[linalg.slogdet] = slogdet_jvp
jvp_rules[linalg.cholesky] = cholesky_jvp
jvp_rules[linalg.eigh] = eigh_jvp
jvp_rules[linalg.eigvalsh] = eigvalsh_jvp
