"""Every JVP rule, checked against central finite differences along the tangent.

Each check draws a random tangent `t` for the differentiated arguments and compares
`tracegrad.jvp(op, args, tangents)` with `(op(x + h t) - op(x - h t)) / 2h` in float64. The
cases are the VJP tests' own (tests/ad/test_vjp_rules.py): the same ops, values and shapes
drawn by hypothesis, so both modes are held to the same functions. Primitives NumPy code does
not reach (the scatters reverse mode writes) are called through their tracing functions.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tracegrad
from tracegrad.tracer import scatter

from .. import strategies
from ..catalog.numerics import as_float64, assert_same_structure, tree_leaves
from .test_vjp_rules import (
    BINARY,
    EINSUM,
    REDUCTION_VALUES,
    UNARY,
    distance_to_integer,
    dot_shapes,
    matmul_shapes,
    pair,
    real_line,
    reduced_count,
    reshape_targets,
    sides,
)

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-7  # times the largest tangent entry (at least 1): FD rounding scales with it


def random_tangent(x, seed: int):
    """A tangent for x: standard normal values of x's shape and dtype (a float for a float)."""
    t = np.random.default_rng(seed).standard_normal(np.shape(x))
    if isinstance(x, float):
        return float(t)
    return t.astype(np.result_type(x))


def directional_difference(op, args, tangents, eps):
    """Central differences of op along the tangents, in float64, leaf by leaf."""
    args = as_float64(tuple(args))

    def moved(sign):
        return [
            x if t is None else x + sign * eps * np.asarray(t, np.float64)
            for x, t in zip(args, tangents, strict=True)
        ]

    plus, minus = tree_leaves(op(*moved(1.0))), tree_leaves(op(*moved(-1.0)))
    return [
        (np.asarray(p, np.float64) - np.asarray(m, np.float64)) / (2 * eps)
        for p, m in zip(plus, minus, strict=True)
    ]


def assert_jvp_matches_fd(op, *args, argnums=0, eps=EPS, rtol=RTOL, atol=ATOL):
    """jvp's value is op's; its tangent has the value's structure, shapes and dtypes and
    equals central differences along the tangent. `op` may return a dict of results (one per
    rule under test): a failure names the key."""
    argnums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    tangents = tuple(
        random_tangent(x, 11 + i) if i in argnums else None for i, x in enumerate(args)
    )
    value, tangent = tracegrad.jvp(op, args, tangents)
    expected = op(*args)
    keys = list(expected) if isinstance(expected, dict) else [None]
    assert_same_structure(value, expected)
    assert_same_structure(tangent, expected)
    numerical = directional_difference(op, args, tangents, eps)
    leaves = zip(
        keys,
        tree_leaves(value),
        tree_leaves(tangent),
        tree_leaves(expected),
        numerical,
        strict=True,
    )
    for key, v, t, e, n in leaves:
        assert np.result_type(v) == np.result_type(e), key
        np.testing.assert_allclose(v, e, rtol=1e-6, atol=1e-12, err_msg=f"{key}: value")
        assert np.result_type(t) == np.result_type(e), f"{key}: tangent dtype"
        scale = max(1.0, float(np.max(np.abs(n), initial=0.0)))
        np.testing.assert_allclose(
            t,
            n,
            rtol=rtol,
            atol=atol * scale,
            err_msg=f"{key}: tangent against central differences",
        )


def all_of(ops: dict, arity: int):
    """One function applying every op to its own operands (`arity` each), returning a dict
    by op name: a single trace checks a whole family of rules on every example."""

    def apply(*operands):
        return {
            name: op(*operands[arity * k : arity * (k + 1)])
            for k, (name, op) in enumerate(ops.items())
        }

    return apply


# --- elementwise ----------------------------------------------------------------------------


