"""Rows of the operation table for the NumPy functions that write into their first argument
(issue 15): np.copyto (with `where=`), np.fill_diagonal and np.put_along_axis, into an array
the function made and into a traced copy."""

from __future__ import annotations

import numpy as np

from tests.ops.table import OpRow


def copied(x, y):
    out = np.zeros((2, 3))
    np.copyto(out, x * y)
    return out


def copied_where(x):
    out = np.ones((2, 3))
    np.copyto(out, np.sin(x), where=np.array([True, False, True]))
    return out


def diagonal_filled(x, y):
    out = x * 1.5
    np.fill_diagonal(out, y)  # y repeats along the diagonal, as NumPy repeats it
    return out


def put_along(x):
    out = np.zeros((2, 3))
    np.put_along_axis(out, np.array([[2], [0]]), np.tanh(x[:, :1]), axis=1)
    return out


ROWS_WRITES15: tuple[OpRow, ...] = (
    OpRow(np.copyto, copied, samples=(((2, 3), (3,)),), differentiable=(0, 1), jax=False),
    OpRow(np.copyto, copied_where, name="copyto_where", samples=(((2, 3),),), jax=False),
    OpRow(
        np.fill_diagonal,
        diagonal_filled,
        samples=(((3, 4), (2,)), ((4, 3), ())),
        differentiable=(0, 1),
        jax=False,
    ),
    OpRow(np.put_along_axis, put_along, samples=(((2, 3),),), jax=False),
)
