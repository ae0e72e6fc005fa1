"""The simplifier's reading of basic keys for writes (issue 15): two keys are disjoint
exactly when the positions they select on some axis do not meet."""

from __future__ import annotations

import itertools

import numpy as np

from tracegrad.ir.passes.simplify import disjoint, meet, positions

SIZE = 7
ITEMS = [
    *range(-SIZE, SIZE),
    *itertools.product((None, -3, 0, 2, 5), (None, -1, 3, 7), (None, 1, 2, -1, -2)),
]


def test_positions_meet_exactly_when_numpy_selects_a_common_one():
    for a, b in itertools.product(ITEMS, repeat=2):
        first, second = positions(a, SIZE), positions(b, SIZE)
        assert meet(first, second) == bool(set(first) & set(second)), (a, b)


def test_keys_are_disjoint_exactly_when_no_element_is_written_by_both():
    shape = (4, SIZE)
    keys = [
        (1,),
        (0, 3),
        ((None, 2, None), (1, 5, 2)),
        ((2, None, None), -1),
        ((None, None, -1), 0),
    ]
    for first, second in itertools.product(keys, repeat=2):
        hit = np.zeros(shape, int)
        for key in (first, second):
            index = tuple(slice(*k) if isinstance(k, tuple) else k for k in key)
            hit[index] += 1
        assert disjoint(first, second, shape) == (not (hit == 2).any()), (first, second)
