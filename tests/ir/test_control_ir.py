"""Control flow in the IR text, the parser, verify and the DOT picture: nested Graphs print
as indented blocks under their node, read back exactly, are verified with the nesting named,
and draw as one node; SourceLoc marks the lines of a custom_vjp rule."""

import dataclasses
import re

import numpy as np
import pytest

import tracegrad
from tracegrad import IRError
from tracegrad.errors import SourceLoc
from tracegrad.ir import (
    Graph,
    GraphBuilder,
    Literal,
    TensorType,
    Var,
    parse_graph,
    print_graph,
    verify,
)
from tracegrad.ir.primitives import primitives

F64 = np.float64


def rnn(W, U, xs):
    def step(h, x):
        h = np.tanh(h @ W + x @ U)
        return h, h

    h, hs = tracegrad.scan(step, np.zeros(3), xs)
    return np.sum(hs) + h.sum()


def branchy(p, x, W, b):
    # Both branches read values of the enclosing function: W in one, W and b in the other.
    y = tracegrad.cond(p > 0, lambda x: np.tanh(x @ W), lambda x: x @ W + b, x)
    return y.sum()


def doubled(x):
    return tracegrad.fori_loop(0, 5, lambda i, x: x * 2.0, x)


def grow(x):
    return tracegrad.while_loop(lambda c: c.sum() < 10.0, lambda c: c * 2.0, x)


def gated_rnn(W, xs, t):
    def step(h, x):
        h = tracegrad.cond(x.sum() > t, lambda h: np.tanh(h @ W), lambda h: h * t, h)
        return h, h.sum()

    return tracegrad.scan(step, np.zeros(3), xs)[1].sum()


RNG = np.random.default_rng(0)
CASES = {
    "scan": (rnn, (RNG.normal(size=(3, 3)), RNG.normal(size=(2, 3)), RNG.normal(size=(5, 2)))),
    "cond": (branchy, (1.0, np.ones(3), np.ones((3, 3)), np.ones(3))),
    "fori_loop": (doubled, (np.ones(3),)),
    "while_loop": (grow, (np.ones(3),)),
    "cond_in_scan": (gated_rnn, (np.ones((3, 3)), np.ones((4, 2)), 0.5)),
}

# The printed form of each case, the `# file:line` comments left out (see without_locs).
PRINTED = {
    "scan": """\
graph rnn(W: f64[3,3], U: f64[2,3], xs: f64[5,2]) {
  h: f64[3], hs: f64[5,3] = scan W U zeros:f64[3] xs length=5 reverse=False num_consts=2 num_carry=1
    body = graph step(W: f64[3,3], U: f64[2,3], h: f64[3], x: f64[2]) {
      matmul: f64[3] = matmul h W
      matmul_1: f64[3] = matmul x U
      add: f64[3] = add matmul matmul_1
      h_1: f64[3] = tanh add
      return h_1, h_1
    }
  sum_1: f64[] = sum hs axis=(0,1) keepdims=False
  sum_2: f64[] = sum h axis=(0,) keepdims=False
  add: f64[] = add sum_1 sum_2
  return add
}""",
    "cond": """\
graph branchy(p: float, x: f64[3], W: f64[3,3], b: f64[3]) {
  greater: bool = greater p 0
  y: f64[3] = cond greater x W b
    true = graph true_branch(x: f64[3], W: f64[3,3], b: f64[3]) {
      matmul: f64[3] = matmul x W
      y: f64[3] = tanh matmul
      return y
    }
    false = graph false_branch(x: f64[3], W: f64[3,3], b: f64[3]) {
      matmul: f64[3] = matmul x W
      y: f64[3] = add matmul b
      return y
    }
  sum_1: f64[] = sum y axis=(0,) keepdims=False
  return sum_1
}""",
    "fori_loop": """\
graph doubled(x: f64[3]) {
  x_1: f64[3] = fori_loop 0 5 x num_consts=0
    body = graph body(i: int, x: f64[3]) {
      multiply: f64[3] = multiply x 2.0
      return multiply
    }
  return x_1
}""",
    "while_loop": """\
graph grow(x: f64[3]) {
  c: f64[3] = while_loop x num_cond_consts=0 num_body_consts=0
    cond = graph cond(c: f64[3]) {
      sum_1: f64[] = sum c axis=(0,) keepdims=False
      less: bool[] = less sum_1 10.0
      return less
    }
    body = graph body(c: f64[3]) {
      multiply: f64[3] = multiply c 2.0
      return multiply
    }
  return c
}""",
    "cond_in_scan": """\
graph gated_rnn(W: f64[3,3], xs: f64[4,2], t: float) {
  h: f64[3], scan: f64[4] = scan t W zeros:f64[3] xs length=4 reverse=False num_consts=2 num_carry=1
    body = graph step(t: float, W: f64[3,3], h: f64[3], x: f64[2]) {
      sum_1: f64[] = sum x axis=(0,) keepdims=False
      greater: bool[] = greater sum_1 t
      h_1: f64[3] = cond greater h W t
        true = graph true_branch(h: f64[3], W: f64[3,3], t: float) {
          matmul: f64[3] = matmul h W
          h_1: f64[3] = tanh matmul
          return h_1
        }
        false = graph false_branch(h: f64[3], W: f64[3,3], t: float) {
          h_1: f64[3] = multiply h t
          return h_1
        }
      sum_2: f64[] = sum h_1 axis=(0,) keepdims=False
      return h_1, sum_2
    }
  sum_1: f64[] = sum scan axis=(0,) keepdims=False
  return sum_1
}""",
}


