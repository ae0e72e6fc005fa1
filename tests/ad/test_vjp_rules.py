"""Every VJP rule reachable from NumPy, checked against central finite differences.

Each check builds `loss(*args) = np.sum(op(*args) * w)` with a fixed random `w` shaped like
the output, so the cotangent reaching the rule is not all ones, and compares
`tracegrad.grad(loss, argnums=...)` with central differences in float64. Hypothesis draws the
shapes (broadcasting, axes, indices); values stay away from kinks, branch cuts and ties, which
get tests of their own below.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tracegrad

from .. import strategies
from ..catalog.numerics import central_difference_grad

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-7  # times the largest gradient entry (at least 1): FD rounding scales with it


def cotangent_weights(shape: tuple[int, ...]) -> np.ndarray:
    """The fixed random `w` of a check: the same for every op of this output shape."""
    return np.random.default_rng(20240917).standard_normal(shape)


def assert_grad_matches_fd(op, *args, argnums=0, eps=EPS, rtol=RTOL, atol=ATOL):
    """tracegrad.grad of sum(op(*args) * w) equals central differences for each argnum, with
    the shape and dtype of its argument."""
    w = cotangent_weights(np.shape(op(*args)))

    def loss(*call_args):
        return np.sum(op(*call_args) * w)

    gradients = tracegrad.grad(loss, argnums=argnums)(*args)
    if isinstance(argnums, int):
        argnums, gradients = (argnums,), (gradients,)
    assert isinstance(gradients, tuple) and len(gradients) == len(argnums)
    for argnum, gradient in zip(argnums, gradients, strict=True):
        argument = args[argnum]
        assert np.shape(gradient) == np.shape(argument), f"argument {argnum}"
        assert np.result_type(gradient) == np.result_type(argument), f"argument {argnum}"
        numerical = central_difference_grad(loss, args, argnum, eps=eps)
        scale = max(1.0, float(np.max(np.abs(numerical), initial=0.0)))
        np.testing.assert_allclose(
            gradient,
            numerical,
            rtol=rtol,
            atol=atol * scale,
            err_msg=f"gradient of argument {argnum}",
        )


# --- elementwise: unary -----------------------------------------------------------------


def real_line(shape):
    return strategies.smooth_arrays(shape, -2.0, 2.0)


UNARY = {
    "negative": (np.negative, real_line),
    "abs": (np.abs, lambda shape: strategies.nonzero_arrays(shape, 0.1, 2.0)),  # away from the kink
    "exp": (np.exp, real_line),
    "expm1": (np.expm1, real_line),
    "log": (np.log, lambda shape: strategies.smooth_arrays(shape, 0.2, 3.0)),
    "log1p": (np.log1p, lambda shape: strategies.smooth_arrays(shape, -0.8, 3.0)),
    "sqrt": (np.sqrt, lambda shape: strategies.smooth_arrays(shape, 0.2, 3.0)),
    "square": (np.square, real_line),
    "sin": (np.sin, real_line),
    "cos": (np.cos, real_line),
    "tan": (
        np.tan,
        lambda shape: strategies.smooth_arrays(shape, -1.3, 1.3),
    ),  # inside (-pi/2, pi/2)
    "arcsin": (np.arcsin, lambda shape: strategies.smooth_arrays(shape, -0.9, 0.9)),
    "arccos": (np.arccos, lambda shape: strategies.smooth_arrays(shape, -0.9, 0.9)),
    "arctan": (np.arctan, real_line),
    "sinh": (np.sinh, real_line),
    "cosh": (np.cosh, real_line),
    "tanh": (np.tanh, real_line),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary(name, data):
    op, values = UNARY[name]
    x = data.draw(strategies.shapes(min_dims=0).flatmap(values), label="x")
    assert_grad_matches_fd(op, x)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_of_python_float(name):
    op = UNARY[name][0]
    x = 0.4 if name in ("abs", "log", "sqrt") else -0.4
    gradient = tracegrad.grad(lambda x: op(x) * 1.5)(x)
    assert isinstance(gradient, float), name  # a Python float or np.float64
    numerical = central_difference_grad(lambda x: op(x) * 1.5, (x,))
    assert math.isclose(gradient, numerical, rel_tol=RTOL, abs_tol=ATOL), name


# --- elementwise: binary, with broadcasting ---------------------------------------------


def pair(shapes, first, second):
    a, b = shapes
    return st.tuples(first(a), second(b))


BINARY = {
    "add": (np.add, real_line, real_line),
    "subtract": (np.subtract, real_line, real_line),
    "multiply": (np.multiply, real_line, real_line),
    "divide": (np.divide, real_line, strategies.nonzero_arrays),
    "power": (np.power, lambda shape: strategies.smooth_arrays(shape, 0.3, 2.5), real_line),
    "arctan2": (np.arctan2, strategies.nonzero_arrays, real_line),  # y != 0: off the branch cut
    "maximum": (np.maximum, real_line, real_line),
    "minimum": (np.minimum, real_line, real_line),
    "remainder": (
        np.remainder,
        lambda shape: strategies.smooth_arrays(shape, -3.0, 3.0),
        lambda shape: strategies.nonzero_arrays(shape, 0.3, 2.0),
    ),
}


def distance_to_integer(q):
    return np.abs(q - np.round(q))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_broadcasting(name, data):
    op, first, second = BINARY[name]
    shapes = data.draw(strategies.broadcastable_shapes(2), label="shapes")
    x, y = data.draw(pair(shapes, first, second), label="x, y")
    if name in ("maximum", "minimum"):
        assume(np.min(np.abs(x - y), initial=1.0) > 1e-3)  # no ties (tested separately)
    if name == "remainder":
        assume(np.min(distance_to_integer(x / y), initial=1.0) > 1e-3)  # no jumps
    assert_grad_matches_fd(op, x, y, argnums=(0, 1))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_float32(name, data):
    """float32 operands, alone or with float64: each gradient keeps its argument's dtype."""
    op, first, second = BINARY[name]
    shapes = data.draw(strategies.broadcastable_shapes(2), label="shapes")
    x, y = data.draw(pair(shapes, first, second), label="x, y")
    x = x.astype(np.float32)
    if data.draw(st.booleans(), label="both float32"):
        y = y.astype(np.float32)
    if name in ("maximum", "minimum"):
        assume(np.min(np.abs(x - y), initial=1.0) > 1e-2)
    if name == "remainder":
        assume(np.min(distance_to_integer(x / y), initial=1.0) > 1e-2)
    # Differences are taken in float64 (the arguments upcast); float32 rounding bounds the rest.
    assert_grad_matches_fd(op, x, y, argnums=(0, 1), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["add", "multiply", "divide", "power", "maximum", "arctan2"])
