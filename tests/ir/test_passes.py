"""The optimizing passes keep every value, each by its own docstring's promise.

(a) Every pass alone, and `optimize`, on the raw primal and raw gradient graph of every
catalog function: the result verifies (types checked) and runs to the same values: bit for
bit for the passes that promise it, else within rounding (simplify's documented zero-sign
changes allowed, see graph_checks.assert_pass_keeps_values); `optimize` reaches a fixed
point. (b) The same on random graphs with nan, inf and -0.0 in their inputs. (c) One test per
documented rewrite and non-rewrite of simplify, and for CSE, constant folding, dead code and
`optimize`'s `skip` and `observe`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, note

import tracegrad
from tracegrad.ir import Graph, GraphBuilder, Literal, Operand, TensorType, Var, verify
from tracegrad.ir.passes import (
    PASS_NAMES,
    PIPELINE,
    eliminate_common_subexpressions,
    eliminate_dead_code,
    fold_broadcasts,
    fold_constants,
    optimize,
    simplify,
)
from tracegrad.ir.passes.fold import SMALL
from tracegrad.ir.primitive import primitives
from tracegrad.tracer.pytree import flatten

from ..catalog.functions import CATALOG
from .graph_checks import (
    F32,
    F64,
    assert_pass_keeps_values,
    assert_same_results,
    random_graphs,
    run_graph,
)

P = primitives
L = Literal.of
PASSES: dict[str, Callable[[Graph], Graph]] = {p.name: p.run for p in PIPELINE}
PASSES["optimize"] = optimize
ENTRIES = {entry.name: entry for entry in CATALOG}
CASES = [
    (kind, entry.name)
    for entry in CATALOG
    for kind in ("primal", "gradient")
    if kind == "primal" or entry.grad is not None
]


# --- (a) the catalog ------------------------------------------------------------------------


@functools.cache
def catalog_graph(kind: str, name: str) -> tuple[Graph, tuple]:
    """The raw (unoptimized) graph of a catalog function or its gradient, and its arguments
    flattened as the graph takes them."""
    entry = ENTRIES[name]
    args = entry.make_args(np.random.default_rng(0))
    staged = tracegrad.jit(entry.fn) if kind == "primal" else tracegrad.grad(entry.fn)
    graph = staged.ir(*args, optimize=False)
    leaves, _ = flatten(list(args))
    assert len(leaves) == len(graph.inputs)
    return graph, tuple(leaves)


@pytest.mark.parametrize("pass_name", list(PASSES))
@pytest.mark.parametrize(("kind", "name"), CASES)
def test_pass_keeps_catalog_values(pass_name, kind, name):
    graph, args = catalog_graph(kind, name)
    after = PASSES[pass_name](graph)
    verify(after)
    assert_pass_keeps_values(pass_name, graph, after, args)


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_optimize_reaches_a_fixed_point_on_catalog(kind, name):
    graph, _ = catalog_graph(kind, name)
    once = optimize(graph)
    twice = optimize(once)
    assert len(twice.nodes) == len(once.nodes)
    for p in PIPELINE:  # each pass hands back the very Graph it has nothing to do on
        assert p.run(once) is once, p.name
    assert twice is once


# --- (b) random graphs ----------------------------------------------------------------------


@given(case=random_graphs())
def test_passes_keep_random_graph_values(case):
    graph, args = case
    note(str(graph))
    note(repr(args))
    verify(graph)
    for name, run in PASSES.items():
        after = run(graph)
        note(f"after {name}:\n{after}")
        verify(after)
        assert_pass_keeps_values(name, graph, after, args)
    once = optimize(graph)
    assert optimize(once) is once
    for run in (eliminate_dead_code, eliminate_common_subexpressions, fold_constants):
        done = run(graph)
        assert run(done) is done, run.__name__


# --- (c) unit tests -------------------------------------------------------------------------

F64_6 = TensorType((6,), F64)
# nan, both infinities, both zeros and ordinary values; a second argument in another order.
SPECIAL = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5])
SPECIAL_2 = np.array([-0.0, 2.0, np.nan, 0.0, -np.inf, -0.5])


class Ops:
    """`ops.multiply(x, y)`: bind a primitive on a GraphBuilder, one output."""

    def __init__(self, builder: GraphBuilder):
        self.builder = builder

    def __getattr__(self, name: str) -> Callable[..., Var]:
        def bind(*inputs: Operand, **params) -> Var:
            (out,) = self.builder.bind(P[name], list(inputs), params)
            return out

        return bind


def build(body: Callable[..., Var | list[Var]], *types: TensorType) -> Graph:
    builder = GraphBuilder("g")
    xs = [builder.add_input(t, f"x{i}") for i, t in enumerate(types or (F64_6, F64_6))]
    out = body(Ops(builder), *xs)
    return builder.build(out if isinstance(out, list) else [out])


def arguments(graph: Graph) -> list[np.ndarray]:
    """Values for the inputs, nan, inf and both zeros among them, broadcast to each type."""
    args = []
    for i, x in enumerate(graph.inputs):
        source = SPECIAL if i % 2 == 0 else SPECIAL_2
        if x.type.dtype.kind != "f":
            source = np.arange(-3, 3)
        flat = np.resize(source, x.type.size).astype(x.type.dtype)
        args.append(flat.reshape(x.type.shape))
    return args


def settled(graph: Graph) -> Graph:
    """simplify run until it has nothing left to do, then dead code swept."""
    for _ in range(10):
        after = simplify(graph)
        if after is graph:
            break
        verify(after)
        graph = after
    return eliminate_dead_code(graph)


def ops(graph: Graph) -> list[str]:
    return [node.op.name for node in graph.nodes]


def reshaped(shape):
    return lambda o, x, y: o.reshape(x, shape=shape)


F64_1x6 = TensorType((1, 6), F64)
F64_2x3 = TensorType((2, 3), F64)
F32_6 = TensorType((6,), F32)
I32_6 = TensorType((6,), np.dtype(np.int32))

# name: (graph body, input types or None for two f64[6], the ops left after simplify)
REWRITES = {
    "x * 1": (lambda o, x, y: o.multiply(x, L(1)), None, []),
    "1.0 * x": (lambda o, x, y: o.multiply(L(1.0), x), None, []),
    "x * np.float64(1)": (lambda o, x, y: o.multiply(x, L(np.float64(1))), None, []),
    "x_f32 * 1.0": (lambda o, x: o.multiply(x, L(1.0)), (F32_6,), []),
    "x * -1": (lambda o, x, y: o.multiply(x, L(-1)), None, ["neg"]),
    "x / 1": (lambda o, x, y: o.divide(x, L(1.0)), None, []),
    "x ** 1": (lambda o, x, y: o.power(x, L(1)), None, []),
    "x + 0": (lambda o, x, y: o.add(x, L(0)), None, []),
    "0.0 + x": (lambda o, x, y: o.add(L(0.0), x), None, []),
    "x + -0.0": (lambda o, x, y: o.add(x, L(-0.0)), None, []),
    "x - 0.0": (lambda o, x, y: o.subtract(x, L(0.0)), None, []),
    "0 - x": (lambda o, x, y: o.subtract(L(0), x), None, ["neg"]),
    "x + full(6, 0.0)": (lambda o, x, y: o.add(x, L(np.zeros(6))), None, []),
    "reshape to its own shape": (reshaped((6,)), None, []),
    "transpose by the identity": (lambda o, x: o.transpose(x, axes=(0, 1)), (F64_2x3,), []),
    "broadcast to its own shape": (lambda o, x, y: o.broadcast_to(x, shape=(6,)), None, []),
    "convert to its own dtype": (lambda o, x, y: o.convert(x, dtype=F64), None, []),
    "where(c, x, x)": (lambda o, x, y: o.where(o.greater(y, L(0.0)), x, x), None, []),
    "reshape of a reshape": (
        lambda o, x, y: o.reshape(o.reshape(x, shape=(2, 3)), shape=(3, 2)),
        None,
        ["reshape"],
    ),
    "reshape and back": (
        lambda o, x, y: o.reshape(o.reshape(x, shape=(2, 3)), shape=(6,)),
        None,
        [],
    ),
    "transpose of a transpose": (
        lambda o, x: o.transpose(o.transpose(x, axes=(1, 2, 0)), axes=(1, 2, 0)),
        (TensorType((2, 3, 1), F64),),
        ["transpose"],
    ),
    "transpose undone": (
        lambda o, x: o.transpose(o.transpose(x, axes=(1, 0)), axes=(1, 0)),
        (F64_2x3,),
        [],
    ),
    "a + -b": (lambda o, x, y: o.add(x, o.neg(y)), None, ["subtract"]),
    "-a + b": (lambda o, x, y: o.add(o.neg(x), y), None, ["subtract"]),
    "a - -b": (lambda o, x, y: o.subtract(x, o.neg(y)), None, ["add"]),
    "-(-x)": (lambda o, x, y: o.neg(o.neg(x)), None, []),
    "-x * -y": (lambda o, x, y: o.multiply(o.neg(x), o.neg(y)), None, ["multiply"]),
    "a * -b where a * b is computed": (
        lambda o, x, y: [o.multiply(x, y), o.multiply(x, o.neg(y))],
        None,
        ["multiply", "neg"],
    ),
    "sum over size-1 axes": (
        lambda o, x: o.sum(x, axis=(0,), keepdims=False),
        (F64_1x6,),
        ["reshape"],
    ),
    "max over size-1 axes": (
        lambda o, x: o.max(x, axis=(0,), keepdims=False),
        (F64_1x6,),
        ["reshape"],
    ),
    "sum over no axes": (lambda o, x, y: o.sum(x, axis=(), keepdims=False), None, []),
    "sum of a broadcast over the axes it repeated": (
        lambda o, x, y: o.sum(o.broadcast_to(x, shape=(4, 6)), axis=(0,), keepdims=False),
        None,
        ["multiply"],
    ),
    "sum of a broadcast, keepdims": (
        lambda o, x, y: o.sum(o.broadcast_to(x, shape=(4, 6)), axis=(0,), keepdims=True),
        None,
        ["reshape", "multiply"],
    ),
    "x + x": (lambda o, x, y: o.add(x, x), None, ["multiply"]),
    "2.0 * (0.25 * x)": (
        lambda o, x, y: o.multiply(L(2.0), o.multiply(L(0.25), x)),
        None,
        ["multiply"],
    ),
    "x written at 1:4, read back there": (
        lambda o, x, y: o.index(o.index_set(x, y, index=((1, 4, None),)), index=((1, 4, None),)),
        (TensorType((6,), F64), TensorType((3,), F64)),
        [],
    ),
    "x written at 1:4, read at 4:": (
        lambda o, x, y: o.index(o.index_set(x, y, index=((1, 4, None),)), index=((4, None, None),)),
        (TensorType((6,), F64), TensorType((3,), F64)),
        ["index"],
    ),
    "x added into zeros at 1:4, not at 0:2": (
        lambda o, x, y: o.index_add(
            o.index_scatter(x, shape=(6,), index=((0, 2, None),)), y, index=((2, 5, None),)
        ),
        (TensorType((2,), F64), TensorType((3,), F64)),
        ["index_scatter", "index_set"],
    ),
    "the region np.pad kept, read back": (
        lambda o, x: o.index(
            o.pad(x, pad_width=((1, 2), (0, 1)), mode="edge", constant_values=0),
            index=((1, 3, None), (None, -1, None)),
        ),
        (F64_2x3,),
        [],
    ),
}

KEPT = {
    "3.0 * (0.25 * x)": (
        lambda o, x, y: o.multiply(L(3.0), o.multiply(L(0.25), x)),
        None,
        ["multiply", "multiply"],
    ),
    "x written at 1:4, read at 0:2": (
        lambda o, x, y: o.index(o.index_set(x, y, index=((1, 4, None),)), index=((0, 2, None),)),
        (TensorType((6,), F64), TensorType((3,), F64)),
        ["index_set", "index"],
    ),
    "x added into zeros where they were written": (
        lambda o, x: o.index_add(
            o.index_scatter(x, shape=(6,), index=((1, 3, None),)), x, index=((2, 4, None),)
        ),
        (TensorType((2,), F64),),
        ["index_scatter", "index_add"],
    ),
    "more than np.pad kept, read back": (
        lambda o, x: o.index(
            o.pad(x, pad_width=1, mode="constant", constant_values=0),
            index=((0, 3, None),),
        ),
        (F64_2x3,),
        ["pad", "index"],
    ),
    "x * 0": (lambda o, x, y: o.multiply(x, L(0)), None, ["multiply"]),
    "0.0 * x": (lambda o, x, y: o.multiply(L(0.0), x), None, ["multiply"]),
    "x - x": (lambda o, x, y: o.subtract(x, x), None, ["subtract"]),
    "x / x": (lambda o, x, y: o.divide(x, x), None, ["divide"]),
    "x - (-0.0)": (lambda o, x, y: o.subtract(x, L(-0.0)), None, ["subtract"]),
    "x_int32 * 1.0 (float64)": (lambda o, x: o.multiply(x, L(1.0)), (I32_6,), ["multiply"]),
    "x_f32 + np.float64(0) (float64)": (
        lambda o, x: o.add(x, L(np.float64(0.0))),
        (F32_6,),
        ["add"],
    ),
    "x + zeros((2, 6)) (broadcasts)": (
        lambda o, x, y: o.add(x, L(np.zeros((2, 6)))),
        None,
        ["add"],
    ),
    "x * 2.5": (lambda o, x, y: o.multiply(x, L(2.5)), None, ["multiply"]),
    "a * -b alone": (lambda o, x, y: o.multiply(x, o.neg(y)), None, ["neg", "multiply"]),
    "sum of bools over a size-1 axis (int64)": (
        lambda o, x: o.sum(o.greater(x, L(0.0)), axis=(0,), keepdims=False),
        (F64_1x6,),
        ["greater", "sum"],
    ),
    "sum of a broadcast over one of the axes it repeated": (
        lambda o, x, y: o.sum(o.broadcast_to(x, shape=(2, 4, 6)), axis=(0,), keepdims=False),
        None,
        ["broadcast_to", "sum"],
    ),
    "sum over a size-2 axis": (
        lambda o, x: o.sum(x, axis=(0,), keepdims=False),
        (F64_2x3,),
        ["sum"],
    ),
    "transpose": (lambda o, x: o.transpose(x, axes=(1, 0)), (F64_2x3,), ["transpose"]),
    "where(c, x, y)": (
        lambda o, x, y: o.where(o.greater(y, L(0.0)), x, y),
        None,
        ["greater", "where"],
    ),
}


@pytest.mark.parametrize("case", list(REWRITES) + list(KEPT))
def test_simplify_rule(case):
    body, types, expected = REWRITES.get(case) or KEPT[case]
    graph = build(body, *(types or ()))
    after = settled(graph)
    verify(after)
    assert ops(after) == expected, str(after)
    assert_pass_keeps_values("simplify", graph, after, arguments(graph))


def test_nothing_hides_a_nan_or_an_infinity():
    graph = build(
        lambda o, x, y: [
            o.multiply(x, L(0.0)),
            o.subtract(x, x),
            o.divide(x, x),
            o.multiply(L(0), o.add(x, L(0))),
        ]
    )
    (times_zero, minus_itself, over_itself, zero_times) = run_graph(
        optimize(graph), [SPECIAL, SPECIAL_2]
    )
    nan, inf = np.isnan(SPECIAL), np.isinf(SPECIAL)
    for result in (times_zero, minus_itself, zero_times):
        np.testing.assert_array_equal(np.isnan(result), nan | inf)
    np.testing.assert_array_equal(np.isnan(over_itself), nan | inf | (SPECIAL == 0))


def test_zero_signs_change_only_where_documented():
    x = np.array([-0.0, 0.0, 1.0])
    # x - (-0.0) is x + 0.0: NumPy gives 0.0 for -0.0, so it is not rewritten to x.
    graph = build(lambda o, x: o.divide(L(1.0), o.subtract(x, L(-0.0))), TensorType((3,), F64))
    (got,) = run_graph(optimize(graph), [x])
    np.testing.assert_array_equal(got, [np.inf, np.inf, 1.0])
    # x + 0.0 -> x is documented: -0.0 stays -0.0 (1 / it is -inf), where NumPy gives +inf.
    graph = build(lambda o, x: o.divide(L(1.0), o.add(x, L(0.0))), TensorType((3,), F64))
    assert ops(optimize(graph)) == ["divide"]
    (got,) = run_graph(optimize(graph), [x])
    np.testing.assert_array_equal(got, [-np.inf, np.inf, 1.0])


def test_rewrites_keep_exact_types():
    """Each node's type is what its rule gives, Python scalars stay Python scalars."""
    weak = TensorType((), F64, weak=True)
    graph = build(
        lambda o, x, s: [o.multiply(x, L(1.0)), o.add(s, L(0)), o.neg(o.neg(s))], F32_6, weak
    )
    after = verify(settled(graph))
    assert [x.type for x in after.outputs] == [x.type for x in graph.outputs]
    results = run_graph(after, [SPECIAL.astype(np.float32), 2.5])
    assert type(results[1]) is float and type(results[2]) is float
    assert_same_results(results, run_graph(graph, [SPECIAL.astype(np.float32), 2.5]), exact=True)


