"""Graph.to_dot and Graph.render: the IR as a Graphviz picture, the backward pass coloured."""

import os
import re
import shutil
import sys

import numpy as np
import pytest

import tracegrad
from tracegrad.ir.dot import BACKWARD_COLOUR, LITERAL_LIMIT, PRIMAL_COLOUR

SMALL = """graph f(x: f64[3], W: f64[3,2]) {
  a: f64[2] = matmul x W
  s: f64[] = sum a axis=(0,) keepdims=False
  t: f64[] = multiply s 2.0
  u: f64[2] = add a arange(2):f64[2]
  return t, x, u
}"""

SMALL_DOT = r"""digraph "f" {
  graph [label="f", labelloc=t, fontname=Helvetica, fontsize=12];
  node [fontname=Helvetica, fontsize=10, style=filled];
  edge [fontname=Helvetica, fontsize=9];
  in0 [label="x\nf64[3]", shape=box, fillcolor="#eeeeee"];
  in1 [label="W\nf64[3,2]", shape=box, fillcolor="#eeeeee"];
  n0 [label="matmul\nf64[2]", fillcolor="#d6e6f5"];
  in0 -> n0 [label="x"];
  in1 -> n0 [label="W"];
  n1 [label="sum\naxis=(0,) keepdims=False\nf64[]", fillcolor="#d6e6f5"];
  n0 -> n1 [label="a"];
  n2 [label="multiply\nf64[]", fillcolor="#d6e6f5"];
  n1 -> n2 [label="s"];
  c0 [label="2.0", shape=plaintext, style=solid, fontcolor=gray35];
  c0 -> n2;
  n3 [label="add\nf64[2]", fillcolor="#d6e6f5"];
  n0 -> n3 [label="a"];
  c1 [label="arange(2):f64[2]", shape=plaintext, style=solid, fontcolor=gray35];
  c1 -> n3;
  out0 [label="return 0\nf64[]", shape=box, peripheries=2, fillcolor="#ddeecc"];
  n2 -> out0 [label="t"];
  out1 [label="return 1\nf64[3]", shape=box, peripheries=2, fillcolor="#ddeecc"];
  in0 -> out1 [label="x"];
  out2 [label="return 2\nf64[2]", shape=box, peripheries=2, fillcolor="#ddeecc"];
  n3 -> out2 [label="u"];
}
"""


def loss(W, x, y):
    h = np.tanh(x @ W)
    return np.mean((h - y) ** 2)


W, X, Y = np.ones((3, 2)), np.ones((4, 3)), np.zeros((4, 2))


def colours(dot: str) -> list[tuple[str, str]]:
    """(first label line, fill colour) of each operation node, in order."""
    found = re.findall(r'^  n\d+ \[label="([^"\\]*)[^"]*", fillcolor="([^"]+)"', dot, re.M)
    return [(label, colour) for label, colour in found]


def test_dot_text_of_a_small_graph():
    assert tracegrad.parse_graph(SMALL).to_dot() == SMALL_DOT


def test_dot_is_deterministic():
    first = tracegrad.grad(loss).ir(W, X, Y).to_dot()
    again = tracegrad.grad(loss).ir(W, X, Y).to_dot()  # a fresh trace of the same function
    assert first == again


def test_adjoint_colours_the_backward_pass_by_names():
    dot = tracegrad.grad(loss, argnums=(0, 1)).ir(W, X, Y).to_dot()
    assert "primal (blue), backward pass (orange)" in dot
    blue, orange = PRIMAL_COLOUR, BACKWARD_COLOUR
    assert colours(dot) == [
        ("matmul", blue),
        ("tanh", blue),
        ("subtract", blue),
        ("multiply", blue),  # `subtract * 2` of the VJP of **2: before the first cotangent
        ("multiply", orange),  # d_subtract
        ("multiply", orange),
        ("subtract", orange),  # 1 - h * h, read only by d_matmul
        ("multiply", orange),  # d_matmul
        ("transpose", orange),
        ("matmul", orange),  # d_x
        ("transpose", orange),
        ("matmul", orange),  # d_W
    ]
    assert 'label="d_matmul"' in dot and 'label="h"' in dot  # edges named after values


def test_adjoint_colours_exactly_given_the_primal():
    adjoint = tracegrad.grad(loss, argnums=(0, 1)).ir(W, X, Y)
    dot = adjoint.to_dot(primal=tracegrad.trace(loss, W, X, Y))
    blue, orange = PRIMAL_COLOUR, BACKWARD_COLOUR
    assert [c for _, c in colours(dot)] == [blue] * 3 + [orange] * 9


def test_a_users_own_d_variable_is_primal():
    def f(x):
        d_x = np.sin(x) * 2  # the user's name, not a cotangent
        return np.sum(d_x * x)

    dot = tracegrad.trace(f, np.ones(3)).to_dot()
    assert BACKWARD_COLOUR not in dot and "backward" not in dot
    assert 'label="d_x"' in dot


def test_a_primal_of_other_inputs_is_refused():
    adjoint = tracegrad.grad(loss).ir(W, X, Y)
    with pytest.raises(tracegrad.TracegradError, match="does not take the inputs"):
        adjoint.to_dot(primal=tracegrad.trace(loss, np.ones((3, 5)), X, np.zeros((4, 5))))


def test_literals_are_shown_compactly():
    def f(x):
        return np.sum(x * np.linspace(0.0, 1.0, 40) + 3.5)

    dot = tracegrad.trace(f, np.ones(40)).to_dot()
    literals = re.findall(r'^  c\d+ \[label="([^"]*)"', dot, re.M)
    assert "3.5" in literals
    long = [text for text in literals if text.endswith("...")]
    assert len(long) == 1 and len(long[0]) == LITERAL_LIMIT


def test_render_draws_svg_and_png(tmp_path):
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("Graphviz's dot is not installed here (.ci/run installs it in CI)")
    graph = tracegrad.grad(loss).ir(W, X, Y)
    svg = graph.render(tmp_path / "loss.svg")
    assert svg == tmp_path / "loss.svg"
    text = svg.read_text()
    assert "<svg" in text and "d_matmul" in text and BACKWARD_COLOUR in text.lower()
    png = graph.render(tmp_path / "loss.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_writes_dot_text_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    graph = tracegrad.parse_graph(SMALL)
    assert graph.render(tmp_path / "f.dot").read_text() == SMALL_DOT


def test_render_without_the_dot_program_says_how_to_install_it(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")  # installed by the dev extra; its absence is tested below
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH on which there is no `dot`
    with pytest.raises(tracegrad.TracegradError) as error:
        tracegrad.parse_graph(SMALL).render(tmp_path / "f.svg")
    message = str(error.value)
    assert "`dot` program" in message
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert not (tmp_path / "f.svg").exists()


def test_render_without_the_python_package_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` now fails
    with pytest.raises(tracegrad.TracegradError, match="pip install graphviz"):
        tracegrad.parse_graph(SMALL).render(tmp_path / "f.png")


def test_render_refuses_an_unknown_suffix(tmp_path):
    with pytest.raises(tracegrad.TracegradError, match=r"\.svg, \.png or \.pdf"):
        tracegrad.parse_graph(SMALL).render(tmp_path / "f.jpg")
