"""The NumPy backend writes each constant and operation as a careful person would, and the
code it writes computes what NumPy computes."""

import ast

import numpy as np
import pytest

import tracegrad
from tracegrad.codegen.numpy import literal
from tracegrad.ir import Literal


@pytest.mark.parametrize(
    "value, text",
    [
        (2.0, "2.0"),
        (3, "3"),
        (True, "True"),
        (float("inf"), "np.inf"),
        (float("-inf"), "-np.inf"),
        (float("nan"), "np.nan"),
        (np.float32(2.5), "np.float32(2.5)"),
        (np.int32(-3), "np.int32(-3)"),
        (np.bool_(True), "np.bool(True)"),
        (np.zeros((3, 4)), "np.zeros((3, 4))"),
        (np.ones(3, np.float32), "np.ones((3,), dtype=np.float32)"),
        (np.full((2, 2), 2.5), "np.full((2, 2), 2.5)"),
        (np.full(3, 7, np.int32), "np.full((3,), 7, dtype=np.int32)"),
        (np.arange(8), "np.arange(8)"),
        (np.arange(4.0), "np.arange(4, dtype=np.float64)"),
        (np.eye(3), "np.eye(3)"),
        (np.array([1.0, -2.0, np.nan]), "np.array([1.0, -2.0, np.nan])"),
        (np.array([[1, 2], [3, 5]], np.int8), "np.array([[1, 2], [3, 5]], dtype=np.int8)"),
    ],
)
def test_literal_forms(value, text):
    assert literal(Literal.of(value)) == text
    rebuilt = eval(text, {"np": np})
    np.testing.assert_array_equal(rebuilt, value)
    assert np.result_type(rebuilt) == np.result_type(value)


def run_and_read(fn, *args):
    compiled = tracegrad.jit(fn)
    source = compiled.source(*args)
    ast.parse(source)
    ours, reference = compiled(*args), fn(*args)
    np.testing.assert_array_equal(ours, reference)
    assert np.result_type(ours) == np.result_type(reference)
    return source


def test_negative_literals_are_parenthesised():
    source = run_and_read(lambda x: (-2.0) ** x - (-1.0) + x**-2, np.array([1.0, 2.0]))
    assert "(-2.0) ** x" in source
    assert "- (-1.0)" in source
    assert "x ** (-2)" in source


def test_large_constants_are_hoisted_once_to_module_level():
    def lookup(x):
        table = np.linspace(0.0, 1.0, 40)  # made inside: a constant (a captured one is an input)
        return x * table + table

    source = run_and_read(lookup, np.ones(40))
    assert source.count("CONSTANT = np.array(") == 1
    assert "x * CONSTANT" in source and "+ CONSTANT" in source


def test_returned_constants_are_fresh_copies():
    compiled = tracegrad.jit(lambda x: (x + 1, np.linspace(0.0, 1.0, 40)))
    _, first = compiled(np.ones(2))
    first[0] = 99.0
    _, second = compiled(np.ones(2))
    assert second[0] == 0.0


def test_python_scalars_stay_python_scalars():
    source = run_and_read(lambda x, y: abs(-x) * y, 2.0, 3)
    assert "abs(" in source and "np.abs" not in source
    assert isinstance(tracegrad.jit(lambda x, y: abs(-x) * y)(2.0, 3), float)


def test_ufunc_on_python_scalars_gives_a_numpy_scalar():
    compiled = tracegrad.jit(lambda x: np.multiply(x, 2.0) * np.ones(2, np.float32))
    assert compiled(1.5).dtype == np.float64  # np.float64 * float32 array is float64


def test_methods_and_operators_read_naturally():
    def f(x, w):
        return (x.T @ w).reshape(3, 2).sum(axis=0, keepdims=True), x.transpose(0, 2, 1)

    x, w = np.ones((4, 3, 2)), np.ones(4)
    source = tracegrad.jit(f).source(x, w)
    fragments = ("x.T @ w", ".reshape(3, 2)", "axis=0, keepdims=True", "(0, 2, 1)")
    for fragment in fragments:
        assert fragment in source


def test_indexing_forms():
    def f(x, i):
        return x[1:, ::-1, None], x[..., 0], x[i, :, i], x[0, i]

    x = np.arange(24.0).reshape(2, 3, 4)
    i = np.array([1, 0])
    compiled = tracegrad.jit(f)
    source = compiled.source(x, i)
    for fragment in ("x[1:, ::-1, None]", "x[:, :, 0]", "x[i, :, i]", "x[0, i]"):
        assert fragment in source
    for ours, reference in zip(compiled(x, i), f(x, i), strict=True):
        np.testing.assert_array_equal(ours, reference)