# --- common subexpressions -------------------------------------------------------------------


def test_cse_merges_commuted_products_and_sums():
    graph = build(lambda o, x, y: [o.multiply(x, y), o.multiply(y, x), o.add(x, y), o.add(y, x)])
    after = eliminate_common_subexpressions(graph)
    assert ops(after) == ["multiply", "add"]
    assert after.outputs[0] is after.outputs[1] and after.outputs[2] is after.outputs[3]
    assert_pass_keeps_values("common subexpressions", graph, after, arguments(graph))


def test_cse_merges_equal_literals_but_not_zeros_of_either_sign():
    graph = build(
        lambda o, x, y: [
            o.add(x, L(0.0)),
            o.add(x, L(0.0)),
            o.add(x, L(-0.0)),
            o.add(x, L(np.float64(0.0))),
            o.subtract(x, y),
            o.subtract(y, x),
            o.multiply(x, L(np.ones(6))),
            o.multiply(x, L(np.ones(6))),
        ]
    )
    after = eliminate_common_subexpressions(graph)
    # x + 0.0 twice is one node; x + -0.0, x + np.float64(0.0) (another type), x - y and
    # y - x stay apart; the two products by equal arrays are one.
    assert ops(after) == ["add", "add", "add", "subtract", "subtract", "multiply"]
    out = after.outputs
    assert out[0] is out[1] and out[6] is out[7]
    assert len({id(v) for v in out}) == 6
    assert_pass_keeps_values("common subexpressions", graph, after, arguments(graph))


