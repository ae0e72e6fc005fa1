"""The JAX backend writes each constant and operation in `jax.numpy`, and what it writes
computes what NumPy computes, in exactly NumPy's dtypes: every primitive is run here on
mixed dtypes and Python scalars and compared with the NumPy backend."""

import ast

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
import scipy.special

import tracegrad
from tracegrad.codegen.jax import emit_jax, literal, uses_64_bit
from tracegrad.ir import Literal
from tracegrad.ir.primitives import primitives
from tracegrad.ir.primitives import special as special_primitives
from tracegrad.runtime.jax_backend import result_class

from ..catalog.numerics import tree_leaves
from . import cases_elementwise14
from .golden_functions import GOLDEN_CASES
from .test_golden import GOLDEN_DIR, check_golden


@pytest.mark.parametrize(
    "value, text",
    [
        (2.0, "2.0"),
        (3, "3"),
        (True, "True"),
        (float("inf"), "jnp.inf"),
        (float("-inf"), "-jnp.inf"),
        (float("nan"), "jnp.nan"),
        (np.float32(2.5), "jnp.asarray(2.5, dtype=jnp.float32)"),
        (np.int32(-3), "jnp.asarray(-3, dtype=jnp.int32)"),
        (np.bool_(True), "jnp.asarray(True, dtype=jnp.bool)"),
        (np.zeros((3, 4)), "jnp.zeros((3, 4), jnp.float64)"),
        (np.ones(3, np.float32), "jnp.ones((3,), jnp.float32)"),
        (np.full((2, 2), 2.5), "jnp.full((2, 2), 2.5, jnp.float64)"),
        (np.full(3, 7, np.int32), "jnp.full((3,), 7, jnp.int32)"),
        (np.arange(8), "jnp.arange(8)"),
        (np.arange(4.0), "jnp.arange(4, dtype=jnp.float64)"),
        (np.arange(5, dtype=np.int32), "jnp.arange(5, dtype=jnp.int32)"),
        (np.eye(3), "jnp.eye(3, dtype=jnp.float64)"),
        (np.array([1.0, -2.0, np.nan]), "jnp.asarray([1.0, -2.0, jnp.nan], dtype=jnp.float64)"),
        (np.array([[1, 2], [3, 5]], np.int8), "jnp.asarray([[1, 2], [3, 5]], dtype=jnp.int8)"),
    ],
)
def test_literal_forms(value, text):
    assert literal(Literal.of(value)) == text
    with jax.enable_x64(True):
        rebuilt = eval(text, {"jnp": jnp})
    np.testing.assert_array_equal(np.asarray(rebuilt), value)
    if isinstance(value, float | int):  # a Python number stays one
        assert type(rebuilt) is type(value)
    else:
        assert rebuilt.dtype == value.dtype


# --- every primitive, run on the JAX backend and compared with the NumPy backend ------------

RNG = np.random.default_rng(0)
F64 = np.linspace(-1.4, 1.3, 6)
F32 = RNG.standard_normal((2, 3)).astype(np.float32)
I32 = np.array([[3, -1, 4], [1, -5, 9]], np.int32)
I64 = np.array([7, -2, 5, 0, 3, -8])
BOOLS = np.array([True, False, True, True, False, False])
U8 = np.array([200, 1, 7], np.uint8)
I8 = np.array([-100, 5, 7], np.int8)


def unary(x):
    return [
        np.negative(x),
        np.abs(x),
        np.sign(x),
        np.exp(x),
        np.expm1(x),
        np.log(x + 2),
        np.log1p(x + 1.5),
        np.sqrt(x + 2),
        np.square(x),
        np.sin(x),
        np.cos(x),
        np.tan(x),
        np.arcsin(x / 2),
        np.arccos(x / 2),
        np.arctan(x),
        np.sinh(x),
        np.cosh(x),
        np.tanh(x),
        np.floor(x),
        np.ceil(x),
        np.round(x),
        np.round(x, 2),
        -x,
        abs(x),
    ]


def binary(x, y):
    return [
        x + y,
        x - y,
        x * y,
        x / y,
        x // y,
        x % y,
        np.abs(x) ** y,
        np.maximum(x, y),
        np.minimum(x, y),
        np.arctan2(x, y),
        x @ y,
        2.0**x,
        x**2,
        3 - x,
        1 / y,
    ]


