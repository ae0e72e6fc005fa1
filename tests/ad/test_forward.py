"""Forward mode: the `forward` Graph transform, `tracegrad.jvp` on pytrees, Python floats and
float32, the JVP as the transpose of the VJP on every catalog function, `jax.jvp` of the same
source, the JAX backend, and the errors a wrong tangent raises."""

from __future__ import annotations

import ast

import jax
import numpy as np
import pytest

import tracegrad
from tracegrad.ad import forward
from tracegrad.ir import Literal, parse_graph, verify

from ..catalog.functions import CATALOG
from ..catalog.numerics import (
    assert_same_structure,
    central_difference_grad,
    tree_copy,
    tree_equal,
    tree_leaves,
    tree_map,
)
from ..catalog.test_grad_catalog import in_key_order_of, jax_float64, jax_version_of

RNG = np.random.default_rng(42)
W = RNG.standard_normal((3, 2))


def layer(x, W, bias):
    h = np.tanh(x @ W)
    return np.sum(h * h) + bias


# --- the Graph transform ------------------------------------------------------------------


def test_forward_graph_takes_primals_then_tangents_and_returns_values_then_tangents():
    x = RNG.standard_normal(3)
    graph = tracegrad.trace(layer, x, W, 0.5)
    jvp_graph = verify(forward(graph, wrt=[0, 1]))
    assert jvp_graph.name == "jvp_layer"
    assert [v.hint for v in jvp_graph.inputs] == ["x", "W", "bias", "x_dot", "W_dot"]
    assert jvp_graph.input_types == (*graph.input_types, graph.inputs[0].type, graph.inputs[1].type)
    assert jvp_graph.output_types == (*graph.output_types, *graph.output_types)
    # The primal is replayed in order with its own names and lines (and no other value takes
    # the name of a line's target).
    primal = iter((n.op, n.out.hint, n.loc.line) for n in graph.nodes)
    wanted = next(primal)
    for node in jvp_graph.nodes:
        if (node.op, node.out.hint, node.loc.line) == wanted:
            wanted = next(primal, None)
    assert wanted is None, "the primal is not replayed in order"
    assert [n.op.name for n in jvp_graph.nodes if n.out.hint == "h"] == ["tanh"]
    assert "h_dot" in {n.out.hint for n in jvp_graph.nodes}
    # The printed graph parses back to the same text.
    assert str(parse_graph(str(jvp_graph))) == str(jvp_graph)


def test_outputs_nothing_flows_into_get_zeros_of_their_type():
    def f(x, y):
        return np.sin(y), x > 0, np.argmax(x), 2.5

    x, y = RNG.standard_normal(3), RNG.standard_normal((2, 2))
    jvp_graph = forward(tracegrad.trace(f, x, y), wrt=[0])
    tangents = jvp_graph.outputs[4:]
    assert all(isinstance(t, Literal) and not np.any(t.value) for t in tangents)
    assert [t.type.dtype for t in tangents] == [np.float64, np.bool_, np.int64, np.float64]
    assert [t.type.shape for t in tangents] == [(2, 2), (3,), (), ()]


def test_forward_refuses_an_integer_input():
    graph = tracegrad.trace(lambda x, n: x * n, np.ones(3), np.arange(3))
    with pytest.raises(tracegrad.TraceError, match="carry no tangent"):
        forward(graph, wrt=[1])


def test_values_computed_from_integers_carry_no_tangent():
    x = np.array([0.5, -1.5, 2.5])
    t = np.array([1.0, 2.0, 3.0])
    _, tangent = tracegrad.jvp(lambda x: x * np.floor(x).astype(np.int64) + (x > 0), (x,), (t,))
    np.testing.assert_array_equal(tangent, t * np.floor(x))


# --- jvp ------------------------------------------------------------------------------------


def test_jvp_agrees_with_directional_differences():
    x, t, s = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal((3, 2))
    value, tangent = tracegrad.jvp(layer, (x, W, 0.5), (t, s, 1.0))
    assert value == pytest.approx(layer(x, W, 0.5), rel=1e-15)
    eps = 1e-6
    numerical = (
        layer(x + eps * t, W + eps * s, 0.5 + eps) - layer(x - eps * t, W - eps * s, 0.5 - eps)
    ) / (2 * eps)
    assert tangent == pytest.approx(numerical, rel=1e-8)


