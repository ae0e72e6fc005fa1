"""The NumPy memory plan (`out=` into dead buffers, `del`) on arrays large enough to take part.

For each function, primal and gradient run on read-only arguments and give the values plain
NumPy (or a gradient written out by hand) gives, and what the same graph emitted without the
plan gives (up to the order a later sum adds a transposed buffer in); the arguments come
back bit for bit unchanged; no two results share memory unless the function itself returns
aliases; and in the emitted source `out=` only ever names a local the function made (never
a parameter, nor a broadcast), and no name is read after it is deleted.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tracegrad
from tracegrad.codegen.emitter import Emitter
from tracegrad.codegen.numpy import NUMPY_BACKEND, emit_numpy
from tracegrad.ir import GraphBuilder, Literal, TensorType
from tracegrad.ir.passes.memory import LARGE_BYTES, is_large, plan_memory
from tracegrad.ir.primitive import primitives
from tracegrad.runtime.loader import load_function

from ..catalog.numerics import tree_copy, tree_equal, tree_leaves, tree_map

ROWS, COLS = 400, 250  # 10^5 float64 elements: 800 kB, well above the plan's threshold
N = ROWS * COLS
assert N * 8 >= LARGE_BYTES
BATCH = 512


def read_only(tree: Any) -> Any:
    def freeze(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            x = x.copy()
            x.setflags(write=False)
        return x

    return tree_map(freeze, tree)


# --- the functions ---------------------------------------------------------------------------


def chain(x, y):
    a = np.exp(-x * x)
    b = a * y + np.sin(x)
    return np.tanh(b) * 0.5 - y / (1.0 + a)


def chain_loss(x, y):
    c = chain(x, y)
    return np.sum(c * c)


def chain_loss_grad(x, y):
    a = np.exp(-x * x)
    da = -2.0 * x * a
    b = a * y + np.sin(x)
    c = np.tanh(b) * 0.5 - y / (1.0 + a)
    dc = 0.5 * (1.0 - np.tanh(b) ** 2) * (y * da + np.cos(x)) + y / (1.0 + a) ** 2 * da
    return 2.0 * c * dc


def mlp_loss(params, x, t):
    h = np.tanh(x @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - t) ** 2)


def mlp_loss_grad(params, x, t):
    h = np.tanh(x @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    d_out = 2.0 * (out - t) / out.size
    d_a = (d_out @ params["W2"].T) * (1.0 - h * h)
    return {"W1": x.T @ d_a, "b1": d_a.sum(axis=0), "W2": h.T @ d_out, "b2": d_out.sum(axis=0)}


def mlp_relu(params, x):
    h = np.maximum(x @ params["W1"] + params["b1"], 0.0)
    return h @ params["W2"] + params["b2"], h


def view_of_intermediate(x):
    t = np.exp(x)
    return t.T, np.sin(t) + 1.0


def view_loss(x):
    t = np.exp(x)
    return np.sum(t.T * x.T) + np.sum(np.sin(t))


def view_loss_grad(x):
    t = np.exp(x)
    return t * (x + 1.0 + np.cos(t))


def returns_input(x, y):
    return x, np.exp(x) * y, y.T


def late_transpose(x, w):
    t = np.exp(x)
    v = t.T  # a view of t, read after t's last direct use
    u = np.sin(t) * 3.0
    return u.T * w + v


def late_transpose_loss(x, w):
    return np.sum(late_transpose(x, w) ** 2)


def late_transpose_loss_grad(x, w):
    t = np.exp(x)
    r2 = 2.0 * late_transpose(x, w)
    return t * ((r2 * w).T * 3.0 * np.cos(t) + r2.T)


def fan_out(x):
    t = np.exp(x)
    a = np.sin(t)
    b = np.cos(t)
    c = t * a
    return a * b + c - t


def fan_out_loss(x):
    return np.sum(fan_out(x))


def fan_out_loss_grad(x):
    t = np.exp(x)
    s, c = np.sin(t), np.cos(t)
    return t * (c * c - s * s + s + t * c - 1.0)


def column_sums_and_sines(x):
    t = np.exp(x)
    return t.sum(axis=0) + np.sin(t)


def column_sums_and_sines_loss(x):
    return np.sum(column_sums_and_sines(x))


def column_sums_and_sines_loss_grad(x):
    t = np.exp(x)
    return (x.shape[0] + np.cos(t)) * t


def first_row_added(x):
    t = np.exp(x)
    return (np.sin(t) + t[0]) * 2.0


def broadcast_intermediate(v):
    return np.sin(np.broadcast_to(np.exp(v), (4, *v.shape)))


def broadcast_loss(v):
    return np.sum(broadcast_intermediate(v))


def broadcast_loss_grad(v):
    t = np.exp(v)
    return 4.0 * np.cos(t) * t


def rng_args(*shapes: tuple[int, ...], scale: float = 1.0) -> Callable[[], tuple]:
    def make() -> tuple:
        rng = np.random.default_rng(0)
        return tuple(scale * rng.standard_normal(shape) for shape in shapes)

    return make


def mlp_args(with_target: bool = True) -> Callable[[], tuple]:
    def make() -> tuple:
        rng = np.random.default_rng(1)
        params = {
            "W1": rng.standard_normal((256, 256)) / 16,
            "b1": rng.standard_normal(256),
            "W2": rng.standard_normal((256, 200)) / 16,
            "b2": rng.standard_normal(200),
        }
        x = rng.standard_normal((BATCH, 256))
        return (params, x, rng.standard_normal((BATCH, 200))) if with_target else (params, x)

    return make


@dataclasses.dataclass(frozen=True)
class Case:
    fn: Callable
    make_args: Callable[[], tuple]
    grad: Callable | None = None  # by hand, w.r.t. argument 0 (fn returns a scalar)


MATRIX = (ROWS, COLS)
CASES = {
    "chain": Case(chain, rng_args(MATRIX, MATRIX)),
    "chain_loss": Case(chain_loss, rng_args(MATRIX, MATRIX), chain_loss_grad),
    "mlp_loss": Case(mlp_loss, mlp_args(), mlp_loss_grad),
    "mlp_relu": Case(mlp_relu, mlp_args(with_target=False)),
    "view_of_intermediate": Case(view_of_intermediate, rng_args(MATRIX)),
    "view_loss": Case(view_loss, rng_args(MATRIX), view_loss_grad),
    "returns_input": Case(returns_input, rng_args(MATRIX, MATRIX)),
    "late_transpose": Case(late_transpose, rng_args(MATRIX, MATRIX[::-1])),
    "late_transpose_loss": Case(
        late_transpose_loss, rng_args(MATRIX, MATRIX[::-1]), late_transpose_loss_grad
    ),
    "fan_out": Case(fan_out, rng_args(MATRIX)),
    "fan_out_loss": Case(fan_out_loss, rng_args(MATRIX), fan_out_loss_grad),
    "column_sums_and_sines": Case(column_sums_and_sines, rng_args(MATRIX)),
    "column_sums_and_sines_loss": Case(
        column_sums_and_sines_loss, rng_args(MATRIX), column_sums_and_sines_loss_grad
    ),
    "first_row_added": Case(first_row_added, rng_args(MATRIX)),
    "broadcast_intermediate": Case(broadcast_intermediate, rng_args((N,))),
    "broadcast_loss": Case(broadcast_loss, rng_args((N,)), broadcast_loss_grad),
}
GRAD_CASES = [name for name, case in CASES.items() if case.grad is not None]

# The two cases that found bugs in the emitter's inlining (a value read once, moved into a
# reader that runs after an `out=` write into what it reads; a `del` naming an inlined view).


def cases(kind: str, names: list[str]) -> list[Any]:
    return list(names)


# --- checks ----------------------------------------------------------------------------------


def unplanned(staged: Any, args: tuple) -> Any:
    """The same optimized graph emitted without the memory plan, run on `args`."""
    entry = staged.lookup(args, {})
    backend = dataclasses.replace(NUMPY_BACKEND, plan_memory=None)
    source = Emitter(entry.graph, entry.interface, backend).emit()
    assert "out=" not in source and "\ndel " not in source
    return load_function(source, entry.interface.name)(*args)


def assert_no_new_aliases(ours: Any, reference: Any, args: tuple) -> None:
    """Two results (or a result and an argument) share memory only where the plain function's
    results do too."""
    results, expected = tree_leaves(ours), tree_leaves(reference)
    arrays = [x for x in tree_leaves(args) if isinstance(x, np.ndarray)]
    for i, a in enumerate(results):
        for j in range(i + 1, len(results)):
            if np.shares_memory(a, results[j]):
                assert np.shares_memory(expected[i], expected[j]), f"results {i} and {j}"
        for k, arg in enumerate(arrays):
            if np.shares_memory(a, arg):
                assert np.shares_memory(expected[i], arg), f"result {i} and argument {k}"


def assert_close(ours: Any, reference: Any, rtol: float) -> None:
    leaves, expected = tree_leaves(ours), tree_leaves(reference)
    assert len(leaves) == len(expected)
    scale = max(float(np.max(np.abs(e))) for e in expected)
    for i, (a, b) in enumerate(zip(leaves, expected, strict=True)):
        assert np.shape(a) == np.shape(b) and np.result_type(a) == np.result_type(b), i
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale, err_msg=f"result {i}")


def check_source(source: str) -> None:
    """`out=` names a local the function assigned, or its transpose (never a parameter, nor a
    broadcast_to view), `del` deletes such locals, and nothing reads a name after its
    `del`."""
    (function,) = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    params = {a.arg for a in function.args.args}
    assigned: set[str] = set()
    broadcasts: set[str] = set()
    deleted: set[str] = set()
    for statement in function.body:
        line = ast.unparse(statement)
        for node in ast.walk(statement):
            if isinstance(node, ast.keyword) and node.arg == "out":
                target = node.value
                while isinstance(target, ast.Attribute) and target.attr == "T":
                    target = target.value  # a transposed view of a dead buffer: `out=u.T`
                assert isinstance(target, ast.Name), f"out= names no local: {line}"
                assert target.id not in params, f"out= writes into an argument: {line}"
                assert target.id in assigned, f"out= names no local: {line}"
                assert target.id not in broadcasts, f"out= writes into a broadcast: {line}"
        read = {
            n.id
            for n in ast.walk(statement)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }
        assert not read & deleted, f"{sorted(read & deleted)} read after del: {line}"
        if isinstance(statement, ast.Delete):
            for target in statement.targets:
                assert isinstance(target, ast.Name), f"del of no name: {line}"
                assert target.id in assigned and target.id not in params, line
                deleted.add(target.id)
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                assigned.add(node.id)
                deleted.discard(node.id)
                value = getattr(statement, "value", None)
                if isinstance(value, ast.Call) and ast.unparse(value.func) == "np.broadcast_to":
                    broadcasts.add(node.id)


# --- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", cases("primal", list(CASES)))
def test_primal_on_read_only_arguments(name):
    case = CASES[name]
    args = read_only(case.make_args())
    snapshot = tree_copy(args)
    staged = tracegrad.jit(case.fn)
    ours = staged(*args)
    assert tree_equal(args, snapshot), "the arguments were modified"
    reference = case.fn(*args)
    assert_close(ours, reference, rtol=1e-12)
    # Within rounding only: a result written into a transposed buffer is summed
    # later in that buffer's memory order.
    assert_close(ours, unplanned(staged, args), rtol=1e-13)
    assert_no_new_aliases(ours, reference, args)
    assert tree_equal(args, snapshot), "the arguments were modified"


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradient_on_read_only_arguments(name):
    case = CASES[name]
    args = read_only(case.make_args())
    snapshot = tree_copy(args)
    staged = tracegrad.grad(case.fn)
    ours = staged(*args)
    assert tree_equal(args, snapshot), "the arguments were modified"
    assert_close(ours, case.grad(*args), rtol=1e-10)
    # Within rounding only: a result written into a transposed buffer is summed
    # later in that buffer's memory order.
    assert_close(ours, unplanned(staged, args), rtol=1e-13)
    leaves = tree_leaves(ours)
    for i, a in enumerate(leaves):
        for k, b in enumerate(tree_leaves(args)):
            assert not np.shares_memory(a, b), f"gradient {i} shares argument {k}'s memory"
        for j in range(i + 1, len(leaves)):
            assert not np.shares_memory(a, leaves[j]), f"gradients {i} and {j}"


@pytest.mark.parametrize("name", cases("source", list(CASES)))
def test_emitted_source_follows_the_plan(name):
    case = CASES[name]
    args = case.make_args()
    transforms = [tracegrad.jit] + ([tracegrad.grad] if case.grad is not None else [])
    for transform in transforms:
        staged = transform(case.fn)
        check_source(staged.source(*args))
        check_source(staged.source(*args, optimize=False))


def test_the_plan_takes_part_in_these_functions():
    """The large arrays here do go through `out=` and `del`: the checks above are not
    vacuous."""
    args = CASES["fan_out"].make_args()
    source = tracegrad.jit(fan_out).source(*args)
    assert "out=" in source
    source = tracegrad.grad(mlp_loss).source(*CASES["mlp_loss"].make_args())
    assert "out=" in source and "\n    del " in source


def test_a_broadcast_constant_is_never_written_into():
    """broadcast_to of a Literal is a read-only view of a constant: no buffer of the
    function's own, so `-b` must not write into it."""
    builder = GraphBuilder("g")
    x = builder.add_input(TensorType((N,), np.float64), "x")
    (b,) = builder.bind(primitives["broadcast_to"], [Literal.of(2.0)], {"shape": (N,)})
    (negated,) = builder.bind(primitives["neg"], [b])
    (total,) = builder.bind(primitives["add"], [negated, x])
    graph = builder.build([total])
    assert is_large(b)
    plan = plan_memory(graph)
    assert b not in plan.reuse.values()
    source = emit_numpy(graph)
    check_source(source)
    (argument,) = read_only((np.arange(N, dtype=np.float64),))
    result = load_function(source, "g")(argument)
    np.testing.assert_array_equal(result, argument - 2.0)
