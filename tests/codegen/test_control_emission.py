"""Control flow in the emitted code: the NumPy backend writes real `for`/`while`/`if` blocks
with the nested Graphs' lines inlined, the JAX backend `jax.lax` calls on nested defs; both
compute what the plain Python function computes (tracegrad's control flow run eagerly)."""

import ast
import re

import numpy as np
import pytest

import tracegrad
from tracegrad.codegen.python_floats import python_floats_fit
from tracegrad.ir.passes.memory import LARGE_BYTES, may_be_shared, plan_memory

from ..catalog.numerics import tree_copy, tree_leaves

BACKENDS = ("numpy", "jax")
RNG = np.random.default_rng(7)
LOCATION = re.compile(r"  # test_control_emission\.py:\d+$")


def code(source: str) -> list[str]:
    """The emitted function's lines from `def` on, without their `# file:line` comments."""
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    return [LOCATION.sub("", line) for line in lines[start:]]


def block(source: str, first: str) -> list[str]:
    """The lines of the block that starts with the line `first`, the line itself included."""
    lines = code(source)
    start = lines.index(first)
    depth = len(first) - len(first.lstrip())
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if len(lines[i]) - len(lines[i].lstrip()) <= depth
            and not lines[i].lstrip().startswith(("else:", "elif "))
        ),
        len(lines),
    )
    return lines[start:end]


def source_of(fn, *args, backend="numpy") -> str:
    source = tracegrad.jit(fn, backend=backend).source(*args)
    ast.parse(source)
    return source


def check_backends(fn, *args):
    """Both backends compute what the plain function computes, in its dtypes, and neither
    writes into an argument."""
    expected = fn(*tree_copy(args))
    for backend in BACKENDS:
        before = tree_copy(args)
        result = tracegrad.jit(fn, backend=backend)(*args)
        for arg, kept in zip(tree_leaves(args), tree_leaves(before), strict=True):
            np.testing.assert_array_equal(arg, kept, err_msg=f"{backend} wrote an argument")
        ours, theirs = tree_leaves(result), tree_leaves(expected)
        assert len(ours) == len(theirs)
        for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert np.asarray(a).dtype == np.result_type(b), f"{backend} result {k}"
            np.testing.assert_allclose(
                np.asarray(a), b, rtol=1e-12, atol=1e-14, err_msg=f"{backend} result {k}"
            )


# --- scan ------------------------------------------------------------------------------


def rnn(W, U, xs):
    def step(h, x):
        h = np.tanh(h @ W + x @ U)
        return h, h

    h, hs = tracegrad.scan(step, np.zeros(3), xs)
    return np.sum(hs) + h.sum()


RNN_ARGS = (RNG.normal(size=(3, 3)), RNG.normal(size=(2, 3)), RNG.normal(size=(5, 2)))


def test_scan_is_a_for_loop_writing_its_carry_and_stacking_its_ys():
    source = source_of(rnn, *RNN_ARGS)
    assert code(source)[1:8] == [
        "    h = np.zeros((3,))",
        "    hs = np.empty((5, 3), np.float64)",
        "    for t in range(5):",
        "        add = (h @ W) + (xs[t] @ U)",
        "        h = np.tanh(add)",
        "        hs[t] = h",
        "    add_1 = hs.sum() + h.sum()",
    ]
    raw = source.splitlines()
    start = next(i for i, line in enumerate(raw) if "for t in range(5):" in line)
    assert all(LOCATION.search(line) for line in raw[start : start + 4]), "each keeps its line"
    check_backends(rnn, *RNN_ARGS)


def test_scan_is_jax_lax_scan_on_a_def_named_after_the_body():
    source = source_of(rnn, *RNN_ARGS, backend="jax")
    assert code(source)[1:7] == [
        "    def step(h, x):",
        "        add = (h @ W) + (x @ U)",
        "        h = jnp.tanh(add)",
        "        return h, h",
        "    h = jnp.zeros((3,), jnp.float64)",  # a carry starting from an expression
        "    h, hs = jax.lax.scan(step, h, xs)",
    ]


def reverse_tree_scan(a, xs, ws, h0):
    def step(carry, x):
        row, w = x
        h = carry["h"] * 0.5 + np.sin(row) * w
        total = carry["total"] + h.sum()
        return {"h": h, "total": total}, (h * w, total)

    out, (hs, totals) = tracegrad.scan(
        step, {"h": h0, "total": np.float64(0.0)}, (xs, ws), reverse=True
    )
    return out["h"] * a, out["total"], hs, totals


