"""Mistakes with tracegrad's control flow: each a TraceError (or TypeRuleError) naming the
user's line and what to write instead; the user's own exceptions pass through unchanged."""

import numpy as np
import pytest

import tracegrad

X = np.ones(3, np.float32)
XS = np.ones((2, 3))

CASES = {
    "carry dtype": (
        lambda x: tracegrad.scan(lambda c, v: (c * np.float64(2), v), x, XS)[0],
        "value 0 is f64[3] but must be f32[3]",
        ".astype",
    ),
    "carry shape": (
        lambda x: tracegrad.scan(lambda c, v: (c.sum(), v), x, XS)[0],
        "is f32[] but must be f32[3]",
        "reshape",
    ),
    "not a pair": (
        lambda x: tracegrad.scan(lambda c, v: c, x, XS)[0],
        "must return a pair (new carry, y), got a single value",
        "carry, y",
    ),
    "branch types": (
        lambda x: tracegrad.cond(x.sum() > 0, lambda x: x, lambda x: x.sum(), x),
        "the branches return different types",
        "shape and dtype",
    ),
    "branch structure": (
        lambda x: tracegrad.cond(x.sum() > 0, lambda x: (x, x), lambda x: x, x),
        "another structure",
        "both branches",
    ),
    "predicate shape": (
        lambda x: tracegrad.cond(x > 0, lambda x: x, lambda x: x, x),
        "must be a single value",
        "np.where",
    ),
    "xs lengths": (
        lambda x: tracegrad.scan(lambda c, v: (c, v[0]), x, (XS, np.ones((3, 3)))),
        "different leading lengths [2, 3]",
        "same leading size",
    ),
    "float bound": (
        lambda x: tracegrad.fori_loop(0, x.sum(), lambda i, v: v, x),
        "upper bound must be an integer",
        "Python int",
    ),
    "while condition": (
        lambda x: tracegrad.while_loop(lambda v: v.sum(), lambda v: v, x),
        "not a bool",
        "compare",
    ),
    "no length": (lambda x: tracegrad.scan(lambda c, v: (c, c), x, None), "length=", "length=n"),
    "string result": (
        lambda x: tracegrad.scan(lambda c, v: (c, "a"), x, XS),
        "returned a str",
        "array values",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_control_flow_mistakes_name_the_line_and_the_fix(name):
    fn, message, fix = CASES[name]
    with pytest.raises(tracegrad.TraceError) as error:
        tracegrad.jit(fn)(X)
    text = str(error.value)
    assert message in text
    assert "Instead: " in text and fix in text.split("Instead: ")[1]
    assert "test_control_errors.py" in text


def test_the_users_own_exception_passes_through():
    def broken(c, v):
        raise KeyError("mine")

    with pytest.raises(KeyError, match="mine"):
        tracegrad.jit(lambda x: tracegrad.scan(broken, x, XS))(X)


def test_a_traced_value_leaking_out_of_a_body_is_refused():
    leaked = []

    def step(c, v):
        leaked.append(c)
        return c, v

    def f(x):
        tracegrad.scan(step, x, XS)
        return leaked[0] * 2

    with pytest.raises(tracegrad.TraceError, match="finished"):
        tracegrad.jit(f)(X)


def test_eager_scan_of_no_steps_gives_empty_ys_of_the_traced_types():
    carry, ys = tracegrad.scan(
        lambda c, x: (c, {"a": x * 2, "b": x.sum()}), 0.0, np.ones((0, 3), np.float32)
    )
    assert carry == 0.0
    assert ys["a"].shape == (0, 3) and ys["a"].dtype == np.float32
    assert ys["b"].shape == (0,)
    traced = tracegrad.jit(
        lambda xs: tracegrad.scan(lambda c, x: (c, {"a": x * 2, "b": x.sum()}), 0.0, xs)[1]
    )(np.ones((0, 3), np.float32))
    assert traced["a"].dtype == ys["a"].dtype and traced["b"].dtype == ys["b"].dtype
