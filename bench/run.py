"""Benchmark: tracegrad's gradients against a hand-written NumPy gradient and other AD tools.

    python bench/run.py                 # every workload; writes bench/results.md
    python bench/run.py mlp_small       # some of them
    python bench/run.py --quick         # fewer samples: a quick look, not numbers to keep

On every workload of workloads.py, each implementation of the gradient (hand-written NumPy,
tracegrad on NumPy and on JAX, HIPS autograd, jax.jit(jax.grad), and torch and tangent-ad
where installed) is first checked against the hand-written gradient, then timed against it
with interleaved samples; the run also reports each one's peak memory during a call and, for
those that trace or compile, its first call. Then what a cache hit adds on tracegrad's JAX
backend, and the time to trace, differentiate and emit functions of 1,000 and 10,000 nodes.
The tables are printed and written to bench/results.md. Benchmarks are not tests: no test
asserts a time (tests/test_bench.py checks the gradients and the report on tiny inputs).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import importlib.metadata
import importlib.util
import os
import platform
import shlex
import statistics
import sys
import time
import tracemalloc
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# OpenBLAS's idle threads spin for about 0.1 s after each call by default: alternating samples
# then run JAX's (or torch's) thread pool against them, on this 2-core machine 1.5-2x slower
# than alone. 2^4 cycles makes them sleep at once. It must be set before NumPy loads OpenBLAS.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from workloads import WORKLOADS, Workload, scalar_chain

import tracegrad

RESULTS = Path(__file__).parent / "results.md"
RTOL, ATOL = 1e-8, 1e-12  # atol only for entries that are zero up to rounding


def calls_per_sample(fn, *args, min_time: float = 0.02) -> int:
    fn(*args)
    number, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_time:
        fn(*args)
        number += 1
    return max(number, 1)


def against_hand_written(label: str, gradient, hand_written, args, repeat: int) -> str:
    """One row of a table of tracegrad's gradient against a hand-written one: both timed
    alternately, the first call (trace, differentiate, emit, load) and the emitted length;
    the gradients are compared before anything is timed."""
    started = time.perf_counter()
    got = gradient(*args)
    first = time.perf_counter() - started
    for g, e in zip(got, hand_written(*args), strict=True):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-9, atol=1e-12, err_msg=label)
    hand, it = paired_medians(hand_written, gradient, args, repeat)
    emitted = len(str(gradient.source(*args)).splitlines())
    return (
        f"| {label} | {hand * 1e3:.2f} ms | {it * 1e3:.2f} ms | {it / hand:.2f}x "
        f"| {first:.2f} s | {emitted} |"
    )


def paired_medians(first, second, args, repeat: int = 21) -> tuple[float, float]:
    """Median seconds per call of two functions, sampled alternately so that a change in the
    machine's load touches both alike."""
    counts = calls_per_sample(first, *args), calls_per_sample(second, *args)
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, number, into in zip((first, second), counts, samples, strict=True):
            start = time.perf_counter()
            for _ in range(number):
                fn(*args)
            into.append((time.perf_counter() - start) / number)
    return statistics.median(samples[0]), statistics.median(samples[1])


# --- the implementations -------------------------------------------------------------------


def with_numpy(fn, module):
    """`fn` with `np` bound to `module` (jax.numpy, autograd.numpy): the very source tracegrad
    differentiates, run by another library, so every peer computes the same function."""
    return types.FunctionType(
        fn.__code__, {**fn.__globals__, "np": module}, fn.__name__, fn.__defaults__, fn.__closure__
    )


def blocking(fn):
    """`fn` waiting for its JAX results (JAX dispatches asynchronously)."""
    import jax

    return lambda *args: jax.block_until_ready(fn(*args))


def hand_written(workload: Workload) -> Callable:
    return workload.hand_grad


def tracegrad_numpy(workload: Workload) -> Callable:
    return tracegrad.grad(workload.loss)


def tracegrad_jax(workload: Workload) -> Callable:
    return blocking(tracegrad.jit(tracegrad.grad(workload.loss), backend="jax"))


def hips_autograd(workload: Workload) -> Callable:
    import autograd
    import autograd.numpy

    return autograd.grad(with_numpy(workload.loss, autograd.numpy))


def jax_jit_grad(workload: Workload) -> Callable:
    import jax

    return blocking(jax.jit(jax.grad(with_numpy(workload.loss, jax.numpy))))


def torch_autograd(workload: Workload) -> Callable:
    import torch_workloads

    return torch_workloads.grad(torch_workloads.LOSSES[workload.name])