def traced(name: str) -> Graph:
    fn, args = CASES[name]
    return tracegrad.trace(fn, *args)


def without_locs(text: str) -> str:
    """The IR text without its `# file:line` comments (and the padding before them), so the
    expected text does not move with the lines of this file."""
    return re.sub(r" *  # [^\n]*", "", text)


# --- printer ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_nested_graphs_print_as_indented_blocks(name):
    assert without_locs(str(traced(name))) == PRINTED[name]


def test_nested_lines_keep_their_locations():
    text = str(traced("scan"))
    this_file = "test_control_ir.py"
    node_line = next(line for line in text.splitlines() if " = scan " in line)
    tanh_line = next(line for line in text.splitlines() if " = tanh " in line)
    assert node_line.endswith(f"  # {this_file}:{rnn.__code__.co_firstlineno + 5}")
    assert tanh_line.startswith("      h_1: f64[3] = tanh add")
    assert tanh_line.endswith(f"  # {this_file}:{rnn.__code__.co_firstlineno + 2}")


def hand_built_scan() -> Graph:
    """rnn by hand: every name, location and param under the test's control."""
    body = GraphBuilder("step")
    W = body.add_input(TensorType((3, 3), F64), "W")
    h = body.add_input(TensorType((3,), F64), "h")
    x = body.add_input(TensorType((3,), F64), "x")
    at = SourceLoc("/home/me/model.py", 4, "h = np.tanh(h @ W + x)")
    (a,) = body.bind(primitives["matmul"], [h, W], loc=at)
    (s,) = body.bind(primitives["add"], [a, x], loc=at)
    (h1,) = body.bind(
        primitives["tanh"], [s], loc=SourceLoc("model.py", 12, rule="tanh_bwd"), hints=["h"]
    )
    step = body.build([h1, h1])

    outer = GraphBuilder("rnn")
    W = outer.add_input(TensorType((3, 3), F64), "W")
    xs = outer.add_input(TensorType((5, 3), F64), "xs")
    h, hs = outer.bind(
        primitives["scan"],
        [W, Literal.of(np.zeros(3)), xs],
        dict(body=step, length=5, reverse=False, num_consts=1, num_carry=1),
        SourceLoc("model.py", 7),
        hints=["h", "hs"],
    )
    (total,) = outer.bind(primitives["sum"], [hs], {"axis": (0, 1), "keepdims": False})
    return outer.build([total, h])


