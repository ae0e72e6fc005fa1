"""IR layer: scipy.linalg's triangular solve (issue 16), the one scipy.linalg function
that is a primitive: cholesky, cho_factor and cho_solve are compositions of it and of
np.linalg.cholesky (tracer/functions/scipy_linalg.py). Declared where SciPy is installed;
emitted as `scipy.linalg.solve_triangular(...)` / `jax.scipy.linalg.solve_triangular(...)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import TypeRuleError
from ..primitive import Group, declare
from ..types import TensorType
from .special import SCIPY_MODULES

try:
    import scipy.linalg as scipy_linalg
except ImportError:  # the extra is not installed
    scipy_linalg = None


def solve_triangular_rule(
    types: tuple[TensorType, ...], trans: int, lower: bool, unit_diagonal: bool
) -> tuple[TensorType, ...]:
    a, b = types
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise TypeRuleError(
            f"solve_triangular: expected a square matrix, got {a}", hint="pass an n x n matrix"
        )
    if b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise TypeRuleError(
            f"solve_triangular: shapes of a {a.shape} and b {b.shape} are incompatible",
            hint="b needs as many rows as a (a vector, or a matrix of columns)",
        )
    dtype = np.result_type(a.dtype, b.dtype, np.float32)
    return (TensorType(b.shape, dtype),)


def solve_triangular_reference(a: Any, b: Any, trans: int, lower: bool, unit_diagonal: bool):
    return scipy_linalg.solve_triangular(
        a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal
    )


solve_triangular = None
if scipy_linalg is not None:
    solve_triangular = declare(
        "solve_triangular",
        Group.COMPOSITE,
        solve_triangular_rule,
        "scipy.linalg.solve_triangular: x with op(a) x = b, a triangular",
        reference=solve_triangular_reference,
    )
    SCIPY_MODULES[solve_triangular] = "linalg"
