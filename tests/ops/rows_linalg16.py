"""Rows of the operation table for np.linalg's solves and factorizations (issue 16): each on
one matrix and on a stack, on matrices kept away from singular (a + 3I) or made symmetric
positive definite (a a^T + I), as the functions need; eigh's eigenvectors squared, so the
checks see what is defined whatever sign the factorization picks."""

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


ROWS_LINALG16: tuple[OpRow, ...] = (
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
