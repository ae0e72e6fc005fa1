"""A TracegradError's traceback shows the user's frames and the raise, not tracegrad's
internals; TRACEGRAD_TRACEBACK=full shows every frame; other exceptions keep all theirs."""

import os
import traceback

import numpy as np
import pytest

import tracegrad

PACKAGE = os.path.dirname(tracegrad.__file__)


def frames(error: BaseException) -> list[traceback.FrameSummary]:
    return traceback.extract_tb(error.__traceback__)


def ours(frame: traceback.FrameSummary) -> bool:
    return os.path.realpath(frame.filename).startswith(os.path.realpath(PACKAGE))


def features(x):
    return np.unique(x)  # refused (its shape depends on the data): raised deep inside the tracer


def loss(x):
    return np.sum(features(x))


def raise_from_deep_inside():
    with pytest.raises(tracegrad.TraceError) as caught:
        tracegrad.jit(tracegrad.grad(loss))(np.ones(3))
    return caught.value


def test_tracegrad_frames_are_hidden():
    error = raise_from_deep_inside()
    internal = [f for f in frames(error) if ours(f)]
    # the boundary that filtered and the raise; no tracer, AD or cache frames in between
    assert len(internal) <= 2, traceback.format_tb(error.__traceback__)
    assert internal[-1].name == "apply_function"  # the raise itself stays
    names = [f.name for f in frames(error) if not ours(f)]
    assert names[-2:] == ["loss", "features"]  # the user's frames, innermost last
    assert "np.unique: its result's shape depends on the data" in str(error)
    assert "Instead: " in str(error)


def test_the_whole_traceback_is_kept_on_the_error():
    error = raise_from_deep_inside()
    full = traceback.extract_tb(error.unfiltered_traceback)
    assert sum(ours(f) for f in full) > 10


def test_the_environment_variable_shows_every_frame(monkeypatch):
    monkeypatch.setenv("TRACEGRAD_TRACEBACK", "full")
    error = raise_from_deep_inside()
    assert sum(ours(f) for f in frames(error)) > 10


def test_other_exceptions_keep_their_frames():
    def broken(x):
        return np.sum(x) / {}["missing"]  # a genuine bug in the user's code

    with pytest.raises(KeyError) as caught:
        tracegrad.jit(tracegrad.grad(broken))(np.ones(3))
    assert sum(ours(f) for f in traceback.extract_tb(caught.tb)) > 5


def test_a_printed_traceback_reads_well():
    error = raise_from_deep_inside()
    text = "".join(traceback.format_exception(error))
    assert "return np.unique(x)" in text and "trace_function" not in text
