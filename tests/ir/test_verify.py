"""verify() accepts every traced graph and names the first broken invariant of a bad one."""

import numpy as np
import pytest

from tracegrad import IRError
from tracegrad.ir import Graph, GraphBuilder, Node, TensorType, Var, verify
from tracegrad.ir.primitives import primitives

F64 = TensorType((3,), np.float64)


def small_graph():
    builder = GraphBuilder("g")
    x = builder.add_input(F64, "x")
    (y,) = builder.bind(primitives["tanh"], [x])
    (z,) = builder.bind(primitives["add"], [y, x])
    return builder.build([z])


def test_a_built_graph_verifies():
    graph = small_graph()
    assert verify(graph) is graph


def test_use_before_definition():
    graph = small_graph()
    swapped = Graph(graph.name, graph.inputs, graph.nodes[::-1], graph.outputs)
    with pytest.raises(IRError, match="used before it is defined"):
        verify(swapped)


def test_double_assignment():
    graph = small_graph()
    first = graph.nodes[0]
    twice = Node(first.op, first.inputs, first.outputs)
    with pytest.raises(IRError, match="assigned twice"):
        verify(Graph(graph.name, graph.inputs, (first, twice, graph.nodes[1]), graph.outputs))


def test_types_must_agree_with_the_rule():
    graph = small_graph()
    x = graph.inputs[0]
    wrong = Node(primitives["tanh"], (x,), (Var(TensorType((3,), np.float32)),))
    with pytest.raises(IRError, match="the rule gives f64"):
        verify(Graph("g", (x,), (wrong,), wrong.outputs))


def test_rule_rejection_is_reported():
    x = Var(TensorType((3,), np.float64))
    y = Var(TensorType((4,), np.float64))
    bad = Node(primitives["add"], (x, y), (Var(F64),))
    with pytest.raises(IRError, match="type rule rejects"):
        verify(Graph("g", (x, y), (bad,), bad.outputs))


def test_dangling_output():
    x = Var(F64)
    with pytest.raises(IRError, match="used before it is defined"):
        verify(Graph("g", (x,), (), (Var(F64),)))
