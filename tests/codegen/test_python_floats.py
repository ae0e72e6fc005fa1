"""Scalar specialisation: functions of numbers alone compute with Python floats and `math`,
and give NumPy's results exactly where Python floats would raise."""

import warnings

import numpy as np
import pytest

import tracegrad


def scalar_loss(x, y):
    r = np.sqrt(x * x + y * y)
    return np.sin(r) / r + np.exp(-x) * np.log1p(y * y) + x**0.5


def test_numbers_only_compute_with_python_floats():
    gradient = tracegrad.grad(scalar_loss, argnums=(0, 1))
    source = gradient.source(0.7, -1.3)
    body = source.split("def ", 1)[1]
    assert "math.sqrt(" in body and "math.sin(" in body and "math.pow(x, -0.5)" in body
    assert "np." not in body.replace("np.float64(", "")
    dx, dy = gradient(0.7, -1.3)
    assert type(dx) is np.float64 and type(dy) is np.float64  # as the NumPy module returns
    r = np.hypot(0.7, -1.3)
    expected_dx = (
        0.7 / r * (np.cos(r) / r - np.sin(r) / r**2)
        - np.exp(-0.7) * np.log1p(1.69)
        + 0.5 / np.sqrt(0.7)
    )
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-13)


@pytest.mark.parametrize("x", [0.0, -1.0, 1000.0, np.inf, np.nan])
def test_where_python_floats_raise_the_result_is_numpys(x):
    """NumPy float64 arguments: NumPy returns inf or nan (a Python float argument would keep
    Python's own `**`, which raises or goes complex, in NumPy code as well)."""

    def f(x):
        return np.log(x) + np.exp(x) + np.sqrt(x) + x**0.5

    x = np.float64(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = tracegrad.jit(f)(x)
        reference = f(x)
        gradient = tracegrad.grad(f)(x)
    assert "math.log(" in tracegrad.jit(f).source(x)
    np.testing.assert_array_equal(ours, reference)
    assert type(ours) is np.float64
    assert np.isnan(gradient) or np.isinf(gradient) or gradient > 0


def test_numpy_scalar_and_0d_array_arguments_become_floats():
    compiled = tracegrad.jit(lambda x: np.sin(x) * 2.0)
    assert "x = float(x)" in compiled.source(np.float64(0.5))
    np.testing.assert_array_equal(compiled(np.array(0.5)), np.sin(0.5) * 2.0)


@pytest.mark.parametrize("args", [(np.float32(0.5),), (np.ones(3),), (2,)])
def test_other_values_keep_numpy(args):
    source = tracegrad.jit(lambda x: np.sin(x) * 2.0).source(*args)
    assert "import math" not in source and "np.sin(x)" in source


def test_values_read_once_are_written_into_their_reader_one_level_deep():
    def f(x):
        return np.cos(np.sin(x) * 0.5 + x) * 3.0

    source = tracegrad.jit(f).source(0.2)
    assert "multiply = math.sin(x) * 0.5" in source and "math.cos(multiply + x)" in source
    assert tracegrad.jit(f)(0.2) == f(np.float64(0.2))