def tangent_ad(workload: Workload) -> Callable:
    """tangent.grad with its caches off: mlp_small and mlp_large share a loss, and a cached
    transformation (in memory, or on disk from an earlier run) would hide the first call."""
    import tangent

    os.environ["TANGENT_DISK_CACHE"] = "0"  # read on each grad(); also keeps ~/.cache clean
    tangent.clear_cache()
    return tangent.grad(workload.loss)


def jax_arrays(args: tuple) -> tuple:
    import jax

    return jax.tree.map(jax.numpy.asarray, args)


def jax_to_numpy(result):
    import jax

    return jax.tree.map(np.asarray, result)


def torch_arrays(args: tuple) -> tuple:
    import torch_workloads

    return tuple(torch_workloads.to_torch(arg) for arg in args)


def torch_to_numpy(result):
    import torch_workloads

    return torch_workloads.to_numpy(result)


def unchanged(value):
    return value


@dataclass(frozen=True)
class Implementation:
    name: str
    module: str  # not importable: the row says "not installed"
    build: Callable[[Workload], Callable]  # the gradient, called on convert(args)
    convert: Callable[[tuple], tuple] = unchanged  # NumPy arguments -> this library's
    to_numpy: Callable = unchanged  # its gradient -> NumPy, to compare
    x64: bool = False  # runs in JAX's float64 mode, like the NumPy float64 baseline
    compiles: bool = False  # traces or compiles on its first call: that time is reported
    python_memory: bool = True  # allocates through Python's allocator, seen by tracemalloc
    ours: bool = False  # a failure is a bug to raise, never a row saying "cannot"

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def mode(self) -> contextlib.AbstractContextManager:
        if not self.x64:
            return contextlib.nullcontext()
        import jax

        return jax.enable_x64(True)


JAX = {
    "convert": jax_arrays,
    "to_numpy": jax_to_numpy,
    "x64": True,
    "compiles": True,
    "python_memory": False,
}
IMPLEMENTATIONS = [
    Implementation("hand-written numpy", "numpy", hand_written, ours=True),
    Implementation("tracegrad numpy", "tracegrad", tracegrad_numpy, compiles=True, ours=True),
    Implementation("tracegrad jax", "jax", tracegrad_jax, **JAX, ours=True),
    Implementation("autograd", "autograd", hips_autograd),
    Implementation("jax.jit(jax.grad)", "jax", jax_jit_grad, **JAX),
    Implementation(
        "torch.autograd",
        "torch",
        torch_autograd,
        convert=torch_arrays,
        to_numpy=torch_to_numpy,
        python_memory=False,
    ),
    Implementation("tangent-ad", "tangent", tangent_ad, compiles=True),
]
BASELINE = IMPLEMENTATIONS[0]


# --- checking and measuring one implementation ----------------------------------------------


class Unsupported(Exception):
    """A peer library cannot differentiate a workload: a row of the table, not a failure."""


def assert_same_gradient(got, expected, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), where
        for key in expected:
            assert_same_gradient(got[key], expected[key], f"{where}[{key!r}]")
        return
    np.testing.assert_allclose(
        np.asarray(got), np.asarray(expected), rtol=RTOL, atol=ATOL, err_msg=where
    )


def prepare(impl: Implementation, workload: Workload, np_args: tuple, expected):
    """Build `impl`'s gradient of `workload`, time its first call (trace and compile included)
    and check it against `expected`: a gradient that disagrees is never timed.

    Returns (gradient, its arguments, first-call seconds)."""
    with impl.mode():
        args = impl.convert(np_args)
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(action="ignore", category=SyntaxWarning):
                gradient = impl.build(workload)  # tangent's generated code warns on compile
                result = gradient(*args)
        except Exception as error:
            if impl.ours:
                raise
            raise Unsupported(f"cannot: {type(error).__name__}") from error
        first_call = time.perf_counter() - start
    assert_same_gradient(impl.to_numpy(result), expected, f"{impl.name} on {workload.name}")
    return gradient, args, first_call


def peak_memory(fn, args) -> int:
    """Bytes allocated at the peak of one call, above what was live before it: NumPy reports
    its array buffers to tracemalloc, so this counts the temporaries a gradient keeps."""
    gc.collect()
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@dataclass
class Row:
    workload: str
    implementation: str
    note: str = ""  # "not installed", "cannot: ...": then nothing else is filled in
    seconds: float | None = None  # median per gradient call
    ratio: float | None = None  # to the hand-written gradient, sampled alternately with it
    peak_bytes: int | None = None
    first_call: float | None = None


