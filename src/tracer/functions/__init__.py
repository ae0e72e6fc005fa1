"""Tracer layer: the NumPy functions tracegrad understands, written over primitives, one
module per NumPy namespace.

Each function takes what its NumPy namesake takes. Given a traced value it records
primitives; given only concrete values it simply calls NumPy. Each registers itself with
`@implements` (registry.py): the tables in `dispatch.py` that route NumPy's own calls here,
the names of `tracegrad.numpy`, and the Tracer's forwarding methods all come from there.
tracegrad's own code reads them as `from ..tracer import functions as tnp; tnp.sum(...)`.
"""

# ruff: noqa: F403, I001  (the modules in dependency order: each builds on those above it)
from . import registry
from .registry import implements, traced
from . import common, conversions, ufuncs, mathematical, reductions, shapes, statistics
from . import nanfunctions, creation, ranges
from . import indexing, selection, linalg, factorizations
from . import joining, rearranging, padding, diagonals, products, windows, sorting, calculus
from . import writing, special, scipy_linalg
from .common import *
from .conversions import *
from .ufuncs import *
from .mathematical import *
from .reductions import *
from .shapes import *
from .statistics import *
from .nanfunctions import *
from .creation import *
from .ranges import *
from .indexing import *
from .selection import *
from .linalg import *
from .factorizations import *
from .joining import *
from .rearranging import *
from .padding import *
from .diagonals import *
from .products import *
from .windows import *
from .sorting import *
from .calculus import *
from .writing import *
from .special import *
from .scipy_linalg import *

NUMPY_MODULES = (
    conversions, ufuncs, mathematical, reductions, shapes, statistics, nanfunctions, creation,
    ranges, indexing, selection, linalg, factorizations, joining, rearranging, padding,
    diagonals, products, windows, sorting, calculus, writing, special, scipy_linalg,
)  # fmt: skip

__all__ = [
    "NUMPY_MODULES",
    "implements",
    "registry",
    "traced",
    *common.__all__,
    *(name for module in NUMPY_MODULES for name in module.__all__),
]
