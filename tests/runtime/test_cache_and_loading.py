"""The runtime: one trace per input signature, arguments never written, results in the
caller's structure, and generated code that tracebacks and inspect can show."""

import ast
import inspect
import subprocess
import sys
import textwrap
import traceback

import numpy as np
import pytest

import tracegrad


def counting(fn):
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        return fn(*args, **kwargs)

    wrapped.__name__ = fn.__name__
    wrapped.__signature__ = inspect.signature(fn)
    return wrapped, calls


def scaled_sum(x, scale=2.0):
    return np.sum(x * scale)


def test_one_trace_per_signature():
    fn, calls = counting(scaled_sum)
    compiled = tracegrad.jit(fn)
    compiled(np.ones(3))
    compiled(np.zeros(3))
    assert len(calls) == 1  # same signature: a cache hit, the Python function not run again
    compiled(np.ones(4))  # new shape
    compiled(np.ones(3, np.float32))  # new dtype
    compiled(np.ones(3), 3.0)  # scale passed: traced as a Python float
    compiled(np.ones(3), np.float64(3.0))  # a NumPy scalar is a different signature
    assert len(calls) == 5 and len(compiled.cache) == 5


def test_a_new_pytree_structure_is_a_new_signature():
    fn, calls = counting(lambda tree: sum(np.sum(leaf) for leaf in tree))
    compiled = tracegrad.jit(fn)
    compiled([np.ones(2), np.ones(2)])
    compiled([np.zeros(2), np.zeros(2)])
    compiled((np.ones(2), np.ones(2)))
    compiled([np.ones(2), np.ones(2), np.ones(2)])
    assert len(calls) == 3


def test_keywords_and_defaults():
    compiled = tracegrad.jit(scaled_sum)
    assert compiled(np.ones(3)) == 6.0
    assert compiled(np.ones(3), scale=0.5) == 1.5
    assert compiled(x=np.ones(3), scale=1.0) == 3.0


def test_static_arguments_are_baked_in():
    def power_sum(x, n):
        return np.sum(x**n)

    for static in (1, (1,), -1):
        fn, calls = counting(power_sum)
        compiled = tracegrad.jit(fn, static_argnums=static)
        assert compiled(np.full(2, 2.0), 3) == 16.0
        assert compiled(np.full(2, 2.0), 3) == 16.0
        assert compiled(np.full(2, 2.0), 2) == 8.0
        assert len(calls) == 2
    source = compiled.source(np.ones(2), 3)
    assert "def power_sum(x):" in source and "n = 3 (static)" in source and "x ** 3" in source


def test_decorator_forms():
    @tracegrad.jit
    def f(x):
        return x + 1

    @tracegrad.jit(static_argnums=1)
    def g(x, k):
        return x * k

    np.testing.assert_array_equal(f(np.zeros(2)), [1.0, 1.0])
    np.testing.assert_array_equal(g(np.ones(2), 3), [3.0, 3.0])


def test_pytree_results_keep_their_structure():
    def f(x):
        return {"pair": (x, x * 2), "list": [x.sum(), None], "scalar": 1.5}

    result = tracegrad.jit(f)(np.ones(2))
    assert list(result) == ["pair", "list", "scalar"]
    assert isinstance(result["pair"], tuple) and isinstance(result["list"], list)
    assert result["list"][1] is None and result["scalar"] == 1.5
    np.testing.assert_array_equal(result["pair"][1], [2.0, 2.0])


def test_results_never_alias_arguments():
    x = np.ones(3)
    result = tracegrad.jit(lambda x: x)(x)
    np.testing.assert_array_equal(result, x)
    result[0] = 5.0
    assert x[0] == 1.0


def test_arguments_are_never_modified():
    params = {"W": np.ones((3, 2)), "b": np.zeros(2)}
    x = np.linspace(0.0, 1.0, 6).reshape(2, 3)
    for array in (*params.values(), x):
        array.setflags(write=False)

    def f(params, x):
        h = x @ params["W"] + params["b"]
        h += 1.0  # augmented assignment builds a new value, as on immutable data
        return np.tanh(h).sum()

    expected = f({k: v.copy() for k, v in params.items()}, x.copy())
    assert tracegrad.jit(f)(params, x) == pytest.approx(expected)
    assert tracegrad.grad(f)(params, x)["W"].shape == (3, 2)
    np.testing.assert_array_equal(params["W"], np.ones((3, 2)))
    np.testing.assert_array_equal(x, np.linspace(0.0, 1.0, 6).reshape(2, 3))


def test_a_traceback_shows_the_generated_line():
    def pick(x, i):
        return x[i] * 2.0

    compiled = tracegrad.jit(pick)
    with pytest.raises(IndexError) as caught:  # the data is out of range: NumPy's own error
        compiled(np.ones(3), np.array([5]))
    text = "".join(traceback.format_exception(caught.value))
    assert "<tracegrad pick" in text and "x[i] * 2.0" in text


def test_inspect_shows_the_generated_function():
    compiled = tracegrad.jit(scaled_sum)
    compiled(np.ones(3))
    function = next(iter(compiled.cache.values())).function
    assert inspect.getsource(function) in compiled.source(np.ones(3))


def test_source_parses_and_imports_only_numpy():
    source = tracegrad.grad(scaled_sum).source(np.ones(3))
    imports = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert [alias.name for node in imports for alias in node.names] == ["numpy"]


def test_source_is_identical_in_another_process():
    program = textwrap.dedent(
        """
        import numpy as np, tracegrad
        def f(params, x):
            return {"b": np.tanh(x @ params["W"]).sum(), "a": x.T}
        args = ({"W": np.ones((3, 2)), "V": np.ones(2)}, np.ones((4, 3)))
        loss = lambda p, x: f(p, x)["b"]
        print(tracegrad.jit(f).source(*args) + tracegrad.grad(loss).source(*args))
        """
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            check=True,
        ).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1 and "def f(params, x):" in outputs.pop()
