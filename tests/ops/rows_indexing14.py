"""Issue 14's rows for einsum's spellings, indexing, selection and np.linalg.norm.

`x[key]` rows are keyed by operator.getitem, as tests/ops/table.py's indexing rows are.
"""

from __future__ import annotations

import operator

import numpy as np

from tests.ops.table import NO_DERIVATIVE, OpRow

INF = float("inf")
VECTORS = (((4,),), ((2, 4),))


def einsum_row(name: str, fn, samples, **flags) -> OpRow:
    return OpRow(np.einsum, fn, name=name, samples=samples, differentiable=(0, 1), **flags)


EINSUM_ROWS: tuple[OpRow, ...] = (
    einsum_row(
        "einsum_ellipsis",
        lambda x, y: np.einsum("...i,...i->...", x, y),
        (((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 2, 3), (1, 3))),  # broadcast as NumPy does
    ),
    einsum_row(
        "einsum_ellipsis_implicit",
        lambda x, y: np.einsum("...ij,jk", x, y),
        (((2, 3), (3, 4)), ((2, 2, 3), (3, 4))),
    ),
    einsum_row(
        "einsum_sublist",
        lambda x, y: np.einsum(x, [0, 1], y, [1, 2], [0, 2]),
        (((2, 3), (3, 4)),),
    ),
    einsum_row(
        "einsum_sublist_implicit",
        lambda x, y: np.einsum(x, [Ellipsis, 1], y, [1]),
        (((2, 3), (3,)),),
    ),
    einsum_row("einsum_0d", lambda x, y: np.einsum("...,...", x, y), (((), (3,)), ((), ()))),
    einsum_row("einsum_implicit", lambda x, y: np.einsum("ij,kj", x, y), (((2, 3), (4, 3)),)),
    einsum_row(
        "einsum_optimize",
        lambda x, y, **kw: np.einsum("ij,jk,kl->il", x, y, y.T, **kw),
        (((2, 3), (3, 3)),),
        kwargs=({"optimize": True}, {"optimize": "greedy"}, {"optimize": False}),
    ),
)


def index_row(name: str, fn, samples=(((3, 4),),), **flags) -> OpRow:
    return OpRow(operator.getitem, fn, name=name, samples=samples, **flags)


# jax.numpy refuses Python lists and range objects as indices (TypeError): jax=False there.
INDEX_ROWS: tuple[OpRow, ...] = (
    index_row("index_range", lambda x: x[range(3), [0, 2, 3]], jax=False),
    index_row("index_lists", lambda x: x[[0, 1], [1, 2]], jax=False),
    index_row("index_list_repeats", lambda x: x[[2, 0, 2]], jax=False),
    index_row("index_newaxis_array", lambda x: x[None, np.array([0, 2])]),
    index_row("index_array_newaxis_slice", lambda x: x[np.array([1, 0]), None, 1:]),
    index_row(
        "index_arrays_split_by_newaxis",  # separated: the broadcast axes go first
        lambda x: x[np.array([0, 1]), None, np.array([1, 3])],
    ),
    index_row(
        "index_newaxis_between_arrays_3d",
        lambda x: x[:, np.array([0, 1]), None, np.array([1, 2])],
        samples=(((2, 3, 4),),),
    ),
    index_row("index_negative_steps", lambda x: x[::-1, ::-2]),
    index_row("index_negative_step_bounds", lambda x: x[2:0:-1, -1::-3]),
    index_row("index_negative_step_and_array", lambda x: x[::-1, np.array([3, 0])]),
    OpRow(
        np.take,
        lambda x, **kw: np.take(x, np.array([0, 5, -7, 11]), **kw),
        name="take_modes",
        samples=(((3, 4),), ((12,),)),
        kwargs=({"mode": "wrap"}, {"mode": "clip"}, {"axis": -1, "mode": "wrap"}),
    ),
    OpRow(
        np.take,
        lambda x, **kw: np.take(x, np.array([[2, 0], [1, 1]]), **kw),
        name="take_axis",
        samples=(((3, 4),),),
        kwargs=({"axis": 0}, {"axis": 1}, {}),
    ),
)

