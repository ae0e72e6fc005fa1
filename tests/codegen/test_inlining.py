"""The inlining analysis (codegen/inlining.py) on small graphs: which values are written
into their reader, decided before any line is emitted. (The emitted function's arguments
are x0, x1, ...: these graphs have no interface.)"""

from __future__ import annotations

import dataclasses

import numpy as np

from tracegrad.codegen.emitter import Emitter
from tracegrad.codegen.inlining import rule_shape
from tracegrad.codegen.numpy import NUMPY_BACKEND, emit_numpy, numpy_rules
from tracegrad.codegen.python_floats import PYTHON_FLOAT_BACKEND, emit_python_floats
from tracegrad.ir import Graph, GraphBuilder, Literal, TensorType
from tracegrad.ir.passes.memory import LARGE_BYTES, plan_memory
from tracegrad.ir.primitives import contractions, elementwise, indexing, reductions
from tracegrad.ir.primitives.shapes import transpose

VECTOR = TensorType((3,), np.float64)
SCALAR = TensorType((), np.float64)


def inlining(graph: Graph, backend=NUMPY_BACKEND):
    return Emitter(graph, None, backend).inlining


def test_a_value_read_once_is_written_into_its_reader():
    builder = GraphBuilder("f")
    x, w = builder.add_input(VECTOR, "x"), builder.add_input(VECTOR, "w")
    (product,) = builder.bind(contractions.matmul, [x, w])
    (total,) = builder.bind(elementwise.add, [product, Literal.of(1.0)], hints=["total"])
    graph = builder.build([total])
    assert inlining(graph).into_reader == {product}
    assert "total = (x0 @ x1) + 1.0" in emit_numpy(graph)


def test_a_value_read_twice_by_its_readers_rule_is_not_inlined():
    builder = GraphBuilder("f")
    x, y = builder.add_input(SCALAR, "x"), builder.add_input(SCALAR, "y")
    (total,) = builder.bind(elementwise.add, [x, y])
    (squared,) = builder.bind(elementwise.square, [total], hints=["squared"])
    graph = builder.build([squared])
    # Python floats write square as `t * t`: the operand twice, so `t` keeps its line.
    assert rule_shape(PYTHON_FLOAT_BACKEND.rules[elementwise.square], graph.nodes[1]).uses == (2,)
    assert total not in inlining(graph, PYTHON_FLOAT_BACKEND).movable
    source = emit_python_floats(graph)
    assert "add = x0 + x1" in source and "squared = add * add" in source
    # NumPy writes np.square(t): the operand once, so it moves.
    assert inlining(graph).into_reader == {total}


def test_a_value_read_by_two_nodes_or_returned_is_not_inlined():
    builder = GraphBuilder("f")
    x = builder.add_input(VECTOR, "x")
    (e,) = builder.bind(elementwise.exp, [x])
    (s,) = builder.bind(elementwise.sin, [e])
    (c,) = builder.bind(elementwise.cos, [e])
    (t,) = builder.bind(elementwise.tanh, [x])
    graph = builder.build([s, c, t])
    assert inlining(graph).movable == set()


def test_one_level_deep():
    builder = GraphBuilder("f")
    x, y = builder.add_input(VECTOR, "x"), builder.add_input(VECTOR, "y")
    (e,) = builder.bind(elementwise.exp, [x])
    (s,) = builder.bind(elementwise.sin, [e])
    (total,) = builder.bind(elementwise.add, [s, y], hints=["total"])
    graph = builder.build([total])
    plan = inlining(graph)
    assert plan.movable == {e, s}  # both could move; e moves, so s keeps its line
    assert plan.into_reader == {e}
    source = emit_numpy(graph)
    assert "sin = np.sin(np.exp(x0))" in source and "total = sin + x1" in source


def test_a_transpose_read_once_is_a_view_its_reader_names():
    builder = GraphBuilder("f")
    matrix = TensorType((2, 3), np.float64)
    x, w = builder.add_input(matrix, "x"), builder.add_input(matrix, "w")
    (wt,) = builder.bind(transpose, [w], {"axes": (1, 0)})
    (product,) = builder.bind(contractions.matmul, [x, wt], hints=["product"])
    graph = builder.build([product])
    assert inlining(graph).views == {wt}
    assert "product = x0 @ x1.T" in emit_numpy(graph)


def test_a_value_the_memory_plan_writes_in_place_is_not_inlined():
    n = LARGE_BYTES // 8 + 1
    builder = GraphBuilder("f")
    x = builder.add_input(TensorType((n,), np.float64), "x")
    (e,) = builder.bind(elementwise.exp, [x])
    (s,) = builder.bind(elementwise.sin, [e])
    (total,) = builder.bind(reductions.sum_, [s], {"axis": (0,), "keepdims": False})
    graph = builder.build([total])
    plan = plan_memory(graph)
    assert plan.reuse == {graph.nodes[1]: e}  # np.sin(exp, out=exp)
    # A backend that would move any value read once: still the plan decides.
    eager = dataclasses.replace(NUMPY_BACKEND, inline_single_use=lambda var: True)
    analysis = inlining(graph, eager)
    assert e not in analysis.movable  # its buffer is written into
    assert s in analysis.movable and s not in analysis.into_reader  # it writes into a buffer
    source = Emitter(graph, None, eager).emit()
    assert "np.sin(exp, out=exp)" in source


def test_rule_shapes_count_operand_uses_and_tell_statements_from_expressions():
    builder = GraphBuilder("f")
    x = builder.add_input(VECTOR, "x")
    (total,) = builder.bind(elementwise.add, [x, x])
    (scattered,) = builder.bind(indexing.index_scatter, [total], {"shape": (2, 3), "index": (0,)})
    graph = builder.build([scattered])
    add, scatter = graph.nodes
    assert rule_shape(numpy_rules[elementwise.add], add) == ((1, 1), False)
    assert rule_shape(numpy_rules[indexing.index_scatter], scatter) == ((1,), True)


def catalog_graphs() -> list[Graph]:
    """The catalog's functions and gradients, optimized, nested Graphs included."""
    import tracegrad
    from tests.catalog.functions import CATALOG

    graphs = []
    for entry in CATALOG:
        args = entry.make_args(np.random.default_rng(0))
        graphs.append(tracegrad.jit(entry.fn).ir(*args))
        if entry.scalar_output and entry.grad is not None:
            graphs.append(tracegrad.grad(entry.fn).ir(*args))
    nested = [v for g in graphs for n in g.nodes for v in n.params.values() if isinstance(v, Graph)]
    return graphs + nested


def test_a_rule_writes_lines_for_every_node_or_for_none():
    """RuleShapes asks each rule its form once (backend.EmitRule): check that across the
    catalog no rule gives lines for one node and an expression for another."""
    from tracegrad.codegen.backend import BlockRule
    from tracegrad.codegen.jax import jax_rules

    graphs = catalog_graphs()
    for rules in (numpy_rules, jax_rules):
        forms: dict[int, set[bool]] = {}  # by rule: the forms seen
        for node in (n for g in graphs for n in g.nodes):
            rule = rules.get(node.op)
            if rule is not None and not isinstance(rule, BlockRule):
                forms.setdefault(id(rule), set()).add(rule_shape(rule, node).statements)
        assert forms and all(len(seen) == 1 for seen in forms.values())
        # NumPy's scatters fill a buffer with lines; JAX's are `.at[]` expressions.
        assert any(seen == {True} for seen in forms.values()) is (rules is numpy_rules)
