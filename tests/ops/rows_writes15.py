"""Rows of the operation table for the NumPy functions that write into their first argument
(issue 15): np.copyto into an array the function made, with `where=`."""

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


ROWS_WRITES15: tuple[OpRow, ...] = (
    OpRow(np.copyto, copied, samples=(((2, 3), (3,)),), differentiable=(0, 1), jax=False),
    OpRow(np.copyto, copied_where, name="copyto_where", samples=(((2, 3),),), jax=False),
)
