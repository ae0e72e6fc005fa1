"""Names given again (codegen/emitter.py, NamesInUse): a name whose value no later line reads
is free for the next value of the same base, as one rebinds `d_h` at each step of a loop by
hand, so a long straight-line function frees what it no longer needs; a name read inside an
expression written into a later line (a view `a[0]`) stays taken until that line."""

from __future__ import annotations

import numpy as np

import tracegrad
from tracegrad.codegen.numpy import emit_numpy
from tracegrad.ir import GraphBuilder, TensorType
from tracegrad.ir.primitives import elementwise, indexing
from tracegrad.runtime.loader import load_function

MATRIX = TensorType((2, 3), np.float64)
X = np.linspace(-1.0, 1.0, 6).reshape(2, 3)


def unrolled(x):
    h = x
    for _ in range(4):
        a = np.sin(h)
        h = a * h + 1.0
    return h


def test_a_dead_name_is_given_to_the_next_value_of_its_base():
    compiled = tracegrad.jit(unrolled)
    body = str(compiled.source(X)).split("def unrolled(x):")[1]
    assert body.count("    a = np.sin(") == 4 and body.count("    h = (a * h) + 1.0") == 3
    assert "a_1" not in body and "h_1" not in body
    np.testing.assert_allclose(compiled(X), unrolled(X), rtol=1e-15)


def test_a_name_still_read_is_not_given_again():
    def f(x):
        a = np.sin(x)
        first = a
        a = np.cos(x)
        return first * a

    source = str(tracegrad.jit(f).source(X))
    assert "a = np.sin(x)" in source and "a_1 = np.cos(x)" in source, source
    np.testing.assert_allclose(tracegrad.jit(f)(X), f(X), rtol=1e-15)


def test_a_view_keeps_its_bases_name_until_the_view_is_read():
    """`a[0]` written where it is read: `a` is read there, after its last direct reader."""
    builder = GraphBuilder("f")
    x = builder.add_input(MATRIX, "x")
    (a,) = builder.bind(elementwise.sin, [x], hints=["a"])
    (row,) = builder.bind(indexing.index, [a], {"index": (0,)})
    (b,) = builder.bind(elementwise.cos, [x], hints=["a"])
    (out,) = builder.bind(elementwise.multiply, [row, b], hints=["out"])
    graph = builder.build([out])
    source = emit_numpy(graph)
    assert "a = np.sin(x0)" in source and "a_1 = np.cos(x0)" in source, source
    function = load_function(source, graph.name)
    np.testing.assert_array_equal(function(X), np.sin(X)[0] * np.cos(X))


def test_a_result_and_an_argument_keep_their_names():
    def f(x):
        y = np.sin(x)
        z = np.cos(y)
        y = np.exp(z)
        return y, z

    body = str(tracegrad.jit(f).source(X)).split("def f(x):")[1]
    assert "y = np.exp(z)" in body and "return y, z" in body  # the first y is dead by then
    assert "x = " not in body
    for got, want in zip(tracegrad.jit(f)(X), f(X), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-15)
