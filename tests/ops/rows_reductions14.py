"""Operation-table rows for issue 14's reductions and statistics: the keywords of the plain
reductions (where=, initial=, dtype=, ddof=, correction=, mean=), the statistics (average,
ptp, diff, ediff1d, count_nonzero), the NaN predicates, nan_to_num and the nan-reductions.

A row that needs NaNs plants them inside its own `fn` (`np.where(x > 1.5, np.nan, x)`), so the
JAX check runs the same source; the finite differences then move the other elements only.
On the (2, 3) sample that puts one NaN at [1, 2]: every slice keeps a number.
"""

from __future__ import annotations

import numpy as np

from tests.ops.table import AXES, MATRIX, NO_DERIVATIVE, OpRow, reduction

# A fixed mask leaving at least one element in every row and every column of a (2, 3) sample.
MASK = np.array([[True, False, True], [True, True, False]])
BOOLEAN_MASK = np.array([True, False, True])
POSITIVE = {"low": 0.5, "high": 2.0}

KEYWORD_ROWS: tuple[OpRow, ...] = (
    reduction(np.sum, lambda x, **kw: np.sum(x, where=x > 0.0, **kw), name="sum_where"),
    OpRow(
        np.sum,
        lambda x, **kw: np.sum(x, **kw),
        name="sum_initial",
        samples=MATRIX,
        kwargs=({"initial": 1.5}, {"axis": 0, "initial": 2.0, "keepdims": True}),
    ),
    OpRow(
        np.sum,
        lambda x, **kw: np.sum(x, **kw),
        name="sum_dtype",
        samples=MATRIX,
        # float32 samples (the type-rule check) summed in float64; float32 sums are in
        # tests/tracer/test_reductions14.py (XLA and NumPy round them differently)
        kwargs=({"dtype": np.float64}, {"axis": 1, "dtype": np.float64, "keepdims": True}),
    ),
    OpRow(
        np.sum,
        lambda x, **kw: np.sum(x, **kw),
        name="sum_int_dtype",
        samples=MATRIX,
        kwargs=({"dtype": np.int8}, {"axis": 0, "dtype": np.float64, "where": MASK}),
        dtype="int64",
        **NO_DERIVATIVE,
    ),
    OpRow(
        np.prod,
        lambda x, **kw: np.prod(x, where=MASK, **kw),
        name="prod_where_initial",
        samples=MATRIX,
        kwargs=({}, {"axis": 0}, {"axis": 1, "initial": 2.0, "keepdims": True}),
        **POSITIVE,
    ),
    OpRow(
        np.max,
        lambda x, **kw: np.max(x, **kw),
        name="max_initial",
        samples=MATRIX,
        kwargs=({"initial": 0.6}, {"axis": 0, "initial": 0.6}, {"axis": 1, "initial": -5.0}),
    ),
    OpRow(
        np.min,
        lambda x, **kw: np.min(x, initial=0.3, where=MASK, **kw),
        name="min_where_initial",
        samples=MATRIX,
        kwargs=({}, {"axis": 0, "keepdims": True}, {"axis": -1}),
    ),
    OpRow(
        np.amax,
        lambda x, **kw: np.amax(x, initial=-1.0, where=MASK, **kw),
        name="amax_where_initial",
        samples=MATRIX,
        kwargs=AXES,
    ),
    OpRow(
        np.all,
        lambda x, **kw: np.all(x, where=BOOLEAN_MASK, **kw),
        name="all_where",
        samples=MATRIX,
        kwargs=AXES,
        dtype="bool",
        **NO_DERIVATIVE,
    ),
    OpRow(
        np.any,
        lambda x, **kw: np.any(x, where=x, **kw),  # a traced mask
        name="any_where",
        samples=MATRIX,
        kwargs=AXES,
        dtype="bool",
        **NO_DERIVATIVE,
    ),
    reduction(np.mean, lambda x, **kw: np.mean(x, where=MASK, **kw), name="mean_where"),
    reduction(np.var, lambda x, **kw: np.var(x, where=MASK, **kw), name="var_where"),
    OpRow(  # not along axis 0: a column of MASK keeps one element, whose std 0 has no slope
        np.std,
        lambda x, **kw: np.std(x, where=MASK, **kw),
        name="std_where",
        samples=MATRIX,
        kwargs=({}, {"axis": 1, "keepdims": True}, {"axis": -1}),
    ),
    OpRow(
        np.var,
        lambda x, **kw: np.var(x, **kw),
        name="var_ddof",
        samples=MATRIX,
        kwargs=({"ddof": 1}, {"axis": 1, "ddof": 1, "keepdims": True}, {"correction": 1}),
    ),
    OpRow(
        np.var,
        lambda x: np.var(x, axis=1, mean=np.mean(x, axis=1, keepdims=True)),
        name="var_mean",
        samples=MATRIX,
    ),
    OpRow(
        np.std,
        lambda x, **kw: np.std(x, **kw),
        name="std_ddof",
        samples=MATRIX,
        kwargs=({"ddof": 1}, {"axis": 1, "ddof": 1, "keepdims": True}),
    ),
)