def measure(impl: Implementation, workload: Workload, np_args, expected, repeat: int) -> Row:
    row = Row(workload.name, impl.name)
    if not impl.installed():
        row.note = "not installed"
        return row
    try:
        gradient, args, first_call = prepare(impl, workload, np_args, expected)
    except Unsupported as why:
        row.note = str(why)
        return row
    row.first_call = first_call if impl.compiles else None
    with impl.mode():
        if impl.python_memory:
            row.peak_bytes = peak_memory(gradient, args)
        hand, row.seconds = paired_medians(
            lambda: workload.hand_grad(*np_args), lambda: gradient(*args), (), repeat=repeat
        )
    row.ratio = row.seconds / hand
    return row


def warm_up(impl: Implementation) -> None:
    """One gradient on tiny inputs first, so that no workload's first call pays for loading
    the library itself (JAX's backend, tracegrad's templates, tangent's rules)."""
    if impl.installed():
        workload = WORKLOADS["elementwise_chain"].tiny()
        np_args = workload.make_args(np.random.default_rng(1))
        with contextlib.suppress(Unsupported):
            prepare(impl, workload, np_args, workload.hand_grad(*np_args))


def workload_rows(workload: Workload, repeat: int) -> list[Row]:
    np_args = workload.make_args(np.random.default_rng(0))
    expected = workload.hand_grad(*np_args)
    rows = [measure(impl, workload, np_args, expected, repeat) for impl in IMPLEMENTATIONS[1:]]
    timed = [row.seconds / row.ratio for row in rows if row.ratio is not None]
    if not timed:  # every other implementation failed: time the baseline against itself
        timed = [paired_medians(workload.hand_grad, workload.hand_grad, np_args, repeat)[0]]
    baseline = Row(
        workload.name,
        BASELINE.name,
        seconds=statistics.median(timed),
        ratio=1.0,
        peak_bytes=peak_memory(workload.hand_grad, np_args),
    )
    return [baseline, *rows]


# --- tables -------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3)):
        if seconds >= scale:
            return f"{seconds / scale:.{3 if unit == 's' else 2}f} {unit}"
    return f"{seconds * 1e6:.1f} us"


def size(n_bytes: int) -> str:
    if n_bytes >= 2**20:
        return f"{n_bytes / 2**20:.1f} MiB"
    return f"{n_bytes / 2**10:.1f} KiB"


def row_cells(row: Row) -> list[str]:
    if row.note:
        return [row.workload, row.implementation, row.note, "-", "-", "-"]
    return [
        row.workload,
        row.implementation,
        duration(row.seconds),
        f"{row.ratio:.2f}x",
        "n/a" if row.peak_bytes is None else size(row.peak_bytes),
        "-" if row.first_call is None else duration(row.first_call),
    ]


def gradient_table(rows: list[Row]) -> list[str]:
    lines = [
        "| workload | implementation | median | ratio | peak memory | first call |",
        "|---|---|---|---|---|---|",
    ]
    return lines + ["| " + " | ".join(row_cells(row)) + " |" for row in rows]


def overhead_table(repeat: int = 31) -> list[str]:
    """What a cache hit adds over calling the jax.jit function it holds, float32 and 64."""
    try:
        import jax
    except ImportError:
        return ["(jax is not installed: no JAX backend)"]
    rows = [
        "| dtype | jitted JAX function | tracegrad.jit(backend='jax') | overhead |",
        "|---|---|---|---|",
    ]
    for dtype in (np.float32, np.float64):
        x = np.ones(3, dtype)
        compiled = tracegrad.jit(lambda x: x * 2.0 + 1.0, backend="jax")
        compiled(x)
        entry = next(iter(compiled.cache.values()))
        jitted = getattr(entry.function, "jitted", entry.function)
        with jax.enable_x64(dtype == np.float64):
            x = jax.numpy.asarray(x)
            bare, ours = paired_medians(jitted, compiled, (x,), repeat=repeat)
        rows.append(
            f"| {np.dtype(dtype).name} | {bare * 1e6:.2f} us | {ours * 1e6:.2f} us "
            f"| {(ours - bare) * 1e6:.2f} us |"
        )
    return rows