def comparisons(x, y, flags):
    return [
        x == y,
        x != y,
        x < y,
        x <= y,
        x > y,
        x >= y,
        np.logical_and(x > 0, flags),
        np.logical_or(x > 0, flags),
        np.logical_not(flags),
        np.where(flags, x, y),
        np.where(x > 0, 1, 0),
        np.where(flags, x, 0.5),
    ]


def mixed_dtypes(i32, f32, i64, flags, u8, i8):
    """NumPy's promotions, which JAX's differ from: every result keeps NumPy's dtype."""
    return [
        i32 + f32,
        i32 * 1.5,
        i32 / 2,
        f32 + 1,
        f32 * np.float64(2.0),
        flags + 1,
        i64 / (i64 * i64 + 1),
        i64 // 3,
        i64 % 3,
        flags.sum(),
        i32.sum(axis=0),
        i32.prod(),
        f32.sum(axis=1, keepdims=True),
        u8 + i8,
        flags**2,
        f32**2,
        np.floor(i64),
        np.round(i64),
        i32 < f32,
        np.where(i32 > 0, i32, f32),
        np.sqrt(i32 * i32),
        np.concatenate([i32, f32]),
        np.stack([i32[0], f32[0]]),
        f32.astype(np.int8),
        i64.astype(np.float32),
        flags.astype(np.float64),
        np.exp(i64.astype(np.int16)),
        np.maximum(f32, i32),
        np.einsum("ij,ij->i", i32, f32),
        i32 @ f32.T,
        np.abs(i8),
        -i32,
    ]


def python_scalars(x, y, n, flag):
    """Python numbers stay Python numbers where NumPy keeps them, and become float64 or
    int64 arrays where NumPy makes them arrays."""
    return [
        x * y,
        x - n,
        n // 2,
        x**2,
        -x,
        abs(y),
        x < y,
        np.maximum(x, n),
        np.exp(n),
        np.arctan2(x, y),
        np.sqrt(x * x),
        np.stack([x, y]),
        np.stack([x, n]),
        np.sum(x),
        np.where(flag, x, n),
        np.tanh(y) + n,
        flag + 1,
        np.round(y, 1),
        np.reshape(x, (1,)),
    ]


def reductions(x):
    cube = x.reshape(2, 3, 2)
    return [
        x.sum(),
        cube.sum(axis=(0, 2)),
        cube.prod(axis=1, keepdims=True),
        cube.max(),
        cube.min(axis=2),
        cube.max(axis=(0, 1), keepdims=True),
        np.argmax(x),
        np.argmin(cube, axis=1),
        np.argmax(cube, axis=2, keepdims=True),
        x.mean(),
        x.std(),
    ]


def shapes_and_indexing(x, labels):
    cube = x.reshape(2, 3, 2)
    return [
        cube.transpose(1, 0, 2),
        cube.T,
        x.reshape(3, 4)[:, None, 1],
        cube[..., 1],
        cube[1:, ::-1, 0],
        np.broadcast_to(x[:4], (3, 4)),
        np.concatenate([cube, cube[:, :1]], axis=1),
        np.stack([x, x], axis=1),
        np.swapaxes(cube, 0, 2),
        np.expand_dims(x, 0),
        cube[labels[:2] % 2, :, labels[2:4] % 2],
        cube[:, labels[:3] % 3],
        x[labels],
        x[[0, 2, 2]],
        np.einsum("abc,abc->b", cube, cube),
        np.squeeze(cube[:1]),
        x[::2][1],
    ]


def gradient_primitives(x, labels):
    """Gradients of slicing, repeated gathers, log-softmax and a norm: index_scatter,
    index_set and index_add (slices that miss and meet), scatter_add with repeated indices,
    log_softmax, root_sum_squares, broadcast_to."""
    z = x.reshape(3, 4)
    logp = z - z.max(axis=1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True))
    picked = logp[np.arange(3), labels[:3] % 4].sum() + x[labels % 12].sum()
    slices = (x[2:7] ** 2).sum() + np.sin(x[5:9]).sum()
    return picked + slices + np.tanh(x[1]) * z.sum() + np.linalg.norm(z, axis=0).sum()


@tracegrad.custom_vjp
def softplus(x):
    return np.log1p(np.exp(x))


def softplus_fwd(x):
    return softplus(x), (x,)


def softplus_bwd(residuals, g):
    (x,) = residuals
    return (g / (1 + np.exp(-x)),)


softplus.defvjp(softplus_fwd, softplus_bwd)