# --- constant folding ------------------------------------------------------------------------


def test_fold_respects_the_size_limit():
    side = int(SMALL**0.5)
    assert side * side == SMALL
    graph = build(
        lambda o, x: [
            o.broadcast_to(L(0.5), shape=(side, side)),
            o.broadcast_to(L(0.5), shape=(SMALL + 1,)),
            o.broadcast_to(L(0.5), shape=(100, 100)),
            o.neg(L(np.arange(100.0))),
        ],
        TensorType((), F64),
    )
    after = fold_constants(graph)
    assert ops(after) == ["broadcast_to", "broadcast_to"]  # the two larger than their input
    small, larger, large, negated = after.outputs
    assert isinstance(small, Literal) and small.type == graph.outputs[0].type
    assert isinstance(negated, Literal)  # no larger than its input
    assert not isinstance(larger, Literal) and not isinstance(large, Literal)
    assert_pass_keeps_values("fold constants", graph, after, [np.float64(1.0)])


def test_fold_gives_exactly_the_emitted_values_and_types():
    values = [np.float64(0.0), np.float32(2.5), -0.0, 1]
    graph = build(
        lambda o, x: [
            o.divide(L(values[0]), L(values[0])),  # nan
            o.divide(L(1.0), L(np.float64(-0.0))),  # -inf
            o.add(L(values[2]), L(0)),  # Python: -0.0 + 0 is 0.0
            o.multiply(L(values[1]), L(2.5)),  # float32
            o.add(L(1), L(2)),  # a Python int
            o.exp(L(np.float32(1.0))),
            o.sum(L(np.arange(6.0).reshape(2, 3)), axis=(1,), keepdims=True),
            o.convert(L(np.float64(2.75)), dtype=F32),
            o.add(x, o.neg(L(-0.0))),
        ],
        F64_6,
    )
    after = fold_constants(graph)
    assert ops(after) == ["add"]
    assert all(isinstance(x, Literal) for x in after.outputs[:-1])
    assert [x.type for x in after.outputs] == [x.type for x in graph.outputs]
    assert_pass_keeps_values("fold constants", graph, after, [SPECIAL])


