"""The runtime of `jit`: one trace per input signature, results as the plain function gives
them, arguments never written, and generated code that tracebacks, `inspect` and a second
process all see the same way."""

import ast
import importlib.util
import inspect
import os
import subprocess
import sys
import textwrap
import traceback

import numpy as np
import pytest

import tracegrad


def counted(fn):
    """`fn` and a list that grows by one each time `fn` runs (each time it is traced)."""
    calls = []

    def run(*args, **kwargs):
        calls.append(1)
        return fn(*args, **kwargs)

    run.__signature__ = inspect.signature(fn)
    run.__name__ = fn.__name__
    return run, calls


def scaled_sum(x, scale=2.0):
    return np.sum(x * scale)


# --- the signature cache ------------------------------------------------------------------


def test_same_signature_is_a_cache_hit():
    fn, calls = counted(scaled_sum)
    compiled = tracegrad.jit(fn)
    assert compiled(np.ones(3)) == 6.0
    assert compiled(np.full(3, 2.0)) == 12.0  # new values, same signature: no retrace
    assert compiled(np.zeros(3)) == 0.0
    assert len(calls) == 1 and len(compiled.cache) == 1


@pytest.mark.parametrize(
    "first, second",
    [
        ((np.ones(3),), (np.ones(4),)),  # shape
        ((np.ones(3),), (np.ones((3, 1)),)),  # rank
        ((np.ones(3),), (np.ones(3, np.float32),)),  # dtype
        ((np.ones(3),), (np.ones(3, np.int64),)),  # dtype kind
        ((np.ones(3), 2.0), (np.ones(3), np.float64(2.0))),  # Python float vs NumPy scalar
        ((np.ones(3), 2.0), (np.ones(3), 2)),  # Python float vs Python int
        ((np.ones(3), 2.0), (np.ones(3), np.ones(()))),  # Python float vs 0-d array
    ],
)
def test_a_new_signature_is_a_new_entry(first, second):
    fn, calls = counted(scaled_sum)
    compiled = tracegrad.jit(fn)
    compiled(*first)
    compiled(*second)
    compiled(*first)
    compiled(*second)
    assert len(calls) == 2 and len(compiled.cache) == 2


def test_python_float_and_numpy_float64_give_numpy_results():
    # NEP 50: a Python float is weak (x stays float32), a np.float64 is not.
    compiled = tracegrad.jit(lambda x, s: x * s)
    x = np.ones(3, np.float32)
    assert compiled(x, 2.0).dtype == np.float32 == (x * 2.0).dtype
    assert compiled(x, np.float64(2.0)).dtype == np.float64 == (x * np.float64(2.0)).dtype
    assert len(compiled.cache) == 2


@pytest.mark.parametrize(
    "first, second",
    [
        ([np.ones(2), np.ones(2)], (np.ones(2), np.ones(2))),  # list vs tuple
        ([np.ones(2), np.ones(2)], [np.ones(2), np.ones(2), np.ones(2)]),  # length
        ({"a": np.ones(2), "b": np.ones(2)}, {"a": np.ones(2), "c": np.ones(2)}),  # keys
        ({"a": np.ones(2), "b": np.ones(2)}, {"b": np.ones(2), "a": np.ones(2)}),  # key order
        ({"a": np.ones(2)}, {"a": [np.ones(2)]}),  # nesting
        ({"a": np.ones(2)}, {"a": np.ones(3)}),  # a leaf's shape
        ([np.ones(2), None], [np.ones(2), 1.0]),  # None is structure, not a leaf
    ],
)
def test_a_new_pytree_structure_is_a_new_entry(first, second):
    def total(tree):
        leaves = tree.values() if isinstance(tree, dict) else tree
        return sum(
            np.sum(leaf) for leaf in leaves if leaf is not None and not isinstance(leaf, list)
        ) + sum(np.sum(leaf[0]) for leaf in leaves if isinstance(leaf, list))

    fn, calls = counted(total)
    compiled = tracegrad.jit(fn)
    for tree in (first, second, first, second):
        assert compiled(tree) == pytest.approx(total(tree))
    assert len(calls) == 2 and len(compiled.cache) == 2


def test_a_new_static_value_is_a_new_entry():
    def power_sum(x, n):
        return np.sum(x**n)

    fn, calls = counted(power_sum)
    compiled = tracegrad.jit(fn, static_argnums=1)
    x = np.full(2, 2.0)
    assert [compiled(x, n) for n in (2, 3, 2, 3)] == [8.0, 16.0, 8.0, 16.0]
    assert len(calls) == 2 and len(compiled.cache) == 2


# --- calling conventions ------------------------------------------------------------------


