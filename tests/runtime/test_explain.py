"""tracegrad.explain: what each optimizing pass did to a function's graph."""

import numpy as np

import tracegrad
from tracegrad.ir.passes import PASS_NAMES


def chain(x):
    return np.sum(np.sin(x) * np.exp(-x * x) + np.log1p(x * x))


def test_explain_reports_each_pass_and_round(capsys):
    report = tracegrad.explain(tracegrad.grad(chain), np.ones(5))
    assert capsys.readouterr().out.strip() == report
    lines = report.splitlines()
    raw = len(tracegrad.grad(chain).ir(np.ones(5), optimize=False).nodes)
    optimized = len(tracegrad.grad(chain).ir(np.ones(5)).nodes)
    assert lines[0].startswith(
        f"grad_chain_loss: {raw} nodes as traced, {optimized} after"
    ) or lines[0].startswith(f"grad_chain: {raw} nodes as traced, {optimized} after")
    assert raw > optimized
    assert lines[1] == "round 1" and "round 2" in lines
    for name in PASS_NAMES:
        assert any(line.strip().startswith(name) for line in lines)
    assert "removed 1 multiply" in report  # the duplicated `d * x` of the raw adjoint
    assert lines[-1].endswith("no change")  # the last round changed nothing: a fixed point


def test_explain_a_plain_function():
    report = tracegrad.explain(lambda x: (x - 0.0).sum(), np.ones(3))
    assert report.startswith("function: 2 nodes as traced, 1 after the passes (2 rounds)")
    assert "removed 1 subtract" in report