def control_flow(h, xs, n):
    """Every control-flow primitive on float32 values, with int32 loop bounds: each result
    keeps NumPy's dtype inside jax.lax's loops and branches too."""

    def step(h, x):
        h = np.tanh(h * x + 0.5)
        return h, h.sum()

    h, sums = tracegrad.scan(step, h, xs)
    back, before = tracegrad.scan(lambda c, x: (c + x, c), h, xs, reverse=True)
    y = tracegrad.cond(sums.sum() > 0, lambda a: a * 2, lambda a: a - 1, back)
    z = tracegrad.fori_loop(0, 3, lambda i, c: c * 0.5 + 1, y)
    w = tracegrad.fori_loop(n, n + 2, lambda i, c: c + xs[i], z)
    v = tracegrad.while_loop(lambda c: c.sum() < 100.0, lambda c: c * 2 + 1, np.abs(w) + 1)
    return [h, sums, back, before, y, z, w, v, softplus(v)]


def writes(x):
    """`index_set` and `gather_set`: item assignment into a copy and into a buffer;
    `gather_max` and `gather_min`."""
    y = x * 2.0
    y[0, 1:3] = x[1, :2]
    y[[2, 0], 3] += 1.0  # the later write to a repeated position is NumPy's
    h = np.zeros((3, 4), dtype=np.float32)
    h[:, 1] = x[:, 0]
    top = np.full(3, -np.inf)
    np.maximum.at(top, [0, 2, 0], x[0, :3])  # np.maximum.at and np.minimum.at: repeats meet
    bottom = np.full(3, np.inf)
    np.minimum.at(bottom, [1, 1, 2], x[1, 1:])
    return [y, h, top, bottom]


def linear_algebra(a):
    """np.linalg's solves and factorizations; cholesky and eigh of a matrix that is not
    symmetric, which NumPy reads the lower triangle of."""
    spd = a @ a.T + np.eye(3)
    w, v = np.linalg.eigh(np.tril(a) + 2 * np.eye(3))
    return [
        np.linalg.inv(spd),
        np.linalg.solve(spd, a[0]),
        np.linalg.det(spd),
        np.linalg.slogdet(spd).logabsdet,
        np.linalg.cholesky(spd + np.triu(a, 1)),
        w,
        np.abs(v),
        np.linalg.eigvalsh(spd + np.triu(a, 1)),
        np.linalg.svd(a[:, :2], compute_uv=False),
        np.abs(np.linalg.svd(a[:2], full_matrices=True)[2]),
        np.linalg.pinv(a[:2]),
        np.abs(np.linalg.qr(a)[1]),
        np.abs(np.linalg.qr(a[:, :2], mode="r")),
    ]


def scipy_special(x):
    """Every scipy.special primitive and scipy.linalg's, in the namespace each backend calls
    it from."""
    unary = [getattr(scipy.special, name)(x) for name in special_primitives.UNARY_NAMES]
    binary = [getattr(scipy.special, name)(x, x + 1) for name in special_primitives.BINARY_NAMES]
    triangle = np.outer(x, x) + np.eye(4)
    solved = scipy.linalg.solve_triangular(triangle, x, trans=1, lower=True)
    return [*unary, *binary, scipy.special.polygamma(2, x + 1), solved]


