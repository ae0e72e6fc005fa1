"""Runtime layer: `explain`, what each optimizing pass did to one function's graph.

It runs the same passes the compiled function ran, on the same raw graph, and reports per
pass and round the node count before and after and the operations removed and added, so a
reader can see where the raw adjoint's zeros, duplicates and negations went.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from ..ir import Graph
from ..ir.passes import PIPELINE, Pass, optimize
from .compiled import Compiled, Staged, collector_paused
from .tracebacks import api_boundary


def census(graph: Graph) -> Counter[str]:
    """The operations of the graph, those inside its branches and loop bodies included."""
    counts = Counter(node.op.name for node in graph.nodes)
    for node in graph.nodes:
        for value in node.params.values():
            if isinstance(value, Graph):
                counts += census(value)
    return counts


def describe(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(counts.items()))


def what_changed(before: Graph, after: Graph) -> str:
    """One pass's effect: the node counts before and after, and the operations it removed
    and added."""
    if after is before:
        return "no change"
    old, new = census(before), census(after)
    change = [
        f"removed {describe(old - new)}" if old - new else "",
        f"added {describe(new - old)}" if new - old else "",
    ]
    said = "; ".join(c for c in change if c) or "the same operations, rewired"
    return f"{old.total():>5} -> {new.total():<5}  {said}"


@api_boundary
def explain(fn: Callable, *args: Any, **kwargs: Any) -> str:
    """Print, and return, what each optimizing pass did to `fn`'s graph for these arguments.
    `fn` may be a plain function or a staged one (`grad(f)`, `jit(f)`, ...)."""
    staged = fn if isinstance(fn, Staged) else Compiled(fn)
    raw = staged.ir(*args, optimize=False, **kwargs)
    rounds: list[list[str]] = []
    width = max(len(p.name) for p in PIPELINE)

    def observe(p: Pass, before: Graph, after: Graph) -> None:
        if p is PIPELINE[0] or not rounds:
            rounds.append([])
        rounds[-1].append(f"  {p.name:<{width}}  {what_changed(before, after)}")

    with collector_paused():
        optimized = optimize(raw, observe=observe)
    lines = [
        f"{raw.name}: {census(raw).total()} nodes as traced, "
        f"{census(optimized).total()} after the passes ({len(rounds)} "
        f"round{'s' if len(rounds) != 1 else ''})"
    ]
    for i, steps in enumerate(rounds, 1):
        lines.append(f"round {i}")
        lines.extend(steps)
    report = "\n".join(lines)
    print(report)
    return report
