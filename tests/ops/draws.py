"""Hypothesis draws of one call for the table's derivative checks (tests/ops/test_drawn.py).

A row's `draws` go past its fixed samples: hypothesis picks the shapes (broadcasting, 0-d),
axes, keywords and spellings (function, method, operator), while NumPy picks the values from a
drawn seed, away from kinks, branch cuts and ties (those get focused tests in tests/ad). Each
draw returns a `Drawn`: the call, its operands and the positions carrying a derivative.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests import strategies

Values = Callable[[tuple[int, ...]], st.SearchStrategy[np.ndarray]]
Margin = Callable[..., float]  # the operands' distance to the nearest kink, jump or tie


@dataclass(frozen=True)
class Drawn:
    call: Callable
    operands: tuple
    differentiable: tuple[int, ...] = (0,)
    margin: Margin | None = None


@dataclass(frozen=True)
class Draw:
    text: str  # the test id: which spelling or which subscripts
    draw: Callable[[st.DataObject], Drawn]


def real_line(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    return strategies.smooth_arrays(shape, -2.0, 2.0)


def within(low: float, high: float) -> Values:
    return lambda shape: strategies.smooth_arrays(shape, low, high)


def nonzero(low: float = 0.25, high: float = 2.0) -> Values:
    return lambda shape: strategies.nonzero_arrays(shape, low, high)


def distinct(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """No ties: max, min and their kin are checked where the winner is unique."""
    return strategies.distinct_arrays(shape)


SIDES = st.integers(1, 4)
SPELLINGS = st.sampled_from(["function", "method"])


def together(*calls: Callable) -> Callable:
    """One call giving every spelling's result, raveled end to end: each example checks all
    of them at once (a failure's drawn data says which shapes; the spellings share them)."""

    def call(*operands):
        return np.concatenate([np.ravel(spelling(*operands)) for spelling in calls])

    return call


# --- elementwise ------------------------------------------------------------------------


def unary(function: Callable, values: Values = real_line) -> Draw:
    def draw(data: st.DataObject) -> Drawn:
        x = data.draw(strategies.shapes(min_dims=0).flatmap(values), label="x")
        return Drawn(function, (x,))

    return Draw("shapes", draw)


def ties(x, y) -> float:
    return float(np.min(np.abs(x - y), initial=1.0))


def jumps(x, y) -> float:
    """How far x / y is from an integer (where remainder jumps)."""
    q = x / y
    return float(np.min(np.abs(q - np.round(q)), initial=1.0))


def binary(
    function: Callable, first: Values = real_line, second: Values = real_line, margin=None
) -> Draw:
    def draw(data: st.DataObject) -> Drawn:
        a, b = data.draw(strategies.broadcastable_shapes(2), label="shapes")
        x, y = data.draw(st.tuples(first(a), second(b)), label="x, y")
        return Drawn(function, (x, y), (0, 1), margin)

    return Draw("broadcasting", draw)


def where_both_branches(data: st.DataObject) -> Drawn:
    cond_shape, x_shape, y_shape = data.draw(strategies.broadcastable_shapes(3), label="shapes")
    condition = data.draw(hnp.arrays(np.bool_, cond_shape), label="condition")
    x = data.draw(real_line(x_shape), label="x")
    y = data.draw(real_line(y_shape), label="y")
    return Drawn(np.where, (condition, x, y), (1, 2))


def where_on_traced_condition(data: st.DataObject) -> Drawn:
    x = data.draw(strategies.shapes(min_dims=1).flatmap(strategies.nonzero_arrays), label="x")
    return Drawn(lambda x: np.where(x > 0, np.sin(x), x * x), (x,))


def off_bounds(x) -> float:
    return float(np.min(np.abs(np.abs(x) - 0.5), initial=1.0))


def clip_scalar_bounds(data: st.DataObject) -> Drawn:
    x = np.asarray(data.draw(strategies.shapes(min_dims=0).flatmap(real_line), label="x"))
    call = together(lambda x: np.clip(x, -0.5, 0.5), lambda x: x.clip(-0.5, None))
    return Drawn(call, (x,), margin=off_bounds)


def clip_array_bounds(data: st.DataObject) -> Drawn:
    shapes = data.draw(strategies.broadcastable_shapes(3), label="shapes")
    x = data.draw(real_line(shapes[0]), label="x")
    low = data.draw(strategies.smooth_arrays(shapes[1], -1.5, -0.3), label="low")
    high = data.draw(strategies.smooth_arrays(shapes[2], 0.3, 1.5), label="high")

    def margin(x, low, high) -> float:
        return min(ties(x, low), ties(x, high))

    return Drawn(np.clip, (x, low, high), (0, 1, 2), margin)


# --- reductions -------------------------------------------------------------------------


def reduced_count(shape: tuple[int, ...], axis) -> int:
    if axis is None:
        return math.prod(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return math.prod(shape[a] for a in axes)


def reduction(name: str, values: Values = real_line) -> Draw:
    """np.name(x, axis=, keepdims=) or x.name(...), ddof too for var and std."""

    def draw(data: st.DataObject) -> Drawn:
        shape = data.draw(strategies.shapes(min_dims=0), label="shape")
        axis = data.draw(strategies.reduction_axes(len(shape)), label="axis")
        params = {"axis": axis, "keepdims": data.draw(st.booleans(), label="keepdims")}
        method = data.draw(SPELLINGS, label="spelling") == "method"
        if name in ("var", "std"):
            params["ddof"] = data.draw(st.sampled_from([0, 1]), label="ddof")
            count = reduced_count(shape, axis)
            # std has an infinite slope where it is zero: one value (count 1) is always there.
            assume(count > params["ddof"] and (name == "var" or count >= 2))
        x = data.draw(values(shape), label="x")

        def call(x):
            return getattr(x, name)(**params) if method else getattr(np, name)(x, **params)

        return Drawn(call, (x,))

    return Draw("axes", draw)


def norm(data: st.DataObject) -> Drawn:
    shape = data.draw(strategies.shapes(min_dims=1, max_dims=2), label="shape")
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    x = data.draw(strategies.nonzero_arrays(shape), label="x")
    along = lambda x: np.linalg.norm(x, axis=axis, keepdims=keepdims)  # noqa: E731
    if len(shape) == 1:
        return Drawn(together(along, lambda x: np.linalg.norm(x, ord=2)), (x,))
    return Drawn(along, (x,))


# --- contractions -----------------------------------------------------------------------


@st.composite
def matmul_shapes(draw):
    """1-D or (batched) 2-D operands; batch dimensions broadcast against each other."""
    n, k, m = draw(SIDES), draw(SIDES), draw(SIDES)
    batch_a, batch_b = draw(strategies.broadcastable_shapes(2, max_dims=2))
    a = (k,) if draw(st.booleans()) else (*batch_a, n, k)
    b = (k,) if draw(st.booleans()) else (*batch_b, k, m)
    return a, b


def matmul(data: st.DataObject) -> Drawn:
    a_shape, b_shape = data.draw(matmul_shapes(), label="shapes")
    a, b = data.draw(real_line(a_shape)), data.draw(real_line(b_shape))
    return Drawn(together(np.matmul, lambda a, b: a @ b), (a, b), (0, 1))


@st.composite
def dot_shapes(draw):
    """np.dot's cases: scalars, vectors, matrices and N-d (last axis of a with the
    second-to-last of b)."""
    a_ndim, b_ndim = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    k = draw(SIDES)
    a = () if a_ndim == 0 else (*draw(strategies.shapes(a_ndim - 1, a_ndim - 1)), k)
    if b_ndim == 0:
        b = ()
    elif b_ndim == 1:
        b = (k,) if a_ndim else (draw(SIDES),)
    else:
        b = (*draw(strategies.shapes(b_ndim - 2, b_ndim - 2)), k, draw(SIDES))
    return a, b


def dot(data: st.DataObject) -> Drawn:
    a_shape, b_shape = data.draw(dot_shapes(), label="shapes")
    a, b = data.draw(real_line(a_shape)), data.draw(real_line(b_shape))
    return Drawn(np.dot, (a, b), (0, 1))


EINSUM = (
    "ij,jk->ik",
    "ij,jk",  # implicit output
    "bij,bjk->bik",
    "ii->",
    "ii",  # implicit: the trace
    "ii->i",
    "iij->j",
    "ii,i->i",
    "ij->i",
    "ij->ji",
    "ij,jk->i",  # k only in the second operand, summed away
    "ij,k->ik",  # j only in the first operand, summed away
    "i,j->ij",
    "ij,ij->",
    "i,ij,j->",
)


def einsum(subscripts: str) -> Draw:
    terms = subscripts.split("->")[0].split(",")
    letters = sorted(set("".join(terms)))

    def draw(data: st.DataObject) -> Drawn:
        sizes = data.draw(st.tuples(*[SIDES] * len(letters)), label="sizes")
        size = dict(zip(letters, sizes, strict=True))
        operands = tuple(
            data.draw(real_line(tuple(size[c] for c in term)), label=term) for term in terms
        )
        return Drawn(lambda *xs: np.einsum(subscripts, *xs), operands, tuple(range(len(terms))))

    return Draw(subscripts, draw)


# --- shapes -----------------------------------------------------------------------------


def reshape_targets(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    size = math.prod(shape)
    targets = [(size,), (-1,), (1, size), (size, 1, 1), (1, *shape, 1), shape[::-1]]
    targets += [(d, -1) for d in range(1, size + 1) if size % d == 0]
    if size == 1:
        targets.append(())
    return targets


def any_array(data: st.DataObject, min_dims: int = 0, max_side: int = 4) -> np.ndarray:
    shape = data.draw(strategies.shapes(min_dims=min_dims, max_side=max_side), label="shape")
    return np.asarray(data.draw(real_line(shape), label="x"))


def reshape(data: st.DataObject) -> Drawn:
    x = any_array(data)
    target = data.draw(st.sampled_from(reshape_targets(x.shape)), label="target")
    call = together(lambda x: np.reshape(x, target), lambda x: x.reshape(target), np.ravel)
    return Drawn(call, (x,))


def transpose(data: st.DataObject) -> Drawn:
    x = any_array(data)
    axes = data.draw(st.permutations(range(x.ndim)), label="axes")
    return Drawn(together(lambda x: np.transpose(x, axes), lambda x: x.T), (x,))


def swapaxes_and_moveaxis(data: st.DataObject) -> Drawn:
    x = any_array(data, min_dims=1)
    axis = st.integers(-x.ndim, x.ndim - 1)
    first, second = data.draw(axis, label="axis1"), data.draw(axis, label="axis2")
    call = together(
        lambda x: np.swapaxes(x, first, second),
        lambda x: x.swapaxes(first, second),
        lambda x: np.moveaxis(x, first, second),
    )
    return Drawn(call, (x,))


def expand_dims(data: st.DataObject) -> Drawn:
    x = any_array(data)
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim), label="axis")
    return Drawn(lambda x: np.expand_dims(x, axis), (x,))


def squeeze(data: st.DataObject) -> Drawn:
    x = any_array(data, min_dims=1, max_side=2)
    ones = [i for i, d in enumerate(x.shape) if d == 1]
    some = st.lists(st.sampled_from(ones), unique=True).map(tuple) if ones else st.none()
    axis = data.draw(st.one_of(st.none(), some), label="axis")
    return Drawn(together(lambda x: np.squeeze(x, axis), lambda x: x.squeeze(axis)), (x,))


def broadcast_to(data: st.DataObject) -> Drawn:
    shape, other = data.draw(strategies.broadcastable_shapes(2), label="shapes")
    target = np.broadcast_shapes(shape, other)
    x = data.draw(real_line(shape), label="x")
    return Drawn(lambda x: np.broadcast_to(x, target), (x,))


def concatenate(data: st.DataObject) -> Drawn:
    shape = data.draw(strategies.shapes(min_dims=1), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    sizes = data.draw(st.lists(SIDES, min_size=1, max_size=3), label="sizes along axis")
    arrays = []
    for size in sizes:
        piece = list(shape)
        piece[axis] = size
        arrays.append(data.draw(real_line(tuple(piece))))
    call = lambda *xs: np.concatenate(xs, axis=axis)  # noqa: E731
    return Drawn(call, tuple(arrays), tuple(range(len(arrays))))


def stack(data: st.DataObject) -> Drawn:
    shape = data.draw(strategies.shapes(min_dims=0), label="shape")
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    count = data.draw(st.integers(1, 3), label="count")
    arrays = tuple(data.draw(real_line(shape)) for _ in range(count))
    return Drawn(lambda *xs: np.stack(xs, axis=axis), arrays, tuple(range(count)))


# --- indexing ---------------------------------------------------------------------------


def basic_index(data: st.DataObject) -> Drawn:
    """Ints (negative too), slices with steps (negative too), None and Ellipsis."""
    x = any_array(data, min_dims=1)
    key = data.draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))
    return Drawn(lambda x: x[key], (x,))