CASES = {
    "unary float64": (unary, (F64,)),
    "unary float32": (unary, (F32,)),
    "binary float64": (binary, (F64, F64[::-1] + 2.0)),
    "binary float32": (binary, (F32[0], F32[1] + 3.0)),
    "comparisons": (comparisons, (F64, F64[::-1], BOOLS)),
    "predicates": (
        lambda x: [np.isnan(x), np.isinf(x), np.isfinite(x)],
        (np.array([np.nan, -np.inf, 0.5]),),
    ),
    "mixed dtypes": (mixed_dtypes, (I32, F32, I64, BOOLS, U8, I8)),
    "python scalars": (python_scalars, (0.7, -1.3, 3, True)),
    "reductions": (reductions, (np.linspace(-1.0, 2.0, 12),)),
    "shapes and indexing": (shapes_and_indexing, (np.arange(12.0) - 4.5, I64 % 5)),
    "stop_gradient": (lambda x: tracegrad.stop_gradient(x) * x, (F64,)),
    "elementwise (issue 14)": cases_elementwise14.CASE,
    "linear algebra (issue 16)": (linear_algebra, (np.linspace(-1.0, 1.0, 9).reshape(3, 3),)),
    "scipy.special (issue 16)": (scipy_special, (np.linspace(0.2, 0.8, 4),)),
    "cumulative": (
        lambda x, n: [
            np.cumsum(x),
            np.cumprod(x.reshape(3, 4), axis=0),
            x.reshape(3, 4).cumsum(axis=-1, dtype=np.float32),
            np.cumsum(n.astype(np.int32)),
            np.cumprod(x > 0),
        ],
        (np.linspace(-1.0, 2.0, 12), np.arange(12) % 5),
    ),
    "sorting": (
        lambda x, n: [
            np.sort(x.reshape(3, 4), axis=0),
            np.argsort(n, stable=True),
            np.partition(x, 3)[3],  # the other positions are left to the implementation
            np.argpartition(x.reshape(3, 4), (0, 2))[:, ::2],
            np.searchsorted(np.sort(x), x[::3], side="right"),
        ],
        (np.linspace(-1.0, 2.0, 12)[::-1], np.arange(12) % 5),
    ),
    "writes": (writes, (np.linspace(-1.0, 2.0, 12).reshape(3, 4),)),
    "composite calls": (
        lambda x: [
            np.pad(x, ((1, 0), (2, 1)), constant_values=1.5),
            np.pad(x, 1, mode="reflect"),
            np.flip(x, 0),
            np.roll(x, (1, -1), axis=(0, 1)),
            np.tile(x, (2, 1)),
            np.nansum(x, axis=0),
            np.nanprod(x, axis=1, keepdims=True),
            np.nanmax(x),
            np.nanmin(x, axis=1),
            np.nanmean(x, axis=0),
            np.nanvar(x, ddof=1),
            np.nanstd(x, axis=1),
            np.nan_to_num(x, nan=-1.0),
            np.convolve(np.nan_to_num(x[0]), np.array([1.0, -2.0]), mode="same"),
            np.correlate(np.nan_to_num(x[1]), np.nan_to_num(x[2, :3])),
            np.kron(np.nan_to_num(x), np.array([[1.0], [-2.0]])),
            np.sinc(np.nan_to_num(x)),
        ],
        (np.where(np.arange(12) % 5 == 1, np.nan, np.linspace(-1.0, 2.0, 12)).reshape(3, 4),),
    ),
    "control flow": (
        control_flow,
        (F32[0], RNG.standard_normal((4, 3)).astype(np.float32), np.int32(1)),
    ),
}


def cholesky_loss(a):
    """The gradient of a Cholesky factor: triangular solves (issue 16)."""
    factor = np.linalg.cholesky(a @ a.T + np.eye(3))
    return np.sum(np.sin(factor))


GRADIENT_CASES = {
    "gradient primitives": (gradient_primitives, (np.linspace(-1, 1, 12), I64)),
    "cholesky": (cholesky_loss, (np.linspace(-1, 1, 9).reshape(3, 3),)),
}


def rtol_for(dtype: np.dtype) -> float:
    return {"float16": 1e-3, "float32": 1e-5}.get(np.dtype(dtype).name, 1e-10)


def assert_same_values(ours, reference):
    leaves, expected = tree_leaves(ours), tree_leaves(reference)
    assert len(leaves) == len(expected)
    for i, (a, b) in enumerate(zip(leaves, expected, strict=True)):
        assert isinstance(a, result_class(a.dtype)), f"result {i} is a {type(a).__name__}"
        assert a.dtype == np.result_type(b), f"result {i}: {a.dtype}, NumPy: {np.result_type(b)}"
        assert np.shape(a) == np.shape(b), f"result {i}"
        if np.result_type(b).kind in "biu":
            np.testing.assert_array_equal(np.asarray(a), b, err_msg=f"result {i}")
        else:
            np.testing.assert_allclose(
                np.asarray(a), b, rtol=rtol_for(a.dtype), atol=0, err_msg=f"result {i}"
            )


@pytest.mark.parametrize("name", sorted(CASES))
def test_jax_backend_computes_what_numpy_computes(name):
    fn, args = CASES[name]
    ours = tracegrad.jit(fn, backend="jax")(*args)
    assert_same_values(ours, tracegrad.jit(fn)(*args))
    assert_same_values(ours, fn(*args))  # and NumPy itself


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_jax_gradient_computes_what_numpy_computes(name):
    fn, args = GRADIENT_CASES[name]
    ours = tracegrad.jit(tracegrad.value_and_grad(fn), backend="jax")(*args)
    assert_same_values(ours, tracegrad.value_and_grad(fn)(*args))


