"""The (row, keyword variant, sample) cases the generic checks iterate over."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np

from tests.ops.table import OpRow, sample


def bound(fn: Callable, kwargs: Mapping[str, object]) -> Callable:
    def call(*operands):
        return fn(*operands, **kwargs)

    return call


def cases(row: OpRow) -> Iterator[tuple[Callable, tuple[np.ndarray, ...]]]:
    for kwargs in row.kwargs:
        for shapes in row.samples:
            yield bound(row.fn, kwargs), sample(row, shapes)


def weighted_loss(call: Callable, operands: tuple[np.ndarray, ...]) -> Callable:
    """sum(f(*operands) * w) for a fixed random w: its gradient is the VJP of f along w."""
    weights = np.random.default_rng(2).normal(size=np.shape(call(*operands)))

    def loss(*values):
        return (call(*values) * weights).sum()

    return loss


def central_difference(scalar_fn: Callable, operands, position: int, step: float = 1e-6):
    """d scalar_fn / d operands[position], entry by entry."""
    x = operands[position]
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shifted = [list(operands), list(operands)]
        for sign, values in zip((1, -1), shifted, strict=True):
            moved = x.copy()
            moved[index] += sign * step
            values[position] = moved
        gradient[index] = (scalar_fn(*shifted[0]) - scalar_fn(*shifted[1])) / (2 * step)
    return gradient


def row_ids(row: OpRow) -> str:
    return row.label