def test_keyword_arguments_and_defaults():
    fn, calls = counted(scaled_sum)
    compiled = tracegrad.jit(fn)
    assert compiled(np.ones(3)) == 6.0  # the default is the function's own
    assert compiled(np.ones(3), scale=0.5) == 1.5
    assert compiled(x=np.ones(3), scale=1.0) == 3.0
    assert compiled(np.ones(3), 4.0) == 12.0
    assert compiled(scale=1.0, x=np.ones(3)) == 3.0  # keyword order does not matter
    traced = len(calls)
    assert compiled(np.full(3, 2.0), scale=3.0) == 18.0  # a cache hit gets its new values
    assert compiled(x=np.full(3, 2.0), scale=3.0) == 18.0
    assert len(calls) == traced


def test_keyword_only_and_varargs_parameters():
    def f(x, *rest, weight, **named):
        total = x * weight
        for r in rest:
            total = total + r
        for key in sorted(named):
            total = total - named[key]
        return total

    compiled = tracegrad.jit(f)
    args = (np.ones(2), np.full(2, 2.0), np.full(2, 3.0))
    kwargs = {"weight": 10.0, "b": np.ones(2), "a": np.full(2, 0.5)}
    np.testing.assert_array_equal(compiled(*args, **kwargs), f(*args, **kwargs))


@pytest.mark.parametrize("static", [1, (1,), -1, (-1,)])
def test_static_argnums_bake_the_value_in(static):
    def power_sum(x, n):
        return np.sum(x**n)

    compiled = tracegrad.jit(power_sum, static_argnums=static)
    assert compiled(np.full(2, 2.0), 3) == 16.0
    source = compiled.source(np.ones(2), 3)
    assert "def power_sum(x):" in source  # n is not a parameter of the emitted function
    assert "n = 3 (static)" in source and "x ** 3" in source


def test_several_static_arguments():
    def f(x, axis, keepdims):
        return x.sum(axis=axis, keepdims=keepdims)

    compiled = tracegrad.jit(f, static_argnums=(1, -1))
    x = np.arange(6.0).reshape(2, 3)
    for axis, keepdims in [(0, True), (1, False), (0, True)]:
        np.testing.assert_array_equal(compiled(x, axis, keepdims), f(x, axis, keepdims))
    assert len(compiled.cache) == 2
    assert "def f(x):" in compiled.source(x, 1, False)


def test_static_argument_passed_by_keyword():
    def f(x, n):
        return x * n

    compiled = tracegrad.jit(f, static_argnums=1)
    np.testing.assert_array_equal(compiled(np.ones(2), n=3), [3.0, 3.0])
    assert "n = 3 (static)" in compiled.source(np.ones(2), n=3)


def test_decorator_forms():
    @tracegrad.jit
    def plain(x):
        return x + 1

    @tracegrad.jit(static_argnums=1)
    def with_static(x, k):
        return x * k

    @tracegrad.jit()
    def empty_parentheses(x):
        return -x

    np.testing.assert_array_equal(plain(np.zeros(2)), [1.0, 1.0])
    np.testing.assert_array_equal(with_static(np.ones(2), 3), [3.0, 3.0])
    np.testing.assert_array_equal(empty_parentheses(np.ones(2)), [-1.0, -1.0])
    assert plain.__name__ == "plain" and with_static.__name__ == "with_static"
    assert "def with_static(x):" in with_static.source(np.ones(2), 3)


# --- results ------------------------------------------------------------------------------


def mlp(params, x):
    h = np.tanh(x @ params["W1"] + params["b1"])
    logits = h @ params["W2"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def elementwise(x, y):
    return np.where(x > y, np.sqrt(np.abs(x)) * y, np.maximum(x, 0.5) ** 2) / (1.0 + y * y)


def shapes(x):
    parts = [x[:, :2], x[:, ::-1][:, :1], x.T[0][:, None]]
    return np.concatenate(parts, axis=1).reshape(-1), np.stack([x, 2 * x]).mean(axis=(0, 2))


def reductions(x):
    return x.sum(), x.max(axis=0), np.mean(x, axis=1, keepdims=True), x.argmax(axis=1)


def contractions(a, b):
    return np.einsum("ij,kj->ik", a, b), np.dot(a[0], b[1]), np.outer(a[:, 0], b[0])


def integers(i, x):
    return (i * 3) // 2, i % 3, x[i % 2], (i > 1).astype(np.float32)


RNG = np.random.default_rng(0)
FUNCTIONS = {
    "mlp": (mlp, ({"W1": RNG.normal(size=(4, 5)), "b1": RNG.normal(size=5),
                   "W2": RNG.normal(size=(5, 3))}, RNG.normal(size=(6, 4)))),
    "elementwise": (elementwise, (RNG.normal(size=(3, 4)), RNG.normal(size=4))),
    "shapes": (shapes, (RNG.normal(size=(3, 4)),)),
    "reductions": (reductions, (RNG.normal(size=(3, 4)),)),
    "contractions": (contractions, (RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3)))),
    "integers": (integers, (np.array([0, 1, 2, 3]), RNG.normal(size=(2, 3)))),
    "float32": (elementwise, (RNG.normal(size=(3, 4)).astype(np.float32), np.float32(0.3))),
}  # fmt: skip


