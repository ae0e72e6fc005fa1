"""Rows of the operation table for scipy.linalg's functions (issue 16): solve_triangular in
each of its forms, cholesky and cho_factor (the triangle SciPy reads), cho_solve. Written
against the module-level name `linalg`, so tests/tracer/test_special16.py runs the same
source over jax.scipy.linalg (`jax=False` here: the table's JAX check rebinds `np` only)."""

from __future__ import annotations

import numpy as np
import scipy.linalg as linalg

from tests.ops.table import OpRow

SYSTEMS = (((3, 3), (3,)), ((3, 3), (3, 2)))


def triangular(a, b, **keywords):
    return linalg.solve_triangular(a + 3 * np.eye(3), b, **keywords)


def factor(a, lower=False):
    return linalg.cholesky(a @ a.T + np.eye(3), lower=lower)


def factor_in_place(a, lower=False):
    c, low = linalg.cho_factor(a @ a.T + np.eye(3), lower=lower)
    return np.tril(c) if low else np.triu(c)


def solved(a, b, lower=False):
    return linalg.cho_solve(linalg.cho_factor(a @ a.T + np.eye(3), lower=lower), b)


ROWS_SCIPY_LINALG16: tuple[OpRow, ...] = (
    OpRow(
        linalg.solve_triangular,
        triangular,
        samples=SYSTEMS,
        kwargs=(
            {},
            {"lower": True},
            {"trans": 1},
            {"trans": "T", "lower": True, "unit_diagonal": True},
        ),
        differentiable=(0, 1),
        jax=False,
    ),
    OpRow(linalg.cholesky, factor, samples=(((3, 3),),), kwargs=({}, {"lower": True}), jax=False),
    OpRow(
        linalg.cho_factor,
        factor_in_place,
        samples=(((3, 3),),),
        kwargs=({}, {"lower": True}),
        jax=False,
    ),
    OpRow(
        linalg.cho_solve,
        solved,
        samples=SYSTEMS,
        kwargs=({}, {"lower": True}),
        differentiable=(0, 1),
        jax=False,
    ),
)