def jax_against_jax_table(workloads: list[Workload], repeat: int = 41) -> list[str]:
    """tracegrad's JAX backend timed alternately with jax.jit(jax.grad) of the same source,
    float64 (64-bit mode on for both): what the backend adds over writing JAX by hand."""
    try:
        import jax
    except ImportError:
        return ["(jax is not installed: no JAX backend)"]
    rows = ["| workload | jax.jit(jax.grad) | tracegrad jax | ratio |", "|---|---|---|---|"]
    for workload in workloads:
        if workload.name == "scalar":
            continue
        with jax.enable_x64(True):
            args = jax_arrays(workload.make_args(np.random.default_rng(0)))
            theirs, ours = jax_jit_grad(workload), tracegrad_jax(workload)
            theirs_time, ours_time = paired_medians(theirs, ours, args, repeat=repeat)
        rows.append(
            f"| {workload.name} | {duration(theirs_time)} | {duration(ours_time)} "
            f"| {ours_time / theirs_time:.2f}x |"
        )
    return rows


def compile_table(runs: tuple[int, int] = (7, 3)) -> list[str]:
    rows = ["| nodes (primal) | adjoint nodes | trace + AD + emit |", "|---|---|---|"]
    tracegrad.grad(scalar_chain(40)).source(0.3)  # warm up: template and caches loaded once
    for n_ops, n_runs in zip((1000, 10000), runs, strict=True):
        f = scalar_chain(n_ops)
        times = []
        for _ in range(n_runs):  # a fresh grad each time: nothing cached between runs
            start = time.perf_counter()
            gradient = tracegrad.grad(f)
            gradient.source(0.3)
            times.append(time.perf_counter() - start)
        primal = len(tracegrad.trace(f, 0.3).nodes)
        adjoint = len(gradient.ir(0.3).nodes)
        rows.append(
            f"| {primal} | {adjoint} | {statistics.median(times):.3f} s (median of {n_runs}) |"
        )
    return rows


# --- the report ---------------------------------------------------------------------------


def version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def header(command: str) -> list[str]:
    libraries = ("numpy", "jax", "autograd", "torch", "tangent-ad", "tracegrad")
    return [
        "# tracegrad benchmark",
        "",
        f"- command: `{command}`",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}",
        "- versions: " + ", ".join(f"{name} {version(name)}" for name in libraries),
        f"- OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT')} (OpenBLAS's "
        "idle threads sleep at once rather than spin, which slows the library sampled next)",
    ]


GRADIENTS_NOTE = (
    "median: seconds per gradient call (median of interleaved samples); ratio: to the "
    "hand-written NumPy gradient, timed alternately with it; peak memory: the most allocated "
    "during one call, by tracemalloc (n/a: the library allocates where tracemalloc cannot "
    "see); first call: building the gradient and its first call, trace and compile included "
    "(-: nothing is compiled). Every gradient equals the hand-written one (rtol 1e-8) before "
    "it is timed. float64 throughout."
)


def report(
    command: str, workloads: list[Workload], gradients: list[str], sections: dict[str, list[str]]
) -> str:
    """The whole markdown report, in a fixed layout so that two runs diff line by line."""
    lines = [*header(command), "", "## Gradients", "", GRADIENTS_NOTE, ""]
    lines += [f"- {workload.name}: {workload.about}" for workload in workloads]
    lines += ["", *gradients]
    for title, table in sections.items():
        lines += ["", f"## {title}", "", *table]
    return "\n".join(lines) + "\n"


def write_report(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "workloads",
        nargs="*",
        metavar="WORKLOAD",
        help=f"some of: {', '.join(WORKLOADS)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples per timing")
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown report path")
    options = parser.parse_args(argv)
    unknown = [name for name in options.workloads if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}: choose from {', '.join(WORKLOADS)}")
    return options


def main(argv: list[str]) -> None:
    options = parse(argv)
    workloads = [WORKLOADS[name] for name in options.workloads or WORKLOADS]
    repeat = 5 if options.quick else 21
    for impl in IMPLEMENTATIONS:
        warm_up(impl)
    rows = []
    for workload in workloads:
        print(f"timing {workload.name} ...", file=sys.stderr, flush=True)
        rows += workload_rows(workload, repeat)
    sections = {
        "JAX backend against jax.jit(jax.grad), paired": jax_against_jax_table(
            workloads, 11 if options.quick else 41
        ),
        "JAX backend: what a cache hit adds": overhead_table(11 if options.quick else 31),
        "Compile time: trace + AD + emit": compile_table((3, 1) if options.quick else (7, 3)),
    }
    text = report(
        shlex.join(["python", "bench/run.py", *argv]), workloads, gradient_table(rows), sections
    )
    write_report(options.output, text)
    print(text, end="")


if __name__ == "__main__":
    main(sys.argv[1:])
