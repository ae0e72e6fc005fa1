"""Rows of the operation table for issue 14's shapes and joining functions: the stack and
split families, flips and rolls, pad in each mode, the diagonals, the products and the
windows. A split's pieces are stacked (or one is picked) so that each row has one result."""

from __future__ import annotations

import warnings

import numpy as np

from tests.ops.table import OpRow

MATRIX = (((2, 3),),)
VECTOR = (((4,),),)
PAIR = (((2, 3), (2, 3)),)
MODES = ({"mode": "full"}, {"mode": "same"}, {"mode": "valid"})


def joining(function, fn, samples=PAIR, **flags) -> OpRow:
    return OpRow(function, fn, samples=samples, differentiable=(0, 1), **flags)


JOINING_ROWS: tuple[OpRow, ...] = (
    joining(np.vstack, lambda x, y: np.vstack([x, y]), samples=(((3,), (3,)), *PAIR)),
    joining(np.hstack, lambda x, y: np.hstack([x, y]), samples=(((3,), (2,)), *PAIR)),
    joining(np.dstack, lambda x, y: np.dstack([x, y]), samples=(((3,), (3,)), *PAIR)),
    joining(np.column_stack, lambda x, y: np.column_stack([x, y]), samples=(((3,), (3, 2)),)),
    OpRow(np.atleast_1d, lambda x: np.atleast_1d(x[0]) * np.atleast_1d(x), samples=VECTOR),
    OpRow(np.atleast_2d, lambda x: np.atleast_2d(x), samples=(((3,),), ((2, 3),))),
    OpRow(np.atleast_3d, lambda x: np.atleast_3d(x), samples=(((3,),), ((2, 3),))),
    OpRow(
        np.split,
        lambda x, **kw: np.stack(np.split(x, **kw)),
        samples=(((4, 6),),),
        kwargs=({"indices_or_sections": 2}, {"indices_or_sections": 3, "axis": -1}),
    ),
    OpRow(np.split, lambda x: np.split(x, [1, 4])[1], name="split_indices", samples=(((6,),),)),
    OpRow(np.array_split, lambda x: np.array_split(x, 3)[0], samples=(((5,),), ((4, 2),))),
    OpRow(np.hsplit, lambda x: np.hsplit(x, 2)[1], samples=(((4,),), ((2, 4),))),
    OpRow(np.vsplit, lambda x: np.vsplit(x, [1])[1], samples=(((3, 2),),)),
    OpRow(np.dsplit, lambda x: np.dsplit(x, 2)[0], samples=(((2, 1, 4),),)),
    joining(
        np.broadcast_arrays,
        lambda x, y: np.broadcast_arrays(x, y)[0] * np.broadcast_arrays(x, y)[1],
        samples=(((2, 1), (3,)),),
    ),
)

REARRANGING_ROWS: tuple[OpRow, ...] = (
    OpRow(
        np.flip,
        lambda x, **kw: np.flip(x, **kw),
        samples=MATRIX,
        kwargs=({}, {"axis": 0}, {"axis": (0, -1)}),
    ),
    OpRow(np.fliplr, lambda x: np.fliplr(x), samples=MATRIX),
    OpRow(np.flipud, lambda x: np.flipud(x), samples=(((3,),), ((2, 3),))),
    OpRow(
        np.roll,
        lambda x, **kw: np.roll(x, **kw),
        samples=MATRIX,
        kwargs=({"shift": 2}, {"shift": -1, "axis": 1}, {"shift": (1, 4), "axis": (0, 1)}),
    ),
    OpRow(np.ravel, lambda x: np.ravel(x, order="F"), name="ravel_F", samples=MATRIX),
    OpRow(
        np.repeat,
        lambda x: x.repeat(np.array([1, 0, 2]), axis=-1),
        name="repeat_counts",
        samples=MATRIX,
        jax=False,  # jax.jit(jax.grad) of jnp.repeat needs its counts concrete
    ),
    OpRow(np.rollaxis, lambda x: np.rollaxis(x, 2, 1), samples=(((2, 3, 2),),)),
    OpRow(
        np.rot90,
        lambda x, **kw: np.rot90(x, **kw),
        samples=MATRIX,
        kwargs=({}, {"k": 2}, {"k": -1}, {"k": 1, "axes": (1, 0)}),
    ),
    OpRow(
        np.tile,
        lambda x, **kw: np.tile(x, **kw),
        samples=MATRIX,
        kwargs=({"reps": 2}, {"reps": (2, 1, 2)}),
    ),
    OpRow(
        np.pad,
        lambda x, **kw: np.pad(x, **kw),
        samples=MATRIX,
        kwargs=(
            {"pad_width": 1},
            {"pad_width": ((1, 0), (0, 2)), "constant_values": ((1.5, 2.0), (3.0, 4.0))},
            *({"pad_width": (2, 1), "mode": m} for m in ("edge", "reflect", "symmetric", "wrap")),
        ),
    ),
)


