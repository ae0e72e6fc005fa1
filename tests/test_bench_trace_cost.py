"""bench/trace_cost.py on a tiny size: every stage is measured, through the public API, and the
table lands in its own section of the report. No time or size is asserted."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent / "bench"


def load_trace_cost():
    if "tracegrad_bench_trace_cost" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "tracegrad_bench_trace_cost", BENCH / "trace_cost.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["tracegrad_bench_trace_cost"]


trace_cost = load_trace_cost()


@pytest.mark.parametrize("memory", [False, True], ids=["time", "memory"])
@pytest.mark.parametrize("workload", ["jit elementwise", "grad scalar"])
def test_every_stage_is_measured(workload, memory):
    import tracegrad.runtime.compiled as compiled

    before = compiled.optimize
    result = trace_cost.measure_case(workload, 200, memory)
    assert compiled.optimize is before  # the probes are taken out again
    stages = {"trace", "optimize", "emit", "load", "total"} | (
        {"AD"} if workload.startswith("grad") else set()
    )
    assert set(result["seconds"]) == stages
    assert all(seconds > 0 for seconds in result["seconds"].values())
    assert set(result["peak"]) == (stages if memory else set())
    assert result["nodes"] >= result["optimized_nodes"] > 0 and result["rss"] >= 0


def test_the_table_replaces_its_own_section(tmp_path):
    result = {
        "seconds": {"trace": 0.5, "optimize": 0.25, "emit": 0.125, "load": 0.1, "total": 1.0},
        "peak": {"trace": 2**20, "total": 3 * 2**20},
        "nodes": 233,
        "optimized_nodes": 150,
        "rss": 5 * 2**20,
    }
    lines = trace_cost.section(
        "python bench/trace_cost.py", trace_cost.table([("jit elementwise", 200, result)])
    )
    assert lines[-1] == (
        "| jit elementwise | 200 | 233 -> 150 | 0.50 s / 1 MiB | - | "
        "0.25 s / 0 MiB | 0.12 s / 0 MiB | 0.10 s / 0 MiB | 1.00 s / 3 MiB | 5 MiB |"
    )
    path = tmp_path / "results.md"
    path.write_text("# report\n\n## Gradients\n\ntable\n\n## Later\n\nmore\n", encoding="utf-8")
    for _ in range(2):  # written twice: the section is replaced, not repeated
        trace_cost.add_to_results(path, lines)
    text = path.read_text(encoding="utf-8")
    assert text.count(trace_cost.SECTION) == 1
    assert text.startswith("# report\n\n## Gradients\n\ntable\n\n## Later\n\nmore\n\n")
    assert text.endswith(lines[-1] + "\n")
