"""IR passes: pure Graph -> Graph functions, each documented with what it may change.

`PIPELINE` lists them in the order they run; `optimize` runs them.
"""

from collections.abc import Callable

from ..core import Graph
from .broadcasts import fold_broadcasts
from .dce import eliminate_dead_code

PIPELINE: tuple[tuple[str, Callable[[Graph], Graph]], ...] = (
    ("fold broadcasts", fold_broadcasts),
    ("dead code", eliminate_dead_code),
)


def optimize(graph: Graph) -> Graph:
    for _, run in PIPELINE:
        graph = run(graph)
    return graph


__all__ = ["PIPELINE", "eliminate_dead_code", "fold_broadcasts", "optimize"]