STATISTICS_ROWS: tuple[OpRow, ...] = (
    reduction(np.ptp, lambda x, **kw: np.ptp(x, **kw)),
    OpRow(
        np.average,
        lambda x, **kw: np.average(x, **kw),
        samples=MATRIX,
        kwargs=({}, {"axis": 1}, {"axis": 0, "keepdims": True}),
    ),
    OpRow(
        np.average,
        lambda x, w, **kw: np.average(x, weights=w, **kw),
        name="average_weights",
        samples=(((2, 3), (2, 3)),),
        kwargs=({}, {"axis": 0}, {"axis": (0, 1)}),
        differentiable=(0, 1),
        **POSITIVE,  # weights that never sum to zero
    ),
    OpRow(
        np.average,
        lambda x, w, **kw: np.average(x, weights=w, **kw),
        name="average_axis_weights",
        samples=(((2, 3), (3,)),),
        kwargs=({"axis": 1}, {"axis": -1, "keepdims": True}),
        differentiable=(0, 1),
        **POSITIVE,
    ),
    OpRow(
        np.average,
        lambda x, w: np.add(*np.average(x, axis=0, weights=w, returned=True)),
        name="average_returned",
        samples=(((2, 3), (2,)),),
        differentiable=(0, 1),
        **POSITIVE,
    ),
    OpRow(
        np.diff,
        lambda x, **kw: np.diff(x, **kw),
        samples=(((2, 3),), ((4,),)),
        kwargs=({}, {"n": 2}, {"axis": 0}, {"prepend": 0.5, "append": -1.0}),
    ),
    OpRow(np.diff, lambda x: np.diff(x), name="diff_bool", dtype="bool", **NO_DERIVATIVE),
    OpRow(
        np.ediff1d,
        lambda x, **kw: np.ediff1d(x, **kw),
        samples=(((3,),), ((2, 3),)),
        kwargs=({}, {"to_begin": -1.0, "to_end": np.array([2.0, 3.0])}),
    ),
    OpRow(
        np.count_nonzero,
        lambda x, **kw: np.count_nonzero(x, **kw),
        samples=MATRIX,
        kwargs=AXES,
        dtype="int64",
        **NO_DERIVATIVE,
    ),
)


