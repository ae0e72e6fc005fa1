"""Rows of the operation table for arrays built from traced values (issue 14): np.array and
np.asarray of lists, copies, np.append, np.r_ / np.c_, np.linspace / np.logspace /
np.meshgrid, and Python's max, min, sum and abs. np.r_, np.c_ and the built-ins are no
NumPy callables of their own: their rows name what they record (np.concatenate, np.maximum,
...)."""

from __future__ import annotations

import numpy as np

from tests.ops.table import NO_DERIVATIVE, POSITIVE, OpRow

VECTOR = (((3,),),)
SCALAR_AND_VECTOR = (((),), ((3,),))
TWO_VECTORS = (((3,), (2,)),)
UNTIED = {"low": 0.1, "high": 2.0}  # random samples: ties have probability zero

ARRAY_ROWS: tuple[OpRow, ...] = (
    OpRow(np.array, lambda x: np.array([x, 2.0, 2 * x]), samples=(((),),)),
    OpRow(np.array, lambda x: np.array([x, [1.0, 2.0, 3.0]]), name="array_rows", samples=VECTOR),
    OpRow(
        np.array,
        lambda x: np.array([[x[0], 1.0], (x[1], x[2])]),
        name="array_nested",
        samples=VECTOR,
    ),
    OpRow(np.array, lambda x: np.array(x), name="array_of_value", samples=SCALAR_AND_VECTOR),
    OpRow(
        np.array,
        lambda x, **kw: np.array(x, **kw),
        name="array_ndmin",
        kwargs=({"ndmin": 3}, {"copy": False}, {"copy": None, "ndmin": 1}),
    ),
    OpRow(
        np.array,
        lambda x: np.array([x, x + 1], dtype=np.float32),
        name="array_dtype",
        **NO_DERIVATIVE,  # float32 values: finite differences would measure rounding
    ),
    OpRow(
        np.array, lambda x: np.array([x, x * 2]), name="array_int64", dtype="int64", **NO_DERIVATIVE
    ),
    OpRow(np.asarray, lambda x: np.asarray([x[0], x[1]]), samples=VECTOR),
    OpRow(np.asarray, lambda x: np.asarray(x) * 2, name="asarray_of_value"),
    OpRow(np.asanyarray, lambda x: np.asanyarray((x, x + 1.0)), jax=False),  # no jnp.asanyarray
    OpRow(np.copy, lambda x: np.copy(x)),
    OpRow(
        np.append,
        lambda x, y: np.append(x, y),
        samples=(((2, 3), (2, 3)), ((3,), ())),
        differentiable=(0, 1),
    ),
    OpRow(
        np.append,
        lambda x, y: np.append(x, y, axis=1),
        name="append_axis",
        samples=(((2, 3), (2, 1)),),
        differentiable=(0, 1),
    ),
    OpRow(np.append, lambda x: np.append(x, 1.0), name="append_number", samples=VECTOR),
)

CONCATENATOR_ROWS: tuple[OpRow, ...] = (
    OpRow(
        np.concatenate,
        lambda x, y: np.r_[x, 1.0, y, 0:2],
        name="r_",
        samples=TWO_VECTORS,
        differentiable=(0, 1),
    ),
    OpRow(np.concatenate, lambda x: np.r_["0,2,0", x, x], name="r_directive", samples=VECTOR),
    OpRow(np.concatenate, lambda x: np.c_[x, 2 * x], name="c_", samples=VECTOR),
    OpRow(np.concatenate, lambda x: np.c_[x.T, x.T], name="c_matrix", samples=(((2, 3),),)),
)

RANGE_ROWS: tuple[OpRow, ...] = (
    OpRow(
        np.linspace,
        lambda x, **kw: np.linspace(x[0], x[1], 5, **kw),
        samples=VECTOR,
        kwargs=({}, {"endpoint": False}),
    ),
    OpRow(
        np.linspace,
        lambda x, y, **kw: np.linspace(x, y, 4, **kw),
        name="linspace_arrays",
        samples=(((3,), (3,)), ((2, 1), (3,))),
        kwargs=({}, {"axis": -1}),
        differentiable=(0, 1),
    ),
    OpRow(
        np.linspace,
        lambda x: np.linspace(0.0, x, 1) + np.linspace(x, 1.0, 0).sum(),
        name="linspace_one_and_none",
    ),
    OpRow(
        np.linspace,
        lambda x: np.linspace(x, 3.0, 4, dtype=np.int64),
        name="linspace_int",
        low=0.1,
        high=0.9,
        **NO_DERIVATIVE,
    ),
    OpRow(
        np.logspace,
        lambda x, **kw: np.logspace(x[0], x[1], 4, **kw),
        samples=VECTOR,
        kwargs=({}, {"base": 2.0, "endpoint": False}),
        low=-1.0,
        high=1.0,
    ),
    OpRow(
        np.logspace,
        lambda x, y: np.logspace(0.5, x, 3, base=y),
        name="logspace_base",
        samples=(((2,), (2,)),),
        differentiable=(0, 1),
        **POSITIVE,
    ),
    OpRow(
        np.meshgrid,
        lambda x, y, **kw: np.stack(np.meshgrid(x, y, **kw)),
        samples=TWO_VECTORS,
        kwargs=({}, {"indexing": "ij"}),
        differentiable=(0, 1),
    ),
    OpRow(
        np.meshgrid,
        lambda x, y: np.stack(np.meshgrid(x, y, copy=False)),
        name="meshgrid_no_copy",
        samples=TWO_VECTORS,
        differentiable=(0, 1),
        jax=False,  # jax.numpy.meshgrid only supports copy=True
    ),
    OpRow(
        np.meshgrid,
        lambda x, y: np.meshgrid(x, y, sparse=True)[0] * np.meshgrid(x, y, sparse=True)[1],
        name="meshgrid_sparse",
        samples=TWO_VECTORS,
        differentiable=(0, 1),
    ),
)

# Python's built-ins: jax.grad cannot run `max(a, b)` on its tracers (it needs a bool).
BUILTIN_ROWS: tuple[OpRow, ...] = (
    OpRow(
        np.maximum,
        lambda x, y: max(x, y),
        name="builtin_max",
        samples=(((), ()),),
        differentiable=(0, 1),
        jax=False,
        **UNTIED,
    ),
    OpRow(np.max, lambda x: max(x), name="builtin_max_vector", samples=VECTOR, jax=False),
    OpRow(
        np.minimum,
        lambda x, y: min([x, y]),
        name="builtin_min",
        samples=(((), ()), ((1,), (1,))),
        differentiable=(0, 1),
        jax=False,
        **UNTIED,
    ),
    OpRow(np.min, lambda x: min(x), name="builtin_min_vector", samples=VECTOR, jax=False),
    OpRow(np.sum, lambda x: sum(x), name="builtin_sum", samples=(((3,),), ((2, 3),))),
    OpRow(np.sum, lambda x: sum(x, 1.5), name="builtin_sum_start", samples=VECTOR),
    OpRow(
        np.add,
        lambda x, y: sum([x, y, x]),
        name="builtin_sum_list",
        differentiable=(0, 1),
        samples=(((3,), (3,)),),
    ),
    OpRow(np.absolute, lambda x: abs(x), name="builtin_abs", **POSITIVE),
)

ROWS_CREATION14: tuple[OpRow, ...] = ARRAY_ROWS + CONCATENATOR_ROWS + RANGE_ROWS + BUILTIN_ROWS