def test_the_cases_run_every_primitive():
    """So every rule of the JAX table above was run and checked against NumPy."""
    graphs = [tracegrad.trace(fn, *args) for fn, args in CASES.values()]
    # value_and_grad: a gradient alone needs no log_softmax (its VJP reads the input).
    graphs += [tracegrad.value_and_grad(fn).ir(*args) for fn, args in GRADIENT_CASES.values()]
    ran = {node.op.name for graph in graphs for node in graph.nodes}
    assert not set(primitives) - ran, f"never run: {sorted(set(primitives) - ran)}"


# --- what the module reads like ---------------------------------------------------------------


def source_of(fn, *args) -> str:
    return tracegrad.jit(fn, backend="jax").source(*args)


def test_numpy_promotions_are_written_out():
    source = source_of(lambda i, f: i + f, I32, F32)
    assert "i.astype(jnp.float64) + f.astype(jnp.float64)" in source
    source = source_of(lambda f: f * 2 + 1.5, F32)  # Python scalars take the array's dtype
    assert "f * 2" in source and "+ 1.5" in source and "astype" not in source
    source = source_of(lambda flags: flags.sum(), BOOLS)
    assert "flags.sum(dtype=jnp.int64)" in source


def test_scatters_are_functional_updates():
    source = tracegrad.jit(tracegrad.grad(gradient_primitives), backend="jax").source(
        np.linspace(-1, 1, 12), I64
    )
    assert ".at[1].set(" in source
    # The slices' cotangents accumulate into one array: written where it was zero, added
    # where another slice's already is.
    assert ".at[5:9].set(" in source and ".at[2:7].add(" in source
    assert ".at[" in source and "].add(" in source
    assert not in_place_writes(source)


def in_place_writes(source: str) -> list[str]:
    """Statements that write into an array (`x[k] = v`, `x += v`): JAX has none."""
    return [
        ast.unparse(n)
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.AugAssign)
        or (isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store))
    ]


def test_in_place_writes_are_recognised():
    assert in_place_writes(
        tracegrad.grad(gradient_primitives).source(np.linspace(-1, 1, 12), I64)
    )  # the NumPy backend fills buffers in place


def test_module_imports_only_jax_and_uses_no_numpy():
    fn, args = GOLDEN_CASES["window_features"]
    source = source_of(fn, *args)
    imported = [
        ast.unparse(n)
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Import | ast.ImportFrom)
    ]
    assert imported == ["import jax", "import jax.numpy as jnp"]
    assert "np." not in source.replace("jnp.", "")
    assert "tracegrad" not in source.split("\n", 1)[1]


def test_64_bit_modules_say_so():
    f64 = source_of(lambda x: x * 2, F64)
    f32 = source_of(lambda x: x * 2, F32)
    assert "with jax.enable_x64(True)" in f64.split("import jax")[0]
    assert "enable_x64" not in f32
    assert uses_64_bit(tracegrad.trace(lambda x: np.argmax(x), F32))  # int64 indices
    assert not uses_64_bit(tracegrad.trace(lambda x: x * 2.5 + 1, F32))  # Python scalars


def test_large_constants_are_hoisted_and_built_in_the_right_dtype():
    def with_table(x):
        table = np.linspace(0.0, 1.0, 40)  # made inside: a constant (a captured one is an input)
        return x * table + table

    table = np.linspace(0.0, 1.0, 40)
    compiled = tracegrad.jit(with_table, backend="jax")
    source = compiled.source(np.ones(40))
    assert source.count("CONSTANT = jnp.asarray(") == 1
    np.testing.assert_allclose(np.asarray(compiled(np.ones(40))), 1.0 * table + table, rtol=1e-15)


def test_emit_jax_takes_a_bare_graph():
    graph = tracegrad.trace(lambda x, y: (x @ y, y.sum()), F32, F32.T)
    source = emit_jax(graph)
    ast.parse(source)
    assert "x0 @ x1" in source


def test_mlp_gradient_source_golden():
    """The JAX module of the small MLP's gradient, as a reader meets it."""
    fn, args = GOLDEN_CASES["softmax_cross_entropy"]
    compiled = tracegrad.jit(tracegrad.grad(fn), backend="jax")
    check_golden(GOLDEN_DIR / "softmax_cross_entropy.grad.jax.txt", compiled.source(*args))
