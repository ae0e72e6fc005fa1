"""tracegrad.jvp of each row against a central finite difference along the tangent."""

import numpy as np
import pytest

import tracegrad
from tests.ops.cases import cases, row_ids
from tests.ops.table import CHECKED, OpRow

DIFFERENTIABLE = tuple(row for row in CHECKED if row.derivative)


@pytest.mark.parametrize("row", DIFFERENTIABLE, ids=row_ids)
def test_jvp_matches_finite_differences(row: OpRow) -> None:
    step = row.step
    for call, operands in cases(row):
        rng = np.random.default_rng(3)
        tangents = tuple(rng.normal(size=np.shape(x)) for x in operands)

        def along(sign: float, call=call, operands=operands, tangents=tangents):
            return call(*(x + sign * step * t for x, t in zip(operands, tangents, strict=True)))

        value, derivative = tracegrad.jvp(call, operands, tangents)
        np.testing.assert_allclose(value, call(*operands), rtol=1e-12)
        expected = (along(1.0) - along(-1.0)) / (2 * step)
        np.testing.assert_allclose(derivative, expected, rtol=row.rtol, atol=row.rtol / 100)
