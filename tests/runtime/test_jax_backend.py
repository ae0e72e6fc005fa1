"""The JAX backend at run time: every catalog function and gradient agrees with the NumPy
backend; results are JAX arrays in the function's structure; 64-bit mode is on for a 64-bit
graph's own calls only; jax stays optional; bad devices and shardings are named.

Each catalog entry is compiled once per transform (an XLA compile costs 0.1-0.5 s)."""

import os
import subprocess
import sys
import textwrap
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec

import tracegrad
from tracegrad import BackendError
from tracegrad.runtime.jax_backend import result_class

from ..catalog.functions import CATALOG
from ..catalog.numerics import assert_same_structure, tree_copy, tree_equal, tree_leaves
from ..codegen.test_jax_emission import in_place_writes

ENTRIES = {entry.name: entry for entry in CATALOG}


def assert_backends_agree(ours, reference, what: str) -> None:
    """Same structure (dict order too), JAX arrays of NumPy's dtypes and shapes, values within
    1e-10 (float64) or 1e-5 (float32) of the largest entry's magnitude."""
    assert_same_structure(ours, reference)
    for i, (a, b) in enumerate(zip(tree_leaves(ours), tree_leaves(reference), strict=True)):
        assert isinstance(a, result_class(a.dtype)), f"{what}: leaf {i} is a {type(a).__name__}"
        assert a.dtype == np.result_type(b), f"{what}: leaf {i}: {a.dtype} != {np.result_type(b)}"
        if a.dtype.kind in "biu":
            np.testing.assert_array_equal(np.asarray(a), b, err_msg=f"{what}: leaf {i}")
            continue
        rtol = 1e-5 if a.dtype == np.float32 else 1e-10
        scale = float(np.max(np.abs(b), initial=0.0))
        np.testing.assert_allclose(
            np.asarray(a), b, rtol=rtol, atol=rtol * scale, err_msg=f"{what}: leaf {i}"
        )