# --- dead code, and passes with nothing to do ------------------------------------------------


def test_dead_code_is_swept_and_live_code_kept():
    def body(o, x, y):
        o.sin(x)  # read by nothing
        kept = o.add(o.exp(x), y)
        o.cos(kept)  # read by nothing
        return kept

    graph = build(body)
    after = eliminate_dead_code(graph)
    assert ops(after) == ["exp", "add"]
    assert eliminate_dead_code(after) is after
    assert_pass_keeps_values("dead code", graph, after, arguments(graph))


def test_every_pass_returns_the_graph_it_has_nothing_to_do_on():
    graph = build(
        lambda o, x, y: [o.multiply(o.exp(x), y), o.sum(o.sin(y), axis=(0,), keepdims=False)]
    )
    for name, run in PASSES.items():
        assert run(graph) is graph, name


# --- optimize: skip and observe --------------------------------------------------------------


def two_round_graph() -> Graph:
    """Work for simplify (`* 1`), common subexpressions (sin(y) twice) and dead code."""

    def body(o, x, y):
        s = o.sin(y)
        o.exp(x)  # read by nothing
        first = o.add(o.multiply(x, L(1)), o.multiply(s, L(1.0)))
        return [first, o.multiply(o.sin(y), s)]

    return build(body)


def test_optimize_observes_each_pass_once_per_round():
    graph = two_round_graph()
    calls = []
    result = optimize(graph, observe=lambda p, before, after: calls.append((p, before, after)))
    names = [p.name for p, _, _ in calls]
    rounds, left = divmod(len(names), len(PIPELINE))
    assert left == 0 and rounds == 2, names  # the first round does it all, the second checks
    assert names == list(PASS_NAMES) * rounds
    assert calls[0][1] is graph and calls[-1][2] is result
    for (_, _, after), (_, before, _) in itertools.pairwise(calls):
        assert before is after  # each pass sees what the one before it made
    changed = {p.name: before is not after for p, before, after in calls[: len(PIPELINE)]}
    assert changed["simplify"] and changed["common subexpressions"] and changed["dead code"]
    assert not any(before is not after for _, before, after in calls[len(PIPELINE) :])
    assert ops(result) == ["sin", "add", "multiply"]


