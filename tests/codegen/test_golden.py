"""Golden files: the IR text and the emitted NumPy module of three small functions.

They are text a reviewer reads in the diff. Regenerate after an intended change with
`TRACEGRAD_UPDATE_GOLDEN=1 python -m pytest tests/codegen`.
"""

import os
from pathlib import Path

import numpy as np
import pytest

import tracegrad

from ..ad.test_control_flow import rnn_unrolled
from .golden_functions import GOLDEN_CASES, RNN_ARGS, elementwise_chain, rnn_loss

GOLDEN_DIR = Path(__file__).parent.parent / "golden"
UPDATE = os.environ.get("TRACEGRAD_UPDATE_GOLDEN") == "1"


def check_golden(path: Path, text: str) -> None:
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"{path} is missing: run with TRACEGRAD_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{path.name} changed; read the diff, then regenerate"


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_ir_text(name):
    fn, args = GOLDEN_CASES[name]
    check_golden(GOLDEN_DIR / f"{name}.ir.txt", str(tracegrad.trace(fn, *args)) + "\n")


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_numpy_source(name):
    fn, args = GOLDEN_CASES[name]
    compiled = tracegrad.jit(fn)
    check_golden(GOLDEN_DIR / f"{name}.numpy.txt", compiled.source(*args))
    # The golden code also runs, and agrees with NumPy.
    ours, reference = compiled(*args), fn(*args)
    if isinstance(reference, dict):
        assert list(ours) == list(reference)
        ours, reference = list(ours.values()), list(reference.values())
    else:
        ours, reference = [ours], [reference]
    for a, b in zip(ours, reference, strict=True):
        assert np.result_type(a) == np.result_type(b)
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_mlp_gradient_source():
    """The emitted gradient of the small MLP: the module a user reads to learn backprop."""
    fn, args = GOLDEN_CASES["softmax_cross_entropy"]
    gradient = tracegrad.grad(fn)
    check_golden(GOLDEN_DIR / "softmax_cross_entropy.grad.numpy.txt", gradient.source(*args))
    check_golden(GOLDEN_DIR / "softmax_cross_entropy.grad.ir.txt", str(gradient.ir(*args)) + "\n")
    # Before the optimizing passes, kept so the difference they make stays visible.
    check_golden(
        GOLDEN_DIR / "softmax_cross_entropy.grad.raw.numpy.txt",
        gradient.source(*args, optimize=False),
    )


def test_memory_plan_source():
    """10^5 values: results written into dead buffers (`out=`), names deleted when their
    memory can go back; never into the argument."""
    gradient = tracegrad.grad(elementwise_chain)
    x = np.linspace(-2.0, 2.0, 10**5)
    x.setflags(write=False)  # an in-place write into the argument would raise
    source = gradient.source(x)
    check_golden(GOLDEN_DIR / "elementwise_chain.grad.numpy.txt", source)
    assert "out=" in source and "del " in source
    expected = np.cos(x) * np.exp(-x * x) - 2 * x * np.sin(x) * np.exp(-x * x) + 2 * x / (1 + x * x)
    np.testing.assert_allclose(gradient(x), expected, rtol=1e-12, atol=1e-15)


def test_scan_rnn_gradient_source():
    """Backpropagation through time as a reader would write it: a forward loop that keeps
    what the backward loop reads, then the backward loop."""
    gradient = tracegrad.grad(rnn_loss, argnums=(0, 1, 2, 3))
    source = gradient.source(*RNN_ARGS)
    check_golden(GOLDEN_DIR / "rnn_scan.grad.numpy.txt", source)
    assert source.count("for t in range(7):") == 1
    assert source.count("for t in reversed(range(7)):") == 1
    unrolled = tracegrad.grad(rnn_unrolled, argnums=(0, 1, 2, 3))(*RNN_ARGS)
    for ours, reference in zip(gradient(*RNN_ARGS), unrolled, strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-14)