def assert_same_result(result, expected):
    if isinstance(expected, tuple | list):
        assert type(result) is type(expected) and len(result) == len(expected)
        for r, e in zip(result, expected, strict=True):
            assert_same_result(r, e)
        return
    assert type(result) is type(expected), (type(result), type(expected))
    assert np.shape(result) == np.shape(expected)
    assert np.result_type(result) == np.result_type(expected)
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_results_equal_the_plain_function(name):
    fn, args = FUNCTIONS[name]
    compiled = tracegrad.jit(fn)
    assert_same_result(compiled(*args), fn(*args))
    assert_same_result(compiled(*args), fn(*args))  # and again, from the cache


def test_pytree_results_keep_their_structure():
    def f(x):
        return {
            "pair": (x, x * 2.0),
            "list": [x.sum(), None, [x[0]]],
            "nested": {"inner": (None, {"deep": x.T})},
            "scalar": 1.5,
        }

    x = np.arange(4.0).reshape(2, 2)
    result = tracegrad.jit(f)(x)
    expected = f(x)
    assert list(result) == list(expected)
    assert isinstance(result["pair"], tuple) and isinstance(result["list"], list)
    assert isinstance(result["list"][2], list) and result["list"][1] is None
    assert result["nested"]["inner"][0] is None
    np.testing.assert_array_equal(result["nested"]["inner"][1]["deep"], x.T)
    np.testing.assert_array_equal(result["pair"][1], x * 2.0)
    np.testing.assert_array_equal(result["list"][2][0], x[0])
    assert result["list"][0] == 6.0 and result["scalar"] == 1.5


@pytest.mark.parametrize("make", [tuple, list])
def test_sequence_results(make):
    compiled = tracegrad.jit(lambda x: make([x + 1.0, None, x.sum()]))
    result = compiled(np.zeros(2))
    assert type(result) is make and len(result) == 3 and result[1] is None
    np.testing.assert_array_equal(result[0], [1.0, 1.0])


def test_returning_none_alone():
    assert tracegrad.jit(lambda x: None)(np.ones(2)) is None


def test_returning_an_input_unchanged():
    x = np.arange(3.0)
    result = tracegrad.jit(lambda x: x)(x)
    np.testing.assert_array_equal(result, x)
    assert result.dtype == x.dtype
    assert not np.shares_memory(result, x)  # the caller's array is not handed back
    params = {"w": np.ones(2), "b": np.zeros(2)}
    same = tracegrad.jit(lambda params: params)(params)
    assert same == {"w": same["w"], "b": same["b"]} and list(same) == ["w", "b"]
    np.testing.assert_array_equal(same["w"], params["w"])
    assert same is not params


@pytest.mark.parametrize(
    "constant", [3.0, 7, True, np.float32(2.5), np.arange(4), np.eye(2, dtype=np.float32)]
)
def test_returning_a_constant(constant):
    compiled = tracegrad.jit(lambda x: constant)
    result = compiled(np.ones(2))
    assert type(result) is type(constant)
    assert np.result_type(result) == np.result_type(constant)
    np.testing.assert_array_equal(result, constant)
    if isinstance(result, np.ndarray):
        result[...] = 0  # the caller may write its result: the next call is unaffected
        np.testing.assert_array_equal(compiled(np.ones(2)), constant)


# --- arguments are never modified ---------------------------------------------------------


def update_step(params, batch):
    """A training step written the way people write them, with in-place operators."""
    x, y = batch
    h = x @ params["W"]
    h += params["b"]
    h *= 0.5
    loss = np.mean((np.tanh(h) - y) ** 2)
    new = {name: value - 0.1 * value for name, value in params.items()}
    new["W"] -= 0.01
    return loss, new


def make_arguments():
    rng = np.random.default_rng(1)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    batch = [rng.normal(size=(5, 3)), rng.normal(size=(5, 2))]
    return params, batch


def snapshot(params, batch):
    return (
        {k: v.copy() for k, v in params.items()},
        [a.copy() for a in batch],
        dict(params),
        list(batch),
    )


