"""Many rows as one call, for the JAX checks: one trace and one XLA compile for the whole table
instead of one per row (compiling dominates those checks). Where the joint run fails, each row
runs alone, so a failure still names its row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Part = tuple[Callable, tuple]  # one row's call and its operands


def concatenated(parts: Sequence[Part]) -> tuple[Callable, tuple]:
    """One call over every part's operands end to end, returning the list of their results."""
    counts = [len(operands) for _, operands in parts]

    def call(*flat):
        results, start = [], 0
        for (one, _), count in zip(parts, counts, strict=True):
            results.append(one(*flat[start : start + count]))
            start += count
        return results

    return call, tuple(x for _, operands in parts for x in operands)


def summed(parts: Sequence[Part]) -> tuple[Callable, tuple]:
    """The sum of the parts' scalar results: each operand's gradient is its own part's."""
    call, flat = concatenated(parts)
    return (lambda *values: sum(call(*values))), flat


def split(values: Sequence, counts: Sequence[int]) -> list[list]:
    """`values` cut into consecutive pieces of the given lengths."""
    pieces, start = [], 0
    for count in counts:
        pieces.append(list(values[start : start + count]))
        start += count
    return pieces


def offsets(positions: Sequence[tuple[int, ...]], counts: Sequence[int]) -> tuple[int, ...]:
    """Each part's positions moved to where its operands start in the joined operands."""
    starts = np.cumsum([0, *counts[:-1]])
    return tuple(int(start) + p for start, own in zip(starts, positions, strict=True) for p in own)