@given(data=st.data())
def test_vjp_with_a_cotangent_equals_grad_of_weighted_sum(name, data):
    op, first, second = BINARY[name]
    shapes = data.draw(strategies.broadcastable_shapes(2), label="shapes")
    x, y = data.draw(pair(shapes, first, second), label="x, y")
    out, vjp_fn = tracegrad.vjp(op, x, y)
    np.testing.assert_allclose(out, op(x, y), rtol=1e-15)
    w = cotangent_weights(np.shape(out))
    dx, dy = vjp_fn(w)
    gx, gy = tracegrad.grad(lambda x, y: np.sum(op(x, y) * w), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(dx, gx, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dy, gy, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power", "arctan2"])
def test_binary_with_python_scalar(name):
    op = BINARY[name][0]
    x = np.random.default_rng(0).uniform(0.5, 2.0, (2, 3))
    assert_grad_matches_fd(lambda x: op(x, 1.75), x)
    assert_grad_matches_fd(lambda x: op(1.75, x), x)


@pytest.mark.parametrize("exponent", [2, 3, 1, 0.5, -1.5, 2.0, -2])
def test_power_constant_exponents(exponent):
    x = np.random.default_rng(1).uniform(0.3, 2.0, (3, 2))
    assert_grad_matches_fd(lambda x: x**exponent, x)
    assert_grad_matches_fd(lambda x: np.power(x, exponent), x)


def test_power_exponent_gradient_at_zero_base_is_zero():
    """d(0 ** y)/dy is taken as 0, not nan (JAX's convention)."""
    x = np.array([0.0, 1.5])
    y = np.array([2.0, 3.0])
    dy = tracegrad.grad(lambda x, y: np.sum(x**y), argnums=1)(x, y)
    np.testing.assert_allclose(dy, [0.0, 1.5**3 * np.log(1.5)], rtol=1e-12)


@given(data=st.data())
def test_where_gradient_reaches_both_branches(data):
    cond_shape, x_shape, y_shape = data.draw(strategies.broadcastable_shapes(3), label="shapes")
    condition = data.draw(hnp.arrays(np.bool_, cond_shape), label="condition")
    x = data.draw(real_line(x_shape), label="x")
    y = data.draw(real_line(y_shape), label="y")
    assert_grad_matches_fd(np.where, condition, x, y, argnums=(1, 2))


@given(data=st.data())
def test_where_on_traced_condition(data):
    x = data.draw(strategies.shapes(min_dims=1).flatmap(strategies.nonzero_arrays), label="x")
    assert_grad_matches_fd(lambda x: np.where(x > 0, np.sin(x), x * x), x)


@given(data=st.data())
def test_clip_scalar_bounds(data):
    x = data.draw(strategies.shapes(min_dims=0).flatmap(real_line), label="x")
    assume(np.min(np.abs(np.abs(x) - 0.5), initial=1.0) > 1e-3)  # not on a bound
    assert_grad_matches_fd(lambda x: np.clip(x, -0.5, 0.5), x)
    assert_grad_matches_fd(lambda x: x.clip(-0.5, None), x)


@given(data=st.data())
def test_clip_array_bounds(data):
    shapes = data.draw(strategies.broadcastable_shapes(3), label="shapes")
    x = data.draw(real_line(shapes[0]), label="x")
    low = data.draw(strategies.smooth_arrays(shapes[1], -1.5, -0.3), label="low")
    high = data.draw(strategies.smooth_arrays(shapes[2], 0.3, 1.5), label="high")
    assume(np.min(np.abs(x - low), initial=1.0) > 1e-3)
    assume(np.min(np.abs(x - high), initial=1.0) > 1e-3)
    assert_grad_matches_fd(np.clip, x, low, high, argnums=(0, 1, 2))


# --- reductions -------------------------------------------------------------------------

REDUCTION_VALUES = {
    "sum": real_line,
    "mean": real_line,
    "var": real_line,
    "std": real_line,
    "prod": lambda shape: strategies.nonzero_arrays(shape, 0.5, 1.5),
    "max": strategies.distinct_arrays,  # no ties (tested separately)
    "min": strategies.distinct_arrays,
}


def reduced_count(shape, axis):
    if axis is None:
        return math.prod(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return math.prod(shape[a] for a in axes)


@pytest.mark.parametrize("name", sorted(REDUCTION_VALUES))
@given(data=st.data())
def test_reduction(name, data):
    shape = data.draw(strategies.shapes(min_dims=0), label="shape")
    axis = data.draw(strategies.reduction_axes(len(shape)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    method = data.draw(st.booleans(), label="as a method")
    params = {"axis": axis, "keepdims": keepdims}
    if name in ("var", "std"):
        params["ddof"] = data.draw(st.sampled_from([0, 1]), label="ddof")
        count = reduced_count(shape, axis)
        # std has an infinite slope where it is zero: one value (count 1) is always there.
        assume(count > params["ddof"] and (name == "var" or count >= 2))
    x = data.draw(REDUCTION_VALUES[name](shape), label="x")

    def op(x):
        return getattr(x, name)(**params) if method else getattr(np, name)(x, **params)

    assert_grad_matches_fd(op, x)


@given(data=st.data())
def test_norm(data):
    shape = data.draw(strategies.shapes(min_dims=1, max_dims=2), label="shape")
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    x = data.draw(strategies.nonzero_arrays(shape), label="x")
    assert_grad_matches_fd(lambda x: np.linalg.norm(x, axis=axis, keepdims=keepdims), x)
    if len(shape) == 1:
        assert_grad_matches_fd(lambda x: np.linalg.norm(x, ord=2), x)


# --- contractions -----------------------------------------------------------------------

sides = st.integers(1, 4)


@st.composite
def matmul_shapes(draw):
    """1-D or (batched) 2-D operands; batch dimensions broadcast against each other."""
    n, k, m = draw(sides), draw(sides), draw(sides)
    batch_a, batch_b = draw(strategies.broadcastable_shapes(2, max_dims=2))
    a = (k,) if draw(st.booleans()) else (*batch_a, n, k)
    b = (k,) if draw(st.booleans()) else (*batch_b, k, m)
    return a, b


@given(data=st.data())
def test_matmul(data):
    a_shape, b_shape = data.draw(matmul_shapes(), label="shapes")
    a, b = data.draw(real_line(a_shape)), data.draw(real_line(b_shape))
    assert_grad_matches_fd(np.matmul, a, b, argnums=(0, 1))
    assert_grad_matches_fd(lambda a, b: a @ b, a, b, argnums=(0, 1))


@st.composite
def dot_shapes(draw):
    """np.dot's cases: scalars, vectors, matrices and N-d (last axis of a with the
    second-to-last of b)."""
    a_ndim, b_ndim = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    k = draw(sides)
    a = () if a_ndim == 0 else (*draw(strategies.shapes(a_ndim - 1, a_ndim - 1)), k)
    if b_ndim == 0:
        b = ()
    elif b_ndim == 1:
        b = (k,) if a_ndim else (draw(sides),)
    else:
        b = (*draw(strategies.shapes(b_ndim - 2, b_ndim - 2)), k, draw(sides))
    return a, b


@given(data=st.data())
def test_dot(data):
    a_shape, b_shape = data.draw(dot_shapes(), label="shapes")
    a, b = data.draw(real_line(a_shape)), data.draw(real_line(b_shape))
    assert_grad_matches_fd(np.dot, a, b, argnums=(0, 1))


EINSUM = [
    "ij,jk->ik",
    "ij,jk",  # implicit output
    "bij,bjk->bik",
    "ii->",
    "ii",  # implicit: the trace
    "ii->i",
    "iij->j",
    "ii,i->i",
    "ij->i",
    "ij->ji",
    "ij,jk->i",  # k only in the second operand, summed away
    "ij,k->ik",  # j only in the first operand, summed away
    "i,j->ij",
    "ij,ij->",
    "i,ij,j->",
]


@pytest.mark.parametrize("subscripts", EINSUM)
@given(data=st.data())
def test_einsum(subscripts, data):
    terms = subscripts.split("->")[0].split(",")
    letters = sorted(set("".join(terms)))
    size = dict(
        zip(letters, data.draw(st.tuples(*[sides] * len(letters)), label="sizes"), strict=True)
    )
    operands = [data.draw(real_line(tuple(size[c] for c in term)), label=term) for term in terms]
    assert_grad_matches_fd(
        lambda *xs: np.einsum(subscripts, *xs), *operands, argnums=tuple(range(len(operands)))
    )


# --- shapes -----------------------------------------------------------------------------


def reshape_targets(shape):
    size = math.prod(shape)
    targets = [(size,), (-1,), (1, size), (size, 1, 1), (1, *shape, 1), shape[::-1]]
    targets += [(d, -1) for d in range(1, size + 1) if size % d == 0]
    if size == 1:
        targets.append(())
    return targets


@given(data=st.data())
def test_reshape(data):
    shape = data.draw(strategies.shapes(min_dims=0), label="shape")
    target = data.draw(st.sampled_from(reshape_targets(shape)), label="target")
    x = data.draw(real_line(shape), label="x")
    assert_grad_matches_fd(lambda x: np.reshape(x, target), x)
    assert_grad_matches_fd(lambda x: x.reshape(target), x)
    assert_grad_matches_fd(np.ravel, x)


@given(data=st.data())
def test_transpose(data):
    shape = data.draw(strategies.shapes(min_dims=0), label="shape")
    axes = data.draw(st.permutations(range(len(shape))), label="axes")
    x = data.draw(real_line(shape), label="x")
    assert_grad_matches_fd(lambda x: np.transpose(x, axes), x)
    assert_grad_matches_fd(lambda x: x.T, x)


@given(data=st.data())
def test_swapaxes_and_moveaxis(data):
    shape = data.draw(strategies.shapes(min_dims=1), label="shape")
    axis = st.integers(-len(shape), len(shape) - 1)
    first, second = data.draw(axis, label="axis1"), data.draw(axis, label="axis2")
    x = data.draw(real_line(shape), label="x")
    assert_grad_matches_fd(lambda x: np.swapaxes(x, first, second), x)
    assert_grad_matches_fd(lambda x: x.swapaxes(first, second), x)
    assert_grad_matches_fd(lambda x: np.moveaxis(x, first, second), x)


def test_moveaxis_several_axes():
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 1))
    assert_grad_matches_fd(lambda x: np.moveaxis(x, (0, -1), (2, 0)), x)


@given(data=st.data())
def test_expand_dims(data):
    shape = data.draw(strategies.shapes(min_dims=0), label="shape")
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    x = data.draw(real_line(shape), label="x")
    assert_grad_matches_fd(lambda x: np.expand_dims(x, axis), x)


@given(data=st.data())
def test_squeeze(data):
    shape = data.draw(strategies.shapes(min_dims=1, max_side=2), label="shape")
    ones = [i for i, d in enumerate(shape) if d == 1]
    axis = data.draw(
        st.one_of(st.none(), st.lists(st.sampled_from(ones), unique=True).map(tuple))
        if ones
        else st.none(),
        label="axis",
    )
    x = data.draw(real_line(shape), label="x")
    assert_grad_matches_fd(lambda x: np.squeeze(x, axis), x)
    assert_grad_matches_fd(lambda x: x.squeeze(axis), x)


@given(data=st.data())
def test_broadcast_to(data):
    shape, other = data.draw(strategies.broadcastable_shapes(2), label="shapes")
    target = np.broadcast_shapes(shape, other)
    x = data.draw(real_line(shape), label="x")
    assert_grad_matches_fd(lambda x: np.broadcast_to(x, target), x)


@given(data=st.data())
def test_concatenate(data):
    shape = data.draw(strategies.shapes(min_dims=1), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    sizes = data.draw(st.lists(sides, min_size=1, max_size=3), label="sizes along axis")
    arrays = []
    for size in sizes:
        piece = list(shape)
        piece[axis] = size
        arrays.append(data.draw(real_line(tuple(piece))))
    assert_grad_matches_fd(
        lambda *xs: np.concatenate(xs, axis=axis), *arrays, argnums=tuple(range(len(arrays)))
    )


@given(data=st.data())
def test_stack(data):
    shape = data.draw(strategies.shapes(min_dims=0), label="shape")
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    count = data.draw(st.integers(1, 3), label="count")
    arrays = [data.draw(real_line(shape)) for _ in range(count)]
    assert_grad_matches_fd(
        lambda *xs: np.stack(xs, axis=axis), *arrays, argnums=tuple(range(count))
    )


# --- conversions --------------------------------------------------------------------------


@given(data=st.data())
def test_astype_float64_to_float32(data):
    """Through float32 the gradient is w rounded to float32, cast back to float64."""
    x = data.draw(strategies.shapes(min_dims=0).flatmap(real_line), label="x")
    w32 = cotangent_weights(x.shape).astype(np.float32)
    gradient = tracegrad.grad(lambda x: np.sum(x.astype(np.float32) * w32))(x)
    assert gradient.dtype == np.float64 and gradient.shape == x.shape
    np.testing.assert_array_equal(gradient, np.broadcast_to(w32, x.shape).astype(np.float64))
    # Differences of a float32 function need a large step: the function is linear anyway.
    assert_grad_matches_fd(lambda x: x.astype(np.float32), x, eps=1e-2, rtol=1e-4, atol=1e-5)


@given(data=st.data())
def test_astype_float32_to_float64(data):
    x = data.draw(strategies.shapes(min_dims=0).flatmap(real_line), label="x").astype(np.float32)
    w = cotangent_weights(x.shape)
    gradient = tracegrad.grad(lambda x: np.sum(np.sin(x.astype(np.float64)) * w))(x)
    assert gradient.dtype == np.float32 and gradient.shape == x.shape
    np.testing.assert_allclose(gradient, np.cos(x.astype(np.float64)) * w, rtol=1e-6)
    assert_grad_matches_fd(lambda x: np.exp(x.astype(np.float64)), x, rtol=1e-5)


# --- indexing -----------------------------------------------------------------------------


@given(data=st.data())
def test_basic_indexing(data):
    """Ints (negative too), slices with steps (negative too), None and Ellipsis."""
    shape = data.draw(strategies.shapes(min_dims=1), label="shape")
    key = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True), label="key")
    x = data.draw(real_line(shape), label="x")
    assert_grad_matches_fd(lambda x: x[key], x)


@pytest.mark.parametrize(
    "key",
    [
        (-1,),
        (slice(None, None, -1),),
        (slice(-1, 0, -2), None, Ellipsis),
        (Ellipsis, 1, None),
        (None, slice(1, None), -2, slice(None, None, 2)),
        (0, 0, 0),
    ],
)
def test_basic_indexing_cases(key):
    x = np.random.default_rng(3).standard_normal((3, 4, 5))
    assert_grad_matches_fd(lambda x: x[key], x)


@given(data=st.data())
def test_repeated_indices_accumulate(data):
    """More indices than positions: some repeat, and their cotangents must add up."""
    shape = data.draw(strategies.shapes(min_dims=1), label="shape")
    extra = data.draw(st.integers(1, 3), label="extra")
    index = data.draw(strategies.index_arrays(shape[0], (shape[0] + extra,)), label="index")
    x = data.draw(real_line(shape), label="x")
    assert_grad_matches_fd(lambda x: x[index], x)
    assert_grad_matches_fd(lambda x: x[index.tolist()], x)


def test_repeated_index_counts():
    x = np.arange(4.0)
    gradient = tracegrad.grad(lambda x: np.sum(x[[0, 0, 2, 0, -1, 3]]))(x)
    np.testing.assert_array_equal(gradient, [3.0, 0.0, 1.0, 2.0])


@given(data=st.data())
def test_row_and_label_gather(data):
    """x[np.arange(n), y]: one entry per row, as in a cross-entropy."""
    n, k = data.draw(sides, label="n"), data.draw(sides, label="k")
    labels = data.draw(strategies.index_arrays(k, (n,)), label="labels")
    x = data.draw(real_line((n, k)), label="x")
    assert_grad_matches_fd(lambda x, y: x[np.arange(n), y], x, labels)


@given(data=st.data())
def test_non_adjacent_advanced_indices(data):
    """x[i, :, j]: the broadcast index dimensions move to the front."""
    shape = data.draw(strategies.shapes(min_dims=3, max_dims=3), label="shape")
    first_shape, last_shape = data.draw(
        strategies.broadcastable_shapes(2, max_dims=2), label="index"
    )
    first = data.draw(strategies.index_arrays(shape[0], first_shape), label="i")
    last = data.draw(strategies.index_arrays(shape[2], last_shape), label="j")
    x = data.draw(real_line(shape), label="x")
    assert_grad_matches_fd(lambda x: x[first, :, last], x)
    assert_grad_matches_fd(lambda x: x[:, first % shape[1]][..., last], x)
    assert_grad_matches_fd(lambda x: x[0, :, last], x)  # an int counts as an index array
    assert_grad_matches_fd(lambda x: x[1:, first % shape[1], last], x)


def test_concrete_boolean_mask():
    x = np.random.default_rng(4).standard_normal((3, 4))
    mask = x > 0.2
    assert_grad_matches_fd(lambda x: x[mask], x)


# --- ties: the cotangent is shared evenly (JAX's convention) ------------------------------


def test_maximum_of_equal_arguments_splits_the_cotangent():
    x = np.array([1.0, -2.0, 3.0])
    both = tracegrad.grad(lambda x, y: np.sum(np.maximum(x, y) * 4.0), argnums=(0, 1))(x, x.copy())
    np.testing.assert_array_equal(both[0], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(both[1], [2.0, 2.0, 2.0])
    both = tracegrad.grad(lambda x, y: np.sum(np.minimum(x, y)), argnums=(0, 1))(x, x.copy())
    np.testing.assert_array_equal(both, [[0.5] * 3, [0.5] * 3])
    # Both halves of maximum(x, x) reach x: 0.5 + 0.5.
    np.testing.assert_array_equal(tracegrad.grad(lambda x: np.sum(np.maximum(x, x)))(x), [1.0] * 3)


def test_maximum_partial_ties_with_broadcasting():
    x = np.array([[1.0, 2.0, 3.0], [0.0, 2.0, 5.0]])
    y = np.array([1.0, 2.5, 3.0])
    dx, dy = tracegrad.grad(lambda x, y: np.sum(np.maximum(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(dx, [[0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(dy, [1.5, 2.0, 0.5])


def test_max_with_two_equal_maxima_shares_the_cotangent():
    x = np.array([1.0, 3.0, -2.0, 3.0])
    np.testing.assert_array_equal(tracegrad.grad(lambda x: x.max())(x), [0.0, 0.5, 0.0, 0.5])
    np.testing.assert_array_equal(tracegrad.grad(lambda x: np.max(x) * 2.0)(x), [0, 1, 0, 1])
    y = -x
    np.testing.assert_array_equal(tracegrad.grad(lambda y: np.min(y))(y), [0.0, 0.5, 0.0, 0.5])


def test_max_along_an_axis_with_ties():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 4.0, 4.0]])
    gradient = tracegrad.grad(lambda x: np.sum(x.max(axis=1) * np.array([3.0, 1.0])))(x)
    np.testing.assert_allclose(gradient, [[1.0, 1.0, 1.0], [0.0, 0.5, 0.5]], rtol=1e-15)
    gradient = tracegrad.grad(lambda x: np.sum(np.min(x, axis=0, keepdims=True)))(x)
    np.testing.assert_array_equal(gradient, [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])


# --- no gradient through integers and booleans; zeros for unused arguments ---------------


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda x: np.sum(x * (x > 0)), lambda x: (x > 0).astype(float)),
        (lambda x: np.sum(x * np.floor(x)), lambda x: np.floor(x)),
        (lambda x: np.sum(x * x.astype(np.int64)), lambda x: x.astype(np.int64).astype(float)),
        (lambda x: np.sum(np.sign(x) * x), np.sign),
        (lambda x: np.sum(np.round(x) + np.ceil(x) * 0.0 + x), np.ones_like),
        (lambda x: x[np.argmax(x)] + np.sum(x // 1.0), lambda x: np.eye(x.size)[np.argmax(x)]),
        (
            lambda x: np.sum(np.where(np.logical_and(x > -1, x < 1), x, 0.0)),
            lambda x: ((x > -1) & (x < 1)).astype(float),
        ),
        (lambda x: np.sum(x.astype(np.int32).astype(np.float64)) + np.sum(x), np.ones_like),
    ],
)
def test_integer_and_boolean_intermediates_carry_no_gradient(fn, expected):
    x = np.array([-1.6, -0.3, 0.7, 2.4, 1.2])
    gradient = tracegrad.grad(fn)(x)
    assert gradient.dtype == np.float64 and gradient.shape == x.shape
    np.testing.assert_array_equal(gradient, expected(x))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unused_argument_gets_zeros_of_its_shape_and_dtype(dtype):
    x = np.array([0.5, -1.0, 2.0])
    y = np.ones((2, 3), dtype)
    dy = tracegrad.grad(lambda x, y: np.sum(np.sin(x)), argnums=1)(x, y)
    assert dy.dtype == dtype and dy.shape == (2, 3)
    np.testing.assert_array_equal(dy, 0)
    dx, dy = tracegrad.grad(lambda x, y: np.sum(x**2), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(dx, 2 * x)
    assert dy.dtype == dtype and dy.shape == (2, 3) and not dy.any()


def test_argument_used_only_through_integers_gets_zeros():
    x = np.array([0.5, -1.5, 2.5])
    gradient = tracegrad.grad(lambda x: np.sum(np.floor(x) + (x > 0)))(x)
    assert gradient.dtype == np.float64 and gradient.shape == (3,)
    np.testing.assert_array_equal(gradient, 0)


def test_unused_python_float_and_zero_d_arguments():
    dy = tracegrad.grad(lambda x, y: x * 3.0, argnums=1)(2.0, 5.0)
    assert isinstance(dy, float) and np.result_type(dy) == np.float64 and dy == 0.0
    dy = tracegrad.grad(lambda x, y: np.sum(x), argnums=1)(np.ones(2), np.float32(1.0))
    assert np.shape(dy) == () and np.result_type(dy) == np.float32 and dy == 0


def test_scatter_with_negative_indices_that_repeat_a_position_accumulates():
    """-4 and 0 are one position of a length-4 axis: the gradient adds both updates."""
    gradient = tracegrad.grad(lambda x, w: np.sum(x[np.array([0, -4])] * w))
    np.testing.assert_array_equal(gradient(np.ones(4), np.array([2.0, 3.0])), [5.0, 0, 0, 0])
    assert "np.add.at" in gradient.source(np.ones(4), np.array([2.0, 3.0]))
