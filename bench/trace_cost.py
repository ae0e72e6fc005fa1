"""Benchmark: what it costs to stage a long function, stage by stage.

    python bench/trace_cost.py              # every case; adds its table to bench/results.md
    python bench/trace_cost.py --sizes 200  # a quick look at small sizes (nothing written)

Each case stages one function of N operations through the public API, as a user's first call
does (`tracegrad.jit(f)(x)`, `tracegrad.grad(f)(x)`), and reports the wall time and the peak
memory of each stage: trace, AD (reverse mode), optimize (the pass pipeline), emit (the
module's source text) and load (compiling it), and of the whole call. The workloads are
bench/workloads.py's `scalar_chain`: on an array of 8 values under `jit` (an elementwise
chain), and on one Python float under `grad` (a scalar chain).

Every case runs in a subprocess of its own, twice: once for the times (no tracing of
allocations, which slows Python down), once under tracemalloc for the memory. A stage's
peak is the most it allocated above what was live when it began; the total's is the peak of
the whole call above what was live before it. Figures are not tests (tests/test_bench.py
runs this on a tiny size only).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from workloads import scalar_chain

import tracegrad
from tracegrad.runtime import compiled, execution, gradients

RESULTS = Path(__file__).parent / "results.md"
SECTION = "## Staging cost: trace, AD, optimize, emit (python bench/trace_cost.py)"
STAGES = ("trace", "AD", "optimize", "emit", "load")
# (workload, N): the elementwise chain under jit, the scalar chain under grad.
CASES = (
    ("jit elementwise", 10_000),
    ("jit elementwise", 100_000),
    ("grad scalar", 10_000),
    ("grad scalar", 50_000),
    ("grad scalar", 100_000),
)


def staged(workload: str, n_ops: int) -> tuple[Callable, tuple]:
    """The staged function of `workload` with about `n_ops` operations, and its argument."""
    f = scalar_chain(n_ops)
    if workload == "jit elementwise":
        return tracegrad.jit(f), (np.linspace(-1.0, 1.0, 8),)
    return tracegrad.grad(f), (0.3,)


@dataclass
class Probe:
    """Seconds and peak bytes per stage, gathered by wrapping the runtime's stage functions."""

    memory: bool  # under tracemalloc
    overall: int = 0  # the highest peak seen (a stage resets tracemalloc's own peak)
    seconds: dict[str, float] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)

    def wrap(self, stage: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            before = self.start()
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start
                if self.memory:
                    peak = tracemalloc.get_traced_memory()[1] - before
                    self.peak[stage] = max(self.peak.get(stage, 0), peak)

        return timed

    def overall_peak(self) -> int:
        self.overall = max(self.overall, tracemalloc.get_traced_memory()[1])
        return self.overall

    def start(self) -> int:
        if not self.memory:
            return 0
        self.overall_peak()
        tracemalloc.reset_peak()
        return tracemalloc.get_traced_memory()[0]


@contextlib.contextmanager
def probed(probe: Probe) -> Iterator[None]:
    """The runtime's stage functions wrapped by `probe`, where the runtime looks them up."""
    targets = [
        (compiled, "trace_function", "trace"),
        (gradients, "trace_function", "trace"),
        (gradients, "reverse", "AD"),
        (compiled, "optimize", "optimize"),
        (execution.NumPyExecution, "emit", "emit"),
        (execution.NumPyExecution, "load", "load"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in targets]
    for owner, name, stage in targets:
        setattr(owner, name, probe.wrap(stage, getattr(owner, name)))
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def measure_case(workload: str, n_ops: int, memory: bool) -> dict:
    """One first call of the staged function; its stages' figures and the whole call's."""
    probe = Probe(memory)
    fn, args = staged(workload, n_ops)
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with probed(probe):
        if memory:
            tracemalloc.start()
        start = time.perf_counter()
        fn(*args)
        total = time.perf_counter() - start
        if memory:
            probe.peak["total"] = probe.overall_peak()
            tracemalloc.stop()
    # How far the process's peak resident size rose during the call (KiB on Linux): the
    # whole call's memory as the system sees it, free of tracemalloc's slowdown.
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024
    entry = next(iter(fn.cache.values()))
    probe.seconds["total"] = total
    return {
        "seconds": probe.seconds,
        "peak": probe.peak,
        "rss": rss_growth,
        "nodes": len(entry.raw.nodes),
        "optimized_nodes": len(entry.graph.nodes),
    }


def warm_up() -> None:
    """Load the templates and rule tables once, so that no case pays for them."""
    for workload in dict.fromkeys(w for w, _ in CASES):
        fn, args = staged(workload, 40)
        fn(*args)


def run_case(workload: str, n_ops: int, time_only: bool = False) -> dict:
    """Both measurements of one case, each in a fresh interpreter."""
    figures = {True: {"peak": {}}}
    for memory in (False,) if time_only else (False, True):
        command = [sys.executable, __file__, "--one", workload, str(n_ops)]
        if memory:
            command.append("--memory")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{workload} {n_ops} failed:\n{done.stderr}")
        figures[memory] = json.loads(done.stdout.splitlines()[-1])
    result = figures[False]
    result["peak"] = figures[True]["peak"]
    return result


def seconds_and_peak(result: dict, stage: str) -> str:
    if stage not in result["seconds"]:
        return "-"
    mib = result["peak"].get(stage, 0) / 2**20
    return f"{result['seconds'][stage]:.2f} s / {mib:.0f} MiB"


def table(results: list[tuple[str, int, dict]]) -> list[str]:
    heads = ["case", "N", "nodes (raw -> optimized)", *STAGES, "total", "peak RSS rise"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for workload, n_ops, result in results:
        cells = [
            workload,
            f"{n_ops:,}",
            f"{result['nodes']:,} -> {result['optimized_nodes']:,}",
            *(seconds_and_peak(result, stage) for stage in (*STAGES, "total")),
            f"{result['rss'] / 2**20:.0f} MiB",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def section(command: str, lines: list[str]) -> list[str]:
    return [
        SECTION,
        "",
        f"`{command}`, {datetime.date.today().isoformat()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}. Each cell: wall time / peak memory (tracemalloc, above "
        "what was live when the stage began) of one first call; N is scalar_chain's operation "
        "count, nodes are the staged Graph's before and after the passes; peak RSS rise: how far "
        "the process's peak resident size rose during the timed call (no tracemalloc).",
        "",
        *lines,
    ]


def add_to_results(path: Path, lines: list[str]) -> None:
    """Replace this benchmark's section of the report, or append it (bench/run.py rewrites
    the rest of the file and leaves sections it does not write to be added again)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    before, found, after = text.partition(SECTION)
    rest = after.split("\n## ", 1)[1] if found and "\n## " in after else None
    text = before.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    if rest is not None:
        text += "\n## " + rest
    path.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        help="N for every workload (default: the fixed cases); nothing is written to the results",
    )
    parser.add_argument(
        "--time-only",
        action="store_true",
        help="skip the (slower) memory run; nothing is written to the results",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--one", nargs=2, metavar=("WORKLOAD", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.one:  # a subprocess: one measurement, printed as JSON
        warm_up()
        print(json.dumps(measure_case(options.one[0], int(options.one[1]), options.memory)))
        return
    cases = CASES
    if options.sizes:
        cases = tuple((w, n) for w in dict.fromkeys(w for w, _ in CASES) for n in options.sizes)
    results = []
    for workload, n_ops in cases:
        print(f"staging {workload} N={n_ops:,} ...", file=sys.stderr, flush=True)
        results.append((workload, n_ops, run_case(workload, n_ops, options.time_only)))
    lines = section(shlex.join(["python", "bench/trace_cost.py", *argv]), table(results))
    print("\n".join(lines))
    if not (options.sizes or options.time_only):
        add_to_results(options.output, lines)


if __name__ == "__main__":
    main(sys.argv[1:])
