"""IR layer: every primitive, grouped by kind; importing this package declares them all."""

from ..primitive import Group, Primitive, primitives
from . import (
    calls,
    composites,
    contractions,
    control,
    elementwise,
    indexing,
    linalg,
    markers,
    reductions,
    scipy_linalg,
    shapes,
    sorting,
    special,
)

__all__ = [
    "Group",
    "Primitive",
    "calls",
    "composites",
    "contractions",
    "control",
    "elementwise",
    "indexing",
    "linalg",
    "markers",
    "primitives",
    "reductions",
    "scipy_linalg",
    "shapes",
    "sorting",
    "special",
]