TREE_ARGS = (np.float64(1.5), RNG.normal(size=(4, 3)), RNG.normal(size=4), RNG.normal(size=3))


def test_scan_in_reverse_with_a_dict_carry_and_two_xs():
    numpy = source_of(reverse_tree_scan, *TREE_ARGS)
    assert code(numpy)[1:12] == [
        "    h = h0",
        "    total = np.float64(0.0)",
        "    ys = np.empty((4, 3), np.float64)",
        "    totals = np.empty((4,), np.float64)",
        "    for t in reversed(range(4)):",
        "        multiply = np.sin(xs[t]) * ws[t]",
        "        h = (h * 0.5) + multiply",
        "        total = total + h.sum()",
        "        ys[t] = h * ws[t]",
        "        totals[t] = total",
        "    multiply_1 = h * a",
    ]
    jax_lines = code(source_of(reverse_tree_scan, *TREE_ARGS, backend="jax"))
    assert "    total = jnp.asarray(0.0, dtype=jnp.float64)" in jax_lines
    assert (
        "    (h, total), (ys, totals) = jax.lax.scan(step, (h0, total), (xs, ws), "
        "reverse=True)" in jax_lines
    )
    assert "        h, total = carry" in jax_lines
    check_backends(reverse_tree_scan, *TREE_ARGS)


def swap(a, b, xs):
    def step(carry, x):
        p, q = carry
        return (q + x, p), p

    (p, q), ps = tracegrad.scan(step, (a, b), xs)
    return p, q, ps


def test_carries_that_read_each_other_are_assigned_together():
    args = (np.ones(2), np.zeros(2), RNG.normal(size=(3, 2)))
    lines = block(source_of(swap, *args), "    for t in range(3):")
    assert lines == [  # the second carry takes the first's old value: both change at once
        "    for t in range(3):",
        "        add = carry_1 + xs[t]",
        "        carry_0s[t] = carry_0",
        "        carry_0, carry_1 = add, carry_0",
    ]
    check_backends(swap, *args)


def test_scan_without_xs_takes_a_length():
    def powers(x):
        return tracegrad.scan(lambda c, _: (c * 2.0, c), x, None, length=3)

    assert "jax.lax.scan(step, x, length=3)" in source_of(powers, np.ones(2), backend="jax")
    check_backends(powers, np.ones(2))


# --- cond ------------------------------------------------------------------------------


def branches(x, u, v):
    return tracegrad.cond(x.sum() > 0, lambda x: x * u, lambda x: x - v, x)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_is_an_if_whose_branches_read_different_values(sign):
    args = (sign * np.arange(1.0, 4.0), np.full(3, 2.0), np.arange(3.0))
    assert code(source_of(branches, *args))[1:7] == [
        "    greater = x.sum() > 0",
        "    if greater:",
        "        cond = x * u",
        "    else:",
        "        cond = x - v",
        "    return cond",
    ]
    assert code(source_of(branches, *args, backend="jax"))[2:8] == [
        "    def true_branch():",
        "        return x * u",
        "    def false_branch():",
        "        return x - v",
        "    cond = jax.lax.cond(greater, true_branch, false_branch)",
        "    return cond",
    ]
    check_backends(branches, *args)


def cond_in_scan(x, xs):
    def step(h, row):
        h = tracegrad.cond(row.sum() > 0, lambda h: h + row, lambda h: h * 0.5, h)
        return h, h.sum()

    return tracegrad.scan(step, x, xs)


def test_a_cond_inside_a_scan_is_an_if_inside_the_for():
    args = (np.ones(2), RNG.normal(size=(5, 2)))
    assert block(source_of(cond_in_scan, *args), "    for t in range(5):") == [
        "    for t in range(5):",
        "        greater = xs[t].sum() > 0",
        "        if greater:",
        "            h = h + xs[t]",
        "        else:",
        "            h = h * 0.5",
        "        ys[t] = h.sum()",
    ]
    jax_lines = code(source_of(cond_in_scan, *args, backend="jax"))
    assert "        h = jax.lax.cond(greater, true_branch, false_branch)" in jax_lines
    check_backends(cond_in_scan, *args)


# --- fori_loop -------------------------------------------------------------------------


def decay(x):
    return tracegrad.fori_loop(0, 4, lambda i, c: c * 0.5 + i, x)