def cross_2d(x, y):
    with warnings.catch_warnings():  # NumPy 2 deprecates 2-vectors (and says so, as we do)
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.cross(x, y)


PRODUCT_ROWS: tuple[OpRow, ...] = (
    OpRow(
        np.diag,
        lambda x, **kw: np.diag(x, **kw),
        samples=(((3,),), ((3, 4),)),
        kwargs=({}, {"k": 1}, {"k": -2}),
    ),
    OpRow(np.diagflat, lambda x: np.diagflat(x, -1), samples=(((2, 2),),)),
    OpRow(
        np.inner,
        lambda x, y: np.inner(x, y),
        samples=(((3,), (3,)), ((2, 3), (4, 3))),
        differentiable=(0, 1),
    ),
    OpRow(
        np.kron,
        lambda x, y: np.kron(x, y),
        samples=(((2, 2), (3,)), ((2,), (2, 3))),
        differentiable=(0, 1),
    ),
    OpRow(
        np.tensordot,
        lambda x, y, **kw: np.tensordot(x, y, **kw),
        samples=(((2, 3), (3, 2)),),
        kwargs=({"axes": 1}, {"axes": 0}, {"axes": ([0, 1], [1, 0])}),
        differentiable=(0, 1),
    ),
    OpRow(np.vdot, lambda x, y: np.vdot(x, y), samples=(((2, 3), (6,)),), differentiable=(0, 1)),
    OpRow(
        np.cross,
        lambda x, y, **kw: np.cross(x, y, **kw),
        samples=(((3,), (3,)), ((2, 3), (3,))),
        kwargs=({}, {"axisc": 0}),
        differentiable=(0, 1),
    ),
    OpRow(
        np.cross,
        cross_2d,
        name="cross_2d",
        samples=(((2,), (3,)), ((3,), (2,))),
        differentiable=(0, 1),
    ),
)

WINDOW_ROWS: tuple[OpRow, ...] = (
    # jax.numpy has no lib.stride_tricks
    OpRow(
        np.lib.stride_tricks.sliding_window_view,
        lambda x, **kw: np.lib.stride_tricks.sliding_window_view(x, **kw),
        name="sliding_window_view",
        samples=(((3, 4),),),
        kwargs=({"window_shape": (2, 3)}, {"window_shape": 2, "axis": -1}),
        jax=False,
    ),
    OpRow(
        np.convolve,
        lambda x, y, **kw: np.convolve(x, y, **kw),
        samples=(((5,), (3,)), ((2,), (4,))),
        kwargs=MODES,
        differentiable=(0, 1),
    ),
    OpRow(
        np.correlate,
        lambda x, y, **kw: np.correlate(x, y, **kw),
        samples=(((5,), (2,)), ((3,), (4,))),
        kwargs=MODES,
        differentiable=(0, 1),
    ),
)

ROWS_SHAPES14: tuple[OpRow, ...] = JOINING_ROWS + REARRANGING_ROWS + PRODUCT_ROWS + WINDOW_ROWS