@given(data=st.data())
def test_unary(data):
    shape = data.draw(strategies.shapes(min_dims=0), label="shape")
    operands = [data.draw(values(shape), label=name) for name, (_, values) in UNARY.items()]
    ops = {name: op for name, (op, _) in UNARY.items()}
    assert_jvp_matches_fd(all_of(ops, 1), *operands, argnums=range(len(operands)))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_of_python_float(name):
    op = UNARY[name][0]
    x = 0.4 if name in ("abs", "log", "sqrt") else -0.4
    assert_jvp_matches_fd(lambda x: op(x) * 1.5, x)


ARGNUMS = st.sampled_from([(0,), (1,), (0, 1)])


def binary_operands(data, names, float32: bool):
    """Two operands per binary op, of broadcasting shapes, away from kinks and jumps; and
    which of them carry a tangent (either or both: a missing one is a symbolic zero)."""
    operands, argnums = [], []
    for k, name in enumerate(names):
        _, first, second = BINARY[name]
        shapes = data.draw(strategies.broadcastable_shapes(2), label=f"{name} shapes")
        x, y = data.draw(pair(shapes, first, second), label=name)
        if float32:
            x = x.astype(np.float32)
            y = y.astype(np.float32) if data.draw(st.booleans(), label="both") else y
        gap = 1e-2 if float32 else 1e-3
        if name in ("maximum", "minimum"):
            assume(np.min(np.abs(x - y), initial=1.0) > gap)  # no ties (tested separately)
        if name == "remainder":
            assume(np.min(distance_to_integer(x / y), initial=1.0) > gap)  # no jumps
        operands += [x, y]
        argnums += [2 * k + i for i in data.draw(ARGNUMS, label=f"{name} argnums")]
    return operands, argnums


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_broadcasting(name, data):
    """A tangent of a broadcast operand is broadcast to the result."""
    operands, argnums = binary_operands(data, [name], float32=False)
    assert_jvp_matches_fd(BINARY[name][0], *operands, argnums=argnums)