def test_fori_loop_with_python_int_bounds():
    graph = tracegrad.trace(decay, np.ones(2))
    index = graph.nodes[0].params["body"].inputs[0]
    steps = "range(4)" if index.type.weak else "np.arange(4)"
    assert code(source_of(decay, np.ones(2)))[1:4] == [
        "    c = x",
        f"    for i in {steps}:",
        "        c = (c * 0.5) + i",
    ]
    assert "    c = jax.lax.fori_loop(0, 4, body, x)" in code(
        source_of(decay, np.ones(2), backend="jax")
    )
    check_backends(decay, np.ones(2))


def window_sum(xs, start, stop):
    return tracegrad.fori_loop(start, stop, lambda i, total: total + xs[i], xs[0] * 0)


def test_fori_loop_with_traced_bounds_loops_over_them():
    args = (RNG.normal(size=(6, 2)), np.int32(1), np.int32(4))
    lines = code(source_of(window_sum, *args))
    assert "    for i in np.arange(start, stop):" in lines
    jax_lines = code(source_of(window_sum, *args, backend="jax"))
    assert any(
        line.startswith(
            "    total = jax.lax.fori_loop(start.astype(jnp.int64), stop.astype(jnp.int64), body, "
        )
        for line in jax_lines
    )
    check_backends(window_sum, *args)


# --- while_loop ------------------------------------------------------------------------


def doubling(x):
    return tracegrad.while_loop(lambda c: c.sum() < 100.0, lambda c: c * 2 + 1, x)


def test_while_loop_with_a_one_expression_condition():
    x = np.array([1.0, 2.0])
    assert code(source_of(doubling, x))[1:4] == [
        "    c = x",
        "    while c.sum() < 100.0:",
        "        c = (c * 2) + 1",
    ]
    assert code(source_of(doubling, x, backend="jax"))[1:7] == [
        "    def cond(c):",
        "        return c.sum() < 100.0",
        "    def body(c):",
        "        c = (c * 2) + 1",
        "        return c",
        "    c = jax.lax.while_loop(cond, body, x)",
    ]
    check_backends(doubling, x)


def counting(x, limit):
    def keep_going(carry):
        n, v = carry
        big = np.sum(v) < limit
        return np.logical_and(n < 20, big)

    def step(carry):
        n, v = carry
        return n + 1, v * 1.5

    return tracegrad.while_loop(keep_going, step, (np.int64(0), x))


def test_while_loop_with_a_condition_of_several_lines():
    args = (np.array([1.0, 2.0]), np.float64(50.0))
    lines = code(source_of(counting, *args))
    start = lines.index("    while True:")
    assert lines[start : start + 6] == [
        "    while True:",
        "        big = carry_1.sum() < limit",
        "        if not np.logical_and(carry_0 < 20, big):",
        "            break",
        "        carry_0 = carry_0 + 1",
        "        carry_1 = carry_1 * 1.5",
    ]
    check_backends(counting, *args)


# --- custom_vjp ------------------------------------------------------------------------


@tracegrad.custom_vjp
def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_fwd(x):
    out = logsumexp(x)
    return out, (x, out)


def logsumexp_bwd(residuals, g):
    x, out = residuals
    return (g * np.exp(x - out),)


logsumexp.defvjp(logsumexp_fwd, logsumexp_bwd)


def test_custom_vjp_is_the_function_itself_marked_with_its_rule():
    def f(x):
        return logsumexp(x * 2) + 1.0

    x = RNG.normal(size=4)
    for backend, module in (("numpy", "np"), ("jax", "jnp")):
        lines = code(source_of(f, x, backend=backend))
        start = lines.index("    # logsumexp: custom VJP logsumexp_bwd")
        assert lines[start + 1 : start + 5] == [
            "    m = multiply.max()",
            f"    exp = {module}.exp(multiply - m)",
            f"    log = {module}.log(exp.sum())",
            "    logsumexp = m + log",
        ]
    check_backends(f, x)


# --- what every module keeps -----------------------------------------------------------


def everything(W, xs, x, n):
    def step(h, row):
        h = np.tanh(h @ W + row)
        h = tracegrad.cond(h.sum() > 0, lambda h: h * 0.5, lambda h: h + 1.0, h)
        h = tracegrad.fori_loop(0, 2, lambda i, g: g * 0.9, h)
        return h, h.sum()

    h, sums = tracegrad.scan(step, x, xs)
    h = tracegrad.fori_loop(n, n + 2, lambda i, g: g + xs[i], h)
    h = tracegrad.while_loop(lambda g: np.abs(g).sum() < 50.0, lambda g: g * 3 + 1, h)
    return logsumexp(h), sums


