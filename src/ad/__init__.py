"""AD layer: transforms of Graphs into Graphs of their derivatives, in the same IR."""

from .reverse import reverse
from .vjp_rules import vjp_rules

__all__ = ["reverse", "vjp_rules"]