def assert_jax_only_module(source: str) -> None:
    imports = [line for line in source.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import jax", "import jax.numpy as jnp"]
    assert "tracegrad" not in source.split("\n", 1)[1]
    assert not in_place_writes(source)


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_catalog_on_jax_equals_the_numpy_backend(name):
    entry = ENTRIES[name]
    args = entry.make_args(np.random.default_rng(0))
    again = entry.make_args(np.random.default_rng(1))
    snapshot = tree_copy(args)
    pairs = [
        (
            "primal",
            tracegrad.jit(entry.fn, backend="jax"),
            tracegrad.jit(entry.fn),
            lambda: tracegrad.jit(entry.fn, backend="jax"),
        )
    ]
    if entry.grad is not None:
        pairs.append(
            (
                "gradient",
                tracegrad.jit(tracegrad.grad(entry.fn), backend="jax"),
                tracegrad.grad(entry.fn),
                lambda: tracegrad.jit(tracegrad.grad(entry.fn), backend="jax"),
            )
        )
    for what, on_jax, on_numpy, fresh in pairs:
        assert_backends_agree(on_jax(*args), on_numpy(*args), what)
        assert_backends_agree(on_jax(*again), on_numpy(*again), f"{what}, cached")
        assert len(on_jax.cache) == 1
        source = on_jax.source(*args)
        assert source == fresh().source(*args), "emission is not deterministic"
        assert_jax_only_module(source)
    assert tree_equal(args, snapshot), "the arguments were modified"


@pytest.mark.parametrize(
    "name", ["mlp_softmax_xent", "attention_loss", "layer_norm_loss", "logistic_regression"]
)
def test_gradient_on_jax_equals_jax_grad_of_the_same_source(name):
    """The JAX backend's gradient against jax.grad applied directly to the function rebound to
    jax.numpy (float64, so the comparison is at 1e-10)."""
    from ..catalog.test_grad_catalog import in_key_order_of, jax_float64, jax_version_of

    entry = ENTRIES[name]
    args = entry.make_args(np.random.default_rng(0))
    ours = tracegrad.jit(tracegrad.grad(entry.fn), backend="jax")(*args)
    with jax_float64():
        theirs = jax.jit(jax.grad(jax_version_of(entry)))(*args)
    assert_backends_agree(
        ours,
        in_key_order_of(jax.tree.map(np.asarray, theirs), ours),
        f"{name}: tracegrad jax vs jax.grad",
    )


# --- results, structure and the cache -------------------------------------------------------


def mlp_loss(params, x, y):
    h = np.tanh(x @ params["W"] + params["b"])
    logits = h @ params["V"]
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -logp[np.arange(x.shape[0]), y].mean()


def mlp_args(dtype=np.float64):
    rng = np.random.default_rng(3)
    params = {
        "W": rng.standard_normal((4, 5)).astype(dtype),
        "b": np.zeros(5, dtype),
        "V": rng.standard_normal((5, 3)).astype(dtype),
    }
    return params, rng.standard_normal((8, 4)).astype(dtype), rng.integers(0, 3, 8)


def test_results_are_jax_arrays_in_the_functions_structure():
    step = tracegrad.jit(tracegrad.value_and_grad(mlp_loss), backend="jax")
    value, gradient = step(*mlp_args(np.float32))  # float64 results: see test_jax_float64.py
    assert isinstance(value, jax.Array) and value.shape == () and value.dtype == np.float32
    assert list(gradient) == ["W", "b", "V"], "jax.jit sorts dict keys; the user's order is kept"
    assert all(isinstance(g, jax.Array) for g in gradient.values())
    assert isinstance(np.asarray(gradient["W"]), np.ndarray)


def test_a_training_loop_feeds_jax_results_back_in():
    """float32, so that the update `p - 0.5 * g`, JAX's own code, runs in the dtype it would
    with NumPy (JAX outside 64-bit mode would compute a float64 update in float32)."""
    params, x, y = mlp_args(np.float32)
    on_jax = tracegrad.jit(tracegrad.grad(mlp_loss), backend="jax")
    on_numpy = tracegrad.grad(mlp_loss)
    ours, reference = {k: jnp.asarray(p) for k, p in params.items()}, params
    for _ in range(3):
        ours = {
            k: p - 0.5 * g
            for (k, p), g in zip(ours.items(), on_jax(ours, x, y).values(), strict=True)
        }
        reference = {
            k: p - np.float32(0.5) * g
            for (k, p), g in zip(reference.items(), on_numpy(reference, x, y).values(), strict=True)
        }
    assert len(on_jax.cache) == 1, "JAX arrays are arguments like NumPy's, keyed by type"
    assert_backends_agree(ours, reference, "after three steps")


def test_static_arguments_and_keywords():
    def scaled(x, power, scale=2.0):
        return np.sum(scale * x**power)

    compiled = tracegrad.jit(scaled, backend="jax", static_argnums=1)
    x = np.linspace(0.0, 1.0, 5)
    np.testing.assert_allclose(np.asarray(compiled(x, 3, scale=0.5)), scaled(x, 3, 0.5), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(compiled(x, 2)), scaled(x, 2), rtol=1e-14)
    assert len(compiled.cache) == 2


def test_jit_of_grad_is_one_xla_program_named_for_the_gradient():
    compiled = tracegrad.jit(tracegrad.grad(mlp_loss), backend="jax")
    args = mlp_args()
    source = compiled.source(*args)
    assert "def grad_mlp_loss(params, x, y):" in source
    assert source.startswith("# Generated by tracegrad from the gradient of `mlp_loss`")
    hlo = compiled.hlo(*args)
    assert hlo.count("func.func public @main") == 1
    assert "stablehlo.tanh" in hlo and "stablehlo.dot_general" in hlo


def test_cost_analysis():
    compiled = tracegrad.jit(lambda a, b: a @ b, backend="jax")
    a, b = np.ones((8, 16)), np.ones((16, 4))
    cost = compiled.cost(a, b)
    assert cost["flops"] >= 2 * 8 * 16 * 4 - 8 * 4
    assert cost["bytes accessed"] > 0


def test_hlo_and_cost_need_the_jax_backend():
    compiled = tracegrad.jit(lambda x: x * 2)
    for method in (compiled.hlo, compiled.cost):
        with pytest.raises(BackendError, match='backend="jax"'):
            method(np.ones(2))


# --- dtypes: 64-bit for a 64-bit graph's own calls only -------------------------------------


def test_float64_runs_in_64_bit_for_that_call_only():
    assert not jax.config.read("jax_enable_x64"), "precondition: JAX's default, 32-bit"
    compiled = tracegrad.jit(lambda x: x * 3.0 + 1e-12, backend="jax")
    x = np.array([1.0, 1.0 / 3.0])
    out = compiled(x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.asarray(out), x * 3.0 + 1e-12, rtol=1e-15, atol=0)
    assert "f64" in compiled.hlo(x)
    # The user's own JAX code, in the same process, is still 32-bit.
    assert not jax.config.read("jax_enable_x64")
    assert jnp.ones(1).dtype == np.float32
    assert jnp.asarray(1.0).dtype == np.float32


def test_float32_graphs_run_as_float32():
    params, x, y = mlp_args(np.float32)
    compiled = tracegrad.jit(tracegrad.grad(mlp_loss), backend="jax")
    gradient = compiled(params, x.astype(np.float32), y.astype(np.int32))
    assert {g.dtype for g in gradient.values()} == {np.dtype(np.float32)}
    assert "f64" not in compiled.hlo(params, x.astype(np.float32), y.astype(np.int32))
    # With no 64-bit value at all (no int64 index either), 64-bit mode is never switched on.
    plain = tracegrad.jit(tracegrad.grad(lambda W, x: np.tanh(x @ W).sum()), backend="jax")
    assert "enable_x64" not in plain.source(params["W"], x)
    hlo = plain.hlo(params["W"], x)
    assert "f64" not in hlo and "i64" not in hlo


def test_int64_results_stay_int64():
    compiled = tracegrad.jit(lambda x: (x.argmax(), x.sum()), backend="jax")
    index, total = compiled(np.array([1.0, 5.0, 2.0], np.float32))
    assert index.dtype == np.int64 and int(index) == 1
    assert total.dtype == np.float32


# --- a cache hit runs XLA's executable directly; whatever it cannot check takes the cache --


def test_calls_after_the_first_take_the_executable_and_still_see_new_signatures():
    compiled = tracegrad.jit(lambda x, y: {"s": x * y, "d": x - y}, backend="jax")
    a, b = np.arange(3.0), np.ones(3)
    for _ in range(2):
        out = compiled(a, b)
        assert list(out) == ["s", "d"]  # the function's order, not jax.jit's sorted one
        np.testing.assert_array_equal(np.asarray(out["s"]), a * b)
    assert compiled.shortcut is not None
    wide = compiled(np.arange(4.0), np.ones(4))  # another shape: a new entry
    np.testing.assert_array_equal(np.asarray(wide["d"]), np.arange(4.0) - 1)
    narrow = compiled(a.astype(np.float32), b.astype(np.float32))  # another dtype
    assert narrow["s"].dtype == np.float32
    assert len(compiled.cache) == 3
    with pytest.raises(tracegrad.TraceError, match="str"):  # a bad argument: still our error
        compiled(a, "b")


def test_python_scalars_keep_numpy_promotion_on_every_call():
    """A Python float is weak (float32 * 2.0 stays float32), a NumPy float64 is not: the
    executable cannot tell them apart, so a graph with scalar inputs always takes the cache."""
    compiled = tracegrad.jit(lambda x, s: x * s, backend="jax")
    x = np.ones(2, np.float32)
    for _ in range(2):
        assert compiled(x, 2.0).dtype == np.float32
        assert compiled(x, np.float64(2.0)).dtype == np.float64
        assert compiled(x, 2.0).dtype == np.float32


def test_float64_arguments_after_the_first_call_stay_float64():
    compiled = tracegrad.jit(lambda x: x / 3.0, backend="jax")
    for x in (np.ones(2), np.ones(2), jnp.ones(2), np.ones(2)):
        out = compiled(x)
        assert out.dtype == (np.float64 if isinstance(x, np.ndarray) else np.float32)
        np.testing.assert_allclose(
            np.asarray(out), 1.0 / 3.0, rtol=1e-15 if out.dtype == np.float64 else 1e-7
        )
    assert not jax.config.read("jax_enable_x64")


def test_a_jax_backend_function_inside_grad_and_inside_jax_jit():
    compiled = tracegrad.jit(lambda x: np.sin(x) * x, backend="jax")
    x = np.linspace(0.0, 1.0, 4)
    compiled(x)  # the next calls find an executable ready, which traced values do not fit
    gradient = tracegrad.grad(lambda x: compiled(x).sum())(x)
    np.testing.assert_allclose(np.asarray(gradient), np.cos(x) * x + np.sin(x), rtol=1e-14)
    x32 = x.astype(np.float32)
    compiled(x32)
    inside = jax.jit(lambda x: compiled(x) * 2)(x32)
    np.testing.assert_allclose(np.asarray(inside), 2 * np.sin(x32) * x32, rtol=1e-6)


# --- devices, shardings and donation (one CPU device here) ----------------------------------


def double(x):
    return x * 2


@pytest.mark.parametrize("device", ["cpu", "cpu:0", 0, jax.devices("cpu")[0]])
def test_device(device):
    out = tracegrad.jit(double, backend="jax", device=device)(np.ones(3))
    assert out.devices() == {jax.devices("cpu")[0]}
    np.testing.assert_array_equal(np.asarray(out), 2.0)


def test_shardings_on_one_device():
    mesh = Mesh(np.array(jax.devices()[:1]), ("batch",))
    batch = NamedSharding(mesh, PartitionSpec("batch"))
    compiled = tracegrad.jit(
        tracegrad.grad(mlp_loss), backend="jax", in_shardings=(None, batch, batch)
    )
    args = mlp_args()
    assert_backends_agree(compiled(*args), tracegrad.grad(mlp_loss)(*args), "sharded")


def test_donated_arguments():
    compiled = tracegrad.jit(lambda x, y: x * 2 + y, backend="jax", donate_argnums=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CPU may not use the donated buffer, and says so
        out = compiled(jnp.ones(3), np.ones(3))
    np.testing.assert_array_equal(np.asarray(out), 3.0)


# --- bad input: each a tracegrad error naming the argument ----------------------------------


def test_unknown_backend():
    with pytest.raises(BackendError, match="unknown backend 'torch'") as error:
        tracegrad.jit(double, backend="torch")
    assert "'numpy', 'jax'" in str(error.value)


@pytest.mark.parametrize(
    "device", ["tpu", f"cpu:{len(jax.devices('cpu'))}", "cpu:x", len(jax.devices())]
)
def test_a_device_that_does_not_exist(device):
    with pytest.raises(BackendError, match=f"device={device!r} does not exist") as error:
        tracegrad.jit(double, backend="jax", device=device)
    assert "cpu:0" in str(error.value)  # what JAX does see


def test_device_and_shardings_together():
    batch = NamedSharding(Mesh(np.array(jax.devices()[:1]), ("b",)), PartitionSpec("b"))
    with pytest.raises(BackendError, match="device= and in_shardings="):
        tracegrad.jit(double, backend="jax", device="cpu", in_shardings=batch)


@pytest.mark.parametrize(
    "option", [{"device": "cpu"}, {"donate_argnums": 0}, {"in_shardings": jax.devices()[0]}]
)
def test_jax_options_need_the_jax_backend(option):
    (name,) = option
    with pytest.raises(BackendError, match=f"{name}= places"):
        tracegrad.jit(double, **option)


def test_in_shardings_that_do_not_fit_the_arguments():
    mesh = Mesh(np.array(jax.devices()[:1]), ("batch",))
    batch = NamedSharding(mesh, PartitionSpec("batch"))
    x = np.ones(4)
    with pytest.raises(BackendError, match="in_shardings does not have the structure"):
        tracegrad.jit(double, backend="jax", in_shardings=(batch, batch))(x)
    with pytest.raises(BackendError, match=r"in_shardings gives x P\('batch',\), which is not"):
        tracegrad.jit(double, backend="jax", in_shardings=(PartitionSpec("batch"),))(x)
    wide = NamedSharding(mesh, PartitionSpec("batch", None))
    with pytest.raises(BackendError, match=r"in_shardings partitions 2 axes of x \(f64\[4\]\)"):
        tracegrad.jit(double, backend="jax", in_shardings=(wide,))(x)
    wider = NamedSharding(mesh, PartitionSpec("batch", None, None))
    with pytest.raises(BackendError, match=r"out_shardings partitions 3 axes of result\['W'\]"):
        tracegrad.jit(
            tracegrad.grad(mlp_loss),
            backend="jax",
            out_shardings={"W": wider, "b": None, "V": None},
        )(*mlp_args())


def test_donate_argnums_out_of_range():
    with pytest.raises(BackendError, match="donate_argnums names argument 2"):
        tracegrad.jit(double, backend="jax", donate_argnums=2)(np.ones(2))
    with pytest.raises(BackendError, match="donate_argnums="):
        tracegrad.jit(double, backend="jax", donate_argnums="x")


def test_float64_on_a_tpu_is_refused_naming_the_argument_or_the_line():
    """No TPU here: the check is given the platform directly."""
    from tracegrad.runtime.jax_backend import check_dtypes_run_on

    def f(x, w):
        y = x.astype(np.float64) * w  # a float64 value made inside the function
        return y.sum()

    as_float64 = tracegrad.trace(f, np.ones(3), np.ones(3))
    with pytest.raises(
        BackendError, match=r"argument x \(f64\[3\]\): float64 cannot run on TPU"
    ) as error:
        check_dtypes_run_on(as_float64, {"tpu"})
    assert "x.astype(np.float32)" in str(error.value) and "device='cpu'" in str(error.value)
    as_float32 = tracegrad.trace(f, np.ones(3, np.float32), np.ones(3, np.float32))
    with pytest.raises(BackendError, match="float64 cannot run on TPU") as error:
        check_dtypes_run_on(as_float32, {"tpu"})
    assert "test_jax_backend.py" in str(error.value) and "x.astype(np.float64)" in str(error.value)
    check_dtypes_run_on(as_float64, {"cpu", "gpu"})
    check_dtypes_run_on(tracegrad.trace(lambda x: x * 2, np.ones(3, np.float32)), {"tpu"})


def run_python(code: str, env: dict | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_mesh_axis_that_does_not_divide_the_batch():
    """Two simulated CPU devices (only a fresh process can have them): a batch of 3 cannot
    be split in two; a batch of 4 can, and the sharded gradient equals the NumPy one."""
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    out = run_python(
        """
        import jax, numpy as np, tracegrad
        from jax.sharding import Mesh, NamedSharding, PartitionSpec
        assert len(jax.devices()) == 2
        batch = NamedSharding(Mesh(np.array(jax.devices()), ("batch",)), PartitionSpec("batch"))

        def loss(W, x):
            return np.mean(np.tanh(x @ W) ** 2)

        gradient = tracegrad.jit(tracegrad.grad(loss), backend="jax", in_shardings=(None, batch))
        W = np.linspace(-1, 1, 6).reshape(3, 2)
        x = np.linspace(0, 2, 12).reshape(4, 3)
        np.testing.assert_allclose(np.asarray(gradient(W, x)), tracegrad.grad(loss)(W, x),
                                   rtol=1e-12)
        try:
            gradient(W, x[:3])
        except tracegrad.BackendError as error:
            print(error)
    """,
        env,
    )
    assert "in_shardings splits axis 0 of x (f64[3,3]) over mesh axis 'batch' of 2" in out
    assert "3 is not divisible by 2" in out


# --- jax is optional -----------------------------------------------------------------------


def test_import_tracegrad_and_the_numpy_backend_never_import_jax():
    out = run_python("""
        import sys
        import numpy as np
        import tracegrad

        def loss(w):
            return np.sum(np.tanh(w) ** 2)

        tracegrad.jit(loss)(np.ones(3))
        tracegrad.grad(loss)(np.ones(3))
        tracegrad.jit(tracegrad.grad(loss)).source(np.ones(3))
        print(sorted(name for name in sys.modules if name == "jax" or name.startswith("jax.")))
    """)
    assert out.strip() == "[]"


def test_the_jax_backend_without_jax_says_how_to_install_it():
    out = run_python("""
        import sys
        sys.modules["jax"] = None  # as if it were not installed
        import numpy as np
        import tracegrad
        try:
            tracegrad.jit(lambda x: x * 2, backend="jax")
        except tracegrad.BackendError as error:
            print(error)
        print(tracegrad.jit(lambda x: x * 2)(np.ones(2)))  # the numpy backend still runs
    """)
    assert 'backend="jax" needs JAX, which is not installed' in out
    assert 'pip install "tracegrad[jax]"' in out
    assert "[2. 2.]" in out
