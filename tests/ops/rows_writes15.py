"""Rows of the operation table for the NumPy functions that write into their first argument
(issue 15): np.copyto (with `where=`), np.fill_diagonal, np.put_along_axis, np.put (each
mode), np.putmask and np.place, into an array the function made and into a traced copy."""

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


def put_flat(x):
    out = np.zeros((2, 3))
    np.put(out, [5, 0, 2], np.cos(x[0]))  # the values repeat: x[0] has 2 of the 3
    return out


def put_wrapped(x):
    out = x * 2.0
    np.put(out, np.array([[7], [-1]]), x[1, :2], mode="wrap")
    return out


def put_clipped(x):
    out = x + 1.0
    np.put(out, [9, -4], x[0, 1], mode="clip")
    return out


def masked_put(x):
    out = np.sin(x)
    np.putmask(out, out > 0, x[0] * 3.0)  # values by flat position, repeated
    return out


def placed(x):
    out = np.ones((2, 3))
    np.place(out, np.array([[True, False, True], [True, True, False]]), np.tanh(x[0, :3]))
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
    OpRow(np.put, put_flat, samples=(((2, 2),),), jax=False),
    OpRow(np.put, put_wrapped, name="put_wrap", samples=(((2, 3),),), jax=False),
    OpRow(np.put, put_clipped, name="put_clip", samples=(((2, 3),),), jax=False),
    OpRow(np.putmask, masked_put, samples=(((2, 3),),), jax=False),
    OpRow(np.place, placed, samples=(((2, 3),),), jax=False),
)