NAN_ROWS: tuple[OpRow, ...] = (
    OpRow(np.isnan, lambda x: np.isnan(np.where(x > 1.0, np.nan, x)), **NO_DERIVATIVE),
    OpRow(np.isinf, lambda x: np.isinf(np.where(x > 1.0, -np.inf, x)), **NO_DERIVATIVE),
    OpRow(
        np.isfinite,
        lambda x: np.isfinite(np.where(x > 1.0, np.inf, np.where(x < -1.0, np.nan, x))),
        **NO_DERIVATIVE,
    ),
    OpRow(np.isnan, lambda x: np.isnan(x), name="isnan_int", dtype="int64", **NO_DERIVATIVE),
    OpRow(
        np.nan_to_num,
        lambda x, **kw: np.nan_to_num(
            np.where(x > 1.5, np.nan, np.where(x < -1.5, -np.inf, np.where(x > 1.0, np.inf, x))),
            **kw,
        ),
        samples=MATRIX,
        kwargs=({"posinf": 3.0, "neginf": -3.0}, {"nan": 0.5, "posinf": 4.0, "neginf": -2.0}),
    ),
    OpRow(
        np.nan_to_num,
        lambda x: np.nan_to_num(np.where(x > 1.5, np.nan, np.where(x < -1.5, -np.inf, x))),
        name="nan_to_num_largest",  # NumPy's default: the dtype's largest finite values
        samples=MATRIX,
        **NO_DERIVATIVE,
    ),
    reduction(np.nansum, lambda x, **kw: np.nansum(np.where(x > 1.5, np.nan, x), **kw)),
    OpRow(
        np.nansum,
        lambda x, **kw: np.nansum(np.where(x > 1.5, np.nan, x), **kw),
        name="nansum_keywords",
        samples=MATRIX,
        kwargs=({"where": MASK}, {"axis": 0, "initial": 1.0}),
    ),
    reduction(
        np.nanprod, lambda x, **kw: np.nanprod(np.where(x > 1.7, np.nan, x), **kw), **POSITIVE
    ),
    reduction(np.nanmax, lambda x, **kw: np.nanmax(np.where(x > 1.5, np.nan, x), **kw)),
    reduction(np.nanmin, lambda x, **kw: np.nanmin(np.where(x > 1.5, np.nan, x), **kw)),
    OpRow(
        np.nanmax,
        lambda x, **kw: np.nanmax(np.where(x > 1.5, np.nan, x), **kw),
        name="nanmax_initial",
        samples=MATRIX,
        kwargs=({"initial": 1.0}, {"axis": 0, "initial": 0.0, "where": MASK}),
    ),
    reduction(np.nanmean, lambda x, **kw: np.nanmean(np.where(x > 1.5, np.nan, x), **kw)),
    OpRow(
        np.nanmean,
        lambda x, **kw: np.nanmean(np.where(x > 1.5, np.nan, x), **kw),
        name="nanmean_where",
        samples=MATRIX,
        kwargs=({"where": MASK}, {"axis": 1, "where": MASK}),
    ),
    reduction(np.nanvar, lambda x, **kw: np.nanvar(np.where(x > 1.5, np.nan, x), **kw)),
    OpRow(
        np.nanvar,
        lambda x, **kw: np.nanvar(np.where(x > 1.5, np.nan, x), **kw),
        name="nanvar_ddof",
        samples=MATRIX,
        kwargs=({"ddof": 1}, {"axis": 1, "ddof": 1, "keepdims": True}, {"axis": 1, "where": MASK}),
    ),
    OpRow(  # not along axis 0: the NaN leaves column 2 one number, whose std 0 has no slope
        np.nanstd,
        lambda x, **kw: np.nanstd(np.where(x > 1.5, np.nan, x), **kw),
        samples=MATRIX,
        kwargs=({}, {"axis": 1, "keepdims": True}, {"axis": -1}),
    ),
    OpRow(
        np.nanstd,
        lambda x, **kw: np.nanstd(np.where(x > 1.5, np.nan, x), **kw),
        name="nanstd_ddof",
        samples=MATRIX,
        kwargs=({"ddof": 1}, {"axis": 1, "ddof": 1}),
    ),
    # Integers hold no NaN: the plain reductions, typed as NumPy types them.
    *(
        reduction(
            f,
            lambda x, f=f, **kw: f(x, **kw),
            dtype="int64",
            name=f"{f.__name__}_int",
            **NO_DERIVATIVE,
        )
        for f in (np.nansum, np.nanmax, np.nanmean, np.nanvar)
    ),
)

ROWS_REDUCTIONS14: tuple[OpRow, ...] = KEYWORD_ROWS + STATISTICS_ROWS + NAN_ROWS
