"""IR layer: every primitive, grouped by kind; importing this package declares them all."""

from . import contractions, elementwise, indexing, reductions, shapes
from ..primitive import Group, Primitive, primitives

__all__ = [
    "Group",
    "Primitive",
    "contractions",
    "elementwise",
    "indexing",
    "primitives",
    "reductions",
    "shapes",
]
