"""Retracing is visible: each trace and compile is logged on the "tracegrad" logger with its
signature and reason, and a function traced for too many signatures gets one warning that
names the argument that keeps changing."""

import logging
import warnings

import numpy as np
import pytest

import tracegrad
from tracegrad.runtime.retrace import RETRACE_LIMIT


def loss(w, train):
    return np.sum(w * w) if train else np.sum(w)


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tracegrad"]


def test_each_trace_is_logged_with_its_reason(caplog):
    caplog.set_level(logging.DEBUG, logger="tracegrad")
    step = tracegrad.grad(loss)
    step(np.ones(3), True)
    step(np.ones(3), True)  # a cache hit: nothing logged
    step(np.ones(3), False)
    step(np.ones(4), False)
    tracing = [m for m in messages(caplog) if m.startswith("tracing")]
    assert tracing == [
        "tracing grad loss(w: f64[3], train=True): first call",
        "tracing grad loss(w: f64[3], train=False): new value of static argument `train` "
        "(False, was True)",
        "tracing grad loss(w: f64[4], train=False): new shape or dtype of argument `w` "
        "(f64[4], was f64[3])",
    ]
    compiles = [m for m in messages(caplog) if m.startswith("compiled grad_loss")]
    assert len(compiles) == 3 and "numpy backend" in compiles[0]


def test_the_log_is_silent_unless_asked_for(caplog):
    caplog.set_level(logging.INFO, logger="tracegrad")
    tracegrad.jit(np.tanh)(np.ones(2))
    assert messages(caplog) == []


def test_the_environment_variable_shows_the_log_as_warnings(caplog, monkeypatch):
    monkeypatch.setenv("TRACEGRAD_LOG_COMPILES", "1")
    caplog.set_level(logging.WARNING, logger="tracegrad")
    tracegrad.jit(np.tanh)(np.ones(2))
    assert any(m.startswith("tracing jit tanh(x: f64[2])") for m in messages(caplog))


def test_pytree_leaves_and_python_numbers_are_described(caplog):
    caplog.set_level(logging.DEBUG, logger="tracegrad")
    tracegrad.jit(lambda p, s: p["w"] * s)({"w": np.ones(2, np.float32)}, 2.0)
    assert "<lambda>(p['w']: f32[2], s: float): first call" in messages(caplog)[0]


def test_a_changing_static_argument_is_warned_about_once():
    def layer(x, mode):
        return x * len(mode)

    staged = tracegrad.jit(layer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(RETRACE_LIMIT):
            staged(np.ones(2), "m" * i)  # up to the limit: no warning
    with pytest.warns(tracegrad.TracegradWarning) as caught:
        for i in range(RETRACE_LIMIT, RETRACE_LIMIT + 5):
            staged(np.ones(2), "m" * i)  # the call line the warning names
    assert len(caught) == 1
    warning = caught[0]
    assert warning.filename == __file__
    assert "argument `mode` has taken 9 different values" in str(warning.message)
    assert "Instead: " in str(warning.message)


def test_a_changing_shape_is_warned_about():
    staged = tracegrad.jit(lambda x, scale: x * scale)
    with pytest.warns(
        tracegrad.TracegradWarning, match="argument `x` has taken 9 different shapes or dtypes"
    ):
        for n in range(1, RETRACE_LIMIT + 2):
            staged(np.ones(n), 2.0)
