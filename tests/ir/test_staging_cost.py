"""What keeps staging a long function cheap (bench/trace_cost.py measures it): answers and
objects every node would otherwise make again are shared, and unchanged nodes are kept."""

import numpy as np
import pytest

from tracegrad import IRError
from tracegrad.ir import Graph, GraphBuilder, Literal, Node, TensorType, verify
from tracegrad.ir.primitives import primitives

F64 = TensorType((8,), np.float64)
WEAK_FLOAT = TensorType((), np.float64, weak=True)


def test_an_elementwise_type_rule_answers_each_question_once():
    multiply = primitives["multiply"]
    first = multiply.infer((F64, WEAK_FLOAT), {})
    assert first == (F64,)
    assert multiply.infer((F64, WEAK_FLOAT), {}) is first  # cached, not worked out again
    with pytest.raises(Exception, match="do not broadcast"):  # errors are never cached away
        multiply.infer((F64, TensorType((3,), np.float64)), {})


def test_python_scalars_share_their_weak_type():
    assert Literal.of(0.5).type is Literal.of(2.0).type
    assert Literal.of(0.5).type == WEAK_FLOAT
    assert Literal.of(3).type == TensorType((), np.int64, weak=True)
    assert Literal.of(True).type == TensorType((), np.bool_, weak=True)


def test_nodes_without_params_share_one_mapping():
    builder = GraphBuilder("g")
    x = builder.add_input(F64, "x")
    (y,) = builder.bind(primitives["sin"], [x])
    builder.bind(primitives["cos"], [y])
    first, second = builder.nodes
    assert first.params is second.params and dict(first.params) == {}
    with_params = Node(primitives["sum"], (x,), (y,), {"axes": (0,)})
    assert dict(with_params.params) == {"axes": (0,)}


def test_build_remakes_only_the_nodes_a_name_changes():
    builder = GraphBuilder("g")
    x = builder.add_input(F64, "x")
    (a,) = builder.bind(primitives["sin"], [x])
    (b,) = builder.bind(primitives["cos"], [x])
    (c,) = builder.bind(primitives["add"], [a, b])
    builder.suggest_name(b, "named")
    graph = builder.build([c])
    assert graph.nodes[0] is builder.nodes[0]  # neither reads nor writes `named`: kept
    assert graph.nodes[1].out.hint == "named" and graph.nodes[2].inputs[1] is graph.nodes[1].out
    assert graph.nodes[2].inputs[0] is a
    assert verify(graph) is graph


def test_verify_still_names_the_node_and_the_broken_invariant():
    builder = GraphBuilder("g")
    x = builder.add_input(F64, "x")
    (y,) = builder.bind(primitives["tanh"], [x])
    builder.bind(primitives["add"], [y, x])
    graph = builder.build([])
    swapped = Graph("g", graph.inputs, graph.nodes[::-1], ())
    with pytest.raises(IRError, match=r"^node 0 \(add\): .* is used before it is defined"):
        verify(swapped)
    with pytest.raises(IRError, match=r"^graph g inputs: .* assigned twice"):
        verify(Graph("g", (x, x), (), ()))
