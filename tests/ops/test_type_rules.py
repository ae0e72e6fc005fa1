"""The traced result's shape and dtype equal NumPy's on each sample of each row."""

import numpy as np
import pytest

import tracegrad
from tests.ops.table import ROWS, OpRow, sample


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_traced_value_matches_numpy(row: OpRow) -> None:
    for shape in row.shapes:
        x = sample(row, shape)
        result = tracegrad.jit(row.reference)(x)
        expected = row.reference(x)
        assert np.shape(result) == expected.shape
        assert np.asarray(result).dtype == expected.dtype
        np.testing.assert_allclose(result, expected, rtol=1e-12)