EVERYTHING_ARGS = (
    RNG.normal(size=(3, 3)),
    RNG.normal(size=(4, 3)),
    RNG.normal(size=3),
    np.int64(1),
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_same_graph_gives_the_same_text(backend):
    first = tracegrad.jit(everything, backend=backend).source(*EVERYTHING_ARGS)
    second = tracegrad.jit(everything, backend=backend).source(*EVERYTHING_ARGS)
    assert first == second


def test_blocks_nest_at_any_depth():
    lines = code(source_of(everything, *EVERYTHING_ARGS))
    assert block("\n".join(lines), "    for t in range(4):") == [
        "    for t in range(4):",
        "        add = (g @ W) + xs[t]",
        "        h = np.tanh(add)",
        "        greater = h.sum() > 0",
        "        if greater:",
        "            h_1 = h * 0.5",
        "        else:",
        "            h_1 = h + 1.0",
        "        g = h_1",
        "        for _ in range(2):",
        "            g = g * 0.9",
        "        ys[t] = g.sum()",
    ]
    jax_lines = code(source_of(everything, *EVERYTHING_ARGS, backend="jax"))
    assert block("\n".join(jax_lines), "        def body(_, h):") == [
        "        def body(_, h):",
        "            h = h * 0.9",
        "            return h",
    ]
    check_backends(everything, *EVERYTHING_ARGS)


def test_control_flow_is_never_computed_with_python_floats():
    def f(x):
        return tracegrad.fori_loop(0, 3, lambda i, c: c * 2.0, x)

    assert not python_floats_fit(tracegrad.trace(f, 1.5))
    check_backends(f, np.float64(1.5))


def test_loop_operands_are_built_once_before_the_loop():
    def f(x):
        return tracegrad.scan(lambda c, row: (c * 0.5 + row, c), x * 2.0, np.arange(3.0))

    lines = code(source_of(f, np.ones(2)))
    assert lines[1:5] == [
        "    c = x * 2.0",  # a temporary made for the loop is its carry
        "    xs = np.arange(3, dtype=np.float64)",  # a constant is built once, not per pass
        "    cs = np.empty((3, 2), np.float64)",
        "    for t in range(3):",
    ]
    assert "        add = (c * 0.5) + xs[t]" in lines
    check_backends(f, np.ones(2))


# --- memory: results of control flow are never the caller's, nor overwritten ------------


N = LARGE_BYTES // 8 + 1  # float64 values: large enough for the memory plan


def passthrough(x, p):
    a = np.exp(x)
    y = tracegrad.cond(p > 0, lambda a: a, lambda a: a * 2, a)  # y may be a itself
    z = np.sin(a)  # a's last reader: its buffer would be reused here, were y not it
    return (y + z) * 3


def loop_of_none(x, n):
    c = tracegrad.fori_loop(0, n, lambda i, c: c + 1.0, x)  # no pass: c is x
    return np.exp(c) * 2, c


@pytest.mark.parametrize("p", [1.0, -1.0])
def test_a_branch_result_that_is_its_operand_is_not_overwritten(p):
    x = np.linspace(0.0, 1.0, N)
    graph = tracegrad.trace(passthrough, x, p)
    sin = next(node for node in graph.nodes if node.op.name == "sin")
    assert sin not in plan_memory(graph).reuse  # a's buffer lives as long as y may be it
    check_backends(passthrough, x, np.float64(p))


@pytest.mark.parametrize("n", [0, 3])
def test_a_loop_result_that_may_be_an_argument_is_returned_as_a_copy(n):
    x = np.linspace(0.0, 1.0, N)
    graph = tracegrad.trace(loop_of_none, x, np.int64(n))
    assert graph.outputs[1] in may_be_shared(graph)
    _, c = tracegrad.jit(loop_of_none)(x, np.int64(n))
    assert not np.shares_memory(c, x)
    c[:] = -1.0
    assert x[0] == 0.0
    check_backends(loop_of_none, x, np.int64(n))


def reshaped_then_looped(x, xs):
    a = np.exp(x)
    b = a.reshape(-1, 2)  # keeps a's buffer alive after the loop
    a, ys = tracegrad.scan(lambda a, t: (np.sin(a) * t, a.sum()), a, xs)
    c = b.sum(axis=0)
    return a * 2, c, ys


def test_a_carry_kept_in_its_initial_name_is_not_deleted_with_that_value():
    args = (np.linspace(0.0, 1.0, N + 1), np.ones(3))
    lines = code(source_of(reshaped_then_looped, *args))
    assert "    del b" in lines  # a's first buffer dies with b; the name `a` is the carry's
    assert not any(line.startswith("    del") and " a" in line for line in lines)
    check_backends(reshaped_then_looped, *args)