HAND_BUILT = """\
graph rnn(W: f64[3,3], xs: f64[5,3]) {
  h: f64[3], hs: f64[5,3] = scan W zeros:f64[3] xs length=5 reverse=False num_consts=1 num_carry=1  # model.py:7
    body = graph step(W: f64[3,3], h: f64[3], x: f64[3]) {
      matmul: f64[3] = matmul h W                     # model.py:4
      add: f64[3] = add matmul x                      # model.py:4
      h_1: f64[3] = tanh add                          # model.py:12 (tanh_bwd)
      return h_1, h_1
    }
  sum_1: f64[] = sum hs axis=(0,1) keepdims=False
  return sum_1, h
}"""  # noqa: E501


def test_the_documented_form_exactly():
    graph = hand_built_scan()
    assert print_graph(graph) == HAND_BUILT
    again = parse_graph(HAND_BUILT)
    assert print_graph(verify(again)) == HAND_BUILT
    assert again.nodes[0].params["body"].nodes[2].loc == SourceLoc("model.py", 12, rule="tanh_bwd")


# --- parser -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip(name):
    graph = traced(name)
    text = str(graph)
    again = verify(parse_graph(text))
    assert str(again) == text
    assert str(parse_graph(str(again))) == text
    # The params come back in the order the tracer binds them.
    assert [list(n.params) for n in again.nodes] == [list(n.params) for n in graph.nodes]


def test_parsed_nested_graphs_are_graphs_with_their_own_names():
    graph = parse_graph(str(traced("cond_in_scan")))
    body = graph.nodes[0].params["body"]
    assert isinstance(body, Graph) and body.name == "step"
    cond = body.nodes[2]
    assert cond.op is primitives["cond"]
    assert [cond.params[k].name for k in ("true", "false")] == ["true_branch", "false_branch"]
    assert [v.hint for v in cond.params["true"].inputs] == ["h", "W", "t"]


GOOD = """\
graph doubled(x: f64[3]) {
  x_1: f64[3] = fori_loop 0 5 x num_consts=0  # model.py:3
    body = graph body(i: i64[], x: f64[3]) {
      twice: f64[3] = multiply x 2.0
      return twice
    }
  return x_1
}"""
BLOCK = """\
    body = graph body(i: i64[], x: f64[3]) {
      twice: f64[3] = multiply x 2.0
      return twice
    }
"""


def test_the_good_text_reads():
    assert str(parse_graph(GOOD)) == GOOD.replace("num_consts=0  #", "num_consts=0      #")


@pytest.mark.parametrize(
    "text, message",
    [
        (
            GOOD.replace("      return twice\n    }\n", "      return twice\n"),
            "line 2 (fori_loop) body: line 5: graph body must end with `}` after its return "
            "line, found 'return x_1'",
        ),
        (
            GOOD.replace("      return twice\n", ""),
            "line 2 (fori_loop) body: line 5: graph body ends without a `return` line",
        ),
        (
            GOOD.replace("twice: f64[3]", "twice: f32[3]"),
            "line 2 (fori_loop) body: twice is declared f32[3] but multiply gives f64[3]",
        ),
        (
            GOOD.replace("multiply x 2.0", "multiply x_1 2.0"),
            "line 2 (fori_loop) body: the value 'x_1' is used before it is defined",
        ),
        (
            GOOD.replace("body = graph", "bogy = graph"),
            "line 2: fori_loop takes no nested graph 'bogy' (it takes body, num_consts)",
        ),
        (GOOD.replace(BLOCK, ""), "line 2: fori_loop needs the nested graph 'body'"),
        (GOOD.replace(" num_consts=0", ""), "line 2: fori_loop needs the param 'num_consts'"),
        (
            GOOD.replace("  return x_1", BLOCK + "  return x_1"),
            "line 2 (fori_loop) gives 'body' twice",
        ),
        (
            GOOD.replace("  return x_1", BLOCK.replace("body =", "extra =") + "  return x_1"),
            "line 2: fori_loop takes no nested graph 'extra' (it takes body, num_consts)",
        ),
        (
            GOOD.replace("x: f64[3]) {", "x: f32[3]) {"),
            "line 2 (fori_loop) body: twice is declared f64[3] but multiply gives f32[3]",
        ),
        (
            GOOD.replace("x_1: f64[3] =", "x_1: f64[3], y: f64[3] ="),
            "fori_loop gives 1 values, the line names 2",
        ),
        (GOOD + "\n}", "line 9: '}' follows the closing `}` of graph doubled"),
        (
            GOOD.replace("# model.py:3", "# model.py:3 (a) (b)"),
            "cannot read the location 'model.py:3 (a) (b)'",
        ),
    ],
)
def test_bad_nested_text_is_refused(text, message):
    with pytest.raises(IRError) as error:
        parse_graph(text)
    assert error.value.message == message


