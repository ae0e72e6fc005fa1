"""AD layer: the rules of scipy.special's polygamma (ir/primitives/special.py), whose order
is a param: d/dx polygamma(n, x) = polygamma(n + 1, x). scipy.special's ufuncs take their
derivatives from the elementwise tables (derivatives.py) as NumPy's do."""

from __future__ import annotations

from ..ir.primitives import special
from ..tracer import functions as tnp
from .jvp_rules import jvp_rules
from .vjp_rules import vjp_rules

if "polygamma" in special.SPECIAL:

    def polygamma_vjp(ct, x, out, n):
        return [ct * tnp.special.polygamma(n + 1, x)]

    def polygamma_jvp(tangents, x, out, n):
        (t,) = tangents
        return t * tnp.special.polygamma(n + 1, x)

    vjp_rules[special.SPECIAL["polygamma"]] = polygamma_vjp
    jvp_rules[special.SPECIAL["polygamma"]] = polygamma_jvp
