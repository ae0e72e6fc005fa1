"""Rows of the operation table for np.linalg's solves and factorizations (issue 16): each on
one matrix and on a stack, on matrices kept away from singular (a + 3I) or made symmetric
positive definite (a a^T + I), as the functions need; eigh's eigenvectors and svd's factors
as products or squares, so the checks see what is defined whatever sign the factorization
picks; tall, wide and square matrices for svd and pinv."""

from __future__ import annotations

import numpy as np

from tests.ops.table import OpRow

SQUARE = (((3, 3),), ((2, 3, 3),))


def inverse(a):
    return np.linalg.inv(a + 3 * np.eye(3))


def solved(a, b):
    return np.linalg.solve(a + 3 * np.eye(3), b)


def determinant(a):
    return np.linalg.det(a @ np.swapaxes(a, -1, -2) + np.eye(3))


def log_determinant(a):
    return np.linalg.slogdet(a @ np.swapaxes(a, -1, -2) + np.eye(3))[1]


def cholesky_factor(a):
    return np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + np.eye(3))


def cholesky_upper(a):
    return np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + np.eye(3), upper=True)


def eigenvalues(a):
    return np.linalg.eigh(a + np.swapaxes(a, -1, -2))[0]


def eigenvectors_squared(a):
    return np.linalg.eigh(a + np.swapaxes(a, -1, -2), UPLO="U")[1] ** 2


def eigenvalues_only(a):
    return np.linalg.eigvalsh(a @ np.swapaxes(a, -1, -2))


def cubed(a):
    return np.linalg.matrix_power(a, 3) + np.linalg.matrix_power(a + 3 * np.eye(3), -2)


def chained(a, b):
    return np.linalg.multi_dot([b[0], a, a.T, b[1]])


RECTANGLES = (((4, 3),), ((2, 3, 4),), ((3, 3),))


def singular_values(a):
    return np.linalg.svd(a, compute_uv=False)


def reduced_factors(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (u**2)[..., 0, :] * s + (vh**2)[..., :, -1]  # a row of U, a column of Vh


def pseudo_inverse(a):
    return np.linalg.pinv(a)


def ranks(a):
    return np.linalg.matrix_rank(a) + np.linalg.matrix_rank(a[..., :1, :] * 0)


def matrix_norms(a, ord):
    return np.linalg.norm(a, ord, axis=(-2, -1))


def orthogonalized(a, mode="reduced"):
    if mode == "r":
        return np.linalg.qr(a, mode="r") ** 2
    q, r = np.linalg.qr(a, mode=mode)
    return q**2 @ r  # signs of the columns of Q go with the rows of R


ROWS_LINALG16: tuple[OpRow, ...] = (
    OpRow(
        np.linalg.qr,
        orthogonalized,
        samples=(((4, 3),), ((2, 3, 3),)),
        kwargs=({}, {"mode": "r"}),
    ),
    OpRow(np.linalg.svd, singular_values, samples=RECTANGLES),
    OpRow(np.linalg.svd, reduced_factors, name="svd_factors", samples=RECTANGLES),
    OpRow(np.linalg.pinv, pseudo_inverse, samples=RECTANGLES),
    OpRow(np.linalg.matrix_rank, ranks, samples=RECTANGLES, derivative=False),
    OpRow(
        np.linalg.norm,
        matrix_norms,
        name="norm_singular_values",
        samples=RECTANGLES,
        kwargs=({"ord": 2}, {"ord": -2}, {"ord": "nuc"}),
    ),
    OpRow(np.linalg.inv, inverse, samples=SQUARE),
    OpRow(
        np.linalg.solve,
        solved,
        samples=(((3, 3), (3,)), ((2, 3, 3), (3, 2)), ((2, 3, 3), (3,)), ((3, 3), (2, 3, 1))),
        differentiable=(0, 1),
    ),
    OpRow(np.linalg.det, determinant, samples=SQUARE),
    OpRow(np.linalg.slogdet, log_determinant, samples=SQUARE),
    OpRow(np.linalg.cholesky, cholesky_factor, samples=SQUARE),
    OpRow(np.linalg.cholesky, cholesky_upper, name="cholesky_upper", samples=SQUARE),
    OpRow(np.linalg.eigh, eigenvalues, samples=SQUARE),
    OpRow(np.linalg.eigh, eigenvectors_squared, name="eigh_vectors", samples=SQUARE),
    OpRow(np.linalg.eigvalsh, eigenvalues_only, samples=SQUARE),
    OpRow(np.linalg.matrix_power, cubed, samples=SQUARE),
    OpRow(np.linalg.multi_dot, chained, samples=(((3, 3), (2, 3)),), differentiable=(0, 1)),
)
