"""IR layer: scipy.special's functions (issue 16). Most are ufuncs, so they are elementwise
primitives like NumPy's (the tracer sees them through `__array_ufunc__`); polygamma, which
takes its order as a plain integer, is a primitive of its own.

SciPy is optional (the `scipy` extra): without it none of these is declared, and a user's
code cannot call them either. The emitted NumPy module imports `scipy.special` where the
graph uses one; the JAX module, `jax.scipy.special`, which has them all but erfcinv and
rgamma (written there as erfinv(1 - x) and 1 / gamma(x)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, Primitive, declare
from ..types import TensorType
from .elementwise import UFUNCS, _declare_ufunc

try:
    import scipy.special as scipy_special
except ImportError:  # the extra is not installed
    scipy_special = None

UNARY_NAMES = (
    "erf", "erfc", "erfinv", "erfcinv", "expit", "logit", "gammaln", "gamma", "digamma",
    "rgamma", "ndtr", "ndtri", "log_ndtr", "i0", "i1", "i0e", "i1e", "entr",
)  # fmt: skip
BINARY_NAMES = ("xlogy", "xlog1py", "rel_entr", "beta", "betaln")

SPECIAL: dict[str, Primitive] = {}
# The SciPy module each primitive's function lives in, for the backends' imports and calls
# (scipy_linalg.py adds its own).
SCIPY_MODULES: dict[Primitive, str] = {}


def polygamma_rule(types: tuple[TensorType, ...], n: int) -> tuple[TensorType, ...]:
    (x,) = types
    if not isinstance(n, int) or n < 0:
        raise TypeRuleError(f"polygamma: the order must be a non-negative int, got {n!r}")
    dtype = np.result_type(x.dtype, np.float32) if x.dtype.kind == "f" else np.dtype("float64")
    return (TensorType(x.shape, dtype),)


def polygamma_reference(x: Any, n: int) -> Any:
    return scipy_special.polygamma(n, x)


if scipy_special is not None:
    for _name in UNARY_NAMES:
        SPECIAL[_name] = _declare_ufunc(
            _name, Group.UNARY, getattr(scipy_special, _name), doc=f"scipy.special.{_name}"
        )
    for _name in BINARY_NAMES:
        SPECIAL[_name] = _declare_ufunc(
            _name, Group.BINARY, getattr(scipy_special, _name), doc=f"scipy.special.{_name}"
        )
    UFUNCS.update((op, op.reference) for op in SPECIAL.values())
    SCIPY_MODULES.update(dict.fromkeys(SPECIAL.values(), "special"))
    # polygamma(n, x): the order a static param, x the operand.
    SPECIAL["polygamma"] = declare(
        "polygamma",
        Group.UNARY,
        polygamma_rule,
        "scipy.special.polygamma(n, x), the n-th derivative of digamma",
        reference=polygamma_reference,
    )
    SCIPY_MODULES[SPECIAL["polygamma"]] = "special"