@given(data=st.data())
def test_binary_float32(data):
    """float32 operands, alone or with float64: each tangent has its value's dtype."""
    operands, argnums = binary_operands(data, list(BINARY), float32=True)
    ops = {name: op for name, (op, _, _) in BINARY.items()}
    assert_jvp_matches_fd(all_of(ops, 2), *operands, argnums=argnums, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power", "arctan2"])
def test_binary_with_python_scalar(name):
    op = BINARY[name][0]
    x = np.random.default_rng(0).uniform(0.5, 2.0, (2, 3))
    assert_jvp_matches_fd(lambda x: op(x, 1.75), x)
    assert_jvp_matches_fd(lambda x: op(1.75, x), x)


@pytest.mark.parametrize("exponent", [2, 3, 1, 0.5, -1.5, 2.0, -2])
def test_power_constant_exponents(exponent):
    x = np.random.default_rng(1).uniform(0.3, 2.0, (3, 2))
    assert_jvp_matches_fd(lambda x: x**exponent, x)


def test_power_exponent_tangent_at_zero_base_is_zero():
    """d(0 ** y)/dy is taken as 0, not nan (JAX's convention, and the VJP's)."""
    x, y = np.array([0.0, 1.5]), np.array([2.0, 3.0])
    _, tangent = tracegrad.jvp(lambda y: x**y, (y,), (np.ones(2),))
    np.testing.assert_allclose(tangent, [0.0, 1.5**3 * np.log(1.5)], rtol=1e-12)


@given(data=st.data())
def test_where(data):
    cond_shape, x_shape, y_shape = data.draw(strategies.broadcastable_shapes(3), label="shapes")
    condition = data.draw(hnp.arrays(np.bool_, cond_shape), label="condition")
    x = data.draw(real_line(x_shape), label="x")
    y = data.draw(real_line(y_shape), label="y")
    assert_jvp_matches_fd(
        np.where, condition, x, y, argnums=data.draw(st.sampled_from([(1,), (2,), (1, 2)]))
    )


@given(data=st.data())
def test_where_on_traced_condition_and_clip(data):
    x = data.draw(strategies.shapes(min_dims=1).flatmap(strategies.nonzero_arrays), label="x")
    assume(np.min(np.abs(np.abs(x) - 0.5), initial=1.0) > 1e-3)  # not on a bound
    assert_jvp_matches_fd(lambda x: np.where(x > 0, np.sin(x), x * x), x)
    assert_jvp_matches_fd(lambda x: np.clip(x, -0.5, 0.5), x)


def test_ties_take_the_mean_of_both_tangents():
    """maximum/minimum at a tie: (tx + ty) / 2, the transpose of the VJP's even split."""
    x = np.array([1.0, -2.0, 3.0])
    y = np.array([1.0, -3.0, 3.5])
    tx, ty = np.array([4.0, 5.0, 6.0]), np.array([2.0, 7.0, 8.0])
    _, tangent = tracegrad.jvp(np.maximum, (x, y), (tx, ty))
    np.testing.assert_array_equal(tangent, [3.0, 5.0, 8.0])
    _, tangent = tracegrad.jvp(np.minimum, (x, y), (tx, None))
    np.testing.assert_array_equal(tangent, [2.0, 0.0, 6.0])


# --- reductions -------------------------------------------------------------------------------


@given(data=st.data())
def test_reductions(data):
    shape = data.draw(strategies.shapes(min_dims=0), label="shape")
    axis = data.draw(strategies.reduction_axes(len(shape)), label="axis")
    params = {"axis": axis, "keepdims": data.draw(st.booleans(), label="keepdims")}
    ddof = data.draw(st.sampled_from([0, 1]), label="ddof")
    count = reduced_count(shape, axis)
    ops = {}
    for name in REDUCTION_VALUES:
        if name in ("var", "std"):
            # std has an infinite slope where it is zero: one value (count 1) is always there.
            if count <= ddof or (name == "std" and count < 2):
                continue
            ops[name] = lambda x, name=name: getattr(np, name)(x, ddof=ddof, **params)
        else:
            ops[name] = lambda x, name=name: getattr(np, name)(x, **params)
    operands = [data.draw(REDUCTION_VALUES[name](shape), label=name) for name in ops]
    assert_jvp_matches_fd(all_of(ops, 1), *operands, argnums=range(len(operands)))


def test_max_with_ties_takes_the_mean_tangent_of_the_winners():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 4.0, 4.0]])
    t = np.array([[3.0, 6.0, 9.0], [1.0, 2.0, 5.0]])
    _, tangent = tracegrad.jvp(lambda x: np.max(x, axis=1), (x,), (t,))
    np.testing.assert_allclose(tangent, [6.0, 3.5], rtol=1e-15)
    _, tangent = tracegrad.jvp(lambda x: np.min(-x), (x,), (t,))
    np.testing.assert_allclose(tangent, -3.5, rtol=1e-15)


def test_tangent_is_the_transpose_of_the_vjp_at_ties():
    """<J t, c> == <t, J^T c> holds at ties too: both modes share ties evenly."""
    x = np.array([[2.0, 2.0, 1.0], [4.0, 4.0, 4.0]])
    t = np.random.default_rng(5).standard_normal(x.shape)
    for fn in (lambda x: np.max(x, axis=1), lambda x: np.maximum(x, x[:, :1])):
        _, tangent = tracegrad.jvp(fn, (x,), (t,))
        _, pullback = tracegrad.vjp(fn, x)
        cotangent = np.random.default_rng(6).standard_normal(np.shape(tangent))
        (transposed,) = pullback(cotangent)
        np.testing.assert_allclose(np.sum(tangent * cotangent), np.sum(t * transposed), rtol=1e-13)


# --- contractions -----------------------------------------------------------------------------


@given(data=st.data())
def test_matmul(data):
    a_shape, b_shape = data.draw(matmul_shapes(), label="shapes")
    a, b = data.draw(real_line(a_shape)), data.draw(real_line(b_shape))
    assert_jvp_matches_fd(np.matmul, a, b, argnums=data.draw(ARGNUMS, label="argnums"))