def test_jvp_of_pytrees_with_constant_parts():
    """Tangents mirror the primals; None holds an argument or a subtree constant (integer
    labels take None)."""

    def loss(params, xs, labels):
        h = np.tanh(xs[0] @ params["W"] + params["b"])
        picked = h[np.arange(h.shape[0]), labels]
        return {"loss": -np.mean(picked * xs[1]), "h": h}

    params = {"W": RNG.standard_normal((4, 3)), "b": RNG.standard_normal(3)}
    xs = [RNG.standard_normal((5, 4)), RNG.standard_normal(5)]
    labels = np.array([0, 2, 1, 1, 0])
    d_params = {"W": RNG.standard_normal((4, 3)), "b": None}
    (value, tangent) = tracegrad.jvp(loss, (params, xs, labels), (d_params, None, None))
    expected = loss(params, xs, labels)
    np.testing.assert_allclose(value["loss"], expected["loss"], rtol=1e-14)
    np.testing.assert_allclose(value["h"], expected["h"], rtol=1e-14)
    assert set(tangent) == {"loss", "h"} and tangent["h"].shape == (5, 3)
    eps = 1e-6
    moved = [
        loss({"W": params["W"] + sign * eps * d_params["W"], "b": params["b"]}, xs, labels)
        for sign in (1, -1)
    ]
    for key in ("loss", "h"):
        numerical = (moved[0][key] - moved[1][key]) / (2 * eps)
        np.testing.assert_allclose(tangent[key], numerical, rtol=1e-6, atol=1e-9)
    # The emitted function takes the primals, then the tangents given (not the None ones).
    source = tracegrad.JVP(loss).source((params, xs, labels), (d_params, None, None))
    assert "def jvp_loss(params, xs, labels, params_dot):" in source


def test_jvp_of_python_floats_and_float32():
    value, tangent = tracegrad.jvp(lambda x, y: x * y + np.sin(x), (0.3, 2.0), (1.0, 0.5))
    assert value == pytest.approx(0.6 + np.sin(0.3)) and tangent == pytest.approx(
        2.0 + np.cos(0.3) + 0.5 * 0.3
    )
    x = RNG.standard_normal(4).astype(np.float32)
    value, tangent = tracegrad.jvp(lambda x: np.exp(x) * 2, (x,), (np.ones(4, np.float32),))
    assert value.dtype == tangent.dtype == np.float32
    np.testing.assert_allclose(tangent, 2 * np.exp(x), rtol=1e-6)


def test_staged_jvp_caches_per_signature_and_shows_readable_source():
    staged = tracegrad.JVP(layer)
    x, t = RNG.standard_normal(3), RNG.standard_normal(3)
    first = staged((x, W, 0.5), (t, None, None))
    again = staged((x + 1, W, 0.5), (t, None, None))
    assert len(staged.cache) == 1 and first != again
    source = staged.source((x, W, 0.5), (t, None, None))
    assert source == tracegrad.JVP(layer).source((x, W, 0.5), (t, None, None))
    tree = ast.parse(source)
    imports = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Import)]
    assert imports == ["import numpy as np"]
    assert "def jvp_layer(x, W, bias, x_dot):" in source
    assert "h_dot = " in source and "test_forward.py:" in source  # the user's lines
    assert staged.ir((x, W, 0.5), (t, None, None)).name == "jvp_layer"


