"""The pass that computes an elementwise result at the slices read of it (ir/passes/
slices.py): where it sinks, what it leaves, and that the values are NumPy's."""

from __future__ import annotations

import numpy as np

from tracegrad.ir import GraphBuilder, Literal, TensorType, verify
from tracegrad.ir.passes.slices import sink_into_slices
from tracegrad.ir.primitives import elementwise, indexing

from .graph_checks import run_graph

F64 = np.dtype(np.float64)
WHOLE = (None, None, None)


def graph_of(shapes, body):
    builder = GraphBuilder("g")
    xs = [builder.add_input(TensorType(shape, F64), f"x{i}") for i, shape in enumerate(shapes)]

    def bind(op, inputs, **params):
        (out,) = builder.bind(op, list(inputs), params)
        return out

    return builder.build(body(bind, *xs))


def ops(graph):
    return [node.op.name for node in graph.nodes]


def values_kept(before, after, shapes):
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(shape) for shape in shapes]
    for got, want in zip(run_graph(after, args), run_graph(before, args), strict=True):
        np.testing.assert_array_equal(got, want)


def test_slices_of_a_broadcasting_product_are_products_of_slices():
    shapes = [(4, 3, 5), (3, 1), (5,)]

    def body(bind, x, y, z):
        scaled = bind(elementwise.multiply, [bind(elementwise.multiply, [x, y]), z])
        return [
            bind(indexing.index, [scaled], index=(WHOLE, 1)),
            bind(indexing.index, [scaled], index=(2, (0, 2, None), (None, None, -2))),
        ]

    graph = graph_of(shapes, body)
    after = sink_into_slices(graph)
    verify(after)
    # The outer product is computed at each read; the inner one is then read only in slices.
    assert ops(after) == ["multiply", "index", "multiply", "index", "index", "multiply"]
    values_kept(graph, after, shapes)
    settled = sink_into_slices(after)
    verify(settled)
    assert all(node.out.type.shape != (4, 3, 5) for node in settled.nodes), settled
    assert ops(settled).count("multiply") == 4
    values_kept(graph, settled, shapes)


def test_a_scalar_operand_is_read_whole():
    def body(bind, x):
        shifted = bind(elementwise.add, [x, Literal.of(1.5)])
        return [bind(indexing.index, [shifted], index=(0,))]

    graph = graph_of([(3, 2)], body)
    after = sink_into_slices(graph)
    assert ops(after) == ["index", "add"]
    values_kept(graph, after, [(3, 2)])


def kept(body, shapes):
    graph = graph_of(shapes, body)
    assert sink_into_slices(graph) is graph


def test_the_whole_reordered_is_not_sunk():
    kept(
        lambda bind, x: [
            bind(indexing.index, [bind(elementwise.exp, [x])], index=((None, None, -1),))
        ],
        [(4,)],
    )


def test_reads_taking_more_than_the_whole_are_not_sunk():
    def body(bind, x):
        e = bind(elementwise.exp, [x])
        return [
            bind(indexing.index, [e], index=((0, 3, None),)),
            bind(indexing.index, [e], index=((1, 4, None),)),
        ]

    kept(body, [(4,)])


def test_a_value_read_whole_or_returned_is_not_sunk():
    def read_whole(bind, x):
        e = bind(elementwise.exp, [x])
        return [bind(indexing.index, [e], index=(0,)), bind(elementwise.sin, [e])]

    kept(read_whole, [(4,)])
    kept(lambda bind, x: [bind(elementwise.exp, [x])], [(4,)])

    def returned(bind, x):
        e = bind(elementwise.exp, [x])
        return [e, bind(indexing.index, [e], index=(0,))]

    kept(returned, [(4,)])


def test_an_operand_a_later_write_updates_is_not_read_later():
    """Reading `x` at the slice, after the write into it, would cost the write its place."""

    def body(bind, x, v):
        e = bind(elementwise.exp, [x])
        written = bind(indexing.index_set, [x, v], index=(0,))
        return [bind(indexing.index, [e], index=(1,)), written]

    kept(body, [(3, 2), (2,)])