@given(data=st.data())
def test_dot(data):
    a_shape, b_shape = data.draw(dot_shapes(), label="shapes")
    a, b = data.draw(real_line(a_shape)), data.draw(real_line(b_shape))
    assert_jvp_matches_fd(np.dot, a, b, argnums=(0, 1))


@given(data=st.data())
def test_einsum(data):
    """Every subscripts of the VJP tests, tangents on a drawn subset of the operands."""
    size = dict(zip("bijk", data.draw(st.tuples(*[sides] * 4), label="sizes"), strict=True))
    ops, operands, argnums = {}, [], []
    for subscripts in EINSUM:
        terms = subscripts.split("->")[0].split(",")
        ops[subscripts] = lambda *xs, s=subscripts: np.einsum(s, *xs)
        chosen = data.draw(
            st.lists(st.integers(0, len(terms) - 1), min_size=1, unique=True), label=subscripts
        )
        argnums += [len(operands) + i for i in chosen]
        operands += [data.draw(real_line(tuple(size[c] for c in term))) for term in terms]

    def apply(*xs):
        results, start = {}, 0
        for subscripts, op in ops.items():
            count = subscripts.count(",") + 1
            results[subscripts] = op(*xs[start : start + count])
            start += count
        return results

    assert_jvp_matches_fd(apply, *operands, argnums=argnums)


# --- shapes and conversions -------------------------------------------------------------------


@given(data=st.data())
def test_reshape_transpose_and_friends(data):
    shape = data.draw(strategies.shapes(min_dims=1), label="shape")
    target = data.draw(st.sampled_from(reshape_targets(shape)), label="target")
    axes = data.draw(st.permutations(range(len(shape))), label="axes")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    x = data.draw(real_line(shape), label="x")
    assert_jvp_matches_fd(lambda x: np.reshape(x, target), x)
    assert_jvp_matches_fd(lambda x: np.transpose(x, axes), x)
    assert_jvp_matches_fd(lambda x: np.moveaxis(np.expand_dims(x, axis), 0, -1), x)
    assert_jvp_matches_fd(lambda x: np.squeeze(x[None]), x)


@given(data=st.data())
def test_broadcast_to(data):
    shape, other = data.draw(strategies.broadcastable_shapes(2), label="shapes")
    x = data.draw(real_line(shape), label="x")
    assert_jvp_matches_fd(lambda x: np.broadcast_to(x, np.broadcast_shapes(shape, other)), x)


@given(data=st.data())
def test_concatenate_and_stack(data):
    """Operands without a tangent contribute zeros of their shape."""
    shape = data.draw(strategies.shapes(min_dims=1), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    sizes = data.draw(st.lists(sides, min_size=1, max_size=3), label="sizes along axis")
    pieces = []
    for size in sizes:
        piece = list(shape)
        piece[axis] = size
        pieces.append(data.draw(real_line(tuple(piece))))
    argnums = data.draw(
        st.lists(st.integers(0, len(sizes) - 1), min_size=1, unique=True), label="argnums"
    )
    assert_jvp_matches_fd(lambda *xs: np.concatenate(xs, axis=axis), *pieces, argnums=argnums)
    same = [data.draw(real_line(shape)) for _ in sizes]
    assert_jvp_matches_fd(lambda *xs: np.stack(xs, axis=axis), *same, argnums=argnums)


def test_astype():
    x = np.random.default_rng(6).standard_normal((2, 3))
    # Through float32: the tangent is rounded to float32 (differences need a large step).
    assert_jvp_matches_fd(lambda x: x.astype(np.float32), x, eps=1e-2, rtol=1e-4, atol=1e-5)
    assert_jvp_matches_fd(lambda x: np.exp(x.astype(np.float64)), x.astype(np.float32), rtol=1e-5)
    _, tangent = tracegrad.jvp(lambda x: x.astype(np.int64), (x,), (np.ones_like(x),))
    assert tangent.dtype == np.int64 and not tangent.any()


# --- indexing and the scatters ----------------------------------------------------------------


@given(data=st.data())
def test_basic_indexing(data):
    shape = data.draw(strategies.shapes(min_dims=1), label="shape")
    key = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True), label="key")
    x = data.draw(real_line(shape), label="x")
    assert_jvp_matches_fd(lambda x: x[key], x)