def assert_unchanged(params, batch, before):
    values, arrays, same_params, same_batch = before
    assert list(params) == list(values) and len(batch) == len(arrays)
    assert all(params[k] is same_params[k] for k in params)  # the same objects, not rebound
    assert all(a is b for a, b in zip(batch, same_batch, strict=True))
    for k in params:
        np.testing.assert_array_equal(params[k], values[k])
    for a, b in zip(batch, arrays, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("read_only", [True, False])
def test_arguments_are_never_modified(read_only):
    params, batch = make_arguments()
    if read_only:  # a write would raise "assignment destination is read-only"
        for array in (*params.values(), *batch):
            array.setflags(write=False)
    before = snapshot(params, batch)
    expected_loss, expected_new = update_step(*snapshot(params, batch)[:2])

    compiled = tracegrad.jit(update_step)
    for _ in range(2):  # the first call traces, the second runs the cached code
        loss, new = compiled(params, batch)
        assert loss == pytest.approx(expected_loss)
        for k in expected_new:
            np.testing.assert_allclose(new[k], expected_new[k])
        assert_unchanged(params, batch, before)

    def loss_only(params, batch):
        return update_step(params, batch)[0]

    gradient = tracegrad.grad(loss_only)
    for _ in range(2):
        assert set(gradient(params, batch)) == {"W", "b"}
        assert_unchanged(params, batch, before)


def test_read_only_arguments_in_the_results():
    x = np.arange(4.0)
    x.setflags(write=False)
    first, second = tracegrad.jit(lambda x: (x, x * 2.0))(x)
    np.testing.assert_array_equal(first, x)
    np.testing.assert_array_equal(second, x * 2.0)


# --- generated code -----------------------------------------------------------------------


def pick(x, i):
    return x[i] * 2.0


def test_a_traceback_shows_the_generated_line():
    compiled = tracegrad.jit(pick)
    x, i = np.arange(3.0), np.array([0, 2])
    np.testing.assert_array_equal(compiled(x, i), [0.0, 4.0])
    (generated,) = [line.strip() for line in compiled.source(x, i).splitlines() if "x[i]" in line]
    with pytest.raises(IndexError) as caught:  # out of range data: NumPy's own error
        compiled(x, np.array([0, 5]))
    text = "".join(traceback.format_exception(caught.value))
    assert generated in text, text
    assert 'File "<tracegrad pick ' in text, text


def test_inspect_shows_the_generated_function():
    compiled = tracegrad.jit(pick)
    x, i = np.arange(3.0), np.array([1])
    compiled(x, i)
    (entry,) = compiled.cache.values()
    function_source = inspect.getsource(entry.function)
    source = compiled.source(x, i)
    assert function_source.startswith("def pick(x, i):")
    assert function_source in source and source.endswith(function_source)


def check_imports_only_numpy(source: str) -> None:
    tree = ast.parse(source)
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert imports
    for node in imports:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            names = [node.module or ""]
        assert all(name == "numpy" or name.startswith("numpy.") for name in names), names


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_generated_source_parses_and_imports_only_numpy(name):
    fn, args = FUNCTIONS[name]
    check_imports_only_numpy(tracegrad.jit(fn).source(*args))


def test_gradient_source_parses_and_imports_only_numpy():
    def loss(params, x):
        return mlp(params, x).sum()

    check_imports_only_numpy(tracegrad.grad(loss).source(*FUNCTIONS["mlp"][1]))


def test_source_is_the_same_on_each_trace():
    fn, args = FUNCTIONS["mlp"]
    first = tracegrad.jit(fn).source(*args)
    second = tracegrad.jit(fn).source(*args)
    assert first == second
    compiled = tracegrad.jit(fn)
    compiled(*args)
    assert compiled.source(*args) == first


MODULE = textwrap.dedent(
    """
    import numpy as np
    import tracegrad


    def model(params, x):
        hidden = {name: np.tanh(x @ w) for name, w in params.items()}
        total = sum(h.sum(axis=1) for h in hidden.values())
        return {"total": total, "hidden": hidden, "keys": [x.T, None]}


    def loss(params, x):
        return model(params, x)["total"].sum()


    ARGS = ({"w_b": np.ones((3, 2)), "w_a": np.ones((3, 4)), "w_c": np.ones((3, 1))},
            np.ones((5, 3)))


    def sources():
        return (tracegrad.jit(model).source(*ARGS)
                + tracegrad.grad(loss).source(*ARGS))


    if __name__ == "__main__":
        print(sources(), end="")
    """
)


def test_source_is_identical_in_another_process(tmp_path):
    path = tmp_path / "model_for_hash_seeds.py"
    path.write_text(MODULE)
    spec = importlib.util.spec_from_file_location("model_for_hash_seeds", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    here = module.sources()
    assert "def model(params, x):" in here and "model_for_hash_seeds.py:" in here
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        there = subprocess.run(
            [sys.executable, str(path)], capture_output=True, text=True, env=env, check=True
        ).stdout
        assert there == here
