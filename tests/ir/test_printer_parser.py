"""The printed IR reads back exactly, and malformed text is refused with IRError."""

import numpy as np
import pytest

import tracegrad
from tracegrad.ir import GraphBuilder, Literal, TensorType, parse_graph, print_graph, verify
from tracegrad.ir.primitives import primitives


def mlp(W1, b1, W2, x, y):
    h = np.tanh(x @ W1 + b1)
    z = h @ W2
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(x.shape[0]), y].mean()


def shapes_and_constants(x, s):
    a = x[1:, ::2, None] * np.float32(2.5)
    b = np.concatenate([a.reshape(-1), np.zeros(3, np.float32)])
    c = np.stack([b, b * s]).T @ np.eye(2, dtype=np.float32)
    table = np.array([0.5, -1.0, np.inf, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0])
    d = np.einsum("ij,ij->i", c, c) + table[:11]
    return np.where(d > 0, d, np.nan).astype(np.float64), x.swapaxes(0, 1).sum(axis=(0, 2))


RNG = np.random.default_rng(0)
CASES = {
    "mlp": (
        mlp,
        (
            RNG.standard_normal((4, 5)),
            RNG.standard_normal(5),
            RNG.standard_normal((5, 3)),
            RNG.standard_normal((6, 4)),
            RNG.integers(0, 3, 6),
        ),
    ),
    "shapes_and_constants": (
        shapes_and_constants,
        (RNG.standard_normal((3, 4, 2)).astype(np.float32), 1.5),
    ),
    "python_scalars": (lambda x, n: (x * 2 + n, -x, x**0.5 < 3, abs(x)), (2.0, 3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_print_parse_round_trip(name):
    fn, args = CASES[name]
    graph = tracegrad.trace(fn, *args)
    text = print_graph(graph)
    again = parse_graph(text)
    verify(again)
    assert print_graph(again) == text
    assert [v.type for v in again.inputs] == [v.type for v in graph.inputs]
    assert [x.type for x in again.outputs] == [x.type for x in graph.outputs]


def test_parsed_graph_runs_like_the_original():
    fn, args = CASES["mlp"]
    graph = tracegrad.trace(fn, *args)
    from tracegrad.codegen import emit_numpy
    from tracegrad.runtime.loader import load_function

    original = load_function(emit_numpy(graph), graph.name)(*args)
    parsed = load_function(emit_numpy(parse_graph(str(graph))), graph.name)(*args)
    assert original == parsed == pytest.approx(fn(*args), rel=1e-12)


def test_printed_form_is_the_documented_one():
    builder = GraphBuilder("f")
    x = builder.add_input(TensorType((3, 4), np.float64), "x")
    w = builder.add_input(TensorType((4,), np.float32), "w")
    (a,) = builder.bind(primitives["matmul"], [x, w], hints=["a"])
    (b,) = builder.bind(primitives["multiply"], [a, Literal.of(2.0)])
    (c,) = builder.bind(primitives["sum"], [b], {"axis": (0,), "keepdims": False})
    graph = builder.build([c, Literal.of(np.arange(4))])
    assert print_graph(graph) == (
        "graph f(x: f64[3,4], w: f32[4]) {\n"
        "  a: f64[3] = matmul x w\n"
        "  multiply: f64[3] = multiply a 2.0\n"
        "  sum_1: f64[] = sum multiply axis=(0,) keepdims=False\n"
        "  return sum_1, arange(4):i64[4]\n"
        "}"
    )


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("graph f(x: f64[3]) {\n  return y\n}", "used before it is defined"),
        ("graph f(x: f64[3]) {\n  y: f64[3] = frobnicate x\n  return y\n}", "unknown primitive"),
        ("graph f(x: f64[3]) {\n  y: f32[3] = tanh x\n  return y\n}", "declared f32\\[3\\]"),
        ("graph f(x: q64[3]) {\n  return x\n}", "not a type"),
        ("f(x: f64[3]) {\n  return x\n}", "must start with"),
        (
            "graph f(x: f64[3], y: f64[4]) {\n  z: f64[3] = add x y\n  return z\n}",
            "do not broadcast",
        ),
    ],
)
def test_malformed_text_is_refused(text, fragment):
    with pytest.raises(tracegrad.TracegradError, match=fragment):
        parse_graph(text)