def test_a_block_under_a_node_without_graphs_is_refused():
    text = "graph f(x: f64[3]) {\n  y: f64[3] = tanh x\n" + BLOCK + "  return y\n}"
    with pytest.raises(
        IRError,
        match="line 2: tanh takes no nested graph 'body' "
        r"\(it takes none\)",
    ):
        parse_graph(text)


def test_a_block_after_the_return_line_is_refused():
    text = GOOD.replace("  return x_1\n}", "  return x_1\n" + BLOCK + "}")
    with pytest.raises(IRError, match=r"the last line before `}` must be `return \.\.\.`"):
        parse_graph(text)


def test_a_nested_graph_the_rule_rejects_is_refused():
    text = GOOD.replace("(i: i64[], x: f64[3])", "(i: i64[], x: f64[3], y: f64[3])")
    with pytest.raises(tracegrad.TracegradError, match="fori_loop body inputs: expected 1 values"):
        parse_graph(text)


# --- verify -----------------------------------------------------------------------------


def retyped(graph: Graph, position: int, dtype) -> Graph:
    """`graph` with node `position`'s output typed `dtype`, every use following it."""
    node = graph.nodes[position]
    old = node.out
    new = Var(TensorType(old.type.shape, dtype), old.hint)

    def sub(x):
        return new if x is old else x

    nodes = list(graph.nodes)
    nodes[position] = dataclasses.replace(node, outputs=(new,))
    nodes = [dataclasses.replace(n, inputs=tuple(map(sub, n.inputs))) for n in nodes]
    return dataclasses.replace(graph, nodes=tuple(nodes), outputs=tuple(map(sub, graph.outputs)))


def with_param(graph: Graph, position: int, key: str, value) -> Graph:
    node = graph.nodes[position]
    nodes = list(graph.nodes)
    nodes[position] = dataclasses.replace(node, params={**node.params, key: value})
    return dataclasses.replace(graph, nodes=tuple(nodes))


@pytest.mark.parametrize("name", sorted(CASES))
def test_traced_control_flow_verifies(name):
    graph = traced(name)
    assert verify(graph) is graph
    assert verify(graph, check_types=False) is graph


def test_verify_names_the_nested_node():
    graph = traced("scan")
    body = graph.nodes[0].params["body"]
    broken = with_param(graph, 0, "body", retyped(body, 3, np.float32))
    with pytest.raises(IRError) as error:
        verify(broken)
    assert error.value.message == (
        "node 0 (scan) body: node 3 (tanh): outputs typed f32[3], the rule gives f64[3]"
    )


def test_verify_names_every_level_of_nesting():
    graph = traced("cond_in_scan")
    body = graph.nodes[0].params["body"]
    true = body.nodes[2].params["true"]
    broken = with_param(graph, 0, "body", with_param(body, 2, "true", retyped(true, 1, np.float32)))
    with pytest.raises(IRError) as error:
        verify(broken)
    assert error.value.message == (
        "node 0 (scan) body: node 2 (cond) true: node 1 (tanh): "
        "outputs typed f32[3], the rule gives f64[3]"
    )


def test_verify_checks_nested_structure_without_types():
    graph = traced("while_loop")
    cond = graph.nodes[0].params["cond"]
    swapped = dataclasses.replace(cond, nodes=cond.nodes[::-1])
    broken = with_param(graph, 0, "cond", swapped)
    with pytest.raises(
        IRError,
        match=r"^node 0 \(while_loop\) cond: node 0 \(less\): "
        r"Var\(\?: f64\[\]\) is used before it is defined$",
    ):
        verify(broken, check_types=False)