SELECTION_ROWS: tuple[OpRow, ...] = (
    OpRow(
        np.take_along_axis,
        lambda x, **kw: np.take_along_axis(x, np.array([[2, 0, 1, 1], [0, 0, 2, 1]]), **kw),
        samples=(((3, 4),),),
        kwargs=({"axis": 0},),
    ),
    OpRow(
        np.take_along_axis,
        lambda x: np.take_along_axis(x, np.argmax(x, axis=-1, keepdims=True), axis=-1),
        name="take_along_axis_argmax",
        samples=(((3, 4),), ((2, 3, 4),)),
    ),
    OpRow(
        np.select,
        lambda x, y: np.select([x > 0.5, y < 0], [x, y * 2], default=0.5),
        samples=(((3,), (3,)), ((2, 3), (3,))),
        differentiable=(0, 1),
    ),
    OpRow(np.select, lambda x: np.select([x > 0], [x]), name="select_default_zero"),
    OpRow(
        np.choose,
        lambda x, y: np.choose(np.array([0, 1, 1, 0]), [x, y]),
        samples=(((4,), (4,)), ((3, 4), (4,))),
        differentiable=(0, 1),
        jax=False,  # jax.jit refuses jnp.choose in mode='raise' (it cannot check the indices)
    ),
    OpRow(
        np.choose,
        lambda x, **kw: np.choose(np.array([[0, 3], [-1, 2]]), [x[0], x[1], 2 * x[2]], **kw),
        name="choose_modes",
        samples=(((3, 2),),),
        kwargs=({"mode": "wrap"}, {"mode": "clip"}),
    ),
    # np.ix_ of traced vectors: index grids (no derivative); of constants, NumPy's own grid.
    OpRow(np.ix_, lambda x: np.ix_(x, x[:2])[1], samples=(((3,),),), **NO_DERIVATIVE),
    index_row("ix_grid", lambda x: x[np.ix_(np.array([0, 2]), np.array([3, 1, 0]))]),
)

VECTOR_ORDERS = ({}, {"ord": 2}, {"ord": 1}, {"ord": INF}, {"ord": -INF}, {"ord": 3})
MORE_ORDERS = ({"ord": 0.5}, {"ord": -1}, {"ord": -2.5}, {"ord": 1, "keepdims": True})


def norm_row(name: str, fn, samples, kwargs, **flags) -> OpRow:
    return OpRow(np.linalg.norm, fn, name=name, samples=samples, kwargs=kwargs, **flags)


NORM_ROWS: tuple[OpRow, ...] = (
    norm_row(
        "norm_vector",
        lambda x, **kw: np.linalg.norm(x, **kw),
        (((4,),),),
        (*VECTOR_ORDERS, *MORE_ORDERS),
        low=0.2,  # negative orders: away from 0
    ),
    norm_row(
        "norm_vector_signs", lambda x, **kw: np.linalg.norm(x, **kw), (((4,),),), VECTOR_ORDERS
    ),
    norm_row(
        "norm_axis",
        lambda x, **kw: np.linalg.norm(x, axis=-1, **kw),
        VECTORS,
        (*VECTOR_ORDERS, {"ord": 3, "keepdims": True}),
    ),
    norm_row(
        "norm_count",
        lambda x, **kw: np.linalg.norm(x, ord=0, **kw),
        VECTORS,
        ({"axis": -1}, {"axis": 0, "keepdims": True}),
        **NO_DERIVATIVE,
    ),
    norm_row(
        "norm_matrix",
        lambda x, **kw: np.linalg.norm(x, **kw),
        (((3, 4),),),
        ({"ord": "fro"}, {"ord": 1}, {"ord": -1}, {"ord": INF}, {"ord": -INF}),
    ),
    norm_row(
        "norm_axis_pair",
        lambda x, **kw: np.linalg.norm(x, axis=(2, 0), **kw),
        (((2, 3, 4),),),
        ({}, {"ord": "fro", "keepdims": True}, {"ord": 1}, {"ord": -INF, "keepdims": True}),
    ),
)

ROWS_INDEXING14: tuple[OpRow, ...] = EINSUM_ROWS + INDEX_ROWS + SELECTION_ROWS + NORM_ROWS
