"""Tracer layer: scipy.linalg's functions a Gaussian likelihood is written with (issue 16),
where SciPy is installed: solve_triangular (a primitive), cholesky, cho_factor and
cho_solve (compositions of it and of np.linalg.cholesky, reading the triangle SciPy reads).
"""

from __future__ import annotations

from ...errors import TraceError
from ...ir.primitives import scipy_linalg as primitives
from ..context import find_trace
from ..source import caller_location
from .common import bind

__all__: list[str] = []  # filled below, where SciPy is installed

TRANS = {0: 0, 1: 1, 2: 1, "N": 0, "T": 1, "C": 1}  # real matrices: C is T


if primitives.scipy_linalg is not None:
    scipy_linalg = primitives.scipy_linalg
    from .factorizations import cholesky as numpy_cholesky
    from .registry import implements
    from .shapes import transpose, tril, triu

    @implements(scipy_linalg.solve_triangular, note="a 2-d a")
    def solve_triangular(
        a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True
    ):
        if trans not in TRANS:
            raise TraceError(
                f"scipy.linalg.solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got "
                f"{trans!r} (SciPy raises ValueError too)",
                loc=caller_location(),
                hint="pass trans=0 to solve a x = b, trans=1 for a.T x = b",
            )
        params = {"trans": TRANS[trans], "lower": bool(lower), "unit_diagonal": bool(unit_diagonal)}
        if find_trace([a, b]) is None:
            return primitives.solve_triangular.reference(a, b, **params)
        return bind(primitives.solve_triangular, a, b, **params)

    @implements(scipy_linalg.cholesky, name="scipy_cholesky")
    def scipy_cholesky(a, lower=False, overwrite_a=False, check_finite=True):
        """The factor of the triangle SciPy reads: the upper one unless lower=True (the
        lower triangle of a.T)."""
        return numpy_cholesky(a) if lower else transpose(numpy_cholesky(transpose(a)))

    @implements(scipy_linalg.cho_factor)
    def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
        """(c, lower): the factor in one triangle, a's own entries in the other, as SciPy
        leaves them."""
        factor = scipy_cholesky(a, lower)
        return (factor + (triu(a, 1) if lower else tril(a, -1))), bool(lower)

    @implements(scipy_linalg.cho_solve)
    def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
        c, lower = c_and_lower
        if lower:  # L L^T x = b
            return solve_triangular(c, solve_triangular(c, b, lower=True), trans=1, lower=True)
        return solve_triangular(c, solve_triangular(c, b, trans=1), lower=False)  # U^T U x = b

    __all__ += ["cho_factor", "cho_solve", "scipy_cholesky", "solve_triangular"]