@given(data=st.data())
def test_integer_array_indexing(data):
    """gather, with repeated and negative indices, adjacent or not."""
    shape = data.draw(strategies.shapes(min_dims=3, max_dims=3), label="shape")
    first_shape, last_shape = data.draw(
        strategies.broadcastable_shapes(2, max_dims=2), label="index"
    )
    first = data.draw(strategies.index_arrays(shape[0], first_shape), label="i")
    last = data.draw(strategies.index_arrays(shape[2], last_shape), label="j")
    x = data.draw(real_line(shape), label="x")
    assert_jvp_matches_fd(lambda x: x[first, :, last], x)
    assert_jvp_matches_fd(lambda x: x[first], x)
    assert_jvp_matches_fd(lambda x: x[1:, first % shape[1], last], x)


@given(data=st.data())
def test_scatters(data):
    """index_scatter and scatter_add (the transposes of indexing, written by reverse mode)."""
    shape = data.draw(strategies.shapes(min_dims=1, max_dims=2), label="shape")
    key = data.draw(hnp.basic_indices(shape, allow_ellipsis=False), label="key")
    key = key if isinstance(key, tuple) else (key,)
    index = tuple(
        (item.start, item.stop, item.step) if isinstance(item, slice) else item for item in key
    )
    selected = np.zeros(shape)[key].shape
    updates = data.draw(real_line(selected), label="updates")
    assert_jvp_matches_fd(lambda u: scatter.index_scatter(u, shape, index), updates)
    # Non-negative: the NumPy backend takes [-n, 0] for distinct positions and writes the
    # scatter with `=` instead of np.add.at (a codegen bug, reported; not forward mode's).
    indices = (
        data.draw(strategies.index_arrays(shape[0], (shape[0] + 2,)), label="indices") % shape[0]
    )
    updates = data.draw(real_line((shape[0] + 2, *shape[1:])), label="added")
    assert_jvp_matches_fd(lambda u: scatter.scatter_add(u, [indices], shape, (0,)), updates)


def test_scatters_appear_in_forward_over_reverse():
    """The Hessian of a function that indexes differentiates the scatter its gradient holds."""
    index = np.array([0, 2, 2, 1])
    x = np.array([0.3, -1.2, 0.8])
    hessian = tracegrad.hessian(lambda x: np.sum(x[index] ** 3) + np.sum(x[1:] ** 3))(x)
    counts = np.bincount(index, minlength=3) + np.array([0, 1, 1])
    np.testing.assert_allclose(hessian, np.diag(6 * x * counts), rtol=1e-14)
    ops = {
        node.op.name
        for node in tracegrad.hessian(lambda x: np.sum(x[index] ** 3) + np.sum(x[1:] ** 3))
        .ir(x, optimize=False)
        .nodes
    }
    assert {"scatter_add", "index_scatter", "gather", "index"} <= ops


def test_log_softmax_is_differentiated_as_one_piece():
    def log_softmax(x):
        z = x - x.max(axis=1, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))

    x = np.random.default_rng(7).standard_normal((3, 4))
    assert_jvp_matches_fd(log_softmax, x)
    graph = tracegrad.JVP(log_softmax).ir((x,), (x,), optimize=False)
    assert "log_softmax" in {node.op.name for node in graph.nodes}
    # The tangent rows of a log-softmax are orthogonal to its probabilities: sum(p * t) = 0.
    value, tangent = tracegrad.jvp(log_softmax, (x,), (np.cos(x),))
    np.testing.assert_allclose(np.sum(np.exp(value) * tangent, axis=1), 0, atol=1e-14)