def test_jvp_composes_with_grad_jit_and_itself():
    """grad of a jvp (reverse over forward), a jvp of a jvp and a jvp inside jit."""
    f = lambda x: np.sum(np.sin(x) * x**2)  # noqa: E731
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    # d/dx <grad f(x), v> = H v, with H = diag((2 - x^2) sin x + 4 x cos x)
    h = (2 - x**2) * np.sin(x) + 4 * x * np.cos(x)
    hv = tracegrad.grad(lambda x: tracegrad.jvp(f, (x,), (v,))[1])(x)
    np.testing.assert_allclose(hv, h * v, rtol=1e-12)
    second = tracegrad.jvp(lambda x: tracegrad.jvp(f, (x,), (v,))[1], (x,), (v,))[1]
    np.testing.assert_allclose(second, np.sum(h * v * v), rtol=1e-12)
    jitted = tracegrad.jit(lambda x, v: tracegrad.jvp(f, (x,), (v,)))
    np.testing.assert_allclose(jitted(x, v), tracegrad.jvp(f, (x,), (v,)), rtol=1e-14)


# --- the JVP is the transpose of the VJP, on every catalog function -------------------------


def float_leaves_only(tree, make):
    """`tree` with each floating leaf replaced by make(leaf), other leaves by None."""
    return tree_map(lambda x: make(x) if np.result_type(x).kind == "f" else None, tree)


def random_like(rng):
    def make(x):
        value = rng.standard_normal(np.shape(x))
        return float(value) if isinstance(x, float) else value.astype(np.result_type(x))

    return make


def inner(a, b) -> float:
    return sum(
        float(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64)))
        for x, y in zip(tree_leaves(a), tree_leaves(b), strict=True)
        if x is not None and y is not None
    )


@pytest.mark.parametrize("entry", CATALOG, ids=lambda entry: entry.name)
def test_jvp_is_the_transpose_of_the_vjp(entry):
    """<J t, c> == <t, J^T c> for random tangents t and cotangents c."""
    rng = np.random.default_rng(3)
    args = entry.make_args(rng)
    snapshot = tree_copy(args)
    tangents = tuple(float_leaves_only(a, random_like(rng)) for a in args)
    _, tangent = tracegrad.jvp(entry.fn, args, tangents)
    out, pullback = tracegrad.vjp(entry.fn, *args)
    assert_same_structure(tangent, out)
    cotangent = tree_map(
        lambda x: (
            rng.standard_normal(np.shape(x)) if np.result_type(x).kind == "f" else np.zeros_like(x)
        ),
        out,
    )
    transposed = pullback(cotangent)
    forward_side = inner(tangent, cotangent)
    reverse_side = inner(tangents, transposed)
    rtol = 1e-11 if entry.rtol == 1e-10 else 1e-4
    assert forward_side == pytest.approx(reverse_side, rel=rtol, abs=rtol)
    assert tree_equal(args, snapshot), "the arguments were modified"


def test_jvp_of_a_scalar_catalog_function_equals_differences_along_the_tangent():
    entry = next(e for e in CATALOG if e.name == "rnn_unrolled")
    args = entry.make_args(np.random.default_rng(0))
    direction = float_leaves_only(args[0], random_like(np.random.default_rng(1)))
    _, tangent = tracegrad.jvp(lambda p: entry.fn(p, *args[1:]), (args[0],), (direction,))
    gradient = central_difference_grad(entry.fn, args)
    assert tangent == pytest.approx(inner(gradient, direction), rel=1e-6)


# --- against jax.jvp of the same source ----------------------------------------------------

JAX_CASES = {
    # name: which arguments get a tangent (the others are closed over, as constants)
    "attention": (0, 1, 2),
    "layer_norm": (0, 1),
    "mlp_softmax_xent": (0,),
    "polar_coords": (0,),
}


@pytest.mark.parametrize("name", sorted(JAX_CASES))
def test_jvp_agrees_with_jax_jvp(name):
    entry = next(e for e in CATALOG if e.name == name)
    args = entry.make_args(np.random.default_rng(0))
    which = JAX_CASES[name]
    rng = np.random.default_rng(1)
    tangents = tuple(
        float_leaves_only(a, random_like(rng)) if i in which else None for i, a in enumerate(args)
    )
    ours = tracegrad.jvp(entry.fn, args, tangents)

    def with_constants(*differentiated):
        full = list(args)
        for i, value in zip(which, differentiated, strict=True):
            full[i] = value
        return jax_version_of(entry)(*full)

    with jax_float64():
        theirs = jax.jvp(
            with_constants, tuple(args[i] for i in which), tuple(tangents[i] for i in which)
        )
        theirs = in_key_order_of(tree_map(np.asarray, theirs), ours)
    assert_same_structure(ours, theirs)
    for a, b in zip(tree_leaves(ours), tree_leaves(theirs), strict=True):
        assert np.result_type(a) == np.result_type(b)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# --- the JAX backend -----------------------------------------------------------------------


