"""Rows for sorting and the order statistics (median, quantile, percentile).

Samples are continuous, so ties (where a sort's derivative is not defined) do not occur.
partition and argpartition leave the order of the other elements to the implementation
(NumPy's and jax.numpy's differ), so their rows read only the kth positions, which both
define.
"""

from __future__ import annotations

import numpy as np

from tests.ops.table import NO_DERIVATIVE, OpRow

VECTOR_AND_MATRIX = (((5,),), ((3, 4),))
MATRIX = (((3, 4),),)
# jax.numpy's quantile knows these methods (the others are NumPy's alone)
JAX_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")
NUMPY_ONLY_METHODS = (
    "hazen",
    "weibull",
    "median_unbiased",
    "normal_unbiased",
    "interpolated_inverted_cdf",
)

ROWS_SORTING14: tuple[OpRow, ...] = (
    OpRow(
        np.sort,
        lambda x, **kw: np.sort(x, **kw),
        samples=VECTOR_AND_MATRIX,
        kwargs=({}, {"axis": 0}, {"axis": None}, {"stable": True}),
    ),
    OpRow(
        np.sort,
        lambda x: np.sort(x, kind="stable"),
        name="sort_kind",
        samples=VECTOR_AND_MATRIX,
        jax=False,  # jax.numpy refuses kind= (it takes stable=)
    ),
    OpRow(
        np.argsort,
        lambda x, **kw: np.argsort(x, **kw),
        samples=VECTOR_AND_MATRIX,
        kwargs=({}, {"axis": 0}, {"axis": None}, {"stable": True}),
        **NO_DERIVATIVE,
    ),
    OpRow(np.partition, lambda x: np.partition(x, 1)[..., 1], samples=VECTOR_AND_MATRIX),
    OpRow(
        np.partition,
        lambda x: np.partition(x, (0, -1), axis=0)[::4],
        name="partition_kths",
        samples=VECTOR_AND_MATRIX,
        jax=False,  # jax.numpy's partition takes one kth
    ),
    OpRow(
        np.argpartition,
        lambda x: np.argpartition(x, 2)[..., 2],
        samples=VECTOR_AND_MATRIX,
        **NO_DERIVATIVE,
    ),
    OpRow(
        np.searchsorted,
        lambda a, v, **kw: np.searchsorted(np.sort(a), v, **kw),
        samples=(((6,), (4,)), ((6,), (2, 3))),
        kwargs=({}, {"side": "right"}),
        **NO_DERIVATIVE,
    ),
    OpRow(np.median, lambda x: np.median(x), samples=(((5,),), ((4,),), ((3, 4),))),
    OpRow(
        np.median,
        lambda x, **kw: np.median(x, **kw),
        name="median_axes",
        samples=(((3, 4),), ((2, 3, 4),)),
        kwargs=({"axis": 0}, {"axis": -1, "keepdims": True}, {"axis": (0, 1)}),
    ),
    OpRow(
        np.quantile,
        lambda x, **kw: np.quantile(x, 0.3, **kw),
        samples=VECTOR_AND_MATRIX,
        kwargs=tuple({"method": method} for method in JAX_METHODS),
    ),
    OpRow(
        np.quantile,
        lambda x, **kw: np.quantile(x, 0.3, **kw),
        name="quantile_numpy_methods",
        samples=VECTOR_AND_MATRIX,
        kwargs=tuple({"method": method} for method in NUMPY_ONLY_METHODS),
        jax=False,
    ),
    OpRow(
        np.quantile,
        lambda x, **kw: np.quantile(x, np.array([0.0, 0.25, 0.6, 1.0]), **kw),
        name="quantile_vector",
        samples=(((2, 3, 5),),),
        kwargs=({}, {"axis": 1}, {"axis": (0, 2), "keepdims": True}, {"axis": -1}),
    ),
    OpRow(
        np.percentile,
        lambda x, **kw: np.percentile(x, np.array([10, 75]), **kw),
        samples=VECTOR_AND_MATRIX,
        kwargs=({}, {"axis": 0}),
    ),
    OpRow(
        np.percentile,
        lambda x: np.percentile(x, [10, 75]),
        name="percentile_list",
        samples=VECTOR_AND_MATRIX,
        jax=False,  # jax.numpy takes q as an array only
    ),
)
