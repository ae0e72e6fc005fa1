"""IR passes: pure Graph -> Graph functions, each documented with what it may change.

`PIPELINE` lists them in the order they run; `optimize` runs them.
"""

from collections.abc import Callable

from ..core import Graph
from .broadcasts import fold_broadcasts
from .dce import eliminate_dead_code
from .log_softmax import recognise_log_softmax

PIPELINE: tuple[tuple[str, Callable[[Graph], Graph]], ...] = (
    ("fold broadcasts", fold_broadcasts),
    ("dead code", eliminate_dead_code),
)


# Run on the primal before reverse mode: rewrites that change what gets differentiated.
BEFORE_DIFFERENTIATION: tuple[tuple[str, Callable[[Graph], Graph]], ...] = (
    ("recognise log_softmax", recognise_log_softmax),
)


def prepare_for_differentiation(graph: Graph) -> Graph:
    for _, run in BEFORE_DIFFERENTIATION:
        graph = run(graph)
    return graph


def optimize(graph: Graph) -> Graph:
    for _, run in PIPELINE:
        graph = run(graph)
    return graph


__all__ = [
    "BEFORE_DIFFERENTIATION",
    "PIPELINE",
    "eliminate_dead_code",
    "fold_broadcasts",
    "optimize",
    "prepare_for_differentiation",
    "recognise_log_softmax",
]