def test_jvp_on_the_jax_backend():
    x, t = RNG.standard_normal(3), RNG.standard_normal(3)
    staged = tracegrad.jit(tracegrad.JVP(layer), backend="jax")
    ours = staged((x, W, 0.5), (t, None, None))
    from tracegrad.runtime.jax_backend import result_class

    reference = tracegrad.jvp(layer, (x, W, 0.5), (t, None, None))
    assert all(isinstance(leaf, result_class(leaf.dtype)) for leaf in ours)
    assert ours[1].dtype == np.float64  # a float64 graph runs in 64-bit
    np.testing.assert_allclose(np.asarray(ours), np.asarray(reference), rtol=1e-12)
    source = staged.source((x, W, 0.5), (t, None, None))
    assert "import jax.numpy as jnp" in source and "def jvp_layer(" in source
    inside = tracegrad.jit(
        lambda x, t: tracegrad.jvp(layer, (x, W, 0.5), (t, None, None)), backend="jax"
    )
    np.testing.assert_allclose(np.asarray(inside(x, t)), np.asarray(reference), rtol=1e-12)


# --- errors: each names the user's line and what to do ---------------------------------------


def expect_error(call, *fragments):
    with pytest.raises(tracegrad.TraceError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(__file__ + ":"), message  # this file: the caller's line
    assert "Instead: " in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_tangents_that_do_not_match_the_primals():
    x = np.ones((2, 3))
    params = {"W": np.ones(3), "b": np.ones(2)}
    f = lambda x: np.sum(x)  # noqa: E731
    g = lambda p: np.sum(p["W"]) + np.sum(p["b"])  # noqa: E731
    message = expect_error(
        lambda: tracegrad.jvp(f, (x,), (np.ones(3),)),  # shape
        "the tangent for x has shape (3,), but the primal has (2, 3)",
    )
    assert "tracegrad.jvp(f, (x,), (np.ones(3),))" in message  # the line is quoted
    expect_error(
        lambda: tracegrad.jvp(f, (x,), (np.ones((2, 3), np.float32),)),
        "holds float32 values, but the primal holds float64",
        "None",
    )
    expect_error(lambda: tracegrad.jvp(f, (x,), (np.ones((2, 3), np.int64),)), "int64")
    expect_error(
        lambda: tracegrad.jvp(g, (params,), ({"W": np.ones(3)},)),
        "the tangent for p is a dict with keys ['W']",
    )
    expect_error(
        lambda: tracegrad.jvp(g, (params,), ({"W": np.ones(3), "b": np.ones(3)},)),
        "the tangent for p['b'] has shape (3,)",
    )
    expect_error(
        lambda: tracegrad.jvp(lambda xs: xs[0], ([x],), ((x,),)),
        "is a tuple of 1, but the primal is a list of 1",
    )
    expect_error(lambda: tracegrad.jvp(f, (x,), ()), "1 primals but 0 tangents")
    expect_error(lambda: tracegrad.jvp(f, x, x), "as a tuple", "(x,), (v,)")


def test_integer_primal_given_a_tangent():
    def call():  # the error quotes this line, so the whole call stays on it
        return tracegrad.jvp(lambda x, n: x * n, (np.ones(3), np.arange(3)), (np.ones(3),) * 2)

    message = expect_error(
        call, "n holds i64[3] values, which carry no tangent", "pass None as its tangent"
    )
    assert "np.arange(3)" in message


def test_python_float_primal_takes_a_float_tangent():
    expect_error(
        lambda: tracegrad.jvp(lambda x: x * 2.0, (1.5,), (1,)),
        "holds int64 values, but the primal holds float64",
    )
    assert tracegrad.jvp(lambda x: x * 2.0, (1.5,), (np.float64(1.0),)) == (3.0, 2.0)
