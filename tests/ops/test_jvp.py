"""tracegrad.jvp of each row against a central finite difference along the tangent."""

import numpy as np
import pytest

import tracegrad
from tests.ops.table import ROWS, OpRow, sample


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_jvp_matches_finite_differences(row: OpRow) -> None:
    step = 1e-6
    for shape in row.shapes:
        x = sample(row, shape)
        tangent = np.random.default_rng(3).normal(size=shape)
        value, derivative = tracegrad.jvp(row.reference, (x,), (tangent,))
        expected = (row.reference(x + step * tangent) - row.reference(x - step * tangent)) / (
            2 * step
        )
        np.testing.assert_allclose(value, row.reference(x), rtol=1e-12)
        np.testing.assert_allclose(derivative, expected, rtol=1e-5, atol=1e-7)
