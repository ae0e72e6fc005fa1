"""tracegrad.grad of sum(f(x) * w), for a random w, against central finite differences."""

import numpy as np
import pytest

import tracegrad
from tests.ops.table import ROWS, OpRow, sample


def central_difference(scalar_fn, x: np.ndarray, step: float = 1e-6) -> np.ndarray:
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shift = np.zeros_like(x)
        shift[index] = step
        gradient[index] = (scalar_fn(x + shift) - scalar_fn(x - shift)) / (2 * step)
    return gradient


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_vjp_matches_finite_differences(row: OpRow) -> None:
    for shape in row.shapes:
        x = sample(row, shape)
        weights = np.random.default_rng(2).normal(size=shape)

        def loss(value, weights=weights):
            return (row.reference(value) * weights).sum()

        expected = central_difference(loss, x)
        np.testing.assert_allclose(tracegrad.grad(loss)(x), expected, rtol=1e-5, atol=1e-7)
