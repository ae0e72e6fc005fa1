"""IR passes: pure Graph -> Graph functions, each documented with what it may change.

`PIPELINE` lists the optimizing passes in the order they run; `optimize` runs the whole list
again and again until a round changes nothing (each pass returns the Graph it was given when
it has nothing to do), skipping any pass named in `skip`:

1. fold broadcasts: drop `broadcast_to` where NumPy's broadcasting does the same;
2. simplify: algebraic identities that keep every value (see simplify.py for the list);
3. fold constants: evaluate nodes whose inputs are all constants;
4. common subexpressions: compute each distinct (op, params, inputs) once;
5. trim control flow: branches and loops stop returning results nobody reads and taking
   operands they do not read; a scan over a uniform constant reads it as one slice;
6. sink into scans: an elementwise operation only a scan reads, as an xs, is computed
   on each step's slice in the body instead of as a whole array first;
7. sink into slices: an elementwise operation read only in slices that together take no
   more than its size is computed at each slice instead;
8. dead code: drop nodes no output needs (last, so it sweeps what the others orphaned);
9. nested graphs: the whole pipeline on each branch and loop body, keeping its inputs and
   outputs (a body's signature is its node's business).

`BEFORE_DIFFERENTIATION` rewrites the primal before reverse mode (what is differentiated).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from ..core import Graph, Node
from ..primitive import Group
from .broadcasts import fold_broadcasts
from .control_flow import sink_into_scans, trim_control_flow
from .cse import eliminate_common_subexpressions
from .dce import eliminate_dead_code
from .fold import fold_constants
from .log_softmax import recognise_log_softmax
from .root_sum_squares import recognise_root_sum_squares
from .simplify import simplify
from .slices import sink_into_slices


@dataclass(frozen=True)
class Pass:
    name: str
    run: Callable[[Graph], Graph]


def optimize_nested(graph: Graph) -> Graph:
    """Each nested Graph (branch, loop body) optimized with the same pipeline."""
    if not any(node.op.group is Group.CONTROL for node in graph.nodes):
        return graph
    nodes, changed = [], False
    for node in graph.nodes:
        if node.op.group is not Group.CONTROL:
            nodes.append(node)
            continue
        params = {
            key: optimize(value) if isinstance(value, Graph) else value
            for key, value in node.params.items()
        }
        if any(params[key] is not node.params[key] for key in params):
            node = Node(node.op, node.inputs, node.outputs, params, node.loc)
            changed = True
        nodes.append(node)
    return Graph(graph.name, graph.inputs, tuple(nodes), graph.outputs) if changed else graph


PIPELINE: tuple[Pass, ...] = (
    Pass("fold broadcasts", fold_broadcasts),
    Pass("simplify", simplify),
    Pass("fold constants", fold_constants),
    Pass("common subexpressions", eliminate_common_subexpressions),
    Pass("trim control flow", trim_control_flow),
    Pass("sink into scans", sink_into_scans),
    Pass("sink into slices", sink_into_slices),
    Pass("dead code", eliminate_dead_code),
    Pass("nested graphs", optimize_nested),
)
PASS_NAMES = tuple(p.name for p in PIPELINE)

# Run on the primal before reverse mode: rewrites that change what gets differentiated.
BEFORE_DIFFERENTIATION: tuple[Pass, ...] = (
    Pass("recognise log_softmax", recognise_log_softmax),
    Pass("recognise root_sum_squares", recognise_root_sum_squares),
)

# A round that still changes something after this many is a bug in a pass (two rewrites
# undoing each other); stopping keeps the graph correct, only less simplified.
MAX_ROUNDS = 10

PassObserver = Callable[[Pass, Graph, Graph], None]


def prepare_for_differentiation(graph: Graph) -> Graph:
    for p in BEFORE_DIFFERENTIATION:
        graph = p.run(graph)
    return graph


def optimize(
    graph: Graph, skip: Collection[str] = (), observe: PassObserver | None = None
) -> Graph:
    """`graph` after the PIPELINE, run to a fixed point. `observe(pass, before, after)` is
    called after every pass that ran (`tracegrad.explain` reports from it)."""
    unknown = set(skip) - set(PASS_NAMES)
    if unknown:
        raise ValueError(
            f"no pass named {', '.join(sorted(unknown))}; the passes are {', '.join(PASS_NAMES)}"
        )
    for _ in range(MAX_ROUNDS):
        start = graph
        for p in PIPELINE:
            if p.name in skip:
                continue
            after = p.run(graph)
            if observe is not None:
                observe(p, graph, after)
            graph = after
        if graph is start:
            break
    return graph


__all__ = [
    "BEFORE_DIFFERENTIATION",
    "PASS_NAMES",
    "PIPELINE",
    "Pass",
    "eliminate_common_subexpressions",
    "eliminate_dead_code",
    "fold_broadcasts",
    "fold_constants",
    "optimize",
    "prepare_for_differentiation",
    "recognise_log_softmax",
    "recognise_root_sum_squares",
    "simplify",
    "sink_into_slices",
]
