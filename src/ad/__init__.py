"""AD layer: transforms of Graphs into Graphs of their derivatives, in the same IR."""

from . import control_rules, linalg_rules, special_rules  # noqa: F401  (they register rules)
from .decompositions import decompositions
from .forward import forward, jacobian_forward, jacobian_reverse
from .jvp_rules import jvp_rules
from .reverse import reverse
from .vjp_rules import vjp_rules

__all__ = [
    "decompositions",
    "forward",
    "jacobian_forward",
    "jacobian_reverse",
    "jvp_rules",
    "reverse",
    "vjp_rules",
]
