"""tracegrad.grad of sum(f(x) * w), for a random w, against central finite differences."""

import numpy as np
import pytest

import tracegrad
from tests.ops.cases import cases, central_difference, row_ids, weighted_loss
from tests.ops.table import CHECKED, OpRow

DIFFERENTIABLE = tuple(row for row in CHECKED if row.derivative)


@pytest.mark.parametrize("row", DIFFERENTIABLE, ids=row_ids)
def test_vjp_matches_finite_differences(row: OpRow) -> None:
    for call, operands in cases(row):
        loss = weighted_loss(call, operands)
        ours = tracegrad.grad(loss, argnums=row.differentiable)(*operands)
        for position, gradient in zip(row.differentiable, ours, strict=True):
            expected = central_difference(loss, operands, position, row.step)
            np.testing.assert_allclose(gradient, expected, rtol=row.rtol, atol=row.rtol / 100)