def test_a_nested_graph_may_not_read_the_enclosing_values():
    graph = traced("fori_loop")
    body = graph.nodes[0].params["body"]
    outer_x = graph.inputs[0]
    node = body.nodes[0]
    reads_outer = dataclasses.replace(node, inputs=(outer_x, *node.inputs[1:]))
    broken = with_param(graph, 0, "body", dataclasses.replace(body, nodes=(reads_outer,)))
    with pytest.raises(
        IRError,
        match=r"^node 0 \(fori_loop\) body: node 0 \(multiply\): "
        r"Var\(x: f64\[3\]\) is used before it is defined$",
    ):
        verify(broken)


def test_the_node_rule_still_checks_the_nested_signature():
    graph = traced("fori_loop")
    body = graph.nodes[0].params["body"]
    wider = dataclasses.replace(body, inputs=(*body.inputs, Var(TensorType((2,), F64))))
    with pytest.raises(
        IRError,
        match=r"^node 0 \(fori_loop\): its type rule rejects it: "
        "fori_loop body inputs: expected 1 values",
    ):
        verify(with_param(graph, 0, "body", wider))


# --- SourceLoc.rule ---------------------------------------------------------------------


def test_source_loc_rule():
    plain = SourceLoc("/home/me/model.py", 12, "g * np.exp(x - out)")
    assert plain.rule is None
    assert plain.short == "model.py:12"
    ruled = SourceLoc("/home/me/model.py", 12, "g * np.exp(x - out)", None, "logsumexp_bwd")
    assert ruled.short == "model.py:12 (logsumexp_bwd)"
    assert dataclasses.replace(plain, rule="logsumexp_bwd") == ruled
    assert [f.name for f in dataclasses.fields(SourceLoc)] == [
        "file",
        "line",
        "text",
        "target",
        "rule",
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ruled.rule = "other"  # type: ignore[misc]
    assert not hasattr(ruled, "__dict__")


def test_rule_locations_read_back():
    builder = GraphBuilder("f")
    x = builder.add_input(TensorType((3,), F64), "x")
    (y,) = builder.bind(
        primitives["exp"], [x], loc=SourceLoc("a/b/model.py", 12, rule="logsumexp_bwd")
    )
    (z,) = builder.bind(primitives["tanh"], [y], loc=SourceLoc("model.py", 3))
    text = print_graph(builder.build([z]))
    assert text.splitlines()[1].endswith("  # model.py:12 (logsumexp_bwd)")
    again = parse_graph(text)
    assert again.nodes[0].loc == SourceLoc("model.py", 12, rule="logsumexp_bwd")
    assert again.nodes[1].loc == SourceLoc("model.py", 3)
    assert str(again) == text


# --- to_dot -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, title",
    [
        ("scan", "scan step"),
        ("cond", "cond true_branch|false_branch"),
        ("fori_loop", "fori_loop body"),
        ("while_loop", "while_loop cond|body"),
        ("cond_in_scan", "scan step"),
    ],
)
def test_control_flow_draws_as_one_node(name, title):
    graph = traced(name)
    dot = graph.to_dot()
    labels = re.findall(r'^  n\d+ \[label="([^"]*)"', dot, re.M)
    assert len(labels) == len(graph.nodes)
    control = [label for label in labels if label.split("\\n")[0] == title]
    assert len(control) == 1
    assert "Graph(" not in dot and "body=" not in dot and "true=" not in dot


def test_a_scan_node_in_dot():
    dot = hand_built_scan().to_dot()
    assert (
        '  n0 [label="scan step\\nlength=5 reverse=False num_consts=1 n...\\n'
        'f64[3], f64[5,3]", fillcolor="#d6e6f5", tooltip="model.py:7"];'
    ) in dot
    # Each use of one of the scan's two values is labelled with which it is.
    assert '  n0 -> n1 [label="hs"];' in dot
    assert '  n0 -> out1 [label="h"];' in dot


def test_unnamed_values_of_a_multi_output_node_are_labelled():
    graph = traced("cond_in_scan")
    assert graph.nodes[0].outputs[1].hint is None
    assert '  n0 -> n1 [label="scan"];' in graph.to_dot()


def test_dot_against_the_primal_keys_nested_graphs_by_their_text():
    graph = traced("scan")
    dot = graph.to_dot(primal=traced("scan"))
    assert "#fbd5ad" not in dot  # nothing is backward: every node is the primal's
