"""The benchmark's machinery, on tiny inputs: every installed implementation's gradient of every
workload equals the hand-written one, and the markdown report is written. No time is asserted:
the benchmark times, the tests only make sure that what it times is right."""

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import tracegrad

BENCH = Path(__file__).parent.parent / "bench"


def load_bench():
    """bench/run.py as a module (bench/ is scripts, not a package; run.py puts bench/ on
    sys.path itself, so workloads.py and torch_workloads.py import as they do when run).
    The OpenBLAS setting it makes for its own process is taken back: other tests' subprocesses
    should run as users' do."""
    if "tracegrad_bench_run" not in sys.modules:
        before = os.environ.get("OPENBLAS_THREAD_TIMEOUT")
        spec = importlib.util.spec_from_file_location("tracegrad_bench_run", BENCH / "run.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        if before is None:
            os.environ.pop("OPENBLAS_THREAD_TIMEOUT", None)
    return sys.modules["tracegrad_bench_run"]


run = load_bench()
INSTALLED = [impl for impl in run.IMPLEMENTATIONS if impl.installed()]


@pytest.mark.parametrize("impl", INSTALLED, ids=lambda impl: impl.name)
@pytest.mark.parametrize("name", list(run.WORKLOADS))
def test_gradient_equals_hand_written(impl, name, monkeypatch):
    monkeypatch.setenv("TANGENT_DISK_CACHE", "0")  # tangent_ad sets it; undone after the test
    workload = run.WORKLOADS[name].tiny()
    np_args = workload.make_args(np.random.default_rng(0))
    try:
        run.prepare(impl, workload, np_args, workload.hand_grad(*np_args))
    except run.Unsupported:  # only a peer may decline; tracegrad's failures propagate
        assert not impl.ours


def test_a_wrong_gradient_is_caught_before_timing():
    workload = run.WORKLOADS["elementwise_chain"].tiny()
    np_args = workload.make_args(np.random.default_rng(0))
    with pytest.raises(AssertionError):
        run.prepare(run.BASELINE, workload, np_args, workload.hand_grad(*np_args) * 1.001)


def test_missing_library_is_a_row_not_a_crash():
    missing = run.Implementation("nothing", "no_such_module_tracegrad_bench", run.hand_written)
    workload = run.WORKLOADS["scalar"]
    row = run.measure(missing, workload, (0.3,), None, repeat=1)
    assert row.note == "not installed"
    assert run.row_cells(row)[2:] == ["not installed", "-", "-", "-"]


def test_report_is_written(tmp_path):
    rows = [
        run.Row("scalar", "hand-written numpy", seconds=2e-5, ratio=1.0, peak_bytes=200),
        run.Row("scalar", "tracegrad jax", seconds=1e-5, ratio=0.5, first_call=0.2),
        run.Row("scalar", "torch.autograd", note="not installed"),
    ]
    text = run.report(
        "python bench/run.py scalar",
        [run.WORKLOADS["scalar"]],
        run.gradient_table(rows),
        {"Compile time": ["| a |", "|---|", "| 1 |"]},
    )
    path = tmp_path / "results.md"
    run.write_report(path, text)
    written = path.read_text(encoding="utf-8")
    assert written == text
    assert "- command: `python bench/run.py scalar`" in written
    assert "| scalar | hand-written numpy | 20.0 us | 1.00x | 0.2 KiB | - |" in written
    assert "| scalar | tracegrad jax | 10.0 us | 0.50x | n/a | 200.00 ms |" in written
    assert "| scalar | torch.autograd | not installed | - | - | - |" in written
    assert "## Compile time" in written
    for library in ("numpy", "jax", "autograd", "torch", "tangent-ad"):
        assert f"{library} " in written.split("## Gradients")[0]


def test_rnn_benchmark_gradients_equal_hand_written_bptt():
    """bench/rnn.py: every gradient it times equals its hand-written BPTT (on tiny sizes)."""
    spec = importlib.util.spec_from_file_location("tracegrad_bench_rnn", BENCH / "rnn.py")
    rnn = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rnn)
    args = rnn.make_args(3, 2, 4, 5)
    expected = rnn.rnn_hand_grad(*args)
    for name, fn in rnn.implementations().items():
        rnn.check(fn(*args), expected, name)
    lines = rnn.table({"tiny": (2, 2, 3, 4)}, repeat=1)
    assert len(lines) == 2 + 4 and all(line.endswith("x |") for line in lines[2:])


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(f"tracegrad_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_filled_rnn_benchmark_gradient_equals_hand_written_bptt():
    """bench/rnn.py --filled: the RNN writing `h[:, t, :]` (issue 15) against its BPTT; the
    table checks the gradient before it times it."""
    rnn = load_script("rnn")
    args = rnn.make_args(3, 2, 4, 5)
    args = (*args[:3], args[3].transpose(1, 0, 2).copy())
    rnn.check(
        tracegrad.grad(rnn.rnn_filled, argnums=(0, 1, 3))(*args),
        rnn.rnn_filled_hand_grad(*args),
        "filled",
    )
    lines = rnn.filled_table((2,), repeat=1)
    assert len(lines) == 3 and lines[2].startswith("| 2 |")


def test_conv_benchmark_gradient_equals_the_authors_backward():
    """bench/conv.py: the naive convolution and max-pool filling arrays element by element."""
    conv = load_script("conv")
    lines = conv.table({"tiny": conv.SIZES["tiny"]}, repeat=1)  # it checks before timing
    assert len(lines) == 3 and lines[2].endswith("|")


def test_gp_benchmark_gradients_equal_the_closed_form():
    """bench/gp.py: the marginal likelihood's gradient, both backends, on a small n."""
    gp = load_script("gp")
    lines = gp.numpy_table((12,), repeat=1)  # each checks before it times
    assert len(lines) == 3 and lines[2].startswith("| 12 |")
    lines = gp.jax_table((12,), repeat=1)
    assert len(lines) == 3 and lines[2].startswith("| 12 |")