def repeated_indices(data: st.DataObject) -> Drawn:
    """More indices than positions: some repeat, and their cotangents must add up."""
    x = any_array(data, min_dims=1)
    extra = data.draw(st.integers(1, 3), label="extra")
    index = data.draw(strategies.index_arrays(x.shape[0], (x.shape[0] + extra,)), label="index")
    listed = index.tolist()
    return Drawn(together(lambda x: x[index], lambda x: x[listed]), (x,))


def row_and_label(data: st.DataObject) -> Drawn:
    """x[np.arange(n), y]: one entry per row, as in a cross-entropy."""
    n, k = data.draw(SIDES, label="n"), data.draw(SIDES, label="k")
    labels = data.draw(strategies.index_arrays(k, (n,)), label="labels")
    x = data.draw(real_line((n, k)), label="x")
    return Drawn(lambda x, y: x[np.arange(n), y], (x, labels))


def advanced_index(data: st.DataObject) -> Drawn:
    """x[i, :, j] and its neighbours: the broadcast index dimensions move to the front."""
    shape = data.draw(strategies.shapes(min_dims=3, max_dims=3), label="shape")
    index_shapes = data.draw(strategies.broadcastable_shapes(2, max_dims=2), label="index")
    first = data.draw(strategies.index_arrays(shape[0], index_shapes[0]), label="i")
    last = data.draw(strategies.index_arrays(shape[2], index_shapes[1]), label="j")
    middle = first % shape[1]
    call = together(
        lambda x: x[first, :, last],
        lambda x: x[:, middle][..., last],
        lambda x: x[0, :, last],  # an int counts as an index array
        lambda x: x[1:, middle, last],
        lambda x: x[first],
    )
    return Drawn(call, (data.draw(real_line(shape), label="x"),))