# --- no tangent through integers, booleans and piecewise-constant ops --------------------------


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda x: x * (x > 0), lambda x: (x > 0).astype(float)),
        (lambda x: x * np.floor(x), np.floor),
        (lambda x: x * np.ceil(x) + np.round(x), np.ceil),
        (lambda x: np.sign(x) * x, np.sign),
        (lambda x: x * x.astype(np.int64), lambda x: x.astype(np.int64).astype(float)),
        (lambda x: x * (x // 1.0) + x % 1.0, lambda x: x // 1.0 + 1.0),
        (
            lambda x: np.where(np.logical_and(x > -1, np.logical_not(x >= 1)), x, 0.0),
            lambda x: ((x > -1) & (x < 1)).astype(float),
        ),
    ],
)
def test_piecewise_constant_and_integer_values_carry_no_tangent(fn, expected):
    """The tangent of a product `x * g(x)` with a piecewise-constant g is g(x) t."""
    x = np.array([-1.6, -0.3, 0.7, 2.4, 1.2])
    t = np.random.default_rng(8).standard_normal(x.shape)
    _, tangent = tracegrad.jvp(fn, (x,), (t,))
    assert tangent.dtype == np.float64 and tangent.shape == x.shape
    np.testing.assert_allclose(tangent, expected(x) * t, rtol=1e-15)


def test_argmax_and_argmin_carry_no_tangent_but_index_one():
    x = np.array([-1.6, -0.3, 0.7, 2.4, 1.2])
    t = np.random.default_rng(9).standard_normal(x.shape)
    _, tangent = tracegrad.jvp(lambda x: x[np.argmax(x)] - x[np.argmin(x)], (x,), (t,))
    assert tangent == t[3] - t[0]


def test_integer_and_boolean_outputs_get_zero_tangents_of_their_dtype():
    x = np.array([0.5, -1.5, 2.5])
    (above, index), (d_above, d_index) = tracegrad.jvp(
        lambda x: (x > 0, np.argmax(x)), (x,), (np.ones(3),)
    )
    assert above.tolist() == [True, False, True] and index == 2
    assert d_above.dtype == np.bool_ and d_above.shape == (3,) and not d_above.any()
    assert d_index.dtype == np.int64 and d_index == 0


# --- control flow -------------------------------------------------------------------------


def control_flow(x, W, a):
    """Every control-flow primitive, each reading a value of the enclosing function."""

    def step(h, row):
        h = np.tanh(h @ W + row)
        return h, np.sum(h * h)

    h, ys = tracegrad.scan(step, np.zeros(W.shape[1]), x)
    swept = tracegrad.scan(
        lambda c, row: (c * 0.5 + np.sin(row) * a, c.sum()), x[0], x, reverse=True
    )
    branch = tracegrad.cond(np.sum(x) > 0, lambda h: np.exp(h) * a, lambda h: h * h + a, h)
    looped = tracegrad.fori_loop(0, 3, lambda i, v: np.cos(v) * a + v * 0.1, h)
    grown = tracegrad.while_loop(
        lambda s: s[1] < 4, lambda s: (np.sin(s[0]) + a, s[1] + 1), (h, 0)
    )[0]
    return {
        "scan carry": h,
        "scan ys": ys,
        "reversed scan carry": swept[0],
        "reversed scan ys": swept[1],
        "cond": branch,
        "fori_loop": looped,
        "while_loop": grown,
    }


@given(data=st.data())
def test_control_flow(data):
    n, d = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))
    x = data.draw(strategies.smooth_arrays((n, d), -2.0, 2.0))
    W = data.draw(strategies.smooth_arrays((d, d), -1.0, 1.0))
    a = float(data.draw(strategies.smooth_arrays((), -1.5, 1.5)))
    assume(abs(np.sum(x)) > 1e-3)  # away from the cond's switch
    assert_jvp_matches_fd(control_flow, x, W, a, argnums=(0, 1, 2))


def test_custom_vjp_jvp_differentiates_the_function():
    @tracegrad.custom_vjp
    def softplus(x):
        return np.log1p(np.exp(x))

    softplus.defvjp(lambda x: (softplus(x), x), lambda x, g: (g / (1 + np.exp(-x)),))
    assert_jvp_matches_fd(softplus, np.array([-1.0, 0.3, 2.0]))
