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


def joined(row: OpRow, fn: Callable | None = None) -> tuple[Callable, tuple, list[tuple]]:
    """All of a row's cases as one call (over their operands end to end, giving a tuple of
    results), so a backend that compiles (JAX) compiles once per row, not once per case. Also
    returns each case's own operands, in order. `fn` replaces the row's source (rebound)."""
    source = row.fn if fn is None else fn
    operand_sets = [operands for _, operands in cases(row)]
    calls = [bound(source, kwargs) for kwargs in row.kwargs for _ in row.samples]

    def call(*flat):
        results, start = [], 0
        for one, operands in zip(calls, operand_sets, strict=True):
            results.append(one(*flat[start : start + len(operands)]))
            start += len(operands)
        return tuple(results)

    return call, tuple(x for operands in operand_sets for x in operands), operand_sets


def joined_positions(row: OpRow, operand_sets: list[tuple]) -> tuple[int, ...]:
    """The differentiable positions of every case in the joined call's operands."""
    found, start = [], 0
    for operands in operand_sets:
        found += [start + position for position in row.differentiable]
        start += len(operands)
    return tuple(found)
