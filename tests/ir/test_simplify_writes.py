"""The simplifier's reading of basic keys for writes (issue 15): two keys are disjoint
exactly when the positions they select on some axis do not meet."""

from __future__ import annotations

import itertools

import numpy as np

from tracegrad.ir.passes.written import disjoint, meet, positions

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


def test_reads_of_single_elements_find_their_write_in_a_long_chain():
    """An unrolled loop's chain of element writes (some repeated, one an add, one through a
    negative index): each read of one element becomes the value last written there, or a
    read of the array as that write left it, as the walk back along the chain gives."""
    from tracegrad.ir import GraphBuilder, TensorType, verify
    from tracegrad.ir.passes import eliminate_dead_code, simplify
    from tracegrad.ir.primitives import indexing

    from .graph_checks import run_graph

    f64 = np.dtype(np.float64)
    builder = GraphBuilder("g")
    x = builder.add_input(TensorType((3, 4), f64), "x")
    v = builder.add_input(TensorType((), f64), "v")
    array, writes = x, []
    for i, j in [(0, 0), (1, 2), (2, 3), (0, 0), (-3, 1), (2, -1)]:  # (0, 0) twice; (2, 3) too
        op = indexing.index_add if (i, j) == (2, -1) else indexing.index_set
        (array,) = builder.bind(op, [array, v], {"index": (i, j)})
        writes.append(array)
    reads = [builder.bind(indexing.index, [array], {"index": key})[0] for key in ITEMS_READ]
    graph = builder.build(reads)
    after = graph
    for _ in range(4):
        after = simplify(after)
    after = eliminate_dead_code(after)
    verify(after)
    read_ops = [n for n in after.nodes if n.op is indexing.index]
    # (0, 0), (1, 2) and (0, 1) read v itself; (1, 1) and (0, 3) read x; (2, 3) reads the add.
    assert len(read_ops) == 3, after
    args = [np.arange(12.0).reshape(3, 4), np.float64(-2.5)]
    for got, want in zip(run_graph(after, args), run_graph(graph, args), strict=True):
        np.testing.assert_array_equal(got, want)


ITEMS_READ = [(0, 0), (1, 2), (0, 1), (1, 1), (0, 3), (2, 3)]
