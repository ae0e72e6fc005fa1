"""Rows for np.gradient and np.trapezoid (tracer/functions/calculus.py)."""

from __future__ import annotations

import numpy as np

from tests.ops.table import OpRow

ROWS_CALCULUS14: tuple[OpRow, ...] = (
    OpRow(
        np.gradient,
        lambda f, **kw: np.gradient(f, **kw),
        samples=(((5,),), ((6,),)),
    ),
    OpRow(
        np.gradient,
        lambda f: np.gradient(f, edge_order=2),
        name="gradient_edge_order",
        samples=(((5,),),),
        jax=False,  # jax.numpy refuses edge_order=
    ),
    OpRow(
        np.gradient,
        lambda f, **kw: np.gradient(f, 0.5, **kw),
        name="gradient_axes",
        samples=(((4, 5),),),
        kwargs=({"axis": 0}, {"axis": -1}),
    ),
    OpRow(
        np.gradient,
        lambda f: np.stack(np.gradient(f, 2.0, np.linspace(0.0, 1.0, 5))),
        name="gradient_every_axis",
        samples=(((3, 5),),),
    ),
    OpRow(
        np.trapezoid,
        lambda y, **kw: np.trapezoid(y, **kw),
        samples=(((6,),), ((3, 4),)),
        kwargs=({}, {"dx": 0.25}, {"axis": 0}),
    ),
    OpRow(
        np.trapezoid,
        lambda y: np.trapezoid(y, x=np.array([0.0, 0.5, 1.5, 2.0, 3.5, 4.0])),
        name="trapezoid_x",
        samples=(((6,),), ((2, 6),)),
    ),
)