def test_optimize_skips_the_passes_named():
    graph = two_round_graph()
    calls = []
    result = optimize(
        graph, skip=("simplify", "dead code"), observe=lambda p, before, after: calls.append(p.name)
    )
    assert "simplify" not in calls and "dead code" not in calls
    assert set(calls) == set(PASS_NAMES) - {"simplify", "dead code"}
    assert "multiply" in ops(result)  # x * 1 stays
    assert optimize(graph, skip=PASS_NAMES) is graph
    everything = optimize(graph)
    assert len(everything.nodes) < len(result.nodes)
    assert_pass_keeps_values("optimize", graph, result, arguments(graph))


def test_optimize_rejects_an_unknown_pass_name():
    graph = two_round_graph()
    with pytest.raises(ValueError, match="no pass named constant folding") as error:
        optimize(graph, skip=("constant folding", "simplify"))
    for name in PASS_NAMES:
        assert name in str(error.value)


def test_fold_broadcasts_keeps_types_and_shapes():
    """Two broadcasts meeting in one operation are not both dropped (the result would lose
    its shape), nor a Python scalar's broadcast beside float32 (the result would become
    float32)."""
    scalar = TensorType((), F64)
    graph = build(
        lambda o, a, b, x: [
            o.add(o.broadcast_to(a, shape=(3,)), o.broadcast_to(b, shape=(3,))),
            o.multiply(x, o.broadcast_to(L(2.5), shape=(3,))),
            o.multiply(o.broadcast_to(a, shape=(3,)), x),
        ],
        scalar,
        scalar,
        TensorType((3,), F32),
    )
    after = fold_broadcasts(graph)
    verify(after)
    assert [x.type for x in after.outputs] == [x.type for x in graph.outputs]
    assert ops(after).count("broadcast_to") == 2  # one of the pair, and 2.5's
    assert_pass_keeps_values(
        "fold broadcasts",
        graph,
        after,
        [np.float64(-0.0), np.float64(np.nan), np.array([1.5, -0.0, np.inf], np.float32)],
    )
