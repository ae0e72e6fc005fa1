"""tracegrad.hessian of sum(f(x) * w) against central finite differences of tracegrad.grad."""

import numpy as np
import pytest

import tracegrad
from tests.ops.cases import cases, row_ids, weighted_loss
from tests.ops.table import CHECKED, OpRow

TWICE = tuple(row for row in CHECKED if row.derivative and row.second_order)


def gradient_difference(loss, operands, position: int, step: float = 1e-5) -> np.ndarray:
    """d grad / d operands[position] by central differences, laid out like the Hessian."""
    gradient = tracegrad.grad(loss, argnums=position)
    x = operands[position]
    columns = []
    for index in np.ndindex(x.shape):
        moved = [list(operands), list(operands)]
        for sign, values in zip((1, -1), moved, strict=True):
            values[position] = x.copy()
            values[position][index] += sign * step
        columns.append((gradient(*moved[0]) - gradient(*moved[1])) / (2 * step))
    return np.moveaxis(np.array(columns), 0, -1).reshape(x.shape + x.shape)


@pytest.mark.parametrize("row", TWICE, ids=row_ids)
def test_hessian_matches_finite_differences_of_the_gradient(row: OpRow) -> None:
    """Each differentiable operand's own Hessian block: a binary primitive's second partial
    is held to it as much as its first."""
    for call, operands in cases(row):
        loss = weighted_loss(call, operands)
        for position in row.differentiable:
            ours = np.asarray(tracegrad.hessian(loss, argnums=position)(*operands))
            expected = gradient_difference(loss, operands, position)
            np.testing.assert_allclose(
                ours.reshape(expected.shape), expected, rtol=1e-5, atol=1e-6, err_msg=f"{position}"
            )
